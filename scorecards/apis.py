"""REST API v1 on stored figures: scorecards with chosen metrics, service credits, cost per
ticket, savings, alerts and review packs' action items; and disputes of breaches.

Figures are decimal strings (exact, as stored): money with two places and its `currency`,
other figures with four. Every queryset comes from `scorecards.selectors_api`, which starts
from the vendors the user may see.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import (
    FORMAT_PARAMETER,
    ActionRoles,
    CreatedCursorPagination,
    ExportMixin,
    MoneyField,
    PagePagination,
    comma_list,
    decimal_text,
    roles_allowed,
)
from common.pages import reporting_today
from common.periods import Period, PeriodKind, period_from_label
from common.roles import ALL_ROLES, MANAGER, STAFF_ROLES, VENDOR, user_role
from scorecards import packs, selectors_api
from scorecards.filters import (
    ActionItemFilter,
    AlertFilter,
    BreachFilter,
    CostPerTicketFilter,
    DisputeFilter,
    ScorecardFilter,
    ServiceCreditFilter,
)
from scorecards.models import ActionItem, Alert, Dispute, MetricValue, Scorecard, SlaTargetKind
from scorecards.services import dispute_decide, dispute_raise
from tickets import selectors_api as tickets_api
from tickets.models import Ticket
from vendors.metrics import METRICS
from vendors.selectors import vendors_visible_to

MONEY_METRICS = frozenset({"cost_per_ticket", "service_credit"})
VISIBILITY = (
    " Managers and finance see every vendor's; a vendor's user only its own vendor's (a filter "
    "naming another vendor returns nothing)."
)


def _money(value: Any) -> str | None:
    return None if value is None else decimal_text(Decimal(value).quantize(Decimal("0.01")), 2)


def _label(period_kind: str, start: dt.date) -> str:
    return Period(PeriodKind(period_kind), start).label


# --- scorecards ---------------------------------------------------------------------------------


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


METRICS_PARAMETER = OpenApiParameter(
    "metrics",
    OpenApiTypes.STR,
    description="Metric codes separated by commas (METRICS.md), e.g. "
    "`sla_compliance_pct,mttr,cost_per_ticket`; default all.",
)


@extend_schema_view(
    list=extend_schema(
        summary="List scorecards",
        description="Stored scorecards, newest period first: one subject kind (default vendor) "
        "and period kind (default month) at a time; each with its score, grade, the weights "
        "and targets used, and the chosen metrics, each with value, numerator, denominator, "
        "95% interval, sample size, low-sample flag and excluded outcomes." + VISIBILITY,
        parameters=[METRICS_PARAMETER, FORMAT_PARAMETER],
    )
)
class ScorecardViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ScorecardOut
    permission_classes = [roles_allowed(*ALL_ROLES)]
    pagination_class = ScorecardPagination
    filterset_class = ScorecardFilter
    export_name = "scorecards"

    def get_queryset(self):
        return selectors_api.scorecards_for_api(user=self.request.user)

    def _metrics(self) -> list[str]:
        return comma_list(
            self.request.query_params.get("metrics"), allowed=set(METRICS), name="metrics"
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        metrics = self._metrics()
        queryset = self.filter_queryset(self.get_queryset())
        if self.is_export():
            return self.export_response(queryset)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self._cards(page, metrics))

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
                    "period_label": _label(c.period_kind, c.period_start),
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
        metrics = self._metrics()
        cards = []
        for at in range(0, len(items), 500):  # bounded IN lists, whatever the export's size
            cards += self._cards(items[at : at + 500], metrics)
        figure_columns = [
            "value",
            "numerator",
            "denominator",
            "ci_low",
            "ci_high",
            "sample_size",
            "low_sample",
            "excluded",
            "unit",
            "currency",
        ]
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
            head[7] = _number(head[7])
            for code, figure in card["metrics"].items():
                rows.append(
                    [
                        *head,
                        code,
                        *[
                            _number(figure[c]) if c in _NUMERIC else figure[c]
                            for c in figure_columns
                        ],
                    ]
                )
        return columns, rows


_NUMERIC = {"value", "numerator", "denominator", "ci_low", "ci_high"}


def _number(text: str | None) -> Decimal | None:
    """A decimal string of ours back to a number, so XLSX cells are numeric."""
    return None if text is None else Decimal(text)


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
        "period_label": _label(row.period_kind, row.period_start),
        "amount": None if row.value is None else Decimal(row.value).quantize(Decimal("0.01")),
        "currency": detail.get("currency"),
        "credit_pct": detail.get("pct"),
        "per_metric": detail.get("per_metric", {}),
    }


@extend_schema_view(
    list=extend_schema(
        summary="List service credits",
        description="Service credits per contract and month as stored by the nightly run: "
        "what the contract's credit tiers owe, capped; money as decimal strings in `currency`."
        + VISIBILITY,
        parameters=[FORMAT_PARAMETER],
    )
)
class ServiceCreditViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = ServiceCreditOut
    permission_classes = [roles_allowed(*ALL_ROLES)]
    pagination_class = PagePagination
    filterset_class = ServiceCreditFilter
    export_name = "service-credits"

    def get_queryset(self):
        return selectors_api.metric_rows_for_api(
            user=self.request.user, metric="service_credit"
        ).filter(subject_kind="contract", period_kind="month")

    def _rows(self, items: list[MetricValue]) -> list[dict]:
        names = selectors_api.subject_names(subjects=[("contract", r.subject_id) for r in items])
        return [_credit_row(r, names) for r in items]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        if self.is_export():
            return self.export_response(queryset)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(ServiceCreditOut(self._rows(page), many=True).data)

    def export_table(self, items: list[MetricValue]):
        columns = [
            "contract",
            "contract_name",
            "vendor",
            "vendor_name",
            "month",
            "period_label",
            "amount",
            "currency",
            "credit_pct",
            "per_metric",
        ]
        rows = []
        for r in self._rows(items):
            r["credit_pct"] = _number(r["credit_pct"])
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


@extend_schema_view(
    list=extend_schema(
        summary="List cost per ticket",
        description="Cost per ticket as stored: invoiced amount for the period / tickets "
        "resolved in it, per contract (default) or vendor, per month (default) or quarter; "
        "money as decimal strings in `currency`." + VISIBILITY,
        parameters=[FORMAT_PARAMETER],
    )
)
class CostPerTicketViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = CostPerTicketOut
    permission_classes = [roles_allowed(*ALL_ROLES)]
    pagination_class = PagePagination
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
                    "period_label": _label(r.period_kind, r.period_start),
                    "cost_per_ticket": _q2(r.value),
                    "invoiced_amount": _q2(r.numerator),
                    "tickets_resolved": None if r.denominator is None else int(r.denominator),
                    "currency": currency,
                    "low_sample": r.low_sample,
                }
            )
        return out

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        if self.is_export():
            return self.export_response(queryset)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(CostPerTicketOut(self._rows(page), many=True).data)

    def export_table(self, items: list[MetricValue]):
        columns = list(CostPerTicketOut().fields)
        return columns, [[r[c] for c in columns] for r in self._rows(items)]


def _q2(value: Any) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


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
    OpenApiTypes.STR,
    description="The last month of the windows, e.g. 2026-10 (default: the last complete month).",
)


@extend_schema_view(
    list=extend_schema(
        summary="List savings",
        description="Savings against each contract's in-house baseline over 6, 12 and 24 "
        "months, from stored invoices and service credits. Only months with an invoice count: "
        "baseline = in-house monthly cost x invoiced months, net cost = invoiced - credits, "
        "savings = baseline - net cost. Managers and finance only: the in-house baseline is "
        "the customer's own figure, never shown to a vendor.",
        parameters=[AS_OF_PARAMETER, FORMAT_PARAMETER],
    )
)
class SavingsViewSet(ExportMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = SavingsOut
    permission_classes = [roles_allowed(*STAFF_ROLES)]
    pagination_class = PagePagination
    filterset_class = None
    export_name = "savings"

    def get_queryset(self):
        contracts = selectors_api.contracts_for_savings(user=self.request.user)
        params = self.request.query_params
        for name in ("vendor", "contract"):
            raw = params.get(name)
            if raw is None:
                continue
            if not raw.isdigit() or len(raw) > 18:
                raise ValidationError({name: ["Give an id."]})
            field = "vendor_id" if name == "vendor" else "pk"
            contracts = contracts.filter(**{field: int(raw)})
        return contracts

    def _as_of(self) -> dt.date:
        raw = self.request.query_params.get("as_of")
        if not raw:
            return Period.containing(PeriodKind.MONTH, reporting_today()).previous().start
        try:
            period = period_from_label(raw)
        except ValueError as exc:
            raise ValidationError({"as_of": [str(exc)]}) from None
        if period.kind is not PeriodKind.MONTH:
            raise ValidationError({"as_of": ["Give a month, e.g. 2026-10."]})
        return period.start

    @extend_schema(
        parameters=[
            OpenApiParameter("vendor", OpenApiTypes.INT, description="Vendor id."),
            OpenApiParameter("contract", OpenApiTypes.INT, description="Contract id."),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        as_of = self._as_of()
        queryset = self.get_queryset()
        if self.is_export():
            self._export_as_of = as_of
            return self.export_response(queryset)
        page = self.paginate_queryset(queryset)
        found = selectors_api.savings_for_contracts(contracts=page, as_of=as_of)
        return self.get_paginated_response(SavingsOut(found, many=True).data)

    def export_table(self, items):
        found = selectors_api.savings_for_contracts(contracts=items, as_of=self._export_as_of)
        columns = [
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
        ]
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
                        _q2(w.baseline),
                        _q2(w.invoiced),
                        _q2(w.credits),
                        _q2(w.net_cost),
                        _q2(w.savings),
                    ]
                )
        return columns, rows


# --- alerts and action items --------------------------------------------------------------------


class AlertOut(serializers.ModelSerializer):
    ticket = serializers.IntegerField(source="ticket_id", help_text="Ticket id.")
    ticket_external_id = serializers.CharField(source="ticket.external_id")
    vendor = serializers.IntegerField(source="vendor_id", help_text="Vendor id.")

    class Meta:
        model = Alert
        fields = [
            "id",
            "ticket",
            "ticket_external_id",
            "vendor",
            "target",
            "threshold",
            "due_at",
            "created_at",
            "emailed_at",
            "acknowledged_at",
        ]


@extend_schema_view(
    list=extend_schema(
        summary="List breach alerts",
        description="Warnings that an open ticket's target is due soon or breached, newest "
        "first." + VISIBILITY,
    ),
    retrieve=extend_schema(summary="One alert", description="An alert." + VISIBILITY),
)
class AlertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = AlertOut
    permission_classes = [roles_allowed(*ALL_ROLES)]
    pagination_class = PagePagination
    filterset_class = AlertFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors_api.alerts_for_api(user=self.request.user)


class ActionItemOut(serializers.ModelSerializer):
    vendor = serializers.IntegerField(source="vendor_id", help_text="Vendor id.")
    meeting = serializers.IntegerField(source="meeting_id", help_text="Review meeting id.")
    owner = serializers.CharField(source="owner_label", help_text="Who owns it.")

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "vendor",
            "meeting",
            "raised_month",
            "title",
            "owner",
            "vendor_owned",
            "due_on",
            "status",
            "closed_month",
            "notes",
            "created_at",
            "updated_at",
        ]


class ActionItemIn(serializers.Serializer):
    vendor = serializers.IntegerField(help_text="Vendor id.")
    month = serializers.CharField(help_text="The review meeting's month, YYYY-MM.")
    title = serializers.CharField(max_length=300)
    owner_name = serializers.CharField(required=False, allow_blank=True, default="")
    vendor_owned = serializers.BooleanField(
        required=False, default=False, help_text="The vendor owns it, so its users may update it."
    )
    due_on = serializers.DateField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ActionStatusIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=ActionItem.Status.choices)
    month = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="The pack (YYYY-MM) it was reviewed in; done or dropped closes it there "
        "(default: the last complete month).",
    )
    notes = serializers.CharField(
        required=False, allow_null=True, default=None, help_text="Managers only."
    )


@extend_schema_view(
    list=extend_schema(
        summary="List review-pack action items",
        description="Action items agreed at monthly review meetings, newest month first."
        + VISIBILITY,
    ),
    retrieve=extend_schema(summary="One action item", description="An action item." + VISIBILITY),
    create=extend_schema(
        summary="Add an action item",
        description="Managers add an item to a month's review meeting (made if need be).",
        request=ActionItemIn,
        responses={201: ActionItemOut},
    ),
    set_status=extend_schema(
        summary="Move an action item to a status",
        description="Managers move any item; a vendor's user only items its vendor owns, and "
        "never to dropped (that is the manager's call), as on the pack page.",
        request=ActionStatusIn,
        responses={200: ActionItemOut},
    ),
)
class ActionItemViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ActionItemOut
    permission_classes = [ActionRoles]
    action_roles = {"create": (MANAGER,), "set_status": (MANAGER, VENDOR)}
    pagination_class = PagePagination
    filterset_class = ActionItemFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors_api.action_items_for_api(user=self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = ActionItemIn(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        vendor = vendors_visible_to(request.user).filter(pk=data.pop("vendor")).first()
        if vendor is None:
            raise ValidationError({"vendor": ["No such vendor."]})
        period = _pack_month(data.pop("month"))
        item = packs.action_item_add(vendor=vendor, period=period, user=request.user, **data)
        item = self.get_queryset().get(pk=item.pk)
        return Response(ActionItemOut(item).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], url_path="status", url_name="status")
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        item = self.get_object()
        given = ActionStatusIn(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        role = user_role(request.user)
        packs.action_item_check_may_set(item=item, role=role, status=data["status"])
        if data["notes"] is not None and role != MANAGER:
            raise ValidationError({"notes": ["Only managers edit an action item's notes."]})
        period = _pack_month(data["month"]) if data["month"] else None
        packs.action_item_set_status(
            item=item, status=data["status"], user=request.user, period=period, notes=data["notes"]
        )
        return Response(ActionItemOut(self.get_queryset().get(pk=item.pk)).data)


def _pack_month(label: str) -> Period:
    """A review meeting's month; a 400 naming `month` if it is not one or has not begun."""
    try:
        return packs.pack_month_from_label(label, today=reporting_today())
    except packs.PackUnavailable as exc:
        raise ValidationError({"month": [exc.message]}) from None


