"""Months close automatically PERIOD_AUTO_CLOSE_DAYS after their end, and then stay frozen.

Dates are picked by hand: with 15 days, October (ends at midnight 1 November) closes on the
night of 16 November, not on the 15th.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from common.periods import Period
from scorecards.models import ClosedPeriod, DirtyPeriod, MetricValue, Restatement
from scorecards.services import (
    period_close,
    period_reopen,
    periods_auto_close,
    scorecards_recompute,
    scorecards_recompute_vendor,
    ticket_mark_dirty,
)
from scorecards.tasks import NIGHTLY_LOCK, nightly_recompute
from tests.factories import ContractFactory
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_refresh_facts

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
OCTOBER = Period.containing("month", dt.date(2026, 10, 1))
SEPTEMBER = Period.containing("month", dt.date(2026, 9, 1))
NOVEMBER = Period.containing("month", dt.date(2026, 11, 1))
NOW = dt.datetime(2026, 11, 3, 9, tzinfo=LONDON)


def at(month, day, hour, minute=0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def contract(settings):
    settings.REPORTING_TIME_ZONE = "Europe/London"
    settings.PERIOD_AUTO_CLOSE_DAYS = 15
    return ContractFactory()


def make_ticket(contract, n, *, day: dt.date) -> Ticket:
    created = dt.datetime.combine(day, dt.time(10), LONDON)
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
    ticket_refresh_facts(ticket=ticket, events=events, now=NOW)
    return ticket


def resolved_in(contract, period: Period):
    return MetricValue.objects.get(
        subject_kind="vendor",
        subject_id=contract.vendor_id,
        period_kind="month",
        period_start=period.start,
        metric="tickets_resolved",
    ).value


def compute(contract, *periods: Period) -> None:
    scorecards_recompute(vendor=contract.vendor, kind="month", periods=periods, now=NOW)


def closed_months(contract) -> dict[dt.date, ClosedPeriod]:
    return {
        c.period_start: c
        for c in ClosedPeriod.objects.filter(vendor=contract.vendor, period_kind="month")
    }


def test_a_month_closes_automatically_fifteen_days_after_its_end_not_a_day_sooner(contract):
    make_ticket(contract, 1, day=dt.date(2026, 9, 10))
    make_ticket(contract, 2, day=dt.date(2026, 10, 7))
    compute(contract, SEPTEMBER, OCTOBER)

    assert periods_auto_close(today=dt.date(2026, 11, 15)) != []
    assert list(closed_months(contract)) == [SEPTEMBER.start]  # October not yet

    closed = periods_auto_close(today=dt.date(2026, 11, 16))
    assert [(c.vendor_id, c.period_start) for c in closed] == [(contract.vendor_id, OCTOBER.start)]
    october = closed_months(contract)[OCTOBER.start]
    assert october.closed_by is None  # closed automatically
    assert october.reopened_at is None
    assert periods_auto_close(today=dt.date(2026, 11, 17)) == []  # nothing left to close


def test_the_number_of_days_comes_from_the_setting(contract, settings):
    settings.PERIOD_AUTO_CLOSE_DAYS = 3
    make_ticket(contract, 1, day=dt.date(2026, 10, 7))
    compute(contract, OCTOBER)
    assert periods_auto_close(today=dt.date(2026, 11, 3)) == []
    assert len(periods_auto_close(today=dt.date(2026, 11, 4))) == 1


def test_an_automatically_closed_month_is_not_recomputed_until_reopened(contract):
    make_ticket(contract, 1, day=dt.date(2026, 10, 7))
    compute(contract, OCTOBER)
    periods_auto_close(today=dt.date(2026, 11, 16))

    late = make_ticket(contract, 2, day=dt.date(2026, 10, 8))  # a late import marks October
    ticket_mark_dirty(late)
    scorecards_recompute_vendor(vendor=contract.vendor)
    assert resolved_in(contract, OCTOBER) == 1

    manager = get_user_model().objects.create_user("boss")
    period_reopen(vendor=contract.vendor, period=OCTOBER, user=manager)
    assert DirtyPeriod.objects.filter(period_kind="month", period_start=OCTOBER.start).exists()
    scorecards_recompute_vendor(vendor=contract.vendor)  # what the nightly run does
    assert resolved_in(contract, OCTOBER) == 2
    restated = Restatement.objects.get(subject_kind="vendor", metric="tickets_resolved")
    assert (restated.old_value, restated.new_value, restated.restated_by) == (1, 2, manager)


def test_a_reopened_or_hand_closed_month_is_left_as_the_manager_left_it(contract):
    make_ticket(contract, 1, day=dt.date(2026, 9, 10))
    make_ticket(contract, 2, day=dt.date(2026, 10, 7))
    compute(contract, SEPTEMBER, OCTOBER)
    manager = get_user_model().objects.create_user("boss")
    period_close(vendor=contract.vendor, period=SEPTEMBER, user=manager)
    period_close(vendor=contract.vendor, period=OCTOBER, user=manager)
    period_reopen(vendor=contract.vendor, period=OCTOBER, user=manager)

    assert periods_auto_close(today=dt.date(2026, 12, 31)) == []
    months = closed_months(contract)
    assert months[SEPTEMBER.start].closed_by == manager
    assert months[OCTOBER.start].reopened_by == manager  # still open for the recompute


def test_a_month_without_stored_figures_or_still_dirty_is_not_closed(contract):
    september = make_ticket(contract, 1, day=dt.date(2026, 9, 10))  # never computed
    make_ticket(contract, 2, day=dt.date(2026, 10, 7))
    compute(contract, OCTOBER)
    ticket_mark_dirty(make_ticket(contract, 3, day=dt.date(2026, 10, 8)))
    assert september.pk

    assert periods_auto_close(today=dt.date(2026, 11, 16)) == []

    scorecards_recompute_vendor(vendor=contract.vendor)  # clears October's mark
    assert [c.period_start for c in periods_auto_close(today=dt.date(2026, 11, 16))] == [
        OCTOBER.start
    ]
    assert resolved_in(contract, OCTOBER) == 2  # the late ticket got in before the close


def test_the_nightly_run_recomputes_first_then_closes_and_releases_its_lock(contract, monkeypatch):
    from django.core.cache import cache
    from django.utils import timezone

    clock = [at(11, 15, 18)]  # a late import on the evening of 15 November
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    make_ticket(contract, 1, day=dt.date(2026, 10, 7))
    compute(contract, OCTOBER)
    ticket_mark_dirty(make_ticket(contract, 2, day=dt.date(2026, 10, 8)))

    clock[0] = at(11, 16, 2)  # the nightly run of 16 November, 02:00 London
    assert nightly_recompute.delay().get() == [contract.vendor_id]
    assert resolved_in(contract, OCTOBER) == 2  # the dirty month was recomputed first
    october = closed_months(contract)[OCTOBER.start]
    assert october.closed_by is None
    assert october.closed_at == at(11, 16, 2)
    assert NOVEMBER.start not in closed_months(contract)
    assert cache.get(NIGHTLY_LOCK) is None


def test_an_automatic_close_is_in_the_audit_trail_as_done_by_the_system(contract):
    from vendors.models import AuditEntry

    make_ticket(contract, 1, day=dt.date(2026, 10, 7))
    compute(contract, OCTOBER)

    periods_auto_close(today=dt.date(2026, 11, 16))

    entry = AuditEntry.objects.get(object_type="scorecards.closedperiod")
    assert entry.object_id == str(ClosedPeriod.objects.get().pk)
    assert entry.user is None
    assert entry.actor == "system"
