"""The first-run checklist: which of a new install's steps are done (a vendor, its contract and
SLA, its tickets, its stored scorecard). Here, at the top layer, because it reads all three."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from scorecards.models import Scorecard
from tickets.models import Ticket
from vendors.models import Contract, Vendor


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


def setup_progress() -> SetupProgress:
    """The checklist's state in a handful of cheap `exists()` and first-row queries."""
    has_vendor = Vendor.objects.exists()
    has_contract = has_vendor and Contract.objects.exists()
    has_tickets = has_contract and Ticket.objects.exists()
    scorecard = Scorecard.objects.select_related("vendor").first() if has_tickets else None
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


@dataclass(frozen=True)
class Step:
    title: str
    detail: str
    url: str | None  # None until an earlier step gives it something to open
    done: bool


def first_run_steps() -> list[Step]:
    progress = setup_progress()
    if progress.vendor_without_contract is not None:
        contract_url = reverse("setup-contract-new", args=[progress.vendor_without_contract.slug])
    else:
        contract_url = reverse("setup-vendors") if progress.has_vendor else None
    scorecard = progress.scorecard_vendor
    return [
        Step(
            "Add a vendor",
            "Its name, a contact who receives breach warnings and review packs.",
            reverse("setup-vendor-new"),
            progress.has_vendor,
        ),
        Step(
            "Add its contract and SLA",
            "The monthly fee, the in-house baseline, score weights and credit tiers, and the "
            "SLA policy whose targets its tickets are measured against.",
            contract_url,
            progress.has_contract,
        ),
        Step(
            "Import its tickets",
            "Upload your help desk's export; you check the first rows before anything is saved.",
            reverse("imports"),
            progress.has_tickets,
        ),
        Step(
            "See its scorecard",
            "Figures appear once they are computed: nightly, or at once from Recompute.",
            reverse("vendor", args=[scorecard.slug]) if scorecard else None,
            progress.has_scorecard,
        ),
    ]