# --- disputes -----------------------------------------------------------------------------------


class DisputeOut(serializers.ModelSerializer):
    ticket = serializers.IntegerField(source="ticket_id", help_text="Ticket id.")
    ticket_external_id = serializers.CharField(source="ticket.external_id")
    vendor = serializers.IntegerField(source="ticket.vendor_id", help_text="Vendor id.")
    raised_by = serializers.CharField(source="raised_by.get_username")
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = Dispute
        fields = [
            "id",
            "ticket",
            "ticket_external_id",
            "vendor",
            "target",
            "status",
            "reason",
            "raised_by",
            "raised_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]

    def get_decided_by(self, dispute: Dispute) -> str | None:
        return dispute.decided_by.get_username() if dispute.decided_by else None


class DisputeIn(serializers.Serializer):
    ticket = serializers.IntegerField(help_text="Id of the ticket whose breach is disputed.")
    target = serializers.ChoiceField(choices=SlaTargetKind.choices)
    reason = serializers.CharField(help_text="Why the breach was not the vendor's fault.")


class DecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=["accept", "reject"],
        help_text="accept: the breach is excluded from the SLA figures; reject: it keeps counting.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema_view(
    list=extend_schema(
        summary="List disputes",
        description="Vendors' disputes of SLA breaches, newest first." + VISIBILITY,
    ),
    retrieve=extend_schema(summary="One dispute", description="A dispute." + VISIBILITY),
    create=extend_schema(
        summary="Raise a dispute",
        description="A vendor's user contests a breach of one of its vendor's tickets; the "
        "breach keeps counting until a manager accepts. One live dispute per breach.",
        request=DisputeIn,
        responses={201: DisputeOut},
    ),
    decision=extend_schema(
        summary="Decide a dispute",
        description="A manager accepts an open dispute (the breach is excluded from the SLA "
        "figures at the next recompute) or rejects it (it keeps counting).",
        request=DecisionIn,
        responses={200: DisputeOut},
    ),
)
class DisputeViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Reads for every role; vendors' users raise, managers decide, as on the pages."""

    serializer_class = DisputeOut
    permission_classes = [ActionRoles]
    action_roles = {"create": (VENDOR,), "decision": (MANAGER,)}
    pagination_class = PagePagination
    filterset_class = DisputeFilter
    lookup_value_regex = "[0-9]+"

    def get_queryset(self):
        return selectors_api.disputes_for_api(user=self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        given = DisputeIn(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        ticket = tickets_api.ticket_get_visible(user=request.user, ticket_id=data["ticket"])
        if ticket is None:
            raise ValidationError({"ticket": ["No such ticket."]})
        # A refusal by the service is a 400 naming its fields (common.api.exception_handler).
        dispute = dispute_raise(
            ticket=ticket, target=data["target"], reason=data["reason"], user=request.user
        )
        dispute = self.get_queryset().get(pk=dispute.pk)
        return Response(DisputeOut(dispute).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def decision(self, request: Request, pk: str | None = None) -> Response:
        dispute = self.get_object()
        given = DecisionIn(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        dispute_decide(
            dispute=dispute,
            accept=data["decision"] == "accept",
            note=data["note"],
            user=request.user,
        )
        return Response(DisputeOut(self.get_queryset().get(pk=dispute.pk)).data)


# --- breaches (tickets with a breached target, and their disputes) ---


class BreachPeriodsOut(serializers.Serializer):
    week = serializers.CharField(help_text="e.g. 2026-W48")
    month = serializers.CharField(help_text="e.g. 2026-11")
    quarter = serializers.CharField(help_text="e.g. 2026-Q4")


class BreachTargetOut(serializers.Serializer):
    breached = serializers.BooleanField()
    due_at = serializers.DateTimeField()
    outcome_at = serializers.DateTimeField(
        allow_null=True, help_text="When the outcome became final (the due time if breached)."
    )
    attributed_to = BreachPeriodsOut(
        allow_null=True,
        help_text="The periods the breach counts in: those in which its due time passed, "
        "in the reporting time zone (METRICS.md, attribution). Null when not breached.",
    )
    excluded = serializers.BooleanField(help_text="A manager accepted a dispute of it.")
    dispute_status = serializers.CharField(
        allow_null=True, help_text="The latest dispute's status: open, accepted or rejected."
    )


class BreachOut(serializers.Serializer):
    ticket = serializers.IntegerField(source="pk", help_text="Ticket id.")
    source = serializers.CharField()
    external_id = serializers.CharField()
    vendor = serializers.IntegerField(source="vendor_id")
    contract = serializers.IntegerField(source="contract_id")
    priority = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    response = serializers.SerializerMethodField()
    resolution = serializers.SerializerMethodField()

    @extend_schema_field(BreachTargetOut)
    def get_response(self, ticket: Ticket) -> dict:
        return _breach_target(ticket, "response")

    @extend_schema_field(BreachTargetOut)
    def get_resolution(self, ticket: Ticket) -> dict:
        return _breach_target(ticket, "resolution")


def _breach_target(ticket: Ticket, kind: str) -> dict:
    breached = getattr(ticket, f"{kind}_met") is False
    outcome_at = getattr(ticket, f"{kind}_outcome_at")
    attributed = None
    if breached and outcome_at is not None:
        zone = settings.REPORTING_TIME_ZONE
        attributed = {k.value: Period.at(k, outcome_at, zone).label for k in PeriodKind}
    disputes = [d for d in ticket.disputes.all() if d.target == kind]
    return {
        "breached": breached,
        "due_at": getattr(ticket, f"{kind}_due_at"),
        "outcome_at": outcome_at,
        "attributed_to": attributed,
        "excluded": getattr(ticket, f"{kind}_excluded"),
        "dispute_status": disputes[0].status if disputes else None,
    }


@extend_schema_view(
    list=extend_schema(
        summary="List SLA breaches",
        description="Tickets with a breached response or resolution target, newest first, "
        "cursor-paginated; each target with its due time, when it became final and the periods "
        "it is attributed to (the due time's period, even while the ticket is open)." + VISIBILITY,
    )
)
class BreachViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = BreachOut
    permission_classes = [roles_allowed(*ALL_ROLES)]
    pagination_class = CreatedCursorPagination
    filterset_class = BreachFilter

    def get_queryset(self):
        return selectors_api.breaches_for_api(user=self.request.user)
