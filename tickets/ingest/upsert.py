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

This module holds the run: its batches, their transactions and every outcome counted. A
record's row is derived in `derive` (plain Python objects, never model instances), its SQL is
in `tables`. On PostgreSQL, outside a caller's transaction, a writer thread with its own
connection writes one batch while the next is read and derived (`writer`).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, connection, reset_queries, transaction
from django.utils import timezone

from common.bulk import fewer_collections
from tickets.ingest.derive import INSTANTS, STORED, DraftBuilder, Work, validate, version_of
from tickets.ingest.records import RowError, TicketRecord
from tickets.ingest.tables import CopyData, TicketTables
from tickets.ingest.writer import WriterThread
from tickets.models import AttributionRule, ImportRun, Ticket
from tickets.services import tickets_refresh_repeats
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


@fewer_collections()  # records, drafts and rows form no cycles (common.bulk)
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
        ingest.writer = WriterThread(write=ingest.write, lock=ingest.lock)
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


class _Ingest:
    def __init__(
        self, *, source: str, run: ImportRun, now: dt.datetime, results: list | None
    ) -> None:
        self.run, self.results = run, results
        self.rules = {
            value: (vendor_id, contract_id)
            for value, vendor_id, contract_id in AttributionRule.objects.filter(
                source=source
            ).values_list("value", "vendor_id", "contract_id")
        }
        self.unmapped: Counter[str] = Counter()
        self.touched = array("q")
        self.dirty: dict[int, dict[int, dt.datetime]] = defaultdict(dict)
        self.last_row = 0
        self.postgres = connection.vendor == "postgresql"
        self.tables = TicketTables(source=source, postgres=self.postgres)
        self.drafts = DraftBuilder(source=source, now=now, reject=self.reject)
        self.writer: WriterThread | None = None
        self.lock = threading.Lock()  # outcomes are counted by the writer thread too
        self.analyzed = 0  # tickets created when the statistics were last refreshed

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

        stored = {row[0]: row[1:] for row in self.tables.lookup(list(accepted))}
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

        work = [w for w in (self.drafts.prepare(*item) for item in new) if w is not None]
        if changed:
            rows = Ticket.objects.filter(pk__in=list(changed)).values_list(*STORED)
            for row in rows:
                prepared = self.drafts.prepare(*changed[row[0]], stored=row)
                if prepared is not None:
                    work.append(prepared)
        if work:
            if self.writer is not None:
                # Formatted here, sent there: the writer thread then holds the GIL only for
                # moments, and the database works while this thread reads the next batch.
                self.writer.put(work, self.tables.copy_data(work))
            else:
                self.write(work)

    def attribute(self, record: TicketRecord) -> tuple[int, int] | None:
        """(vendor id, contract id) by the caller's choice, the source's rules, or None."""
        if isinstance(record, AttributedRecord) and record.contract_id:
            return record.vendor_id, record.contract_id
        return self.rules.get(record.attribution) or self.rules.get(AttributionRule.CATCH_ALL)

    # -- writing --

    def write(self, work: list[Work], data: CopyData | None = None) -> None:
        """Writes the batch in one transaction (with `data`, its rows as `TicketTables.copy_data`
        formatted them); if the database refuses it, ticket by ticket."""
        try:
            with transaction.atomic():
                if self.postgres:
                    # An import is safe to run again, so its batches need not wait for the
                    # disk: a crash loses at most the last moments, never consistency.
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL synchronous_commit TO OFF")
                self.tables.write_rows(work, data)
        except DatabaseError:
            # One ticket spoilt the batch: write them one by one to find it.
            for one in work:
                try:
                    with transaction.atomic():
                        self.tables.write_rows([one])
                except DatabaseError as exc:
                    record = one.record
                    reason = "the database refused the ticket: " + str(exc).strip().split("\n")[0]
                    self.reject(RowError(record.row, "", reason, record.external_id))
                else:
                    self.written([one])
        else:
            self.written(work)

    def written(self, work: list[Work]) -> None:
        with self.lock:
            self._count_written(work)

    def _count_written(self, work: list[Work]) -> None:
        run = self.run
        for w in work:
            d = w.draft
            self.touched.append(d.id)
            self.mark(d.vendor_id, INSTANTS(d))
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
        self.tables.analyze()
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


def _one_per_day(instants: Iterable[dt.datetime]) -> list[dt.datetime]:
    """One instant per local date of the reporting zone: every period is a run of whole days."""
    zone = ZoneInfo(settings.REPORTING_TIME_ZONE)
    days: dict[dt.date, dt.datetime] = {}
    for at in instants:
        days.setdefault(at.astimezone(zone).date(), at)
    return list(days.values())


def _unmapped_error(record: TicketRecord) -> dict[str, Any]:
    value = record.attribution or "(empty)"
    return {
        "row": record.row,
        "column": "attribution",
        "reason": f"no attribution rule maps {value!r} to a vendor",
        "external_id": record.external_id,
    }
