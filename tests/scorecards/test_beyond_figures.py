"""Figures beyond tickets through the recompute (METRICS.md, "Beyond tickets"): worked examples
7 and 8 stored as MetricValue rows, months and quarters, vendor and contract subjects, scored
when a contract weighs them, owed by credit tiers, in the what-if, frozen with closed months
and restated when one is reopened."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assurance.models import Deliverable, Finding, SecurityAudit
from assurance.periods import figures_changed
from common.periods import Period, periods_between
from scorecards.compute.beyond import beyond_ticket_figures
from scorecards.compute.results import Overrides
from scorecards.models import (
    DirtyPeriod,
    MetricValue,
    Restatement,
    ReviewRating,
    Scorecard,
)
from scorecards.services import (
    period_close,
    period_reopen,
    scorecards_recompute,
    scorecards_what_if,
)
from tests.api.conftest import user_in
from tests.factories import ContractFactory
from vendors.metrics import BEYOND_TICKETS
from vendors.models import Contract, CreditTier, ScoreWeight

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 6, 10, 9, tzinfo=LONDON)
MARCH = Period.containing("month", dt.date(2026, 3, 1))
APRIL = Period.containing("month", dt.date(2026, 4, 1))
MAY = Period.containing("month", dt.date(2026, 5, 1))
Q1 = Period.containing("quarter", dt.date(2026, 1, 1))
Q2 = Period.containing("quarter", dt.date(2026, 4, 1))


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


@pytest.fixture
def contract(settings):
    settings.REPORTING_TIME_ZONE = "Europe/London"
    # The factory's calendar: Mon-Fri 09:00-17:00 Europe/London, English bank holidays.
    return ContractFactory()


def audit(contract, held_on=dt.date(2026, 3, 1), *, on_contract=True) -> SecurityAudit:
    return SecurityAudit.objects.create(
        vendor=contract.vendor,
        contract=contract if on_contract else None,
        held_on=held_on,
        kind="penetration_test",
        scope="Perimeter",
    )


def finding(of: SecurityAudit, severity, raised, due, reported=None, verified=None) -> Finding:
    return Finding.objects.create(
        audit=of,
        vendor=of.vendor,
        contract=of.contract,
        title=f"{severity} finding raised {raised}",
        severity=severity,
        raised_on=raised,
        due_on=due,
        status="verified" if verified else "reported" if reported else "open",
        reported_fixed_on=reported,
        verified_on=verified,
    )


def example_7(contract) -> list[Finding]:
    found = audit(contract)
    return [
        finding(found, "critical", d(3, 1), d(3, 8), d(3, 6), d(3, 9)),
        finding(found, "high", d(3, 3), d(4, 2), d(4, 5), d(4, 7)),
        finding(found, "medium", d(3, 10), d(6, 8)),
    ]


def deliverable(contract, planned, delivered=None, *, on_contract=True) -> Deliverable:
    return Deliverable.objects.create(
        vendor=contract.vendor,
        contract=contract if on_contract else None,
        title=f"Milestone planned {planned}",
        planned_on=planned,
        delivered_on=delivered,
    )


def recompute(contract, *periods, kind="month") -> None:
    scorecards_recompute(vendor=contract.vendor, kind=kind, periods=periods, now=NOW)


def row(contract, period, metric, *, subject="vendor") -> MetricValue:
    subject_id = contract.vendor_id if subject == "vendor" else contract.pk
    return MetricValue.objects.get(
        subject_kind=subject,
        subject_id=subject_id,
        period_kind=period.kind.value,
        period_start=period.start,
        metric=metric,
    )


def value(contract, period, metric, *, subject="vendor") -> Decimal | None:
    return row(contract, period, metric, subject=subject).value


def not_stored(contract, period, metric, *, subject="vendor") -> bool:
    """A figure with nothing counted towards it ("no data") has no row."""
    try:
        row(contract, period, metric, subject=subject)
    except MetricValue.DoesNotExist:
        return True
    return False


def evidence(contract, period, metric, *, subject="vendor"):
    stored = row(contract, period, metric, subject=subject)
    return stored.value, stored.numerator, stored.denominator, stored.sample_size


def beyond_stored(contract) -> set[str]:
    return set(
        MetricValue.objects.filter(vendor=contract.vendor, metric__in=BEYOND_TICKETS).values_list(
            "metric", flat=True
        )
    )


def score(contract, period, *, subject="vendor") -> Decimal | None:
    subject_id = contract.vendor_id if subject == "vendor" else contract.pk
    return Scorecard.objects.get(
        subject_kind=subject,
        subject_id=subject_id,
        period_kind=period.kind.value,
        period_start=period.start,
    ).score


# --- worked examples ----------------------------------------------------------------------------


@pytest.mark.parametrize("subject", ["vendor", "contract"])
def test_worked_example_7_is_stored_for_march_and_april(contract, subject):
    example_7(contract)
    recompute(contract, MARCH, APRIL)

    def of(period, metric):
        return evidence(contract, period, metric, subject=subject)

    assert of(MARCH, "remediation_on_time_pct") == (100, 1, 1, 1)
    assert of(MARCH, "time_to_remediate_p50")[0] == 5
    assert of(MARCH, "findings_open_high")[0] == 1
    assert of(MARCH, "findings_open_critical")[0] == 0
    assert of(MARCH, "findings_overdue")[0] == 0
    assert of(APRIL, "remediation_on_time_pct") == (0, 0, 1, 1)
    assert of(APRIL, "time_to_remediate_p50")[0] == 33
    assert of(APRIL, "findings_open_high")[0] == 0
    assert of(APRIL, "findings_overdue")[0] == 0
    rate = row(contract, APRIL, "remediation_on_time_pct", subject=subject)
    # Wilson 95 % interval of 0 of 1, and never flagged low sample (see beyond.py).
    assert (rate.ci_low, rate.ci_high, rate.low_sample) == (0, Decimal("79.3451"), False)


@pytest.mark.parametrize("subject", ["vendor", "contract"])
def test_worked_example_8_is_stored_for_march(contract, subject):
    deliverable(contract, d(3, 10), d(3, 9))
    deliverable(contract, d(3, 17), d(3, 23))
    deliverable(contract, d(3, 25))
    recompute(contract, MARCH)

    assert evidence(contract, MARCH, "delivery_on_time_pct", subject=subject) == (50, 1, 2, 2)
    assert evidence(contract, MARCH, "delivery_slip_p50", subject=subject)[:1] == (4,)
    assert value(contract, MARCH, "deliverables_overdue", subject=subject) == 1


def test_slip_runs_on_the_contracts_calendar_bank_holidays_shut(contract):
    # Thu 2 April to Tue 7 April 2026: Good Friday and Easter Monday are bank holidays. A
    # deliverable of no contract takes the vendor's (first) contract's calendar.
    deliverable(contract, d(4, 2), d(4, 7), on_contract=False)
    recompute(contract, APRIL)
    assert value(contract, APRIL, "delivery_slip_p50") == 1
    assert value(contract, APRIL, "delivery_slip_p50", subject="contract") == 1


def test_a_quarter_counts_what_was_verified_and_delivered_in_it(contract):
    example_7(contract)
    deliverable(contract, d(3, 10), d(3, 9))
    deliverable(contract, d(3, 17), d(3, 23))
    deliverable(contract, d(3, 25), d(4, 1))  # Wed 25 March to Wed 1 April: 5 business days
    recompute(contract, Q1, Q2, kind="quarter")

    assert evidence(contract, Q1, "remediation_on_time_pct") == (100, 1, 1, 1)
    assert value(contract, Q1, "findings_open_high") == 1
    assert evidence(contract, Q2, "remediation_on_time_pct") == (0, 0, 1, 1)
    assert value(contract, Q2, "time_to_remediate_p50") == 33
    assert evidence(contract, Q1, "delivery_on_time_pct") == (50, 1, 2, 2)
    assert value(contract, Q1, "deliverables_overdue") == 1
    assert evidence(contract, Q2, "delivery_on_time_pct") == (0, 0, 1, 1)
    assert value(contract, Q2, "delivery_slip_p50") == 5
    assert value(contract, Q2, "deliverables_overdue") == 0


# --- audits -------------------------------------------------------------------------------------


def test_audits_done_and_due_per_contract_and_for_the_vendor(contract):
    contract.audit_cadence_months = 3
    contract.save()
    monthly = ContractFactory(vendor=contract.vendor, audit_cadence_months=1)
    audit(contract, d(3, 5))
    audit(contract, d(2, 10), on_contract=False)  # counts for every contract
    audit(monthly, d(3, 20))
    recompute(contract, Period.containing("month", d(2, 1)), MARCH)
    recompute(contract, Q1, kind="quarter")

    feb = Period.containing("month", d(2, 1))

    def done(of, subject):
        return [value(of, p, "audits_done", subject=subject) for p in (feb, MARCH, Q1)]

    assert done(contract, "vendor") == [1, 2, 3]
    assert done(contract, "contract") == [1, 1, 2]
    assert done(monthly, "contract") == [1, 1, 2]
    assert value(contract, feb, "audits_due", subject="contract") == 0
    assert value(contract, MARCH, "audits_due", subject="contract") == 1
    assert value(contract, Q1, "audits_due", subject="contract") == 1
    assert value(monthly, Q1, "audits_due", subject="contract") == 3
    # The vendor owes what its most demanding contract asks.
    assert value(contract, feb, "audits_due") == 1
    assert value(contract, Q1, "audits_due") == 3


def test_a_cadence_alone_brings_the_security_figures(contract):
    contract.audit_cadence_months = 3
    contract.save()
    recompute(contract, MARCH)
    assert value(contract, MARCH, "audits_due") == 1
    assert value(contract, MARCH, "audits_done") == 0
    assert value(contract, MARCH, "findings_open_critical") == 0
    assert not_stored(contract, MARCH, "remediation_on_time_pct")
    assert not_stored(contract, MARCH, "time_to_remediate_p50")


# --- ratings ------------------------------------------------------------------------------------


def rate(contract, month, **ratings) -> None:
    for quality, rating in ratings.items():
        ReviewRating.objects.create(
            vendor=contract.vendor,
            month=month,
            quality=quality,
            rating=rating,
            rated_at=NOW,
        )


def test_ratings_of_a_month_a_quarter_and_their_review_rating(contract):
    rate(contract, d(1, 1), communication=4, proactivity=2, improvement=3, staff_development=5)
    rate(contract, d(2, 1), communication=5, proactivity=3)
    jan, feb = (Period.containing("month", d(m, 1)) for m in (1, 2))
    recompute(contract, jan, feb, MARCH)
    recompute(contract, Q1, kind="quarter")

    for subject in ("vendor", "contract"):  # a contract shows its vendor's ratings
        assert value(contract, jan, "rating_communication", subject=subject) == 4
        assert value(contract, jan, "review_rating", subject=subject) == Decimal("3.5")
    assert value(contract, feb, "review_rating") == 4
    assert not_stored(contract, feb, "rating_improvement")
    assert value(contract, Q1, "rating_communication") == Decimal("4.5")
    assert row(contract, Q1, "rating_communication").sample_size == 2
    assert value(contract, Q1, "rating_proactivity") == Decimal("2.5")
    assert value(contract, Q1, "rating_improvement") == 3
    # (4.5 + 2.5 + 3 + 5) / 4
    assert value(contract, Q1, "review_rating") == Decimal("3.75")
    # March was not rated: no rating figures at all.
    assert not MetricValue.objects.filter(
        period_kind="month", period_start=MARCH.start, metric__startswith="rating"
    ).exists()
    assert not MetricValue.objects.filter(period_start=MARCH.start, metric="review_rating").exists()


def test_a_vendor_without_such_records_stores_none_of_these_figures(contract):
    recompute(contract, MARCH)
    recompute(contract, Q1, kind="quarter")
    assert beyond_stored(contract) == set()
    assert MetricValue.objects.filter(vendor=contract.vendor, metric="tickets_created").exists()


def test_each_family_is_stored_only_for_a_vendor_with_its_records(contract):
    deliverable(contract, d(3, 10), d(3, 9))
    recompute(contract, MARCH)
    assert beyond_stored(contract) == {
        "delivery_on_time_pct",
        "delivery_slip_p50",
        "deliverables_overdue",
    }


def test_weeks_have_none_of_these_figures(contract):
    example_7(contract)
    recompute(contract, Period.containing("week", d(3, 9)), kind="week")
    assert beyond_stored(contract) == set()


# --- score, credits, what-if --------------------------------------------------------------------


def five_verified_in_may(contract) -> None:
    """Five findings verified in May, four of them reported fixed by their due date: 80 %."""
    found = audit(contract, d(5, 1))
    for n in range(5):
        reported = d(5, 10) if n else d(5, 20)
        finding(found, "low", d(5, 1), d(5, 15), reported, d(5, 25))


def test_a_contract_weighing_remediation_on_time_changes_the_score_by_its_mark(contract):
    five_verified_in_may(contract)
    ScoreWeight.objects.create(contract=contract, metric="findings_overdue", weight=1)
    recompute(contract, MAY)
    assert evidence(contract, MAY, "remediation_on_time_pct") == (80, 4, 5, 5)
    assert value(contract, MAY, "findings_overdue") == 0
    # Only findings_overdue weighs: 0 overdue is full marks.
    assert score(contract, MAY, subject="contract") == 100
    assert score(contract, MAY) == 100

    ScoreWeight.objects.create(contract=contract, metric="remediation_on_time_pct", weight=2)
    recompute(contract, MAY)
    # 80 % between the floor 70 and the target 100 is a mark of 33.33; weighted 2 to 1:
    # (100 x 1 + 33.33 x 2) / 3 = 55.56.
    assert score(contract, MAY, subject="contract") == Decimal("55.56")
    assert score(contract, MAY) == Decimal("55.56")


def test_a_credit_tier_on_open_critical_findings_owes_its_share_of_the_fee(contract):
    CreditTier.objects.create(
        contract=contract, metric="findings_open_critical", threshold=0, credit_pct=5
    )
    example_7(contract)  # the critical is verified on 9 March
    late = audit(contract, d(4, 20))
    finding(late, "critical", d(4, 20), d(4, 27), d(5, 4), d(5, 5))
    recompute(contract, MARCH, APRIL, MAY)

    assert value(contract, MARCH, "findings_open_critical", subject="contract") == 0
    assert value(contract, MARCH, "service_credit", subject="contract") == 0
    assert value(contract, APRIL, "findings_open_critical", subject="contract") == 1
    credit = row(contract, APRIL, "service_credit", subject="contract")
    assert credit.value == Decimal("500.00")  # 5 % of the 10,000.00 fee
    assert credit.detail["per_metric"] == {"findings_open_critical": "5.00"}
    assert value(contract, APRIL, "service_credit") == Decimal("500.00")
    assert value(contract, MAY, "service_credit", subject="contract") == 0


def test_the_what_if_scores_the_new_figures_without_saving(contract):
    five_verified_in_may(contract)
    recompute(contract, MAY)
    assert score(contract, MAY) is None  # nothing weighed has data: no tickets

    what_if = scorecards_what_if(
        vendor=contract.vendor,
        kind="month",
        periods=[MAY],
        overrides=Overrides(
            weights={"remediation_on_time_pct": 1}, targets={"remediation_on_time_pct": 90}
        ),
    )
    key = (("vendor", contract.vendor_id), MAY.start)
    assert what_if.figures[key]["remediation_on_time_pct"].value == 80
    assert what_if.scores[key].weights == {"remediation_on_time_pct": 1.0}
    # (80 - 70) / (90 - 70) = 50 marks.
    assert what_if.scores[key].score == pytest.approx(50)
    assert score(contract, MAY) is None


# --- closed periods and dirty marks -------------------------------------------------------------


def test_a_closed_month_stays_frozen_and_a_reopened_one_restates_a_changed_finding(contract):
    _, _, medium = example_7(contract)
    recompute(contract, MARCH)
    manager = user_in("manager", "maria")
    period_close(vendor=contract.vendor, period=MARCH, user=manager)

    # Found later: the medium was reported fixed on 20 March and verified on 25 March.
    Finding.objects.filter(pk=medium.pk).update(
        status="verified", reported_fixed_on=d(3, 20), verified_on=d(3, 25)
    )
    assert scorecards_recompute(vendor=contract.vendor, kind="month", periods=[MARCH]) == 0
    assert value(contract, MARCH, "time_to_remediate_p50") == 5

    period_reopen(vendor=contract.vendor, period=MARCH, user=manager)
    recompute(contract, MARCH)
    assert evidence(contract, MARCH, "remediation_on_time_pct") == (100, 2, 2, 2)
    # The median of 5 and 10 days.
    assert value(contract, MARCH, "time_to_remediate_p50") == Decimal("7.5")
    restated = Restatement.objects.get(subject_kind="vendor", metric="time_to_remediate_p50")
    assert (restated.old_value, restated.new_value) == (5, Decimal("7.5"))
    assert restated.restated_by == manager
    # The rate's value did not change (1 of 1 to 2 of 2), so it is no restatement.
    assert not Restatement.objects.filter(metric="remediation_on_time_pct").exists()


def test_a_recorded_finding_marks_its_months_to_today_dirty(contract):
    figures_changed(sender=Finding, vendor_id=contract.vendor_id, days=[d(3, 10), None])
    dirty = set(
        DirtyPeriod.objects.filter(vendor=contract.vendor).values_list(
            "period_kind", "period_start"
        )
    )
    assert ("month", d(2, 1)) not in dirty
    assert {("month", d(3, 1)), ("month", d(4, 1)), ("month", d(6, 1))} <= dirty
    assert {("quarter", d(1, 1)), ("quarter", d(4, 1))} <= dirty
    assert ("quarter", dt.date(2025, 10, 1)) not in dirty


def test_the_records_are_read_once_per_vendor_whatever_the_number_of_periods(contract):
    example_7(contract)
    deliverable(contract, d(3, 17), d(3, 23))  # late: the calendar is read too
    rate(contract, d(3, 1), communication=4)
    contracts = list(Contract.objects.select_related("sla_policy__calendar"))

    def queries(periods) -> int:
        with CaptureQueriesContext(connection) as captured:
            beyond_ticket_figures(
                vendor=contract.vendor, contracts=contracts, kind="month", periods=periods
            )
        return len(captured)

    year = list(periods_between("month", d(1, 1), d(12, 1)))
    # Audits, findings, deliverables, ratings; the calendar's hours and holidays.
    assert queries([MARCH]) == queries(year) == 6


def test_a_full_recompute_reaches_back_to_a_vendor_s_first_record_not_only_its_first_ticket(
    contract,
):
    """A vendor whose findings start before its first ticket (here: it has none) still gets
    its months and quarters from `all_periods`, and no weeks from these records."""
    from scorecards.services import all_periods

    example_7(contract)
    months = all_periods(vendor=contract.vendor, kind="month")
    assert months[0] == MARCH
    assert all_periods(vendor=contract.vendor, kind="quarter")[0] == Q1
    assert all_periods(vendor=contract.vendor, kind="week") == []
