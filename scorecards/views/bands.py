"""Reference bands, the managers' pages: published industry ranges for figures (CSAT above
80 %, first-contact resolution 70 to 80 % ...), each with its source. Tiles show them beside
the contract's target; they are never scored."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from common.pages import add_service_errors, page_for
from common.roles import MANAGER
from scorecards.models import ReferenceBand
from scorecards.selectors_ratings import band_text, bands_list
from scorecards.services_ratings import (
    reference_band_create,
    reference_band_delete,
    reference_band_update,
)
from vendors.metrics import METRICS


class ReferenceBandForm(forms.Form):
    """Plain fields: the service checks the bounds, the metric and the source, naming the field."""

    metric = forms.ChoiceField(
        choices=[("", "choose a figure")]
        + sorted(((code, f"{m.label} ({code})") for code, m in METRICS.items()), key=lambda c: c[1])
    )
    low = forms.DecimalField(
        required=False, max_digits=12, decimal_places=2, help_text="Leave empty for “below high”."
    )
    high = forms.DecimalField(
        required=False, max_digits=12, decimal_places=2, help_text="Leave empty for “above low”."
    )
    source = forms.CharField(
        max_length=300,
        help_text="Who published the range, and when (e.g. “HDI Technical Support Practices "
        "& Salary Report, 2024”).",
        widget=forms.TextInput(attrs={"size": 60}),
    )
    source_url = forms.URLField(required=False, label="Source URL", assume_scheme="https")
    note = forms.CharField(
        required=False,
        max_length=300,
        help_text="What the range applies to; for money, its currency.",
        widget=forms.TextInput(attrs={"size": 60}),
    )

    @classmethod
    def initial_for(cls, band: ReferenceBand) -> dict:
        return {f: getattr(band, f) for f in cls.base_fields}


def _band_or_404(band_id: int) -> ReferenceBand:
    try:
        return ReferenceBand.objects.get(pk=band_id)
    except ReferenceBand.DoesNotExist:
        raise Http404("No such reference band.") from None


@page_for(MANAGER)
@require_GET
def band_list(request: HttpRequest) -> HttpResponse:
    rows = [(band, band_text(band)) for band in bands_list()]
    return render(request, "scorecards/bands.html", {"rows": rows})


def _form_page(request: HttpRequest, band: ReferenceBand | None) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    initial = ReferenceBandForm.initial_for(band) if band else None
    form = ReferenceBandForm(data, initial=initial)
    if data is not None and form.is_valid():
        try:
            if band is None:
                saved = reference_band_create(**form.cleaned_data, user=request.user)
            else:
                saved = reference_band_update(band=band, **form.cleaned_data, user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Reference band for {METRICS[saved.metric].label} saved: {band_text(saved)}.",
            )
            return redirect("bands")
    return render(request, "scorecards/band_form.html", {"form": form, "band": band})


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def band_new(request: HttpRequest) -> HttpResponse:
    return _form_page(request, None)


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def band_edit(request: HttpRequest, band_id: int) -> HttpResponse:
    return _form_page(request, _band_or_404(band_id))


@page_for(MANAGER)
@require_POST
def band_delete(request: HttpRequest, band_id: int) -> HttpResponse:
    band = _band_or_404(band_id)
    label = METRICS[band.metric].label if band.metric in METRICS else band.metric
    reference_band_delete(band=band)
    messages.success(request, f"Reference band for {label} deleted.")
    return redirect("bands")


urlpatterns = [
    path("reference-bands/", band_list, name="bands"),
    path("reference-bands/new/", band_new, name="band-new"),
    path("reference-bands/<int:band_id>/", band_edit, name="band-edit"),
    path("reference-bands/<int:band_id>/delete/", band_delete, name="band-delete"),
]
