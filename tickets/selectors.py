"""Reads for the breach and ticket pages.

Every ticket query goes through `vendors.selectors.vendor_ids_visible_to`, and every breach
query is bounded by (vendor, outcome time range): the columns of the ticket_vendor_resp_out and
ticket_vendor_resol_out indexes. A breach's outcome time is its due time (METRICS.md
attribution), so the range picks the breaches that fell due in the period, open or not.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
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
from django.utils import timezone

from scorecards.models import Alert, DirtyPeriod, Dispute
from scorecards.periods import Period, PeriodKind
from tickets import facts as fx
from tickets import sla
from tickets.models import SurveyResponse, Ticket, TicketEvent
from vendors.selectors import vendor_ids_visible_to

KINDS = ("response", "resolution")
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


def _breaches_of_kind(*, visible: QuerySet, query: BreachQuery, kind: str) -> QuerySet[Ticket]:
    """The tickets whose `kind` target fell due in the range without being met."""
    tickets = Ticket.objects.filter(
        vendor_id__in=visible,
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
    visible = vendor_ids_visible_to(user)
    parts = []
    for kind in query.kinds:
        target = F(f"{kind}_target_minutes") * 60
        taken = F("response_seconds" if kind == "response" else "resolution_seconds")
        parts.append(
            _breaches_of_kind(visible=visible, query=query, kind=kind)
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
    visible = vendor_ids_visible_to(user)
    zone = ZoneInfo(settings.REPORTING_TIME_ZONE)
    counts: Counter[tuple[int, int]] = Counter()
    for kind in query.kinds:
        due = f"{kind}_due_at"
        cells = (
            _breaches_of_kind(visible=visible, query=query, kind=kind)
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
    visible = vendor_ids_visible_to(user)
    unfiltered = BreachQuery(
        start=query.start, end=query.end, vendor_id=query.vendor_id, contract_id=query.contract_id
    )
    names: set[str] = set()
    for kind in KINDS:
        names.update(
            _breaches_of_kind(visible=visible, query=unfiltered, kind=kind)
            .exclude(category="")
            .values_list("category", flat=True)
            .distinct()
            .order_by()
        )
    return sorted(names)


# --- one ticket ---------------------------------------------------------------------------------


def ticket_get_for_user(*, user, ticket_id: int) -> Ticket:
    """The ticket if the user may see its vendor, else 404 (never 403: ids do not leak)."""
    try:
        return Ticket.objects.select_related(
            "vendor", "contract", "contract__sla_policy", "technician"
        ).get(pk=ticket_id, vendor_id__in=vendor_ids_visible_to(user))
    except Ticket.DoesNotExist:
        raise Http404("No such ticket.") from None


def ticket_timeline(*, ticket: Ticket) -> list[TicketEvent]:
    """The ticket's events in the order they happened."""
    return list(ticket.events.order_by("at", "seq", "pk"))


@dataclass(frozen=True)
class Clock:
    """One SLA clock of a ticket as the page shows it."""

    kind: str
    target_minutes: int
    due_at: dt.datetime
    done_at: dt.datetime | None
    met: bool | None
    seconds: int | None  # business seconds taken (net of pauses for resolution)
    late_seconds: int | None  # business seconds past due: final, or so far while open
    excluded: bool
    disputable: bool

    @property
    def state(self) -> str:
        if self.excluded:
            return "excluded"
        return {True: "met", False: "breached", None: "open"}[self.met]


