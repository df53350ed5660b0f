"""Reads for the REST API about vendors, contracts, technicians and invoices.

Each one starts from `vendors_visible_to(user)`, so no filter applied later can widen it.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from vendors.models import Contract, CreditTier, Invoice, ScoreWeight, SlaTarget, Technician, Vendor
from vendors.selectors import vendor_ids_visible_to, vendors_visible_to


def vendors_for_api(*, user) -> QuerySet[Vendor]:
    return vendors_visible_to(user).order_by("name", "pk")


def contracts_for_api(*, user) -> QuerySet[Contract]:
    """Contracts with their SLA policy, targets, credit tiers and weights: 4 queries a page."""
    return (
        Contract.objects.filter(vendor_id__in=vendor_ids_visible_to(user))
        .select_related("sla_policy", "sla_policy__calendar")
        .prefetch_related(
            Prefetch("sla_policy__targets", queryset=SlaTarget.objects.order_by("priority")),
            Prefetch("credit_tiers", queryset=CreditTier.objects.order_by("metric", "threshold")),
            Prefetch("weights", queryset=ScoreWeight.objects.order_by("metric")),
        )
        .order_by("vendor_id", "name", "pk")
    )


def technicians_for_api(*, user) -> QuerySet[Technician]:
    return Technician.objects.filter(vendor_id__in=vendor_ids_visible_to(user)).order_by(
        "vendor_id", "name", "pk"
    )


def invoices_for_api(*, user) -> QuerySet[Invoice]:
    return (
        Invoice.objects.filter(vendor_id__in=vendor_ids_visible_to(user))
        .select_related("vendor", "contract")
        .order_by("-period_start", "vendor_id", "pk")
    )


def contract_get_visible(*, user, contract_id: int) -> Contract | None:
    """The contract if the user may see it, else None (the caller names the field)."""
    return (
        Contract.objects.filter(pk=contract_id, vendor_id__in=vendor_ids_visible_to(user))
        .select_related("vendor")
        .first()
    )
