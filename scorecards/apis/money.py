"""REST API v1 on the stored money figures: service credits and cost per ticket per contract
and period, and savings against each contract's in-house baseline; each as JSON pages or one
CSV/XLSX table. Money is a decimal string with two places and its `currency`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.utils import OpenApiParameter
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import (
    FORMAT_PARAMETER,
    VISIBILITY_BRIEF,
    ExportMixin,
    MoneyField,
    PagePagination,
    list_schema,
    money_value,
    number_cell,
    period_label,
    period_param,
    roles_allowed,
)
from common.conditional import ConditionalMixin
from common.pages import reporting_today
from common.periods import Period, PeriodKind
from common.roles import STAFF_ROLES
from common.viewsets import VisibleListViewSet
from scorecards import selectors_api
from scorecards.filters import CostPerTicketFilter, SavingsFilter, ServiceCreditFilter
from scorecards.models import MetricValue

# --- service credits ----------------------------------------------------------------------------


class ServiceCreditOut(serializers.Serializer):
    contract = serializers.IntegerField(help_text="Contract id.")
    contract_name = serializers.CharField()
    vendor = serializers.IntegerField(help_text="Vendor id.")
    vendor_name = serializers.CharField()
    month = serializers.DateField(help_text="First day of the month.")
    period_label = serializers.CharField(help_text="e.g. 2026-10")
    amount = MoneyField(allow_null=True, help_text="Credit owed for the month, capped.")
    currency = serializers.CharField(allow_null=True)
    credit_pct = serializers.CharField(allow_null=True, help_text="Share of the month's fee.")
    per_metric = serializers.DictField(
        child=serializers.CharField(), help_text="Credit % per metric whose tier applied."
    )


def _credit_row(row: MetricValue, names: dict) -> dict:
    detail = row.detail or {}
    return {
        "contract": row.subject_id,
        "contract_name": names.get(("contract", row.subject_id), ""),
        "vendor": row.vendor_id,
        "vendor_name": row.vendor.name,
        "month": row.period_start,
        "period_label": period_label(row.period_kind, row.period_start),
        "amount": money_value(row.value),
        "currency": detail.get("currency"),
        "credit_pct": detail.get("pct"),
        "per_metric": detail.get("per_metric", {}),
    }


@list_schema(
    "List service credits",
    "Service credits per contract and month as stored by the nightly run: "
    "what the contract's credit tiers owe, capped; money as decimal strings in `currency`."
    + VISIBILITY_BRIEF,
    FORMAT_PARAMETER,
)
class ServiceCreditViewSet(ExportMixin, VisibleListViewSet):
    last_modified_field = "computed_at"
    serializer_class = ServiceCreditOut
    filterset_class = ServiceCreditFilter
    export_name = "service-credits"

    def get_queryset(self):
        return selectors_api.metric_rows_for_api(
            user=self.request.user, metric="service_credit"
        ).filter(subject_kind="contract", period_kind="month")

    def _rows(self, items: list[MetricValue]) -> list[dict]:
        names = selectors_api.subject_names(subjects=[("contract", r.subject_id) for r in items])
        return [_credit_row(r, names) for r in items]

    def page_data(self, page: list[MetricValue]) -> Any:
        return ServiceCreditOut(self._rows(page), many=True).data

    def export_table(self, items: list[MetricValue]):
        columns = list(ServiceCreditOut().fields)
        rows = []
        for r in self._rows(items):
            r["credit_pct"] = number_cell(r["credit_pct"])
            r["per_metric"] = ", ".join(f"{k} {v}%" for k, v in sorted(r["per_metric"].items()))
            rows.append([r[c] for c in columns])
        return columns, rows


# --- cost per ticket ----------------------------------------------------------------------------


class CostPerTicketOut(serializers.Serializer):
    subject_kind = serializers.CharField(help_text="vendor or contract.")
    subject_id = serializers.IntegerField()
    subject_name = serializers.CharField()
    vendor = serializers.IntegerField(help_text="Vendor id.")
    vendor_name = serializers.CharField()
    period_kind = serializers.CharField()
    period_start = serializers.DateField()
    period_label = serializers.CharField()
    cost_per_ticket = MoneyField(
        allow_null=True, help_text="Invoiced amount / tickets resolved; null without either."
    )
    invoiced_amount = MoneyField(allow_null=True)
    tickets_resolved = serializers.IntegerField(allow_null=True)
    currency = serializers.CharField(allow_null=True)
    low_sample = serializers.BooleanField()


@list_schema(
    "List cost per ticket",
    "Cost per ticket as stored: invoiced amount for the period / tickets "
    "resolved in it, per contract (default) or vendor, per month (default) or quarter; "
    "money as decimal strings in `currency`." + VISIBILITY_BRIEF,
    FORMAT_PARAMETER,
)
class CostPerTicketViewSet(ExportMixin, VisibleListViewSet):
    last_modified_field = "computed_at"
    serializer_class = CostPerTicketOut
    filterset_class = CostPerTicketFilter
    export_name = "cost-per-ticket"

    def get_queryset(self):
        return selectors_api.metric_rows_for_api(user=self.request.user, metric="cost_per_ticket")

    def _rows(self, items: list[MetricValue]) -> list[dict]:
        subjects = [(r.subject_kind, r.subject_id) for r in items]
        names = selectors_api.subject_names(subjects=subjects)
        currencies = selectors_api.contract_currencies(
            contract_ids=[i for k, i in subjects if k == "contract"]
        )
        out = []
        for r in items:
            currency = (r.detail or {}).get("currency")
            if currency is None and r.subject_kind == "contract":
                currency = currencies.get(r.subject_id)
            out.append(
                {
                    "subject_kind": r.subject_kind,
                    "subject_id": r.subject_id,
                    "subject_name": names.get((r.subject_kind, r.subject_id), ""),
                    "vendor": r.vendor_id,
                    "vendor_name": r.vendor.name,
                    "period_kind": r.period_kind,
                    "period_start": r.period_start,
                    "period_label": period_label(r.period_kind, r.period_start),
                    "cost_per_ticket": money_value(r.value),
                    "invoiced_amount": money_value(r.numerator),
                    "tickets_resolved": None if r.denominator is None else int(r.denominator),
                    "currency": currency,
                    "low_sample": r.low_sample,
                }
            )
        return out

    def page_data(self, page: list[MetricValue]) -> Any:
        return CostPerTicketOut(self._rows(page), many=True).data

    def export_table(self, items: list[MetricValue]):
        columns = list(CostPerTicketOut().fields)
        return columns, [[r[c] for c in columns] for r in self._rows(items)]


# --- savings ------------------------------------------------------------------------------------


class SavingsWindowOut(serializers.Serializer):
    months = serializers.IntegerField(help_text="6, 12 or 24.")
    first_month = serializers.DateField()
    last_month = serializers.DateField()
    months_invoiced = serializers.IntegerField(help_text="Months with an invoice: those count.")
    baseline = MoneyField(allow_null=True, help_text="In-house monthly cost x months invoiced.")
    invoiced = MoneyField()
    credits = MoneyField(help_text="Stored service credits of those months.")
    net_cost = MoneyField(help_text="Invoiced - credits.")
    savings = MoneyField(allow_null=True, help_text="Baseline - net cost; null without baseline.")


class SavingsOut(serializers.Serializer):
    contract = serializers.IntegerField(source="contract.pk", help_text="Contract id.")
    contract_name = serializers.CharField(source="contract.name")
    vendor = serializers.IntegerField(source="contract.vendor_id", help_text="Vendor id.")
    vendor_name = serializers.CharField(source="contract.vendor.name")
    currency = serializers.CharField(source="contract.currency")
    inhouse_monthly_cost = MoneyField(source="contract.inhouse_monthly_cost", allow_null=True)
    as_of = serializers.DateField(help_text="The last month of every window.")
    windows = SavingsWindowOut(many=True)


AS_OF_PARAMETER = OpenApiParameter(
    "as_of",
    {"type": "string", "pattern": r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])$"},
    description="The last month of the windows, e.g. 2026-10 (default: the last complete month).",
)


@list_schema(
    "List savings",
    "Savings against each contract's in-house baseline over 6, 12 and 24 "
    "months, from stored invoices and service credits. Only months with an invoice count: "
    "baseline = in-house monthly cost x invoiced months, net cost = invoiced - credits, "
    "savings = baseline - net cost. Managers and finance only: the in-house baseline is "
    "the customer's own figure, never shown to a vendor.",
    AS_OF_PARAMETER,
    FORMAT_PARAMETER,
)
class SavingsViewSet(ConditionalMixin, ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = SavingsOut
    permission_classes = [roles_allowed(*STAFF_ROLES)]
    pagination_class = PagePagination
    filterset_class = SavingsFilter  # vendor, contract, updated_since
    export_name = "savings"
    # One row per contract and savings window; named here so the schema can list them.
    export_columns = (
        "contract",
        "contract_name",
        "vendor",
        "vendor_name",
        "currency",
        "inhouse_monthly_cost",
        "as_of",
        "months",
        "first_month",
        "last_month",
        "months_invoiced",
        "baseline",
        "invoiced",
        "credits",
        "net_cost",
        "savings",
    )

    def get_queryset(self):
        return selectors_api.contracts_for_savings(user=self.request.user)

    def _as_of(self) -> dt.date:
        raw = self.request.query_params.get("as_of")
        if not raw:
            return Period.containing(PeriodKind.MONTH, reporting_today()).previous().start
        period = period_param(raw, name="as_of")
        if period.kind is not PeriodKind.MONTH:
            raise ValidationError({"as_of": ["Give a month, e.g. 2026-10."]})
        return period.start

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        self.as_of = self._as_of()
        return super().list(request, *args, **kwargs)

    def page_data(self, page: list) -> Any:
        found = selectors_api.savings_for_contracts(contracts=page, as_of=self.as_of)
        return SavingsOut(found, many=True).data

    def export_table(self, items):
        found = selectors_api.savings_for_contracts(contracts=items, as_of=self.as_of)
        columns = list(self.export_columns)
        rows = []
        for s in found:
            c = s.contract
            for w in s.windows:
                rows.append(
                    [
                        c.pk,
                        c.name,
                        c.vendor_id,
                        c.vendor.name,
                        c.currency,
                        c.inhouse_monthly_cost,
                        s.as_of,
                        w.months,
                        w.first_month,
                        w.last_month,
                        w.months_invoiced,
                        money_value(w.baseline),
                        money_value(w.invoiced),
                        money_value(w.credits),
                        money_value(w.net_cost),
                        money_value(w.savings),
                    ]
                )
        return columns, rows
