"""Which live sources are due a scheduled run, and what a run's follow-up needs to know.

The beat task `tickets.tasks.live_sources_run_due` asks every minute for the sources due and
queues one run each. A source is due when it is enabled, its last run ended at least its
interval ago (or it never ran), and no run holds its lease (tickets.live.sync: a lease held by
a killed worker runs out, and the source is due again). Sources are few (tens), so they are
read whole and judged here in Python rather than by date arithmetic in SQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from tickets.models import ImportRun, LiveSource, Ticket


def source_is_due(
    *,
    enabled: bool,
    last_run_at: datetime | None,
    interval_minutes: int,
    lease_owner: str,
    lease_until: datetime | None,
    now: datetime,
) -> bool:
    """Enabled, its interval gone by since its last run, and its lease free or run out."""
    if not enabled:
        return False
    lease_held = bool(lease_owner) and lease_until is not None and lease_until >= now
    if lease_held:
        return False
    return last_run_at is None or last_run_at + timedelta(minutes=interval_minutes) <= now


def live_sources_due(now: datetime) -> list[LiveSource]:
    """The enabled sources due a scheduled run at `now`, by name."""
    sources = LiveSource.objects.filter(enabled=True).only(
        "pk", "name", "enabled", "last_run_at", "interval_minutes", "lease_owner", "lease_until"
    )
    return [
        source
        for source in sources
        if source_is_due(
            enabled=source.enabled,
            last_run_at=source.last_run_at,
            interval_minutes=source.interval_minutes,
            lease_owner=source.lease_owner,
            lease_until=source.lease_until,
            now=now,
        )
    ]


def run_touched_vendor_ids(*, source: LiveSource, run: ImportRun) -> list[int]:
    """The vendors whose tickets the run created or updated: the upsert stamps a written
    ticket's facts_computed_at, and an unchanged one is not written. (A ticket moved to
    another vendor also marked its old vendor's periods dirty; those wait for the nightly
    recompute.)"""
    if not (run.tickets_created or run.tickets_updated) or run.started_at is None:
        return []
    touched = Ticket.objects.filter(source=source.name, facts_computed_at__gte=run.started_at)
    return sorted(set(touched.values_list("vendor_id", flat=True)))
