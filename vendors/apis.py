"""REST API v1: vendors, contracts (with SLA policy, targets, credit tiers, weights),
technicians and invoices. Every queryset comes from `vendors.selectors_api`, which starts from
the vendors the user may see."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import (
    FORMAT_PARAMETER,
    VISIBILITY,
    ExportMixin,
    MoneyField,
    ReadRolesWriteRoles,
    read_schema,
    valid_input,
    write_schema,
)
from common.roles import ALL_ROLES, FINANCE, MANAGER
from common.viewsets import VisibleReadViewSet
from vendors import selectors_api
from vendors.filters import ContractFilter, InvoiceFilter, TechnicianFilter, VendorFilter
from vendors.models import Contract, CreditTier, Invoice, ScoreWeight, SlaTarget, Technician, Vendor
from vendors.services_api import invoice_create


class VendorOut(serializers.ModelSerializer):
    class Meta:
        model = Vendor
        fields = ["id", "name", "slug", "contact_name", "contact_email", "active"]


@read_schema(listing=("List vendors", "Vendors."), one=("One vendor", "A vendor."))
class VendorViewSet(VisibleReadViewSet):
    serializer_class = VendorOut
    filterset_class = VendorFilter
    visible_to = staticmethod(selectors_api.vendors_for_api)


class SlaTargetOut(serializers.ModelSerializer):
    calendar_id = serializers.IntegerField(
        allow_null=True, help_text="Another calendar for this priority; null = the policy's."
    )

    class Meta:
        model = SlaTarget
        fields = [
            "priority",
            "response_minutes",
            "resolution_minutes",
            "always_open",
            "calendar_id",
        ]


class SlaCalendarOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    time_zone = serializers.CharField(help_text="IANA zone of the open hours.")


class SlaPolicyOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    calendar = SlaCalendarOut()
    pause_statuses = serializers.ListField(
        child=serializers.CharField(), help_text="Ticket statuses that stop the resolution clock."
    )
    warning_minutes = serializers.IntegerField()
    targets = SlaTargetOut(many=True, help_text="Per-priority targets in business minutes.")


class CreditTierOut(serializers.ModelSerializer):
    threshold = serializers.DecimalField(max_digits=12, decimal_places=3)
    credit_pct = serializers.DecimalField(
        max_digits=5, decimal_places=2, help_text="Share of the month's fee owed."
    )

    class Meta:
        model = CreditTier
        fields = ["metric", "threshold", "credit_pct"]


class ScoreWeightOut(serializers.ModelSerializer):
    weight = serializers.DecimalField(max_digits=6, decimal_places=2)
    target = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    floor = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)

    class Meta:
        model = ScoreWeight
        fields = ["metric", "weight", "target", "floor"]


class ContractOut(serializers.ModelSerializer):
    vendor = serializers.IntegerField(source="vendor_id", help_text="Vendor id.")
    monthly_fee = MoneyField()
    inhouse_monthly_cost = MoneyField(
        allow_null=True, help_text="In-house baseline per month (savings compare against it)."
    )
    target_cost_per_ticket = MoneyField(allow_null=True)
    credit_cap_pct = serializers.DecimalField(max_digits=5, decimal_places=2)
    sla_policy = SlaPolicyOut()
    credit_tiers = CreditTierOut(many=True)
    weights = ScoreWeightOut(
        many=True, help_text="The contract's own weights; empty = METRICS.md defaults."
    )

    class Meta:
        model = Contract
        fields = [
            "id",
            "vendor",
            "name",
            "reference",
            "start_date",
            "end_date",
            "currency",
            "monthly_fee",
            "inhouse_monthly_cost",
            "target_cost_per_ticket",
            "credit_cap_pct",
            "sla_policy",
            "credit_tiers",
            "weights",
        ]


@read_schema(
    listing=(
        "List contracts",
        "Contracts with their SLA policy and per-priority targets, credit tiers "
        "and score weights. Money as decimal strings in `currency`.",
    ),
    one=("One contract", "A contract."),
)
class ContractViewSet(VisibleReadViewSet):
    serializer_class = ContractOut
    filterset_class = ContractFilter
    visible_to = staticmethod(selectors_api.contracts_for_api)


class TechnicianOut(serializers.ModelSerializer):
    vendor = serializers.IntegerField(source="vendor_id", help_text="Vendor id.")

    class Meta:
        model = Technician
        fields = ["id", "vendor", "name", "email", "external_ref", "active"]


@read_schema(listing=("List technicians", "Technicians."), one=("One technician", "A technician."))
class TechnicianViewSet(VisibleReadViewSet):
    serializer_class = TechnicianOut
    filterset_class = TechnicianFilter
    visible_to = staticmethod(selectors_api.technicians_for_api)


class InvoiceOut(serializers.ModelSerializer):
    vendor = serializers.IntegerField(source="vendor_id", help_text="Vendor id.")
    vendor_name = serializers.CharField(source="vendor.name")
    contract = serializers.IntegerField(source="contract_id", help_text="Contract id.")
    contract_name = serializers.CharField(source="contract.name")
    amount = MoneyField()

    class Meta:
        model = Invoice
        fields = [
            "id",
            "vendor",
            "vendor_name",
            "contract",
            "contract_name",
            "period_start",
            "period_end",
            "amount",
            "currency",
            "reference",
            "issued_on",
        ]


@extend_schema_field(
    {"type": "string", "format": "date", "pattern": r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-01$"}
)
class FirstOfMonthField(serializers.DateField):
    """A date the schema says must be a month's first day, as the server checks."""


