"""Plotly figures for the pages, built from plain data by small pure functions.

Every figure shares one look (`_layout`): the page's font, tight margins, the Okabe-Ito palette
(colour-blind safe), hover text that names the unit, and no title (the page heading and the
card's own heading say what a chart is). Lines differ by dash and marker as well as colour, so
they survive a grey-scale printer and a projector.

Each builder comes twice: `<name>_spec(...)` returns the figure as a plain dict (what pages
embed), `<name>(...)` the same as a go.Figure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import plotly.graph_objects as go
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

# Okabe-Ito, in the order lines take them (black last: it is the target's colour).
PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442"]
INK, MUTED, GRID, TARGET = "#1b2430", "#5a6878", "#e3e7ec", "#000000"
GOOD, BAD = "#0072b2", "#d55e00"
DASHES = ["solid", "dash", "dot", "dashdot", "longdash", "longdashdot"]
SYMBOLS = ["circle", "square", "diamond", "triangle-up", "x", "star", "hexagon"]
# Sequential and colour-blind safe (light = few, dark = many).
HEAT_SCALE = [[0.0, "#fde9c8"], [0.35, "#e69f00"], [0.7, "#d55e00"], [1.0, "#5c1a00"]]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
# The balanced score's grade bands: A >= 90, B >= 80, C >= 70, D >= 60, else F.
GRADE_BANDS = [("A", 90, 100), ("B", 80, 90), ("C", 70, 80), ("D", 60, 70), ("F", 0, 60)]
_BAND_FILL = {"A": "#0072b2", "B": "#009e73", "C": "#e69f00", "D": "#d55e00", "F": "#7a1f00"}


def unit_suffix(unit: str) -> str:
    """How a unit follows a number in hover text: 93.1 %, 4.2 hours, 12.50 EUR."""
    if unit in ("", "points", "score"):
        return "" if unit == "" else f" {unit}"
    return f" {unit}"


def _fmt(value: float | None, unit: str = "") -> str:
    if value is None:
        return "no data"
    places = 2 if unit not in ("%", "hours", "minutes", "tickets") else 1
    return f"{value:,.{places}f}{unit_suffix(unit)}"


def _layout(**overrides) -> dict:
    layout = {
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
        "colorway": PALETTE,
        "margin": {"l": 52, "r": 16, "t": 12, "b": 40},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "hovermode": "closest",
        "hoverlabel": {"font": {"size": 12}},
        "showlegend": False,
        "xaxis": {"gridcolor": GRID, "linecolor": GRID, "tickfont": {"color": MUTED}},
        "yaxis": {"gridcolor": GRID, "zeroline": False, "tickfont": {"color": MUTED}},
        "legend": {"orientation": "h", "y": -0.18, "x": 0},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(layout.get(key), dict):
            layout[key] = {**layout[key], **value}
        else:
            layout[key] = value
    return layout


class Figure(go.Figure):
    """A go.Figure whose JSON export skips Plotly's defensive deep copy of every property.

    `to_plotly_json` is only read to embed the figure in a page (json_script serialises it at
    once), and the copy costs more than building the figure: over ten milliseconds a chart.
    """

    def to_plotly_json(self) -> dict:
        return {"data": self._data, "layout": self._layout}


def _spec(data: list[dict], layout: dict) -> dict:
    return {"data": data, "layout": layout}


def _figure(spec: dict) -> go.Figure:
    return Figure(spec, _validate=False)


def _axis_unit(unit: str) -> dict:
    return {
        "ticksuffix": " %" if unit == "%" else "",
        "title": {"text": "" if unit == "%" else unit},
    }


def target_line(value: float, *, label: str = "Target") -> dict:
    """A dashed horizontal line across the plot at `value` (a layout shape)."""
    return {
        "type": "line",
        "xref": "paper",
        "x0": 0,
        "x1": 1,
        "yref": "y",
        "y0": value,
        "y1": value,
        "line": {"color": TARGET, "width": 1.5, "dash": "dash"},
        "name": label,
    }


def trend_spec(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    name: str,
    unit: str,
    target: float | None = None,
    low_sample: Sequence[bool] | None = None,
    samples: Sequence[int] | None = None,
) -> dict:
    """One metric over periods, its target as a dashed line; low-sample points drawn hollow."""
    low_sample = list(low_sample or [False] * len(values))
    samples = list(samples or [None] * len(values))
    hover = [
        f"{label}: {_fmt(v, unit)}"
        + (f"<br>n = {n:,}" if n is not None else "")
        + ("<br>low sample" if low else "")
        for label, v, n, low in zip(labels, values, samples, low_sample, strict=True)
    ]
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": name,
            "x": list(labels),
            "y": list(values),
            "connectgaps": False,
            "line": {"color": PALETTE[0], "width": 2},
            "marker": {
                "size": 7,
                "color": PALETTE[0],
                "symbol": ["circle-open" if low else "circle" for low in low_sample],
            },
            "text": hover,
            "hovertemplate": "%{text}<extra></extra>",
        }
    ]
    shapes = []
    if target is not None:
        shapes.append(target_line(target))
        # Also a trace, so the target shows in the hover and the legend of a print.
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "Target",
                "x": [labels[0], labels[-1]] if labels else [],
                "y": [target, target],
                "line": {"color": TARGET, "width": 0.01},
                "hovertemplate": f"Target: {_fmt(target, unit)}<extra></extra>",
                "showlegend": False,
            }
        )
    return _spec(
        data,
        _layout(
            height=220,
            shapes=shapes,
            xaxis={"type": "category", "tickangle": -45, "nticks": 12},
            yaxis=_axis_unit(unit),
        ),
    )


def score_history_spec(
    labels: Sequence[str],
    scores_by_name: Mapping[str, Sequence[float | None]],
) -> dict:
    """Balanced score per vendor over periods, on the grade bands (the score's target band)."""
    data = []
    for i, (name, scores) in enumerate(scores_by_name.items()):
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": list(labels),
                "y": list(scores),
                "line": {"color": PALETTE[i % len(PALETTE)], "dash": DASHES[i % len(DASHES)]},
                "marker": {"symbol": SYMBOLS[i % len(SYMBOLS)], "size": 6},
                "hovertemplate": f"{name}<br>%{{x}}: %{{y:.1f}} points<extra></extra>",
            }
        )
    shapes, annotations = [], []
    for grade, low, high in GRADE_BANDS:
        shapes.append(
            {
                "type": "rect",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "yref": "y",
                "y0": low,
                "y1": high,
                "fillcolor": _BAND_FILL[grade],
                "opacity": 0.07,
                "line": {"width": 0},
                "layer": "below",
            }
        )
        annotations.append(
            {
                "xref": "paper",
                "x": 1,
                "xanchor": "left",
                "yref": "y",
                "y": (low + high) / 2 if grade != "F" else 55,
                "text": grade,
                "showarrow": False,
                "font": {"color": MUTED, "size": 11},
            }
        )
    shapes.append(target_line(90, label="Grade A"))
    known = [v for scores in scores_by_name.values() for v in scores if v is not None]
    bottom = min([40.0] + [10 * math.floor(v / 10) for v in known])
    return _spec(
        data,
        _layout(
            height=340,
            showlegend=True,
            shapes=shapes,
            annotations=annotations,
            margin={"r": 28, "b": 70},
            hovermode="x unified",
            xaxis={"type": "category", "tickangle": -45},
            yaxis={"range": [max(bottom, 0), 101], "title": {"text": "score (points)"}},
        ),
    )


