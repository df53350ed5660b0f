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

SCORED = frozenset(code for code, m in METRICS.items() if m.weight is not None)


def metric(code: str) -> Metric:
    try:
        return METRICS[code]
    except KeyError:
        raise KeyError(f"unknown metric {code!r}") from None
