"""Writes of deliverables: create, change, delete, re-plan, record the delivery, and the upsert
by reference that imports and API pushes use.

Every refusal is a ValidationError naming its field. Every write tells the figures which months
it touched (assurance.periods.figures_changed, with the dates before and after) inside its
transaction; the audit trail records the change through the model signals (vendors/audit.py),
with the request's user as the actor.

Choices where METRICS.md is silent: a delivery before its planned date is early, not an error;
an agreed re-planned date may fall before the planned date too (both sides may agree to bring a
delivery forward) but must differ from it, and a delivered deliverable is not re-planned. The
figures judge against `planned_on` whatever the re-plan says.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from assurance.models import Deliverable, DeliverableKind
from assurance.periods import figures_changed
from common.pages import reporting_today
from vendors.models import Contract, Vendor

# The fields a manager, an import row or an API push sets on a deliverable.
FIELDS = ("contract", "title", "kind", "reference", "planned_on", "delivered_on", "notes")


def _errors(deliverable: Deliverable, *, today: dt.date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not deliverable.title:
        errors["title"] = "Give the deliverable's title."
    if deliverable.planned_on is None:
        errors["planned_on"] = "Give the planned date."
    if deliverable.delivered_on is not None and deliverable.delivered_on > today:
        errors["delivered_on"] = (
            f"{deliverable.delivered_on:%Y-%m-%d} is in the future: record a delivery once it "
            "is made."
        )
    if deliverable.contract_id is not None and deliverable.contract.vendor_id != (
        deliverable.vendor_id
    ):
        errors["contract"] = f"The contract “{deliverable.contract}” is not one of this vendor's."
    if deliverable.kind not in DeliverableKind.values:
        errors["kind"] = f"Give one of {', '.join(DeliverableKind.values)}."
    if deliverable.reference:
        taken = Deliverable.objects.filter(
            vendor_id=deliverable.vendor_id, reference=deliverable.reference
        ).exclude(pk=deliverable.pk)
        if taken.exists():
            errors["reference"] = _reference_taken(deliverable)
    return errors


def _reference_taken(deliverable: Deliverable) -> str:
    return f"Another deliverable of this vendor has the reference “{deliverable.reference}”."


def _save(deliverable: Deliverable, *, before: tuple, today: dt.date | None) -> Deliverable:
    errors = _errors(deliverable, today=today or reporting_today())
    if errors:
        raise ValidationError(errors)
    deliverable.full_clean(validate_constraints=False)  # lengths; the reference is checked above
    try:
        with transaction.atomic():
            deliverable.save()
            figures_changed(
                sender=Deliverable,
                vendor_id=deliverable.vendor_id,
                days=[*before, deliverable.planned_on, deliverable.delivered_on],
            )
    except IntegrityError:  # the same reference saved meanwhile (two pushes at once)
        raise ValidationError({"reference": _reference_taken(deliverable)}) from None
    return deliverable


def _dates(deliverable: Deliverable) -> tuple:
    return (deliverable.planned_on, deliverable.delivered_on)


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    for text in ("title", "reference", "notes"):
        if text in values:
            values[text] = (values[text] or "").strip()
    return values


def deliverable_create(
    *,
    vendor: Vendor,
    title: str,
    planned_on: dt.date | None,
    contract: Contract | None = None,
    kind: str = DeliverableKind.MILESTONE,
    reference: str = "",
    delivered_on: dt.date | None = None,
    notes: str = "",
    today: dt.date | None = None,
) -> Deliverable:
    values = _clean(
        {
            "contract": contract,
            "title": title,
            "kind": kind,
            "reference": reference,
            "planned_on": planned_on,
            "delivered_on": delivered_on,
            "notes": notes,
        }
    )
    return _save(Deliverable(vendor=vendor, **values), before=(), today=today)


def deliverable_update(
    *, deliverable: Deliverable, today: dt.date | None = None, **changes: Any
) -> Deliverable:
    """Changes the given FIELDS (others stay as they are). A new planned date is a correction
    of the plan; an agreed new date is a re-plan (deliverable_replan)."""
    unknown = set(changes) - set(FIELDS)
    if unknown:
        raise TypeError(f"deliverable_update: unknown fields {sorted(unknown)}")
    changes = _clean(changes)
    if all(getattr(deliverable, name) == value for name, value in changes.items()):
        return deliverable  # a row imported or pushed again: nothing to write
    before = _dates(deliverable)
    for name, value in changes.items():
        setattr(deliverable, name, value)
    return _save(deliverable, before=before, today=today)


def deliverable_delete(*, deliverable: Deliverable) -> None:
    with transaction.atomic():
        figures_changed(
            sender=Deliverable, vendor_id=deliverable.vendor_id, days=_dates(deliverable)
        )
        deliverable.delete()


def deliverable_replan(
    *,
    deliverable: Deliverable,
    replanned_on: dt.date | None,
    reason: str,
    user,
    now: dt.datetime | None = None,
) -> Deliverable:
    """Keeps a new date both sides agreed, with who, when and why."""
    reason = (reason or "").strip()
    errors: dict[str, str] = {}
    if deliverable.delivered_on is not None:
        errors["replanned_on"] = (
            f"It was delivered on {deliverable.delivered_on:%Y-%m-%d}: there is nothing to re-plan."
        )
    elif replanned_on is None:
        errors["replanned_on"] = "Give the agreed new date."
    elif replanned_on == deliverable.planned_on:
        errors["replanned_on"] = "That is the planned date: give the agreed new one."
    if not reason:
        errors["replanned_reason"] = "Say why the date moved (a line is enough)."
    if errors:
        raise ValidationError(errors)
    max_reason = Deliverable._meta.get_field("replanned_reason").max_length
    if len(reason) > max_reason:
        raise ValidationError({"replanned_reason": f"Keep it to {max_reason} characters."})
    before = _dates(deliverable)
    deliverable.replanned_on = replanned_on
    deliverable.replanned_reason = reason
    deliverable.replanned_by = user if getattr(user, "is_authenticated", False) else None
    deliverable.replanned_at = now or timezone.now()
    return _save(deliverable, before=before, today=None)


def deliverable_deliver(
    *, deliverable: Deliverable, delivered_on: dt.date | None, today: dt.date | None = None
) -> Deliverable:
    """Records the day it was delivered (early is fine; the future is refused)."""
    if delivered_on is None:
        raise ValidationError({"delivered_on": "Give the day it was delivered."})
    return deliverable_update(deliverable=deliverable, delivered_on=delivered_on, today=today)


def deliverable_upsert(
    *, vendor: Vendor, reference: str, today: dt.date | None = None, **values: Any
) -> tuple[Deliverable, bool]:
    """The vendor's deliverable with this reference updated with `values`, or a new one:
    (deliverable, created). Sending the same row twice changes nothing the second time."""
    reference = (reference or "").strip()
    if not reference:
        raise ValidationError({"reference": "Give the project tool's id of the deliverable."})
    existing = Deliverable.objects.filter(vendor=vendor, reference=reference).first()
    if existing is None:
        return (
            deliverable_create(vendor=vendor, reference=reference, today=today, **values),
            True,
        )
    return deliverable_update(deliverable=existing, today=today, **values), False