def ratings_trend_spec(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float | None]],
    *,
    target: float | None = None,
) -> dict:
    """The review's ratings over months on their 1..5 scale: the first series (the mean,
    `review_rating`) thick, the four qualities thin and told apart by dash and marker."""
    data = []
    for i, (name, values) in enumerate(series.items()):
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": name,
                "x": list(labels),
                "y": list(values),
                "connectgaps": False,
                "line": {
                    "color": PALETTE[i % len(PALETTE)],
                    "width": 3 if i == 0 else 1.5,
                    "dash": DASHES[i % len(DASHES)],
                },
                "marker": {"symbol": SYMBOLS[i % len(SYMBOLS)], "size": 7 if i == 0 else 5},
                "hovertemplate": f"{name}<br>%{{x}}: %{{y:.2f}} of 5<extra></extra>",
            }
        )
    return _spec(
        data,
        _layout(
            height=300,
            showlegend=True,
            shapes=[target_line(target)] if target is not None else [],
            margin={"b": 90},
            legend={"orientation": "h", "y": -0.35, "x": 0},
            hovermode="x unified",
            xaxis={"type": "category", "tickangle": -45},
            yaxis={"range": [0.8, 5.2], "dtick": 1, "title": {"text": "rating (1..5)"}},
        ),
    )


