"""Monthly review packs: the list of months, the pack page, its PDF and XLSX, and the meeting's
notes and action items.

Who may do what: managers read every pack and edit notes and action items; finance reads
every pack; a vendor user reads its own vendor's packs (another vendor's are a 404) and may move
the status of action items the vendor owns (open, in progress, done; dropping one is the
manager's call).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_POST

from common.pages import ALL_ROLES, page_for, reporting_today
from common.periods import Period, PeriodKind
from common.roles import MANAGER, VENDOR
from scorecards import packs
from scorecards.models import ActionItem
from scorecards.services_ratings import EVIDENCE_MAX, review_ratings_save
from vendors.metrics import REVIEW_QUALITIES
from vendors.selectors import vendor_get_for_user, vendor_ids_visible_to

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class MeetingNotesForm(forms.Form):
    held_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    attendees = forms.CharField(
        required=False, max_length=2000, widget=forms.TextInput(attrs={"size": 60})
    )
    notes = forms.CharField(
        required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 6})
    )


class ActionItemForm(forms.Form):
    title = forms.CharField(max_length=300, widget=forms.TextInput(attrs={"size": 50}))
    owner_name = forms.CharField(required=False, max_length=200)
    vendor_owned = forms.BooleanField(required=False)
    due_on = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    notes = forms.CharField(required=False, max_length=5000)


class ReviewRatingsForm(forms.Form):
    """The four qualities, each a 1..5 rating (blank: not rated) and a line of evidence. The
    fields stay plain text: the service checks them and names the field it refuses."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for quality, label, about in REVIEW_QUALITIES:
            self.fields[quality] = forms.ChoiceField(
                label=label,
                required=False,
                choices=[("", "not rated"), *((str(n), str(n)) for n in range(1, 6))],
                help_text=about,
            )
            self.fields[f"{quality}_evidence"] = forms.CharField(
                label=f"{label} evidence",
                required=False,
                widget=forms.TextInput(attrs={"size": 60, "maxlength": EVIDENCE_MAX}),
            )

    @classmethod
    def for_pack(cls, pack) -> ReviewRatingsForm:
        initial = {}
        for r in pack.ratings:
            initial[r.quality] = "" if r.rating is None else str(r.rating)
            initial[f"{r.quality}_evidence"] = r.evidence
        return cls(initial=initial)

    def rows(self) -> list[tuple]:
        """(rating field, evidence field) per quality, for the template."""
        return [(self[q], self[f"{q}_evidence"]) for q, _, _ in REVIEW_QUALITIES]


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionItem.Status.choices)
    month = forms.CharField(required=False, max_length=7)
    notes = forms.CharField(required=False, max_length=5000)


def _unavailable(request: HttpRequest, vendor, exc: packs.PackUnavailable) -> HttpResponse:
    return render(
        request,
        "scorecards/pack_unavailable.html",
        {"vendor": vendor, "title": exc.title, "message": exc.message},
        status=exc.status,
    )


def _pack_or_page(request: HttpRequest, slug: str, month: str):
    """(vendor, pack, None) or (vendor, None, a clear error page)."""
    vendor = vendor_get_for_user(request.user, slug=slug)
    try:
        period = packs.pack_month_from_label(month, today=reporting_today())
        pack = packs.pack_for_vendor(vendor=vendor, period=period)
    except packs.PackUnavailable as exc:
        return vendor, None, _unavailable(request, vendor, exc)
    return vendor, pack, None


def _period_or_404(month: str) -> Period:
    try:
        return packs.pack_month_from_label(month, today=reporting_today())
    except packs.PackUnavailable as exc:
        raise Http404(exc.message) from None


@require_GET
@page_for(*ALL_ROLES)
def pack_index(request: HttpRequest, slug: str) -> HttpResponse:
    vendor = vendor_get_for_user(request.user, slug=slug)
    months = packs.pack_months_for_vendor(vendor=vendor, today=reporting_today())
    return render(request, "scorecards/pack_index.html", {"vendor": vendor, "months": months})


@require_GET
@page_for(*ALL_ROLES)
def pack_page(request: HttpRequest, slug: str, month: str) -> HttpResponse:
    vendor, pack, error = _pack_or_page(request, slug, month)
    if error:
        return error
    may_manage = request.role == MANAGER
    meeting = pack.meeting
    context = {
        "vendor": vendor,
        "pack": pack,
        "printable": False,
        "link_base": "",
        "may_manage": may_manage,
        "is_vendor": request.role == VENDOR,
        "statuses": ActionItem.Status.choices,
        "vendor_statuses": [(s.value, s.label) for s in packs.VENDOR_STATUSES],
        "notes_form": MeetingNotesForm(
            initial={
                "held_on": meeting.held_on if meeting else None,
                "attendees": meeting.attendees if meeting else "",
                "notes": meeting.notes if meeting else "",
            }
        )
        if may_manage
        else None,
        "action_form": ActionItemForm() if may_manage else None,
        "ratings_form": ReviewRatingsForm.for_pack(pack)
        if may_manage and not pack.ratings_frozen
        else None,
    }
    return render(request, "scorecards/pack.html", context)


