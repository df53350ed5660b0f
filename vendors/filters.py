"""django-filter FilterSets of the vendor endpoints: they only narrow a visible queryset."""

from __future__ import annotations

import django_filters as filters

from common.filters import (
    ContractIdFilters,
    IdFilter,
    TextFilter,
    TrueFalseFilter,
    UpdatedSinceFilter,
    VendorIdFilters,
)
from vendors.models import Contract, Invoice, Technician, Vendor


class VendorFilter(filters.FilterSet):
    vendor = IdFilter(field_name="pk", help_text="Vendor id.")
    active = TrueFalseFilter(help_text="Only active (true) or inactive (false) vendors.")
    slug = TextFilter(help_text="The vendor's slug.")

    class Meta:
        model = Vendor
        fields = ["vendor", "active", "slug"]


class ContractFilter(VendorIdFilters):
    class Meta:
        model = Contract
        fields = ["vendor"]


class TechnicianFilter(VendorIdFilters):
    active = TrueFalseFilter()

    class Meta:
        model = Technician
        fields = ["vendor", "active"]


class InvoiceFilter(ContractIdFilters):
    period_from = filters.DateFilter(
        field_name="period_start", lookup_expr="gte", help_text="Invoiced months from this day."
    )
    period_to = filters.DateFilter(
        field_name="period_start", lookup_expr="lte", help_text="Invoiced months up to this day."
    )
    updated_since = UpdatedSinceFilter(
        method=None,
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only invoices recorded or changed at or after this time (ISO 8601 with its "
        "offset, e.g. 2026-11-16T10:00:00+00:00).",
    )

    class Meta:
        model = Invoice
        fields = ["vendor", "contract", "period_from", "period_to"]
