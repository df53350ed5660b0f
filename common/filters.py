"""Filter pieces shared by the apps' FilterSets."""

from __future__ import annotations

import datetime as dt

import django_filters as filters
from django import forms

BIGINT_MAX = 2**63 - 1


class IdFilter(filters.NumberFilter):
    """An object id: a whole number the database can hold (else a 400 naming the filter,
    never an overflow deep in the database driver)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)


class UtcIsoDateTimeField(filters.fields.IsoDateTimeField):
    """An ISO 8601 time turned into UTC here, so an odd offset (-21:08 is valid ISO) never
    reaches a database that only takes offsets up to 15:59."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError:
            raise forms.ValidationError("The time is out of range.") from None


class UtcIsoDateTimeFilter(filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class VendorIdFilters(filters.FilterSet):
    """`vendor`: the rows of one vendor, by its id (on the rows' own vendor)."""

    vendor = IdFilter(field_name="vendor_id", help_text="Vendor id.")


class ContractIdFilters(VendorIdFilters):
    """`vendor` and `contract`, by their ids (on the rows' own vendor and contract)."""

    contract = IdFilter(field_name="contract_id", help_text="Contract id.")


class TicketIdFilters(filters.FilterSet):
    """`vendor` and `ticket` of rows about a ticket: the vendor is the ticket's."""

    vendor = IdFilter(field_name="ticket__vendor_id", help_text="Vendor id.")
    ticket = IdFilter(field_name="ticket_id", help_text="Ticket id.")
