"""What a review pack holds: the Pack, the rows of its tables, and how their figures print.

Plain data filled by `scorecards.packs.selectors`; the page, the XLSX and the PDF all read it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from common.periods import Period
from scorecards.models import ActionItem, MetricValue, ReviewMeeting
from scorecards.savings import Savings
from scorecards.selectors_ratings import BandView, QualityRating, ratings_mean
from vendors.metrics import BEYOND_TICKETS, METRICS, Better
from vendors.models import Contract, Vendor

TECHNICIAN_METRICS = [
    "tickets_resolved",
    "sla_compliance_pct",
    "response_time_p50",
    "mttr",
    "fcr_pct",
    "reopen_pct",
    "csat_pct",
]


def _today() -> dt.date:
    return timezone.now().astimezone(ZoneInfo(settings.REPORTING_TIME_ZONE)).date()


def fmt(value, unit: str = "", places: int = 1, currency: str = "") -> str:
    """A figure as the pack prints it: 93.1 %, 4.2 hours, 12.50 GBP; a dash for no data."""
    if value is None:
        return "–"
    text = f"{Decimal(value):,.{places}f}"
    if unit == "%":
        return f"{text} %"
    if unit == "currency":
        return f"{text} {currency}".rstrip()
    if unit in ("minutes", "hours"):
        return f"{text} {unit}"
    return text


@dataclass
class KpiRow:
    code: str
    label: str
    unit: str
    formula: str
    better: str
    value: Decimal | None
    previous: Decimal | None
    target: Decimal | None
    target_source: str  # "score" (full marks) or "credit" (the mildest credit tier's threshold)
    sample_size: int
    low_sample: bool
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    ci_low: Decimal | None = None
    ci_high: Decimal | None = None
    excluded: int = 0
    currency: str = ""
    band: BandView | None = None  # a published industry range: shown, never judged against

    @property
    def places(self) -> int:
        if self.unit == "tickets" and self.code in ("tickets_created", "tickets_resolved"):
            return 0
        if self.code == "backlog" or self.unit in ("audits", "findings", "deliverables"):
            return 0  # whole things; a quarter's mean rating or slip keeps its places below
        return 2 if self.unit in ("currency", "score") else 1

    def _fmt(self, value, signed: bool = False) -> str:
        text = fmt(value, self.unit, self.places, self.currency)
        return f"+{text}" if signed and value is not None and value > 0 else text

    @property
    def value_text(self) -> str:
        return self._fmt(self.value)

    @property
    def previous_text(self) -> str:
        return self._fmt(self.previous)

    @property
    def target_text(self) -> str:
        return self._fmt(self.target)

    @property
    def delta_text(self) -> str:
        return self._fmt(self.delta, signed=True)

    @property
    def ci_text(self) -> str:
        if self.ci_low is None or self.ci_high is None:
            return ""
        return f"95% interval {self.ci_low:.1f}..{self.ci_high:.1f} %"

    @property
    def met(self) -> bool | None:
        """Against its target; None with no target, no value, or too few tickets to judge."""
        if self.value is None or self.target is None or self.low_sample:
            return None
        if self.better == Better.HIGHER:
            return self.value >= self.target
        if self.better == Better.LOWER:
            return self.value <= self.target
        return None

    @property
    def delta(self) -> Decimal | None:
        """The change since last month, rounded as shown (so -0.04 % is no change, not -0.0)."""
        if self.value is None or self.previous is None:
            return None
        delta = round(self.value - self.previous, self.places)
        return delta if delta else Decimal(0)

    @property
    def improved(self) -> bool | None:
        """Better than last month (None when unchanged or the metric has no direction)."""
        delta = self.delta
        if not delta or self.better == Better.NEITHER:
            return None
        return (delta > 0) == (self.better == Better.HIGHER)


@dataclass
class BreachRow:
    ticket_id: int
    external_id: str
    title: str
    priority: str
    target: str  # response | resolution
    due_at: dt.datetime
    done_at: dt.datetime | None  # None: still not responded / resolved
    late: dt.timedelta
    disputed: bool

    @property
    def late_hours(self) -> float:
        return round(self.late.total_seconds() / 3600, 2)

    @property
    def late_text(self) -> str:
        minutes = max(int(self.late.total_seconds() // 60), 0)
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        if days:
            return f"{days} d {hours} h"
        return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


@dataclass
class TechnicianRow:
    technician_id: int
    name: str
    figures: dict[str, MetricValue]
    score: Decimal | None
    grade: str

    def value(self, code: str) -> Decimal | None:
        figure = self.figures.get(code)
        return None if figure is None else figure.value

    @property
    def cells(self) -> list[tuple[str, MetricValue | None, str]]:
        """(code, stored figure, the figure as printed) for each column of the table."""
        out = []
        for code in TECHNICIAN_METRICS:
            f = self.figures.get(code)
            places = 0 if code == "tickets_resolved" else 1
            out.append((code, f, fmt(f.value if f else None, METRICS[code].unit, places)))
        return out

    @property
    def low_sample(self) -> bool:
        return any(f.low_sample for f in self.figures.values())


@dataclass
class CreditRow:
    contract: Contract
    credit: Decimal | None
    credit_pct: Decimal | None
    per_metric: dict[str, str]
    invoiced: Decimal | None

    @cached_property
    def month(self) -> Savings | None:
        """The month against the in-house baseline; None if it was not invoiced."""
        if self.invoiced is None:
            return None
        month = Savings(self.contract.inhouse_monthly_cost)
        month.add_month(self.invoiced, self.credit)
        return month

    @property
    def net_cost(self) -> Decimal | None:
        return self.month.net_cost if self.month else None

    @property
    def inhouse(self) -> Decimal | None:
        return self.contract.inhouse_monthly_cost

    @property
    def savings(self) -> Decimal | None:
        return self.month.savings if self.month else None


@dataclass
class ActionRow:
    item: ActionItem
    carried: bool  # raised at an earlier meeting
    status_in_pack: str  # the status as this pack sees it
    closed_later: str  # "2026-12" when it was closed after this pack's month

    @property
    def overdue(self) -> bool:
        return bool(self.item.due_on and not self.item.is_closed and self.item.due_on < _today())


@dataclass
class Pack:
    vendor: Vendor
    period: Period
    previous: Period
    provisional: bool  # the month has not ended yet
    score: Decimal | None
    grade: str
    previous_score: Decimal | None
    previous_grade: str
    kpis: list[KpiRow]
    trend_labels: list[str]
    trends: list[tuple[KpiRow, object]]  # (the KPI, its Plotly figure)
    score_chart: object
    breaches: list[BreachRow]
    breaches_total: int
    technicians: list[TechnicianRow]
    credits: list[CreditRow]
    credit_total: Decimal | None
    currency: str
    meeting: ReviewMeeting | None
    previous_meeting: ReviewMeeting | None
    carried_actions: list[ActionRow]
    new_actions: list[ActionRow]
    computed_at: dt.datetime | None
    as_of: dt.datetime
    headline: dict[str, KpiRow] = field(default_factory=dict)
    # The review's own ratings of the month, with evidence (the four, rated or not); frozen
    # once the month is closed.
    ratings: list[QualityRating] = field(default_factory=list)
    ratings_frozen: bool = False

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def ticket_kpis(self) -> list[KpiRow]:
        return [k for k in self.kpis if k.code not in BEYOND_TICKETS]

    @property
    def beyond_kpis(self) -> list[KpiRow]:
        """Security, delivery and the review's figures (METRICS.md, "Beyond tickets")."""
        return [k for k in self.kpis if k.code in BEYOND_TICKETS]

    @property
    def ratings_given(self) -> bool:
        return any(r.rating is not None for r in self.ratings)

    @property
    def ratings_mean(self) -> Decimal | None:
        return ratings_mean(self.ratings)

    @property
    def technician_metrics(self) -> list[str]:
        return TECHNICIAN_METRICS

    @property
    def savings_total(self) -> Decimal | None:
        known = [c.savings for c in self.credits if c.savings is not None]
        return sum(known, Decimal(0)) if known else None

    @property
    def invoiced_total(self) -> Decimal | None:
        known = [c.invoiced for c in self.credits if c.invoiced is not None]
        return sum(known, Decimal(0)) if known else None
