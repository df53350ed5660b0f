"""Import pages (managers only): the runs, an upload with its mapping and preview, then the
run's progress bar and report. The import itself is a Celery task (tickets.tasks)."""

from __future__ import annotations

import csv
import io
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods

from common.exports import neutralise
from common.pages import add_service_errors, page_for
from common.roles import MANAGER
from tickets import tasks
from tickets.ingest import services
from tickets.ingest import services_guided as guided
from tickets.ingest.mapping import FIELDS
from tickets.ingest.records import RowError
from tickets.ingest.run_selectors import (
    UNMAPPED_SHOWN,
    attribution_targets_of,
    import_run_get,
    import_run_progress_get,
    import_runs_recent,
    source_mapping_options,
    source_mappings_all,
)
from tickets.models import ImportRun
from tickets.views.import_forms import MappingForm, UploadForm

RUNS_PER_PAGE = 25
# Cells a spreadsheet would run as a formula start with one of these; they get a leading '.


@page_for(MANAGER)
@require_GET
def imports_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(import_runs_recent(), RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "tickets/imports/list.html", {"page": page})


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def import_new(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            run = services.import_run_create(
                upload=form.cleaned_data["file"],
                source=form.cleaned_data["source"],
                format=form.cleaned_data["format"],
                options=form.options(),
                user=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if run.format == "mapped":
                return redirect("import-mapping", run_id=run.pk)
            return redirect("import-preview", run_id=run.pk)
    return render(
        request, "tickets/imports/new.html", {"form": form, "sources": source_mappings_all()}
    )


def _pending(request: HttpRequest, run: ImportRun) -> HttpResponse | None:
    """Where to go instead when the run has already started (its mapping and preview are fixed)."""
    if run.status != ImportRun.Status.PENDING or run.queued_at is not None:
        return redirect("import-detail", run_id=run.pk)
    return None


def _answers(data, saved: dict | None) -> dict:
    """The answers to pass the guesser: the columns and time format posted, else the saved
    mapping's (with its spellings); none for a first visit."""
    if data:
        return {
            "columns": {f: data.get(f"col_{f}", "") for f in FIELDS},
            "time_format": (data.get("time_pattern") or data.get("time_format") or "").strip()
            or None,
        }
    if saved:
        return {
            "columns": {f: saved.get("columns", {}).get(f, "") for f in FIELDS},
            "time_format": saved.get("time_format") or None,
            "values": {
                "priority": saved.get("priorities", {}),
                "status": saved.get("statuses", {}),
                "channel": saved.get("channels", {}),
            },
        }
    return {}


def _mapping_problem(request: HttpRequest, run: ImportRun, problem: str) -> HttpResponse:
    form = MappingForm(columns=[])
    context = {"run": run, "form": form, "columns": [], "problem": problem}
    return render(request, "tickets/imports/mapping.html", context)


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def import_mapping(request: HttpRequest, run_id: int) -> HttpResponse:
    run = import_run_get(run_id=run_id)
    if run.format != "mapped":
        return redirect("import-preview", run_id=run.pk)
    if elsewhere := _pending(request, run):
        return elsewhere
    try:
        sample = guided.upload_sample(run=run)
        guessed = guided.sample_guess(sample)  # the guesser's own view, for its reasons
    except ValueError as exc:  # FormatError too
        return _mapping_problem(request, run, str(exc))
    saved = run.options.get("mapping") or source_mapping_options(
        source=run.source, format="mapped"
    ).get("mapping")
    answers = _answers(request.POST if request.method == "POST" else None, saved)
    try:
        current = guided.sample_guess(sample, **answers) if answers else guessed
    except ValueError:
        current = guessed
    team_column = current.column("attribution")
    teams = [(t, n) for t, n in sample.counts(team_column) if t]
    form = MappingForm(
        request.POST or None,
        columns=sample.header,
        guess=current,
        teams=teams,
        contracts=guided.contracts_to_attribute(),
        initial=MappingForm.initial_for(
            saved,
            sample.header,
            guess=guessed,
            teams=guided.team_suggestions(source=run.source, teams=[t for t, _ in teams]),
        ),
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.import_run_set_mapping(run=run, mapping=form.mapping())
                if choices := form.team_choices():
                    guided.team_rules_set(
                        source=run.source,
                        choices=choices,
                        start_date=guided.earliest_created(run=run),
                        template_key=form.cleaned_data["new_vendor_template"]
                        or guided.DEFAULT_TEMPLATE,
                    )
        except ValidationError as exc:
            run.refresh_from_db()
            add_service_errors(form, exc)
        else:
            return redirect("import-preview", run_id=run.pk)
    rows = [
        {
            "name": name,
            "required": required,
            "field": field,
            "guess": guessed.columns[name],
            "samples": sample.column_values(current.column(name)),
        }
        for name, required, field in form.field_rows
    ]
    return render(
        request,
        "tickets/imports/mapping.html",
        {
            "run": run,
            "form": form,
            "columns": sample.header,
            "column_samples": [(c, sample.column_values(c)) for c in sample.header if c],
            "field_rows": rows,
            "time_guess": guessed.time,
            "time_question": not guessed.time.format and not current.time.format,
            "status_derived": not current.column("status"),
            "value_groups": [(g, form.value_rows[g]) for g in form.value_rows],
            "team_column": team_column,
            "sample_rows": len(sample.rows),
            "sample_more": sample.more,
            # (group, its spelling fields, the values of its column in the file)
            "spelling_groups": [
                (g, fields, sorted(v.value for v in current.values.get(g, [])))
                for g, fields in form.spelling_groups
            ],
        },
    )


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def import_preview(request: HttpRequest, run_id: int) -> HttpResponse:
    run = import_run_get(run_id=run_id)
    if elsewhere := _pending(request, run):
        return elsewhere
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "discard":
                services.import_run_discard(run=run)
                messages.info(request, f"The upload {run.file_name} was discarded.")
                return redirect("imports")
            if action == "start":
                if services.import_run_claim(run=run):
                    run_id = run.pk
                    transaction.on_commit(lambda: tasks.import_run_execute.delay(run_id))
                return redirect("import-detail", run_id=run.pk)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("import-preview", run_id=run.pk)
    if run.format == "mapped" and "mapping" not in run.options:
        return redirect("import-mapping", run_id=run.pk)
    preview = services.import_run_preview(run=run)
    zone = _file_zone(run)
    targets = attribution_targets_of(source=run.source)
    rows = []
    for record in preview.records:
        if isinstance(record, RowError):
            rows.append({"error": record})
            continue
        target = targets.get(record.attribution) or targets.get("*")
        rows.append(
            {
                "ticket": record,
                "rows": (record.row, record.last_row or record.row),
                "target": target,
                "events": len(record.events),
                # as text: the date filter would turn an aware time back to the site's zone
                "created_local": _local(record.created_at, zone),
                "resolved_local": _local(record.resolved_at, zone),
            }
        )
    mapping = run.options.get("mapping") or {}
    return render(
        request,
        "tickets/imports/preview.html",
        {
            "run": run,
            "preview": preview,
            "rows": rows,
            "preview_size": services.PREVIEW_ROWS,
            "zone_name": zone.key,
            "status_derived": run.format == "mapped"
            and not (mapping.get("columns") or {}).get("status"),
        },
    )


def _file_zone(run: ImportRun) -> ZoneInfo:
    """The zone the file's times are written in (shown beside UTC in the preview)."""
    name = (run.options.get("mapping") or {}).get("time_zone") or run.options.get("time_zone")
    try:
        return ZoneInfo(name or "UTC")
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _local(moment, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def _percent(run: ImportRun) -> float | None:
    if run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED):
        return 100.0
    if run.status == ImportRun.Status.PENDING or not run.rows_total:
        return None if run.status == ImportRun.Status.RUNNING else 0.0
    return round(min(100.0, 100.0 * run.rows_read / run.rows_total), 1)


def _message(run: ImportRun) -> str:
    if run.status == ImportRun.Status.PENDING:
        return "Queued: waiting for a worker to start the import."
    if run.status == ImportRun.Status.RUNNING:
        of = f" of about {run.rows_total:,}" if run.rows_total else ""
        return f"Importing: {run.rows_read:,}{of} rows read."
    if run.status == ImportRun.Status.FAILED:
        return f"Failed: {run.failure}"
    return f"Done: {run.rows_read:,} rows read."


COUNTS = (
    "rows_read",
    "tickets_created",
    "tickets_updated",
    "tickets_unchanged",
    "tickets_rejected",
    "tickets_unmapped",
)


@page_for(MANAGER)
@require_GET
def import_progress(request: HttpRequest, run_id: int) -> JsonResponse:
    """What the progress bar polls: status, percent (None while the size is unknown), counts."""
    run = import_run_progress_get(run_id=run_id)
    return JsonResponse(
        {
            "status": run.status,
            "finished": run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED),
            "percent": _percent(run),
            "message": _message(run),
            "counts": {name: getattr(run, name) for name in COUNTS},
        },
        headers={"Cache-Control": "no-store"},
    )


@page_for(MANAGER)
@require_GET
def import_detail(request: HttpRequest, run_id: int) -> HttpResponse:
    run = import_run_get(run_id=run_id)
    if run.status == ImportRun.Status.PENDING and run.queued_at is None and run.upload:
        return redirect("import-preview", run_id=run.pk)
    finished = run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED)
    add_rule = reverse("admin:tickets_attributionrule_add")
    unmapped = [
        {
            "value": value,
            "count": count,
            "map_url": add_rule + "?" + urlencode({"source": run.source, "value": value}),
        }
        for value, count in list(run.unmapped.items())[:UNMAPPED_SHOWN]
    ]
    return render(
        request,
        "tickets/imports/detail.html",
        {
            "run": run,
            "finished": finished,
            "percent": _percent(run),
            "message": _message(run),
            "unmapped": unmapped,
            "unmapped_more": max(len(run.unmapped) - UNMAPPED_SHOWN, 0),
            "errors_listed": len(run.errors),
        },
    )


@page_for(MANAGER)
@require_GET
def import_errors_csv(request: HttpRequest, run_id: int) -> HttpResponse:
    """The rejected rows the run kept (the first 1000), as CSV."""
    run = import_run_get(run_id=run_id)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["row", "column", "reason", "external_id"])
    for error in run.errors:
        writer.writerow(
            [
                neutralise(error.get("row")),
                neutralise(error.get("column")),
                neutralise(error.get("reason")),
                neutralise(error.get("external_id")),
            ]
        )
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{run.pk}-rejected.csv"'
    return response


urlpatterns = [
    path("imports/", imports_list, name="imports"),
    path("imports/new/", import_new, name="import-new"),
    path("imports/<int:run_id>/mapping/", import_mapping, name="import-mapping"),
    path("imports/<int:run_id>/preview/", import_preview, name="import-preview"),
    path("imports/<int:run_id>/", import_detail, name="import-detail"),
    path("imports/<int:run_id>/progress", import_progress, name="import-progress"),
    path("imports/<int:run_id>/rejected.csv", import_errors_csv, name="import-errors"),
]
