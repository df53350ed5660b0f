"""Reads of the sources pages: each live source's state, its runs, the groups no rule maps,
and the contracts a group may be mapped to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from tickets.live.connectors import connector_for
from tickets.live.sync import BACKFILL_KEY
from tickets.models import AttributionRule, ImportFormat, ImportRun, LiveSource
from vendors.models import Contract

RUNS_SHOWN = 10  # the detail page's runs
UNMAPPED_RUNS = 5  # the latest runs whose unmapped groups the detail page offers to map

# A re-backfill from this moment reads everything again (mapping a group asks for one).
EVERYTHING = datetime(1970, 1, 1, tzinfo=UTC)

RUNNING, PAUSED, NEVER_RUN, FAILING, HEALTHY = (
    "running",
    "paused",
    "never run",
    "failing",
    "healthy",
)


@dataclass(frozen=True)
class SourceState:
    """A source as the pages show it: its state in a word, its last run and its next one."""

    source: LiveSource
    state: str  # one of RUNNING, PAUSED, NEVER_RUN, FAILING, HEALTHY
    last_run: ImportRun | None
    next_run_at: datetime | None  # None: paused, or due now
    due: bool  # the next scheduled run may start now
    cursor_text: str


@dataclass(frozen=True)
class UnmappedGroup:
    value: str
    tickets: int  # as the newest run that saw it counted them
    run: ImportRun  # that run


def _runs_of(source: LiveSource):
    return ImportRun.objects.filter(source=source.name, format=ImportFormat.LIVE).order_by(
        "-created_at", "-pk"
    )


def source_state_of(source: LiveSource, *, now: datetime | None = None) -> SourceState:
    now = now or timezone.now()
    last_run = _runs_of(source).defer("errors", "notes", "options").first()
    if source.lease_owner and source.lease_until and source.lease_until > now:
        state = RUNNING
    elif not source.enabled:
        state = PAUSED
    elif source.last_run_at is None:
        state = NEVER_RUN
    elif source.last_error:
        state = FAILING
    else:
        state = HEALTHY
    next_run_at, due = None, False
    if source.enabled:
        if source.last_run_at is None:
            due = True
        else:
            next_run_at = source.last_run_at + timedelta(minutes=source.interval_minutes)
            due = next_run_at <= now
    return SourceState(
        source=source,
        state=state,
        last_run=last_run,
        next_run_at=None if due else next_run_at,
        due=due,
        cursor_text=cursor_text_of(source),
    )


def live_sources_overview(*, now: datetime | None = None) -> list[SourceState]:
    """Every source by name, with its state (one query for the runs of each source)."""
    now = now or timezone.now()
    return [source_state_of(s, now=now) for s in LiveSource.objects.order_by("name")]


def cursor_text_of(source: LiveSource) -> str:
    """How far the source has read, in words: what its next run reads."""
    cursor = dict(source.cursor or {})
    connector = connector_for(source.kind)
    if set(cursor) == {BACKFILL_KEY}:
        since = datetime.fromisoformat(cursor[BACKFILL_KEY])
        if since <= EVERYTHING:
            noun = connector.noun if connector is not None else "tickets"
            return f"Re-backfill pending: the next run reads every one of its {noun} again."
        if connector is None:
            return f"Re-backfill from {since:%Y-%m-%d %H:%M} UTC pending."
        return "Re-backfill pending: " + connector.describe(cursor={}, since=since)
    if connector is None:
        return (
            "Nothing read yet." if not cursor else ", ".join(f"{k}: {v}" for k, v in cursor.items())
        )
    return connector.describe(cursor=cursor, since=None)


def live_source_get(*, source_id: int) -> LiveSource:
    """The source, or 404."""
    return get_object_or_404(LiveSource, pk=source_id)


def live_source_name_taken(*, name: str) -> bool:
    return LiveSource.objects.filter(name=name.strip()).exists()


def live_source_runs(*, source: LiveSource, limit: int = RUNS_SHOWN) -> list[ImportRun]:
    """The source's latest runs, newest first (with their rejected rows)."""
    return list(_runs_of(source).defer("options")[:limit])


def live_source_unmapped(*, source: LiveSource, runs: int = UNMAPPED_RUNS) -> list[UnmappedGroup]:
    """The groups the source's latest runs saw that no rule maps (a rule set since drops
    one), each with the ticket count of the newest run that saw it; most tickets first."""
    mapped = set(AttributionRule.objects.filter(source=source.name).values_list("value", flat=True))
    if "*" in mapped:  # a catch-all rule maps every group
        return []
    groups: dict[str, UnmappedGroup] = {}
    for run in _runs_of(source).only("pk", "created_at", "unmapped")[:runs]:
        for value, count in (run.unmapped or {}).items():
            if value not in mapped and value not in groups:
                groups[value] = UnmappedGroup(value=value, tickets=count, run=run)
    return sorted(groups.values(), key=lambda g: (-g.tickets, g.value))


def contracts_to_map() -> QuerySet[Contract]:
    """Every contract a group may be attributed to, by vendor."""
    return Contract.objects.select_related("vendor").order_by("vendor__name", "name", "pk")
