"""Thin Celery wrappers: take ids, call a service, retry on database or broker trouble."""

from __future__ import annotations

import logging
from datetime import datetime

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from common.tasks import RETRYING
from tickets.ingest import services as ingest_services
from tickets.live.schedule import live_sources_due, run_touched_vendor_ids
from tickets.live.sync import SourceBusy, SyncRefused, live_source_sync
from tickets.live.webhooks import live_source_deliveries_clear
from tickets.models import LiveSource, Ticket
from tickets.services import ticket_refresh_facts
from vendors.signals import vendor_tickets_synced

logger = logging.getLogger(__name__)


@shared_task(**RETRYING, max_retries=5, soft_time_limit=120, time_limit=150)
def refresh_ticket_facts(self, ticket_id: int) -> dict:
    """Re-derive one ticket's facts (after an edit, or when an open ticket's clock runs out)."""
    ticket = Ticket.objects.select_related("contract").get(pk=ticket_id)
    ticket_refresh_facts(ticket=ticket)
    return {
        "ticket": ticket_id,
        "response_met": ticket.response_met,
        "resolution_met": ticket.resolution_met,
    }


# Below the broker's visibility timeout (1 h), so a long import is never handed to a second
# worker while the first still runs it.
IMPORT_SOFT_LIMIT, IMPORT_HARD_LIMIT = 3000, 3300


@shared_task(
    **RETRYING, max_retries=5, soft_time_limit=IMPORT_SOFT_LIMIT, time_limit=IMPORT_HARD_LIMIT
)
def import_run_execute(self, run_id: int) -> dict:
    """Imports a web upload queued by its Start button; safe to run again (see the service)."""
    run = ingest_services.import_run_execute(run_id=run_id)
    return {"run": run.pk, "status": run.status, "rows_read": run.rows_read}


@shared_task(**RETRYING, max_retries=3, soft_time_limit=300, time_limit=330)
def clear_abandoned_uploads(self) -> int:
    """Daily: deletes web uploads that were never started (see the service)."""
    return ingest_services.import_uploads_clear_abandoned()


# --- live sources ------------------------------------------------------------------------------

# Set when a run of the source is queued, cleared when it starts: the beat and webhooks queue
# no second run meanwhile. Expires on its own should the queued task be lost.
RUN_QUEUED_KEY = "vendorscore:live-source-queued:{}"
RUN_QUEUED_FOR = 300


def live_source_queue_run(source_id: int) -> bool:
    """Queues an incremental run of the source unless one is queued and not yet started;
    whether it queued one. (A second run while one goes on is refused by the lease.)"""
    key = RUN_QUEUED_KEY.format(source_id)
    if not cache.add(key, "queued", timeout=RUN_QUEUED_FOR):
        return False
    try:
        live_source_run.delay(source_id)
    except Exception:
        cache.delete(key)  # nothing was queued: the next delivery or beat must try again
        raise
    return True


@shared_task(**RETRYING, max_retries=3, soft_time_limit=60, time_limit=90)
def live_sources_run_due(self) -> list[int]:
    """Every minute (beat): queues a run of each source due one (see tickets.live.schedule),
    and clears the webhook deliveries too old to matter. The ids of the sources queued."""
    now = timezone.now()
    live_source_deliveries_clear(now=now)
    return [s.pk for s in live_sources_due(now) if live_source_queue_run(s.pk)]


@shared_task(
    **RETRYING, max_retries=3, soft_time_limit=IMPORT_SOFT_LIMIT, time_limit=IMPORT_HARD_LIMIT
)
def live_source_run(self, source_id: int, since_iso: str | None = None, full: bool = False) -> dict:
    """One run of a live source (tickets.live.sync): from its cursor, or `since_iso`, or
    everything with `full`. Another run holding the source's lease makes this one "skipped",
    not a retry. A run that created or updated tickets has their vendors' figures recomputed
    (vendors.signals.vendor_tickets_synced)."""
    cache.delete(RUN_QUEUED_KEY.format(source_id))
    source = LiveSource.objects.filter(pk=source_id).first()
    if source is None:
        return {"source": source_id, "status": "gone"}
    since = datetime.fromisoformat(since_iso) if since_iso else None
    try:
        run = live_source_sync(source=source, since=since, full=full)
    except SourceBusy as exc:
        return {"source": source_id, "status": "skipped", "reason": str(exc)}
    except SyncRefused as exc:
        logger.warning("live source %s not run: %s", source.name, exc)
        return {"source": source_id, "status": "refused", "reason": str(exc)}
    vendor_ids = run_touched_vendor_ids(source=source, run=run)
    if vendor_ids:
        vendor_tickets_synced.send(sender=Ticket, vendor_ids=vendor_ids)
    return {
        "source": source_id,
        "run": run.pk,
        "status": run.status,
        "created": run.tickets_created,
        "updated": run.tickets_updated,
        "unchanged": run.tickets_unchanged,
        "rejected": run.tickets_rejected,
        "unmapped": run.tickets_unmapped,
        "vendors": vendor_ids,
    }
