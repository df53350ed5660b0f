from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from vendors import sla
from vendors.models import (
    BusinessCalendar,
    Contract,
    CreditTier,
    Holiday,
    Invoice,
    OpenInterval,
    Priority,
    ScoreWeight,
    SlaPolicy,
    SlaTarget,
    Technician,
    VendorMembership,
)


def _live_forms(formset):
    return [
        f
        for f in formset.forms
        if f.cleaned_data and not f.cleaned_data.get("DELETE") and f not in formset.deleted_forms
    ]


class OpenIntervalFormSet(BaseInlineFormSet):
    """Checks the week as a whole: no overlaps, and at least some open time."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        hours = tuple(
            (f.cleaned_data["weekday"], f.cleaned_data["start"], f.cleaned_data["end"])
            for f in _live_forms(self)
        )
        try:
            sla.BusinessCalendar(self.instance.time_zone or "UTC", hours)
        except sla.CalendarError as exc:
            raise ValidationError(f"Open hours: {exc}") from None


class OpenIntervalInline(admin.TabularInline):
    model = OpenInterval
    formset = OpenIntervalFormSet
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "holiday_country", "holiday_subdivision", "weekly_hours"]
    list_filter = ["time_zone", "holiday_country"]
    search_fields = ["name"]
    inlines = [OpenIntervalInline, HolidayInline]

    @admin.display(description="Open hours a week")
    def weekly_hours(self, obj: BusinessCalendar) -> str:
        seconds = 0
        for i in obj.open_intervals.all():
            end = dt.timedelta(days=1) if i.end == dt.time(0) else _td(i.end)
            seconds += int((end - _td(i.start)).total_seconds())
        return f"{seconds / 3600:g} h"


def _td(t: dt.time) -> dt.timedelta:
    return dt.timedelta(hours=t.hour, minutes=t.minute, seconds=t.second)


class SlaTargetFormSet(BaseInlineFormSet):
    """A policy needs a target for every priority, or tickets of the missing one have no clock."""

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        present = {f.cleaned_data["priority"] for f in _live_forms(self)}
        missing = [p for p in Priority.values if p not in present]
        if missing:
            raise ValidationError(f"Targets: add a target for {', '.join(missing)}.")


class SlaTargetInline(admin.TabularInline):
    model = SlaTarget
    formset = SlaTargetFormSet
    fk_name = "policy"
    extra = 0
    min_num = 4
    autocomplete_fields = ["calendar"]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "calendar", "pause_statuses", "warning_minutes"]
    list_filter = ["calendar"]
    search_fields = ["name"]
    autocomplete_fields = ["calendar"]
    inlines = [SlaTargetInline]


class ScoreWeightInline(admin.TabularInline):
    model = ScoreWeight
    extra = 0


class CreditTierInline(admin.TabularInline):
    model = CreditTier
    extra = 0


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "vendor",
        "start_date",
        "end_date",
        "monthly_fee",
        "currency",
        "sla_policy",
    ]
    list_filter = ["vendor", "currency", "sla_policy"]
    search_fields = ["name", "reference", "vendor__name"]
    date_hierarchy = "start_date"
    autocomplete_fields = ["vendor", "sla_policy"]
    inlines = [ScoreWeightInline, CreditTierInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "vendor",
                    "name",
                    "reference",
                    ("start_date", "end_date"),
                    "sla_policy",
                    ("monthly_fee", "currency"),
                    "inhouse_monthly_cost",
                    "target_cost_per_ticket",
                    "credit_cap_pct",
                ]
            },
        ),
        (
            "Security",
            {
                "fields": [
                    "audit_cadence_months",
                    (
                        "remediation_days_critical",
                        "remediation_days_high",
                        "remediation_days_medium",
                        "remediation_days_low",
                    ),
                ],
                "description": "Remediation days: calendar days a finding of each severity "
                "has to be fixed in, from the day it is raised.",
            },
        ),
    ]


class ContractInline(admin.TabularInline):
    model = Contract
    fields = ["name", "start_date", "end_date", "monthly_fee", "currency", "sla_policy"]
    show_change_link = True
    extra = 0


class TechnicianInline(admin.TabularInline):
    model = Technician
    fields = ["name", "email", "external_ref", "active"]
    extra = 0


@admin.register(Technician)
class TechnicianAdmin(admin.ModelAdmin):
    list_display = ["name", "vendor", "email", "external_ref", "active"]
    list_filter = ["vendor", "active"]
    search_fields = ["name", "email", "external_ref"]
    list_select_related = ["vendor"]


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["vendor", "contract", "period_start", "amount", "currency", "reference"]
    list_filter = ["vendor", "currency"]
    search_fields = ["reference", "vendor__name", "contract__name"]
    date_hierarchy = "period_start"
    list_select_related = ["vendor", "contract"]
    autocomplete_fields = ["vendor", "contract"]


@admin.register(VendorMembership)
class VendorMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "vendor"]
    list_filter = ["vendor"]
    search_fields = ["user__username", "vendor__name"]
    autocomplete_fields = ["vendor"]
    raw_id_fields = ["user"]