def breach_rows_open_lateness(rows: list[dict], *, now: dt.datetime | None = None) -> list[dict]:
    """Fills in `late_seconds` of the breaches among `rows` (one page) still open, with their
    business lateness so far as the ticket page measures it (calendar, and pauses for the
    resolution clock). Two queries, for the page's open breaches only."""
    ids = {r["id"] for r in rows if r["late_seconds"] is None}
    if not ids:
        return rows
    now = now or timezone.now()
    tickets = Ticket.objects.select_related("contract__sla_policy").in_bulk(ids)
    events: dict[int, list[TicketEvent]] = defaultdict(list)
    for event in TicketEvent.objects.filter(ticket_id__in=ids).order_by("ticket_id", "at", "seq"):
        events[event.ticket_id].append(event)
    from tickets.services import ClockBook  # the clock builder lives with the writes

    book = ClockBook()
    late = {}
    for pk, ticket in tickets.items():
        pauses = ticket_pauses(ticket=ticket, events=events[pk], now=now)
        for clock in ticket_clocks(ticket=ticket, pauses=pauses, now=now, book=book):
            late[pk, clock.kind] = clock.late_seconds
    for row in rows:
        if row["late_seconds"] is None:
            row["late_seconds"] = late.get((row["id"], row["kind"]))
    return rows


def ticket_pauses(
    *, ticket: Ticket, events: list[TicketEvent], now: dt.datetime | None = None
) -> list[fx.Pause]:
    """The spans the resolution clock stood still, each with its status as the reason."""
    policy = ticket.contract.sla_policy
    statuses = frozenset(policy.pause_statuses if policy else ())
    end = ticket.resolved_at or max(now or timezone.now(), ticket.created_at)
    return fx.pause_intervals(
        [fx.Event(e.at, e.kind, e.old_value, e.new_value, e.actor, e.by_vendor) for e in events],
        statuses,
        ticket.created_at,
        end,
    )


def ticket_clocks(
    *, ticket: Ticket, pauses: list[fx.Pause], now: dt.datetime | None = None, book=None
) -> list[Clock]:
    """Both clocks. A breach still open has its lateness so far measured on the calendar
    (`book`: a ClockBook to share across tickets, so their calendars are read once)."""
    from tickets.services import ClockBook  # the clock builder lives with the writes

    now = now or timezone.now()
    clocks = None
    out = []
    for kind in KINDS:
        met = getattr(ticket, f"{kind}_met")
        due = getattr(ticket, f"{kind}_due_at")
        target = getattr(ticket, f"{kind}_target_minutes")
        done = ticket.first_response_at if kind == "response" else ticket.resolved_at
        seconds = ticket.response_seconds if kind == "response" else ticket.resolution_seconds
        late = None
        if met is False and seconds is not None:
            late = max(seconds - target * 60, 0)
        elif met is False and ticket.contract.sla_policy_id:
            clocks = clocks or (book or ClockBook()).clocks(ticket)
            calendar = getattr(clocks, f"{kind}_calendar")
            spans = [] if kind == "response" else [(p.start, p.end) for p in pauses]
            late = sla.business_seconds(calendar, due, max(now, due), spans)
        out.append(
            Clock(
                kind=kind,
                target_minutes=target,
                due_at=due,
                done_at=done,
                met=met,
                seconds=seconds,
                late_seconds=late,
                excluded=getattr(ticket, f"{kind}_excluded"),
                disputable=met is False,
            )
        )
    return out


def ticket_disputes(*, ticket: Ticket) -> list[Dispute]:
    return list(
        Dispute.objects.filter(ticket=ticket)
        .select_related("raised_by", "decided_by")
        .order_by("raised_at", "pk")
    )


def ticket_surveys(*, ticket: Ticket) -> list[SurveyResponse]:
    return list(ticket.surveys.order_by("answered_at"))


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


def source_sla_disagreement(*, ticket: Ticket) -> str | None:
    """What the source said about the SLA where it differs from our result, else None.

    The source's flag (ServiceNow's made_sla and the like) covers the ticket as a whole, so
    it is compared with "both targets met"; a pending target is not compared.
    """
    if ticket.source_sla_met is None:
        return None
    ours = (ticket.response_met, ticket.resolution_met)
    if None in ours:
        return None
    ours_met = all(ours)
    if ours_met == ticket.source_sla_met:
        return None
    said = "met" if ticket.source_sla_met else "breached"
    we = "met" if ours_met else "breached"
    return f"{ticket.source} says the SLA was {said}; by this contract's SLA clocks it was {we}."


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
