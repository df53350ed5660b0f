"""What a recompute stores follows the tickets (issue 17, "proportional to the data"): a subject
with no tickets in a period stores no ticket figures for it, and a backlog carried through quiet
weeks is not a row per week. Also: SQLite's one-read path gives the ORM queries' numbers."""

from __future__ import annotations

import datetime as dt

import pytest

from common.periods import Period, PeriodKind, periods_between
from scorecards.compute.daily import daily_totals
from scorecards.compute.distributions import period_backlog_ages, period_percentiles
from scorecards.models import MetricValue, Scorecard
from scorecards.services import scorecards_recompute, scorecards_recompute_vendor
from tests.factories import TechnicianFactory
from tests.scorecards.test_services import NOW, at, make_ticket
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def weeks(first: dt.date, last: dt.date) -> list[Period]:
    return list(periods_between(PeriodKind.WEEK, first, last))


def stored_weeks(subject_kind: str, subject_id: int, metric: str | None = None) -> set[dt.date]:
    rows = MetricValue.objects.filter(
        subject_kind=subject_kind, subject_id=subject_id, period_kind="week"
    )
    if metric:
        rows = rows.filter(metric=metric)
    return set(rows.values_list("period_start", flat=True))


def test_a_technician_stores_nothing_for_the_quiet_weeks_a_ticket_stays_open(contract):
    alice = TechnicianFactory(vendor=contract.vendor)
    # Created on Monday 5 October, resolved on Tuesday 3 November: four quiet weeks between.
    make_ticket(
        contract,
        1,
        created=at(10, 5, 10),
        reply=at(10, 5, 10, 30),
        resolved=at(11, 3, 12),
        technician=alice,
    )
    span = weeks(dt.date(2026, 10, 5), dt.date(2026, 11, 8))
    scorecards_recompute(vendor=contract.vendor, kind="week", periods=span, now=NOW)

    assert stored_weeks("technician", alice.pk) == {dt.date(2026, 10, 5), dt.date(2026, 11, 2)}
    assert not Scorecard.objects.filter(
        subject_kind="technician", period_start=dt.date(2026, 10, 12)
    ).exists()
    # The vendor's quiet weeks say "no tickets": none created or resolved, one still open.
    quiet = MetricValue.objects.filter(
        subject_kind="vendor", period_kind="week", period_start=dt.date(2026, 10, 19)
    )
    by_metric = {m.metric: m.value for m in quiet}
    assert by_metric["tickets_created"] == 0 and by_metric["tickets_resolved"] == 0
    assert by_metric["backlog"] == 1
    assert "mttr" not in by_metric and "sla_compliance_pct" not in by_metric
    # A week with the ticket has the whole set, as before.
    busy = stored_weeks("vendor", contract.vendor_id, "mttr")
    assert dt.date(2026, 11, 2) in busy and dt.date(2026, 10, 19) not in busy


def test_figures_of_a_period_that_lost_its_tickets_are_deleted(contract):
    alice = TechnicianFactory(vendor=contract.vendor)
    ticket = make_ticket(
        contract,
        1,
        created=at(11, 2, 10),
        reply=at(11, 2, 10, 30),
        resolved=at(11, 2, 12),
        technician=alice,
    )
    november = Period.containing("month", dt.date(2026, 11, 1))
    scorecards_recompute(vendor=contract.vendor, kind="month", periods=[november], now=NOW)
    assert MetricValue.objects.filter(subject_kind="technician", subject_id=alice.pk).exists()
    assert MetricValue.objects.filter(subject_kind="vendor", metric="mttr").exists()

    Ticket.objects.filter(pk=ticket.pk).delete()  # say, it belonged to another vendor
    scorecards_recompute(vendor=contract.vendor, kind="month", periods=[november], now=NOW)
    assert not MetricValue.objects.filter(subject_kind="technician", subject_id=alice.pk).exists()
    assert not Scorecard.objects.filter(subject_kind="technician", subject_id=alice.pk).exists()
    assert not MetricValue.objects.filter(subject_kind="vendor", metric="mttr").exists()
    assert MetricValue.objects.get(subject_kind="vendor", metric="tickets_resolved").value == 0


def test_the_one_read_totals_give_the_orm_percentiles_and_backlog_ages(contract):
    alice = TechnicianFactory(vendor=contract.vendor)
    bob = TechnicianFactory(vendor=contract.vendor)
    n = 0
    for day in range(1, 29, 3):
        for hour, tech in ((9, alice), (11, bob), (14, None)):
            n += 1
            resolved = None if n % 7 == 0 else at(10, day, hour) + dt.timedelta(hours=n * 5)
            make_ticket(
                contract,
                n,
                created=at(10, day, hour),
                reply=at(10, day, hour, 20 + n % 30),
                resolved=resolved,
                technician=tech,
            )
    first, last = dt.date(2026, 9, 28), dt.date(2026, 12, 6)
    tickets = Ticket.objects.filter(vendor=contract.vendor)
    zone = "Europe/London"
    for kind in PeriodKind:
        periods = [
            p for p in periods_between(kind, first, last) if p.start >= first and p.end <= last
        ]
        if not periods:
            continue
        lo, _ = periods[0].bounds(zone)
        _, hi = periods[-1].bounds(zone)
        daily = daily_totals(
            vendor=contract.vendor,
            first=periods[0].start,
            last=periods[-1].end - dt.timedelta(days=1),
            kinds=[kind],
        )
        starts = {p.start for p in periods}
        orm = period_percentiles(tickets, kind, zone, lo, hi, starts, contract.vendor_id)
        assert {k: v for k, v in daily.percentiles[kind].items() if k[1] in starts} == orm
        ages = period_backlog_ages(tickets, periods, zone, contract.vendor_id)
        assert {p.start: daily.backlog_ages[kind][p.start] for p in periods} == ages
        assert any(age is not None for age in ages.values())


def test_a_full_recompute_stores_no_technician_row_without_tickets(contract):
    alice = TechnicianFactory(vendor=contract.vendor)
    make_ticket(contract, 1, created=at(1, 5, 10), technician=alice)  # open all year
    make_ticket(
        contract,
        2,
        created=at(6, 1, 10),
        reply=at(6, 1, 10, 30),
        resolved=at(6, 1, 12),
        technician=alice,
    )
    scorecards_recompute_vendor(vendor=contract.vendor, every_period=True, now=NOW)
    assert stored_weeks("technician", alice.pk) == {dt.date(2026, 1, 5), dt.date(2026, 6, 1)}
    months = set(
        MetricValue.objects.filter(
            subject_kind="technician", subject_id=alice.pk, period_kind="month"
        ).values_list("period_start", flat=True)
    )
    assert months == {dt.date(2026, 1, 1), dt.date(2026, 6, 1)}
