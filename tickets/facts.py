"""Ticket facts of METRICS.md, derived from a ticket and its events.

Pure Python with no Django import: `tickets.services` feeds it model rows and stores what it
returns. Everything that is not a plain column of the source is decided here, once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from operator import attrgetter

from vendors import sla

# Normalised statuses (vendors.models.TicketStatus values), repeated here to stay Django-free.
DONE = frozenset({"resolved", "closed", "cancelled"})
IN_PROGRESS = "in_progress"
_AT = attrgetter("at")


@dataclass(frozen=True)
class Event:
    at: datetime
    kind: str  # tickets.models.EventKind value
    old_value: str = ""
    new_value: str = ""
    actor: str = ""
    by_vendor: bool = True


# TicketTimes, Pause and TicketFacts are built once per ticket, a million times on a large
# import: plain slotted dataclasses, as a frozen one's __init__ costs about four times as much.
@dataclass(slots=True)
class TicketTimes:
    created_at: datetime
    status: str
    first_response_at: datetime | None = None  # as the source reported it, if it did
    resolved_at: datetime | None = None
    source_fcr: bool | None = None
    source_reopen_count: int | None = None
    source_reassignment_count: int | None = None


@dataclass(frozen=True)
class Clocks:
    """The two SLA clocks of one ticket: calendars and targets copied from its policy."""

    response_calendar: sla.BusinessCalendar
    resolution_calendar: sla.BusinessCalendar
    response_target_seconds: int
    resolution_target_seconds: int
    pause_statuses: frozenset[str] = frozenset()


@dataclass(slots=True)
class Pause:
    start: datetime
    end: datetime
    reason: str  # the status that paused the clock


@dataclass(slots=True)
class TicketFacts:
    first_response_at: datetime | None
    response_due_at: datetime
    resolution_due_at: datetime
    response_seconds: int | None
    resolution_seconds: int | None
    resolution_seconds_raw: int | None
    paused_seconds: int
    response_met: bool | None
    resolution_met: bool | None
    response_outcome_at: datetime | None
    resolution_outcome_at: datetime | None
    reopen_count: int
    escalated: bool
    reassignment_count: int
    reply_count: int
    first_contact_resolution: bool | None
    pauses: tuple[Pause, ...] = field(default=())
    # The assignment (an `assigned` event's new value) holding the ticket when it was first
    # answered; the caller maps it to a technician (response figures are theirs).
    response_assignee: str | None = None


def derive_facts(
    ticket: TicketTimes, events: Sequence[Event], clocks: Clocks, *, now: datetime
) -> TicketFacts:
    """Every stored fact of one ticket as of `now` (which decides "breached while open")."""
    events = sorted(events, key=_AT)  # stable: same-instant events keep their order
    created, resolved = ticket.created_at, ticket.resolved_at
    clock_end = resolved or max(now, created)
    pause_statuses = clocks.pause_statuses

    # One pass over the events, a million times on an import, giving what first_response_at,
    # pause_intervals, reopen_count, reassignment_count and assignee_at give each alone.
    first_reply = first_progress = paused_since = current = None
    replies = reopens = reassignments = 0
    escalated = False
    previous = reason = ""
    raw_pauses: list[tuple[datetime, datetime, str]] = []
    assigned: list[Event] = []
    for e in events:
        kind = e.kind
        implied = _IMPLIED_STATUS.get(kind)
        if implied is not None:  # the status was set
            status = e.new_value or implied
            if status in pause_statuses:
                if paused_since is None:
                    paused_since, reason = e.at, status
            elif paused_since is not None:
                raw_pauses.append((paused_since, e.at, reason))
                paused_since = None
            before = previous or (e.old_value if kind == "reopened" else "")
            if before in DONE and status and status not in DONE:
                reopens += 1
            if status:
                previous = status
            if (
                first_progress is None
                and kind == "status_change"
                and e.new_value == IN_PROGRESS
                and e.by_vendor
            ):
                first_progress = e.at
        elif kind == "responded":
            if e.by_vendor:
                replies += 1
                if first_reply is None:
                    first_reply = e.at
        elif kind == "assigned":
            if current is not None and e.new_value != current:
                reassignments += 1
            current = e.new_value
            if current:
                assigned.append(e)
        elif kind == "escalated":
            escalated = True

    # The earliest reply (the source's own time only if strictly earlier, as min() picks).
    first_response = first_reply
    source_reply = ticket.first_response_at
    if source_reply is not None and (first_response is None or source_reply < first_response):
        first_response = source_reply
    if first_response is None:
        first_response = first_progress

    if paused_since is not None:
        raw_pauses.append((paused_since, max(paused_since, clock_end), reason))
    pauses, pause_spans = [], []
    for pause_start, pause_end, why in raw_pauses:
        lo, hi = max(pause_start, created), min(pause_end, clock_end)
        if lo < hi:
            pauses.append(Pause(lo, hi, why))
            pause_spans.append((lo, hi))

    if clocks.response_calendar is clocks.resolution_calendar and not pause_spans:
        # The common case, read in one call: what the calls below give.
        (response_due, resolution_due), (response_seconds, raw_to_end) = sla.clock_readings(
            clocks.response_calendar,
            created,
            (clocks.response_target_seconds, clocks.resolution_target_seconds),
            (first_response, clock_end),
        )
        net_to_end = raw_to_end
    else:
        response_due = sla.add_business_seconds(
            clocks.response_calendar, created, clocks.response_target_seconds
        )
        resolution_due = sla.add_business_seconds(
            clocks.resolution_calendar, created, clocks.resolution_target_seconds, pause_spans
        )
        response_seconds = (
            sla.business_seconds(clocks.response_calendar, created, first_response)
            if first_response
            else None
        )
        raw_to_end = sla.business_seconds(clocks.resolution_calendar, created, clock_end)
        net_to_end = (
            sla.business_seconds(clocks.resolution_calendar, created, clock_end, pause_spans)
            if pause_spans
            else raw_to_end
        )
    paused_seconds = raw_to_end - net_to_end

    response_met, response_outcome = outcome(first_response, response_due, now)
    resolution_met, resolution_outcome = outcome(resolved, resolution_due, now)

    reopens = max(reopens, ticket.source_reopen_count or 0)
    reassignments = max(reassignments, ticket.source_reassignment_count or 0)

    # first_contact_resolution(), inline
    if resolved is None:
        fcr = None
    elif ticket.source_fcr is not None:
        fcr = ticket.source_fcr
    else:
        fcr = reopens == 0 and not escalated and reassignments == 0 and replies <= 1

    # The assignment holding the ticket when it was answered (assignee_at on `assigned`).
    response_assignee = None
    if first_response and assigned:
        holder = assigned[0]
        for e in assigned:
            if e.at <= first_response:
                holder = e
        response_assignee = holder.new_value

    # Positional, in field order: keywords cost three times as much, a million times over.
    return TicketFacts(
        first_response,  # first_response_at
        response_due,  # response_due_at
        resolution_due,  # resolution_due_at
        response_seconds,  # response_seconds
        net_to_end if resolved else None,  # resolution_seconds
        raw_to_end if resolved else None,  # resolution_seconds_raw
        paused_seconds,  # paused_seconds
        response_met,  # response_met
        resolution_met,  # resolution_met
        response_outcome,  # response_outcome_at
        resolution_outcome,  # resolution_outcome_at
        reopens,  # reopen_count
        escalated,  # escalated
        reassignments,  # reassignment_count
        replies,  # reply_count
        fcr,  # first_contact_resolution
        tuple(pauses),  # pauses
        response_assignee,  # response_assignee
    )


def outcome(done_at: datetime | None, due_at: datetime, now: datetime):
    """(met, when it became final): met by the due time, breached once it passed, else pending."""
    if done_at is not None and done_at <= due_at:
        return True, done_at
    if done_at is not None or now > due_at:
        return False, due_at
    return None, None


def first_response_at(ticket: TicketTimes, events: Sequence[Event]) -> datetime | None:
    """First vendor reply or acknowledgement; failing that, the first move to in-progress."""
    replies = [e.at for e in events if e.kind == "responded" and e.by_vendor]
    if ticket.first_response_at is not None:
        replies.append(ticket.first_response_at)
    if replies:
        return min(replies)
    for e in events:
        if e.kind == "status_change" and e.new_value == IN_PROGRESS and e.by_vendor:
            return e.at
    return None


def status_timeline(events: Iterable[Event]) -> list[tuple[datetime, str]]:
    """(time, status) each time the status was set, from status, pause and reopen events."""
    timeline = []
    for e in events:
        if e.kind in ("status_change", "paused", "resumed", "reopened", "resolved", "closed"):
            status = e.new_value or _IMPLIED_STATUS[e.kind]
            timeline.append((e.at, status))
    return timeline


_IMPLIED_STATUS = {
    "status_change": "",
    "paused": "on_hold",
    "resumed": IN_PROGRESS,
    "reopened": IN_PROGRESS,
    "resolved": "resolved",
    "closed": "closed",
}


def pause_intervals(
    events: Iterable[Event], pause_statuses: frozenset[str], start: datetime, end: datetime
) -> list[Pause]:
    """Spans spent in a pause status, clipped to [start, end]; a pause still on runs to `end`."""
    pauses: list[Pause] = []
    paused_since: datetime | None = None
    reason = ""
    for at, status in status_timeline(events):
        if status in pause_statuses and paused_since is None:
            paused_since, reason = at, status
        elif status not in pause_statuses and paused_since is not None:
            pauses.append(Pause(paused_since, at, reason))
            paused_since = None
    if paused_since is not None:
        pauses.append(Pause(paused_since, max(paused_since, end), reason))
    clipped = []
    for p in pauses:
        s, e = max(p.start, start), min(p.end, end)
        if s < e:
            clipped.append(Pause(s, e, p.reason))
    return clipped


def reopen_count(events: Iterable[Event]) -> int:
    """Moves from resolved/closed back to an open status.

    A `reopened` event whose history before it is unknown (a one-row export has no resolved
    event to go back from) counts by what it says it left: its old value.
    """
    count, previous = 0, ""
    for e in events:
        if e.kind not in _IMPLIED_STATUS:
            continue
        status = e.new_value or _IMPLIED_STATUS[e.kind]
        before = previous or (e.old_value if e.kind == "reopened" else "")
        if before in DONE and status and status not in DONE:
            count += 1
        if status:
            previous = status
    return count


def assignee_at(events: Sequence[Event], at: datetime) -> str | None:
    """Who held the ticket at `at` (events in time order): the latest assignment at or before
    it, else the first one after it (a reply before the dispatch was logged is the first
    assignee's); None if it was never assigned."""
    assigned = [e for e in events if e.kind == "assigned" and e.new_value]
    if not assigned:
        return None
    before = [e for e in assigned if e.at <= at]
    return (before[-1] if before else assigned[0]).new_value


def assignee_names(value: str) -> list[str]:
    """The names an assignment may know its technician by, most specific first: ServiceNow's
    "group / technician" names the technician last; other sources name them alone."""
    value = value.strip()
    names = [value] if value else []
    if " / " in value:
        names.insert(0, value.rsplit(" / ", 1)[1].strip())
    return names


def reassignment_count(events: Iterable[Event]) -> int:
    """Changes of assigned group or technician after the first assignment."""
    count, current = 0, None
    for e in events:
        if e.kind != "assigned":
            continue
        if current is not None and e.new_value != current:
            count += 1
        current = e.new_value
    return count


def first_contact_resolution(
    ticket: TicketTimes, *, reopens: int, escalated: bool, reassignments: int, replies: int
) -> bool | None:
    """The source's own flag where it has one; otherwise clean and at most one vendor reply."""
    if ticket.resolved_at is None:
        return None
    if ticket.source_fcr is not None:
        return ticket.source_fcr
    return reopens == 0 and not escalated and reassignments == 0 and replies <= 1
