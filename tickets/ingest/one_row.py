"""One row, one ticket: what the readers of exports with a row per ticket share (the mapped
reader, Jira, Zendesk).

A row has no history, so `one_row_ticket` synthesises the events from its timestamps;
`derived_status` is a row's status when its export has none.
`tickets_by_row` turns rows into tickets or row errors; a `RowProblem` raised while building
one rejects its row naming the column.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime

from tickets.ingest import files
from tickets.ingest.records import EventRecord, RowError, SurveyRecord, TicketRecord

DONE = frozenset({"resolved", "closed", "cancelled"})


class RowProblem(Exception):
    """A value of a row that cannot be used; becomes a RowError for the whole row."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


def tickets_by_row(
    rows: Iterable[tuple[int, list[str]]],
    *,
    width: int,
    id_index: int,
    id_column: str,
    build: Callable[[int, list[str], str], TicketRecord],
) -> Iterator[TicketRecord | RowError]:
    """One ticket per row, for exports with a row per ticket (Jira, Zendesk): a row of the
    wrong width or without an id is rejected, and a RowProblem raised by `build(row, cells,
    external_id)` rejects its row naming the column."""
    for row, cells in rows:
        external_id = cells[id_index].strip() if len(cells) > id_index else ""
        if len(cells) != width:
            yield files.width_error(row, cells, width, external_id)
            continue
        if not external_id:
            yield RowError(row, id_column, f"empty {id_column}")
            continue
        try:
            yield build(row, cells, external_id)
        except RowProblem as problem:
            yield RowError(row, problem.column, problem.reason, external_id)


_AT = operator.attrgetter("at")


def derived_status(
    *, resolved_at: datetime | None, closed_at: datetime | None, technician: str
) -> str:
    """The status of a row whose export has no status column, from its times: closed if it
    has a closed time, else resolved if it has a resolved time, else open.

    An open ticket is "assigned" when it names its technician, else "new": the two statuses
    one_row_ticket's synthesised events can tell apart (the assigned event), and neither
    pauses the clock nor counts as a response (METRICS.md, tickets/facts.py), so the facts are
    those the same ticket would have with either status given. A pending, on-hold or
    in-progress ticket cannot be told from the times: without a status column its pauses are
    unknown, which the reader's notes say.
    """
    if closed_at is not None:
        return "closed"
    if resolved_at is not None:
        return "resolved"
    return "assigned" if technician else "new"


def one_row_ticket(
    *,
    row: int,
    external_id: str,
    attribution: str,
    priority: str,
    status: str,
    created_at: datetime,
    updated_at: datetime | None = None,
    resolved_at: datetime | None = None,
    closed_at: datetime | None = None,
    assigned_at: datetime | None = None,
    first_response_at: datetime | None = None,
    technician: str = "",
    category: str = "",
    requester: str = "",
    channel: str = "other",
    title: str = "",
    escalated: bool = False,
    reopened: bool = False,
    survey: SurveyRecord | None = None,
    source_sla_met: bool | None = None,
    source_fcr: bool | None = None,
    source_reopen_count: int | None = None,
    source_reassignment_count: int | None = None,
    columns: dict[str, str] | None = None,
) -> TicketRecord:
    """A ticket from one export row, its events synthesised from the row's timestamps.

    Events: created; assigned (to the technician, at assigned_at or creation); responded (at
    the first response, if known); escalated (if flagged, at the last update); the final open
    status at the last update; resolved (or cancelled); closed. A done ticket without a
    resolution time takes its close or last-update time; an open ticket that still carries a
    resolution time (or is flagged `reopened`) was resolved and reopened: a reopened event at
    its last update.
    `columns` names the source's columns, for the messages of RowProblem.
    """
    names = columns or {}

    def check_after_created(name: str, at: datetime | None) -> None:
        if at is not None and at < created_at:
            column = names.get(name, name)
            raise RowProblem(
                column,
                f"{column} ({at:%Y-%m-%d %H:%M} UTC) is before the ticket was created "
                f"({created_at:%Y-%m-%d %H:%M} UTC)",
            )

    for name, at in (
        ("resolved_at", resolved_at),
        ("closed_at", closed_at),
        ("first_response_at", first_response_at),
        ("survey_answered_at", survey.answered_at if survey else None),
    ):
        check_after_created(name, at)

    last = max(updated_at or created_at, created_at)
    done = status in DONE
    reopened_at = None
    if done and resolved_at is None:
        resolved_at = closed_at or updated_at
        if resolved_at is None:
            column = names.get("resolved_at", "resolved_at")
            raise RowProblem(column, f"the ticket is {status} but has no resolution time")
        resolved_at = max(resolved_at, created_at)
    elif not done and resolved_at is not None:
        reopened_at = max(last, resolved_at)
    elif not done and reopened:
        reopened_at = last
    # Sources without a close stamp (Jira) are closed as of their last update.
    closed_at = max(closed_at or last, resolved_at or created_at) if status == "closed" else None

    events = [EventRecord(created_at, "created", "", "new", requester, by_vendor=False)]
    if technician:
        at = max(assigned_at or created_at, created_at)
        events.append(EventRecord(at, "assigned", "", technician, ""))
    if first_response_at is not None:
        events.append(EventRecord(first_response_at, "responded", "", "", technician))
    if escalated:
        events.append(EventRecord(last, "escalated", "", "escalated", technician))
    if resolved_at is not None:
        if status == "cancelled":
            events.append(EventRecord(resolved_at, "status_change", "new", "cancelled", technician))
        else:
            events.append(EventRecord(resolved_at, "resolved", "", "resolved", technician))
    if reopened_at is not None:
        events.append(EventRecord(reopened_at, "reopened", "resolved", status, "", False))
    elif not done and status != "new":
        events.append(EventRecord(last, "status_change", "new", status, technician))
    if closed_at is not None:
        events.append(EventRecord(closed_at, "closed", "resolved", "closed", ""))
    events.sort(key=_AT)  # stable: same-instant events keep the order above

    return TicketRecord(
        row=row,
        external_id=external_id,
        attribution=attribution,
        priority=priority,
        status=status,
        created_at=created_at,
        resolved_at=resolved_at if done else None,
        closed_at=closed_at,
        version=updated_at.isoformat() if updated_at else "",
        technician=technician,
        category=category,
        requester=requester,
        channel=channel,
        title=title,
        events=events,
        source_sla_met=source_sla_met,
        source_fcr=source_fcr,
        source_reopen_count=source_reopen_count,
        source_reassignment_count=source_reassignment_count,
        survey=survey,
    )


def survey_record(
    score: int | None, answered_at: datetime | None, *, scale: int = 5, column: str = "survey"
) -> SurveyRecord | None:
    """A survey answer, checked against its scale (1..5 or 0..10); None if there is none."""
    if score is None:
        return None
    low = 1 if scale == 5 else 0
    if not low <= score <= scale:
        raise RowProblem(column, f"survey score {score} is outside {low}..{scale}")
    if answered_at is None:
        raise RowProblem(column, "a survey score without any time to date it")
    return SurveyRecord(score=score, answered_at=answered_at, scale=scale)
