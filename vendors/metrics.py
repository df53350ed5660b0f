"""The metric registry: every figure of METRICS.md with its code, unit and direction.

Pure data, no Django: contracts validate their weights and credit tiers against it, and the
scorecard pages show `formula` beside each number. It lives in vendors, the lowest domain
layer, because a contract promises figures by these codes; scorecards computes them
(scorecards/compute/) and stores them (scorecards.models.MetricValue).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class Better(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"
    NEITHER = "-"


@dataclass(frozen=True)
class Metric:
    code: str
    label: str
    unit: str
    better: Better
    formula: str
    weight: Decimal | None = None  # default weight in the balanced score; None = not scored
    target: Decimal | None = None  # full marks
    floor: Decimal | None = None  # zero marks


def _m(code, label, unit, better, formula, weight=None, target=None, floor=None) -> Metric:
    as_dec = lambda v: None if v is None else Decimal(str(v))  # noqa: E731
    return Metric(code, label, unit, Better(better), formula, *map(as_dec, (weight, target, floor)))


# The four qualities the monthly review rates 1..5: (code, label, what is judged).
REVIEW_QUALITIES = (
    ("communication", "Communication", "clear, timely, honest"),
    ("proactivity", "Proactivity", "advice and recommendations made unasked"),
    ("improvement", "Improvement", "process or automation changes proposed, and adopted"),
    ("staff_development", "Staff development", "training and certifications reported"),
)

METRICS: dict[str, Metric] = {
    m.code: m
    for m in (
        _m("tickets_created", "Tickets created", "tickets", "-", "Tickets opened in the period"),
        _m(
            "tickets_resolved", "Tickets resolved", "tickets", "-", "Tickets resolved in the period"
        ),
        _m("backlog", "Backlog", "tickets", "lower", "Tickets still open at the period's end"),
        _m(
            "backlog_age_p50",
            "Backlog median age",
            "hours",
            "lower",
            "Median age of the tickets open at the period's end",
        ),
        _m(
            "response_time_p50",
            "Response time (median)",
            "minutes",
            "lower",
            "Median business minutes to first response, over responses in the period",
        ),
        _m(
            "response_time_p90",
            "Response time (90th pct)",
            "minutes",
            "lower",
            "90th percentile of business minutes to first response",
        ),
        _m(
            "response_time_mean",
            "Response time (mean)",
            "minutes",
            "lower",
            "Mean business minutes to first response",
        ),
        _m(
            "resolution_time_p50",
            "Resolution time (median)",
            "hours",
            "lower",
            "Median business hours to resolution, pauses excluded, over tickets resolved",
        ),
        _m(
            "resolution_time_p90",
            "Resolution time (90th pct)",
            "hours",
            "lower",
            "90th percentile of business hours to resolution, pauses excluded",
        ),
        _m(
            "mttr",
            "Mean time to resolve",
            "hours",
            "lower",
            "Mean business hours to resolution, pauses excluded",
            10,
            4,
            24,
        ),
        _m(
            "response_sla_pct",
            "Response SLA",
            "%",
            "higher",
            "Met / (met + breached) response targets that became final in the period",
        ),
        _m(
            "resolution_sla_pct",
            "Resolution SLA",
            "%",
            "higher",
            "Met / (met + breached) resolution targets that became final in the period",
        ),
        _m(
            "sla_compliance_pct",
            "SLA compliance",
            "%",
            "higher",
            "All response and resolution outcomes final in the period: met / (met + breached)",
            30,
            95,
            70,
        ),
        _m(
            "fcr_pct",
            "First-contact resolution",
            "%",
            "higher",
            "First-contact resolutions / tickets resolved",
            15,
            75,
            40,
        ),
        _m(
            "reopen_pct",
            "Reopen rate",
            "%",
            "lower",
            "Tickets resolved in the period that were ever reopened / tickets resolved",
            10,
            3,
            15,
        ),
        _m(
            "repeat_pct",
            "Repeat rate",
            "%",
            "lower",
            "Tickets resolved that were repeats (reopened, or the same requester and category "
            "again within the repeat window) / tickets resolved",
        ),
        _m(
            "escalation_pct",
            "Escalation rate",
            "%",
            "lower",
            "Tickets resolved that were escalated / tickets resolved",
            10,
            10,
            35,
        ),
        _m(
            "csat_pct",
            "Customer satisfaction",
            "%",
            "higher",
            "Survey answers of 4 or 5 (on 1..5) / all answers received in the period",
            20,
            90,
            60,
        ),
        _m("csat_avg", "CSAT average", "score", "higher", "Mean survey score on 1..5"),
        _m(
            "survey_response_rate",
            "Survey response rate",
            "%",
            "higher",
            "Survey answers / tickets resolved",
        ),
        _m(
            "nps",
            "Net promoter score",
            "points",
            "higher",
            "% of 9-10 answers minus % of 0-6 answers on 0..10 surveys",
        ),
        _m(
            "cost_per_ticket",
            "Cost per ticket",
            "currency",
            "lower",
            "Invoiced amount for the period / tickets resolved",
            5,
        ),
        _m(
            "uptime_pct",
            "Uptime",
            "%",
            "higher",
            "1 - vendor-caused outage minutes / minutes in the period, scheduled maintenance "
            "excluded; minutes-weighted over covered services",
        ),
        _m(
            "tickets_per_tech_day",
            "Tickets per technician-day",
            "tickets",
            "-",
            "Tickets resolved / technicians who resolved any / business days",
        ),
        _m(
            "service_credit",
            "Service credit",
            "currency",
            "lower",
            "What the contract's credit tiers owe for the period, capped",
        ),
        # Beyond tickets (METRICS.md): months and quarters only, vendor and contract subjects.
        _m(
            "audits_done",
            "Security audits done",
            "audits",
            "higher",
            "Security audits held in the period (audits_due: what the contract's cadence asks)",
        ),
        _m(
            "audits_due",
            "Security audits due",
            "audits",
            "-",
            "Audits the contract's cadence asks for in the period (one a quarter: one in each "
            "quarter's last month)",
        ),
        _m(
            "findings_open_critical",
            "Open critical findings",
            "findings",
            "lower",
            "Critical findings not yet verified fixed at the period's end",
        ),
        _m(
            "findings_open_high",
            "Open high findings",
            "findings",
            "lower",
            "High findings not yet verified fixed at the period's end",
        ),
        _m(
            "findings_overdue",
            "Overdue findings",
            "findings",
            "lower",
            "Findings past their due date at the period's end, not verified fixed and not "
            "reported fixed by their due date",
            0,
            0,
            5,
        ),
        _m(
            "remediation_on_time_pct",
            "Remediation on time",
            "%",
            "higher",
            "Findings verified fixed in the period that were reported fixed by their due date "
            "/ findings verified fixed in the period",
            0,
            100,
            70,
        ),
        _m(
            "time_to_remediate_p50",
            "Time to remediate (median)",
            "days",
            "lower",
            "Median calendar days from raised to reported fixed, over findings verified fixed "
            "in the period",
        ),
        _m(
            "delivery_on_time_pct",
            "Delivery on time",
            "%",
            "higher",
            "Deliverables delivered on or before their planned date / deliverables delivered "
            "in the period (re-planned dates do not count as planned)",
            0,
            95,
            60,
        ),
        _m(
            "delivery_slip_p50",
            "Delivery slip (median)",
            "business days",
            "lower",
            "Median business days late over late deliverables delivered in the period (0 "
            "when none)",
        ),
        _m(
            "deliverables_overdue",
            "Overdue deliverables",
            "deliverables",
            "lower",
            "Deliverables not delivered and past their planned date at the period's end",
        ),
        _m(
            "review_rating",
            "Review rating",
            "score",
            "higher",
            "Mean of the review's four ratings (communication, proactivity, improvement, "
            "staff development), 1..5",
            0,
            4.5,
            2.5,
        ),
        *(
            _m(
                f"rating_{quality}",
                f"Rating: {label.lower()}",
                "score",
                "higher",
                f"The monthly review's rating of {label.lower()} ({about}), 1..5",
            )
            for quality, label, about in REVIEW_QUALITIES
        ),
        _m(
            "score",
            "Balanced score",
            "points",
            "higher",
            "Weighted mean of the marks of the metrics with enough data",
        ),
    )
}

# Metrics a contract's credit tiers may name: figures a contract can promise a threshold on.
CREDITABLE = frozenset(
    code for code, m in METRICS.items() if m.better in (Better.HIGHER, Better.LOWER)
) - {"service_credit", "score"}

# Figures that come from records other than tickets: computed for months and quarters only,
# for vendors and contracts, and only where the vendor has such records.
BEYOND_TICKETS = frozenset(
    {
        "audits_done",
        "audits_due",
        "findings_open_critical",
        "findings_open_high",
        "findings_overdue",
        "remediation_on_time_pct",
        "time_to_remediate_p50",
        "delivery_on_time_pct",
        "delivery_slip_p50",
        "deliverables_overdue",
        "review_rating",
        *(f"rating_{quality}" for quality, _, _ in REVIEW_QUALITIES),
    }
)

SCORED = frozenset(code for code, m in METRICS.items() if m.weight is not None)


def metric(code: str) -> Metric:
    try:
        return METRICS[code]
    except KeyError:
        raise KeyError(f"unknown metric {code!r}") from None