@require_GET
@page_for(*ALL_ROLES)
def pack_pdf(request: HttpRequest, slug: str, month: str) -> HttpResponse:
    vendor, pack, error = _pack_or_page(request, slug, month)
    if error:
        return error
    try:
        pdf = packs.pack_pdf_bytes(pack)
    except packs.PdfUnavailable as exc:
        return render(
            request,
            "scorecards/pack_no_pdf.html",
            {"vendor": vendor, "pack": pack, "reason": str(exc)},
            status=503,
        )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="vendorscore-{vendor.slug}-{pack.label}.pdf"'
    )
    return response


@require_GET
@page_for(*ALL_ROLES)
def pack_xlsx(request: HttpRequest, slug: str, month: str) -> HttpResponse:
    vendor, pack, error = _pack_or_page(request, slug, month)
    if error:
        return error
    data = packs.pack_xlsx_bytes(pack, link_base=request.build_absolute_uri("/").rstrip("/"))
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = (
        f'attachment; filename="vendorscore-{vendor.slug}-{pack.label}.xlsx"'
    )
    return response


def _back(slug: str, period: Period, anchor: str) -> HttpResponse:
    return redirect(reverse("pack", args=[slug, period.label]) + anchor)


def _form_errors(request: HttpRequest, form: forms.Form) -> None:
    for field, errors in form.errors.items():
        name = form.fields[field].label or field.replace("_", " ") if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{name.capitalize()}: {error}" if name else error)


@require_POST
@page_for(MANAGER)
def pack_notes(request: HttpRequest, slug: str, month: str) -> HttpResponse:
    vendor = vendor_get_for_user(request.user, slug=slug)
    period = _period_or_404(month)
    form = MeetingNotesForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(slug, period, "#notes")
    packs.meeting_save_notes(vendor=vendor, period=period, user=request.user, **form.cleaned_data)
    messages.success(request, f"Meeting notes for {period.label} saved.")
    return _back(slug, period, "#notes")


@require_POST
@page_for(MANAGER)
def pack_ratings(request: HttpRequest, slug: str, month: str) -> HttpResponse:
    vendor = vendor_get_for_user(request.user, slug=slug)
    period = _period_or_404(month)
    posted = request.POST
    ratings = {
        quality: (posted.get(quality, ""), posted.get(f"{quality}_evidence", ""))
        for quality, _, _ in REVIEW_QUALITIES
        if quality in posted or f"{quality}_evidence" in posted
    }
    try:
        review_ratings_save(vendor=vendor, period=period, ratings=ratings, user=request.user)
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            for error in errors:
                messages.error(request, f"{field.replace('_', ' ').capitalize()}: {error}")
    else:
        messages.success(request, f"Ratings for {period.label} saved.")
    return _back(slug, period, "#ratings")


@require_POST
@page_for(MANAGER)
def action_add(request: HttpRequest, slug: str, month: str) -> HttpResponse:
    vendor = vendor_get_for_user(request.user, slug=slug)
    period = _period_or_404(month)
    form = ActionItemForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(slug, period, "#actions")
    try:
        item = packs.action_item_add(
            vendor=vendor, period=period, user=request.user, **form.cleaned_data
        )
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    else:
        messages.success(request, f"Action item “{item.title}” added.")
    return _back(slug, period, "#actions")


@require_POST
@page_for(*ALL_ROLES)
def action_update(request: HttpRequest, item_id: int) -> HttpResponse:
    item = (
        ActionItem.objects.filter(vendor_id__in=vendor_ids_visible_to(request.user))
        .select_related("vendor")
        .filter(pk=item_id)
        .first()
    )
    if item is None:
        raise Http404("No such action item.")
    form = ActionStatusForm(request.POST)
    if not form.is_valid():
        _form_errors(request, form)
        return _back(item.vendor.slug, Period(PeriodKind.MONTH, item.raised_month), "#actions")
    status = form.cleaned_data["status"]
    notes = form.cleaned_data["notes"] if request.role == MANAGER else None
    packs.action_item_check_may_set(item=item, role=request.role, status=status)
    period = None
    if label := form.cleaned_data["month"]:
        try:
            period = packs.pack_month_from_label(label, today=reporting_today())
        except packs.PackUnavailable:
            period = None
    packs.action_item_set_status(
        item=item, status=status, user=request.user, period=period, notes=notes
    )
    messages.success(request, f"“{item.title}” is now {item.get_status_display().lower()}.")
    back_to = period or Period(PeriodKind.MONTH, item.raised_month)
    return _back(item.vendor.slug, back_to, f"#action-{item.pk}")


urlpatterns = [
    path("vendors/<slug:slug>/review/", pack_index, name="pack-index"),
    path("vendors/<slug:slug>/review/<str:month>/", pack_page, name="pack"),
    path("vendors/<slug:slug>/review/<str:month>/pack.pdf", pack_pdf, name="pack-pdf"),
    path("vendors/<slug:slug>/review/<str:month>/pack.xlsx", pack_xlsx, name="pack-xlsx"),
    path("vendors/<slug:slug>/review/<str:month>/notes/", pack_notes, name="pack-notes"),
    path("vendors/<slug:slug>/review/<str:month>/ratings/", pack_ratings, name="pack-ratings"),
    path("vendors/<slug:slug>/review/<str:month>/actions/", action_add, name="action-add"),
    path("actions/<int:item_id>/", action_update, name="action-update"),
]
