"""Delivery pages: a vendor's deliverables, late first with their slip in business days;
managers add, edit, re-plan, record a delivery, delete, and import a project tool's export.

Who may do what: every role reads the list of a vendor it may see (another vendor's is a 404);
only managers write. A vendor's user does not record its own deliveries: the date it counts by
is the buyer's to accept, as a finding's fix is verified by a manager.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assurance import ingest_delivery as ingest
from assurance.selectors_delivery import (
    STATUS_LABELS,
    deliverable_of_vendor,
    delivery_counts,
    delivery_rows,
)
from assurance.services_delivery import (
    deliverable_create,
    deliverable_delete,
    deliverable_deliver,
    deliverable_replan,
    deliverable_update,
)
from assurance.views.deliverable_forms import (
    DeliverableForm,
    DeliverForm,
    ImportForm,
    ReplanForm,
)
from common.pages import ALL_ROLES, add_service_errors, page_for, reporting_today
from common.roles import MANAGER
from tickets.ingest.records import FormatError
from vendors.selectors import vendor_get_for_user


@require_GET
@page_for(*ALL_ROLES)
def deliverable_list(request: HttpRequest, slug: str) -> HttpResponse:
    vendor = vendor_get_for_user(request.user, slug=slug)
    today = reporting_today()
    rows = delivery_rows(vendor=vendor, today=today)
    counts = delivery_counts(rows)
    return render(
        request,
        "assurance/deliverables.html",
        {
            "vendor": vendor,
            "rows": rows,
            "today": today,
            "counts": [(STATUS_LABELS[s], n, s) for s, n in counts.items()],
            "may_edit": request.role == MANAGER,
        },
    )


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


def _values(form: DeliverableForm) -> dict:
    return {f: form.cleaned_data[f] for f in DeliverableForm.base_fields}


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def deliverable_new(request: HttpRequest, slug: str) -> HttpResponse:
    vendor = vendor_get_for_user(request.user, slug=slug)
    form = DeliverableForm(_posted(request), vendor=vendor)
    if request.method == "POST" and form.is_valid():
        try:
            deliverable = deliverable_create(vendor=vendor, **_values(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Deliverable “{deliverable.title}” added.")
            return redirect("deliverables", vendor.slug)
    return render(
        request, "assurance/deliverable_form.html", {"vendor": vendor, "form": form, "d": None}
    )


def _edit_page(request: HttpRequest, vendor, d, *, form=None, replan=None, deliver=None):
    context = {
        "vendor": vendor,
        "d": d,
        "form": form or DeliverableForm(vendor=vendor, initial=DeliverableForm.initial_for(d)),
        "replan": replan or ReplanForm(initial={"replanned_on": d.replanned_on}),
        "deliver": deliver or DeliverForm(initial={"delivered_on": reporting_today()}),
    }
    return render(request, "assurance/deliverable_form.html", context)


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def deliverable_edit(request: HttpRequest, slug: str, deliverable_id: int) -> HttpResponse:
    vendor = vendor_get_for_user(request.user, slug=slug)
    d = deliverable_of_vendor(vendor=vendor, deliverable_id=deliverable_id)
    if request.method == "GET":
        return _edit_page(request, vendor, d)
    form = DeliverableForm(request.POST, vendor=vendor)
    if form.is_valid():
        try:
            deliverable_update(deliverable=d, **_values(form))
        except ValidationError as exc:
            add_service_errors(form, exc)
            d = deliverable_of_vendor(vendor=vendor, deliverable_id=deliverable_id)  # as stored
        else:
            messages.success(request, f"Deliverable “{d.title}” saved.")
            return redirect("deliverables", vendor.slug)
    return _edit_page(request, vendor, d, form=form)


@require_POST
@page_for(MANAGER)
def deliverable_replan_view(request: HttpRequest, slug: str, deliverable_id: int) -> HttpResponse:
    vendor = vendor_get_for_user(request.user, slug=slug)
    d = deliverable_of_vendor(vendor=vendor, deliverable_id=deliverable_id)
    form = ReplanForm(request.POST)
    if form.is_valid():
        try:
            deliverable_replan(
                deliverable=d,
                replanned_on=form.cleaned_data["replanned_on"],
                reason=form.cleaned_data["replanned_reason"],
                user=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
            d = deliverable_of_vendor(vendor=vendor, deliverable_id=deliverable_id)
        else:
            messages.success(request, f"“{d.title}” re-planned to {d.replanned_on:%Y-%m-%d}.")
            return redirect("deliverables", vendor.slug)
    return _edit_page(request, vendor, d, replan=form)


@require_POST
@page_for(MANAGER)
def deliverable_deliver_view(request: HttpRequest, slug: str, deliverable_id: int) -> HttpResponse:
    vendor = vendor_get_for_user(request.user, slug=slug)
    d = deliverable_of_vendor(vendor=vendor, deliverable_id=deliverable_id)
    form = DeliverForm(request.POST)
    if form.is_valid():
        try:
            deliverable_deliver(deliverable=d, delivered_on=form.cleaned_data["delivered_on"])
        except ValidationError as exc:
            add_service_errors(form, exc)
            d = deliverable_of_vendor(vendor=vendor, deliverable_id=deliverable_id)
        else:
            messages.success(request, f"“{d.title}” delivered on {d.delivered_on:%Y-%m-%d}.")
            return redirect("deliverables", vendor.slug)
    return _edit_page(request, vendor, d, deliver=form)


@require_POST
@page_for(MANAGER)
def deliverable_delete_view(request: HttpRequest, slug: str, deliverable_id: int) -> HttpResponse:
    vendor = vendor_get_for_user(request.user, slug=slug)
    d = deliverable_of_vendor(vendor=vendor, deliverable_id=deliverable_id)
    deliverable_delete(deliverable=d)
    messages.success(request, f"Deliverable “{d.title}” deleted.")
    return redirect("deliverables", vendor.slug)


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def deliverable_import(request: HttpRequest, slug: str) -> HttpResponse:
    vendor = vendor_get_for_user(request.user, slug=slug)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            table = ingest.read_table(upload, name=upload.name)
            columns = ingest.guess_columns(table.header, form.column_names())
            report = ingest.deliverables_import(
                vendor=vendor,
                table=table,
                columns=columns,
                date_format=form.cleaned_data["date_format"],
                user=request.user,
            )
        except FormatError as exc:
            form.add_error("file", str(exc))
    return render(
        request,
        "assurance/deliverable_import.html",
        {"vendor": vendor, "form": form, "report": report},
    )


urlpatterns = [
    path("vendors/<slug:slug>/deliverables/", deliverable_list, name="deliverables"),
    path("vendors/<slug:slug>/deliverables/new/", deliverable_new, name="deliverable-new"),
    path("vendors/<slug:slug>/deliverables/import/", deliverable_import, name="deliverable-import"),
    path(
        "vendors/<slug:slug>/deliverables/<int:deliverable_id>/",
        deliverable_edit,
        name="deliverable-edit",
    ),
    path(
        "vendors/<slug:slug>/deliverables/<int:deliverable_id>/replan/",
        deliverable_replan_view,
        name="deliverable-replan",
    ),
    path(
        "vendors/<slug:slug>/deliverables/<int:deliverable_id>/deliver/",
        deliverable_deliver_view,
        name="deliverable-deliver",
    ),
    path(
        "vendors/<slug:slug>/deliverables/<int:deliverable_id>/delete/",
        deliverable_delete_view,
        name="deliverable-delete",
    ),
]
