"""Figures of security audits, findings, deliverables and the review's ratings (METRICS.md,
"Beyond tickets"): pure math, no Django.

Every record date is a day of the reporting calendar, and a period is the days [start, end):
`end` is the first day after it. "At the period's end" means once its last day is over, so:

- a finding is *open* at the period's end if it was raised before `end` and not verified
  fixed before `end` (verified_on is None or verified_on >= end);
- a finding is *past due* at the period's end if due_on < end: its last allowed day is one of
  the period's days (or earlier). It is *overdue* if it is also open and was not reported fixed
  by its due date (reported_fixed_on is None or reported_fixed_on > due_on); a fix reported on
  time but not verified yet does not make the vendor late;
- a deliverable is *overdue* at the period's end if planned_on < end and it was not delivered
  before `end` (delivered_on is None or delivered_on >= end).
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass


def weekday(day: dt.date) -> bool:
    """Mon-Fri: the open days when no business calendar applies."""
    return day.weekday() < 5


@dataclass(frozen=True)
class Finding:
    severity: str
    raised_on: dt.date
    due_on: dt.date
    reported_fixed_on: dt.date | None = None
    verified_on: dt.date | None = None

    def open_at(self, end: dt.date) -> bool:
        return self.raised_on < end and (self.verified_on is None or self.verified_on >= end)

    def overdue_at(self, end: dt.date) -> bool:
        reported_in_time = (
            self.reported_fixed_on is not None and self.reported_fixed_on <= self.due_on
        )
        return self.due_on < end and self.open_at(end) and not reported_in_time


@dataclass(frozen=True)
class Deliverable:
    planned_on: dt.date
    delivered_on: dt.date | None = None
    # Whether a day has business time on the deliverable's calendar.
    is_open_day: Callable[[dt.date], bool] = weekday

    def overdue_at(self, end: dt.date) -> bool:
        return self.planned_on < end and (self.delivered_on is None or self.delivered_on >= end)


@dataclass(frozen=True)
class Rate:
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return 100 * self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class SecurityFigures:
    audits_done: int
    audits_due: int
    findings_open_critical: int
    findings_open_high: int
    findings_overdue: int
    remediation_on_time: Rate  # denominator: findings remediated (verified) in the period
    time_to_remediate_p50: float | None


@dataclass(frozen=True)
class DeliveryFigures:
    on_time: Rate  # denominator: deliverables delivered in the period
    slip_p50: float | None
    late: int
    overdue: int


@dataclass(frozen=True)
class RatingFigures:
    by_quality: dict[str, float | None]  # mean over the period's rated months; None: unrated
    months: dict[str, int]  # months rated, per quality
    review_rating: float | None  # mean of the qualities rated


def audits_due(
    *,
    cadence_months: int | None,
    start: dt.date,
    end: dt.date,
    in_force_from: dt.date | None = None,
    in_force_until: dt.date | None = None,
) -> int:
    """Audits a cadence asks for in [start, end): windows of `cadence_months` aligned on the
    calendar year, one audit due in each window's last month (quarterly: March, June,
    September, December), counted where that month falls in the period and in the contract's
    term."""
    if not cadence_months:
        return 0
    due = 0
    month = dt.date(start.year, start.month, 1)
    while month < end:
        next_month = dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)
        in_force = (in_force_from is None or in_force_from < next_month) and (
            in_force_until is None or in_force_until >= month
        )
        if month >= start and month.month % cadence_months == 0 and in_force:
            due += 1
        month = next_month
    return due


def security_figures(
    *,
    audits_held: Iterable[dt.date],
    findings: Iterable[Finding],
    due: int,
    start: dt.date,
    end: dt.date,
) -> SecurityFigures:
    """A period's security figures. A finding is remediated in the period it was verified in,
    and judged on time by the day the vendor reported it fixed."""
    findings = list(findings)
    open_at_end = [f for f in findings if f.open_at(end)]
    remediated = [f for f in findings if f.verified_on and start <= f.verified_on < end]
    on_time = sum(1 for f in remediated if f.reported_fixed_on <= f.due_on)
    days_to_fix = [(f.reported_fixed_on - f.raised_on).days for f in remediated]
    return SecurityFigures(
        audits_done=sum(1 for day in audits_held if start <= day < end),
        audits_due=due,
        findings_open_critical=sum(1 for f in open_at_end if f.severity == "critical"),
        findings_open_high=sum(1 for f in open_at_end if f.severity == "high"),
        findings_overdue=sum(1 for f in findings if f.overdue_at(end)),
        remediation_on_time=Rate(on_time, len(remediated)),
        time_to_remediate_p50=statistics.median(days_to_fix) if days_to_fix else None,
    )


def business_days_late(deliverable: Deliverable) -> int:
    """Open days after the planned day up to and including the delivery day (planned Tue 17
    March, delivered Mon 23 March: 18, 19, 20 and 23 March, so 4)."""
    if deliverable.delivered_on is None or deliverable.delivered_on <= deliverable.planned_on:
        return 0
    days = (deliverable.delivered_on - deliverable.planned_on).days
    return sum(
        1
        for i in range(1, days + 1)
        if deliverable.is_open_day(deliverable.planned_on + dt.timedelta(days=i))
    )


def delivery_figures(
    *, deliverables: Iterable[Deliverable], start: dt.date, end: dt.date
) -> DeliveryFigures:
    """A period's delivery figures, judged against the planned date (a re-planned date is not
    a plan). The median slip is over the late ones, 0 when none was late, None when nothing
    was delivered in the period."""
    deliverables = list(deliverables)
    delivered = [d for d in deliverables if d.delivered_on and start <= d.delivered_on < end]
    late = [d for d in delivered if d.delivered_on > d.planned_on]
    slips = [business_days_late(d) for d in late]
    slip = statistics.median(slips) if slips else (0 if delivered else None)
    return DeliveryFigures(
        on_time=Rate(len(delivered) - len(late), len(delivered)),
        slip_p50=slip,
        late=len(late),
        overdue=sum(1 for d in deliverables if d.overdue_at(end)),
    )


def rating_figures(
    *,
    ratings: Mapping[tuple[dt.date, str], int],
    qualities: Iterable[str],
    start: dt.date,
    end: dt.date,
) -> RatingFigures | None:
    """The period's ratings from {(month, quality): rating}: each quality the mean of its
    rated months, the review rating the mean of the qualities rated; None if none was."""
    by_quality: dict[str, float | None] = {}
    months: dict[str, int] = {}
    for quality in qualities:
        given = [r for (month, q), r in ratings.items() if q == quality and start <= month < end]
        by_quality[quality] = statistics.fmean(given) if given else None
        months[quality] = len(given)
    rated = [v for v in by_quality.values() if v is not None]
    if not rated:
        return None
    return RatingFigures(by_quality, months, statistics.fmean(rated))
