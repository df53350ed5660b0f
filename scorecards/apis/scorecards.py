"""REST API v1: stored scorecards, each with its score, grade, weights, targets and the chosen
metrics' figures, as JSON pages or one CSV/XLSX table.

Figures are decimal strings (exact, as stored): money with two places and its `currency`,
other figures with four.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import (
    FORMAT_PARAMETER,
    VISIBILITY_BRIEF,
    ExportMixin,
    PagePagination,
    comma_list,
    decimal_text,
    list_schema,
    money_value,
    number_cell,
    period_label,
)
from common.viewsets import VisibleListViewSet
from scorecards import selectors_api
from scorecards.filters import ScorecardFilter
from scorecards.models import Scorecard
from vendors.metrics import METRICS

MONEY_METRICS = frozenset({"cost_per_ticket", "service_credit"})


def _money(value: Any) -> str | None:
    return decimal_text(money_value(value), 2)


class MetricFigureOut(serializers.Serializer):
    value = serializers.CharField(allow_null=True, help_text="Decimal string; null = no data.")
    numerator = serializers.CharField(allow_null=True)
    denominator = serializers.CharField(allow_null=True)
    ci_low = serializers.CharField(allow_null=True, help_text="95% Wilson interval, rates only.")
    ci_high = serializers.CharField(allow_null=True)
    sample_size = serializers.IntegerField()
    low_sample = serializers.BooleanField(help_text="Below the minimum sample: kept out of ranks.")
    excluded = serializers.IntegerField(help_text="Outcomes excluded by accepted disputes.")
    unit = serializers.CharField(help_text="%, hours, minutes, tickets, currency, ...")
    currency = serializers.CharField(allow_null=True, help_text="For money figures.")


class ScorecardOut(serializers.Serializer):
    subject_kind = serializers.CharField(help_text="vendor, contract or technician.")
    subject_id = serializers.IntegerField()
    subject_name = serializers.CharField()
    vendor = serializers.IntegerField(help_text="Vendor id.")
    period_kind = serializers.CharField()
    period_start = serializers.DateField()
    period_label = serializers.CharField(help_text="2026-10, 2026-W43 or 2026-Q3.")
    score = serializers.CharField(allow_null=True, help_text="Balanced score 0..100.")
    grade = serializers.CharField(help_text="A..F; empty without a score.")
    weights = serializers.DictField(child=serializers.FloatField(), help_text="Weights used.")
    targets = serializers.DictField(
        child=serializers.DictField(child=serializers.FloatField(allow_null=True)),
        help_text="Targets (full marks) and floors (zero marks) used, per metric.",
    )
    metrics = serializers.DictField(
        child=MetricFigureOut(), help_text="The chosen metrics by code (all by default)."
    )


def _stored(value: Decimal | None) -> str | None:
    """A stored figure's text: the columns hold 4 places, so str() is exact, and a page of
    thousands of figures does not pay for formatting."""
    return None if value is None else str(value)


def _figure(row: dict, currency: str | None) -> dict:
    """One stored figure for the JSON answer; `row` is a dict of METRIC_COLUMNS."""
    code = row["metric"]
    if code in MONEY_METRICS:
        value, numerator = _money(row["value"]), _money(row["numerator"])
        currency = row["currency"] or currency
    else:
        value, numerator, currency = _stored(row["value"]), _stored(row["numerator"]), None
    return {
        "value": value,
        "numerator": numerator,
        "denominator": _stored(row["denominator"]),
        "ci_low": _stored(row["ci_low"]),
        "ci_high": _stored(row["ci_high"]),
        "sample_size": row["sample_size"],
        "low_sample": row["low_sample"],
        "excluded": row["excluded"],
        "unit": _UNITS.get(code, ""),
        "currency": currency,
    }


_UNITS = {code: m.unit for code, m in METRICS.items()}


class ScorecardPagination(PagePagination):
    # A card holds ~30 figures: 20 cards are ~600 figures a page, and at most 50 (~1,500)
    # keep a page answering fast; `?format=csv|xlsx` gives the whole list in one file.
    page_size = 20
    max_page_size = 50


_METRIC_CODES = "|".join(sorted(METRICS))
METRICS_PARAMETER = OpenApiParameter(
    "metrics",
    {"type": "string", "pattern": f"^({_METRIC_CODES})(,({_METRIC_CODES}))*$"},
    description="Metric codes separated by commas (METRICS.md), e.g. "
    "`sla_compliance_pct,mttr,cost_per_ticket`; default all.",
)


@list_schema(
    "List scorecards",
    "Stored scorecards, newest period first: one subject kind (default vendor) "
    "and period kind (default month) at a time; each with its score, grade, the weights "
    "and targets used, and the chosen metrics, each with value, numerator, denominator, "
    "95% interval, sample size, low-sample flag and excluded outcomes." + VISIBILITY_BRIEF,
    METRICS_PARAMETER,
    FORMAT_PARAMETER,
)
class ScorecardViewSet(ExportMixin, VisibleListViewSet):
    last_modified_field = "computed_at"
    serializer_class = ScorecardOut
    pagination_class = ScorecardPagination
    filterset_class = ScorecardFilter
    visible_to = staticmethod(selectors_api.scorecards_for_api)
    export_name = "scorecards"

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        # Checked before the filters, so a bad `metrics` is the 400 whatever else is wrong.
        self.metrics = comma_list(
            self.request.query_params.get("metrics"), allowed=set(METRICS), name="metrics"
        )
        return super().list(request, *args, **kwargs)

    def page_data(self, page: list[Scorecard]) -> list[dict]:
        return self._cards(page, self.metrics)

    def _cards(self, cards: list[Scorecard], metrics: list[str]) -> list[dict]:
        values = selectors_api.metric_values_for_scorecards(scorecards=cards, metrics=metrics)
        names = selectors_api.subject_names(
            subjects=[(c.subject_kind, c.subject_id) for c in cards]
        )
        currencies = selectors_api.contract_currencies(
            contract_ids=[c.subject_id for c in cards if c.subject_kind == "contract"]
        )
        out = []
        for c in cards:
            key = (c.subject_kind, c.subject_id, c.period_kind, c.period_start)
            currency = currencies.get(c.subject_id) if c.subject_kind == "contract" else None
            out.append(
                {
                    "subject_kind": c.subject_kind,
                    "subject_id": c.subject_id,
                    "subject_name": names.get((c.subject_kind, c.subject_id), ""),
                    "vendor": c.vendor_id,
                    "period_kind": c.period_kind,
                    "period_start": c.period_start,
                    "period_label": period_label(c.period_kind, c.period_start),
                    "score": decimal_text(c.score, 2),
                    "grade": c.grade,
                    "weights": c.weights,
                    "targets": c.targets,
                    "metrics": {
                        row["metric"]: _figure(row, currency)
                        for row in values.get(key, [])
                        if row["metric"] != "score"
                    },
                }
            )
        # Already in ScorecardOut's shape and types: running ~30 nested figures per card
        # through the serializer again would cost more than the queries.
        return out

    def export_table(self, items: list[Scorecard]):
        cards = []
        for at in range(0, len(items), 500):  # bounded IN lists, whatever the export's size
            cards += self._cards(items[at : at + 500], self.metrics)
        figure_columns = list(MetricFigureOut().fields)
        columns = [
            "subject_kind",
            "subject_id",
            "subject_name",
            "vendor",
            "period_kind",
            "period_start",
            "period_label",
            "score",
            "grade",
            "metric",
            *figure_columns,
        ]
        rows = []
        for card in cards:
            head = [card[c] for c in columns[:9]]
            head[7] = number_cell(head[7])
            for code, figure in card["metrics"].items():
                rows.append(
                    [
                        *head,
                        code,
                        *[
                            number_cell(figure[c]) if c in _NUMERIC else figure[c]
                            for c in figure_columns
                        ],
                    ]
                )
        return columns, rows


_NUMERIC = {"value", "numerator", "denominator", "ci_low", "ci_high"}
