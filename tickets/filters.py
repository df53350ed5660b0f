"""django-filter FilterSets of the ticket endpoints: they only narrow a visible queryset."""

from __future__ import annotations

import django_filters as filters
from django.conf import settings
from django.db.models import Q, QuerySet

from config.filters import IdFilter, UtcIsoDateTimeFilter
from scorecards.periods import period_from_label
from tickets.models import Outage, SurveyResponse, Ticket, TicketStatus
from tickets.selectors_api import BREACHED
from vendors.models import Priority


class TicketFilter(filters.FilterSet):
    vendor = IdFilter(field_name="vendor_id", help_text="Vendor id.")
    contract = IdFilter(field_name="contract_id", help_text="Contract id.")
    technician = IdFilter(field_name="technician_id", help_text="Technician id.")
    priority = filters.ChoiceFilter(choices=Priority.choices)
    status = filters.ChoiceFilter(choices=TicketStatus.choices)
    source = filters.CharFilter(help_text="The import's source name.")
    external_id = filters.CharFilter(help_text="The source's ticket id.")
    created_after = UtcIsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", help_text="Created at or after (ISO 8601)."
    )
    created_before = UtcIsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", help_text="Created before (ISO 8601)."
    )
    resolved_after = UtcIsoDateTimeFilter(
        field_name="resolved_at", lookup_expr="gte", help_text="Resolved at or after."
    )
    resolved_before = UtcIsoDateTimeFilter(
        field_name="resolved_at", lookup_expr="lt", help_text="Resolved before."
    )
    breached = filters.BooleanFilter(
        method="filter_breached",
        help_text="true: a response or resolution target was breached; false: none was.",
    )

    class Meta:
        model = Ticket
        fields = [
            "vendor",
            "contract",
            "technician",
            "priority",
            "status",
            "source",
            "external_id",
        ]

    def filter_breached(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(BREACHED) if value else queryset.exclude(BREACHED)


class BreachFilter(filters.FilterSet):
    """`kind` and the outcome window (`period`, `due_after`, `due_before`) combine: a ticket
    is listed when one of its breaches of that kind fell due in that window."""

    vendor = IdFilter(field_name="vendor_id", help_text="Vendor id.")
    contract = IdFilter(field_name="contract_id", help_text="Contract id.")
    priority = filters.ChoiceFilter(choices=Priority.choices)
    kind = filters.ChoiceFilter(
        choices=[("response", "response"), ("resolution", "resolution")],
        method="noop",
        help_text="Only breaches of this target.",
    )
    period = filters.CharFilter(
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
            try:
                period = period_from_label(label)
            except ValueError as exc:
                from rest_framework.exceptions import ValidationError

                raise ValidationError({"period": [str(exc)]}) from None
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
        return queryset.filter(condition)


class SurveyFilter(filters.FilterSet):
    vendor = IdFilter(field_name="ticket__vendor_id", help_text="Vendor id.")
    ticket = IdFilter(field_name="ticket_id", help_text="Ticket id.")
    answered_after = UtcIsoDateTimeFilter(field_name="answered_at", lookup_expr="gte")
    answered_before = UtcIsoDateTimeFilter(field_name="answered_at", lookup_expr="lt")

    class Meta:
        model = SurveyResponse
        fields = ["vendor", "ticket"]


class OutageFilter(filters.FilterSet):
    vendor = IdFilter(field_name="vendor_id", help_text="Vendor id.")
    contract = IdFilter(field_name="contract_id", help_text="Contract id.")
    service = filters.CharFilter()
    started_after = UtcIsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = UtcIsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Outage
        fields = ["vendor", "contract", "service"]
