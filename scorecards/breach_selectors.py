"""Reads for the breach list, its heat map and the disputes: the breaches as the scorecards
count them, and a ticket's disputes, alerts and pending recompute.

Every ticket query goes through `vendors.selectors` (`vendors_visible_to` or
`vendor_ids_visible_to`), and every breach query is bounded by (vendor ids, outcome time
range): the columns of the ticket_vendor_resp_out and ticket_vendor_resol_out indexes. A
breach's outcome time is its due time (METRICS.md attribution), so the range picks the
breaches that fell due in the period, open or not.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    CharField,
    Count,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.http import Http404

from common.periods import Period, PeriodKind
from scorecards.models import Alert, DirtyPeriod, Dispute
from tickets.models import Ticket
from tickets.selectors import KINDS
from vendors.models import Vendor
from vendors.selectors import (
    VendorIdIn,
    vendor_ids_visible_to,
    vendor_scope_q,
    vendors_visible_to,
)

# "none" = never disputed; the others are the status of the latest dispute of that breach.
DISPUTE_FILTERS = ("none", "open", "accepted", "rejected")

# Columns of a breach row, the same for both kinds so the two can be one UNION.
_ROW_FIELDS = (
    "id",
    "source",
    "external_id",
    "priority",
    "category",
    "status",
    "vendor__name",
    "contract__name",
    "technician__name",
)
_ROW_EXTRAS = ("kind", "due_at", "done_at", "late_seconds", "excluded", "dispute")


@dataclass(frozen=True)
class BreachQuery:
    """What the breach list and its heat map are narrowed to (all optional but the range)."""

    start: dt.datetime
    end: dt.datetime
    vendor_id: int | None = None
    contract_id: int | None = None
    priority: str | None = None
    category: str | None = None
    kind: str | None = None  # response | resolution | None for both
    dispute: str | None = None  # one of DISPUTE_FILTERS, or None for any

    @property
    def kinds(self) -> tuple[str, ...]:
        return (self.kind,) if self.kind in KINDS else KINDS


def _latest_dispute_status(kind: str) -> Subquery:
    latest = Dispute.objects.filter(ticket=OuterRef("pk"), target=kind).order_by("-raised_at")
    return Subquery(latest.values("status")[:1], output_field=CharField())


def _breach_vendors(*, user, query: BreachQuery) -> QuerySet[Vendor]:
    """The vendors whose breaches the query may list: those the user may see, narrowed to the
    chosen vendor and to the chosen contract's vendor (a ticket's vendor is its contract's,
    so a manager's ?contract= reads one vendor's range of the (vendor, outcome) index)."""
    vendors = vendors_visible_to(user)
    if query.vendor_id is not None:
        vendors = vendors.filter(pk=query.vendor_id)
    if query.contract_id is not None:
        vendors = vendors.filter(contracts=query.contract_id)
    return vendors


def _breaches_of_kind(*, user, query: BreachQuery, kind: str) -> QuerySet[Ticket]:
    """The tickets whose `kind` target fell due in the range without being met."""
    tickets = Ticket.objects.filter(
        # The rule as a constant (a vendor user's one id; nothing for staff), then the ids
        # the query allows as the index bound on the vendor column.
        vendor_scope_q(user),
        VendorIdIn(_breach_vendors(user=user, query=query)),
        **{
            f"{kind}_met": False,
            f"{kind}_outcome_at__gte": query.start,
            f"{kind}_outcome_at__lt": query.end,
        },
    )
    if query.vendor_id is not None:
        tickets = tickets.filter(vendor_id=query.vendor_id)
    if query.contract_id is not None:
        tickets = tickets.filter(contract_id=query.contract_id)
    if query.priority:
        tickets = tickets.filter(priority=query.priority)
    if query.category:
        tickets = tickets.filter(category=query.category)
    if query.dispute in DISPUTE_FILTERS:
        tickets = tickets.annotate(dispute_status=_latest_dispute_status(kind))
        if query.dispute == "none":
            tickets = tickets.filter(dispute_status__isnull=True)
        else:
            tickets = tickets.filter(dispute_status=query.dispute)
    return tickets


def breach_rows_for_user(*, user, query: BreachQuery) -> QuerySet:
    """One row (a dict) per breached target, newest due time first; slice it to paginate.

    Both kinds are one UNION query, so a page costs one query and its count one more.
    """
    parts = []
    for kind in query.kinds:
        target = F(f"{kind}_target_minutes") * 60
        taken = F("response_seconds" if kind == "response" else "resolution_seconds")
        parts.append(
            _breaches_of_kind(user=user, query=query, kind=kind)
            .annotate(
                kind=Value(kind, output_field=CharField()),
                due_at=F(f"{kind}_due_at"),
                done_at=F("first_response_at" if kind == "response" else "resolved_at"),
                # Business seconds beyond the target; null while the ticket is still pending.
                late_seconds=ExpressionWrapper(taken - target, output_field=IntegerField()),
                excluded=F(f"{kind}_excluded"),
                dispute=_latest_dispute_status(kind),
            )
            .values(*_ROW_FIELDS, *_ROW_EXTRAS)
            .order_by()
        )
    rows = parts[0] if len(parts) == 1 else parts[0].union(*parts[1:], all=True)
    return rows.order_by("-due_at", "-id", "kind")


def breach_heatmap_counts_for_user(*, user, query: BreachQuery) -> dict[tuple[int, int], int]:
    """{(weekday 0=Mon..6, hour 0..23): breaches} by local due time in the reporting zone."""
    zone = ZoneInfo(settings.REPORTING_TIME_ZONE)
    counts: Counter[tuple[int, int]] = Counter()
    for kind in query.kinds:
        due = f"{kind}_due_at"
        cells = (
            _breaches_of_kind(user=user, query=query, kind=kind)
            .annotate(
                weekday=ExtractIsoWeekDay(due, tzinfo=zone), hour=ExtractHour(due, tzinfo=zone)
            )
            .values("weekday", "hour")
            .annotate(n=Count("id"))
            .values_list("weekday", "hour", "n")
            .order_by()
        )
        for weekday, hour, n in cells:
            counts[(weekday - 1, hour)] += n
    return dict(counts)


def breach_categories_for_user(*, user, query: BreachQuery) -> list[str]:
    """The categories among the range's breaches (for the filter), whatever category is picked."""
    unfiltered = BreachQuery(
        start=query.start, end=query.end, vendor_id=query.vendor_id, contract_id=query.contract_id
    )
    names: set[str] = set()
    for kind in KINDS:
        names.update(
            _breaches_of_kind(user=user, query=unfiltered, kind=kind)
            .exclude(category="")
            .values_list("category", flat=True)
            .distinct()
            .order_by()
        )
    return sorted(names)


