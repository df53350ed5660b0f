"""django-filter FilterSets of the vendor endpoints: they only narrow a visible queryset."""

from __future__ import annotations

import django_filters as filters

from common.filters import ContractIdFilters, IdFilter, VendorIdFilters
from vendors.models import Contract, Invoice, Technician, Vendor


class VendorFilter(filters.FilterSet):
    vendor = IdFilter(field_name="pk", help_text="Vendor id.")
    active = filters.BooleanFilter(help_text="Only active (true) or inactive (false) vendors.")
    slug = filters.CharFilter(help_text="The vendor's slug.")

    class Meta:
        model = Vendor
        fields = ["vendor", "active", "slug"]


class ContractFilter(VendorIdFilters):
    class Meta:
        model = Contract
        fields = ["vendor"]


class TechnicianFilter(VendorIdFilters):
    active = filters.BooleanFilter()

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

    class Meta:
        model = Invoice
        fields = ["vendor", "contract", "period_from", "period_to"]
