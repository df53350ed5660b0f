"""ServiceNow incidents as our tickets, and the ServiceNow connector the sync runs.

`incident_record` reads a ServiceNow incident (Table API, `sysparm_display_value=all`) as a
TicketRecord by the event-log export's own rules (states, priorities, channels). Its events come
from the incident's history in sys_audit (one row per changed field per update): the updates
are rebuilt as the export's rows (state, group and technician after each) and read into events
by the very function that reads the export (`tickets.ingest.servicenow.history`), so the API
and the file give the same tickets. Without audit rows (an account that may not read sys_audit,
or auditing off) the events are synthesised from its timestamps by `one_row.one_row_ticket`.
The SLA verdict is task_sla's (`has_breached`) where the incident has task SLAs, else made_sla.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import httpx

from tickets.ingest import files
from tickets.ingest.one_row import RowProblem, one_row_ticket
from tickets.ingest.records import RowError, TicketRecord
from tickets.ingest.servicenow import CHANNELS, SKIPPED_STATES, STATES, Update, history
from tickets.ingest.servicenow import priority as priority_of
from tickets.live.connectors import LivePage, ProbeResult, Sleep, SourceSettings
from tickets.live.http import DEFAULT_POLICY, RetryPolicy, SourceAccessDenied, make_client
from tickets.live.servicenow import (
    AUDIT_FIELDS,
    AUDIT_TABLE,
    DEFAULT_PAGE_SIZE,
    HISTORY_FIELDS,
    SLA_TABLE,
    TIME_FORMAT,
    fetch_incidents,
    fetch_table,
    field_display,
    field_value,
    first_record,
    format_time,
    incident_denied,
    parse_time,
    table_denied,
)

logger = logging.getLogger(__name__)

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
    record: dict[str, Any],
    *,
    time_zone: str = "UTC",
    row: int = 0,
    audit: list[dict[str, Any]] | None = None,
    names: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
    breached: bool | None = None,
) -> TicketRecord | RowError:
    """A ServiceNow incident as our ticket, or a RowError naming the incident and the field.

    Date-times are read from their `value` (the stored UTC value); `time_zone` is used only
    for a cell that carries a display value alone. `row` is the record's position in the run
    (as a file's row); the ticket's source is the LiveSource's name, given to the upsert.
    `audit`: the incident's sys_audit rows for HISTORY_FIELDS (none: events synthesised);
    `names`: sys_id -> name of the groups and users they name; `labels`: state code -> label
    for codes ServiceNow does not define; `breached`: task_sla's verdict, if it has SLAs.
    """
    number = field_value(record, "number").strip()
    if not number:
        return RowError(row, "number", "the incident has no number")
    try:
        if audit:
            ticket = _history_ticket(
                record,
                audit,
                number=number,
                row=row,
                time_zone=time_zone,
                names=names or {},
                labels=labels or {},
            )
        else:
            ticket = _incident_ticket(record, number=number, row=row, time_zone=time_zone)
    except RowProblem as problem:
        return RowError(row, problem.column, problem.reason, number)
    if breached is not None:
        ticket.source_sla_met = not breached
    return ticket


def _history_ticket(
    record: dict[str, Any],
    audit: list[dict[str, Any]],
    *,
    number: str,
    row: int,
    time_zone: str,
    names: dict[str, str],
    labels: dict[str, str],
) -> TicketRecord:
    """The ticket as the event-log reader builds it from the incident's rows."""
    raw_priority = field_value(record, "priority")
    priority = priority_of(raw_priority)
    if priority is None:
        raise RowProblem("priority", f"unknown priority {raw_priority!r}")
    created = _time(record, "opened_at", time_zone) or _time(record, "sys_created_on", time_zone)
    if created is None:
        raise RowProblem("opened_at", "opened_at is empty")
    resolved = _time(record, "resolved_at", time_zone)
    closed = _time(record, "closed_at", time_zone)
    for name, at in (("resolved_at", resolved), ("closed_at", closed)):
        if at is not None and at < created:
            raise RowProblem(
                name,
                f"{name} ({at:%Y-%m-%d %H:%M} UTC) is before the ticket was created "
                f"({created:%Y-%m-%d %H:%M} UTC)",
            )
    opener = field_display(record, "opened_by") or field_display(record, "caller_id")
    updates = audit_updates(record, audit, created=created, names=names, labels=labels)
    lived = history(created, opener, updates, resolved=resolved, closed=closed)
    mods = _count(record, "sys_mod_count")
    return TicketRecord(
        row=row,
        external_id=number,
        attribution=field_display(record, "assignment_group") or lived.last_group,
        priority=priority,
        status=lived.status,
        created_at=created,
        resolved_at=lived.resolved_at,
        closed_at=lived.closed_at,
        version=f"{mods:08d}" if mods is not None else lived.last_at.isoformat(),
        technician=field_display(record, "assigned_to"),
        category=field_display(record, "category"),
        requester=field_display(record, "caller_id"),
        channel=_channel(record),
        title=field_display(record, "short_description")[:255],
        events=lived.events,
        source_sla_met=_flag(record, "made_sla"),
        source_reopen_count=_count(record, "reopen_count"),
        source_reassignment_count=_count(record, "reassignment_count"),
    )


def audit_updates(
    record: dict[str, Any],
    audit: Iterable[dict[str, Any]],
    *,
    created: datetime,
    names: dict[str, str],
    labels: dict[str, str],
) -> list[Update]:
    """The incident after each audited update, as the event log has a row per update.

    sys_audit holds one row per changed field per update, numbered by record_checkpoint (the
    update count; 0 is the insert). A field's value before its first audited change is that
    change's oldvalue, or the incident's current value if it never changed. If the insert is
    not audited, the first snapshot is the incident as opened. Groups and users are sys_ids
    in sys_audit; `names` turns them into the names the export shows.
    """
    updates: dict[int, list[dict[str, Any]]] = {}
    for entry in audit:
        checkpoint = str(entry.get("record_checkpoint") or "0")
        updates.setdefault(int(checkpoint) if checkpoint.isdigit() else 0, []).append(entry)
    values = {name: field_value(record, name) for name in HISTORY_FIELDS}
    first_changes: set[str] = set()
    for checkpoint in sorted(updates):
        for entry in updates[checkpoint]:
            name = entry.get("fieldname", "")
            if name in values and name not in first_changes:
                first_changes.add(name)
                values[name] = str(entry.get("oldvalue") or "")
    snapshots: list[Update] = []
    if not updates or min(updates) > 0:
        opener = field_display(record, "opened_by") or field_display(record, "caller_id")
        snapshots.append(_snapshot(values, created, opener, names, labels))
    for checkpoint in sorted(updates):
        entries = updates[checkpoint]
        for entry in entries:
            if entry.get("fieldname") in values:
                values[entry["fieldname"]] = str(entry.get("newvalue") or "")
        text = str(entries[0].get("sys_created_on") or "")
        try:
            at = parse_time(text)
        except ValueError:
            raise RowProblem("sys_audit", f"update {checkpoint} has no time ({text!r})") from None
        actor = str(entries[0].get("user") or "")
        snapshots.append(_snapshot(values, at, actor, names, labels))
    return snapshots


def _snapshot(
    values: dict[str, str],
    at: datetime,
    actor: str,
    names: dict[str, str],
    labels: dict[str, str],
) -> Update:
    code = values["incident_state"] or values["state"]
    group, technician = values["assignment_group"], values["assigned_to"]
    return Update(
        at,
        actor,
        names.get(group, group),
        names.get(technician, technician),
        _audited_status(code, labels),
    )


def _audited_status(code: str, labels: dict[str, str]) -> str | None:
    """A state code of sys_audit as our status; None for no state (-100, as the export)."""
    if not code or code in SKIPPED_STATES:
        return None
    status = INCIDENT_STATES.get(code) or STATES.get(labels.get(code, ""))
    if status is None:
        raise RowProblem("state", f"unknown state {code!r} in the history")
    return status


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
        with make_client(
            base_url=settings.base_url, username=settings.username, password=settings.password
        ) as client:
            related = RelatedReads(
                client, settings.username, sleep=sleep, policy=options.get("policy", DEFAULT_POLICY)
            )
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
                related.read(page.records)
                records = [
                    incident_record(
                        record,
                        time_zone=settings.time_zone,
                        row=row,
                        audit=related.audit.get(field_value(record, "sys_id")),
                        names=related.names,
                        labels=related.labels,
                        breached=related.breached.get(field_value(record, "sys_id")),
                    )
                    for row, record in enumerate(page.records, row + 1)
                ]
                row += len(page.records)
                yield _live_page(
                    number=page.number,
                    records=records,
                    read=len(page.records),
                    cursor={CURSOR_KEY: format_time(page.cursor)} if page.cursor else None,
                    total=page.total,
                    url=page.url,
                    cursor_text=f"{format_time(page.cursor)} UTC" if page.cursor else "",
                    notes=related.take_notes(),
                )

    def describe(self, *, cursor: dict[str, Any], since: datetime | None, **options: Any) -> str:
        start = since if since is not None else _stored(cursor)
        if start is None:
            return "Read every incident (no cursor yet, or --full)."
        return f"Read incidents updated since {format_time(start)} UTC."

    def probe(self, settings: SourceSettings, *, sleep: Sleep = time.sleep) -> ProbeResult:
        """One incident (and the count matching the filter), then one record of each table the
        history and the SLA verdicts come from; SourceAccessDenied when incident is refused."""
        can_read: list[str] = []
        cannot_read: list[str] = []
        with make_client(
            base_url=settings.base_url, username=settings.username, password=settings.password
        ) as client:
            _, total = first_record(
                client,
                "incident",
                query=settings.filter.strip().strip("^"),
                denied=incident_denied(settings.username),
                fields=("number",),
                sleep=sleep,
            )
            matched = f"{total:,}" if total is not None else "an unknown number of"
            scope = "match the filter" if settings.filter.strip() else "(no filter)"
            can_read.append(f"incident: {matched} records {scope}")
            for table, query, purpose in PROBED_TABLES:
                try:
                    first_record(
                        client,
                        table,
                        query=query,
                        denied=table_denied(table, settings.username),
                        sleep=sleep,
                    )
                except SourceAccessDenied as exc:
                    cannot_read.append(f"{exc}: {purpose} unavailable")
                else:
                    can_read.append(f"{table}: readable ({purpose})")
        return ProbeResult(can_read, cannot_read)


def _live_page(*, notes: list[str], **fields: Any) -> LivePage:
    """The page, its notes logged as well as carried to the run's report."""
    for note in notes:
        logger.warning("ServiceNow source: %s", note)
    return LivePage(notes=tuple(notes), **fields)


# Incidents per query of their related records: 100 sys_ids keep the URL near 4 KB.
RELATED_CHUNK = 100


class RelatedReads:
    """What a page of incidents needs besides the incidents: their sys_audit rows, the names
    of the groups and users those name, labels of custom states, and their task SLAs.

    A table the account may not read is given up for the rest of the run, with a note saying
    what to grant: without sys_audit (or the names) events are synthesised from timestamps;
    without task_sla the verdict is the incident's made_sla.
    """

    def __init__(
        self, client: httpx.Client, username: str, *, sleep: Sleep, policy: RetryPolicy
    ) -> None:
        self.client, self.username, self.sleep, self.policy = client, username, sleep, policy
        self.names: dict[str, str] = {}  # sys_id -> group or user name, over the run
        self.labels: dict[str, str] = {}  # state code -> label, over the run
        self.audit: dict[str, list[dict[str, Any]]] = {}  # this page's, by incident sys_id
        self.breached: dict[str, bool] = {}  # this page's, by incident sys_id
        self.history_on, self.slas_on, self.choices_read = True, True, False
        self.notes: list[str] = []

    def take_notes(self) -> list[str]:
        notes, self.notes = self.notes, []
        return notes

    def read(self, records: list[dict[str, Any]]) -> None:
        ids = [i for i in (field_value(r, "sys_id") for r in records) if i]
        self.audit, self.breached = {}, {}
        for record in records:
            for name in ("assignment_group", "assigned_to"):
                if field_value(record, name):
                    self.names[field_value(record, name)] = field_display(record, name)
            for name in ("incident_state", "state"):
                self.labels.setdefault(field_value(record, name), field_display(record, name))
        if self.history_on and ids:
            self._history(ids)
        if self.slas_on and ids:
            self._slas(ids)

    def _history(self, ids: list[str]) -> None:
        fields = ",".join(HISTORY_FIELDS)
        try:
            rows = self._rows(
                AUDIT_TABLE,
                ids,
                lambda chunk: (
                    f"tablename=incident^documentkeyIN{chunk}^fieldnameIN{fields}"
                    "^ORDERBYsys_created_on^ORDERBYrecord_checkpoint"
                ),
                AUDIT_FIELDS,
            )
            self._names(rows)
            self._state_labels(rows)
        except SourceAccessDenied as exc:
            self.history_on, self.audit = False, {}
            self.notes.append(
                f"{exc}. The incidents' events are synthesised from their timestamps "
                "(state history unavailable) for the rest of this run."
            )
            return
        for entry in rows:
            self.audit.setdefault(str(entry.get("documentkey", "")), []).append(entry)

    def _names(self, rows: list[dict[str, Any]]) -> None:
        wanted: dict[str, set[str]] = {"sys_user_group": set(), "sys_user": set()}
        for entry in rows:
            table = {"assignment_group": "sys_user_group", "assigned_to": "sys_user"}.get(
                entry.get("fieldname", "")
            )
            if table:
                for key in ("oldvalue", "newvalue"):
                    value = str(entry.get(key) or "")
                    if value and value not in self.names:
                        wanted[table].add(value)
        for table, ids in wanted.items():
            for found in self._rows(table, sorted(ids), "sys_idIN{}".format, ("sys_id", "name")):
                self.names[str(found.get("sys_id", ""))] = str(found.get("name", ""))

    def _state_labels(self, rows: list[dict[str, Any]]) -> None:
        codes = {
            str(entry.get(key) or "")
            for entry in rows
            if entry.get("fieldname") in ("incident_state", "state")
            for key in ("oldvalue", "newvalue")
        }
        unknown = codes - set(INCIDENT_STATES) - SKIPPED_STATES - set(self.labels) - {""}
        if unknown and not self.choices_read:
            self.choices_read = True  # once a run: the choice list is short
            for choice in fetch_table(
                self.client,
                "sys_choice",
                query="name=incident^elementINincident_state,state^inactive=false",
                fields=("value", "label"),
                denied=table_denied("sys_choice", self.username),
                policy=self.policy,
                sleep=self.sleep,
            ):
                self.labels.setdefault(str(choice.get("value", "")), str(choice.get("label", "")))

    def _slas(self, ids: list[str]) -> None:
        try:
            rows = self._rows(
                SLA_TABLE, ids, "taskIN{}^stage!=cancelled".format, ("task", "has_breached")
            )
        except SourceAccessDenied as exc:
            self.slas_on = False
            self.notes.append(
                f"{exc}. The SLA verdict is the incident's made_sla for the rest of this run."
            )
            return
        for sla in rows:
            task = str(sla.get("task", ""))
            breached = str(sla.get("has_breached", "")).lower() == "true"
            self.breached[task] = self.breached.get(task, False) or breached

    def _rows(
        self, table: str, ids: list[str], query: Callable[[str], str], fields: Sequence[str]
    ) -> list[dict[str, Any]]:
        """The table's records for these ids, asked RELATED_CHUNK ids at a time."""
        rows: list[dict[str, Any]] = []
        for at in range(0, len(ids), RELATED_CHUNK):
            rows += fetch_table(
                self.client,
                table,
                query=query(",".join(ids[at : at + RELATED_CHUNK])),
                fields=fields,
                denied=table_denied(table, self.username),
                policy=self.policy,
                sleep=self.sleep,
            )
        return rows


# What the probe reads besides incident, and what each gives.
PROBED_TABLES = (
    (AUDIT_TABLE, "tablename=incident", "state history"),
    ("sys_user_group", "", "group names in the state history"),
    ("sys_user", "", "technician names in the state history"),
    (SLA_TABLE, "", "SLA verdicts"),
)


def _stored(cursor: dict[str, Any]) -> datetime | None:
    text = (cursor or {}).get(CURSOR_KEY)
    return parse_time(text) if text else None


CONNECTOR = ServiceNowConnector()
