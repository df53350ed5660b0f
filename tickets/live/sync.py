"""A live source's run: its tickets read page by page and upserted, its cursor moved with them.

`live_source_sync` records one ImportRun per run and writes each page of the source's records
with `tickets.ingest.upsert.ingest_records` (the one upsert every way in shares) and the
source's new cursor in one transaction. A run stopped between pages (killed, or the source
failing) has committed whole pages only, and the next run resumes from the last committed
cursor; the records it reads again are the upsert's "unchanged".

`incident_record` reads a ServiceNow incident (Table API, `sysparm_display_value=all`) as a
TicketRecord whose events are synthesised from its timestamps by `one_row.one_row_ticket`,
as for exports with a row per ticket. Next step (not done yet): the incident's state history
from `sys_audit` (and pauses from `task_sla`), so pending and on-hold time is known as it is
from the event-log export (`tickets.ingest.servicenow`).

Only ServiceNow sources run for now; Jira and Zendesk sources are refused, saying so.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from tickets.ingest import files
from tickets.ingest.one_row import RowProblem, one_row_ticket
from tickets.ingest.records import RowError, TicketRecord
from tickets.ingest.servicenow import CHANNELS, STATES
from tickets.ingest.servicenow import priority as priority_of
from tickets.ingest.upsert import ingest_records
from tickets.live.credentials import SecretUnreadable, live_source_secret
from tickets.live.http import SourceError
from tickets.live.servicenow import (
    DEFAULT_PAGE_SIZE,
    TIME_FORMAT,
    Page,
    fetch_incidents,
    field_display,
    field_value,
    format_time,
    parse_time,
)
from tickets.models import ImportFormat, ImportRun, LiveSource, LiveSourceKind, Ticket

# ServiceNow's documented incident states (the `state` / `incident_state` choice values).
INCIDENT_STATES = {
    "1": "new",
    "2": "in_progress",
    "3": "on_hold",
    "6": "resolved",
    "7": "closed",
    "8": "cancelled",
}
CURSOR_KEY = "sys_updated_on"  # LiveSource.cursor of a ServiceNow source: the UTC stamp

Progress = Callable[[Page, ImportRun], None]


class SyncRefused(ValueError):
    """The source cannot be run as it is (its kind, its name, its secret): nothing was read."""


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


# --- the run -------------------------------------------------------------------------------------


def live_source_sync(
    *,
    source: LiveSource,
    since: datetime | None = None,
    full: bool = False,
    page_size: int = DEFAULT_PAGE_SIZE,
    sleep: Callable[[float], None] = time.sleep,
    until: datetime | None = None,
    progress: Progress | None = None,
    **fetch_options: Any,
) -> ImportRun:
    """Reads the source's tickets updated since its cursor (or `since`; everything with
    `full`) and upserts them a page at a time, each page committed with the cursor after it.

    Returns the run: DONE, or FAILED with the source's message (access denied, unavailable,
    a malformed page) and nothing of the failing page written; the source's last_run_at and
    last_error say the same. SyncRefused, before any run is recorded, for a source that
    cannot run (a kind not supported yet, a name too long for tickets, no readable secret).
    """
    if source.kind != LiveSourceKind.SERVICENOW:
        raise SyncRefused(
            f"kind: {source.get_kind_display()} sources are not supported yet; only ServiceNow "
            f"sources sync for now (source {source.name!r})."
        )
    if len(source.name) > Ticket._meta.get_field("source").max_length:
        raise SyncRefused(
            f"name: {source.name!r} is longer than a ticket's source name "
            f"({Ticket._meta.get_field('source').max_length} characters); rename the source."
        )
    try:
        password = live_source_secret(source)
    except SecretUnreadable as exc:
        raise SyncRefused(f"secret: {exc}") from None
    start = None if full else since or stored_cursor(source)
    run = ImportRun.objects.create(
        source=source.name,
        format=ImportFormat.SERVICENOW,
        file_name=f"{source.base_url} (Table API)",
    )
    run.notes = [
        f"Read incidents updated since {format_time(start)} UTC."
        if start
        else "Read every incident (no cursor yet, or --full)."
    ]
    started_at, clock = timezone.now(), time.perf_counter()
    unmapped: Counter[str] = Counter()
    position = 0
    try:
        pages = fetch_incidents(
            base_url=source.base_url,
            username=source.username,
            password=password,
            filter=source.filter,
            since=start,
            page_size=page_size,
            sleep=sleep,
            until=until,
            **fetch_options,
        )
        for page in pages:
            records = list(_page_records(page, source, first_row=position + 1))
            position += len(page.records)
            _commit_page(source, run, page, records, unmapped)
            if progress is not None:
                progress(page, run)
    except SourceError as exc:
        run.status, run.failure = ImportRun.Status.FAILED, str(exc)
    else:
        run.status = ImportRun.Status.DONE
    finally:
        # Also when the upsert itself raised: the run and the source say it stopped.
        if run.status == ImportRun.Status.RUNNING or run.status == ImportRun.Status.PENDING:
            run.status, run.failure = ImportRun.Status.FAILED, "the run stopped unexpectedly"
        run.started_at, run.finished_at = started_at, timezone.now()
        run.seconds = round(time.perf_counter() - clock, 3)
        run.unmapped = dict(unmapped.most_common())
        run.save()
        source.last_run_at = run.finished_at
        source.last_error = run.failure if run.status == ImportRun.Status.FAILED else ""
        source.save(update_fields=["last_run_at", "last_error", "updated_at"])
    return run


def stored_cursor(source: LiveSource) -> datetime | None:
    """Where the last committed page ended (UTC), or None before the first run."""
    text = (source.cursor or {}).get(CURSOR_KEY)
    return parse_time(text) if text else None


def _page_records(
    page: Page, source: LiveSource, *, first_row: int
) -> Iterator[TicketRecord | RowError]:
    for row, record in enumerate(page.records, first_row):
        yield incident_record(record, time_zone=source.time_zone, row=row)


def _commit_page(
    source: LiveSource,
    run: ImportRun,
    page: Page,
    records: list[TicketRecord | RowError],
    unmapped: Counter[str],
) -> None:
    """The page's tickets and the cursor after it, in one transaction: both or neither."""
    with transaction.atomic():
        if records:
            # ingest_records marks the run done and counts this page's unmapped values only;
            # the run goes on, so it is marked running again and the values summed.
            ingest_records(records, source=source.name, run=run, header_rows=0)
            unmapped.update(run.unmapped)
            run.status, run.finished_at = ImportRun.Status.RUNNING, None
            run.unmapped = dict(unmapped.most_common())
            run.save()
        if page.cursor is not None:
            source.cursor = {**(source.cursor or {}), CURSOR_KEY: format_time(page.cursor)}
            source.save(update_fields=["cursor", "updated_at"])
