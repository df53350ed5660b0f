"""A live source's run: its tickets read page by page and upserted, its cursor moved with them.

`live_source_sync` records one ImportRun per run and writes each page of the connector's
records (`tickets.live.connectors`) with `tickets.ingest.upsert.ingest_records` (the one upsert
every way in shares) and the source's new cursor in one transaction. A run stopped between
pages (killed, or the source failing) has committed whole pages only, and the next run resumes
from the last committed cursor; the records it reads again are the upsert's "unchanged".

A run holds the source's lease (LiveSource.lease_owner / lease_until) while it reads and
renews it with each page: a second run of the same source is refused, and the lease of a
worker killed mid-run runs out after LEASE so the next scheduled run goes ahead.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tickets.ingest.records import RowError, TicketRecord
from tickets.ingest.upsert import ingest_records
from tickets.live.connectors import LivePage, SourceSettings, connector_for
from tickets.live.credentials import SecretUnreadable, live_source_secret
from tickets.live.http import SourceError
from tickets.models import ImportFormat, ImportRun, LiveSource, Ticket

# A run renews its lease with every page; a page taking longer than this is taken as a dead run.
LEASE = timedelta(minutes=15)
BACKFILL_KEY = "backfill_from"  # a cursor holding only this starts the next run from that day

Progress = Callable[[LivePage, ImportRun], None]


class SyncRefused(ValueError):
    """The source cannot be run as it is (its kind, its name, its secret): nothing was read."""


class SourceBusy(SyncRefused):
    """Another run of the source holds its lease."""


def source_settings(source: LiveSource) -> SourceSettings:
    """The connector's view of a source, with its secret decrypted; SyncRefused if unreadable."""
    try:
        password = live_source_secret(source)
    except SecretUnreadable as exc:
        raise SyncRefused(f"secret: {exc}") from None
    return SourceSettings(
        name=source.name,
        base_url=source.base_url,
        username=source.username,
        password=password,
        filter=source.filter,
        time_zone=source.time_zone,
    )


def live_source_sync(
    *,
    source: LiveSource,
    since: datetime | None = None,
    full: bool = False,
    page_size: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    until: datetime | None = None,
    progress: Progress | None = None,
    **fetch_options: Any,
) -> ImportRun:
    """Reads the source's tickets updated since its cursor (or `since`; everything with
    `full`) and upserts them a page at a time, each page committed with the cursor after it.

    Returns the run: DONE, or FAILED with the source's message (access denied, unavailable,
    a malformed page) and nothing of the failing page written; the source's last_run_at and
    last_error say the same. SyncRefused, before any run is recorded (last_error says why),
    for a source that cannot run (a kind without a connector, a name too long for tickets, no
    readable secret);
    SourceBusy while another run holds the source's lease.
    """
    try:
        connector = _runnable(source)
        settings = source_settings(source)
    except SyncRefused as exc:
        # Said on the source too, and counted as its run: the schedule then waits its
        # interval instead of refusing it again every minute.
        source.last_run_at, source.last_error = timezone.now(), str(exc)
        source.save(update_fields=["last_run_at", "last_error", "updated_at"])
        raise
    owner = live_source_lease_take(source)
    try:
        return _run(
            source,
            connector,
            settings,
            since=since,
            full=full,
            page_size=page_size,
            sleep=sleep,
            until=until,
            progress=progress,
            owner=owner,
            **fetch_options,
        )
    finally:
        live_source_lease_release(source, owner)


def _runnable(source: LiveSource):
    """The source's connector; SyncRefused when the source cannot run as it is."""
    connector = connector_for(source.kind)
    if connector is None:
        raise SyncRefused(
            f"kind: {source.get_kind_display()} sources are not supported yet "
            f"(source {source.name!r})."
        )
    if len(source.name) > Ticket._meta.get_field("source").max_length:
        raise SyncRefused(
            f"name: {source.name!r} is longer than a ticket's source name "
            f"({Ticket._meta.get_field('source').max_length} characters); rename the source."
        )
    return connector


def _run(source, connector, settings, *, since, full, progress, owner, **fetch_options):
    cursor = {} if full else dict(source.cursor or {})
    if since is None and not full and set(cursor) == {BACKFILL_KEY}:
        since = datetime.fromisoformat(cursor[BACKFILL_KEY])
    if since is not None or full:
        cursor = {}
    run = ImportRun.objects.create(
        source=source.name,
        format=ImportFormat.LIVE,
        file_name=f"{source.get_kind_display()} at {source.base_url}",
    )
    run.notes = [connector.describe(cursor=cursor, since=since, **fetch_options)]
    started_at, clock = timezone.now(), time.perf_counter()
    unmapped: Counter[str] = Counter()
    try:
        for page in connector.pages(settings, cursor=cursor, since=since, **fetch_options):
            run.notes.extend(note for note in page.notes if note not in run.notes)
            _commit_page(source, run, page, unmapped, owner)
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


def _commit_page(
    source: LiveSource,
    run: ImportRun,
    page: LivePage,
    unmapped: Counter[str],
    owner: str,
) -> None:
    """The page's tickets and the cursor after it, in one transaction: both or neither."""
    records: list[TicketRecord | RowError] = page.records
    with transaction.atomic():
        if records:
            # ingest_records marks the run done and counts this page's unmapped values only;
            # the run goes on, so it is marked running again and the values summed.
            ingest_records(records, source=source.name, run=run, header_rows=0)
            unmapped.update(run.unmapped)
            run.status, run.finished_at = ImportRun.Status.RUNNING, None
            run.unmapped = dict(unmapped.most_common())
            run.save()
        fields = {"lease_until": timezone.now() + LEASE, "updated_at": timezone.now()}
        if page.cursor is not None:
            source.cursor = {
                **{k: v for k, v in (source.cursor or {}).items() if k != BACKFILL_KEY},
                **page.cursor,
            }
            fields["cursor"] = source.cursor
        LiveSource.objects.filter(pk=source.pk, lease_owner=owner).update(**fields)


# --- the lease ---------------------------------------------------------------------------------


def live_source_lease_take(source: LiveSource, *, now: datetime | None = None) -> str:
    """Takes the source's run lease (free, or run out) and returns its owner token; SourceBusy
    if a live run holds it. One conditional UPDATE, so two workers cannot both take it."""
    now = now or timezone.now()
    owner = uuid.uuid4().hex
    free = Q(lease_owner="") | Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    taken = LiveSource.objects.filter(free, pk=source.pk).update(
        lease_owner=owner, lease_until=now + LEASE
    )
    if not taken:
        current = LiveSource.objects.filter(pk=source.pk).values_list("lease_until", flat=True)
        until = current.first()
        when = f" (its lease runs until {until:%Y-%m-%d %H:%M} UTC)" if until else ""
        raise SourceBusy(f"{source.name}: another run of this source is still going{when}.")
    source.lease_owner, source.lease_until = owner, now + LEASE
    return owner


def live_source_lease_release(source: LiveSource, owner: str) -> None:
    LiveSource.objects.filter(pk=source.pk, lease_owner=owner).update(
        lease_owner="", lease_until=None
    )
    source.lease_owner, source.lease_until = "", None
