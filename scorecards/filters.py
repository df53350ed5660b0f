"""django-filter FilterSets of the stored-figure endpoints: they only narrow a visible
queryset. Periods are named by kind and first day, or by label (2026-10, 2026-W43, 2026-Q3)."""

from __future__ import annotations

import django_filters as filters
from django.conf import settings
from django.db.models import Exists, OuterRef, Q, QuerySet

from common.api import period_param
from common.filters import (
    ContractIdFilters,
    IdFilter,
    PeriodLabelFilter,
    TicketIdFilters,
    TrueFalseFilter,
    UpdatedSinceFilter,
    UtcIsoDateTimeFilter,
    VendorIdFilters,
)
from scorecards.models import (
    PERIOD_CHOICES,
    ActionItem,
    Alert,
    ClosedPeriod,
    Dispute,
    MetricValue,
    Restatement,
    Scorecard,
    SlaTargetKind,
    SubjectKind,
)
from tickets.models import Ticket
from vendors.models import Contract, Invoice, Priority

SUBJECT_CHOICES = SubjectKind.choices


class _PeriodFilters(VendorIdFilters):
    period = PeriodLabelFilter(
        method="filter_period", help_text="One period by label: 2026-10, 2026-W43 or 2026-Q3."
    )
    start_from = filters.DateFilter(
        field_name="period_start", lookup_expr="gte", help_text="Periods starting on or after."
    )
    start_to = filters.DateFilter(
        field_name="period_start", lookup_expr="lte", help_text="Periods starting on or before."
    )

    updated_since = UpdatedSinceFilter()

    def filter_period(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        period = period_param(value, name=name)
        return queryset.filter(period_kind=period.kind.value, period_start=period.start)

    def filter_updated_since(self, queryset: QuerySet, name: str, value) -> QuerySet:
        """Rows computed since, restated since (a figure's own restatement; any of the
        period's for a scorecard), or whose period was closed or reopened since."""
        restated = Restatement.objects.filter(
            subject_kind=OuterRef("subject_kind"),
            subject_id=OuterRef("subject_id"),
            period_kind=OuterRef("period_kind"),
            period_start=OuterRef("period_start"),
            restated_at__gte=value,
        )
        if queryset.model is MetricValue:
            restated = restated.filter(metric=OuterRef("metric"))
        closed = ClosedPeriod.objects.filter(
            Q(closed_at__gte=value) | Q(reopened_at__gte=value),
            vendor_id=OuterRef("vendor_id"),
            period_kind=OuterRef("period_kind"),
            period_start=OuterRef("period_start"),
        )
        return queryset.filter(Q(computed_at__gte=value) | Exists(restated) | Exists(closed))


class _OneKindAtATime(_PeriodFilters):
    """One kind of subject (`default_subject_kind` unless named) and one kind of period
    (month unless named, or chosen by a period label) at a time."""

    default_subject_kind: str

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        if not data.get("subject_kind"):
            queryset = queryset.filter(subject_kind=self.default_subject_kind)
        if not data.get("period_kind") and not data.get("period"):
            queryset = queryset.filter(period_kind="month")
        return queryset


class ScorecardFilter(_OneKindAtATime):
    subject_kind = filters.ChoiceFilter(
        choices=SUBJECT_CHOICES, help_text="vendor, contract or technician (default: vendor)."
    )
    subject_id = IdFilter(help_text="The vendor's, contract's or technician's id.")
    period_kind = filters.ChoiceFilter(
        choices=PERIOD_CHOICES, help_text="week, month or quarter (default: month)."
    )

    default_subject_kind = SubjectKind.VENDOR

    class Meta:
        model = Scorecard
        fields = ["vendor", "subject_kind", "subject_id", "period_kind"]


class ServiceCreditFilter(_PeriodFilters):
    contract = IdFilter(field_name="subject_id", help_text="Contract id.")

    class Meta:
        model = MetricValue
        fields = ["vendor", "contract"]


class CostPerTicketFilter(_OneKindAtATime):
    subject_kind = filters.ChoiceFilter(
        choices=[("vendor", "Vendor"), ("contract", "Contract")],
        help_text="vendor or contract (default: contract).",
    )
    subject_id = IdFilter(help_text="The vendor's or contract's id.")
    period_kind = filters.ChoiceFilter(
        choices=[("month", "Month"), ("quarter", "Quarter")],
        help_text="month or quarter (default: month); weeks have no invoices.",
    )

    default_subject_kind = SubjectKind.CONTRACT

    class Meta:
        model = MetricValue
        fields = ["vendor", "subject_kind", "subject_id", "period_kind"]


class SavingsFilter(VendorIdFilters):
    """The contracts of the savings list (vendor_id is the contract's own)."""

    contract = IdFilter(field_name="pk", help_text="Contract id.")
    updated_since = UpdatedSinceFilter(
        help_text="Only contracts whose savings may have changed at or after this time (ISO "
        "8601 with its offset): an invoice recorded or changed, or a service credit computed "
        "or restated since."
    )

    class Meta:
        model = Contract
        fields = ["vendor", "contract"]

    def filter_updated_since(self, queryset: QuerySet, name: str, value) -> QuerySet:
        invoiced = Invoice.objects.filter(contract_id=OuterRef("pk"), updated_at__gte=value)
        credit = {"subject_kind": "contract", "subject_id": OuterRef("pk")}
        credited = MetricValue.objects.filter(
            **credit, metric="service_credit", computed_at__gte=value
        )
        restated = Restatement.objects.filter(
            **credit, metric="service_credit", restated_at__gte=value
        )
        return queryset.filter(Exists(invoiced) | Exists(credited) | Exists(restated))


class AlertFilter(VendorIdFilters):
    ticket = IdFilter(field_name="ticket_id", help_text="Ticket id.")
    target = filters.ChoiceFilter(choices=[("response", "response"), ("resolution", "resolution")])
    threshold = filters.ChoiceFilter(choices=Alert.Threshold.choices)
    created_after = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcIsoDateTimeFilter(field_name="created_at", lookup_expr="lt")
    acknowledged = TrueFalseFilter(field_name="acknowledged_at", lookup_expr="isnull", exclude=True)

    class Meta:
        model = Alert
        fields = ["vendor", "ticket", "target", "threshold"]


class ActionItemFilter(VendorIdFilters):
    status = filters.ChoiceFilter(choices=ActionItem.Status.choices)
    raised_from = filters.DateFilter(field_name="raised_month", lookup_expr="gte")
    raised_to = filters.DateFilter(field_name="raised_month", lookup_expr="lte")

    class Meta:
        model = ActionItem
        fields = ["vendor", "status"]


class DisputeFilter(TicketIdFilters):
    status = filters.ChoiceFilter(choices=Dispute.Status.choices)
    target = filters.ChoiceFilter(choices=SlaTargetKind.choices)
    raised_from = UtcIsoDateTimeFilter(field_name="raised_at", lookup_expr="gte")
    raised_to = UtcIsoDateTimeFilter(field_name="raised_at", lookup_expr="lt")

    class Meta:
        model = Dispute
        fields = ["vendor", "ticket", "status", "target"]


class BreachFilter(ContractIdFilters):
    """`kind` and the outcome window (`period`, `due_after`, `due_before`) combine: a ticket
    is listed when one of its breaches of that kind fell due in that window."""

    priority = filters.ChoiceFilter(choices=Priority.choices)
    kind = filters.ChoiceFilter(
        choices=[("response", "response"), ("resolution", "resolution")],
        method="noop",
        help_text="Only breaches of this target.",
    )
    period = PeriodLabelFilter(
        method="noop",
        help_text="Breaches attributed to this period (due time passed in it): 2026-10, "
        "2026-W43 or 2026-Q3, in the reporting time zone.",
    )
    due_after = UtcIsoDateTimeFilter(method="noop", help_text="Fell due at or after.")
    due_before = UtcIsoDateTimeFilter(method="noop", help_text="Fell due before.")

    class Meta:
        model = Ticket
        fields = ["vendor", "contract", "priority"]

    def noop(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset  # combined in filter_queryset

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        kinds = [data["kind"]] if data.get("kind") else ["response", "resolution"]
        window = {}
        if label := data.get("period"):
            period = period_param(label, name="period")
            lo, hi = period.bounds(settings.REPORTING_TIME_ZONE)
            window = {"gte": lo, "lt": hi}
        if data.get("due_after"):
            window["gte"] = max(window.get("gte", data["due_after"]), data["due_after"])
        if data.get("due_before"):
            window["lt"] = min(window.get("lt", data["due_before"]), data["due_before"])
        condition = Q()
        for kind in kinds:
            one = Q(**{f"{kind}_met": False})
            for op, bound in window.items():
                one &= Q(**{f"{kind}_outcome_at__{op}": bound})
            condition |= one
        if "lt" in window:
            # A breach falls due after its ticket was created, so only tickets created before
            # the window's end can be listed. Saying so changes no row, but a newest-first
            # page of an old window then walks the created_at index from that end rather
            # than from today (seconds for a manager's old month at 1M tickets).
            condition &= Q(created_at__lt=window["lt"])
        return queryset.filter(condition)
