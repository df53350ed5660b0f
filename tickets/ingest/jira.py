"""Jira Service Management issue export ("Export > CSV (all fields)"), one issue per row.

A Jira CSV has no history, so each ticket's events are synthesised from its timestamps (see
one_row.one_row_ticket). Jira repeats a column once per value for multi-valued fields
(`Component/s`, `Labels`, ...); those are joined, other duplicates read their first column.
Times look like `23/Nov/26 9:45 AM` (Jira's default) or `2026-11-23 09:45`, in the
`time_zone` option.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from typing import BinaryIO

from tickets.ingest import files
from tickets.ingest.one_row import RowProblem, one_row_ticket, survey_record, tickets_by_row
from tickets.ingest.records import PRIORITIES, STATUSES, RowError, TicketRecord

COLUMNS = ("Issue key", "Status", "Priority", "Created", "Updated")
SATISFACTION = "Custom field (Satisfaction rating)"
SATISFACTION_DATE = "Custom field (Satisfaction date)"
FIRST_RESPONSE = "Custom field (Time to first response)"
REQUEST_TYPE = "Custom field (Customer Request Type)"
OPTIONAL_COLUMNS = (
    "Issue id",
    "Summary",
    "Issue Type",
    "Assignee",
    "Reporter",
    "Creator",
    "Resolved",
    "Resolution",
    "Project key",
    "Project name",
    "Project type",
    "Status Category",
    "Description",
    "Labels",
    "Component/s",
    "Watchers",
    "Last Viewed",
    "Due date",
    "Custom field (Team)",
    "Team",
    "Custom field (Request participants)",
    SATISFACTION,
    SATISFACTION_DATE,
    REQUEST_TYPE,
    FIRST_RESPONSE,
    "Custom field (Time to resolution)",
)
# Where a ticket's attribution comes from when `attribute_by` is not given: the first of
# these columns the file has.
ATTRIBUTION_COLUMNS = ("Custom field (Team)", "Team", "Project name", "Project key")

STATUSES_MAP = {
    "open": "new",
    "to do": "new",
    "new": "new",
    "waiting for triage": "new",
    "in progress": "in_progress",
    "work in progress": "in_progress",
    "under investigation": "in_progress",
    "waiting for support": "in_progress",  # the ball is in the support team's court
    "reopened": "in_progress",
    "escalated": "in_progress",  # plus an escalated event
    "waiting for customer": "pending_customer",
    "pending": "on_hold",
    "on hold": "on_hold",
    "resolved": "resolved",
    "done": "resolved",
    "closed": "closed",
    "canceled": "cancelled",
    "cancelled": "cancelled",
    "declined": "cancelled",
}
ESCALATED_STATUSES = frozenset({"escalated"})
REOPENED_STATUSES = frozenset({"reopened"})

# Jira Cloud's Highest..Lowest and the classic Blocker..Trivial, five levels onto our four.
PRIORITIES_MAP = {
    "highest": "P1",
    "blocker": "P1",
    "high": "P2",
    "critical": "P2",
    "medium": "P3",
    "major": "P3",
    "low": "P4",
    "minor": "P4",
    "lowest": "P4",
    "trivial": "P4",
}
MULTI_VALUED = frozenset({"Component/s", "Labels", "Watchers"})

_MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_JIRA_TIME = re.compile(
    r"^(\d{1,2})/([A-Za-z]{3})/(\d{2}|\d{4})\s+(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp][Mm])?$"
)
_DURATION = re.compile(r"^\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m(?:in)?)?\s*$")


def jira_time(value: str) -> datetime | None:
    """`23/Nov/26 9:45 AM` (English month names whatever the locale); None if not that form."""
    match = _JIRA_TIME.match(value)
    if not match:
        return None
    day, month, year, hour, minute, second, half = match.groups()
    month_number = _MONTHS.get(month.lower())
    if month_number is None:
        return None
    hour_number = int(hour)
    if half:
        if not 1 <= hour_number <= 12:
            return None
        hour_number = hour_number % 12 + (12 if half.lower() == "pm" else 0)
    full_year = int(year) + (2000 if len(year) == 2 else 0)
    try:
        return datetime(
            full_year, month_number, int(day), hour_number, int(minute), int(second or 0)
        )
    except ValueError:
        return None


def read(
    stream: BinaryIO | str | os.PathLike[str],
    *,
    name: str = "",
    time_zone: str = "UTC",
    time_format: str | None = None,
    attribute_by: str | None = None,
    status_map: Mapping[str, str] | None = None,
    priority_map: Mapping[str, str] | None = None,
    strict: bool = False,
    notes: list[str] | None = None,
) -> Iterator[TicketRecord | RowError]:
    """Tickets of a Jira (Service Management) CSV export, one per issue, or RowErrors.

    attribute_by: the column a ticket is attributed by; default the first of
    ATTRIBUTION_COLUMNS present. status_map / priority_map add or override spellings (their
    value -> ours) for custom workflows. time_format: an extra strptime pattern tried first.
    """
    formats = ((time_format,) if time_format else ()) + (
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        "iso",
    )
    parse = files.TimeParser(formats, time_zone, fast=jira_time)
    statuses = spellings(STATUSES_MAP, status_map, STATUSES, "status_map")
    priorities = spellings(PRIORITIES_MAP, priority_map, PRIORITIES, "priority_map")
    table = files.read_csv(stream, name=name)
    if attribute_by is None:
        attribute_by = next((c for c in ATTRIBUTION_COLUMNS if c in table.header), None)
        if attribute_by is None:
            files.check_columns(table.header, COLUMNS, OPTIONAL_COLUMNS)  # worse problems first
            raise files.FormatError(
                "no column to attribute tickets by: pass attribute_by (looked for "
                + ", ".join(ATTRIBUTION_COLUMNS)
                + ")"
            )
    remarks = table.notes + files.check_columns(
        table.header, (*COLUMNS, attribute_by), OPTIONAL_COLUMNS, strict=strict
    )
    remarks = [r for r in remarks if not r.startswith("duplicate columns")]  # Jira's normal
    if notes is not None:
        notes.append(f"tickets attributed by {attribute_by!r}")
        notes.extend(remarks)
    return _records(table, parse, statuses, priorities, attribute_by)


def spellings(
    defaults: dict[str, str], extra: Mapping[str, str] | None, allowed: tuple[str, ...], what: str
) -> dict[str, str]:
    """The reader's spellings of a value with a source's own added (the connector's too)."""
    spellings = dict(defaults)
    for theirs, ours in (extra or {}).items():
        if ours not in allowed:
            raise ValueError(f"{what}: {ours!r} is not one of {', '.join(allowed)}")
        spellings[theirs.strip().casefold()] = ours
    return spellings


def _records(
    table: files.Table,
    parse: files.TimeParser,
    statuses: dict[str, str],
    priorities: dict[str, str],
    attribute_by: str,
) -> Iterator[TicketRecord | RowError]:
    positions: dict[str, list[int]] = {}
    for i, column in enumerate(table.header):
        positions.setdefault(column, []).append(i)
    width = len(table.header)
    yield from tickets_by_row(
        table.rows,
        width=width,
        id_index=positions["Issue key"][0],
        id_column="Issue key",
        build=lambda row, cells, external_id: _ticket(
            row, cells, external_id, positions, parse, statuses, priorities, attribute_by
        ),
    )


def _ticket(
    row: int,
    cells: list[str],
    external_id: str,
    positions: dict[str, list[int]],
    parse: files.TimeParser,
    statuses: dict[str, str],
    priorities: dict[str, str],
    attribute_by: str,
) -> TicketRecord:
    def text(column: str) -> str:
        found = [cells[i].strip() for i in positions.get(column, ())]
        if column in MULTI_VALUED:
            return ", ".join(v for v in found if v)
        return found[0] if found else ""

    def time(column: str) -> datetime | None:
        value = text(column)
        if not value:
            return None
        try:
            return parse(value)
        except ValueError:
            raise RowProblem(
                column,
                f"cannot read the time {value!r} (expected like 23/Nov/26 9:45 AM or "
                f"{parse.describe()})",
            ) from None

    raw_status = text("Status")
    status = statuses.get(raw_status.casefold())
    if status is None:
        raise RowProblem("Status", f"unknown status {raw_status!r} (map it with status_map)")
    raw_priority = text("Priority")
    priority = priorities.get(raw_priority.casefold())
    if priority is None:
        raise RowProblem("Priority", f"unknown priority {raw_priority!r}")
    created = time("Created")
    if created is None:
        raise RowProblem("Created", "empty Created")
    updated = time("Updated")
    resolved = time("Resolved")

    first_response = None
    if text(FIRST_RESPONSE):
        first_response = _first_response(text(FIRST_RESPONSE), created, parse)

    score = None
    if text(SATISFACTION):
        try:
            score = int(float(text(SATISFACTION)))
        except ValueError:
            raise RowProblem(SATISFACTION, f"{text(SATISFACTION)!r} is not a rating") from None
    answered = time(SATISFACTION_DATE) or resolved or updated

    category = text(REQUEST_TYPE) or text("Component/s") or text("Issue Type")
    return one_row_ticket(
        row=row,
        external_id=external_id,
        attribution=text(attribute_by),
        priority=priority,
        status=status,
        created_at=created,
        updated_at=updated,
        resolved_at=resolved,
        first_response_at=first_response,
        technician=text("Assignee"),
        category=category,
        requester=text("Reporter"),
        title=text("Summary"),
        escalated=raw_status.casefold() in ESCALATED_STATUSES,
        # Jira clears Resolved on reopening: the status is all that says it was reopened.
        reopened=raw_status.casefold() in REOPENED_STATUSES,
        survey=survey_record(score, answered, column=SATISFACTION),
        columns={
            "resolved_at": "Resolved",
            "first_response_at": FIRST_RESPONSE,
            "survey_answered_at": SATISFACTION_DATE,
        },
    )


def _first_response(value: str, created: datetime, parse: files.TimeParser) -> datetime:
    """The first response from a date-time, or from minutes / `1h 30m` after creation.

    Days and weeks are refused: Jira counts them in its own working time (1d = 8h by
    default), which cannot be turned back into a moment here.
    """
    try:
        return parse(value)
    except ValueError:
        pass
    try:
        minutes = float(value)
    except ValueError:
        match = _DURATION.match(value)
        if not match or not any(match.groups()):
            raise RowProblem(
                FIRST_RESPONSE,
                f"cannot read {value!r} as a time or a duration (minutes, or like 1h 30m; "
                "days and weeks depend on Jira's working-time settings)",
            ) from None
        minutes = int(match.group(1) or 0) * 60 + int(match.group(2) or 0)
    if minutes < 0:
        raise RowProblem(FIRST_RESPONSE, f"negative duration {value!r}")
    return created + timedelta(minutes=minutes)
