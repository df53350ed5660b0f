"""Portfolio, vendor scorecard, team and technician pages: stored figures only.

Each page reads a fixed handful of queries (stored MetricValue / Scorecard rows by their
indexed keys, and on the vendor page two aggregate ticket counts bounded by vendor and
period), whatever the number of tickets, periods or technicians.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from common.pages import ALL_ROLES, STAFF_ROLES, page_for
from common.periods import Period, PeriodKind
from scorecards import charts
from scorecards.models import Scorecard
from scorecards.savings import WINDOWS as SAVINGS_WINDOWS
from scorecards.savings import Savings
from scorecards.selectors import (
    StoredFigure,
    alerts_open_for_vendor,
    breach_counts,
    contracts_for_vendors,
    credit_thresholds_for_contracts,
    figures_for_subjects,
    outages_for_vendor,
    periods_ending,
    scorecards_for_subjects,
    technician_figures_for_vendor,
    technicians_for_vendor,
)
from scorecards.views.common import PageFilters
from vendors.metrics import METRICS, Better
from vendors.models import Contract, Priority, Vendor
from vendors.selectors import vendor_get_for_user, vendors_visible_to

TREND_PERIODS = 24
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
VENDOR_TILES = (
    "sla_compliance_pct",
    "response_sla_pct",
    "resolution_sla_pct",
    "csat_pct",
    "fcr_pct",
    "mttr",
    "reopen_pct",
    "escalation_pct",
    "cost_per_ticket",
    "service_credit",
    "backlog",
    "tickets_created",
    "tickets_resolved",
    "uptime_pct",
)
VENDOR_TRENDS = (
    "sla_compliance_pct",
    "response_sla_pct",
    "resolution_sla_pct",
    "csat_pct",
    "fcr_pct",
    "mttr",
    "reopen_pct",
    "escalation_pct",
    "cost_per_ticket",
    "backlog",
)
TEAM_METRICS = (
    "tickets_resolved",
    "sla_compliance_pct",
    "response_sla_pct",
    "resolution_sla_pct",
    "response_time_p50",
    "mttr",
    "fcr_pct",
    "reopen_pct",
    "escalation_pct",
    "csat_pct",
    "tickets_per_tech_day",
)
COMPACT_TEAM = ("tickets_resolved", "sla_compliance_pct", "mttr", "fcr_pct", "csat_pct")
# Metrics whose target is the contract's credit line rather than a scoring target.
CREDIT_LINE_METRICS = ("response_sla_pct", "resolution_sla_pct", "uptime_pct")
FILTER_NOTE = (
    "Figures are stored per vendor, contract and technician; the priority and category "
    "filters apply to breach counts and lists only."
)


def _render(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    context.setdefault("period_kinds", list(PeriodKind))
    return render(request, template, context)


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
    if unit == "tickets":
        return f"{v:,.0f}" if v == int(v) else f"{v:,.2f}"
    return f"{v:,.1f}"


def _f(value) -> float | None:
    return None if value is None else float(value)


def _currency(figure: StoredFigure | None, fallback: str = "") -> str:
    if figure is None:
        return fallback
    return (figure.detail or {}).get("currency", fallback)


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
    value = None if figure is None else _f(figure.value)
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
    prev = None if previous is None else _f(previous.value)
    if prev is not None:
        tile.previous_display = fmt(prev, meta.unit, currency)
    if value is not None and prev is not None:
        diff = value - prev
        tile.delta_display = _signed(diff, meta.unit, currency)
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


def _signed(diff: float, unit: str, currency: str) -> str:
    text = fmt(abs(diff), unit, currency)
    if unit == "%":
        text = f"{abs(diff):.1f} pts"
    elif unit == "points":
        text += " points"
    return ("+" if diff > 0 else "−" if diff < 0 else "±") + text


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
        return _f(scorecard.targets[code].get("target"))
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
    return _f(target)


# --- portfolio --------------------------------------------------------------------------------


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
    contracts = contracts_for_vendors(vendors=vendors)
    contract = _picked_contract(request, filters, contracts)
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
    cards = scorecards_for_subjects(
        subject_kind=kind,
        subject_ids=ids,
        period_kind=period.kind.value,
        first=trend[0].start,
        last=period.start,
    )
    previous = period.previous()
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
        score = _f(card.score) if card else None
        prev_score = _f(prev_card.score) if prev_card else None
        delta, delta_class = "", ""
        if score is not None and prev_score is not None:
            diff = score - prev_score
            delta = _signed(diff, "points", "")
            delta_class = "better" if diff > 0 else "worse" if diff < 0 else ""
        spark_periods = trend[-SPARK_PERIODS:]
        spark_values = [
            _f(cards[(sid, p.start)].score) if (sid, p.start) in cards else None
            for p in spark_periods
        ]
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
        {
            label: [
                _f(cards[(sid, p.start)].score) if (sid, p.start) in cards else None for p in trend
            ]
            for _, sid, label in subjects
        },
    )
    summary = _portfolio_summary(rows)
    return _render(
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
            "has_figures": bool(figures) or bool(cards),
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


def _picked_contract(
    request: HttpRequest, filters: PageFilters, contracts: list[Contract]
) -> Contract | None:
    if filters.contract_id is None:
        return None
    for c in contracts:
        if c.pk == filters.contract_id:
            return c
    messages.warning(request, "No such contract here; showing all contracts.")
    return None


# --- vendor scorecard -------------------------------------------------------------------------


@page_for(*ALL_ROLES)
def vendor(request: HttpRequest, slug: str) -> HttpResponse:
    the_vendor = vendor_get_for_user(request.user, slug=slug)
    filters = PageFilters.from_request(request)
    period = filters.period
    contracts = contracts_for_vendors(vendors=[the_vendor])
    contract = _picked_contract(request, filters, contracts)
    if contract is not None:
        kind, sid, contract_ids = "contract", contract.pk, [contract.pk]
    else:
        kind, sid, contract_ids = "vendor", the_vendor.pk, [c.pk for c in contracts]
    trend = periods_ending(period=period, count=TREND_PERIODS)
    previous = period.previous()
    # Savings look back 24 months: read months whatever the picked kind (one query either way).
    month = Period.containing(PeriodKind.MONTH, period.end - dt.timedelta(days=1))
    months = periods_ending(period=month, count=24)
    figures = figures_for_subjects(
        subject_kind=kind,
        subject_ids=[sid],
        period_kind=period.kind.value,
        first=trend[0].start,
        last=period.start,
        metrics=set(VENDOR_TILES) | set(VENDOR_TRENDS),
        vendor=the_vendor,
    )
    if period.kind is PeriodKind.MONTH:
        monthly = figures
    else:
        monthly = figures_for_subjects(
            subject_kind=kind,
            subject_ids=[sid],
            period_kind="month",
            first=months[0].start,
            last=month.start,
            metrics=("cost_per_ticket", "service_credit"),
            vendor=the_vendor,
        )
    cards = scorecards_for_subjects(
        subject_kind=kind,
        subject_ids=[sid],
        period_kind=period.kind.value,
        first=trend[0].start,
        last=period.start,
        vendor=the_vendor,
    )
    card = cards.get((sid, period.start))
    prev_card = cards.get((sid, previous.start))
    credit_lines = credit_thresholds_for_contracts(
        contract_ids=contract_ids, metrics=CREDIT_LINE_METRICS
    )
    currency = contracts[0].currency if len({c.currency for c in contracts}) == 1 else ""
    if contract is not None:
        currency = contract.currency

    def target(code: str) -> float | None:
        return targets_for(
            code, scorecard=card, credit_lines=credit_lines, contract_ids=contract_ids
        )

    tiles = [
        make_tile(
            code,
            figures.get((sid, period.start, code)),
            target=target(code),
            previous=figures.get((sid, previous.start, code)),
            currency=currency,
        )
        for code in VENDOR_TILES
    ]
    score_tile = _score_tile(card, prev_card)
    trend_charts = []
    labels = [p.label for p in trend]
    for code in VENDOR_TRENDS:
        series = [figures.get((sid, p.start, code)) for p in trend]
        if not any(f is not None and f.value is not None for f in series):
            continue
        trend_charts.append(
            {
                "code": code,
                "target": fmt(target(code), METRICS[code].unit, currency),
                "figure": charts.trend_spec(
                    labels,
                    [None if f is None else _f(f.value) for f in series],
                    name=METRICS[code].label,
                    unit=METRICS[code].unit if METRICS[code].unit != "currency" else currency,
                    target=target(code),
                    low_sample=[bool(f and f.low_sample) for f in series],
                    samples=[f.sample_size if f is not None else None for f in series],
                ),
            }
        )
    score_chart = charts.score_history_spec(
        labels,
        {
            (contract.name if contract else the_vendor.name): [
                _f(cards[(sid, p.start)].score) if (sid, p.start) in cards else None for p in trend
            ]
        },
    )
    counts = breach_counts(
        vendor_ids=[the_vendor.pk],
        period=period,
        contract_id=contract.pk if contract else None,
        priority=filters.priority,
        category=filters.category,
    )
    priority_rows = _priority_rows(counts, filters.priority)
    team = team_rows(vendor=the_vendor, period=period, columns=COMPACT_TEAM)
    uptime = figures.get((sid, period.start, "uptime_pct"))
    services = sorted(((uptime.detail or {}).get("services") or {}).items()) if uptime else []
    uptime_line = target("uptime_pct")
    context = {
        "vendor": the_vendor,
        "filters": filters,
        "period": period,
        "contract": contract,
        "contracts": contracts,
        "categories": sorted(
            set(counts["response"].categories) | set(counts["resolution"].categories)
        ),
        "score_tile": score_tile,
        "card": card,
        "tiles": tiles,
        "trend_charts": trend_charts,
        "score_chart": score_chart,
        "priority_rows": priority_rows,
        "priority_chart": charts.priority_bars_spec(
            {
                r["priority"]: {"response": r["response"], "resolution": r["resolution"]}
                for r in priority_rows
            }
        )
        if any(r["response"] or r["resolution"] for r in priority_rows)
        else None,
        "team": team,
        "services": [
            {
                "name": name,
                "value": fmt(v, "%"),
                "met": None if uptime_line is None else v >= uptime_line,
            }
            for name, v in services
        ],
        "uptime_target": fmt(uptime_line, "%") if uptime_line is not None else "",
        "outages": outages_for_vendor(
            vendor=the_vendor, period=period, contract_id=contract.pk if contract else None
        ),
        "costs": _costs(
            figures.get((sid, period.start, "cost_per_ticket")),
            figures.get((sid, period.start, "service_credit")),
            monthly,
            sid,
            months,
            [c for c in contracts if c.pk in contract_ids],
            currency,
        ),
        "alerts": alerts_open_for_vendor(
            vendor=the_vendor,
            contract_id=contract.pk if contract else None,
            priority=filters.priority,
            category=filters.category,
        ),
        "filter_note": FILTER_NOTE if (filters.priority or filters.category) else "",
        "min_sample": settings.MIN_SAMPLE_VENDOR,
        "has_figures": any(k[1] == period.start for k in figures),
        "breaches_query": filters.query(vendor=the_vendor.pk, kind=None),
    }
    return _render(request, "scorecards/vendor.html", context)


def _score_tile(card: Scorecard | None, prev_card: Scorecard | None) -> dict:
    score = _f(card.score) if card else None
    prev = _f(prev_card.score) if prev_card else None
    out = {
        "score": fmt(score, "points"),
        "grade": (card.grade if card else "") or "",
        "previous": fmt(prev, "points") if prev is not None else "",
        "delta": "",
        "delta_class": "",
        "delta_word": "",
        "weights": sorted(((card.weights or {}) if card else {}).items(), key=lambda kv: -kv[1]),
    }
    if score is not None and prev is not None:
        diff = score - prev
        out["delta"] = _signed(diff, "points", "")
        if diff:
            out["delta_class"] = "better" if diff > 0 else "worse"
            out["delta_word"] = out["delta_class"]
            out["delta_arrow"] = "delta-up" if diff > 0 else "delta-down"
        else:
            out["delta_word"] = "no change"
    return out


def _priority_rows(counts, picked: str | None) -> list[dict]:
    rows = []
    priorities = [picked] if picked else list(Priority.values)
    for p in priorities:
        row = {"priority": p}
        for target in ("response", "resolution"):
            met = counts[target].met.get((p,), 0)
            breached = counts[target].breached.get((p,), 0)
            row[target] = breached
            row[f"{target}_outcomes"] = met + breached
            row[f"{target}_pct"] = fmt(100 * met / (met + breached), "%") if met + breached else "–"
        rows.append(row)
    return rows


def _money(value: Decimal | None, currency: str) -> str:
    return "–" if value is None else fmt(value, "currency", currency)


def _costs(cost, credit, monthly, sid, months, contracts, currency) -> dict:
    """Cost per ticket, credits owed, and savings against the in-house cost over 6/12/24
    months (as stored: each month's invoiced amount and credit; in-house cost per contract)."""
    baselines = [c.inhouse_monthly_cost for c in contracts if c.inhouse_monthly_cost is not None]
    inhouse = sum(baselines, Decimal(0)) if baselines else None
    windows = []
    for n in SAVINGS_WINDOWS:
        window = Savings(inhouse)
        for m in months[-n:]:
            f = monthly.get((sid, m.start, "cost_per_ticket"))
            if f is not None and f.numerator is not None:
                c = monthly.get((sid, m.start, "service_credit"))
                window.add_month(f.numerator, c.value if c is not None else None)
        # Before the first invoice there is nothing to compare: the window shows dashes.
        invoiced = window.months_invoiced > 0
        saving = window.savings if invoiced else None
        windows.append(
            {
                "months": n,
                "invoiced_months": window.months_invoiced,
                "invoiced": _money(window.invoiced if invoiced else None, currency),
                "credits": _money(window.credits if invoiced else None, currency),
                "inhouse": _money(window.baseline if invoiced else None, currency),
                "saving": _money(saving, currency),
                "saving_class": "" if saving is None else ("better" if saving >= 0 else "worse"),
            }
        )
    credit_detail = (credit.detail or {}) if credit is not None else {}
    return {
        "invoiced": fmt(cost.numerator, "currency", currency)
        if cost is not None and cost.numerator is not None
        else "–",
        "credit_pct": credit_detail.get("pct", ""),
        "credit_per_metric": sorted((credit_detail.get("per_metric") or {}).items()),
        "windows": windows,
        "has_inhouse": inhouse is not None,
    }


# --- team and technicians ---------------------------------------------------------------------


@dataclass
class TeamRow:
    technician_id: int
    name: str
    active: bool
    tiles: dict[str, Tile]
    score: float | None
    grade: str
    ranked: bool
    rank: int | None = None
    cells: list[Tile] = field(default_factory=list)


@dataclass
class Team:
    rows: list[TeamRow]
    medians: dict[str, float | None] = field(default_factory=dict)
    min_sample: int = 10
    columns: list[dict] = field(default_factory=list)


def team_rows(*, vendor: Vendor, period: Period, columns: Iterable[str] = TEAM_METRICS) -> Team:
    """Every technician of the vendor with the period's figures (three queries).

    A technician whose resolved tickets fall below the minimum sample is listed, marked and
    left out of the ranking and of the team medians.
    """
    technicians = technicians_for_vendor(vendor=vendor)
    figures = technician_figures_for_vendor(vendor=vendor, period=period, metrics=TEAM_METRICS)
    cards = scorecards_for_subjects(
        subject_kind="technician",
        subject_ids=[t.pk for t in technicians],
        period_kind=period.kind.value,
        first=period.start,
        last=period.start,
        vendor=vendor,
    )
    min_sample = settings.MIN_SAMPLE_TECHNICIAN
    rows = []
    for t in technicians:
        tiles = {
            code: make_tile(code, figures.get((t.pk, period.start, code))) for code in TEAM_METRICS
        }
        resolved = tiles["tickets_resolved"].value
        if not t.active and not resolved and (t.pk, period.start) not in cards:
            continue  # a former technician with nothing in this period
        card = cards.get((t.pk, period.start))
        score = _f(card.score) if card else None
        ranked = score is not None and (resolved or 0) >= min_sample
        rows.append(
            TeamRow(t.pk, t.name, t.active, tiles, score, card.grade if card else "", ranked)
        )
    ordered = sorted((r for r in rows if r.ranked), key=lambda r: -(r.score or 0))
    for i, r in enumerate(ordered, 1):
        r.rank = i
    rows.sort(key=lambda r: (r.rank is None, r.rank or 0, r.name))
    medians = {}
    for code in TEAM_METRICS:
        values = [
            r.tiles[code].value
            for r in rows
            if r.tiles[code].value is not None and not r.tiles[code].low_sample
        ]
        medians[code] = statistics.median(values) if values else None
    columns = [c for c in columns if c in TEAM_METRICS]
    for r in rows:
        r.cells = [r.tiles[c] for c in columns]
    return Team(
        rows,
        medians,
        min_sample,
        [{"code": c, "median": fmt(medians[c], METRICS[c].unit)} for c in columns],
    )


def _team_distribution(team: Team, codes: Iterable[str], *, highlight: TeamRow | None = None):
    out = []
    for code in codes:
        meta = METRICS[code]
        points = [
            (r.name, r.tiles[code].value)
            for r in team.rows
            if r.tiles[code].value is not None and not r.tiles[code].low_sample
        ]
        if not points:
            continue
        hl = highlight.tiles[code].value if highlight is not None else None
        out.append(
            {
                "code": code,
                "median": fmt(team.medians.get(code), meta.unit),
                "figure": charts.box_or_strip_spec(
                    {meta.label: [v for _, v in points]},
                    unit=meta.unit,
                    median=team.medians.get(code),
                    hover_names={meta.label: [n for n, _ in points]},
                    highlight=hl,
                    highlight_name=highlight.name if highlight is not None else "",
                ),
            }
        )
    return out


DISTRIBUTION_METRICS = ("sla_compliance_pct", "mttr", "fcr_pct", "csat_pct", "tickets_resolved")


@page_for(*ALL_ROLES)
def team(request: HttpRequest, slug: str) -> HttpResponse:
    the_vendor = vendor_get_for_user(request.user, slug=slug)
    filters = PageFilters.from_request(request)
    the_team = team_rows(vendor=the_vendor, period=filters.period)
    return _render(
        request,
        "scorecards/team.html",
        {
            "vendor": the_vendor,
            "filters": filters,
            "period": filters.period,
            "team": the_team,
            "columns": TEAM_METRICS,
            "distributions": _team_distribution(the_team, DISTRIBUTION_METRICS),
            "filter_note": _people_note(filters),
        },
    )


def _people_note(filters: PageFilters) -> str:
    if filters.contract_id or filters.priority or filters.category:
        return (
            "A technician's figures are stored across all their contracts, priorities and "
            "categories; the contract, priority and category filters do not narrow them."
        )
    return ""


@dataclass
class Comparison:
    tile: Tile
    median: str
    vs_median: str
    vs_class: str
    rank: str


@page_for(*ALL_ROLES)
def technician(request: HttpRequest, slug: str, technician_id: int) -> HttpResponse:
    the_vendor = vendor_get_for_user(request.user, slug=slug)
    filters = PageFilters.from_request(request)
    period = filters.period
    the_team = team_rows(vendor=the_vendor, period=period)
    me = next((r for r in the_team.rows if r.technician_id == technician_id), None)
    person = (
        next((t for t in technicians_for_vendor(vendor=the_vendor) if t.pk == technician_id), None)
        if me is None
        else None
    )
    if me is None and person is None:
        raise Http404("No such technician.")
    name = me.name if me else person.name
    trend = periods_ending(period=period, count=TREND_PERIODS)
    history = figures_for_subjects(
        subject_kind="technician",
        subject_ids=[technician_id],
        period_kind=period.kind.value,
        first=trend[0].start,
        last=period.start,
        metrics=("sla_compliance_pct", "mttr", "tickets_resolved"),
        vendor=the_vendor,
    )
    cards = scorecards_for_subjects(
        subject_kind="technician",
        subject_ids=[technician_id],
        period_kind=period.kind.value,
        first=trend[0].start,
        last=period.start,
        vendor=the_vendor,
    )
    comparisons = []
    ranked_pool = [r for r in the_team.rows if r.technician_id != technician_id]
    for code in TEAM_METRICS:
        meta = METRICS[code]
        tile = me.tiles[code] if me else make_tile(code, None)
        median = the_team.medians.get(code)
        vs, vs_class, rank = "", "", ""
        if tile.value is not None and median is not None:
            diff = tile.value - median
            vs = _signed(diff, meta.unit, "")
            if meta.better is not Better.NEITHER and abs(diff) > 1e-9:
                better = (diff > 0) == (meta.better is Better.HIGHER)
                vs_class = "better" if better else "worse"
        if tile.value is not None and not tile.low_sample and meta.better is not Better.NEITHER:
            peers = [
                r.tiles[code].value
                for r in ranked_pool
                if r.tiles[code].value is not None and not r.tiles[code].low_sample
            ]
            higher = meta.better is Better.HIGHER
            ahead = sum(1 for v in peers if (v > tile.value if higher else v < tile.value))
            rank = f"{ahead + 1} of {len(peers) + 1}"
        elif tile.low_sample:
            rank = "not ranked (low sample)"
        comparisons.append(Comparison(tile, fmt(median, meta.unit), vs, vs_class, rank))
    labels = [p.label for p in trend]
    score_chart = charts.score_history_spec(
        labels,
        {
            name: [
                _f(cards[(technician_id, p.start)].score)
                if (technician_id, p.start) in cards
                else None
                for p in trend
            ]
        },
    )
    sla_series = [history.get((technician_id, p.start, "sla_compliance_pct")) for p in trend]
    sla_chart = charts.trend_spec(
        labels,
        [None if f is None else _f(f.value) for f in sla_series],
        name=METRICS["sla_compliance_pct"].label,
        unit="%",
        target=_f(METRICS["sla_compliance_pct"].target),
        low_sample=[bool(f and f.low_sample) for f in sla_series],
        samples=[f.sample_size if f is not None else None for f in sla_series],
    )
    return _render(
        request,
        "scorecards/technician.html",
        {
            "vendor": the_vendor,
            "filters": filters,
            "period": period,
            "name": name,
            "me": me,
            "comparisons": comparisons,
            "team": the_team,
            "distributions": _team_distribution(the_team, DISTRIBUTION_METRICS, highlight=me),
            "score_chart": score_chart,
            "sla_chart": sla_chart,
            "filter_note": _people_note(filters),
        },
    )


urlpatterns = [
    path("portfolio/", portfolio, name="portfolio"),
    path("vendors/<slug:slug>/", vendor, name="vendor"),
    path("vendors/<slug:slug>/technicians/", team, name="team"),
    path(
        "vendors/<slug:slug>/technicians/<int:technician_id>/",
        technician,
        name="technician",
    ),
]