def box_or_strip_spec(
    values_by_name: Mapping[str, Sequence[float]],
    *,
    unit: str,
    median: float | None,
    hover_names: Mapping[str, Sequence[str]] | None = None,
    highlight: float | None = None,
    highlight_name: str = "",
) -> dict:
    """The spread of a team's figures: a box with every point beside it (a strip plot alone
    below five points, where a box would suggest more than there is).

    `median` draws the team median as a dashed line; `highlight` marks one person's figure.
    """
    data = []
    for i, (name, values) in enumerate(values_by_name.items()):
        values = [v for v in values if v is not None]
        names = list((hover_names or {}).get(name, [""] * len(values)))
        text = [
            f"{who}: {_fmt(v, unit)}" if who else _fmt(v, unit)
            for who, v in zip(names, values, strict=False)
        ]
        colour = PALETTE[i % len(PALETTE)]
        if len(values) >= 5:
            data.append(
                {
                    "type": "box",
                    "name": name,
                    "y": values,
                    "boxpoints": "all",
                    "jitter": 0.4,
                    "pointpos": -1.6,
                    "marker": {"color": colour, "size": 6, "opacity": 0.8},
                    "line": {"color": colour},
                    "text": text,
                    "hovertemplate": "%{text}<extra></extra>",
                }
            )
        else:
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "name": name,
                    "x": [name] * len(values),
                    "y": values,
                    "marker": {"color": colour, "size": 9, "opacity": 0.85},
                    "text": text,
                    "hovertemplate": "%{text}<extra></extra>",
                }
            )
    shapes = []
    names_in_order = list(values_by_name)
    if median is not None:
        shapes.append(target_line(median, label="Team median"))
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": "Team median",
                "x": [names_in_order[0], names_in_order[-1]] if names_in_order else [],
                "y": [median, median],
                "line": {"color": TARGET, "width": 0.01},
                "hovertemplate": f"Team median: {_fmt(median, unit)}<extra></extra>",
            }
        )
    if highlight is not None:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": highlight_name or "Selected",
                "x": list(values_by_name)[:1],
                "y": [highlight],
                "marker": {
                    "symbol": "diamond",
                    "size": 15,
                    "color": "#ffffff",
                    "line": {"color": INK, "width": 2.5},
                },
                "hovertemplate": f"{highlight_name or 'Selected'}: {_fmt(highlight, unit)}"
                "<extra></extra>",
            }
        )
    return _spec(
        data,
        _layout(
            height=240,
            shapes=shapes,
            margin={"b": 30},
            xaxis={"type": "category"},
            yaxis=_axis_unit(unit),
        ),
    )


def breach_heatmap_spec(counts: Mapping[tuple[int, int], int]) -> dict:
    """Breaches by weekday (0 = Monday) and hour of day (0..23); an hour without any is empty."""
    z: list[list[int | None]] = [[None] * 24 for _ in range(7)]
    for (weekday, hour), count in counts.items():
        if 0 <= weekday < 7 and 0 <= hour < 24 and count:
            z[weekday][hour] = count
    hours = [f"{h:02d}" for h in range(24)]
    text = [
        [
            f"{WEEKDAYS[d]} {h:02d}:00-{h:02d}:59: "
            + (f"{z[d][h]:,} breach{'es' if z[d][h] != 1 else ''}" if z[d][h] else "no breaches")
            for h in range(24)
        ]
        for d in range(7)
    ]
    return _spec(
        [
            {
                "type": "heatmap",
                "x": hours,
                "y": WEEKDAYS,
                "z": z,
                "text": text,
                "hovertemplate": "%{text}<extra></extra>",
                "hoverongaps": False,
                "colorscale": HEAT_SCALE,
                "zmin": 0,
                "xgap": 2,
                "ygap": 2,
                "colorbar": {"title": {"text": "breaches"}, "thickness": 12},
            }
        ],
        _layout(
            height=260,
            hovermode="closest",
            xaxis={"type": "category", "title": {"text": "hour of day"}, "gridcolor": "#ffffff"},
            yaxis={"type": "category", "autorange": "reversed", "gridcolor": "#ffffff"},
        ),
    )


