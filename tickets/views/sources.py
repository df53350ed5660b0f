"""Live sources pages (managers only): every source's state, one source's runs and the groups
no rule maps, its settings form, and its buttons (test, run now, pause/resume, re-backfill).
Every change goes through tickets.live.services, whose saves the audit trail records."""

from __future__ import annotations

from datetime import UTC, datetime, time

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.pages import add_service_errors, page_for
from common.roles import MANAGER
from tickets import tasks
from tickets.ingest.services import attribution_rule_set
from tickets.live.selectors import (
    EVERYTHING,
    RUNNING,
    live_source_get,
    live_source_name_taken,
    live_source_runs,
    live_source_unmapped,
    live_sources_overview,
    source_state_of,
)
from tickets.live.services import (
    live_source_create_or_update,
    live_source_rebackfill,
    live_source_set_enabled,
    live_source_test_connection,
)
from tickets.live.sync import BACKFILL_KEY
from tickets.models import LiveSource
from tickets.views.source_forms import MapGroupForm, RebackfillForm, SourceForm


@page_for(MANAGER)
@require_GET
def sources_list(request: HttpRequest) -> HttpResponse:
    return render(request, "tickets/sources/list.html", {"rows": live_sources_overview()})


def _detail(request: HttpRequest, source: LiveSource, **extra) -> HttpResponse:
    runs = live_source_runs(source=source)
    context = {
        "source": source,
        "webhook_url": request.build_absolute_uri(reverse("live-source-webhook", args=[source.pk])),
        "row": source_state_of(source),
        "runs": runs,
        "unmapped": live_source_unmapped(source=source),
        "map_form": MapGroupForm(),
        "rebackfill_form": extra.pop("rebackfill_form", None) or RebackfillForm(),
        **extra,
    }
    return render(request, "tickets/sources/detail.html", context)


@page_for(MANAGER)
@require_GET
def source_detail(request: HttpRequest, source_id: int) -> HttpResponse:
    return _detail(request, live_source_get(source_id=source_id))


@sensitive_post_parameters("secret", "webhook_secret")
@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def source_new(request: HttpRequest) -> HttpResponse:
    form = SourceForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"]
        # The service would update the source of that name: here that is a refusal.
        if live_source_name_taken(name=name):
            form.add_error("name", f"A source named “{name.strip()}” exists already.")
        else:
            try:
                source, _ = live_source_create_or_update(**form.values())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, f"Source “{source.name}” added. Test its connection.")
                return redirect("live-source", source_id=source.pk)
    return render(request, "tickets/sources/form.html", {"form": form, "source": None})


@sensitive_post_parameters("secret", "webhook_secret")
@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def source_edit(request: HttpRequest, source_id: int) -> HttpResponse:
    source = live_source_get(source_id=source_id)
    form = SourceForm(request.POST if request.method == "POST" else None, source=source)
    if request.method == "POST" and form.is_valid():
        try:
            source, _ = live_source_create_or_update(**form.values())
        except ValidationError as exc:
            add_service_errors(form, exc)
            source = live_source_get(source_id=source_id)  # as stored
        else:
            messages.success(request, f"Source “{source.name}” saved.")
            return redirect("live-source", source_id=source.pk)
    return render(request, "tickets/sources/form.html", {"form": form, "source": source})


@page_for(MANAGER)
@require_POST
def source_test(request: HttpRequest, source_id: int) -> HttpResponse:
    source = live_source_get(source_id=source_id)
    probe = live_source_test_connection(source=source)
    return _detail(request, source, probe=probe)


@page_for(MANAGER)
@require_POST
def source_run(request: HttpRequest, source_id: int) -> HttpResponse:
    source = live_source_get(source_id=source_id)
    if source_state_of(source).state == RUNNING:
        messages.warning(request, f"“{source.name}” is running already.")
    elif tasks.live_source_queue_run(source.pk):
        messages.info(request, f"Run of “{source.name}” queued: its report appears below.")
    else:
        messages.warning(request, f"A run of “{source.name}” is queued already.")
    return redirect("live-source", source_id=source.pk)


