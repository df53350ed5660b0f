"""ServiceNow incident audit log (the UCI "incident management process enriched event log").

One row per update of an incident, rows of one incident consecutive and in update order. The
incident's final values (opened_at, resolved_at, closed_at, ...) are copied onto every row, so
they are read from its last row; the history (state, group, technician per update) becomes
events. `?` means missing. Times are `d/m/yyyy HH:MM` local times in the `time_zone` option.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO, NamedTuple

from tickets.ingest import files
from tickets.ingest.records import EventRecord, RowError, TicketRecord

COLUMNS = (
    "number",
    "incident_state",
    "sys_updated_at",
    "sys_updated_by",
    "opened_at",
    "priority",
    "assignment_group",
    "assigned_to",
    "resolved_at",
    "closed_at",
)
OPTIONAL_COLUMNS = (
    "active",
    "reassignment_count",
    "reopen_count",
    "sys_mod_count",
    "made_sla",
    "caller_id",
    "opened_by",
    "sys_created_by",
    "sys_created_at",
    "contact_type",
    "location",
    "category",
    "subcategory",
    "u_symptom",
    "cmdb_ci",
    "impact",
    "urgency",
    "knowledge",
    "u_priority_confirmation",
    "notify",
    "problem_id",
    "rfc",
    "vendor",
    "caused_by",
    "closed_code",
    "resolved_by",
)

MISSING = "?"

STATES = {
    "New": "new",
    "Active": "in_progress",
    "In Progress": "in_progress",
    "Awaiting User Info": "pending_customer",
    "Awaiting Caller": "pending_customer",
    "Awaiting Vendor": "awaiting_third_party",
    "Awaiting Problem": "on_hold",
    "Awaiting Evidence": "on_hold",
    "Awaiting Change": "on_hold",
    "On Hold": "on_hold",
    "Resolved": "resolved",
    "Closed": "closed",
    "Canceled": "cancelled",
    "Cancelled": "cancelled",
}
# The log has 5 rows in state -100 (no state recorded); they change no state, but their
# group/technician and time are still read.
SKIPPED_STATES = frozenset({"-100"})

PRIORITIES = {
    "1 - Critical": "P1",
    "2 - High": "P2",
    "3 - Moderate": "P3",
    "4 - Low": "P4",
    "5 - Planning": "P4",  # ServiceNow's fifth level; we have four
}
_PRIORITY_DIGIT = re.compile(r"^([1-5])(?:\s*-.*)?$")

CHANNELS = {
    "phone": "phone",
    "ivr": "phone",
    "email": "email",
    "self service": "portal",
    "self-service": "portal",
    "web": "portal",
    "chat": "chat",
    "direct opening": "walk_in",
    "walk-in": "walk_in",
    "monitoring": "monitoring",
    "event": "monitoring",
}

DONE = frozenset({"resolved", "closed", "cancelled"})
TIME_FORMAT = "d/m/yyyy HH:MM"


def _fast_time(value: str) -> datetime | None:
    """`29/2/2016 01:16` without strptime, which would dominate the run time."""
    try:
        date, clock = value.split(" ")
        day, month, year = date.split("/")
        hour, minute, *second = clock.split(":")
        seconds = int(second[0]) if len(second) == 1 else 0
        if len(second) > 1 or len(year) != 4:
            return None
        return datetime(int(year), int(month), int(day), int(hour), int(minute), seconds)
    except ValueError:
        return None


def read(
    stream: BinaryIO | str | os.PathLike[str],
    *,
    name: str = "",
    time_zone: str = "UTC",
    strict: bool = False,
    notes: list[str] | None = None,
) -> Iterator[TicketRecord | RowError]:
    """Tickets of a ServiceNow incident event log, one per incident, or RowErrors.

    Raises FormatError at once if the file cannot be read or lacks a required column;
    `notes` (if given) receives remarks such as columns not read. An incident with an
    unreadable value is skipped with a RowError; the rest of the file goes on.
    """
    parse = files.TimeParser(("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"), time_zone, fast=_fast_time)
    table = files.read_csv(stream, name=name)
    remarks = table.notes + files.check_columns(
        table.header, COLUMNS, OPTIONAL_COLUMNS, strict=strict
    )
    if notes is not None:
        notes.extend(remarks)
    return _records(table, parse)


def _records(table: files.Table, parse: files.TimeParser) -> Iterator[TicketRecord | RowError]:
    col = table.index()
    for item in files.group_rows(table.rows, col["number"], "number"):
        if isinstance(item, RowError):
            yield item
        else:
            yield _ticket(item[0], item[1], col, len(table.header), parse)


class _Bad(Exception):
    def __init__(self, row: int, column: str, reason: str) -> None:
        self.error = (row, column, reason)


def _value(cells: Sequence[str], col: dict[str, int], name: str) -> str:
    i = col.get(name)
    if i is None:
        return ""
    value = cells[i].strip()
    return "" if value == MISSING else value


def _time(
    cells: Sequence[str], col: dict[str, int], name: str, row: int, parse: files.TimeParser
) -> datetime | None:
    value = _value(cells, col, name)
    if not value:
        return None
    try:
        return parse(value)
    except ValueError:
        raise _Bad(row, name, f"cannot read the time {value!r} (expected {TIME_FORMAT})") from None


def _count(cells: Sequence[str], col: dict[str, int], name: str, row: int) -> int | None:
    value = _value(cells, col, name)
    try:
        return files.parse_count(value)
    except ValueError:
        raise _Bad(row, name, f"{value!r} is not a count") from None


def priority(value: str) -> str | None:
    """'1 - Critical' .. '4 - Low' (or a bare digit) -> P1..P4; None if unknown."""
    if value in PRIORITIES:
        return PRIORITIES[value]
    match = _PRIORITY_DIGIT.match(value)
    return f"P{min(int(match.group(1)), 4)}" if match else None


def _who(group: str, technician: str) -> str:
    return " / ".join(v for v in (group, technician) if v)


def _ticket(
    number: str,
    rows: list[tuple[int, list[str]]],
    col: dict[str, int],
    width: int,
    parse: files.TimeParser,
) -> TicketRecord | RowError:
    try:
        return _build(number, rows, col, width, parse)
    except _Bad as bad:
        row, column, reason = bad.error
        return RowError(row, column, reason, number)


class Update(NamedTuple):
    """An incident after one update: who made it, when, and who holds it in which state.

    The event log has one row per update; the Table API's sys_audit gives the changed fields
    of each update, from which the same snapshots are rebuilt (tickets.live.servicenow_tickets).
    Both read their updates into events here, so a file and the API cannot drift apart."""

    at: datetime
    actor: str
    group: str
    technician: str
    status: str | None  # our status after the update; None: the update recorded no state


@dataclass
class History:
    events: list[EventRecord]
    status: str  # after the last update
    resolved_at: datetime | None  # settled by the history (see `history`)
    closed_at: datetime | None
    last_at: datetime  # the last update's time (never before an earlier one's)
    last_group: str  # the last group named by an update


def history(
    created: datetime,
    opener: str,
    updates: Iterable[Update],
    *,
    resolved: datetime | None,
    closed: datetime | None,
) -> History:
    """An incident's events from its updates in order, and its final status and times."""
    events = [EventRecord(created, "created", "", "new", opener, by_vendor=False)]
    status, holder, previous_at = "new", ("", ""), created
    done_since: datetime | None = None
    last_group = ""
    for at, actor, group, technician, new in updates:
        # A few first updates are stamped before opened_at, and one incident has an update
        # stamped before the one before it: events keep the log's update order, and their
        # times never go back (so a first response is never before the ticket was opened).
        at = max(at, previous_at)
        previous_at = at

        last_group = group or last_group
        if (group or technician) and (group, technician) != holder:
            # Neither a technician cleared within the group nor one taking the ticket from
            # the group's queue is a (re)assignment: ServiceNow's reassignment_count agrees.
            dropped = not technician and group == holder[0]
            pickup = bool(holder[0]) and group == holder[0] and not holder[1]
            if not dropped:
                if not pickup:
                    old = _who(*holder)
                    events.append(EventRecord(at, "assigned", old, _who(group, technician), actor))
                holder = (group, technician)

        if new is None or new == status:
            continue
        if status in DONE and new not in DONE:
            kind, done_since = "reopened", None  # the caller rejected the resolution
        elif new == "resolved" or new == "closed":
            kind = new
        else:
            kind = "status_change"
        if new in DONE and status not in DONE:
            done_since = at
        events.append(EventRecord(at, kind, status, new, actor, by_vendor=kind != "reopened"))
        status = new

    if status in DONE:
        # 1,556 incidents are closed without resolved_at: their resolution is when they
        # were last completed (or closed_at), so their clocks stop.
        resolved = resolved or done_since or closed
    else:
        resolved = closed = None  # still open: an earlier resolution no longer stands
    if status != "closed":
        closed = None
    return History(events, status, resolved, closed, previous_at, last_group)


