"""Live sources through a real Celery worker, Redis and PostgreSQL: a queued run and a signed
webhook delivery are run by the worker against the stand-in ServiceNow on a live port, the
tickets land and the month they fall in is recomputed; and of two workers taking a source's
lease at the same instant, exactly one wins."""

from __future__ import annotations

import io
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone

from scorecards.models import MetricValue
from tests.factories import ContractFactory
from tests.live.standin import PASSWORD, START, USER, StandIn, cell
from tickets.live.sync import SourceBusy, live_source_lease_take
from tickets.live.webhooks import signed_headers
from tickets.models import ImportRun, LiveSource, Ticket
from tickets.tasks import RUN_QUEUED_KEY, live_source_run

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("require_services")]

KEY = Fernet.generate_key().decode()
WEBHOOK_SECRET = "whsec-integration-S1gning-secret"
COUNT = 120  # several of the stand-in's pages


def incident_at(n: int) -> dict:
    opened = START + timedelta(hours=n)
    return {
        "number": cell(f"INC{n:07d}"),
        "sys_id": cell(f"{n:032x}"),
        "sys_updated_on": cell((opened + timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")),
        "sys_mod_count": cell("1"),
        "opened_at": cell(opened.strftime("%Y-%m-%d %H:%M:%S")),
        "priority": cell("3", "3 - Moderate"),
        "state": cell("2", "In Progress"),
        "assignment_group": cell("a" * 32, "Service Desk"),
    }


@pytest.fixture
def records() -> list[dict]:
    return [incident_at(n) for n in range(COUNT)]


@pytest.fixture(autouse=True)
def keys(settings, monkeypatch):
    # Autouse, so set before the worker starts: it reads the same key from its environment.
    settings.SOURCE_SECRET_KEYS = [KEY]
    monkeypatch.setenv("SOURCE_SECRET_KEYS", KEY)
    monkeypatch.setenv("VENDORSCORE_SOURCE_SECRET", PASSWORD)


@pytest.fixture
def base_url(httpserver, records) -> str:
    """The stand-in ServiceNow on a live port (tests/live/standin.py), which the worker
    process reads as it would an instance."""
    handler = StandIn(records)
    httpserver.expect_request(re.compile(r"^/api/now/table/\w+$")).respond_with_handler(handler)
    return httpserver.url_for("/")


@pytest.fixture
def snow(transactional_db, base_url, tmp_path):
    vendor = ContractFactory(vendor__name="Acme Desk").vendor
    secret_file = tmp_path / "webhook-secret"
    secret_file.write_text(WEBHOOK_SECRET)
    call_command(
        "add_source",
        "acme-snow",
        "--kind=servicenow",
        f"--url={base_url}",
        f"--user={USER}",
        f"--webhook-secret-file={secret_file}",
        "--map=Service Desk=acme-desk",
        stdout=io.StringIO(),
    )
    source = LiveSource.objects.get(name="acme-snow")
    cache.delete(RUN_QUEUED_KEY.format(source.pk))  # a mark left by an earlier test's source
    return source, vendor


def wait_for(check, *, seconds: float = 300.0):
    """Polls `check` until it holds; generous, as a worker starting on a busy machine is slow."""
    deadline = time.monotonic() + seconds
    while not (value := check()):
        assert time.monotonic() < deadline, "the worker did not get there in time"
        time.sleep(0.2)
    return value


def march_created(vendor) -> float | None:
    row = MetricValue.objects.filter(
        subject_kind="vendor",
        subject_id=vendor.pk,
        period_kind="month",
        period_start=date(2026, 3, 1),
        metric="tickets_created",
    ).first()
    return None if row is None else float(row.value)


def test_a_worker_runs_a_queued_live_source_run_and_the_month_is_recomputed(
    snow, celery_worker_process
):
    source, vendor = snow

    outcome = live_source_run.delay(source.pk).get(timeout=300)

    assert (outcome["status"], outcome["created"]) == ("done", COUNT)
    assert outcome["vendors"] == [vendor.pk]
    assert Ticket.objects.filter(source="acme-snow", vendor=vendor).count() == COUNT
    assert ImportRun.objects.get(source="acme-snow").status == "done"
    # The follow-up recompute, queued by the run, is run by the worker too.
    assert wait_for(lambda: march_created(vendor)) == COUNT


def test_a_signed_webhook_delivery_is_run_by_the_worker(snow, celery_worker_process):
    source, _ = snow
    body = b'{"table": "incident", "number": "INC0000007"}'
    headers = signed_headers("servicenow", secret=WEBHOOK_SECRET, body=body, sent_at=timezone.now())

    response = Client().post(
        f"/api/sources/{source.pk}/webhook/",
        data=body,
        content_type="application/json",
        headers=headers,
    )

    assert response.status_code == 202
    assert wait_for(lambda: Ticket.objects.filter(source="acme-snow").count() == COUNT)
    run = wait_for(lambda: ImportRun.objects.filter(source="acme-snow", status="done").first())
    assert run.tickets_created == COUNT


def test_of_workers_taking_a_source_s_lease_at_once_exactly_one_wins(snow):
    source, _ = snow
    takers = 6
    barrier = threading.Barrier(takers)

    def take(_: int) -> str | None:
        mine = LiveSource.objects.get(pk=source.pk)
        try:
            barrier.wait(timeout=30)
            return live_source_lease_take(mine)
        except SourceBusy:
            return None
        finally:
            connection.close()  # each thread's own connection

    with ThreadPoolExecutor(takers) as pool:
        owners = list(pool.map(take, range(takers)))

    winners = [owner for owner in owners if owner]
    assert len(winners) == 1
    assert LiveSource.objects.get(pk=source.pk).lease_owner == winners[0]