def _set_enabled(request: HttpRequest, source_id: int, enabled: bool) -> HttpResponse:
    source = live_source_set_enabled(source=live_source_get(source_id=source_id), enabled=enabled)
    if enabled:
        messages.success(request, f"“{source.name}” resumed: it runs on its schedule again.")
    else:
        messages.success(request, f"“{source.name}” paused: no scheduled runs until resumed.")
    return redirect("live-source", source_id=source.pk)


@page_for(MANAGER)
@require_POST
def source_pause(request: HttpRequest, source_id: int) -> HttpResponse:
    return _set_enabled(request, source_id, enabled=False)


@page_for(MANAGER)
@require_POST
def source_resume(request: HttpRequest, source_id: int) -> HttpResponse:
    return _set_enabled(request, source_id, enabled=True)


@page_for(MANAGER)
@require_POST
def source_rebackfill(request: HttpRequest, source_id: int) -> HttpResponse:
    source = live_source_get(source_id=source_id)
    form = RebackfillForm(request.POST)
    if not form.is_valid():
        return _detail(request, source, rebackfill_form=form)
    since = datetime.combine(form.cleaned_data["since"], time(0), tzinfo=UTC)
    live_source_rebackfill(source=source, since=since)
    messages.success(
        request,
        f"“{source.name}” re-reads its tickets updated since {since:%Y-%m-%d} on its next run "
        "(those already stored come back unchanged).",
    )
    return redirect("live-source", source_id=source.pk)


@page_for(MANAGER)
@require_POST
def source_map_group(request: HttpRequest, source_id: int) -> HttpResponse:
    """A group no rule mapped, attributed to a vendor's contract; the next run reads the
    source again so the tickets it skipped for want of a rule are written."""
    source = live_source_get(source_id=source_id)
    form = MapGroupForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(e for errors in form.errors.values() for e in errors)
        messages.error(request, f"Not mapped: {problems}")
        return redirect("live-source", source_id=source.pk)
    value, contract = form.cleaned_data["value"], form.cleaned_data["contract"]
    try:
        attribution_rule_set(
            source=source.name, value=value, vendor=contract.vendor, contract=contract
        )
    except ValidationError as exc:
        messages.error(request, f"“{value}” not mapped: {' '.join(exc.messages)}")
        return redirect("live-source", source_id=source.pk)
    # Its tickets were skipped, and the cursor moved past them: read everything again.
    pending = (source.cursor or {}).get(BACKFILL_KEY)
    if pending is None or datetime.fromisoformat(pending) > EVERYTHING:
        live_source_rebackfill(source=source, since=EVERYTHING)
    messages.success(
        request,
        f"“{value or '(empty)'}” now maps to {contract.vendor.name} ({contract.name}). "
        "The next run reads the source's tickets again, so the ones it skipped are written.",
    )
    return redirect("live-source", source_id=source.pk)


urlpatterns = [
    path("sources/", sources_list, name="live-sources"),
    path("sources/new/", source_new, name="live-source-new"),
    path("sources/<int:source_id>/", source_detail, name="live-source"),
    path("sources/<int:source_id>/edit/", source_edit, name="live-source-edit"),
    path("sources/<int:source_id>/test/", source_test, name="live-source-test"),
    path("sources/<int:source_id>/run/", source_run, name="live-source-run"),
    path("sources/<int:source_id>/pause/", source_pause, name="live-source-pause"),
    path("sources/<int:source_id>/resume/", source_resume, name="live-source-resume"),
    path("sources/<int:source_id>/rebackfill/", source_rebackfill, name="live-source-rebackfill"),
    path("sources/<int:source_id>/map/", source_map_group, name="live-source-map"),
]
