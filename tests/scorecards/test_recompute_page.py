"""The recompute page: managers recompute one vendor or all, for the changed periods, those
since a date, or every period, and see the last runs with their progress.

Tasks run in-process here, queued on commit: the tests run the captured callbacks, so a run
is finished when the page is read again (as in the demo).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.urls import reverse

from common.roles import FINANCE, MANAGER, VENDOR
from scorecards.models import DirtyPeriod, MetricValue, Scorecard
from scorecards.recompute_runs import RUNS_KEPT
from tests.factories import ContractFactory
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_refresh_facts
from vendors.models import ScoreWeight, VendorMembership

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
SEPTEMBER = dt.date(2026, 9, 1)


def user_in(role: str, name: str, vendor=None):
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw-123456")
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    if vendor is not None:
        VendorMembership.objects.create(user=user, vendor=vendor)
    return user


def resolved_ticket(contract, n: int, day: int) -> Ticket:
    """A P2 ticket created, answered and resolved on a September weekday in office hours."""
    created = dt.datetime(2026, 9, day, 10, tzinfo=LONDON)
    ticket = Ticket(
        source="t",
        external_id=f"T{n}",
        vendor=contract.vendor,
        contract=contract,
        priority="P2",
        status="resolved",
        created_at=created,
        resolved_at=created + dt.timedelta(hours=2),
    )
    events = [TicketEvent(at=created + dt.timedelta(minutes=30), kind="responded")]
    ticket_refresh_facts(ticket=ticket, events=events)
    return ticket


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(settings):
    """Acme with two tickets resolved in September 2026 (not marked dirty), Globex with none."""
    settings.REPORTING_TIME_ZONE = "Europe/London"
    acme, globex = ContractFactory(vendor__name="Acme"), ContractFactory(vendor__name="Globex")
    resolved_ticket(acme, 1, 14)
    resolved_ticket(acme, 2, 15)
    return acme, globex


@pytest.fixture
def manager(client, world):
    client.force_login(user_in(MANAGER, "manager"))
    return client


def september_resolved(contract) -> float | None:
    row = MetricValue.objects.filter(
        subject_kind="vendor",
        subject_id=contract.vendor_id,
        period_kind="month",
        period_start=SEPTEMBER,
        metric="tickets_resolved",
    ).first()
    return None if row is None else float(row.value)


def start(client, django_capture_on_commit_callbacks, **data):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("recompute"), data)
    assert response.status_code == 302, response.context["form"].errors
    assert response["Location"] == reverse("recompute")
    return client.get(reverse("recompute"))


# --- access --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_finance_and_both_vendor_users_get_403(client, world, method):
    acme, globex = world
    for user in (
        user_in(FINANCE, "finance"),
        user_in(VENDOR, "vendor-a", vendor=acme.vendor),
        user_in(VENDOR, "vendor-b", vendor=globex.vendor),
    ):
        client.force_login(user)
        response = getattr(client, method)(reverse("recompute"), {"scope": "all"})
        assert response.status_code == 403
    assert Scorecard.objects.count() == 0
    assert client.get(reverse("recompute-progress", args=["abc"])).status_code == 403


def test_a_manager_sees_the_form_with_every_active_vendor(manager, world):
    response = manager.get(reverse("recompute"))
    assert response.status_code == 200
    assert response.context["form"].fields["vendor"].choices == [
        ("", "All active vendors (2)"),
        (str(world[0].vendor_id), "Acme"),
        (str(world[1].vendor_id), "Globex"),
    ]
    assert response.context["runs"] == []


# --- what each scope recomputes ------------------------------------------------------------


def test_changed_periods_leave_an_unmarked_september_alone(
    manager, world, django_capture_on_commit_callbacks
):
    page = start(manager, django_capture_on_commit_callbacks, scope="changed")
    (run,) = page.context["runs"]
    assert (run["finished"], run["percent"], run["done"], run["total"]) == (True, 100.0, 2, 2)
    assert [v["words"] for v in run["vendors"]] == ["done", "done"]
    assert september_resolved(world[0]) is None


def test_since_a_date_recomputes_every_period_from_it_for_the_chosen_vendor(
    manager, world, django_capture_on_commit_callbacks
):
    acme, globex = world
    page = start(
        manager,
        django_capture_on_commit_callbacks,
        vendor=str(acme.vendor_id),
        scope="since",
        since="2026-09-01",
    )
    (run,) = page.context["runs"]
    assert [v["name"] for v in run["vendors"]] == ["Acme"]
    assert run["describe"] == "every period since 2026-09-01"
    assert run["message"] == "Done: 1 of 1 vendors recomputed."
    assert september_resolved(acme) == 2.0
    assert not DirtyPeriod.objects.filter(vendor=acme.vendor).exists()  # all picked up
    assert not Scorecard.objects.filter(subject_id=globex.vendor_id).exists()


def test_every_period_recomputes_september_for_all_vendors(
    manager, world, django_capture_on_commit_callbacks
):
    page = start(manager, django_capture_on_commit_callbacks, scope="all")
    (run,) = page.context["runs"]
    assert run["user"] == "manager" and run["total"] == 2
    assert september_resolved(world[0]) == 2.0
    acme_entry = run["vendors"][0]
    written = MetricValue.objects.filter(vendor_id=world[0].vendor_id).count()
    assert acme_entry["result"] == f"{written:,} figures written"


def test_a_vendor_that_cannot_be_scored_shows_as_failed_with_the_reason(
    manager, world, django_capture_on_commit_callbacks
):
    acme, _ = world
    ScoreWeight.objects.create(contract=acme, metric="csat_pct", weight=0)
    page = start(manager, django_capture_on_commit_callbacks, scope="all")
    (run,) = page.context["runs"]
    assert run["message"] == "Done: 1 of 2 vendors recomputed, 1 failed."
    failed = run["vendors"][0]
    assert failed["words"] == "failed"
    assert failed["result"] == f"Contract {acme}: the weights add up to nothing positive."
    assert "✗ failed" in page.content.decode()


def test_since_needs_a_date_and_nothing_starts_without_one(manager, world):
    response = manager.post(reverse("recompute"), {"scope": "since"})
    assert response.status_code == 200
    assert response.context["form"].errors["since"] == ["Give the date to recompute from."]
    assert response.context["runs"] == []
    assert not DirtyPeriod.objects.exists()


def test_an_unknown_vendor_is_refused(manager, world):
    response = manager.post(reverse("recompute"), {"scope": "all", "vendor": "999"})
    assert "vendor" in response.context["form"].errors
    assert response.context["runs"] == []


# --- progress ------------------------------------------------------------------------------


def test_the_progress_endpoint_reports_a_finished_run(
    manager, world, django_capture_on_commit_callbacks
):
    page = start(manager, django_capture_on_commit_callbacks, scope="changed")
    run_id = page.context["runs"][0]["id"]
    data = manager.get(reverse("recompute-progress", args=[run_id])).json()
    assert (data["finished"], data["percent"], data["counts"]) == (
        True,
        100.0,
        {"done": 2, "failed": 0, "total": 2},
    )
    assert [(v["name"], v["state"]) for v in data["vendors"]] == [
        ("Acme", "done"),
        ("Globex", "done"),
    ]
    assert manager.get(reverse("recompute-progress", args=["nope"])).status_code == 404


def test_a_queued_run_polls_its_tasks_until_they_are_done(manager, world):
    # Without running the on-commit callbacks the tasks were never sent: they read as queued.
    manager.post(reverse("recompute"), {"scope": "changed"})
    page = manager.get(reverse("recompute"))
    (run,) = page.context["runs"]
    assert (run["finished"], run["percent"], run["message"]) == (
        False,
        0.0,
        "0 of 2 vendors done, 0 running.",
    )
    html = page.content.decode()
    assert f'data-progress-url="{reverse("recompute-progress", args=[run["id"]])}"' in html
    assert "js/progress.js" in html and "<script>" not in html


def test_the_page_keeps_the_last_ten_runs_newest_first(
    manager, world, django_capture_on_commit_callbacks
):
    for _ in range(RUNS_KEPT + 2):
        page = start(manager, django_capture_on_commit_callbacks, scope="changed")
    runs = page.context["runs"]
    assert len(runs) == RUNS_KEPT
    assert runs[0]["started"] >= runs[-1]["started"]


def test_the_page_runs_a_fixed_number_of_queries(
    manager, world, django_capture_on_commit_callbacks, django_assert_max_num_queries
):
    for _ in range(3):
        start(manager, django_capture_on_commit_callbacks, scope="changed")
    # Session, user, the role (looked up 3 times), the vendor menu, the vendors of the form;
    # the runs come from the cache, whatever their number.
    with django_assert_max_num_queries(9):
        assert manager.get(reverse("recompute")).status_code == 200
