"""The one upsert every way in shares: tickets from a reader or the API, written by
(source, external id).

Per batch of records: one query finds the stored (id, version, vendor, contract) of every
ticket in it; a ticket whose version and attribution are unchanged is skipped without another
query; new tickets are inserted and changed ones updated with their events and survey replaced,
all in one transaction (COPY on PostgreSQL). Facts come from `ticket_apply_facts` with one
ClockBook for the run. If the database refuses the batch, its tickets are written one by one,
each in a savepoint, so one bad ticket costs only itself: a ticket is written whole or not at all.
After the last batch the repeat flags of the touched tickets are refreshed in SQL and their
(vendor, period) scorecards are marked dirty, one call per vendor.

Rows read run through plain Python objects (`_Draft`, `EventRecord`), never model instances:
at a million tickets, building instances would cost more than deriving the facts. On
PostgreSQL, outside a caller's transaction, a writer thread with its own connection writes one
batch while the next is read and derived (`_Writer`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import queue
import threading
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import attrgetter
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, reset_queries, transaction
from django.utils import timezone
from psycopg import Copy
from psycopg.copy import FileWriter

from tickets.ingest.records import (
    CHANNELS,
    EVENT_KINDS,
    PRIORITIES,
    STATUSES,
    RowError,
    TicketRecord,
)
from tickets.models import AttributionRule, ImportRun, SurveyResponse, Ticket, TicketEvent
from tickets.services import (
    ClockBook,
    technicians_by_name,
    ticket_apply_facts,
    tickets_refresh_repeats,
)
from vendors.models import Contract, Technician
from vendors.signals import vendor_figures_changed

BATCH_SIZE = 2000
# Above this many touched tickets one pass over the whole table refreshes repeats faster than
# passes over the touched tickets' requesters.
REPEATS_FULL_PASS = 50_000
REPEATS_CHUNK = 5_000
# PostgreSQL plans the per-batch lookup from its statistics; a table that grew by a million
# rows since they were taken is planned as if still small (a scan per batch, 40x slower).
# So the import refreshes them itself as the table grows (autovacuum may lag or be off).
ANALYZE_AFTER = 100_000
# The run's counters are written for its page at most this often (seconds): each write is a
# commit of its own, and the page polls no faster.
PROGRESS_EVERY = 0.5
DIRTY_BUCKET_SECONDS = 900  # zones' offsets are whole quarter hours (since 1972)

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
UNMAPPED, ERROR = "unmapped", "error"


@dataclass
class AttributedRecord(TicketRecord):
    """A ticket whose vendor and contract the caller already knows (the API's vendor field)."""

    vendor_id: int = 0
    contract_id: int = 0


@dataclass
class ItemResult:
    """What became of one record: created, updated, unchanged, unmapped or error."""

    row: int
    external_id: str
    result: str
    errors: list[dict[str, Any]] = field(default_factory=list)


def ingest_records(
    records: Iterable[TicketRecord | RowError],
    *,
    source: str,
    run: ImportRun,
    now: dt.datetime | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    results: list[ItemResult] | None = None,
    header_rows: int = 1,
) -> ImportRun:
    """Writes the records' tickets for `source`, counting every outcome on `run` (saved).

    Each batch commits on its own, and the run's counters are written as it goes (at most
    every PROGRESS_EVERY seconds), so a page shows its progress. A reader's FormatError
    part-way (a truncated file) fails the run and is raised; the tickets written before it
    stay, and running the import again is safe. `results`, if given, receives one ItemResult
    per record. `header_rows`: rows before the first data row, for `rows_read`.
    """
    if not source or len(source) > Ticket._meta.get_field("source").max_length:
        raise ValueError("the source name must be 1 to 80 characters")
    started = time.perf_counter()
    run.source = source
    run.status = ImportRun.Status.RUNNING
    run.started_at = timezone.now()
    run.save()
    ingest = _Ingest(source=source, run=run, now=now or timezone.now(), results=results)
    # Inside a caller's transaction the writes must share its connection; else, on
    # PostgreSQL, a thread writes one batch while this one reads and derives the next.
    if ingest.postgres and not connection.in_atomic_block:
        ingest.writer = _Writer(ingest)
    try:
        shown = 0.0  # when the counters were last written for the page to show
        for batch in _batches(records, batch_size):
            ingest.batch(batch)
            if time.monotonic() - shown >= PROGRESS_EVERY:
                with ingest.lock:
                    run.rows_read = max(ingest.last_row - header_rows, 0)
                    counters = _counters(run)
                ImportRun.objects.filter(pk=run.pk).update(**counters)
                shown = time.monotonic()
            ingest.analyze_if_grown()
            if settings.DEBUG:
                reset_queries()  # Django keeps every query's SQL while debugging
            if progress is not None:
                progress(len(batch))
        if ingest.writer is not None:
            ingest.writer.close()
    except Exception as exc:
        run.status = ImportRun.Status.FAILED
        run.failure = str(exc) or type(exc).__name__
        raise
    else:
        run.status = ImportRun.Status.DONE
    finally:
        # Whatever was written is final: its repeats and scorecards follow even if a later
        # row broke the file.
        try:
            if ingest.writer is not None:
                ingest.writer.close(check=False)
            ingest.finish()
        finally:
            run.rows_read = max(ingest.last_row - header_rows, 0)
            run.unmapped = dict(ingest.unmapped.most_common())
            run.finished_at = timezone.now()
            run.seconds = round(time.perf_counter() - started, 3)
            run.save()
    return run


def _counters(run: ImportRun) -> dict[str, Any]:
    return {
        "progress": run.progress,
        "rows_read": run.rows_read,
        "tickets_created": run.tickets_created,
        "tickets_updated": run.tickets_updated,
        "tickets_unchanged": run.tickets_unchanged,
        "tickets_rejected": run.tickets_rejected,
        "tickets_unmapped": run.tickets_unmapped,
        "errors": list(run.errors),
    }


def _batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


# --- columns -----------------------------------------------------------------------------------

_TICKET_FIELDS = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
TICKET_COLUMNS = [f.attname for f in _TICKET_FIELDS]
# A manager's accepted dispute is ours, not the source's: an update leaves it alone.
_KEPT_ON_UPDATE = {"source", "external_id", "response_excluded", "resolution_excluded"}
UPDATE_COLUMNS = [c for c in TICKET_COLUMNS if c not in _KEPT_ON_UPDATE]
EVENT_COLUMNS = ["ticket_id", "at", "seq", "kind", "old_value", "new_value", "actor", "by_vendor"]
SURVEY_COLUMNS = ["ticket_id", "score", "scale", "comment", "answered_at"]
_DEFAULTS = {f.attname: f.get_default() for f in _TICKET_FIELDS}
_ticket_row = attrgetter(*TICKET_COLUMNS)
_update_row = attrgetter(*UPDATE_COLUMNS, "id")
_INSTANTS = attrgetter(
    "created_at", "first_response_at", "resolved_at", "response_outcome_at", "resolution_outcome_at"
)
_STORED = [
    "id",
    "vendor_id",
    "priority",
    "contract_id",
    "response_target_minutes",
    "resolution_target_minutes",
    "created_at",
    "first_response_at",
    "resolved_at",
    "response_outcome_at",
    "resolution_outcome_at",
]


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


# Record fields longer than their column are refused; a longer title is cut (it is only shown)
# and a longer version stamp is hashed.
_LIMITS = {name: _max_length(Ticket, name) for name in ("external_id", "category", "requester")}
_LIMITS["technician"] = _max_length(Technician, "name")
_LIMITS["attribution"] = _max_length(AttributionRule, "value")
_TITLE = _max_length(Ticket, "title")
_VERSION = _max_length(Ticket, "source_version")
_EVENT_TEXT = _max_length(TicketEvent, "actor")


class _Draft:
    """A ticket row being built, with Ticket's attribute names (what `ticket_apply_facts` and
    the writers read), at a fraction of a model instance's cost."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(_DEFAULTS)
        self.__dict__.update(values)


@dataclass
class _Work:
    """A record on its way to the database."""

    record: TicketRecord
    draft: _Draft
    stored: tuple | None = None  # the stored row (_STORED) of a ticket being updated


# --- the run ---------------------------------------------------------------------------------


class _Ingest:
    def __init__(
        self, *, source: str, run: ImportRun, now: dt.datetime, results: list | None
    ) -> None:
        self.source, self.run, self.now, self.results = source, run, now, results
        self.book = ClockBook()
        self.rules = {
            value: (vendor_id, contract_id)
            for value, vendor_id, contract_id in AttributionRule.objects.filter(
                source=source
            ).values_list("value", "vendor_id", "contract_id")
        }
        self.contracts: dict[int, Contract] = {}
        self.technicians: dict[int, dict[str, int]] = {}  # vendor -> name -> id
        self.unmapped: Counter[str] = Counter()
        self.touched = array("q")
        self.dirty: dict[int, dict[int, dt.datetime]] = defaultdict(dict)
        self.last_row = 0
        self.postgres = connection.vendor == "postgresql"
        self.writer: _Writer | None = None
        self.lock = threading.Lock()  # outcomes are counted by the writer thread too
        self.analyzed = 0  # tickets created when the statistics were last refreshed
        self._sequence: str | None = None  # the ticket id sequence (PostgreSQL)

    # -- one batch --

    def batch(self, items: Sequence[TicketRecord | RowError]) -> None:
        run = self.run
        accepted: dict[str, tuple[TicketRecord, int, int]] = {}
        for item in items:
            self.last_row = max(self.last_row, item.row, getattr(item, "last_row", 0))
            run.progress += 1
            if isinstance(item, RowError):
                self.reject(item)
                continue
            problem = validate(item)
            if problem is not None:
                self.reject(problem)
                continue
            target = self.attribute(item)
            if target is None:
                self.unmapped[item.attribution] += 1
                run.tickets_unmapped += 1
                self.result(item, UNMAPPED, [_unmapped_error(item)])
                continue
            first = accepted.get(item.external_id)
            if first is not None:
                reason = (
                    f"ticket {item.external_id} appears again (first at row {first[0].row}); "
                    "only the first was read"
                )
                self.reject(RowError(item.row, "external_id", reason, item.external_id))
                continue
            accepted[item.external_id] = (item, *target)
        if not accepted:
            return
        if self.writer is not None and self.writer.holds(accepted):
            self.writer.drain()  # a ticket still being written: look it up once it is

        stored = {row[0]: row[1:] for row in self.lookup(list(accepted))}
        new: list[tuple[TicketRecord, int, int]] = []
        changed: dict[int, tuple[TicketRecord, int, int]] = {}
        for external_id, (record, vendor_id, contract_id) in accepted.items():
            found = stored.get(external_id)
            if found is None:
                new.append((record, vendor_id, contract_id))
            elif found[1:] == (version_of(record), vendor_id, contract_id):
                run.tickets_unchanged += 1
                self.result(record, UNCHANGED)
            else:
                changed[found[0]] = (record, vendor_id, contract_id)

        work = [w for w in (self.prepare(*item) for item in new) if w is not None]
        if changed:
            rows = Ticket.objects.filter(pk__in=list(changed)).values_list(*_STORED)
            for row in rows:
                prepared = self.prepare(*changed[row[0]], stored=row)
                if prepared is not None:
                    work.append(prepared)
        if work:
            if self.writer is not None:
                # Formatted here, sent there: the writer thread then holds the GIL only for
                # moments, and the database works while this thread reads the next batch.
                self.writer.put(work, self.copy_data(work))
            else:
                self.write(work)

    def lookup(self, external_ids: list[str]) -> Iterable[tuple]:
        """(external id, id, version, vendor, contract) of the stored tickets among these."""
        columns = ("external_id", "id", "source_version", "vendor_id", "contract_id")
        if not self.postgres:
            return Ticket.objects.filter(
                source=self.source, external_id__in=external_ids
            ).values_list(*columns)
        # One array parameter: planning an IN list of 2,000 parameters costs more than the
        # index lookups themselves.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM {_table(Ticket)} "
                "WHERE source = %s AND external_id = ANY(%s)",
                [self.source, external_ids],
            )
            return cursor.fetchall()

    def attribute(self, record: TicketRecord) -> tuple[int, int] | None:
        """(vendor id, contract id) by the caller's choice, the source's rules, or None."""
        if isinstance(record, AttributedRecord) and record.contract_id:
            return record.vendor_id, record.contract_id
        return self.rules.get(record.attribution) or self.rules.get(AttributionRule.CATCH_ALL)

    def prepare(
        self, record: TicketRecord, vendor_id: int, contract_id: int, *, stored: tuple | None = None
    ) -> _Work | None:
        """The ticket's row with its facts derived; None (and a RowError) if they cannot be."""
        contract = self.contract(contract_id)
        draft = _Draft(
            source=self.source,
            external_id=record.external_id,
            source_version=version_of(record),
            vendor_id=vendor_id,
            contract_id=contract_id,
            contract=contract,
            technician_id=self.technician(vendor_id, record.technician),
            priority=record.priority,
            category=record.category,
            requester=record.requester,
            channel=record.channel,
            status=record.status,
            title=record.title[:_TITLE],
            created_at=record.created_at,
            resolved_at=record.resolved_at,
            closed_at=record.closed_at,
            response_target_minutes=None,
            resolution_target_minutes=None,
            source_sla_met=record.source_sla_met,
            source_fcr=record.source_fcr,
            source_reopen_count=record.source_reopen_count,
            source_reassignment_count=record.source_reassignment_count,
        )
        if stored is not None:
            draft.id = stored[0]
            # Targets were copied when the ticket was created; they stay unless the ticket
            # moved to another priority or contract, whose targets then apply.
            if stored[2:4] == (record.priority, contract_id):
                draft.response_target_minutes, draft.resolution_target_minutes = stored[4:6]
        try:
            ticket_apply_facts(
                draft,  # type: ignore[arg-type]
                record.events,  # type: ignore[arg-type]
                book=self.book,
                now=self.now,
                # Earlier assignees are matched to known technicians, never created: an
                # assignment may name a group or team rather than a person.
                technicians=self.known(vendor_id).get,
            )
        except ValidationError as exc:
            # The contract's SLA policy lacks a target: every ticket of it is refused alike.
            reason = "; ".join(exc.messages)
            self.reject(RowError(record.row, "contract", reason, record.external_id))
            return None
        except (ValueError, OverflowError) as exc:
            self.reject(
                RowError(record.row, "", f"cannot derive its facts: {exc}", record.external_id)
            )
            return None
        return _Work(record, draft, stored)

    def contract(self, contract_id: int) -> Contract:
        contract = self.contracts.get(contract_id)
        if contract is None:
            contract = self.contracts[contract_id] = Contract.objects.get(pk=contract_id)
        return contract

    def known(self, vendor_id: int) -> dict[str, int]:
        """The vendor's technicians by name, read once per run and grown as it creates them.
        The source's name is the technician's external_ref; a name typed by hand in the admin
        matches too, and the source's wins where both exist."""
        known = self.technicians.get(vendor_id)
        if known is None:
            known = self.technicians[vendor_id] = technicians_by_name(vendor_id)
        return known

    def technician(self, vendor_id: int, name: str) -> int | None:
        """The vendor's technician known by this name in the source, created if new."""
        name = name.strip()
        if not name:
            return None
        known = self.known(vendor_id)
        pk = known.get(name)
        if pk is None:
            # Another import may create the same technician at the same moment.
            Technician.objects.bulk_create(
                [Technician(vendor_id=vendor_id, name=name, external_ref=name)],
                ignore_conflicts=True,
            )
            pk = known[name] = Technician.objects.get(vendor_id=vendor_id, name=name).pk
        return pk

    # -- writing --

    def write(self, work: list[_Work], data: _CopyData | None = None) -> None:
        """Writes the batch in one transaction (with `data`, its rows as copy_data() formatted
        them); if the database refuses it, ticket by ticket."""
        try:
            with transaction.atomic():
                if self.postgres:
                    # An import is safe to run again, so its batches need not wait for the
                    # disk: a crash loses at most the last moments, never consistency.
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL synchronous_commit TO OFF")
                self.write_rows(work, data)
        except DatabaseError:
            # One ticket spoilt the batch: write them one by one to find it.
            for one in work:
                try:
                    with transaction.atomic():
                        self.write_rows([one])
                except DatabaseError as exc:
                    record = one.record
                    reason = "the database refused the ticket: " + str(exc).strip().split("\n")[0]
                    self.reject(RowError(record.row, "", reason, record.external_id))
                else:
                    self.written([one])
        else:
            self.written(work)

    def write_rows(self, work: list[_Work], data: _CopyData | None = None) -> None:
        new = [w for w in work if w.stored is None]
        changed = [w for w in work if w.stored is not None]
        if data is not None:
            self.send(Ticket, ["id", *TICKET_COLUMNS], data.tickets)
        elif new:
            self.insert_tickets([w.draft for w in new])
        if changed:
            table = _table(Ticket)
            quote = connection.ops.quote_name
            sets = ", ".join(f"{quote(c)} = %s" for c in UPDATE_COLUMNS)
            rows = [
                self._adapt(Ticket, UPDATE_COLUMNS + ["id"], _update_row(w.draft)) for w in changed
            ]
            with connection.cursor() as cursor:
                cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", rows)
            ids = [w.draft.id for w in changed]
            TicketEvent.objects.filter(ticket_id__in=ids).delete()
            # An answer goes when the source brings another or the ticket is open again; one
            # given through the survey link or the API is not otherwise the source's to drop.
            SurveyResponse.objects.filter(
                ticket_id__in=[
                    w.draft.id
                    for w in changed
                    if w.record.survey is not None or w.draft.resolved_at is None
                ]
            ).delete()
        if data is not None:
            self.send(TicketEvent, EVENT_COLUMNS, data.events)
            self.send(SurveyResponse, SURVEY_COLUMNS, data.surveys)
            return
        events, surveys = self.child_rows(work)
        self.insert(TicketEvent, EVENT_COLUMNS, events)
        self.insert(SurveyResponse, SURVEY_COLUMNS, surveys)

    def child_rows(self, work: list[_Work]) -> tuple[list[tuple], list[tuple]]:
        """The rows of the tickets' events and survey answers."""
        events, surveys = [], []
        for w in work:
            pk = w.draft.id
            events.extend(
                (
                    pk,
                    e.at,
                    seq,
                    e.kind,
                    e.old_value[:_EVENT_TEXT],
                    e.new_value[:_EVENT_TEXT],
                    e.actor[:_EVENT_TEXT],
                    e.by_vendor,
                )
                for seq, e in enumerate(w.record.events)
            )
            s = w.record.survey
            if s is not None:
                surveys.append((pk, s.score, s.scale, s.comment, s.answered_at))
        return events, surveys

    def copy_data(self, work: list[_Work]) -> _CopyData:
        """The batch's rows as binary COPY data, new tickets given their ids first."""
        drafts = [w.draft for w in work if w.stored is None]
        self.assign_ids(drafts)
        events, surveys = self.child_rows(work)
        return _CopyData(
            tickets=self.format(Ticket, ["id", *TICKET_COLUMNS], map(_new_ticket_row, drafts)),
            events=self.format(TicketEvent, EVENT_COLUMNS, events),
            surveys=self.format(SurveyResponse, SURVEY_COLUMNS, surveys),
        )

    def format(self, model, columns: list[str], rows: Iterable[tuple]) -> bytes:
        """Rows as PostgreSQL's binary COPY format, without a round trip to the server."""
        out = io.BytesIO()
        with (
            connection.cursor() as cursor,
            Copy(cursor.cursor, binary=True, writer=FileWriter(out)) as copy,
        ):
            copy.set_types(_pg_types(model, tuple(columns)))
            for row in rows:
                copy.write_row(row)
        return out.getvalue()

    def send(self, model, columns: list[str], data: bytes) -> None:
        """COPY data formatted by format() into the model's table."""
        if len(data) <= len(_EMPTY_BINARY_COPY):
            return  # no rows
        sql = f"COPY {_table(model)} ({self._names(model, columns)}) FROM STDIN (FORMAT BINARY)"
        # The raw cursor's errors become Django's, for the savepoint logic in write().
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(sql) as copy,
        ):
            copy.write(data)

    def assign_ids(self, drafts: list[_Draft]) -> None:
        """Ids from the table's sequence (PostgreSQL), so events can be written with them in
        the same pass."""
        if not drafts:
            return
        with connection.cursor() as cursor:
            # The sequence by name, found once: pg_get_serial_sequence() in the select list
            # runs per row and costs ten times the nextval() calls themselves.
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                [self.ticket_sequence(), len(drafts)],
            )
            for draft, (pk,) in zip(drafts, cursor.fetchall(), strict=True):
                draft.id = pk

    def insert_tickets(self, drafts: list[_Draft]) -> None:
        if self.postgres:
            self.assign_ids(drafts)
            self.insert(Ticket, ["id", *TICKET_COLUMNS], [_new_ticket_row(d) for d in drafts])
            return
        self.insert(Ticket, TICKET_COLUMNS, [_ticket_row(d) for d in drafts])
        ids = dict(
            Ticket.objects.filter(
                source=self.source, external_id__in=[d.external_id for d in drafts]
            ).values_list("external_id", "id")
        )
        for draft in drafts:
            draft.id = ids[draft.external_id]

    def ticket_sequence(self) -> str:
        if self._sequence is None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Ticket._meta.db_table])
                self._sequence = cursor.fetchone()[0]
        return self._sequence

    def insert(self, model, columns: list[str], rows: list[tuple]) -> None:
        """Plain rows without a model instance each: binary COPY on PostgreSQL, executemany
        elsewhere."""
        if not rows:
            return
        names = self._names(model, columns)
        table = _table(model)
        with connection.cursor() as cursor:
            if self.postgres:
                sql = f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)"
                # The raw cursor's errors become Django's, for the savepoint logic in write().
                with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                    copy.set_types(_pg_types(model, tuple(columns)))
                    for row in rows:
                        copy.write_row(row)
                return
            rows = [self._adapt(model, columns, row) for row in rows]
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    @staticmethod
    def _names(model, columns: list[str]) -> str:
        quote = connection.ops.quote_name
        return ", ".join(quote(model._meta.get_field(c).column) for c in columns)

    def _adapt(self, model, columns: list[str], row: tuple) -> tuple:
        """Times as the backend stores them (SQLite: naive UTC text); PostgreSQL takes them as
        they are."""
        if self.postgres:
            return row
        adapt = connection.ops.adapt_datetimefield_value
        return tuple(adapt(v) if isinstance(v, dt.datetime) else v for v in row)

    def written(self, work: list[_Work]) -> None:
        with self.lock:
            self._count_written(work)

    def _count_written(self, work: list[_Work]) -> None:
        run = self.run
        for w in work:
            d = w.draft
            self.touched.append(d.id)
            self.mark(d.vendor_id, _INSTANTS(d))
            if w.stored is None:
                run.tickets_created += 1
                self.result(w.record, CREATED)
            else:
                # The periods the ticket left need their figures again too.
                self.mark(w.stored[1], w.stored[6:])
                run.tickets_updated += 1
                self.result(w.record, UPDATED)

    def mark(self, vendor_id: int, instants: Iterable[dt.datetime | None]) -> None:
        # Periods are cut at local midnight; instants in the same quarter hour fall in the
        # same periods, so one instant per quarter hour stands for them all.
        buckets = self.dirty[vendor_id]
        for at in instants:
            if at is not None:
                buckets.setdefault(int(at.timestamp()) // DIRTY_BUCKET_SECONDS, at)

    # -- outcomes --

    def reject(self, error: RowError) -> None:
        with self.lock:
            self._count_rejected(error)

    def _count_rejected(self, error: RowError) -> None:
        run = self.run
        run.tickets_rejected += 1
        entry = {
            "row": error.row,
            "column": error.column,
            "reason": error.reason,
            "external_id": error.external_id,
        }
        if len(run.errors) < ImportRun.ERRORS_KEPT:
            run.errors.append(entry)
        if self.results is not None:
            self.results.append(ItemResult(error.row, error.external_id, ERROR, [entry]))

    def result(self, record: TicketRecord, outcome: str, errors: list | None = None) -> None:
        if self.results is not None:  # list.append is atomic: no lock needed
            self.results.append(ItemResult(record.row, record.external_id, outcome, errors or []))

    def analyze_if_grown(self, *, at_least: int | None = None) -> None:
        """Refreshes the planner's statistics once the run has created `at_least` tickets
        since the last refresh; by default ANALYZE_AFTER and as many as it had created by then
        (so at 100k, 200k, 400k, ...: a few times per import, each well under a second)."""
        created = self.run.tickets_created
        if at_least is None:
            at_least = max(ANALYZE_AFTER, self.analyzed)
        if not self.postgres or created - self.analyzed < at_least:
            return
        with connection.cursor() as cursor:
            for model in (Ticket, TicketEvent):
                cursor.execute(f"ANALYZE {_table(model)}")
        self.analyzed = created

    # -- after the last batch --

    def finish(self) -> None:
        self.analyze_if_grown(at_least=10_000)  # for the next import and the scorecards
        touched = self.touched
        if len(touched) > REPEATS_FULL_PASS:
            tickets_refresh_repeats()
        else:
            for start in range(0, len(touched), REPEATS_CHUNK):
                tickets_refresh_repeats(ticket_ids=touched[start : start + REPEATS_CHUNK].tolist())
        for vendor_id, buckets in self.dirty.items():
            vendor_figures_changed.send(
                sender=Ticket, vendor_id=vendor_id, instants=_one_per_day(buckets.values())
            )
        self.dirty.clear()
        self.touched = array("q")


class _Writer:
    """Writes prepared batches on a thread with its own database connection.

    PostgreSQL spends about as long inserting a batch, updating its indexes and checking its
    foreign keys at commit as Python spends reading and deriving one; the two overlap. At most
    one batch waits in the queue, so memory stays flat.
    """

    def __init__(self, ingest: _Ingest) -> None:
        self.ingest = ingest
        self.queue: queue.Queue[tuple[list[_Work], _CopyData] | None] = queue.Queue(maxsize=1)
        self.pending: set[str] = set()  # external ids queued or being written
        self.error: BaseException | None = None
        self.closed = False
        self.thread = threading.Thread(target=self._run, name="ticket-writer", daemon=True)
        self.thread.start()

    def put(self, work: list[_Work], data: _CopyData) -> None:
        self._check()
        with self.ingest.lock:
            self.pending.update(w.draft.external_id for w in work)
        self.queue.put((work, data))

    def holds(self, external_ids: Iterable[str]) -> bool:
        with self.ingest.lock:
            return not self.pending.isdisjoint(external_ids)

    def drain(self) -> None:
        self.queue.join()
        self._check()

    def close(self, *, check: bool = True) -> None:
        if not self.closed:
            self.closed = True
            self.queue.put(None)
            self.thread.join()
        if check:
            self._check()

    def _check(self) -> None:
        if self.error is not None:
            raise self.error

    def _run(self) -> None:
        try:
            while (item := self.queue.get()) is not None:
                work, data = item
                try:
                    if self.error is None:
                        self.ingest.write(work, data)
                except BaseException as exc:  # handed to the reading thread
                    self.error = exc
                finally:
                    with self.ingest.lock:
                        self.pending.difference_update(w.draft.external_id for w in work)
                    self.queue.task_done()
            self.queue.task_done()
        finally:
            connection.close()  # this thread's own connection


@dataclass
class _CopyData:
    """A batch's new tickets, events and survey answers in binary COPY format."""

    tickets: bytes
    events: bytes
    surveys: bytes


_EMPTY_BINARY_COPY = b"PGCOPY\n\xff\r\n\x00" + bytes(8) + b"\xff\xff"  # signature, trailer


def _new_ticket_row(draft: _Draft) -> tuple:
    return (draft.id, *_ticket_row(draft))


def _one_per_day(instants: Iterable[dt.datetime]) -> list[dt.datetime]:
    """One instant per local date of the reporting zone: every period is a run of whole days."""
    zone = ZoneInfo(settings.REPORTING_TIME_ZONE)
    days: dict[dt.date, dt.datetime] = {}
    for at in instants:
        days.setdefault(at.astimezone(zone).date(), at)
    return list(days.values())


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


_PG_TYPES = {
    "varchar": "text",
    "text": "text",
    "timestamp with time zone": "timestamptz",
    "boolean": "bool",
    "integer": "int4",
    "smallint": "int2",
    "bigint": "int8",
    "double precision": "float8",
}
_pg_type_cache: dict[tuple, list[str]] = {}


def _pg_types(model, columns: tuple[str, ...]) -> list[str]:
    """The binary COPY types of the columns (varchar(80) -> text, ...)."""
    key = (model, columns)
    if key not in _pg_type_cache:
        types = []
        for name in columns:
            db_type = model._meta.get_field(name).db_type(connection)
            types.append(_PG_TYPES[db_type.split("(")[0]])
        _pg_type_cache[key] = types
    return _pg_type_cache[key]


# --- checks ------------------------------------------------------------------------------------


def version_of(record: TicketRecord) -> str:
    """The source's version stamp; for a source without one, a fingerprint of the ticket, so an
    unchanged row is still recognised as unchanged."""
    version = record.version
    if version and len(version) <= _VERSION:
        return version
    if version:
        return "sha1:" + hashlib.sha1(version.encode()).hexdigest()
    content = repr([getattr(record, name) for name in _FINGERPRINT])
    return "sha1:" + hashlib.sha1(content.encode()).hexdigest()


_FINGERPRINT = [
    name for name in TicketRecord.__dataclass_fields__ if name not in ("row", "last_row")
]


def _unmapped_error(record: TicketRecord) -> dict[str, Any]:
    value = record.attribution or "(empty)"
    return {
        "row": record.row,
        "column": "attribution",
        "reason": f"no attribution rule maps {value!r} to a vendor",
        "external_id": record.external_id,
    }


def _aware(at: Any) -> bool:
    if at.__class__ is dt.datetime and at.tzinfo.__class__ is dt.timezone:
        return True  # a fixed offset (what readers give): no utcoffset() call needed
    return isinstance(at, dt.datetime) and at.tzinfo is not None and at.utcoffset() is not None


def validate(record: TicketRecord) -> RowError | None:
    """What the database would refuse, found before it does, with the column and reason."""

    def error(column: str, reason: str) -> RowError:
        return RowError(record.row, column, reason, record.external_id)

    if not record.external_id:
        return error("external_id", "empty ticket id")
    for name, limit in _LIMITS.items():
        if len(getattr(record, name)) > limit:
            return error(name, f"{name} is longer than {limit} characters")
    if record.priority not in PRIORITIES:
        return error("priority", f"unknown priority {record.priority!r}")
    if record.status not in STATUSES:
        return error("status", f"unknown status {record.status!r}")
    if record.channel not in CHANNELS:
        return error("channel", f"unknown channel {record.channel!r}")
    created = record.created_at
    if not _aware(created):
        return error("created_at", "the time has no time zone (naive datetime)")
    for name in ("resolved_at", "closed_at"):
        at = getattr(record, name)
        if at is None:
            continue
        if not _aware(at):
            return error(name, "the time has no time zone (naive datetime)")
        if at < created:
            label = name.removesuffix("_at")
            return error(
                name,
                f"{label} ({at:%Y-%m-%d %H:%M} UTC) before the ticket was created "
                f"({created:%Y-%m-%d %H:%M} UTC)",
            )
    for index, event in enumerate(record.events):
        if event.kind not in EVENT_KINDS:
            return error("events", f"event {index + 1}: unknown kind {event.kind!r}")
        if not _aware(event.at):
            return error("events", f"event {index + 1}: the time has no time zone")
        if event.at < created:
            return error(
                "events",
                f"event {index + 1} ({event.kind}, {event.at:%Y-%m-%d %H:%M} UTC) is before the "
                "ticket was created",
            )
    for name in ("source_reopen_count", "source_reassignment_count"):
        value = getattr(record, name)
        if value is not None and value < 0:
            return error(name, f"{name} is negative")
    survey = record.survey
    if survey is not None:
        low = 1 if survey.scale == 5 else 0
        if survey.scale not in (5, 10):
            return error("survey", "the survey scale is 5 (CSAT 1..5) or 10 (NPS 0..10)")
        if not low <= survey.score <= survey.scale:
            return error("survey", f"survey score {survey.score} is outside {low}..{survey.scale}")
        if not _aware(survey.answered_at):
            return error("survey", "the survey time has no time zone")
        if survey.answered_at < created:
            return error("survey", "the survey was answered before the ticket was created")
    return None
