"""The portfolio page: every vendor (or one contract) side by side for a period.

A fixed handful of queries (stored Scorecard / MetricValue rows by their indexed keys, plus
breach counts when a priority or category is picked), whatever the number of vendors.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path

from common.pages import STAFF_ROLES, page_for
from common.roles import MANAGER
from scorecards import charts
from scorecards.selectors import (
    StoredFigure,
    breach_counts,
    contracts_for_vendors,
    credit_thresholds_for_contracts,
    figures_for_subjects,
    periods_ending,
    scorecards_for_subjects,
    scores_for_subjects,
)
from scorecards.views.page_filters import PageFilters
from scorecards.views.tiles import (
    CREDIT_LINE_METRICS,
    FILTER_NOTE,
    TREND_PERIODS,
    Tile,
    as_float,
    make_tile,
    picked_contract,
    render_page,
    score_series,
    signed,
    targets_for,
)
from vendors.models import Vendor
from vendors.selectors import vendors_visible_to
from vendors.selectors_setup import install_has_no_vendor

SPARK_PERIODS = 12
PORTFOLIO_METRICS = (
    "sla_compliance_pct",
    "response_sla_pct",
    "resolution_sla_pct",
    "csat_pct",
    "cost_per_ticket",
    "service_credit",
    "tickets_resolved",
)


@dataclass
class PortfolioRow:
    vendor: Vendor
    subject_label: str
    score: float | None
    grade: str
    score_delta: str
    score_delta_class: str
    spark: str
    tiles: dict[str, Tile]
    breaches: int | None
    outcomes: int | None
    breach_note: str = ""


@page_for(*STAFF_ROLES)
def portfolio(request: HttpRequest) -> HttpResponse:
    filters = PageFilters.from_request(request)
    period = filters.period
    vendors = list(vendors_visible_to(request.user).filter(active=True))
    if not vendors and request.role == MANAGER and install_has_no_vendor():
        # A fresh install: the manager's first stop is the set-up checklist.
        return redirect("setup")
    contracts = contracts_for_vendors(vendors=vendors)
    contract = picked_contract(request, filters, contracts)
    if contract is not None:
        subjects = [(contract.vendor, contract.pk, f"{contract.vendor.name} / {contract.name}")]
        kind, contract_ids_of = "contract", {contract.pk: [contract.pk]}
    else:
        subjects = [(v, v.pk, v.name) for v in vendors]
        kind = "vendor"
        contract_ids_of = {}
        for c in contracts:
            contract_ids_of.setdefault(c.vendor_id, []).append(c.pk)
    trend = periods_ending(period=period, count=TREND_PERIODS)
    ids = [sid for _, sid, _ in subjects]
    previous = period.previous()
    # Whole scorecards (targets) for the period and the one before; scores alone for trends.
    cards = scorecards_for_subjects(
        subject_kind=kind,
        subject_ids=ids,
        period_kind=period.kind.value,
        first=previous.start,
        last=period.start,
    )
    scores = scores_for_subjects(
        subject_kind=kind,
        subject_ids=ids,
        period_kind=period.kind.value,
        first=trend[0].start,
        last=period.start,
    )
    figures = figures_for_subjects(
        subject_kind=kind,
        subject_ids=ids,
        period_kind=period.kind.value,
        first=previous.start,
        last=period.start,
        metrics=PORTFOLIO_METRICS,
    )
    credit_lines = credit_thresholds_for_contracts(
        contract_ids=[c.pk for c in contracts], metrics=CREDIT_LINE_METRICS
    )
    counts = None
    if filters.priority or filters.category:
        # Stored figures are per vendor; a priority or category needs the tickets themselves.
        counts = breach_counts(
            vendor_ids=[v.pk for v, _, _ in subjects],
            period=period,
            group_by=("vendor_id",),
            contract_id=contract.pk if contract else None,
            priority=filters.priority,
            category=filters.category,
        )
    rows = []
    for vendor, sid, label in subjects:
        card = cards.get((sid, period.start))
        prev_card = cards.get((sid, previous.start))
        tiles = {}
        cids = contract_ids_of.get(sid, [])
        for code in PORTFOLIO_METRICS:
            tiles[code] = make_tile(
                code,
                figures.get((sid, period.start, code)),
                target=targets_for(
                    code, scorecard=card, credit_lines=credit_lines, contract_ids=cids
                ),
                previous=figures.get((sid, previous.start, code)),
            )
        score = as_float(card.score) if card else None
        prev_score = as_float(prev_card.score) if prev_card else None
        delta, delta_class = "", ""
        if score is not None and prev_score is not None:
            diff = score - prev_score
            delta = signed(diff, "points", "")
            delta_class = "better" if diff > 0 else "worse" if diff < 0 else ""
        spark_periods = trend[-SPARK_PERIODS:]
        spark_values = score_series(scores, sid, spark_periods)
        if counts is not None:
            breaches = sum(counts[t].breached.get((vendor.pk,), 0) for t in counts)
            outcomes = breaches + sum(counts[t].met.get((vendor.pk,), 0) for t in counts)
            note = ", ".join(x for x in (filters.priority, filters.category) if x)
        else:
            breaches, outcomes = _breaches_from_figures(
                figures.get((sid, period.start, "response_sla_pct")),
                figures.get((sid, period.start, "resolution_sla_pct")),
            )
            note = ""
        rows.append(
            PortfolioRow(
                vendor=vendor,
                subject_label=label,
                score=score,
                grade=card.grade if card and card.grade else "",
                score_delta=delta,
                score_delta_class=delta_class,
                spark=charts.sparkline_svg(
                    spark_values,
                    labels=[p.label for p in spark_periods],
                    target=90,
                    unit="points",
                    width=96,
                ),
                tiles=tiles,
                breaches=breaches,
                outcomes=outcomes,
                breach_note=note,
            )
        )
    history = charts.score_history_spec(
        [p.label for p in trend],
        {label: score_series(scores, sid, trend) for _, sid, label in subjects},
    )
    summary = _portfolio_summary(rows)
    return render_page(
        request,
        "scorecards/portfolio.html",
        {
            "filters": filters,
            "period": period,
            "contracts": contracts,
            "rows": rows,
            "history": history,
            "summary": summary,
            "filter_note": FILTER_NOTE if (filters.priority or filters.category) else "",
            "min_sample": settings.MIN_SAMPLE_VENDOR,
            "has_figures": bool(figures) or bool(scores),
        },
    )


def _breaches_from_figures(*figures: StoredFigure | None) -> tuple[int | None, int | None]:
    """Breaches = outcomes - met, read from the stored SLA rates' denominators and numerators."""
    known = [f for f in figures if f is not None and f.denominator is not None]
    if not known:
        return None, None
    outcomes = sum(int(f.denominator) for f in known)
    met = sum(int(f.numerator or 0) for f in known)
    return outcomes - met, outcomes


def _portfolio_summary(rows: list[PortfolioRow]) -> dict:
    graded = [r for r in rows if r.score is not None]
    credits: dict[str, float] = {}
    for r in rows:
        tile = r.tiles["service_credit"]
        if tile.value:
            credits[tile.currency] = credits.get(tile.currency, 0) + tile.value
    return {
        "vendors": len(rows),
        "graded": len(graded),
        "below_b": sum(1 for r in graded if r.score < 80),
        "breaches": sum(r.breaches or 0 for r in rows),
        "credits": [f"{v:,.2f} {k}".strip() for k, v in sorted(credits.items())],
        "sla_missed": sum(1 for r in rows if r.tiles["sla_compliance_pct"].status == "missed"),
    }


urlpatterns = [
    path("portfolio/", portfolio, name="portfolio"),
]
