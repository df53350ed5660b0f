"""Volvo IT VINST incident log (BPI Challenge 2013, IBM's CSV with 5 derived columns).

One row per status change of a service request; rows of one request consecutive and in time
order. Status + Sub Status give the status, the support team (`Involved ST`, suffix ` 2nd` /
` 3rd` for 2nd/3rd-line teams) gives assignments and escalations, the owner the technician.
Times are ISO 8601 with a fixed +01:00 offset (also in summer), read as such.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import BinaryIO

from tickets.ingest import files
from tickets.ingest.records import EventRecord, RowError, TicketRecord

COLUMNS = (
    "SR Number",
    "Change Date+Time",
    "Status",
    "Sub Status",
    "Involved ST",
    "Involved Org line 3",
    "SR Latest Impact",
    "Owner First Name",
)
OPTIONAL_COLUMNS = (
    "Activity",
    "Activity Level",
    "Involved ST Function Div",
    "Involved ST 2",
    "ST Level",
    "Product",
    "Country",
    "Owner Country",
    "Resource",
)

STATUSES = {
    ("Accepted", "In Progress"): "in_progress",
    ("Accepted", "Assigned"): "assigned",
    # Waiting in a team's queue for someone to take it: assigned to the team, not yet worked.
    ("Queued", "Awaiting Assignment"): "assigned",
    ("Accepted", "Wait - User"): "pending_customer",
    ("Accepted", "Wait - Customer"): "pending_customer",
    ("Accepted", "Wait - Vendor"): "awaiting_third_party",
    ("Accepted", "Wait"): "on_hold",
    ("Accepted", "Wait - Implementation"): "on_hold",
    ("Completed", "Resolved"): "resolved",
    ("Completed", "Closed"): "closed",
    # Solved during the call at the service desk: resolved, with no later close logged.
    ("Completed", "In Call"): "resolved",
    ("Completed", "Cancelled"): "cancelled",
}
# 5 rows are Unmatched-Unmatched (no status recorded): they change no status, but their team
# and owner are still read.
SKIPPED_STATUSES = frozenset({("Unmatched", "Unmatched")})

PRIORITIES = {"Major": "P1", "High": "P2", "Medium": "P3", "Low": "P4"}
ATTRIBUTE_BY = ("org_line", "team")
SYSTEM_OWNER = "Siebel"  # the system account, not a technician
DONE = frozenset({"resolved", "closed", "cancelled"})


def fix_name(text: str) -> str:
    """Undo the Mac Roman / Latin-1 mix-up of the export ('Bjˆrn' -> 'Björn') where it is one.

    The fix applies only if it round-trips and yields no control characters, so a name that
    was right already is left alone.
    """
    if text.isascii():
        return text
    try:
        fixed = text.encode("mac_roman").decode("latin-1")
    except UnicodeEncodeError:
        return text
    if any("\x80" <= c <= "\x9f" for c in fixed):
        return text
    return fixed


def line(team: str) -> int:
    """The support line of a team from its suffix: ' 3rd' -> 3, ' 2nd' -> 2, else 1."""
    if team.endswith(" 3rd"):
        return 3
    if team.endswith(" 2nd"):
        return 2
    return 1


def team_name(team: str) -> str:
    """The team without its line suffix ('V5 3rd' -> 'V5', 'V13 2nd 3rd' -> 'V13')."""
    words = team.split()
    while len(words) > 1 and words[-1] in ("2nd", "3rd"):
        words.pop()
    return " ".join(words)


def read(
    stream: BinaryIO | str | os.PathLike[str],
    *,
    name: str = "",
    attribute_by: str = "org_line",
    strict: bool = False,
    notes: list[str] | None = None,
) -> Iterator[TicketRecord | RowError]:
    """Tickets of a VINST event log, one per service request, or RowErrors.

    `attribute_by`: "org_line" (default) attributes a ticket to the `Involved Org line 3` of
    its first event, "team" to the support team of its first event (without line suffix).
    Raises FormatError at once for an unreadable file or missing columns.
    """
    if attribute_by not in ATTRIBUTE_BY:
        raise ValueError(f"attribute_by must be one of {', '.join(ATTRIBUTE_BY)}")
    table = files.read_csv(stream, name=name)
    remarks = table.notes + files.check_columns(
        table.header, COLUMNS, OPTIONAL_COLUMNS, strict=strict
    )
    if notes is not None:
        notes.extend(remarks)
    return _records(table, attribute_by)


def _records(table: files.Table, attribute_by: str) -> Iterator[TicketRecord | RowError]:
    col = table.index()
    parse = files.TimeParser(("iso",))  # the offset is in every stamp
    for item in files.group_rows(table.rows, col["SR Number"], "SR Number"):
        if isinstance(item, RowError):
            yield item
            continue
        number, rows = item
        try:
            yield _build(number, rows, col, len(table.header), parse, attribute_by)
        except _Bad as bad:
            yield RowError(*bad.error, external_id=number)


class _Bad(Exception):
    def __init__(self, row: int, column: str, reason: str) -> None:
        self.error = (row, column, reason)


def _owner(cells: Sequence[str], col: dict[str, int]) -> str:
    """The owner as `country-Name` (the Resource column), names repaired; '' for the system."""
    first = fix_name(cells[col["Owner First Name"]].strip())
    if not first or first == SYSTEM_OWNER:
        return ""
    resource = fix_name(cells[col["Resource"]].strip()) if "Resource" in col else ""
    if resource:
        return resource
    country = cells[col["Country"]].strip() if "Country" in col else ""
    return f"{country}-{first}" if country else first


def _build(
    number: str,
    rows: list[tuple[int, list[str]]],
    col: dict[str, int],
    width: int,
    parse: files.TimeParser,
    attribute_by: str,
) -> TicketRecord:
    for row, cells in rows:
        if len(cells) != width:
            raise _Bad(row, "", files.width_error(row, cells, width).reason)
    first_row, first = rows[0]
    last_row, last = rows[-1]
    impact = last[col["SR Latest Impact"]].strip()
    priority = PRIORITIES.get(impact)
    if priority is None:
        raise _Bad(last_row, "SR Latest Impact", f"unknown impact {impact!r}")

    events: list[EventRecord] = []
    created: datetime | None = None
    status, team, level, technician = "new", "", 1, ""
    done_since: datetime | None = None
    closed_at: datetime | None = None
    previous_at: datetime | None = None
    for row, cells in rows:
        stamp = cells[col["Change Date+Time"]].strip()
        try:
            at = parse(stamp)
        except ValueError:
            raise _Bad(
                row, "Change Date+Time", f"cannot read the time {stamp!r} (expected ISO 8601)"
            ) from None
        if previous_at is not None and at < previous_at:
            raise _Bad(row, "Change Date+Time", "earlier than the change before it")
        previous_at = at
        if created is None:
            # The log has no creation stamp: a request exists from its first logged change.
            created = at
            events.append(EventRecord(at, "created", "", "new", "", by_vendor=False))
        owner = _owner(cells, col)
        technician = owner or technician
        by_vendor = bool(owner)

        new_team = cells[col["Involved ST"]].strip()
        if new_team and new_team != team:
            events.append(EventRecord(at, "assigned", team, new_team, owner, by_vendor))
            # Escalation = pushed to a higher support line. A request whose first logged team
            # is already 2nd/3rd line was pushed there before it was logged (old value '').
            if line(new_team) > level:
                events.append(EventRecord(at, "escalated", team, new_team, owner, by_vendor))
            team, level = new_team, line(new_team)

        pair = (cells[col["Status"]].strip(), cells[col["Sub Status"]].strip())
        if pair in SKIPPED_STATUSES:
            continue
        new = STATUSES.get(pair)
        if new is None:
            raise _Bad(row, "Sub Status", f"unknown status {pair[0] + '-' + pair[1]!r}")
        if new == status:
            continue
        if status in DONE and new not in DONE:
            kind, done_since, closed_at = "reopened", None, None
        elif new in ("resolved", "closed"):
            kind = new
        else:
            kind = "status_change"
        if new in DONE and status not in DONE:
            done_since = at
        if new == "closed":
            closed_at = at
        events.append(EventRecord(at, kind, status, new, owner, by_vendor))
        status = new

    assert created is not None and previous_at is not None
    if attribute_by == "org_line":
        attribution = first[col["Involved Org line 3"]].strip()
    else:
        attribution = team_name(first[col["Involved ST"]].strip())
    return TicketRecord(
        row=first_row,
        last_row=last_row,
        external_id=number,
        attribution=attribution,
        priority=priority,
        status=status,
        created_at=created,
        resolved_at=done_since if status in DONE else None,
        closed_at=closed_at if status == "closed" else None,
        version=previous_at.isoformat(),
        technician=technician,
        category=last[col["Product"]].strip() if "Product" in col else "",
        events=events,
    )
