"""Reads for the import pages: runs newest first, one run, and where a source's values go."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from tickets.models import AttributionRule, ImportRun, SourceMapping

# The report lists at most this many unmapped values; the rest are counted.
UNMAPPED_SHOWN = 200


def import_runs_recent() -> QuerySet[ImportRun]:
    """Every run, newest first, without the long JSON columns (the list shows counts)."""
    return (
        ImportRun.objects.select_related("created_by")
        .defer("errors", "unmapped", "notes", "options")
        .order_by("-created_at", "-pk")
    )


def import_run_get(*, run_id: int) -> ImportRun:
    """The run, or 404."""
    return get_object_or_404(ImportRun.objects.select_related("created_by"), pk=run_id)


def import_run_progress_get(*, run_id: int) -> ImportRun:
    """Only the columns the progress bar polls for (cheap to ask every second), or 404."""
    return get_object_or_404(
        ImportRun.objects.only(
            "status",
            "queued_at",
            "progress",
            "rows_read",
            "rows_total",
            "tickets_created",
            "tickets_updated",
            "tickets_unchanged",
            "tickets_rejected",
            "tickets_unmapped",
            "failure",
        ),
        pk=run_id,
    )


def attribution_targets_of(*, source: str) -> dict[str, str]:
    """The source's value -> the vendor (and contract) it is attributed to; `*` catches all."""
    return {
        rule.value: f"{rule.vendor.name} · {rule.contract.name}"
        for rule in AttributionRule.objects.filter(source=source).select_related(
            "vendor", "contract"
        )
    }


def source_mappings_all() -> list[SourceMapping]:
    """The sources imported before, to suggest their names on the upload form."""
    return list(SourceMapping.objects.order_by("source").only("source", "format"))


def source_mapping_options(*, source: str, format: str) -> dict:
    """The reader options saved for the source if it was read in this format, else {}."""
    saved = SourceMapping.objects.filter(source=source, format=format).only("options").first()
    return dict(saved.options) if saved is not None else {}
