"""Reads for the managers' set-up pages: vendors with their contracts, and whether the
install has a vendor at all."""

from __future__ import annotations

from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from vendors.models import Contract, SlaPolicy, Vendor


def install_has_no_vendor() -> bool:
    """True on a fresh install: the pages then send a manager to the first-run checklist."""
    return not Vendor.objects.exists()


def vendors_for_setup() -> QuerySet[Vendor]:
    """Every vendor, active or not, with how many contracts it has."""
    return Vendor.objects.annotate(contract_count=Count("contracts")).order_by("name")


def vendor_for_setup(*, slug: str) -> Vendor:
    return get_object_or_404(Vendor, slug=slug)


def contracts_of(*, vendor: Vendor) -> QuerySet[Contract]:
    return vendor.contracts.select_related("sla_policy").order_by("name")


def contract_for_setup(*, contract_id: int) -> Contract:
    return get_object_or_404(
        Contract.objects.select_related("vendor", "sla_policy"), pk=contract_id
    )


def sla_policies_for_choice() -> QuerySet[SlaPolicy]:
    return SlaPolicy.objects.select_related("calendar").order_by("name")
