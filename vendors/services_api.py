"""Writes of the REST API about vendors: invoices that finance records."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from vendors.models import Contract, Invoice
from vendors.signals import vendor_figures_changed


@transaction.atomic
def invoice_create(
    *,
    contract: Contract,
    period_start: dt.date,
    period_end: dt.date,
    amount: Decimal,
    currency: str,
    reference: str = "",
    issued_on: dt.date | None = None,
) -> Invoice:
    """Records an invoice and marks its month for recompute (cost per ticket reads it).

    Raises ValidationError naming the field at fault.
    """
    invoice = Invoice(
        vendor_id=contract.vendor_id,
        contract=contract,
        period_start=period_start,
        period_end=period_end,
        amount=amount,
        currency=currency,
        reference=reference,
        issued_on=issued_on,
    )
    invoice.full_clean(validate_unique=False, validate_constraints=False)
    if Invoice.objects.filter(
        contract=contract, period_start=period_start, reference=reference
    ).exists():
        raise ValidationError(
            {"reference": "This contract already has an invoice with this reference that month."}
        )
    try:
        with transaction.atomic():
            invoice.save()
    except IntegrityError:  # a concurrent request recorded the same invoice first
        raise ValidationError(
            {"reference": "This contract already has an invoice with this reference that month."}
        ) from None
    noon = dt.datetime.combine(period_start, dt.time(12), ZoneInfo(settings.REPORTING_TIME_ZONE))
    vendor_figures_changed.send(sender=Invoice, vendor_id=contract.vendor_id, instants=[noon])
    return invoice
