"""Figures from records other than tickets (METRICS.md, "Beyond tickets"): security audits and
findings, deliverables, the review's ratings. Months and quarters only; vendor and contract
subjects only.

A contract's figures count the records of that contract and those of none (as outages do);
ratings are the vendor's, so its contracts show them too. A family of figures is stored only
for a vendor with such records (security: audits, findings or a contract's audit cadence;
delivery: deliverables; ratings: ratings in the period). Within a family, a figure with
nothing to measure in a period is stored as "no data" (value None), like an empty ticket rate.

Rates on findings and deliverables are never flagged "low sample": each finding or
deliverable is a promise of the contract, not a draw from a population, and a vendor has a
handful a month, so the tickets' minimum sample would keep a weighted figure out of every
score. Their Wilson interval and sample size show how little one month's rate rests on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from assurance import figures as pure
from assurance.models import Deliverable, Finding, SecurityAudit
from assurance.selectors_delivery import open_days
from common.periods import Period
from scorecards.compute.formulas import _rate
from scorecards.compute.results import CONTRACT, VENDOR, Figure, Subject
from scorecards.models import ReviewRating
from vendors.metrics import REVIEW_QUALITIES

QUALITIES = [quality for quality, _, _ in REVIEW_QUALITIES]
EVERY_RECORD_COUNTS = 1  # the minimum sample of these rates (see the module's docstring)


def beyond_ticket_figures(
    *, vendor, contracts, kind, periods: Iterable[Period]
) -> dict[tuple[Subject, dt.date], dict[str, Figure]]:
    """{(subject, period start): {metric code: Figure}} for the vendor and each contract.

    One query per kind of record for all the periods."""
    periods = list(periods)
    audits = list(SecurityAudit.objects.filter(vendor=vendor).values_list("contract_id", "held_on"))
    findings = [
        (contract_id, pure.Finding(*fields))
        for contract_id, *fields in Finding.objects.filter(vendor=vendor).values_list(
            "contract_id", "severity", "raised_on", "due_on", "reported_fixed_on", "verified_on"
        )
    ]
    open_day = open_days(contracts)
    deliverables = [
        (contract_id, pure.Deliverable(planned_on, delivered_on, open_day(contract_id)))
        for contract_id, planned_on, delivered_on in Deliverable.objects.filter(
            vendor=vendor
        ).values_list("contract_id", "planned_on", "delivered_on")
    ]
    ratings = {
        (month, quality): rating
        for month, quality, rating in ReviewRating.objects.filter(vendor=vendor).values_list(
            "month", "quality", "rating"
        )
    }

    has_security = bool(audits or findings) or any(c.audit_cadence_months for c in contracts)
    subjects: list[tuple[Subject, set[int | None] | None, list]] = [
        ((VENDOR, vendor.pk), None, contracts)
    ]
    subjects += [((CONTRACT, c.pk), {c.pk, None}, [c]) for c in contracts]
    out: dict[tuple[Subject, dt.date], dict[str, Figure]] = {}
    for period in periods:
        start, end = period.start, period.end
        rated = pure.rating_figures(ratings=ratings, qualities=QUALITIES, start=start, end=end)
        for subject, contract_ids, governing in subjects:
            figures = out.setdefault((subject, start), {})
            if has_security:
                due = max(
                    (
                        pure.audits_due(
                            cadence_months=c.audit_cadence_months,
                            start=start,
                            end=end,
                            in_force_from=c.start_date,
                            in_force_until=c.end_date,
                        )
                        for c in governing
                    ),
                    default=0,
                )
                figures |= _security(
                    pure.security_figures(
                        audits_held=_of(audits, contract_ids),
                        findings=_of(findings, contract_ids),
                        due=due,
                        start=start,
                        end=end,
                    )
                )
            if deliverables:
                figures |= _delivery(
                    pure.delivery_figures(
                        deliverables=_of(deliverables, contract_ids), start=start, end=end
                    )
                )
            if rated is not None:
                figures |= _ratings(rated)
    return {key: figures for key, figures in out.items() if figures}


def _of(records: list[tuple[int | None, object]], contract_ids: set[int | None] | None) -> list:
    return [r for contract_id, r in records if contract_ids is None or contract_id in contract_ids]


def _count(n: int) -> Figure:
    return Figure(n, sample_size=n)


def _security(s: pure.SecurityFigures) -> dict[str, Figure]:
    remediated = s.remediation_on_time.denominator
    return {
        "audits_done": _count(s.audits_done),
        "audits_due": Figure(s.audits_due),
        "findings_open_critical": _count(s.findings_open_critical),
        "findings_open_high": _count(s.findings_open_high),
        "findings_overdue": _count(s.findings_overdue),
        "remediation_on_time_pct": _rate(
            s.remediation_on_time.numerator, remediated, EVERY_RECORD_COUNTS
        ),
        "time_to_remediate_p50": Figure(s.time_to_remediate_p50, sample_size=remediated),
    }


def _delivery(d: pure.DeliveryFigures) -> dict[str, Figure]:
    return {
        "delivery_on_time_pct": _rate(
            d.on_time.numerator, d.on_time.denominator, EVERY_RECORD_COUNTS
        ),
        "delivery_slip_p50": Figure(d.slip_p50, sample_size=d.late),
        "deliverables_overdue": _count(d.overdue),
    }


def _ratings(r: pure.RatingFigures) -> dict[str, Figure]:
    figures = {
        f"rating_{quality}": Figure(value, sample_size=r.months[quality])
        for quality, value in r.by_quality.items()
    }
    qualities_rated = sum(1 for value in r.by_quality.values() if value is not None)
    figures["review_rating"] = Figure(r.review_rating, sample_size=qualities_rated)
    return figures
