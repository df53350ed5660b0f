"""django-filter FilterSets of the ticket endpoints: they only narrow a visible queryset."""

from __future__ import annotations

import django_filters as filters
from django.db.models import Max, QuerySet, Subquery

from common.filters import (
    ContractIdFilters,
    IdFilter,
    TextFilter,
    TicketIdFilters,
    TrueFalseFilter,
    UtcIsoDateTimeFilter,
)
from tickets.models import Outage, SurveyResponse, Ticket
from tickets.selectors_api import BREACHED
from vendors.models import Priority, TicketStatus


class TicketFilter(ContractIdFilters):
    technician = IdFilter(method="filter_technician", help_text="Technician id.")
    priority = filters.ChoiceFilter(choices=Priority.choices)
    status = filters.ChoiceFilter(choices=TicketStatus.choices)
    source = TextFilter(help_text="The import's source name.")
    external_id = TextFilter(help_text="The source's ticket id.")
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
        method="filter_resolved_before", help_text="Resolved before."
    )
    breached = TrueFalseFilter(
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

    def filter_technician(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        # Bounded by the technician's latest ticket: a newest-first page then starts its walk
        # of the created_at index there, and a technician without tickets ends it at once
        # (at 1M tickets, 10 s -> 1 ms), rather than walking every later ticket for theirs.
        # Grouped, so the maximum comes from the technician's own index, not that same walk.
        latest = (
            Ticket.objects.filter(technician_id=value)
            .values("technician_id")
            .annotate(latest=Max("created_at"))
            .values("latest")
        )
        return queryset.filter(technician_id=value, created_at__lte=Subquery(latest))

    def filter_resolved_before(self, queryset: QuerySet, name: str, value) -> QuerySet:
        # A ticket is resolved after it was created (a check constraint says so), so the same
        # bound on created_at changes nothing but lets a newest-first page of an old window
        # start its walk of the created_at index there, instead of at today.
        return queryset.filter(resolved_at__lt=value, created_at__lt=value)

    def filter_breached(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        return queryset.filter(BREACHED) if value else queryset.exclude(BREACHED)


class SurveyFilter(TicketIdFilters):
    answered_after = UtcIsoDateTimeFilter(field_name="answered_at", lookup_expr="gte")
    answered_before = UtcIsoDateTimeFilter(field_name="answered_at", lookup_expr="lt")

    class Meta:
        model = SurveyResponse
        fields = ["vendor", "ticket"]


class OutageFilter(ContractIdFilters):
    service = TextFilter()
    started_after = UtcIsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = UtcIsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Outage
        fields = ["vendor", "contract", "service"]
