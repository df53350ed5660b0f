"""What the portfolio, vendor scorecard, team and technician pages share: a stored figure as
people read it (`fmt`, `Tile`, judged against `targets_for`), the score and trend series their
charts are built from, and the page plumbing (contract pick, render with the period picker).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from common.periods import Period, PeriodKind
from scorecards import charts
from scorecards.models import Scorecard
from scorecards.selectors import StoredFigure, StoredScore
from scorecards.selectors_ratings import BandView
from scorecards.views.page_filters import PageFilters
from vendors.metrics import METRICS, Better
from vendors.models import Contract

TREND_PERIODS = 24
# Metrics whose target is the contract's credit line rather than a scoring target.
CREDIT_LINE_METRICS = ("response_sla_pct", "resolution_sla_pct", "uptime_pct")
# Figures that count things: whole numbers, unless a mean makes them fractional.
COUNT_UNITS = ("tickets", "audits", "findings", "deliverables")
FILTER_NOTE = (
    "Figures are stored per vendor, contract and technician; the priority and category "
    "filters apply to breach counts and lists only."
)


def render_page(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    """Render a page that carries the period picker."""
    context.setdefault("period_kinds", list(PeriodKind))
    return render(request, template, context)


def picked_contract(
    request: HttpRequest, filters: PageFilters, contracts: list[Contract]
) -> Contract | None:
    """The contract the filters name, if it is one of `contracts` (else a warning and None)."""
    if filters.contract_id is None:
        return None
    for c in contracts:
        if c.pk == filters.contract_id:
            return c
    messages.warning(request, "No such contract here; showing all contracts.")
    return None


# --- formatting -------------------------------------------------------------------------------


def fmt(value: float | Decimal | None, unit: str, currency: str = "") -> str:
    """A figure as people read it: 93.1 %, 4.2 h, 35 min, 12.50 EUR, 1,234."""
    if value is None:
        return "–"
    v = float(value)
    if unit == "%":
        return f"{v:.1f} %"
    if unit == "hours":
        return f"{v:.1f} h"
    if unit == "minutes":
        return f"{v:,.0f} min"
    if unit == "currency":
        return f"{v:,.2f} {currency}".strip()
    if unit == "score":  # a mean of 1..5 ratings: 3.25, not 3.2
        return f"{v:.2f}"
    if unit in COUNT_UNITS:
        return f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"
    return f"{v:,.1f}"


def as_float(value) -> float | None:
    return None if value is None else float(value)


def signed(diff: float, unit: str, currency: str) -> str:
    """A difference with its sign: +1.2 pts, −35 min, ±0.0 points."""
    text = fmt(abs(diff), unit, currency)
    if unit == "%":
        text = f"{abs(diff):.1f} pts"
    elif unit == "points":
        text += " points"
    return ("+" if diff > 0 else "−" if diff < 0 else "±") + text


def _currency(figure: StoredFigure | None, fallback: str = "") -> str:
    if figure is None:
        return fallback
    return (figure.detail or {}).get("currency", fallback)


# --- tiles ------------------------------------------------------------------------------------


@dataclass
class Tile:
    """One figure with everything shown beside it: target, previous period, evidence."""

    code: str
    value: float | None
    display: str
    target: float | None = None
    target_display: str = ""
    status: str = ""  # met | missed | low | "" (no target or no data)
    status_word: str = ""
    sample_size: int | None = None
    low_sample: bool = False
    ci: str = ""
    evidence: str = ""
    previous_display: str = ""
    delta_display: str = ""
    delta_class: str = ""  # better | worse | ""
    delta_word: str = ""
    delta_arrow: str = ""  # delta-up | delta-down | ""
    sort_value: str = ""
    currency: str = ""
    # A published industry range (scorecards.selectors_ratings.BandView): shown beside the
    # contract's target, never judged against.
    band: BandView | None = None

    @property
    def label(self) -> str:
        return METRICS[self.code].label

    @property
    def formula(self) -> str:
        return METRICS[self.code].formula


def make_tile(
    code: str,
    figure: StoredFigure | None,
    *,
    target: float | None = None,
    previous: StoredFigure | None = None,
    currency: str = "",
) -> Tile:
    meta = METRICS[code]
    value = None if figure is None else as_float(figure.value)
    currency = currency or _currency(figure) or _currency(previous)
    tile = Tile(code=code, value=value, display=fmt(value, meta.unit, currency))
    tile.currency = currency if meta.unit == "currency" else ""
    if figure is not None:
        tile.sample_size = figure.sample_size
        tile.low_sample = bool(figure.low_sample) and value is not None
        if figure.ci_low is not None and figure.ci_high is not None:
            tile.ci = f"95 % interval {float(figure.ci_low):.1f}–{float(figure.ci_high):.1f} %"
        if meta.unit == "%" and figure.denominator is not None and value is not None:
            tile.evidence = (
                f"{float(figure.numerator or 0):,.0f} of {float(figure.denominator):,.0f}"
            )
            if figure.excluded:
                tile.evidence += f"; {figure.excluded} excluded by accepted disputes"
    if target is not None:
        tile.target = target
        tile.target_display = fmt(target, meta.unit, currency)
    if value is None:
        tile.status_word = "no data"
    elif tile.low_sample:
        tile.status, tile.status_word = "low", "low sample"
    elif target is not None and meta.better is not Better.NEITHER:
        met = value >= target if meta.better is Better.HIGHER else value <= target
        tile.status, tile.status_word = ("met", "✓ met") if met else ("missed", "✗ missed")
    tile.sort_value = "" if value is None or tile.low_sample else f"{value:.6f}"
    prev = None if previous is None else as_float(previous.value)
    if prev is not None:
        tile.previous_display = fmt(prev, meta.unit, currency)
    if value is not None and prev is not None:
        diff = value - prev
        tile.delta_display = signed(diff, meta.unit, currency)
        if abs(diff) < 1e-9:
            tile.delta_word = "no change"
        else:
            tile.delta_arrow = "delta-up" if diff > 0 else "delta-down"
            if meta.better is Better.NEITHER:
                tile.delta_word = "up" if diff > 0 else "down"
            else:
                better = (diff > 0) == (meta.better is Better.HIGHER)
                tile.delta_class = "better" if better else "worse"
                tile.delta_word = "better" if better else "worse"
    return tile


def targets_for(
    code: str,
    *,
    scorecard: Scorecard | None,
    credit_lines: Mapping[tuple[int, str], Decimal],
    contract_ids: Iterable[int],
) -> float | None:
    """The target a figure is judged against: the scoring target of a scored metric (as the
    stored score used it), else the contract's credit line (the strictest of its contracts)."""
    if scorecard is not None and code in (scorecard.targets or {}):
        return as_float(scorecard.targets[code].get("target"))
    if code in CREDIT_LINE_METRICS:
        lines = [credit_lines[(cid, code)] for cid in contract_ids if (cid, code) in credit_lines]
        if lines:
            strict = max if METRICS[code].better is Better.HIGHER else min
            return float(strict(lines))
    if code in ("response_sla_pct", "resolution_sla_pct") and scorecard is not None:
        # No credit line on this target: hold it to the headline SLA target.
        return targets_for(
            "sla_compliance_pct",
            scorecard=scorecard,
            credit_lines=credit_lines,
            contract_ids=contract_ids,
        )
    if code == "service_credit":
        return 0.0
    target = METRICS[code].target
    return as_float(target)


# --- chart series -----------------------------------------------------------------------------


def score_series(
    cards: Mapping[tuple[int, dt.date], Scorecard | StoredScore],
    subject_id: int,
    periods: Iterable[Period],
) -> list[float | None]:
    """One subject's stored score per period, None where it has no scorecard."""
    return [
        as_float(cards[(subject_id, p.start)].score) if (subject_id, p.start) in cards else None
        for p in periods
    ]


def figure_trend_spec(
    labels: Sequence[str],
    series: Sequence[StoredFigure | None],
    *,
    name: str,
    unit: str,
    target: float | None,
) -> dict:
    """The trend chart of one stored figure per period, low samples and sizes marked."""
    return charts.trend_spec(
        labels,
        [None if f is None else as_float(f.value) for f in series],
        name=name,
        unit=unit,
        target=target,
        low_sample=[bool(f and f.low_sample) for f in series],
        samples=[f.sample_size if f is not None else None for f in series],
    )
