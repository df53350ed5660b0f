"""Thin Celery wrappers: take ids, call a service, retry on database or broker trouble."""

from __future__ import annotations

from celery import shared_task

from common.tasks import RETRYING
from tickets.ingest import services as ingest_services
from tickets.models import Ticket
from tickets.services import ticket_refresh_facts


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