class InvoiceIn(serializers.Serializer):
    contract = serializers.IntegerField(min_value=1, help_text="Contract id; gives the vendor.")
    period_start = FirstOfMonthField(help_text="First day of the invoiced month.")
    period_end = serializers.DateField(
        required=False, help_text="Last day of the invoiced month (default: the month's end)."
    )
    amount = MoneyField(min_value=0)
    currency = serializers.RegexField(
        r"^[A-Z]{3}$",
        required=False,
        help_text="ISO 4217 code; must be the contract's (default: the contract's).",
    )
    reference = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    issued_on = serializers.DateField(required=False, allow_null=True, default=None)

    def validate_period_start(self, value):
        if value.day != 1:
            raise serializers.ValidationError("Give the first day of the invoiced month.")
        return value


def _month_end(day):
    import calendar

    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@extend_schema_view(
    list=extend_schema(
        summary="List invoices",
        description="Invoices per contract and month, amounts as decimal strings in `currency`. "
        "Managers and finance see all; a vendor's user only its own vendor's (read-only)."
        " `?format=csv|xlsx` downloads them.",
        parameters=[FORMAT_PARAMETER],
    ),
    retrieve=extend_schema(summary="One invoice", description="An invoice." + VISIBILITY),
    create=write_schema(
        "Record an invoice",
        "Managers and finance record a contract's invoice for a month. A 400 "
        "names the field at fault (contract, period_start, period_end, amount, currency, "
        "reference). The month is then recomputed (cost per ticket).",
        body=InvoiceIn,
        answer=InvoiceOut,
    ),
)
class InvoiceViewSet(ExportMixin, mixins.CreateModelMixin, VisibleReadViewSet):
    last_modified_field = "updated_at"
    serializer_class = InvoiceOut
    permission_classes = [ReadRolesWriteRoles]
    read_roles = ALL_ROLES
    write_roles = (MANAGER, FINANCE)
    filterset_class = InvoiceFilter
    visible_to = staticmethod(selectors_api.invoices_for_api)
    export_name = "invoices"

    def export_table(self, items: list[Invoice]):
        columns = [
            "id",
            "vendor",
            "vendor_name",
            "contract",
            "contract_name",
            "period_start",
            "period_end",
            "amount",
            "currency",
            "reference",
            "issued_on",
        ]
        rows = [
            [
                i.pk,
                i.vendor_id,
                i.vendor.name,
                i.contract_id,
                i.contract.name,
                i.period_start,
                i.period_end,
                i.amount,
                i.currency,
                i.reference,
                i.issued_on,
            ]
            for i in items
        ]
        return columns, rows

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = valid_input(InvoiceIn, request)
        contract = selectors_api.contract_get_visible(
            user=request.user, contract_id=data["contract"]
        )
        if contract is None:
            raise ValidationError({"contract": ["No such contract."]})
        period_end = data.get("period_end") or _month_end(data["period_start"])
        # A refusal by the service is a 400 naming its fields (common.api.exception_handler).
        invoice = invoice_create(
            contract=contract,
            period_start=data["period_start"],
            period_end=period_end,
            amount=data["amount"],
            currency=data.get("currency") or contract.currency,
            reference=data["reference"],
            issued_on=data["issued_on"],
        )
        return Response(self.visible_data(invoice), status=status.HTTP_201_CREATED)
