"""Thin Celery wrappers: take ids, call a service, retry on database or broker trouble."""

from __future__ import annotations

from celery import shared_task

from config.celery import RETRYING
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
