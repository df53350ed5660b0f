"""The set-up index (managers): the first-run checklist and links to every set-up page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from common.pages import page_for
from common.roles import MANAGER
from scorecards.first_run import first_run_steps


@page_for(MANAGER)
@require_GET
def setup(request: HttpRequest) -> HttpResponse:
    """Where a manager sets up vendors, SLA policies and calendars; the first-run checklist."""
    steps = first_run_steps()
    return render(
        request,
        "vendors/setup/index.html",
        {
            "steps": steps,
            "steps_done": sum(s.done for s in steps),
            "all_done": all(s.done for s in steps),
        },
    )


urlpatterns = [path("setup/", setup, name="setup")]
