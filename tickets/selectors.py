"""Reads about one ticket: the ticket if the user may see it, its timeline, pauses, SLA clocks,
surveys and the source's own verdict.

Every ticket query goes through `vendors.selectors.vendor_ids_visible_to`. The breach list and
the ticket's disputes and alerts are the scorecards' (scorecards/breach_selectors.py).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.http import Http404
from django.utils import timezone

from tickets import facts as fx
from tickets.models import SurveyResponse, Ticket, TicketEvent
from vendors import sla
from vendors.selectors import vendor_ids_visible_to

KINDS = ("response", "resolution")
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


def ticket_surveys(*, ticket: Ticket) -> list[SurveyResponse]:
    return list(ticket.surveys.order_by("answered_at"))


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