def priority_bars_spec(counts: Mapping[str, Mapping[str, int]]) -> dict:
    """Breaches per priority, response and resolution side by side: {priority: {kind: n}}."""
    priorities = sorted(counts)
    data = []
    for i, (kind, colour) in enumerate((("response", PALETTE[1]), ("resolution", PALETTE[5]))):
        data.append(
            {
                "type": "bar",
                "name": kind.title(),
                "x": priorities,
                "y": [counts[p].get(kind, 0) for p in priorities],
                "marker": {"color": colour, "pattern": {"shape": ["", "/"][i]}},
                "hovertemplate": f"%{{x}} {kind}: %{{y:,}} breaches<extra></extra>",
            }
        )
    return _spec(
        data,
        _layout(
            height=220,
            showlegend=True,
            barmode="group",
            legend={"orientation": "h", "y": 1.12, "x": 0},
            xaxis={"type": "category"},
            yaxis={"title": {"text": "breaches"}, "rangemode": "tozero"},
        ),
    )


def sparkline_svg(
    values: Sequence[float | None],
    *,
    labels: Sequence[str] | None = None,
    target: float | None = None,
    width: int = 120,
    height: int = 30,
    unit: str = "",
) -> SafeString:
    """A tiny inline SVG line for a table cell: no script, prints as drawn, costs nothing.

    The last point is marked; the target (if any) is a dashed line; gaps stay gaps.
    """
    known = [v for v in values if v is not None]
    if not known:
        return mark_safe('<span class="muted">no trend</span>')  # noqa: S308 - a constant
    lo, hi = min(known), max(known)
    if target is not None:
        lo, hi = min(lo, target), max(hi, target)
    if math.isclose(lo, hi):
        lo, hi = lo - 1, hi + 1
    pad = 3
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def y(v: float) -> float:
        return round(height - pad - (v - lo) / (hi - lo) * (height - 2 * pad), 1)

    runs, run = [], []
    for i, v in enumerate(values):
        if v is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(f"{round(pad + i * step, 1)},{y(v)}")
    if run:
        runs.append(run)
    last_i = max(i for i, v in enumerate(values) if v is not None)
    labels = list(labels or [""] * len(values))
    summary = ", ".join(
        f"{label} {_fmt(v, unit)}" for label, v in zip(labels, values, strict=True) if v is not None
    )
    target_svg = (
        format_html(
            '<line x1="0" x2="{}" y1="{}" y2="{}" class="spark-target"/>',
            width,
            y(target),
            y(target),
        )
        if target is not None
        else ""
    )
    return format_html(
        '<svg class="spark" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img"'
        ' aria-label="{s}"><title>{s}</title>{t}{lines}<circle cx="{cx}" cy="{cy}" r="2.5"/></svg>',
        w=width,
        h=height,
        s=summary,
        t=target_svg,
        lines=format_html_join("", '<polyline points="{}"/>', ((" ".join(r),) for r in runs)),
        cx=round(pad + last_i * step, 1),
        cy=y(values[last_i]),
    )


# go.Figure versions of the builders, for callers that want Plotly's object model. Pages embed
# the `*_spec` dicts directly: building a go.Figure deep-copies every property, which a page
# with a dozen charts would feel (the `plotly_chart` tag takes either).


def trend_chart(*args, **kwargs) -> go.Figure:
    return _figure(trend_spec(*args, **kwargs))


def score_history(*args, **kwargs) -> go.Figure:
    return _figure(score_history_spec(*args, **kwargs))


def ratings_trend(*args, **kwargs) -> go.Figure:
    return _figure(ratings_trend_spec(*args, **kwargs))


def box_or_strip(
    values_by_name: Mapping[str, Sequence[float]], *, unit: str, median: float | None, **kwargs
) -> go.Figure:
    return _figure(box_or_strip_spec(values_by_name, unit=unit, median=median, **kwargs))


def breach_heatmap(counts: Mapping[tuple[int, int], int]) -> go.Figure:
    return _figure(breach_heatmap_spec(counts))


def priority_bars(counts: Mapping[str, Mapping[str, int]]) -> go.Figure:
    return _figure(priority_bars_spec(counts))
