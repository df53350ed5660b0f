"""The nightly recompute through a real worker, Redis and PostgreSQL, including a worker that
dies mid-run: the redelivered tasks must store exactly the figures of a clean run."""

from __future__ import annotations

import datetime as dt
import signal
import time

import pytest
from celery.result import AsyncResult

from scorecards.models import MetricValue, Scorecard
from scorecards.tasks import recompute_vendor
from tests.integration.conftest import start_worker, stop_worker
from tickets.demo.world import seed_demo_world
from vendors.models import Vendor

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("require_services")]


def stored_figures() -> list[tuple]:
    return sorted(
        MetricValue.objects.values_list(
            "subject_kind",
            "subject_id",
            "period_kind",
            "period_start",
            "metric",
            "value",
            "numerator",
            "denominator",
            "sample_size",
            "low_sample",
        )
    )


@pytest.fixture
def world(transactional_db):
    seed_demo_world(seed=7, tickets=6000, months=6, until=dt.date(2026, 10, 31))
    return list(Vendor.objects.order_by("pk").values_list("pk", flat=True))


def test_a_worker_recomputes_every_vendor_from_the_queue(world, celery_worker_process):
    results = [recompute_vendor.delay(v, every_period=True) for v in world]
    written = [r.get(timeout=180) for r in results]
    assert all(n > 0 for n in written)
    assert MetricValue.objects.count() == sum(written)
    assert Scorecard.objects.filter(subject_kind="vendor").values(
        "subject_id"
    ).distinct().count() == len(world)


def test_a_run_killed_mid_way_is_redelivered_and_stores_the_figures_of_a_clean_run(world):
    # Unacknowledged tasks of a dead worker come back after the visibility timeout.
    worker = start_worker(CELERY_VISIBILITY_TIMEOUT="5")
    results = [recompute_vendor.delay(v, every_period=True) for v in world]
    deadline = time.monotonic() + 120
    while AsyncResult(results[0].id).state != "STARTED":
        assert time.monotonic() < deadline, "the worker never started the first task"
        time.sleep(0.02)
    time.sleep(0.3)
    worker.send_signal(signal.SIGKILL)  # no warm shutdown: the task is cut off mid-run
    worker.wait()
    unfinished = [r for r in results if r.state != "SUCCESS"]
    assert unfinished, "the worker finished everything before it was killed"

    replacement = start_worker(CELERY_VISIBILITY_TIMEOUT="5")
    try:
        for r in results:
            r.get(timeout=240)
    finally:
        stop_worker(replacement)
    after_crash = stored_figures()

    MetricValue.objects.all().delete()
    Scorecard.objects.all().delete()
    for vendor_id in world:
        recompute_vendor.apply(args=(vendor_id,), kwargs={"every_period": True})
    assert stored_figures() == after_crash
