"""Against the real services CI provides: PostgreSQL, Redis and a Celery worker process.

These run when DATABASE_URL names PostgreSQL and REDIS_URL is set; with
VENDORSCORE_REQUIRE_SERVICES=1 (CI) a missing service fails them, it never skips them.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import redis
from django.conf import settings
from django.db import connection

from tests.factories import ContractFactory, TicketFactory
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_refresh_facts

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("require_services")]
LONDON = ZoneInfo("Europe/London")


@pytest.mark.django_db
def test_the_database_is_postgresql_15_or_newer():
    assert connection.vendor == "postgresql"
    assert connection.pg_version >= 150000


def test_redis_answers_and_keeps_what_it_is_given():
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.set("vendorscore:test", "42", ex=30)
    assert client.get("vendorscore:test") == b"42"


def test_a_worker_derives_a_tickets_facts_in_the_shared_database(celery_worker_process):
    from config.celery import app, ping
    from tickets.tasks import refresh_ticket_facts

    assert app.conf.task_always_eager is False
    assert ping.delay().get(timeout=60) == "pong"

    created = dt.datetime(2026, 11, 20, 16, 30, tzinfo=LONDON)
    # Resolved, so no outcome depends on when the worker runs (it cannot share a frozen clock):
    # 0.5 business hours on Friday and 1 on Monday, within the 8-hour target.
    ticket = TicketFactory.build(
        contract=ContractFactory(),
        created_at=created,
        status="resolved",
        resolved_at=dt.datetime(2026, 11, 23, 10, 0, tzinfo=LONDON),
    )
    ticket_refresh_facts(
        ticket=ticket,
        events=[TicketEvent(at=dt.datetime(2026, 11, 23, 9, 45, tzinfo=LONDON), kind="responded")],
    )
    Ticket.objects.filter(pk=ticket.pk).update(response_seconds=None, response_met=None)

    result = refresh_ticket_facts.delay(ticket.pk).get(timeout=60)

    assert result == {"ticket": ticket.pk, "response_met": False, "resolution_met": True}
    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.response_seconds == 75 * 60  # METRICS.md worked example 1
    assert stored.response_due_at == dt.datetime(2026, 11, 23, 9, 30, tzinfo=LONDON)
