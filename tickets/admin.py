from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from tickets.models import (
    AttributionRule,
    ImportRun,
    Outage,
    SourceMapping,
    SurveyResponse,
    Ticket,
    TicketEvent,
)
from tickets.services import ClockBook, ticket_refresh_facts
from vendors.admin import ContractInline, TechnicianInline
from vendors.models import Vendor


class TicketEventInline(admin.TabularInline):
    model = TicketEvent
    fields = ["at", "seq", "kind", "old_value", "new_value", "actor", "by_vendor"]
    extra = 0


class SurveyResponseInline(admin.TabularInline):
    model = SurveyResponse
    extra = 0


FACT_FIELDS = [
    "response_target_minutes",
    "resolution_target_minutes",
    "response_due_at",
    "resolution_due_at",
    "response_seconds",
    "resolution_seconds",
    "resolution_seconds_raw",
    "paused_seconds",
    "response_met",
    "resolution_met",
    "response_outcome_at",
    "resolution_outcome_at",
    "reopen_count",
    "escalated",
    "reassignment_count",
    "reply_count",
    "first_contact_resolution",
    "repeat",
    "facts_computed_at",
]


class TicketForm(forms.ModelForm):
    class Meta:
        model = Ticket
        fields = "__all__"  # noqa: DJ007 - the admin's fieldsets choose the fields

    def clean(self):
        cleaned = super().clean()
        contract, priority = cleaned.get("contract"), cleaned.get("priority")
        if contract and priority:
            # The ticket's clock comes from its contract's policy: refuse a policy that has
            # no target for this priority here, with the field, not as an error on save.
            try:
                ClockBook().targets(contract.sla_policy_id)
            except ValidationError as exc:
                raise ValidationError({"contract": exc.messages}) from None
        return cleaned


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    form = TicketForm
    list_display = [
        "external_id",
        "vendor",
        "priority",
        "status",
        "technician",
        "created_at",
        "resolved_at",
        "response_met",
        "resolution_met",
    ]
    list_filter = [
        "vendor",
        "priority",
        "status",
        "response_met",
        "resolution_met",
        "escalated",
        "first_contact_resolution",
        "repeat",
        "channel",
        "source",
    ]
    search_fields = ["external_id", "title", "requester", "category"]
    date_hierarchy = "created_at"
    list_select_related = ["vendor", "technician"]
    raw_id_fields = ["technician", "contract"]
    # Counting a million rows on every page view is the slow part of the admin list.
    show_full_result_count = False
    readonly_fields = FACT_FIELDS
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "source",
                    "external_id",
                    "source_version",
                    "vendor",
                    "contract",
                    "technician",
                    "priority",
                    "category",
                    "requester",
                    "channel",
                    "status",
                    "title",
                ]
            },
        ),
        ("Times", {"fields": ["created_at", "first_response_at", "resolved_at", "closed_at"]}),
        ("SLA facts (derived)", {"fields": FACT_FIELDS}),
        (
            "As the source reported",
            {
                "fields": [
                    "source_sla_met",
                    "source_fcr",
                    "source_reopen_count",
                    "source_reassignment_count",
                ]
            },
        ),
    ]
    inlines = [TicketEventInline, SurveyResponseInline]

    def save_model(self, request, obj, form, change):
        # Facts are derived before the first write (their columns are required), and again
        # once the inline events are saved, in save_related.
        ticket_refresh_facts(ticket=obj)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        ticket_refresh_facts(ticket=form.instance)


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ["ticket", "score", "scale", "answered_at"]
    list_filter = ["scale", "score"]
    search_fields = ["ticket__external_id", "comment"]
    date_hierarchy = "answered_at"
    raw_id_fields = ["ticket"]
    show_full_result_count = False


@admin.register(Outage)
class OutageAdmin(admin.ModelAdmin):
    list_display = [
        "service",
        "vendor",
        "started_at",
        "ended_at",
        "vendor_caused",
        "scheduled_maintenance",
    ]
    list_filter = ["vendor", "vendor_caused", "scheduled_maintenance"]
    search_fields = ["service", "description"]
    date_hierarchy = "started_at"


