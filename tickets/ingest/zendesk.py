"""Zendesk Support ticket export (Reporting > Export > CSV), one ticket per row.

No history either: events are synthesised from the row (see one_row.one_row_ticket), with a
responded event from `First reply time in minutes` (calendar minutes after creation). Zendesk's
own counts are kept as the source's figures: Reopens, and Group/Assignee stations (stations
count the first assignment too). Times are ISO-like (`2026-11-23 09:45:12 +0000`); those
without an offset are in the `time_zone` option.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import BinaryIO

from tickets.ingest import files
from tickets.ingest.one_row import RowProblem, one_row_ticket, survey_record, tickets_by_row
from tickets.ingest.records import PRIORITIES, RowError, TicketRecord

COLUMNS = ("Id", "Status", "Priority", "Created at", "Updated at")
FIRST_REPLY = "First reply time in minutes"
OPTIONAL_COLUMNS = (
    "Summation column",
    "Requester",
    "Requester id",
    "Requester external id",
    "Requester email",
    "Requester domain",
    "Submitter",
    "Assignee",
    "Group",
    "Organization",
    "Subject",
    "Tags",
    "Via",
    "Ticket type",
    "Assigned at",
    "Initially assigned at",
    "Due date",
    "Solved at",
    "Resolution time",
    "Satisfaction Score",
    "Group stations",
    "Assignee stations",
    "Reopens",
    "Replies",
    FIRST_REPLY,
    "First reply time in minutes within business hours",
    "First resolution time in minutes",
    "First resolution time in minutes within business hours",
    "Full resolution time in minutes",
    "Full resolution time in minutes within business hours",
    "Agent wait time in minutes",
    "Agent wait time in minutes within business hours",
    "Requester wait time in minutes",
    "Requester wait time in minutes within business hours",
    "On hold time in minutes",
    "On hold time in minutes within business hours",
    "One-touch",
)

STATUSES = {
    "new": "new",
    "open": "in_progress",
    "pending": "pending_customer",
    "hold": "on_hold",
    "on-hold": "on_hold",
    "on hold": "on_hold",
    "solved": "resolved",
    "closed": "closed",
}
PRIORITIES_MAP = {"urgent": "P1", "high": "P2", "normal": "P3", "low": "P4"}
# The CSAT answer: Zendesk's good/bad survey has two values; good counts as 5 and bad as 1
# on our 1..5 scale. Offered/unoffered means no answer.
SATISFACTION = {
    "good": 5,
    "good with comment": 5,
    "bad": 1,
    "bad with comment": 1,
    "offered": None,
    "unoffered": None,
    "not offered": None,
    "": None,
}


def channel(via: str) -> str:
    """Zendesk's `Via` (Web form, Email, Phone call (incoming), Chat, ...) -> our channel."""
    v = via.casefold()
    if "api" in v or "web service" in v:
        return "other"
    if any(w in v for w in ("phone", "voice", "voicemail", "call")):
        return "phone"
    if "mail" in v:
        return "email"
    if any(w in v for w in ("chat", "messaging", "widget", "whatsapp", "sms")):
        return "chat"
    if any(w in v for w in ("web form", "help center", "web", "mobile", "portal")):
        return "portal"
    return "other"


def read(
    stream: BinaryIO | str | os.PathLike[str],
    *,
    name: str = "",
    time_zone: str = "UTC",
    time_format: str | None = None,
    attribute_by: str = "Group",
    category_column: str = "Ticket type",
    default_priority: str = "",
    strict: bool = False,
    notes: list[str] | None = None,
) -> Iterator[TicketRecord | RowError]:
    """Tickets of a Zendesk CSV export, one per row, or RowErrors.

    attribute_by: the column tickets are attributed by (default Group). category_column: the
    column read as category (default Ticket type; a custom field is often better).
    default_priority: P1..P4 for tickets without a priority (Zendesk allows none); without
    it such a ticket is a row error. time_format: an extra strptime pattern tried first.
    """
    if default_priority and default_priority not in PRIORITIES:
        raise ValueError(f"default_priority must be one of {', '.join(PRIORITIES)}")
    formats = ((time_format,) if time_format else ()) + ("iso",)
    parse = files.TimeParser(formats, time_zone)
    table = files.read_csv(stream, name=name)
    remarks = table.notes + files.check_columns(
        table.header,
        (*COLUMNS, attribute_by),
        (*OPTIONAL_COLUMNS, category_column),
        strict=strict,
    )
    if notes is not None:
        notes.extend(remarks)
    return _records(table, parse, attribute_by, category_column, default_priority)