def ticket_disputes(*, ticket: Ticket) -> list[Dispute]:
    return list(
        Dispute.objects.filter(ticket=ticket)
        .select_related("raised_by", "decided_by")
        .order_by("raised_at", "pk")
    )


def ticket_alerts(*, ticket: Ticket) -> list[Alert]:
    return list(Alert.objects.filter(ticket=ticket).order_by("created_at"))


def ticket_recompute_pending(*, ticket: Ticket) -> bool:
    """Whether a month the ticket's figures fall in waits for its recompute (dirty)."""
    zone = settings.REPORTING_TIME_ZONE
    instants = [
        ticket.created_at,
        ticket.resolved_at,
        ticket.response_outcome_at,
        ticket.resolution_outcome_at,
    ]
    starts = {Period.at(PeriodKind.MONTH, i, zone).start for i in instants if i is not None}
    return DirtyPeriod.objects.filter(
        vendor_id=ticket.vendor_id, period_kind=PeriodKind.MONTH.value, period_start__in=starts
    ).exists()


# --- disputes -----------------------------------------------------------------------------------


def disputes_for_user(*, user, status: str | None = Dispute.Status.OPEN) -> QuerySet[Dispute]:
    """Disputes of the vendors the user may see, oldest open first (the queue to decide)."""
    disputes = Dispute.objects.filter(ticket__vendor_id__in=vendor_ids_visible_to(user))
    if status:
        disputes = disputes.filter(status=status)
    return disputes.select_related("ticket", "ticket__vendor", "raised_by", "decided_by").order_by(
        "raised_at", "pk"
    )


def dispute_get_for_user(*, user, dispute_id: int) -> Dispute:
    try:
        return Dispute.objects.select_related("ticket").get(
            pk=dispute_id, ticket__vendor_id__in=vendor_ids_visible_to(user)
        )
    except Dispute.DoesNotExist:
        raise Http404("No such dispute.") from None


def live_dispute_targets(disputes: list[Dispute]) -> set[str]:
    """Targets with an open or accepted dispute: those cannot be disputed again."""
    return {d.target for d in disputes if d.status in ("open", "accepted")}
