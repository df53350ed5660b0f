"""Reads for the scorecard pages: stored figures, scores, alerts and bounded ticket counts.

Every function here costs one query whatever the data size: stored figures are read by their
unique key or the (vendor, period) index, and the few ticket queries are aggregates bounded by
an indexed (vendor, outcome time) range. Callers pass only vendors the user may see (the views
narrow through `vendors.selectors` first).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db.models import Count, Q, QuerySet

from common.periods import Period
from scorecards.models import Alert, MetricValue, Scorecard
from tickets.models import Outage, Ticket
from vendors.models import Contract, CreditTier, Technician, Vendor

FIGURE_FIELDS = (
    "subject_id",
    "period_start",
    "metric",
    "value",
    "numerator",
    "denominator",
    "sample_size",
    "ci_low",
    "ci_high",
    "low_sample",
    "excluded",
    "detail",
    "computed_at",
)


class StoredFigure(NamedTuple):
    """A stored MetricValue as pages read it: a plain tuple, as building hundreds of model
    instances per page costs more than the query itself."""

    subject_id: int
    period_start: dt.date
    metric: str
    value: Decimal | None
    numerator: Decimal | None
    denominator: Decimal | None
    sample_size: int
    ci_low: Decimal | None
    ci_high: Decimal | None
    low_sample: bool
    excluded: int
    detail: dict
    computed_at: dt.datetime


# (subject_id, period_start, metric) -> stored figure
Figures = dict[tuple[int, dt.date, str], StoredFigure]


def _figures(qs) -> Figures:
    out = {}
    for row in qs.values_list(*FIGURE_FIELDS):
        f = StoredFigure(*row)
        out[(f.subject_id, f.period_start, f.metric)] = f
    return out


def periods_ending(*, period: Period, count: int) -> list[Period]:
    """The `count` periods of `period`'s kind ending with it, oldest first."""
    out = [period]
    while len(out) < count:
        out.append(out[-1].previous())
    return out[::-1]


def _of_subjects(model, subject_kind, subject_ids, period_kind, first, last, vendor=None):
    """The model's rows (figures or scorecards) of these subjects for periods starting in
    [first, last], of the vendor if given."""
    qs = model.objects.filter(
        subject_kind=subject_kind,
        subject_id__in=list(subject_ids),
        period_kind=period_kind,
        period_start__gte=first,
        period_start__lte=last,
    )
    return qs if vendor is None else qs.filter(vendor=vendor)


def figures_for_subjects(
    *,
    subject_kind: str,
    subject_ids: Iterable[int],
    period_kind: str,
    first: dt.date,
    last: dt.date,
    metrics: Iterable[str] | None = None,
    vendor: Vendor | None = None,
) -> Figures:
    """Stored figures of these subjects for periods starting in [first, last]."""
    qs = _of_subjects(MetricValue, subject_kind, subject_ids, period_kind, first, last, vendor)
    if metrics is not None:
        qs = qs.filter(metric__in=list(metrics))
    return _figures(qs)


def technician_figures_for_vendor(
    *, vendor: Vendor, period: Period, metrics: Iterable[str]
) -> Figures:
    """Every technician's stored figures of the vendor for one period (the team's spread)."""
    qs = MetricValue.objects.filter(
        vendor=vendor,
        subject_kind="technician",
        period_kind=period.kind.value,
        period_start=period.start,
        metric__in=list(metrics),
    )
    return _figures(qs)


def scorecards_for_subjects(
    *,
    subject_kind: str,
    subject_ids: Iterable[int],
    period_kind: str,
    first: dt.date,
    last: dt.date,
    vendor: Vendor | None = None,
) -> dict[tuple[int, dt.date], Scorecard]:
    qs = _of_subjects(Scorecard, subject_kind, subject_ids, period_kind, first, last, vendor)
    fields = ("subject_id", "period_start", "score", "grade", "weights", "targets", "computed_at")
    return {(c.subject_id, c.period_start): c for c in qs.only(*fields)}


class StoredScore(NamedTuple):
    score: Decimal | None
    grade: str


def scores_for_subjects(
    *,
    subject_kind: str,
    subject_ids: Iterable[int],
    period_kind: str,
    first: dt.date,
    last: dt.date,
) -> dict[tuple[int, dt.date], StoredScore]:
    """Scores and grades alone, for trends: a portfolio's twelve months of twenty vendors
    built 240 scorecards and decoded their weights and targets, a fifth of the page's time."""
    rows = _of_subjects(Scorecard, subject_kind, subject_ids, period_kind, first, last).values_list(
        "subject_id", "period_start", "score", "grade"
    )
    return {(sid, start): StoredScore(score, grade) for sid, start, score, grade in rows}