# --- imports ------------------------------------------------------------------------------------


@admin.register(AttributionRule)
class AttributionRuleAdmin(admin.ModelAdmin):
    list_display = ["source", "value", "vendor", "contract", "created_at"]
    list_filter = ["source", "vendor"]
    search_fields = ["source", "value", "vendor__name"]
    list_select_related = ["vendor", "contract"]
    autocomplete_fields = ["vendor", "contract"]

    def get_changeform_initial_data(self, request):
        # The import report links here with ?source=..&value=.. for an unmapped value.
        return {k: request.GET[k] for k in ("source", "value") if k in request.GET}


class AttributionRuleInline(admin.TabularInline):
    """On a vendor: the source values attributed to it."""

    model = AttributionRule
    fields = ["source", "value", "contract"]
    extra = 0


# Here rather than in vendors/admin.py: a vendor's page shows its attribution rules, which
# are the tickets app's (a lower app never imports a higher one).
@admin.register(Vendor)
class VendorAdmin(admin.ModelAdmin):
    list_display = ["name", "contact_name", "contact_email", "active"]
    list_filter = ["active"]
    search_fields = ["name", "contact_name", "contact_email"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ContractInline, TechnicianInline, AttributionRuleInline]


@admin.register(SourceMapping)
class SourceMappingAdmin(admin.ModelAdmin):
    list_display = ["source", "format", "updated_at", "rules"]
    list_filter = ["format"]
    search_fields = ["source"]

    @admin.display(description="Attribution rules")
    def rules(self, obj: SourceMapping) -> str:
        count = AttributionRule.objects.filter(source=obj.source).count()
        url = (
            reverse("admin:tickets_attributionrule_changelist")
            + "?"
            + urlencode({"source": obj.source})
        )
        return format_html('<a href="{}">{}</a>', url, count)


@admin.register(ImportRun)
class ImportRunAdmin(admin.ModelAdmin):
    """Runs are written by imports only: shown, never edited."""

    list_display = [
        "created_at",
        "source",
        "format",
        "file_name",
        "status",
        "tickets_created",
        "tickets_updated",
        "tickets_unchanged",
        "tickets_rejected",
        "tickets_unmapped",
        "seconds",
    ]
    list_filter = ["status", "format", "source"]
    search_fields = ["source", "file_name", "failure"]
    date_hierarchy = "created_at"
    list_select_related = ["created_by"]
    fields = [
        ("source", "format", "file_name"),
        ("status", "created_by"),
        ("created_at", "started_at", "finished_at", "seconds"),
        ("progress", "rows_read"),
        (
            "tickets_created",
            "tickets_updated",
            "tickets_unchanged",
            "tickets_rejected",
            "tickets_unmapped",
        ),
        "failure",
        "unmapped_values",
        "rejected_rows",
        "notes",
    ]
    readonly_fields = [f for row in fields for f in (row if isinstance(row, tuple) else (row,))]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Unmapped values (tickets)")
    def unmapped_values(self, obj: ImportRun) -> str:
        add = reverse("admin:tickets_attributionrule_add")
        rows = [
            (
                value or "(empty)",
                count,
                add + "?" + urlencode({"source": obj.source, "value": value}),
            )
            for value, count in obj.unmapped.items()
        ]
        return (
            format_html_join("\n", '<div>{} <b>{}</b> <a href="{}">map it</a></div>', rows) or "-"
        )

    @admin.display(description="Rejected rows (the first 1,000)")
    def rejected_rows(self, obj: ImportRun) -> str:
        rows = [
            (e["row"], e["column"] or "-", e["external_id"] or "-", e["reason"]) for e in obj.errors
        ]
        return format_html_join("\n", "<div>row {}, column {}, ticket {}: {}</div>", rows) or "-"
