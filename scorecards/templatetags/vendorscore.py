"""Template helpers shared by every page: charts, metric definitions, figure formatting."""

from __future__ import annotations

import uuid

from django import template
from django.utils.html import format_html, json_script
from plotly.utils import PlotlyJSONEncoder

from vendors.metrics import METRICS

register = template.Library()


@register.simple_tag
def plotly_chart(figure, label: str = "", css_class: str = "chart") -> str:
    """A Plotly figure as a placeholder plus its JSON; static/js/charts.js draws it.

    No inline script runs, so the content security policy needs no 'unsafe-inline' scripts.
    """
    spec = figure.to_plotly_json() if hasattr(figure, "to_plotly_json") else figure
    element_id = f"fig-{uuid.uuid4().hex[:12]}"
    return format_html(
        '<figure class="{}"><div class="chart-plot" data-figure="{}" role="img"'
        ' aria-label="{}"></div>{}</figure>',
        css_class,
        element_id,
        label,
        json_script(spec, element_id, encoder=PlotlyJSONEncoder),
    )


@register.filter
def metric_label(code: str) -> str:
    return METRICS[code].label if code in METRICS else code


@register.filter
def metric_formula(code: str) -> str:
    return METRICS[code].formula if code in METRICS else ""


@register.filter
def metric_unit(code: str) -> str:
    return METRICS[code].unit if code in METRICS else ""
