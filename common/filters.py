"""Filter pieces shared by the apps' FilterSets."""

from __future__ import annotations

import datetime as dt

import django_filters as filters
from django import forms
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

BIGINT_MAX = 2**63 - 1


# Documented as enforced: a whole number from 1 (spectacular would say "number" otherwise).
@extend_schema_field({"type": "integer", "format": "int64", "minimum": 1, "maximum": BIGINT_MAX})
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


class AwareIsoDateTimeField(UtcIsoDateTimeField):
    """A UtcIsoDateTimeField refusing a time without its offset: a pull's "since" must not
    depend on the server's time zone."""

    def to_python(self, value):
        if value not in self.empty_values and isinstance(value, str):
            try:
                naive = dt.datetime.fromisoformat(value.strip()).tzinfo is None
            except ValueError:
                naive = False  # the parent's message names the format
            if naive:
                raise forms.ValidationError(
                    "Give the time with its offset, e.g. 2026-11-16T10:00:00+00:00."
                )
        return super().to_python(value)


class UpdatedSinceFilter(UtcIsoDateTimeFilter):
    """`updated_since`: the rows computed, restated or closed at or after this time. The
    FilterSet says how (filter_updated_since), since a figure's changes live in several tables."""

    field_class = AwareIsoDateTimeField

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("method", "filter_updated_since")
        kwargs.setdefault(
            "help_text",
            "Only rows computed, restated or closed at or after this time (ISO 8601 with "
            "its offset, e.g. 2026-11-16T10:00:00+00:00): a pull of what changed since the last.",
        )
        super().__init__(*args, **kwargs)


class TrueFalseField(forms.NullBooleanField):
    """true or false, as documented; anything else is refused, never read as "no filter"."""

    widget = forms.TextInput  # the raw text: NullBooleanSelect reads "maybe" as no value

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().lower()
        if text == "true":
            return True
        if text == "false":
            return False
        raise forms.ValidationError("Give true or false.")


@extend_schema_field(OpenApiTypes.BOOL)  # a boolean even with a `method`
class TrueFalseFilter(filters.BooleanFilter):
    field_class = TrueFalseField


# Some non-space character, and no NUL (which Django's CharField refuses).
TEXT_PATTERN = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"


@extend_schema_field({"type": "string", "minLength": 1, "pattern": TEXT_PATTERN})
class TextFilter(filters.CharFilter):
    """Free text, never blank (a blank value is refused: see common.strict)."""


# A period label as the filters take it (weeks up to 52: a 53rd exists only in some years).
PERIOD_LABEL_PATTERN = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2]|W(0[1-9]|[1-4][0-9]|5[0-2])|Q[1-4])$"


class PeriodLabelField(forms.RegexField):
    def __init__(self, **kwargs) -> None:
        kwargs.setdefault(
            "error_messages", {"invalid": "Give a period: 2026-10, 2026-W43 or 2026-Q3."}
        )
        super().__init__(PERIOD_LABEL_PATTERN, **kwargs)


@extend_schema_field({"type": "string", "pattern": PERIOD_LABEL_PATTERN})
class PeriodLabelFilter(filters.CharFilter):
    """A period by label, exactly as documented: 2026-10, 2026-W43 or 2026-Q3."""

    field_class = PeriodLabelField


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