def _build(
    number: str,
    rows: list[tuple[int, list[str]]],
    col: dict[str, int],
    width: int,
    parse: files.TimeParser,
) -> TicketRecord | RowError:
    for row, cells in rows:
        if len(cells) != width:
            return files.width_error(row, cells, width, number)
    last_row, last = rows[-1]
    value = lambda name: _value(last, col, name)  # noqa: E731 (final values: the last row)

    raw_priority = value("priority")
    prio = priority(raw_priority)
    if prio is None:
        raise _Bad(last_row, "priority", f"unknown priority {raw_priority!r}")
    created = _time(last, col, "opened_at", last_row, parse)
    if created is None:
        raise _Bad(last_row, "opened_at", "opened_at is empty")
    resolved = _time(last, col, "resolved_at", last_row, parse)
    closed = _time(last, col, "closed_at", last_row, parse)
    for name, at in (("resolved_at", resolved), ("closed_at", closed)):
        if at is not None and at < created:
            label = name.removesuffix("_at")
            raise _Bad(
                last_row,
                name,
                f"{label} ({value(name)}) before it was opened ({value('opened_at')})",
            )

    opener = value("opened_by") or value("caller_id")
    updates = []
    for row, cells in rows:
        at = _time(cells, col, "sys_updated_at", row, parse)
        if at is None:
            raise _Bad(row, "sys_updated_at", "sys_updated_at is empty")
        state = cells[col["incident_state"]].strip()
        new = None if state in SKIPPED_STATES else STATES.get(state)
        if new is None and state not in SKIPPED_STATES:
            raise _Bad(row, "incident_state", f"unknown state {state!r}")
        group = _value(cells, col, "assignment_group")
        technician = _value(cells, col, "assigned_to")
        actor = _value(cells, col, "sys_updated_by")
        updates.append(Update(at, actor, group, technician, new))
    lived = history(created, opener, updates, resolved=resolved, closed=closed)

    made_sla = value("made_sla")
    try:
        sla_met = files.parse_bool(made_sla)
    except ValueError:
        raise _Bad(last_row, "made_sla", f"{made_sla!r} is not true/false") from None
    # Versions compare as strings upstream, so the count is zero-padded ("00000012").
    mods = _count(last, col, "sys_mod_count", last_row)
    version = f"{mods:08d}" if mods is not None else lived.last_at.isoformat()
    return TicketRecord(
        row=rows[0][0],
        last_row=last_row,
        external_id=number,
        attribution=value("assignment_group") or lived.last_group,
        priority=prio,
        status=lived.status,
        created_at=created,
        resolved_at=lived.resolved_at,
        closed_at=lived.closed_at,
        version=version,
        technician=value("assigned_to"),
        category=value("category"),
        requester=value("caller_id"),
        channel=CHANNELS.get(value("contact_type").lower(), "other"),
        events=lived.events,
        source_sla_met=sla_met,
        source_reopen_count=_count(last, col, "reopen_count", last_row),
        source_reassignment_count=_count(last, col, "reassignment_count", last_row),
    )
