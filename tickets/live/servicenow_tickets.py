"""ServiceNow incidents as our tickets, and the ServiceNow connector the sync runs.

`incident_record` reads a ServiceNow incident (Table API, `sysparm_display_value=all`) as a
TicketRecord whose events are synthesised from its timestamps by `one_row.one_row_ticket`,
as for exports with a row per ticket; it is read by the event-log export's own rules (states,
priorities, channels), so the API and the file give the same tickets.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from tickets.ingest import files
from tickets.ingest.one_row import RowProblem, one_row_ticket
from tickets.ingest.records import RowError, TicketRecord
from tickets.ingest.servicenow import CHANNELS, STATES
from tickets.ingest.servicenow import priority as priority_of
from tickets.live.connectors import LivePage, ProbeResult, Sleep, SourceSettings
from tickets.live.servicenow import (
    DEFAULT_PAGE_SIZE,
    TIME_FORMAT,
    fetch_incidents,
    field_display,
    field_value,
    format_time,
    parse_time,
)

CURSOR_KEY = "sys_updated_on"  # LiveSource.cursor of a ServiceNow source: the UTC stamp

# ServiceNow's documented incident states (the `state` / `incident_state` choice values).
INCIDENT_STATES = {
    "1": "new",
    "2": "in_progress",
    "3": "on_hold",
    "6": "resolved",
    "7": "closed",
    "8": "cancelled",
}


def incident_record(
    record: dict[str, Any], *, time_zone: str = "UTC", row: int = 0
) -> TicketRecord | RowError:
    """A ServiceNow incident as our ticket, or a RowError naming the incident and the field.

    Date-times are read from their `value` (the stored UTC value); `time_zone` is used only
    for a cell that carries a display value alone. `row` is the record's position in the run
    (as a file's row); the ticket's source is the LiveSource's name, given to the upsert.
    """
    number = field_value(record, "number").strip()
    if not number:
        return RowError(row, "number", "the incident has no number")
    try:
        return _incident_ticket(record, number=number, row=row, time_zone=time_zone)
    except RowProblem as problem:
        return RowError(row, problem.column, problem.reason, number)


def _incident_ticket(
    record: dict[str, Any], *, number: str, row: int, time_zone: str
) -> TicketRecord:
    raw_priority = field_value(record, "priority")
    priority = priority_of(raw_priority)
    if priority is None:
        raise RowProblem("priority", f"unknown priority {raw_priority!r}")
    status = _status(record)
    created = _time(record, "opened_at", time_zone) or _time(record, "sys_created_on", time_zone)
    if created is None:
        raise RowProblem("opened_at", "opened_at is empty")
    mods = _count(record, "sys_mod_count")
    ticket = one_row_ticket(
        row=row,
        external_id=number,
        attribution=field_display(record, "assignment_group"),
        priority=priority,
        status=status,
        created_at=created,
        updated_at=_time(record, "sys_updated_on", time_zone),
        resolved_at=_time(record, "resolved_at", time_zone),
        closed_at=_time(record, "closed_at", time_zone),
        technician=field_display(record, "assigned_to"),
        category=field_display(record, "category"),
        requester=field_display(record, "caller_id"),
        channel=_channel(record),
        title=field_display(record, "short_description")[:255],
        source_sla_met=_flag(record, "made_sla"),
        source_reopen_count=_count(record, "reopen_count"),
        source_reassignment_count=_count(record, "reassignment_count"),
    )
    if mods is not None:
        # The same version stamp as the event-log export's reader, so a file and the API
        # agree on what is unchanged.
        ticket.version = f"{mods:08d}"
    return ticket


def _status(record: dict[str, Any]) -> str:
    for name in ("state", "incident_state"):
        code = field_value(record, name).strip()
        if not code:
            continue
        # A custom state is read by its label, as the event-log export spells it.
        status = INCIDENT_STATES.get(code) or STATES.get(field_display(record, name).strip())
        if status is None:
            label = field_display(record, name)
            raise RowProblem(name, f"unknown state {code!r} ({label})")
        return status
    raise RowProblem("state", "the incident has no state")


def _time(record: dict[str, Any], name: str, time_zone: str) -> datetime | None:
    text = field_value(record, name).strip()
    zone = UTC
    if not text:
        text, zone = field_display(record, name).strip(), files.zone(time_zone)
    if not text:
        return None
    try:
        return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=zone).astimezone(UTC)
    except ValueError:
        raise RowProblem(name, f"{text!r} is not 'YYYY-MM-DD HH:MM:SS'") from None


def _count(record: dict[str, Any], name: str) -> int | None:
    text = field_value(record, name).strip()
    if not text:
        return None
    if not text.isdigit():
        raise RowProblem(name, f"{text!r} is not a count")
    return int(text)


def _flag(record: dict[str, Any], name: str) -> bool | None:
    text = field_value(record, name)
    try:
        return files.parse_bool(text)
    except ValueError:
        raise RowProblem(name, f"{text!r} is not true/false") from None


def _channel(record: dict[str, Any]) -> str:
    for text in (field_value(record, "contact_type"), field_display(record, "contact_type")):
        channel = CHANNELS.get(text.strip().lower())
        if channel is not None:
            return channel
    return "other"


class ServiceNowConnector:
    noun = "incidents"

    def pages(
        self,
        settings: SourceSettings,
        *,
        cursor: dict[str, Any],
        since: datetime | None,
        until: datetime | None = None,
        page_size: int | None = None,
        sleep: Sleep = time.sleep,
        **options: Any,
    ) -> Iterator[LivePage]:
        start = since if since is not None else _stored(cursor)
        row = 0
        for page in fetch_incidents(
            base_url=settings.base_url,
            username=settings.username,
            password=settings.password,
            filter=settings.filter,
            since=start,
            page_size=page_size or DEFAULT_PAGE_SIZE,
            sleep=sleep,
            until=until,
            **options,
        ):
            records = [
                incident_record(record, time_zone=settings.time_zone, row=row)
                for row, record in enumerate(page.records, row + 1)
            ]
            row += len(page.records)
            yield LivePage(
                number=page.number,
                records=records,
                read=len(page.records),
                cursor={CURSOR_KEY: format_time(page.cursor)} if page.cursor else None,
                total=page.total,
                url=page.url,
                cursor_text=f"{format_time(page.cursor)} UTC" if page.cursor else "",
            )

    def describe(self, *, cursor: dict[str, Any], since: datetime | None) -> str:
        start = since if since is not None else _stored(cursor)
        if start is None:
            return "Read every incident (no cursor yet, or --full)."
        return f"Read incidents updated since {format_time(start)} UTC."

    def probe(self, settings: SourceSettings, *, sleep: Sleep = time.sleep) -> ProbeResult:
        raise NotImplementedError  # next: incident, sys_audit and task_sla, one record each


def _stored(cursor: dict[str, Any]) -> datetime | None:
    text = (cursor or {}).get(CURSOR_KEY)
    return parse_time(text) if text else None


CONNECTOR = ServiceNowConnector()