def _records(
    table: files.Table,
    parse: files.TimeParser,
    attribute_by: str,
    category_column: str,
    default_priority: str,
) -> Iterator[TicketRecord | RowError]:
    col = table.index()
    width = len(table.header)
    yield from tickets_by_row(
        table.rows,
        width=width,
        id_index=col["Id"],
        id_column="Id",
        build=lambda row, cells, external_id: _ticket(
            row, cells, external_id, col, parse, attribute_by, category_column, default_priority
        ),
    )


def _ticket(
    row: int,
    cells: list[str],
    external_id: str,
    col: dict[str, int],
    parse: files.TimeParser,
    attribute_by: str,
    category_column: str,
    default_priority: str,
) -> TicketRecord:
    def text(column: str) -> str:
        i = col.get(column)
        return cells[i].strip() if i is not None else ""

    def time(column: str) -> datetime | None:
        value = text(column)
        if not value:
            return None
        try:
            return parse(value)
        except ValueError:
            raise RowProblem(
                column, f"cannot read the time {value!r} (expected {parse.describe()})"
            ) from None

    def count(column: str) -> int | None:
        try:
            return files.parse_count(text(column))
        except ValueError:
            raise RowProblem(column, f"{text(column)!r} is not a count") from None

    status, priority = status_and_priority(
        text("Status"), text("Priority"), default_priority=default_priority
    )
    created = time("Created at")
    if created is None:
        raise RowProblem("Created at", "empty Created at")
    updated = time("Updated at")
    solved = time("Solved at")

    first_reply = None
    minutes = text(FIRST_REPLY)
    if minutes:
        try:
            elapsed = float(minutes)
        except ValueError:
            raise RowProblem(FIRST_REPLY, f"{minutes!r} is not a number of minutes") from None
        if elapsed < 0:
            raise RowProblem(FIRST_REPLY, f"negative first reply time {minutes!r}")
        first_reply = created + timedelta(minutes=elapsed)

    rating = text("Satisfaction Score")
    if rating.casefold() not in SATISFACTION:
        raise RowProblem("Satisfaction Score", f"unknown satisfaction score {rating!r}")
    score = SATISFACTION[rating.casefold()]

    stations = [s for s in (count("Group stations"), count("Assignee stations")) if s is not None]
    try:
        one_touch = files.parse_bool(text("One-touch"))
    except ValueError:
        raise RowProblem("One-touch", f"{text('One-touch')!r} is not true/false") from None

    return one_row_ticket(
        row=row,
        external_id=external_id,
        attribution=text(attribute_by),
        priority=priority,
        status=status,
        created_at=created,
        updated_at=updated,
        resolved_at=solved,
        assigned_at=time("Initially assigned at") or time("Assigned at"),
        first_response_at=first_reply,
        technician=text("Assignee"),
        category=text(category_column),
        requester=text("Requester email") or text("Requester"),
        channel=channel(text("Via")),
        title=text("Subject"),
        # No rating date in the export: a rating is dated by the solve (or last update).
        survey=survey_record(score, solved or updated, column="Satisfaction Score"),
        source_fcr=one_touch,
        source_reopen_count=count("Reopens"),
        # Stations count the first assignment as one; a group change usually changes the
        # assignee too, so the larger of the two, less one, is the reassignment count.
        source_reassignment_count=max(max(stations) - 1, 0) if stations else None,
        columns={"resolved_at": "Solved at", "first_response_at": FIRST_REPLY},
    )


def status_and_priority(
    raw_status: str,
    raw_priority: str,
    *,
    default_priority: str = "",
    columns: tuple[str, str] = ("Status", "Priority"),
) -> tuple[str, str]:
    """Zendesk's status and priority as ours (the export's and the API's spellings are the
    same); RowProblem naming the column (`columns`: the status's, the priority's) if unknown.
    An empty priority takes `default_priority` when one is given."""
    status = STATUSES.get(raw_status.casefold())
    if status is None:
        raise RowProblem(columns[0], f"unknown status {raw_status!r}")
    if not raw_priority and default_priority:
        return status, default_priority
    priority = PRIORITIES_MAP.get(raw_priority.casefold(), "")
    if not priority:
        reason = f"unknown priority {raw_priority!r}" if raw_priority else "empty priority"
        raise RowProblem(columns[1], reason)
    return status, priority
