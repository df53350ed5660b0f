"""Pure scoring math, pinned to METRICS.md."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from common.periods import Period, PeriodKind, periods_between
from scorecards.scoring import Tier, balanced_score, grade, mark, service_credit, wilson_interval


def test_csat_of_45_good_answers_in_50_has_the_wilson_interval_of_worked_example_5():
    low, high = wilson_interval(45, 50)
    assert 45 / 50 == 0.9
    assert (round(100 * low, 1), round(100 * high, 1)) == (78.6, 95.7)


def test_a_rate_with_no_trials_has_no_interval():
    assert wilson_interval(0, 0) is None


def test_wilson_interval_stays_inside_zero_and_one_at_the_extremes():
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and 0.27 < high < 0.28
    low, high = wilson_interval(10, 10)
    assert 0.72 < low < 0.73 and high == 1.0


@pytest.mark.parametrize(
    ("value", "target", "floor", "expected"),
    [
        (95, 95, 70, 100.0),  # at target
        (99, 95, 70, 100.0),  # beyond target, clamped
        (70, 95, 70, 0.0),  # at floor
        (82.5, 95, 70, 50.0),  # halfway
        (14, 4, 24, 50.0),  # mttr: lower is better, floor above target
        (30, 4, 24, 0.0),
    ],
)
def test_marks_are_linear_between_floor_and_target_and_clamped(value, target, floor, expected):
    assert mark(value, target=target, floor=floor) == pytest.approx(expected)


def test_the_balanced_score_renormalises_weights_over_metrics_with_data():
    weights = {"sla_compliance_pct": 30, "csat_pct": 20, "fcr_pct": 15, "mttr": 10}
    marks = {"sla_compliance_pct": 100.0, "csat_pct": 50.0}  # fcr and mttr lack data
    result = balanced_score(marks, weights)
    assert result.score == pytest.approx(80.0)  # (30*100 + 20*50) / 50
    assert result.grade == "B"
    assert result.weights == {"sla_compliance_pct": 0.6, "csat_pct": 0.4}


def test_no_metric_with_data_means_no_score():
    assert balanced_score({}, {"csat_pct": 20}) is None
    assert balanced_score({"csat_pct": 90.0}, {"csat_pct": 0}) is None


@pytest.mark.parametrize(
    ("score", "letter"), [(90, "A"), (89.99, "B"), (80, "B"), (70, "C"), (60, "D"), (59.9, "F")]
)
def test_grades_follow_the_thresholds(score, letter):
    assert grade(score) == letter


TIERS = [
    Tier("resolution_sla_pct", Decimal(95), Decimal(5), True),
    Tier("resolution_sla_pct", Decimal(90), Decimal(10), True),
    Tier("uptime_pct", Decimal("99.9"), Decimal(5), True),
    Tier("mttr", Decimal(24), Decimal(8), False),
]


def test_the_worst_tier_per_metric_counts_and_metrics_add_up():
    figures = {"resolution_sla_pct": Decimal("89.5"), "uptime_pct": Decimal("99.8"), "mttr": 3}
    amount, pct, per_metric = service_credit(
        figures, TIERS, monthly_fee=Decimal("10000.00"), cap_pct=Decimal(20)
    )
    assert per_metric == {"resolution_sla_pct": Decimal(10), "uptime_pct": Decimal(5)}
    assert (pct, amount) == (Decimal(15), Decimal("1500.00"))


def test_credits_stop_at_the_cap():
    figures = {"resolution_sla_pct": Decimal(80), "uptime_pct": Decimal(99), "mttr": Decimal(30)}
    amount, pct, _ = service_credit(
        figures, TIERS, monthly_fee=Decimal("10000.00"), cap_pct=Decimal(20)
    )
    assert (pct, amount) == (Decimal(20), Decimal("2000.00"))


def test_a_metric_without_data_owes_no_credit():
    amount, pct, _ = service_credit(
        {"resolution_sla_pct": None}, TIERS, monthly_fee=Decimal(1000), cap_pct=Decimal(20)
    )
    assert (amount, pct) == (Decimal("0.00"), Decimal(0))


def test_periods_are_iso_weeks_months_and_quarters():
    day = dt.date(2026, 11, 23)
    assert Period.containing("week", day).start == dt.date(2026, 11, 23)
    assert Period.containing("week", dt.date(2026, 11, 22)).label == "2026-W47"
    assert Period.containing("month", day).label == "2026-11"
    assert Period.containing("quarter", day) == Period(PeriodKind.QUARTER, dt.date(2026, 10, 1))
    assert Period.containing("quarter", day).end == dt.date(2027, 1, 1)
    assert Period.containing("quarter", day).label == "2026-Q4"


def test_a_month_with_a_dst_change_is_cut_at_local_midnight():
    start, end = Period.containing("month", dt.date(2026, 3, 5)).bounds("Europe/London")
    # Compared in UTC: Python subtracts same-zone datetimes on the wall clock.
    assert end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == dt.timedelta(days=31, hours=-1)
    assert start.utcoffset() == dt.timedelta(0) and end.utcoffset() == dt.timedelta(hours=1)


def test_periods_between_covers_the_range():
    months = list(periods_between("month", dt.date(2026, 1, 15), dt.date(2026, 4, 1)))
    assert [p.label for p in months] == ["2026-01", "2026-02", "2026-03", "2026-04"]
