"""REST API v1 on security audits and their findings, read-only for every role (a vendor's user
its own vendor's). A finding carries its fix reports; an evidence file is never in the answer,
only the URL of the download page, which checks access again."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import QuerySet
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import serializers

from assurance.models import AuditKind, Finding, FindingFix, FindingStatus, SecurityAudit, Severity
from assurance.selectors import audits_for_api, findings_for_api, is_overdue, overdue_q
from common.api import FORMAT_PARAMETER, VISIBILITY, ExportMixin
from common.filters import (
    ContractIdFilters,
    IdFilter,
    TextFilter,
    TrueFalseFilter,
    UpdatedSinceFilter,
)
from common.pages import reporting_today
from common.viewsets import VisibleReadViewSet


def _updated_since(what: str) -> UpdatedSinceFilter:
    return UpdatedSinceFilter(
        method=None,
        field_name="updated_at",
        lookup_expr="gte",
        help_text=f"Only {what} recorded or changed at or after this time (ISO 8601 with its "
        "offset, e.g. 2026-11-16T10:00:00+00:00).",
    )


# --- audits ---------------------------------------------------------------------------------------


class SecurityAuditFilter(ContractIdFilters):
    kind = filters.ChoiceFilter(choices=AuditKind.choices)
    reference = TextFilter(help_text="The auditor's or scanner's report reference.")
    held_from = filters.DateFilter(
        field_name="held_on", lookup_expr="gte", help_text="Held on or after this day."
    )
    held_to = filters.DateFilter(
        field_name="held_on", lookup_expr="lte", help_text="Held on or before this day."
    )
    updated_since = _updated_since("audits")

    class Meta:
        model = SecurityAudit
        fields = ["vendor", "contract", "kind", "reference"]


class SecurityAuditOut(serializers.ModelSerializer):
    vendor = serializers.IntegerField(source="vendor_id", help_text="Vendor id.")
    vendor_name = serializers.CharField(source="vendor.name")
    contract = serializers.IntegerField(
        source="contract_id", allow_null=True, help_text="Contract id (null: none named)."
    )
    findings = serializers.IntegerField(source="findings_total", help_text="Its findings.")

    class Meta:
        model = SecurityAudit
        fields = [
            "id",
            "vendor",
            "vendor_name",
            "contract",
            "held_on",
            "kind",
            "scope",
            "auditor",
            "reference",
            "notes",
            "findings",
            "created_at",
            "updated_at",
        ]


@extend_schema_view(
    list=extend_schema(
        summary="List security audits",
        description="Security audits, newest first, with how many findings each has. "
        "`?format=csv|xlsx` downloads them." + VISIBILITY,
        parameters=[FORMAT_PARAMETER],
    ),
    retrieve=extend_schema(summary="One security audit", description="An audit." + VISIBILITY),
)
class SecurityAuditViewSet(ExportMixin, VisibleReadViewSet):
    serializer_class = SecurityAuditOut
    filterset_class = SecurityAuditFilter
    visible_to = staticmethod(audits_for_api)
    lookup_value_regex = "[0-9]+"
    last_modified_field = "updated_at"
    export_name = "security-audits"

    def export_table(self, items: list[SecurityAudit]):
        columns = list(SecurityAuditOut().fields)
        rows = [[row[c] for c in columns] for row in SecurityAuditOut(items, many=True).data]
        return columns, rows


# --- findings -------------------------------------------------------------------------------------


class FindingFilter(ContractIdFilters):
    audit = IdFilter(field_name="audit_id", help_text="Security audit id.")
    severity = filters.ChoiceFilter(choices=Severity.choices)
    status = filters.ChoiceFilter(choices=FindingStatus.choices)
    reference = TextFilter(help_text="The scanner's or auditor's id for it.")
    overdue = TrueFalseFilter(
        method="filter_overdue",
        help_text="true: past its due date today, not verified fixed and not reported fixed by "
        "its due date; false: the others.",
    )
    raised_from = filters.DateFilter(
        field_name="raised_on", lookup_expr="gte", help_text="Raised on or after this day."
    )
    raised_to = filters.DateFilter(
        field_name="raised_on", lookup_expr="lte", help_text="Raised on or before this day."
    )
    updated_since = _updated_since("findings (a fix reported, verified or rejected included)")

    class Meta:
        model = Finding
        fields = ["vendor", "contract", "audit", "severity", "status", "reference"]

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        overdue = overdue_q(reporting_today())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


class FindingFixOut(serializers.ModelSerializer):
    reported_by = serializers.CharField(
        source="reported_by.get_username", allow_null=True, default=None
    )
    decided_by = serializers.CharField(
        source="decided_by.get_username", allow_null=True, default=None
    )
    evidence_url = serializers.SerializerMethodField(
        help_text="The download page of its evidence file (null: none); it checks access."
    )
    evidence_size = serializers.IntegerField(allow_null=True, help_text="Bytes.")

    class Meta:
        model = FindingFix
        fields = [
            "id",
            "fixed_on",
            "note",
            "reported_by",
            "reported_at",
            "decision",
            "decided_by",
            "decided_at",
            "decision_note",
            "evidence_name",
            "evidence_type",
            "evidence_size",
            "evidence_url",
        ]

    @extend_schema_field({"type": "string", "format": "uri", "nullable": True})
    def get_evidence_url(self, fix: FindingFix) -> str | None:
        if not fix.evidence:
            return None
        url = reverse("fix-evidence", args=[fix.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class FindingOut(serializers.ModelSerializer):
    vendor = serializers.IntegerField(source="vendor_id", help_text="Vendor id.")
    vendor_name = serializers.CharField(source="vendor.name")
    audit = serializers.IntegerField(source="audit_id", help_text="Security audit id.")
    contract = serializers.IntegerField(
        source="contract_id", allow_null=True, help_text="Contract id (null: none named)."
    )
    overdue = serializers.SerializerMethodField(
        help_text="Past its due date today, not verified fixed and not reported fixed by it."
    )
    fixes = FindingFixOut(many=True, help_text="The vendor's fix reports, oldest first.")

    class Meta:
        model = Finding
        fields = [
            "id",
            "vendor",
            "vendor_name",
            "audit",
            "contract",
            "reference",
            "title",
            "description",
            "severity",
            "status",
            "raised_on",
            "due_on",
            "reported_fixed_on",
            "verified_on",
            "overdue",
            "fixes",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_overdue(self, finding: Finding) -> bool:
        return is_overdue(finding, self.context["today"])


EXPORT_FINDING_COLUMNS = (
    *(f for f in FindingOut.Meta.fields if f != "fixes"),
    "fixes_reported",
    "last_fix_decision",
)


@extend_schema_view(
    list=extend_schema(
        summary="List security findings",
        description="Findings of security audits, soonest due first, each with its fix reports "
        "(no evidence file content: `evidence_url` is its download page, which checks access). "
        "`?format=csv|xlsx` downloads them, one row per finding." + VISIBILITY,
        parameters=[FORMAT_PARAMETER],
    ),
    retrieve=extend_schema(summary="One security finding", description="A finding." + VISIBILITY),
)
class FindingViewSet(ExportMixin, VisibleReadViewSet):
    serializer_class = FindingOut
    filterset_class = FindingFilter
    visible_to = staticmethod(findings_for_api)
    lookup_value_regex = "[0-9]+"
    last_modified_field = "updated_at"
    export_name = "findings"
    export_columns = EXPORT_FINDING_COLUMNS

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "today": reporting_today()}

    def export_table(self, items: list[Finding]):
        columns = list(EXPORT_FINDING_COLUMNS)
        data = FindingOut(items, many=True, context=self.get_serializer_context()).data
        rows = []
        for row in data:
            fixes = row["fixes"]
            row["fixes_reported"] = len(fixes)
            row["last_fix_decision"] = fixes[-1]["decision"] if fixes else None
            rows.append([row[c] for c in columns])
        return columns, rows
