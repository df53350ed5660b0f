"""Scheduled runs of live sources: which sources are due, the beat task queueing one run each,
the run lease (a second run is skipped, a dead run's lease is taken over), and the recompute
that follows a run which changed tickets (tasks run in-process, against the stand-in)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.management import call_command
from django.utils import timezone

from scorecards.models import MetricValue
from tests.factories import ContractFactory
from tests.live.standin import PASSWORD, START, USER, cell
from tickets.live.schedule import live_sources_due, source_is_due
from tickets.live.sync import LEASE, SourceBusy, live_source_lease_release, live_source_lease_take
from tickets.models import ImportRun, LiveSource, LiveSourceDelivery, Ticket
from tickets.tasks import live_source_run, live_sources_run_due

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def incident_at(n: int, *, resolved: bool = False, mods: int = 1) -> dict:
    """Incident n, opened in March 2026; resolved two hours later when `resolved`; each
    modification a day after the one before."""
    opened = START + timedelta(hours=n)
    return {
        "number": cell(f"INC{n:07d}"),
        "sys_id": cell(f"{n:032x}"),
        "sys_updated_on": cell(stamp(opened + timedelta(hours=3, days=mods - 1))),
        "sys_mod_count": cell(str(mods)),
        "opened_at": cell(stamp(opened)),
        "resolved_at": cell(stamp(opened + timedelta(hours=2)) if resolved else ""),
        "priority": cell("3", "3 - Moderate"),
        "state": cell("6", "Resolved") if resolved else cell("2", "In Progress"),
        "assignment_group": cell("a" * 32, "Service Desk"),
    }


@pytest.fixture
def records() -> list[dict]:
    return [incident_at(1, resolved=True), incident_at(2), incident_at(3)]


@pytest.fixture(autouse=True)
def keys(settings, monkeypatch):
    settings.SOURCE_SECRET_KEYS = [Fernet.generate_key().decode()]
    monkeypatch.setenv("VENDORSCORE_SOURCE_SECRET", PASSWORD)
    cache.clear()  # the "run queued" marks of an earlier test's sources


@pytest.fixture
def vendor():
    return ContractFactory(vendor__name="Acme Desk").vendor


@pytest.fixture
def snow(base_url, stand_in, vendor) -> LiveSource:
    call_command(
        "add_source",
        "acme-snow",
        "--kind=servicenow",
        f"--url={base_url}",
        f"--user={USER}",
        "--map=Service Desk=acme-desk",
        stdout=io.StringIO(),
    )
    return LiveSource.objects.get(name="acme-snow")


def source(name: str, **fields) -> LiveSource:
    return LiveSource.objects.create(
        name=name, kind="servicenow", base_url="https://acme.example", username="api", **fields
    )


# --- which sources are due ----------------------------------------------------------------


def test_due_sources_are_the_enabled_ones_past_their_interval_with_a_free_lease():
    source("never-run")
    source("ran-20-min-ago", last_run_at=NOW - timedelta(minutes=20))  # interval 15
    source("ran-exactly-15-min-ago", last_run_at=NOW - timedelta(minutes=15))
    source("ran-10-min-ago", last_run_at=NOW - timedelta(minutes=10))
    source("hourly-ran-30-min-ago", last_run_at=NOW - timedelta(minutes=30), interval_minutes=60)
    source("paused", enabled=False)
    source("running", lease_owner="w1", lease_until=NOW + timedelta(minutes=5))
    source("killed-worker", lease_owner="w2", lease_until=NOW - timedelta(seconds=1))

    due = [s.name for s in live_sources_due(NOW)]

    assert due == ["killed-worker", "never-run", "ran-20-min-ago", "ran-exactly-15-min-ago"]


def test_source_is_due_reads_only_its_arguments():
    free = {"enabled": True, "interval_minutes": 15, "lease_owner": "", "lease_until": None}
    assert source_is_due(**free, last_run_at=None, now=NOW)
    assert not source_is_due(**free, last_run_at=NOW - timedelta(minutes=14, seconds=59), now=NOW)
    held = free | {"lease_owner": "w", "lease_until": NOW}
    assert not source_is_due(**held, last_run_at=None, now=NOW)  # runs out after NOW, not at
    assert not source_is_due(**(free | {"enabled": False}), last_run_at=None, now=NOW)


def test_the_beat_task_is_scheduled_every_minute():
    entry = django_settings.CELERY_BEAT_SCHEDULE["live-sources"]
    assert (entry["task"], entry["schedule"]) == ("tickets.tasks.live_sources_run_due", 60.0)


def test_the_beat_queues_one_run_per_due_source_and_clears_old_deliveries(snow):
    not_due = source("not-due", last_run_at=timezone.now() - timedelta(minutes=1))
    old = LiveSourceDelivery.objects.create(source=snow, key="yesterday")
    LiveSourceDelivery.objects.filter(pk=old.pk).update(
        received_at=timezone.now() - timedelta(days=2)
    )
    LiveSourceDelivery.objects.create(source=snow, key="just-now")

    queued = live_sources_run_due.delay().get()

    assert queued == [snow.pk]
    run = ImportRun.objects.get(source="acme-snow")
    assert (run.status, run.tickets_created) == ("done", 3)
    assert not ImportRun.objects.filter(source=not_due.name).exists()
    assert list(LiveSourceDelivery.objects.values_list("key", flat=True)) == ["just-now"]
    # It just ran: not due again until its interval has gone by.
    assert live_sources_run_due.delay().get() == []


def test_a_run_already_queued_is_not_queued_again(snow):
    cache.add(f"vendorscore:live-source-queued:{snow.pk}", "queued", timeout=60)

    assert live_sources_run_due.delay().get() == []
    assert not ImportRun.objects.exists()


# --- the lease ----------------------------------------------------------------------------


def test_of_two_takes_of_the_lease_the_first_wins(snow):
    other_worker = LiveSource.objects.get(pk=snow.pk)
    owner = live_source_lease_take(snow)

    with pytest.raises(SourceBusy, match="another run of this source is still going"):
        live_source_lease_take(other_worker)
    assert LiveSource.objects.get(pk=snow.pk).lease_owner == owner


def test_a_run_while_another_holds_the_lease_is_skipped_not_retried(snow, stand_in):
    live_source_lease_take(LiveSource.objects.get(pk=snow.pk))

    result = live_source_run.delay(snow.pk).get()

    assert result["status"] == "skipped"
    assert "another run of this source is still going" in result["reason"]
    assert stand_in.seen == []
    assert not ImportRun.objects.exists()


def test_a_killed_worker_s_lease_runs_out_and_the_next_run_takes_it_over(snow, stand_in):
    # The worker died mid-run: its lease was never released, and has run out.
    dead = LiveSource.objects.get(pk=snow.pk)
    live_source_lease_take(dead, now=timezone.now() - LEASE - timedelta(seconds=1))
    assert [s.name for s in live_sources_due(timezone.now())] == ["acme-snow"]

    result = live_source_run.delay(snow.pk).get()

    assert (result["status"], result["created"], result["updated"]) == ("done", 3, 0)
    after = LiveSource.objects.get(pk=snow.pk)
    assert (after.lease_owner, after.lease_until) == ("", None)  # released by the new run
    # The dead worker's late release changes nothing: it no longer owns the lease.
    owner = live_source_lease_take(after)
    live_source_lease_release(dead, dead.lease_owner)
    assert LiveSource.objects.get(pk=snow.pk).lease_owner == owner


def test_a_source_that_cannot_run_is_refused_not_retried(vendor):
    broken = source("no-secret")

    result = live_source_run.delay(broken.pk).get()

    assert result["status"] == "refused"
    assert result["reason"].startswith("secret:")
    # The source says why, and waits its interval instead of being refused every minute.
    broken.refresh_from_db()
    assert broken.last_error == result["reason"]
    assert [s.name for s in live_sources_due(timezone.now())] == []
    later = timezone.now() + timedelta(minutes=15, seconds=1)
    assert [s.name for s in live_sources_due(later)] == ["no-secret"]
    assert live_source_run.delay(broken.pk + 100).get() == {
        "source": broken.pk + 100,
        "status": "gone",
    }


# --- the recompute after a run ------------------------------------------------------------


def march_figures(vendor) -> dict[str, float]:
    rows = MetricValue.objects.filter(
        subject_kind="vendor",
        subject_id=vendor.pk,
        period_kind="month",
        period_start=datetime(2026, 3, 1).date(),
        metric__in=["tickets_created", "tickets_resolved"],
    )
    return {m.metric: float(m.value) for m in rows}


def test_a_run_that_changes_tickets_recomputes_the_periods_they_fall_in(
    snow, stand_in, records, vendor, django_capture_on_commit_callbacks
):
    assert march_figures(vendor) == {}

    with django_capture_on_commit_callbacks(execute=True):
        first = live_source_run.delay(snow.pk).get()

    assert (first["created"], first["vendors"]) == (3, [vendor.pk])
    assert march_figures(vendor) == {"tickets_created": 3.0, "tickets_resolved": 1.0}

    # INC0000002 is resolved in ServiceNow; the next run reads it and the month changes.
    records[1] = incident_at(2, resolved=True, mods=2)
    with django_capture_on_commit_callbacks(execute=True):
        second = live_source_run.delay(snow.pk).get()

    assert (second["created"], second["updated"], second["vendors"]) == (0, 1, [vendor.pk])
    assert Ticket.objects.get(source="acme-snow", external_id="INC0000002").resolved_at
    assert march_figures(vendor) == {"tickets_created": 3.0, "tickets_resolved": 2.0}


def test_a_run_that_changes_nothing_recomputes_nothing(
    snow, stand_in, vendor, django_capture_on_commit_callbacks
):
    live_source_run.delay(snow.pk).get()  # the tickets arrive; no recompute is run here
    LiveSource.objects.filter(pk=snow.pk).update(cursor={})  # read everything again

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        again = live_source_run.delay(snow.pk).get()

    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert again["vendors"] == []
    assert callbacks == []
    assert march_figures(vendor) == {}
