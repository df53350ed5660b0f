from __future__ import annotations

from django.contrib import admin

from scorecards.models import (
    ActionItem,
    Alert,
    ClosedPeriod,
    Dispute,
    MetricValue,
    PackDelivery,
    Restatement,
    ReviewMeeting,
    Scorecard,
)


@admin.register(MetricValue)
class MetricValueAdmin(admin.ModelAdmin):
    list_display = [
        "metric",
        "subject_kind",
        "subject_id",
        "period_kind",
        "period_start",
        "value",
        "sample_size",
        "low_sample",
    ]
    list_filter = ["vendor", "subject_kind", "period_kind", "metric", "low_sample"]
    date_hierarchy = "period_start"
    show_full_result_count = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # figures are computed, never edited


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    list_display = [
        "vendor",
        "subject_kind",
        "subject_id",
        "period_kind",
        "period_start",
        "score",
        "grade",
    ]
    list_filter = ["vendor", "subject_kind", "period_kind", "grade"]
    date_hierarchy = "period_start"
    show_full_result_count = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Dispute)
class DisputeAdmin(admin.ModelAdmin):
    list_display = ["ticket", "target", "status", "raised_by", "raised_at", "decided_by"]
    list_filter = ["status", "target"]
    search_fields = ["ticket__external_id", "reason"]
    raw_id_fields = ["ticket"]


@admin.register(ClosedPeriod)
class ClosedPeriodAdmin(admin.ModelAdmin):
    list_display = ["vendor", "period_start", "closed_at", "closed_by", "reopened_at"]
    list_filter = ["vendor"]


@admin.register(Restatement)
class RestatementAdmin(admin.ModelAdmin):
    list_display = [
        "metric",
        "vendor",
        "subject_kind",
        "period_start",
        "old_value",
        "new_value",
        "restated_by",
        "restated_at",
    ]
    list_filter = ["vendor", "metric"]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ["ticket", "vendor", "target", "threshold", "due_at", "created_at", "emailed_at"]
    list_filter = ["vendor", "target", "threshold"]
    raw_id_fields = ["ticket"]


@admin.register(ReviewMeeting)
class ReviewMeetingAdmin(admin.ModelAdmin):
    list_display = ["vendor", "month", "held_on", "updated_at", "updated_by"]
    list_filter = ["vendor"]
    date_hierarchy = "month"
    readonly_fields = ["created_at", "created_by", "updated_at", "updated_by"]


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ["title", "vendor", "raised_month", "owner_name", "due_on", "status"]
    list_filter = ["vendor", "status", "vendor_owned"]
    search_fields = ["title", "owner_name", "notes"]
    readonly_fields = ["created_at", "created_by", "updated_at", "updated_by"]


@admin.register(PackDelivery)
class PackDeliveryAdmin(admin.ModelAdmin):
    list_display = ["vendor", "month", "sent_at", "error"]
    list_filter = ["vendor"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a record of what was sent
