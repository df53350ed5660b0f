"""The pure math of the figures beyond tickets (assurance/figures.py), worked examples 7 and 8
of METRICS.md pinned exactly, and the edges the examples do not reach."""

from __future__ import annotations

import datetime as dt

from assurance.figures import (
    Deliverable,
    Finding,
    Rate,
    audits_due,
    business_days_late,
    delivery_figures,
    rating_figures,
    security_figures,
)

MARCH = (dt.date(2026, 3, 1), dt.date(2026, 4, 1))
APRIL = (dt.date(2026, 4, 1), dt.date(2026, 5, 1))
Q1 = (dt.date(2026, 1, 1), dt.date(2026, 4, 1))
# English bank holidays of spring 2026 (Good Friday, Easter Monday).
EASTER = {dt.date(2026, 4, 3), dt.date(2026, 4, 6)}


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


def london_office(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in EASTER


EXAMPLE_7 = [
    Finding("critical", d(3, 1), d(3, 8), reported_fixed_on=d(3, 6), verified_on=d(3, 9)),
    Finding("high", d(3, 3), d(4, 2), reported_fixed_on=d(4, 5), verified_on=d(4, 7)),
    Finding("medium", d(3, 10), d(6, 8)),
]
EXAMPLE_8 = [
    Deliverable(d(3, 10), d(3, 9), london_office),
    Deliverable(d(3, 17), d(3, 23), london_office),
    Deliverable(d(3, 25), None, london_office),
]


def security(findings, window, audits=(), due=0):
    start, end = window
    return security_figures(audits_held=audits, findings=findings, due=due, start=start, end=end)


def test_worked_example_7_in_march():
    march = security(EXAMPLE_7, MARCH)
    assert march.remediation_on_time == Rate(1, 1)
    assert march.remediation_on_time.value == 100.0
    assert march.time_to_remediate_p50 == 5
    assert march.findings_open_high == 1
    assert march.findings_open_critical == 0
    assert march.findings_overdue == 0


def test_worked_example_7_in_april():
    april = security(EXAMPLE_7, APRIL)
    assert april.remediation_on_time == Rate(0, 1)
    assert april.remediation_on_time.value == 0.0
    assert april.time_to_remediate_p50 == 33
    assert april.findings_open_high == 0
    assert april.findings_overdue == 0


def test_a_month_with_no_finding_verified_has_no_remediation_figures():
    may = security(EXAMPLE_7, (d(5, 1), d(6, 1)))
    assert may.remediation_on_time == Rate(0, 0)
    assert may.remediation_on_time.value is None
    assert may.time_to_remediate_p50 is None


def test_a_finding_is_past_due_once_its_due_day_is_inside_the_period():
    due_last_day = Finding("high", d(3, 1), d(3, 31))
    assert security([due_last_day], MARCH).findings_overdue == 1
    due_next_day = Finding("high", d(3, 1), d(4, 1))
    assert security([due_next_day], MARCH).findings_overdue == 0


def test_a_fix_reported_in_time_is_not_overdue_while_it_waits_for_verification():
    waiting = Finding("high", d(3, 1), d(3, 10), reported_fixed_on=d(3, 9))
    late = Finding("high", d(3, 1), d(3, 10), reported_fixed_on=d(3, 12))
    assert security([waiting], MARCH).findings_overdue == 0
    assert security([late], MARCH).findings_overdue == 1
    assert security([waiting, late], MARCH).findings_open_high == 2


def test_the_median_time_to_remediate_of_an_even_count_is_the_mean_of_the_middle_two():
    findings = [
        Finding("low", d(3, 1), d(8, 1), reported_fixed_on=d(3, 1 + days), verified_on=d(3, 30))
        for days in (2, 4, 10, 20)
    ]
    assert security(findings, MARCH).time_to_remediate_p50 == 7


def test_audits_done_count_the_audits_held_in_the_period():
    assert security([], MARCH, audits=[d(2, 27), d(3, 1), d(3, 31), d(4, 1)]).audits_done == 2


def test_a_quarterly_cadence_asks_for_one_audit_in_each_quarters_last_month():
    due = {
        month: audits_due(cadence_months=3, start=d(month, 1), end=d(month + 1, 1))
        for month in range(1, 7)
    }
    assert due == {1: 0, 2: 0, 3: 1, 4: 0, 5: 0, 6: 1}
    assert audits_due(cadence_months=3, start=Q1[0], end=Q1[1]) == 1
    assert audits_due(cadence_months=1, start=Q1[0], end=Q1[1]) == 3
    assert audits_due(cadence_months=6, start=Q1[0], end=Q1[1]) == 0
    assert audits_due(cadence_months=12, start=d(12, 1), end=dt.date(2027, 1, 1)) == 1
    assert audits_due(cadence_months=None, start=Q1[0], end=Q1[1]) == 0


def test_no_audit_is_due_outside_the_contracts_term():
    def march(**term):
        return audits_due(cadence_months=3, start=MARCH[0], end=MARCH[1], **term)

    assert march(in_force_from=d(3, 31)) == 1
    assert march(in_force_from=d(4, 1)) == 0
    assert march(in_force_until=d(3, 1)) == 1
    assert march(in_force_until=d(2, 28)) == 0


def test_worked_example_8():
    march = delivery_figures(deliverables=EXAMPLE_8, start=MARCH[0], end=MARCH[1])
    assert march.on_time == Rate(1, 2)
    assert march.on_time.value == 50.0
    assert march.slip_p50 == 4
    assert march.overdue == 1


def test_slip_counts_the_open_days_after_the_plan_up_to_the_delivery():
    assert business_days_late(Deliverable(d(3, 17), d(3, 23), london_office)) == 4
    # Thu 2 April to Tue 7 April over Easter: only Tue 7 April is open.
    assert business_days_late(Deliverable(d(4, 2), d(4, 7), london_office)) == 1
    # Without a calendar, Mon-Fri: 3, 6 and 7 April.
    assert business_days_late(Deliverable(d(4, 2), d(4, 7))) == 3
    # Late on a Saturday: late, but no business day late.
    assert business_days_late(Deliverable(d(3, 20), d(3, 21))) == 0
    assert business_days_late(Deliverable(d(3, 20), d(3, 20))) == 0


def test_slip_is_0_when_nothing_delivered_was_late_and_none_when_nothing_was_delivered():
    on_time = [Deliverable(d(3, 10), d(3, 9))]
    assert delivery_figures(deliverables=on_time, start=MARCH[0], end=MARCH[1]).slip_p50 == 0
    april = delivery_figures(deliverables=on_time, start=APRIL[0], end=APRIL[1])
    assert april.slip_p50 is None
    assert april.on_time.value is None


def test_a_deliverable_is_overdue_from_its_planned_date_until_delivered_re_plan_or_not():
    planned_last_day = Deliverable(d(3, 31), d(4, 2))
    assert (
        delivery_figures(deliverables=[planned_last_day], start=MARCH[0], end=MARCH[1]).overdue == 1
    )
    assert (
        delivery_figures(deliverables=[planned_last_day], start=APRIL[0], end=APRIL[1]).overdue == 0
    )
    planned_next_month = Deliverable(d(4, 1))
    assert (
        delivery_figures(deliverables=[planned_next_month], start=MARCH[0], end=MARCH[1]).overdue
        == 0
    )


def test_ratings_of_a_month_and_the_mean_of_a_quarters_rated_months():
    ratings = {
        (d(1, 1), "communication"): 4,
        (d(1, 1), "proactivity"): 2,
        (d(2, 1), "communication"): 5,
        (d(2, 1), "improvement"): 3,
    }
    qualities = ["communication", "proactivity", "improvement", "staff_development"]
    january = rating_figures(ratings=ratings, qualities=qualities, start=d(1, 1), end=d(2, 1))
    assert january.by_quality == {
        "communication": 4,
        "proactivity": 2,
        "improvement": None,
        "staff_development": None,
    }
    assert january.review_rating == 3
    quarter = rating_figures(ratings=ratings, qualities=qualities, start=Q1[0], end=Q1[1])
    assert quarter.by_quality["communication"] == 4.5
    assert quarter.months == {
        "communication": 2,
        "proactivity": 1,
        "improvement": 1,
        "staff_development": 0,
    }
    assert quarter.review_rating == (4.5 + 2 + 3) / 3
    assert rating_figures(ratings=ratings, qualities=qualities, start=d(3, 1), end=d(4, 1)) is None
