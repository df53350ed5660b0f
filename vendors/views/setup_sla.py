"""Set-up pages for managers: SLA policies (from templates) with targets; business calendars."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from common.pages import page_for, reporting_today
from common.roles import MANAGER
from vendors.models import SlaPolicy, TicketStatus
from vendors.selectors_sla import (
    business_calendar_get,
    business_calendars_for_setup,
    calendar_next_holidays,
    day_hours_text,
    sla_policies_for_setup,
    sla_policy_get,
    weekly_summary,
)
from vendors.services_sla import (
    business_calendar_create,
    business_calendar_update,
    sla_policy_create,
    sla_policy_update,
)
from vendors.sla_templates import METRICS, TEMPLATES, PolicyTemplate
from vendors.views.setup_sla_forms import (
    CalendarForm,
    PolicyForm,
    add_service_errors,
    target_forms,
)

# --- SLA policies --------------------------------------------------------------------------------


@page_for(MANAGER)
@require_GET
def policies(request: HttpRequest) -> HttpResponse:
    labels = dict(TicketStatus.choices)
    rows = [(p, [labels.get(s, s) for s in p.pause_statuses]) for p in sla_policies_for_setup()]
    return render(
        request, "vendors/setup/sla_list.html", {"rows": rows, "templates": TEMPLATES.values()}
    )


def _policy_targets(request: HttpRequest, initial: dict[str, dict] | None = None):
    return target_forms(request.POST if request.method == "POST" else None, initial)


def _all_valid(form, targets) -> bool:
    # Every form is validated, so each shows its own errors at once.
    return all([form.is_valid(), *(t.is_valid() for t in targets.values())])


def _render_policy(request, *, form, targets, template=None, policy=None, status=200):
    return render(
        request,
        "vendors/setup/sla_form.html",
        {
            "form": form,
            "targets": list(targets.items()),
            "template": template,
            "templates": TEMPLATES.values(),
            "policy": policy,
        },
        status=status,
    )


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def policy_new(request: HttpRequest) -> HttpResponse:
    """A new policy, filled in from a template (METRICS.md's defaults unless another is asked)."""
    key = request.POST.get("template") or request.GET.get("template") or METRICS.key
    template: PolicyTemplate = TEMPLATES.get(key, METRICS)
    existing = business_calendars_for_setup().filter(name=template.calendar.name).first()
    new_label = ""
    if existing is None:
        new_label = f"New: {template.calendar.name} ({template.calendar.summary})"
    form_kwargs = {"new_calendar_label": new_label}
    initial = {
        "name": "" if SlaPolicy.objects.filter(name=template.label).exists() else template.label,
        "description": template.description,
        "calendar": existing,
        "warning_minutes": template.warning_minutes,
        "pause_statuses": list(template.pause_statuses),
    }
    target_initial = {
        t.priority: {
            "response_minutes": t.response_minutes,
            "resolution_minutes": t.resolution_minutes,
            "always_open": t.always_open,
        }
        for t in template.targets
    }
    if request.method == "GET":
        form = PolicyForm(initial=initial, **form_kwargs)
        targets = _policy_targets(request, target_initial)
        return _render_policy(request, form=form, targets=targets, template=template)

    form = PolicyForm(request.POST, **form_kwargs)
    targets = _policy_targets(request)
    if _all_valid(form, targets):
        data = form.cleaned_data
        try:
            policy = sla_policy_create(
                name=data["name"],
                calendar=data["calendar"],
                new_calendar=template.calendar if existing is None else None,
                targets=[t.spec(p) for p, t in targets.items()],
                pause_statuses=data["pause_statuses"],
                warning_minutes=data["warning_minutes"],
                description=data["description"],
            )
        except ValidationError as exc:
            add_service_errors(exc, form, targets)
        else:
            messages.success(request, f"SLA policy “{policy.name}” is created.")
            return redirect("setup-policies")
    return _render_policy(request, form=form, targets=targets, template=template)


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def policy_edit(request: HttpRequest, policy_id: int) -> HttpResponse:
    policy = sla_policy_get(policy_id)
    if request.method == "GET":
        form = PolicyForm(
            initial={
                "name": policy.name,
                "description": policy.description,
                "calendar": policy.calendar,
                "warning_minutes": policy.warning_minutes,
                "pause_statuses": policy.pause_statuses,
            }
        )
        targets = _policy_targets(
            request,
            {
                t.priority: {
                    "response_minutes": t.response_minutes,
                    "resolution_minutes": t.resolution_minutes,
                    "always_open": t.always_open,
                    "calendar": t.calendar,
                }
                for t in policy.targets.all()
            },
        )
        return _render_policy(request, form=form, targets=targets, policy=policy)

    form = PolicyForm(request.POST)
    targets = _policy_targets(request)
    if _all_valid(form, targets):
        data = form.cleaned_data
        try:
            sla_policy_update(
                policy=policy,
                name=data["name"],
                calendar=data["calendar"],
                targets=[t.spec(p) for p, t in targets.items()],
                pause_statuses=data["pause_statuses"],
                warning_minutes=data["warning_minutes"],
                description=data["description"],
            )
        except ValidationError as exc:
            add_service_errors(exc, form, targets)
        else:
            messages.success(request, f"SLA policy “{policy.name}” is saved.")
            return redirect("setup-policies")
        policy.refresh_from_db()  # the heading names the stored policy, not the refused one
    return _render_policy(request, form=form, targets=targets, policy=policy)


# --- business calendars --------------------------------------------------------------------------


@page_for(MANAGER)
@require_GET
def calendars(request: HttpRequest) -> HttpResponse:
    rows = [(c, weekly_summary(c.open_intervals.all())) for c in business_calendars_for_setup()]
    return render(request, "vendors/setup/calendar_list.html", {"rows": rows})


def _render_calendar(request, *, form, calendar=None, upcoming=None, start=None):
    return render(
        request,
        "vendors/setup/calendar_form.html",
        {"form": form, "calendar": calendar, "upcoming": upcoming, "start": start},
    )


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def calendar_new(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _render_calendar(request, form=CalendarForm())
    form = CalendarForm(request.POST)
    if form.is_valid():
        try:
            calendar = business_calendar_create(**form.service_kwargs())
        except ValidationError as exc:
            add_service_errors(exc, form)
        else:
            messages.success(request, f"Calendar “{calendar.name}” is created.")
            return redirect("setup-calendar-edit", calendar_id=calendar.pk)
    return _render_calendar(request, form=form)


def _holidays_from(request: HttpRequest) -> dt.date:
    """?from=YYYY-MM-DD shows the holidays from another day (default today)."""
    try:
        return dt.date.fromisoformat(request.GET.get("from", ""))
    except ValueError:
        return reporting_today()


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def calendar_edit(request: HttpRequest, calendar_id: int) -> HttpResponse:
    calendar = business_calendar_get(calendar_id)
    start = _holidays_from(request)
    if request.method == "POST":
        form = CalendarForm(request.POST)
        if form.is_valid():
            try:
                business_calendar_update(calendar=calendar, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(exc, form)
            else:
                messages.success(request, f"Calendar “{calendar.name}” is saved.")
                return redirect("setup-calendar-edit", calendar_id=calendar.pk)
        calendar.refresh_from_db()  # the holidays below are the stored calendar's
    else:
        intervals = list(calendar.open_intervals.all())
        form = CalendarForm(
            initial={
                "name": calendar.name,
                "time_zone": calendar.time_zone,
                "holiday_country": calendar.holiday_country,
                "holiday_subdivision": calendar.holiday_subdivision,
                "holidays": "\n".join(
                    f"{h.date.isoformat()} {h.name}".strip() for h in calendar.holidays.all()
                ),
                **{f"hours_{d}": day_hours_text(intervals, d) for d in range(7)},
            }
        )
    try:
        upcoming = calendar_next_holidays(calendar=calendar, start=start)
    except ValidationError:
        upcoming = None  # a stored calendar the clock refuses; the form says why on save
    return _render_calendar(request, form=form, calendar=calendar, upcoming=upcoming, start=start)


urlpatterns = [
    path("setup/policies/", policies, name="setup-policies"),
    path("setup/policies/new/", policy_new, name="setup-policy-new"),
    path("setup/policies/<int:policy_id>/", policy_edit, name="setup-policy-edit"),
    path("setup/calendars/", calendars, name="setup-calendars"),
    path("setup/calendars/new/", calendar_new, name="setup-calendar-new"),
    path("setup/calendars/<int:calendar_id>/", calendar_edit, name="setup-calendar-edit"),
]
