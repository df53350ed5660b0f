"""The team and technician pages, and `team_rows`, the team table the vendor page shows too.

Every technician of a vendor with the period's stored figures (three queries), ranked when
their sample is large enough, beside the team's medians and distributions.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path

from common.pages import ALL_ROLES, page_for
from common.periods import Period
from scorecards import charts
from scorecards.selectors import (
    figures_for_subjects,
    periods_ending,
    scorecards_for_subjects,
    technician_figures_for_vendor,
    technicians_for_vendor,
)
from scorecards.views.page_filters import PageFilters
from scorecards.views.tiles import (
    TREND_PERIODS,
    Tile,
    as_float,
    figure_trend_spec,
    fmt,
    make_tile,
    render_page,
    score_series,
    signed,
)
from vendors.metrics import METRICS, Better
from vendors.models import Vendor
from vendors.selectors import vendor_get_for_user

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
        score = as_float(card.score) if card else None
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
    return render_page(
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
            vs = signed(diff, meta.unit, "")
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
        labels, {name: score_series(cards, technician_id, trend)}
    )
    sla_series = [history.get((technician_id, p.start, "sla_compliance_pct")) for p in trend]
    sla_chart = figure_trend_spec(
        labels,
        sla_series,
        name=METRICS["sla_compliance_pct"].label,
        unit="%",
        target=as_float(METRICS["sla_compliance_pct"].target),
    )
    return render_page(
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
    path("vendors/<slug:slug>/technicians/", team, name="team"),
    path(
        "vendors/<slug:slug>/technicians/<int:technician_id>/",
        technician,
        name="technician",
    ),
]
