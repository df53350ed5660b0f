"""REST API v1: restatements, the stored figures that changed after their closed period was
reopened and recomputed: which figure, of whom, for which period, its old and new value, when
and why. A finance job pulls them with `updated_since` to correct what it loaded before.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import django_filters as filters
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import (
    FORMAT_PARAMETER,
    VISIBILITY,
    ExportMixin,
    number_cell,
    period_label,
    period_param,
)
from common.filters import IdFilter, UpdatedSinceFilter, VendorIdFilters
from common.viewsets import VisibleReadViewSet
from scorecards import selectors_api
from scorecards.models import PERIOD_CHOICES, Restatement, SubjectKind
from vendors.metrics import METRICS
from vendors.selectors import vendor_scope_q

MONEY_METRICS = frozenset({"cost_per_ticket", "service_credit"})
_UNITS = {code: m.unit for code, m in METRICS.items()}


# What `period` takes, exactly (the schema says so too): a month, an ISO week or a quarter
# of 1900-2199; week 53 only in the years that have one.
_LONG_YEARS = "|".join(
    str(year) for year in range(1900, 2200) if dt.date(year, 12, 28).isocalendar()[1] == 53
)
PERIOD_LABEL = (
    r"^((19|2[01])[0-9]{2}-(0[1-9]|1[0-2]|W(0[1-9]|[1-4][0-9]|5[0-2])|Q[1-4])"
    rf"|({_LONG_YEARS})-W53)$"
)
_PERIOD_LABEL = re.compile(PERIOD_LABEL)


@extend_schema_field({"type": "string", "pattern": PERIOD_LABEL, "example": "2026-10"})
class PeriodLabelFilter(filters.CharFilter):
    """One period by its label; anything else is a 400 naming the parameter."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("strip", False)  # " 2026-10" breaks the pattern: refused, as documented
        super().__init__(*args, **kwargs)

    def filter(self, queryset, value: str):
        if value in ("", None):
            return queryset
        if not _PERIOD_LABEL.fullmatch(value):
            raise ValidationError(
                {self.field_name: ["Give one period: 2026-10, 2026-W43 or 2026-Q3."]}
            )
        period = period_param(value, name=self.field_name)
        return queryset.filter(period_kind=period.kind.value, period_start=period.start)


class RestatementFilter(VendorIdFilters):
    contract = IdFilter(
        method="filter_contract", help_text="Contract id: the restated figures of that contract."
    )
    subject_kind = filters.ChoiceFilter(
        choices=SubjectKind.choices, help_text="vendor, contract or technician."
    )
    subject_id = IdFilter(help_text="The vendor's, contract's or technician's id.")
    metric = filters.ChoiceFilter(
        choices=[(code, code) for code in sorted(METRICS)], help_text="Metric code (METRICS.md)."
    )
    period = PeriodLabelFilter(help_text="One period by label: 2026-10, 2026-W43 or 2026-Q3.")
    period_kind = filters.ChoiceFilter(choices=PERIOD_CHOICES, help_text="week, month or quarter.")
    updated_since = UpdatedSinceFilter(
        help_text="Restated at or after this time (ISO 8601 with its offset, e.g. "
        "2026-11-16T10:00:00+00:00): what changed since the last pull."
    )

    class Meta:
        model = Restatement
        fields = ["vendor", "contract", "subject_kind", "subject_id", "metric", "period_kind"]

    def filter_contract(self, queryset, name: str, value: int):
        return queryset.filter(subject_kind=SubjectKind.CONTRACT, subject_id=value)

    def filter_updated_since(self, queryset, name: str, value):
        return queryset.filter(restated_at__gte=value)


