"""The recompute page (managers): recompute one vendor's or every vendor's scorecards, for
the changed periods, those since a date, or all; the last runs with their progress."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from common.pages import page_for, reporting_today
from common.roles import MANAGER
from scorecards.recompute_runs import recompute_run_get, recompute_run_start, recompute_runs_recent
from vendors.selectors import vendors_visible_to

EARLIEST = dt.date(2000, 1, 1)


class RecomputeForm(forms.Form):
    vendor = forms.ChoiceField(required=False)
    scope = forms.ChoiceField(
        choices=[
            ("changed", "Changed periods and the current ones (as the nightly run)"),
            ("since", "Every period since a date"),
            ("all", "Every period"),
        ],
        initial="changed",
        widget=forms.RadioSelect,
    )
    since = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Since"
    )

    def __init__(self, *args, vendors, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.vendors = {str(v.pk): v for v in vendors}
        self.fields["vendor"].choices = [("", f"All active vendors ({len(vendors)})")] + [
            (str(v.pk), v.name) for v in vendors
        ]

    def clean(self) -> dict:
        data = super().clean()
        since = data.get("since")
        if data.get("scope") == "since":
            if since is None:
                self.add_error("since", "Give the date to recompute from.")
            elif not EARLIEST <= since <= reporting_today():
                self.add_error("since", f"Give a date from {EARLIEST} to today.")
        return data

    def chosen_vendors(self) -> list:
        vendor = self.cleaned_data.get("vendor")
        return [self.vendors[vendor]] if vendor else list(self.vendors.values())


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def recompute(request: HttpRequest) -> HttpResponse:
    vendors = list(vendors_visible_to(request.user).filter(active=True).order_by("name"))
    form = RecomputeForm(request.POST or None, vendors=vendors)
    if request.method == "POST" and form.is_valid():
        chosen = form.chosen_vendors()
        run = recompute_run_start(
            vendors=chosen,
            scope=form.cleaned_data["scope"],
            since=form.cleaned_data.get("since"),
            user=request.user,
        )
        names = chosen[0].name if len(chosen) == 1 else f"{len(chosen)} vendors"
        messages.success(request, f"Recompute of {names} started: {run['describe']}.")
        return redirect("recompute")
    runs = recompute_runs_recent()
    return render(
        request,
        "scorecards/recompute.html",
        {"form": form, "runs": runs, "any_running": any(not r["finished"] for r in runs)},
    )


@page_for(MANAGER)
@require_GET
def recompute_progress(request: HttpRequest, run_id: str) -> JsonResponse:
    run = recompute_run_get(run_id=run_id)
    if run is None:
        raise Http404("No such recompute run (runs are kept for a week).")
    return JsonResponse(
        {
            "finished": run["finished"],
            "percent": run["percent"],
            "message": run["message"],
            "counts": {"done": run["done"], "failed": run["failed"], "total": run["total"]},
            "vendors": [
                {"id": v["id"], "name": v["name"], "state": v["words"], "result": v["result"]}
                for v in run["vendors"]
            ],
        },
        headers={"Cache-Control": "no-store"},
    )


urlpatterns = [
    path("recompute/", recompute, name="recompute"),
    path("recompute/<slug:run_id>/progress", recompute_progress, name="recompute-progress"),
]
