"""The vendor scorecard page: one vendor (or one of its contracts) for a period.

Tiles against targets, trends, breaches by priority, the compact team, uptime, costs and
savings, and open alerts: stored figures by their indexed keys plus two aggregate ticket
counts bounded by vendor and period, whatever the number of tickets.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path

from common.pages import ALL_ROLES, page_for
from common.periods import Period, PeriodKind
from scorecards import charts
from scorecards.models import Scorecard
from scorecards.savings import WINDOWS as SAVINGS_WINDOWS
from scorecards.savings import Savings
from scorecards.selectors import (
    alerts_open_for_vendor,
    breach_counts,
    contracts_for_vendors,
    credit_thresholds_for_contracts,
    figures_for_subjects,
    outages_for_vendor,
    periods_ending,
    scorecards_for_subjects,
)
from scorecards.selectors_ratings import bands_by_metric
from scorecards.views.page_filters import PageFilters
from scorecards.views.team import team_rows
from scorecards.views.tiles import (
    CREDIT_LINE_METRICS,
    FILTER_NOTE,
    TREND_PERIODS,
    as_float,
    figure_trend_spec,
    fmt,
    make_tile,
    picked_contract,
    render_page,
    score_series,
    signed,
    targets_for,
)
from vendors.metrics import METRICS, REVIEW_QUALITIES
from vendors.models import Priority
from vendors.selectors import vendor_get_for_user

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
COMPACT_TEAM = ("tickets_resolved", "sla_compliance_pct", "mttr", "fcr_pct", "csat_pct")
# Figures from records other than tickets (months and quarters only), shown where stored.
BEYOND_TILE_GROUPS = (
    (
        "Security",
        (
            "findings_open_critical",
            "findings_open_high",
            "findings_overdue",
            "remediation_on_time_pct",
            "time_to_remediate_p50",
            "audits_done",
        ),
    ),
    ("Delivery", ("delivery_on_time_pct", "delivery_slip_p50", "deliverables_overdue")),
    ("Review", ("review_rating",)),
)
BEYOND_METRICS = {code for _, codes in BEYOND_TILE_GROUPS for code in codes} | {"audits_due"}
RATING_TREND = ("review_rating", *(f"rating_{q}" for q, _, _ in REVIEW_QUALITIES))
RATING_MONTHS = 12


@page_for(*ALL_ROLES)
def vendor(request: HttpRequest, slug: str) -> HttpResponse:
    the_vendor = vendor_get_for_user(request.user, slug=slug)
    filters = PageFilters.from_request(request)
    period = filters.period
    contracts = contracts_for_vendors(vendors=[the_vendor])
    contract = picked_contract(request, filters, contracts)
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
        metrics=set(VENDOR_TILES) | set(VENDOR_TRENDS) | BEYOND_METRICS | set(RATING_TREND),
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
    bands = bands_by_metric()
    beyond = _beyond_tiles(figures, sid, period, previous, target, bands)
    for tile in tiles:
        tile.band = bands.get(tile.code)
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
                "figure": figure_trend_spec(
                    labels,
                    series,
                    name=METRICS[code].label,
                    unit=METRICS[code].unit if METRICS[code].unit != "currency" else currency,
                    target=target(code),
                ),
            }
        )
    score_chart = charts.score_history_spec(
        labels,
        {(contract.name if contract else the_vendor.name): score_series(cards, sid, trend)},
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
        "beyond_groups": beyond,
        "beyond_applies": period.kind is not PeriodKind.WEEK,
        "ratings_chart": _ratings_chart(
            the_vendor,
            kind,
            sid,
            month,
            target("review_rating"),
            figures if period.kind is PeriodKind.MONTH else None,
        ),
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
    return render_page(request, "scorecards/vendor.html", context)


def _beyond_tiles(figures, sid, period, previous, target, bands) -> list[dict]:
    """The security, delivery and review tiles with a figure stored for the period, by group;
    audits done are judged against the audits the contract's cadence asks for."""
    groups = []
    for name, codes in BEYOND_TILE_GROUPS:
        tiles = []
        for code in codes:
            figure = figures.get((sid, period.start, code))
            if figure is None:
                continue
            due = figures.get((sid, period.start, "audits_due"))
            goal = (
                as_float(due.value) if code == "audits_done" and due is not None else target(code)
            )
            tile = make_tile(
                code, figure, target=goal, previous=figures.get((sid, previous.start, code))
            )
            if code == "audits_done" and due is not None:
                tile.target_display = f"{fmt(goal, 'audits')} due (the contract's cadence)"
            tile.band = bands.get(code)
            tiles.append(tile)
        if tiles:
            groups.append({"name": name, "tiles": tiles})
    return groups


def _ratings_chart(vendor, kind: str, sid: int, month: Period, target, monthly=None):
    """The review's ratings over the 12 months ending with `month` (None when none is stored).
    `monthly`: the page's monthly figures when it shows a month (they cover these 12 months)."""
    months = periods_ending(period=month, count=RATING_MONTHS)
    stored = monthly
    if stored is None:
        stored = figures_for_subjects(
            subject_kind=kind,
            subject_ids=[sid],
            period_kind=PeriodKind.MONTH.value,
            first=months[0].start,
            last=month.start,
            metrics=RATING_TREND,
            vendor=vendor,
        )
    if not any((sid, m.start, "review_rating") in stored for m in months):
        return None
    series = {
        METRICS[code].label: [
            as_float(f.value) if (f := stored.get((sid, m.start, code))) else None for m in months
        ]
        for code in RATING_TREND
    }
    return charts.ratings_trend_spec([m.label for m in months], series, target=target)


def _score_tile(card: Scorecard | None, prev_card: Scorecard | None) -> dict:
    score = as_float(card.score) if card else None
    prev = as_float(prev_card.score) if prev_card else None
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
        out["delta"] = signed(diff, "points", "")
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


urlpatterns = [
    path("vendors/<slug:slug>/", vendor, name="vendor"),
]
