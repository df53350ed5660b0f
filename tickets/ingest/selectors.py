"""Reads for imports: saved source mappings, rules and runs."""

from __future__ import annotations

from django.db.models import QuerySet

from tickets.models import AttributionRule, ImportRun, SourceMapping


def source_mapping_get(*, source: str) -> SourceMapping | None:
    return SourceMapping.objects.filter(source=source).first()


def attribution_rules_of(*, source: str) -> QuerySet[AttributionRule]:
    return AttributionRule.objects.filter(source=source).select_related("vendor", "contract")


def import_runs_of(*, source: str) -> QuerySet[ImportRun]:
    return ImportRun.objects.filter(source=source).order_by("-created_at")
