"""Admin of security audits, findings and deliverables: read-only. Their writes go through
the pages and services, which check them, keep evidence files with their rows and mark the
months they touch for recompute; an admin save would do none of that."""

from __future__ import annotations

from django.contrib import admin

from assurance.models import Deliverable, Finding, FindingFix, SecurityAudit


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(SecurityAudit)
class SecurityAuditAdmin(ReadOnlyAdmin):
    list_display = ("vendor", "held_on", "kind", "scope", "auditor", "reference")
    list_filter = ("kind", "vendor")
    search_fields = ("scope", "auditor", "reference")
    date_hierarchy = "held_on"


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ("title", "vendor", "severity", "status", "raised_on", "due_on")
    list_filter = ("severity", "status", "vendor")
    search_fields = ("title", "reference")
    date_hierarchy = "raised_on"


@admin.register(FindingFix)
class FindingFixAdmin(ReadOnlyAdmin):
    list_display = ("finding", "fixed_on", "decision", "reported_by", "reported_at")
    list_filter = ("decision",)
    # The file is shown by its name only: its storage has no public URL (the findings page's
    # download link checks access).
    exclude = ("evidence",)


@admin.register(Deliverable)
class DeliverableAdmin(ReadOnlyAdmin):
    list_display = ("title", "vendor", "kind", "planned_on", "replanned_on", "delivered_on")
    list_filter = ("kind", "vendor")
    search_fields = ("title", "reference")
    date_hierarchy = "planned_on"