class RestatementOut(serializers.Serializer):
    id = serializers.IntegerField()
    vendor = serializers.IntegerField(help_text="Vendor id.")
    vendor_name = serializers.CharField()
    subject_kind = serializers.CharField(help_text="vendor, contract or technician.")
    subject_id = serializers.IntegerField()
    subject_name = serializers.CharField()
    period_kind = serializers.CharField()
    period_start = serializers.DateField()
    period_label = serializers.CharField(help_text="2026-10, 2026-W43 or 2026-Q3.")
    metric = serializers.CharField(help_text="The figure restated: a metric code (METRICS.md).")
    unit = serializers.CharField(help_text="%, hours, minutes, tickets, currency, ...")
    currency = serializers.CharField(allow_null=True, help_text="For a contract's money figure.")
    old_value = serializers.CharField(
        allow_null=True, help_text="Decimal string as stored before; null = no data then."
    )
    new_value = serializers.CharField(allow_null=True, help_text="Decimal string as restated.")
    restated_at = serializers.DateTimeField()
    reason = serializers.CharField(help_text="Why the figure changed.")


def _text(value) -> str | None:
    return None if value is None else str(value)


def _reason(label: str) -> str:
    return (
        f"{label} was reopened after it was closed and recomputed: tickets imported or "
        "changed since it was closed changed this figure."
    )


@extend_schema_view(
    list=extend_schema(
        summary="List restatements",
        description="Stored figures that changed after their closed period was reopened and "
        "recomputed, newest first: the figure, its subject and period, the old and new value, "
        "when and why. `updated_since` gives those restated since the last pull." + VISIBILITY,
        parameters=[FORMAT_PARAMETER],
    ),
    retrieve=extend_schema(summary="One restatement", description="A restatement." + VISIBILITY),
)
class RestatementViewSet(ExportMixin, VisibleReadViewSet):
    serializer_class = RestatementOut
    filterset_class = RestatementFilter
    lookup_value_regex = "[0-9]+"
    export_name = "restatements"
    last_modified_field = "restated_at"  # never updated: a restatement is a new row

    def get_queryset(self):
        return (
            Restatement.objects.filter(vendor_scope_q(self.request.user))
            .select_related("vendor")
            .order_by("-restated_at", "-id")
        )

    def _rows(self, items: list[Restatement]) -> list[dict[str, Any]]:
        subjects = [(r.subject_kind, r.subject_id) for r in items]
        names = selectors_api.subject_names(subjects=subjects)
        currencies = selectors_api.contract_currencies(
            contract_ids=[i for k, i in subjects if k == SubjectKind.CONTRACT]
        )
        out = []
        for r in items:
            label = period_label(r.period_kind, r.period_start)
            money = r.metric in MONEY_METRICS and r.subject_kind == SubjectKind.CONTRACT
            out.append(
                {
                    "id": r.pk,
                    "vendor": r.vendor_id,
                    "vendor_name": r.vendor.name,
                    "subject_kind": r.subject_kind,
                    "subject_id": r.subject_id,
                    "subject_name": names.get((r.subject_kind, r.subject_id), ""),
                    "period_kind": r.period_kind,
                    "period_start": r.period_start,
                    "period_label": label,
                    "metric": r.metric,
                    "unit": _UNITS.get(r.metric, ""),
                    "currency": currencies.get(r.subject_id) if money else None,
                    "old_value": _text(r.old_value),
                    "new_value": _text(r.new_value),
                    "restated_at": r.restated_at,
                    "reason": _reason(label),
                }
            )
        return out

    def page_data(self, page: list[Restatement]) -> Any:
        return RestatementOut(self._rows(page), many=True).data

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(RestatementOut(self._rows([self.get_object()])[0]).data)

    def export_table(self, items: list[Restatement]):
        columns = list(RestatementOut().fields)
        rows = []
        for at in range(0, len(items), 500):  # bounded IN lists, whatever the export's size
            for r in self._rows(items[at : at + 500]):
                r["old_value"], r["new_value"] = (
                    number_cell(r["old_value"]),
                    number_cell(r["new_value"]),
                )
                rows.append([r[c] for c in columns])
        return columns, rows