def technicians_for_vendor(*, vendor: Vendor) -> list[Technician]:
    return list(Technician.objects.filter(vendor=vendor).only("name", "active", "vendor_id"))


def contracts_for_vendors(*, vendors: QuerySet[Vendor] | Iterable[Vendor]) -> list[Contract]:
    return list(
        Contract.objects.filter(vendor__in=vendors)
        .select_related("vendor")
        .order_by("vendor__name", "name")
    )


def credit_thresholds_for_contracts(
    *, contract_ids: Iterable[int], metrics: Iterable[str]
) -> dict[tuple[int, str], Decimal]:
    """Per (contract, metric) the threshold of the mildest credit tier: the line the contract
    promises, below (or above) which credits start."""
    out: dict[tuple[int, str], Decimal] = {}
    tiers = CreditTier.objects.filter(contract_id__in=list(contract_ids), metric__in=list(metrics))
    for tier in tiers.only("contract_id", "metric", "threshold"):
        key = (tier.contract_id, tier.metric)
        # Higher-better metrics credit below the threshold: the highest threshold bites first.
        mildest = max if tier.is_higher_better else min
        out[key] = mildest(out[key], tier.threshold) if key in out else tier.threshold
    return out


@dataclass
class BreachCounts:
    """Met and breached SLA outcomes final in a period, per group (e.g. priority)."""

    met: dict[tuple, int]
    breached: dict[tuple, int]
    categories: list[str]


def breach_counts(
    *,
    vendor_ids: Iterable[int],
    period: Period,
    group_by: tuple[str, ...] = ("priority",),
    contract_id: int | None = None,
    priority: str | None = None,
    category: str | None = None,
) -> dict[str, BreachCounts]:
    """Outcomes of response and resolution targets that became final in the period, counted
    as the stored SLA figures count them (disputes accepted are left out), grouped.

    Two aggregate queries, each bounded by the (vendor, outcome time) index; categories seen
    in the period come back too, for the category filter.
    """
    lo, hi = period.bounds(settings.REPORTING_TIME_ZONE)
    ids = list(vendor_ids)
    out: dict[str, BreachCounts] = {}
    for target in ("response", "resolution"):
        met, excluded, outcome = f"{target}_met", f"{target}_excluded", f"{target}_outcome_at"
        qs = Ticket.objects.filter(
            vendor_id__in=ids, **{f"{outcome}__gte": lo, f"{outcome}__lt": hi}
        )
        if contract_id is not None:
            qs = qs.filter(contract_id=contract_id)
        if priority:
            qs = qs.filter(priority=priority)
        rows = (
            qs.values(*group_by, "category")
            .annotate(
                n_met=Count("id", filter=Q(**{met: True, excluded: False})),
                n_breached=Count("id", filter=Q(**{met: False, excluded: False})),
            )
            .order_by()
        )
        counts = BreachCounts(defaultdict(int), defaultdict(int), [])
        seen = set()
        for row in rows:
            seen.add(row["category"])
            if category and row["category"] != category:
                continue
            key = tuple(row[g] for g in group_by)
            counts.met[key] += row["n_met"]
            counts.breached[key] += row["n_breached"]
        counts.categories = sorted(c for c in seen if c)
        out[target] = counts
    return out


def alerts_open_for_vendor(
    *,
    vendor: Vendor,
    contract_id: int | None = None,
    priority: str | None = None,
    category: str | None = None,
    limit: int = 20,
) -> list[Alert]:
    """The latest unacknowledged alerts of tickets still open (the newest `limit`)."""
    qs = Alert.objects.filter(
        vendor=vendor, acknowledged_at__isnull=True, ticket__resolved_at__isnull=True
    )
    if contract_id is not None:
        qs = qs.filter(ticket__contract_id=contract_id)
    if priority:
        qs = qs.filter(ticket__priority=priority)
    if category:
        qs = qs.filter(ticket__category=category)
    return list(
        qs.select_related("ticket")
        .only(
            "target",
            "threshold",
            "due_at",
            "created_at",
            "ticket__id",
            "ticket__external_id",
            "ticket__title",
            "ticket__priority",
            "ticket__status",
        )
        .order_by("-created_at")[:limit]
    )


def outages_for_vendor(
    *, vendor: Vendor, period: Period, contract_id: int | None = None, limit: int = 20
) -> list[Outage]:
    """Outages overlapping the period, newest first (the `limit` newest)."""
    lo, hi = period.bounds(settings.REPORTING_TIME_ZONE)
    qs = Outage.objects.filter(vendor=vendor, started_at__lt=hi).filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=lo)
    )
    if contract_id is not None:
        qs = qs.filter(Q(contract_id=contract_id) | Q(contract__isnull=True))
    return list(qs.order_by("-started_at")[:limit])
