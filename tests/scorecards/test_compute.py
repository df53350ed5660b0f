"""A hand-built month: one vendor, two technicians, 28 tickets; every figure worked by hand.

Calendar Mon-Fri 09:00-17:00 Europe/London (November is all GMT), P2 targets: response 60
minutes, resolution 8 business hours. Reporting zone Europe/London. "now" is 10 Dec 2026.

| group | tech | tickets | what happens (times London) |
| G1  | A | 10 | created Nov 2-13 10:00, replied 10:30, resolved 14:00: 30 min, 4 h, both met |
| G2  | B |  8 | the same on Nov 16-25 |
| G3  | A |  2 | Nov 3: replied 11:30 (90 min, breached), 2nd reply, resolved 15:00 (5 h, met) |
| G4  | B |  2 | Nov 4: replied 10:15, resolved Nov 5 12:00: 10 h, breached (due Nov 5 10:00);
|     |   |    | the first also escalated |
| G5  | A |  1 | Nov 16: METRICS.md example 4: 10 h raw, 7 h paused, 3 h net, met |
| G6  | B |  1 | Nov 9: replied 10:10, resolved 11:00, reopened 13:00, resolved 15:00 (5 h, met) |
| G7  | A |  1 | Nov 26: replied 10:30, still open: resolution breached Nov 27 10:00 |
| G8  | B |  1 | Nov 30 15:00, no reply: response breached Nov 30 16:00, resolution due Dec 1 |
| G9  | B |  1 | Nov 10: replied 10:20, resolved Nov 11 13:00 (11 h) breached, dispute accepted |
| G10 | A |  1 | Oct 30: replied 10:30 (October), resolved Nov 2 11:00 (9 h) breached Nov 2 10:00 |

Requester r1 (Email) has G1's Nov 13 ticket and G2's Nov 16 ticket: the first is a repeat.
Surveys in November: 5, 5, 5, 4, 4, 4, 4, 3, 2, 5 (A gets the first six, B the rest).
Outages: Email down 10 Nov 10:00-12:00 (vendor's fault), and 60 minutes of planned work.
Invoice for November: 3000.00 GBP. Credit tiers: resolution SLA < 95 -> 5 %, < 90 -> 10 %,
uptime < 99.9 -> 5 %; cap 20 %.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from common.periods import Period
from scorecards.models import MetricValue, Scorecard
from scorecards.services import dispute_decide, dispute_raise, scorecards_recompute
from tests.factories import ContractFactory, TechnicianFactory
from tickets.models import Outage, SurveyResponse, Ticket, TicketEvent
from tickets.services import ticket_refresh_facts
from vendors.models import CreditTier, Invoice

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 12, 10, 9, tzinfo=LONDON)
NOVEMBER = Period.containing("month", dt.date(2026, 11, 1))


def at(month, day, hour, minute=0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def month(settings):
    settings.REPORTING_TIME_ZONE = "Europe/London"
    contract = ContractFactory(
        monthly_fee=Decimal("3000.00"), currency="GBP", target_cost_per_ticket=Decimal(100)
    )
    vendor = contract.vendor
    for metric, threshold, pct in [
        ("resolution_sla_pct", 95, 5),
        ("resolution_sla_pct", 90, 10),
        ("uptime_pct", Decimal("99.9"), 5),
    ]:
        CreditTier.objects.create(
            contract=contract, metric=metric, threshold=threshold, credit_pct=pct
        )
    a = TechnicianFactory(vendor=vendor, name="Alice")
    b = TechnicianFactory(vendor=vendor, name="Bob")
    made: dict[str, list[Ticket]] = {}
    counter = iter(range(1, 100))

    def ticket(group, tech, created, events, resolved=None, requester="", category="Email"):
        t = Ticket(
            source="hand",
            external_id=f"{group}-{next(counter)}",
            vendor=vendor,
            contract=contract,
            technician=tech,
            priority="P2",
            status="resolved" if resolved else "in_progress",
            category=category,
            requester=requester or f"person-{next(counter)}",
            created_at=created,
            resolved_at=resolved,
        )
        evs = [TicketEvent(at=when, kind=kind, new_value=new) for when, kind, new in events]
        ticket_refresh_facts(ticket=t, events=evs, now=NOW)
        made.setdefault(group, []).append(t)
        return t

    def plain(group, tech, day, *, requester="", reply=(10, 30), resolved=(14, 0)):
        created = at(11, day, 10)
        ticket(
            group,
            tech,
            created,
            [(at(11, day, *reply), "responded", "")],
            resolved=at(11, day, *resolved),
            requester=requester,
        )

    for day in (2, 3, 4, 5, 6, 9, 10, 11, 12, 13):
        plain("G1", a, day, requester="r1" if day == 13 else "")
    for day in (16, 17, 18, 19, 20, 23, 24, 25):
        plain("G2", b, day, requester="r1" if day == 16 else "")
    for _ in range(2):
        ticket(
            "G3",
            a,
            at(11, 3, 10),
            [(at(11, 3, 11, 30), "responded", ""), (at(11, 3, 12), "responded", "")],
            resolved=at(11, 3, 15),
        )
    for i in range(2):
        events = [(at(11, 4, 10, 15), "responded", "")]
        if i == 0:
            events.append((at(11, 4, 11), "escalated", "L2"))
        ticket("G4", b, at(11, 4, 10), events, resolved=at(11, 5, 12))
    ticket(
        "G5",
        a,
        at(11, 16, 10),
        [
            (at(11, 16, 10, 20), "responded", ""),
            (at(11, 16, 11), "status_change", "pending_customer"),
            (at(11, 17, 10), "status_change", "in_progress"),
        ],
        resolved=at(11, 17, 12),
    )
    ticket(
        "G6",
        b,
        at(11, 9, 10),
        [
            (at(11, 9, 10, 10), "responded", ""),
            (at(11, 9, 11), "resolved", ""),
            (at(11, 9, 13), "reopened", ""),
            (at(11, 9, 15), "resolved", ""),
        ],
        resolved=at(11, 9, 15),
    )
    ticket("G7", a, at(11, 26, 10), [(at(11, 26, 10, 30), "responded", "")])
    ticket("G8", b, at(11, 30, 15), [])
    disputed = ticket(
        "G9", b, at(11, 10, 10), [(at(11, 10, 10, 20), "responded", "")], resolved=at(11, 11, 13)
    )
    ticket(
        "G10", a, at(10, 30, 10), [(at(10, 30, 10, 30), "responded", "")], resolved=at(11, 2, 11)
    )

    User = get_user_model()
    vendor_user = User.objects.create_user("vendor-user")
    manager = User.objects.create_user("manager-user")
    dispute = dispute_raise(
        ticket=disputed, target="resolution", reason="Customer away", user=vendor_user, now=NOW
    )
    dispute_decide(
        dispute=dispute, accept=True, note="Confirmed by the customer", user=manager, now=NOW
    )

    scores = [5, 5, 5, 4, 4, 4, 4, 3, 2, 5]
    surveyed = made["G1"][:6] + made["G2"][:4]
    for t, score in zip(surveyed, scores, strict=True):
        SurveyResponse.objects.create(ticket=t, score=score, answered_at=at(11, 27, 12))
    Outage.objects.create(
        vendor=vendor,
        service="Email",
        started_at=at(11, 10, 10),
        ended_at=at(11, 10, 12),
        vendor_caused=True,
    )
    Outage.objects.create(
        vendor=vendor,
        service="Email",
        started_at=at(11, 14, 2),
        ended_at=at(11, 14, 3),
        vendor_caused=True,
        scheduled_maintenance=True,
    )
    Invoice.objects.create(
        vendor=vendor,
        contract=contract,
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
        amount=Decimal("3000.00"),
        currency="GBP",
    )
    scorecards_recompute(vendor=vendor, kind="month", periods=[NOVEMBER], now=NOW)
    return {"vendor": vendor, "contract": contract, "a": a, "b": b, "made": made}


def figures(subject_kind, subject_id) -> dict[str, MetricValue]:
    rows = MetricValue.objects.filter(
        subject_kind=subject_kind,
        subject_id=subject_id,
        period_kind="month",
        period_start=NOVEMBER.start,
    )
    return {m.metric: m for m in rows}


def value(f: MetricValue) -> float | None:
    return None if f.value is None else float(f.value)


def test_the_vendors_counts_for_the_month(month):
    f = figures("vendor", month["vendor"].pk)
    assert value(f["tickets_created"]) == 27
    assert value(f["tickets_resolved"]) == 26
    assert value(f["backlog"]) == 2  # G7 and G8; G10 was opening backlog, resolved in Nov
    # At Dec 1 00:00, G7 (Nov 26 10:00) is 110 hours old and G8 (Nov 30 15:00) 9 hours.
    assert value(f["backlog_age_p50"]) == pytest.approx((110 + 9) / 2)


def test_sla_outcomes_count_in_the_month_they_became_final(month):
    f = figures("vendor", month["vendor"].pk)
    response = f["response_sla_pct"]
    assert (response.numerator, response.denominator) == (24, 27)
    assert value(response) == pytest.approx(100 * 24 / 27, abs=1e-4)
    resolution = f["resolution_sla_pct"]
    # G7 breached while open counts; G8's resolution falls due in December; G9 is excluded.
    assert (resolution.numerator, resolution.denominator, resolution.excluded) == (22, 26, 1)
    headline = f["sla_compliance_pct"]
    assert (headline.numerator, headline.denominator) == (46, 53)
    assert value(headline) == pytest.approx(100 * 46 / 53, abs=1e-4)
    assert headline.low_sample is False
    # Wilson by hand: centre (p + z²/2n) / (1 + z²/n) = 0.8431, half-width 0.0915.
    assert float(headline.ci_low) == pytest.approx(75.16, abs=0.01)
    assert float(headline.ci_high) == pytest.approx(93.45, abs=0.01)


def test_resolution_based_rates_count_tickets_resolved_in_the_month(month):
    f = figures("vendor", month["vendor"].pk)
    assert (f["fcr_pct"].numerator, f["fcr_pct"].denominator) == (22, 26)
    assert (f["reopen_pct"].numerator, f["escalation_pct"].numerator) == (1, 1)
    assert f["repeat_pct"].numerator == 2  # G6 reopened; r1's Nov 13 ticket came back Nov 16
    assert value(f["mttr"]) == pytest.approx(5.0)  # 130 business hours / 26
    assert value(f["resolution_time_p50"]) == pytest.approx(4.0)
    assert value(f["resolution_time_p90"]) == pytest.approx(9.5)


def test_response_times_are_business_minutes_over_responses_in_the_month(month):
    f = figures("vendor", month["vendor"].pk)
    assert f["response_time_mean"].sample_size == 26
    assert value(f["response_time_mean"]) == pytest.approx(830 / 26, abs=1e-4)
    assert value(f["response_time_p50"]) == pytest.approx(30)
    assert value(f["response_time_p90"]) == pytest.approx(30)


def test_csat_cost_uptime_and_credits(month):
    f = figures("vendor", month["vendor"].pk)
    assert value(f["csat_pct"]) == pytest.approx(80.0)
    assert f["csat_pct"].low_sample is True  # 10 answers, under the vendor minimum of 20
    assert f["csat_pct"].detail == {"1": 0, "2": 1, "3": 1, "4": 4, "5": 4}
    assert value(f["csat_avg"]) == pytest.approx(4.1)
    assert value(f["survey_response_rate"]) == pytest.approx(100 * 10 / 26, abs=1e-4)
    assert value(f["cost_per_ticket"]) == pytest.approx(3000 / 26, abs=1e-4)
    assert value(f["uptime_pct"]) == pytest.approx(100 * (1 - 120 / 43200), abs=1e-4)
    contract = figures("contract", month["contract"].pk)
    # Resolution SLA 84.6 % owes 10 %, uptime 99.72 % owes 5 %: 15 % of 3000.00.
    assert value(contract["service_credit"]) == pytest.approx(450.00)
    assert contract["service_credit"].detail["per_metric"] == {
        "resolution_sla_pct": "10.00",
        "uptime_pct": "5.00",
    }
    assert value(f["service_credit"]) == pytest.approx(450.00)
    assert "nps" not in f  # no 0..10 survey: no data (not stored), never zero


def test_the_balanced_score_leaves_out_low_sample_csat_and_renormalises(month):
    sla_mark = (100 * 46 / 53 - 70) / 25 * 100
    fcr_mark = 100.0  # 84.6 % is beyond the 75 % target
    mttr_mark = (5 - 24) / (4 - 24) * 100
    reopen_mark = (100 / 26 - 15) / (3 - 15) * 100
    escalation_mark = 100.0  # 3.8 % is better than the 10 % target
    cost_mark = (3000 / 26 - 200) / (100 - 200) * 100
    expected = (
        30 * sla_mark
        + 15 * fcr_mark
        + 10 * mttr_mark
        + 10 * reopen_mark
        + 10 * escalation_mark
        + 5 * cost_mark
    ) / 80
    card = Scorecard.objects.get(
        subject_kind="vendor",
        subject_id=month["vendor"].pk,
        period_kind="month",
        period_start=NOVEMBER.start,
    )
    assert float(card.score) == pytest.approx(expected, abs=0.01)
    assert expected == pytest.approx(85.2, abs=0.1)
    assert card.grade == "B"
    assert "csat_pct" not in card.weights
    assert card.weights["sla_compliance_pct"] == pytest.approx(30 / 80)


def test_each_technician_counts_the_tickets_they_resolved(month):
    a = figures("technician", month["a"].pk)
    b = figures("technician", month["b"].pk)
    assert (value(a["tickets_resolved"]), value(b["tickets_resolved"])) == (14, 12)
    assert value(a["mttr"]) == pytest.approx(62 / 14, abs=1e-4)
    assert value(b["mttr"]) == pytest.approx(68 / 12, abs=1e-4)
    assert (a["resolution_sla_pct"].numerator, a["resolution_sla_pct"].denominator) == (13, 15)
    assert (b["resolution_sla_pct"].numerator, b["resolution_sla_pct"].denominator) == (9, 11)
    assert (a["response_sla_pct"].numerator, a["response_sla_pct"].denominator) == (12, 14)
    assert (b["response_sla_pct"].numerator, b["response_sla_pct"].denominator) == (12, 13)
    assert a["response_sla_pct"].low_sample is False  # 14 outcomes >= 10 for a technician
    assert value(a["csat_pct"]) == pytest.approx(100 * 6 / 6)
    assert value(b["csat_pct"]) == pytest.approx(100 * 2 / 4)
    assert value(a["backlog"]) == 1 and value(b["backlog"]) == 1


def test_a_month_without_tickets_stores_no_data_never_zero(month):
    # What is stored follows the tickets: a month without any keeps only the counts that say
    # "no tickets" and the backlog carried through; a rate or a time is not stored at all
    # (nothing stored reads as no data), never as zero.
    december = Period.containing("month", dt.date(2027, 1, 1))
    scorecards_recompute(vendor=month["vendor"], kind="month", periods=[december], now=NOW)
    f = MetricValue.objects.filter(subject_kind="vendor", period_start=december.start)
    by_metric = {m.metric: m for m in f}
    assert "sla_compliance_pct" not in by_metric
    assert "mttr" not in by_metric
    assert by_metric["tickets_resolved"].value == 0
    assert by_metric["tickets_created"].value == 0
    assert "cost_per_ticket" not in by_metric


def test_recomputing_twice_stores_the_same_figures(month):
    before = sorted(
        MetricValue.objects.values_list("subject_kind", "subject_id", "metric", "value")
    )
    scorecards_recompute(vendor=month["vendor"], kind="month", periods=[NOVEMBER], now=NOW)
    after = sorted(MetricValue.objects.values_list("subject_kind", "subject_id", "metric", "value"))
    assert before == after
