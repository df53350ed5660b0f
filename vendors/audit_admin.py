"""The audit trail in the admin: read-only, for managers who prefer the admin's search.

Registered from VendorsConfig.ready() (vendors/admin.py belongs to the vendor models' pages).
"""

from __future__ import annotations

from django.contrib import admin

from vendors.models import AuditEntry
from vendors.selectors import user_may_manage


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "object_repr"]
    list_filter = ["object_type", "action"]
    search_fields = ["object_repr", "actor", "object_id"]
    date_hierarchy = "at"
    list_select_related = False
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_view_permission(self, request, obj=None) -> bool:
        # Finance's group holds every view_ permission; the trail is for managers only.
        return user_may_manage(request.user)

    def has_module_permission(self, request) -> bool:
        return user_may_manage(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
