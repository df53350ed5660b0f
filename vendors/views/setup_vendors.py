"""Set-up pages for managers: vendors and their contracts (fees, baseline, weights, tiers).
The set-up index with its first-run checklist is the scorecards' (scorecards/views/first_run.py):
it reads tickets and stored scorecards."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.views.decorators.http import require_GET, require_http_methods

from common.pages import page_for
from common.roles import MANAGER
from vendors.metrics import METRICS, SCORED
from vendors.models import Contract, Vendor
from vendors.selectors_setup import (
    contract_for_setup,
    contracts_of,
    vendor_for_setup,
    vendors_for_setup,
)
from vendors.services_setup import contract_create, contract_update, vendor_create, vendor_update
from vendors.views.setup_vendor_forms import (
    ContractForm,
    TierFormSet,
    VendorForm,
    WeightFormSet,
    live_forms,
    show_refusal,
    tier_terms,
    tiers_initial,
    weight_terms,
    weights_initial,
)

# --- vendors ------------------------------------------------------------------------------------


@page_for(MANAGER)
@require_GET
def vendor_list(request: HttpRequest) -> HttpResponse:
    return render(request, "vendors/setup/vendors.html", {"vendors": vendors_for_setup()})


def _posted(request: HttpRequest):
    """The POST data, even when empty (a bound form then says what is missing), else None."""
    return request.POST if request.method == "POST" else None


def _vendor_values(form: VendorForm) -> dict:
    return {
        f: form.cleaned_data[f] for f in ("name", "slug", "contact_name", "contact_email", "active")
    }


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def vendor_new(request: HttpRequest) -> HttpResponse:
    form = VendorForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            vendor = vendor_create(**_vendor_values(form))
        except ValidationError as exc:
            show_refusal(exc, form)
        else:
            messages.success(request, f"Vendor “{vendor.name}” added. Next: its contract.")
            return redirect("setup-vendor-edit", vendor.slug)
    return render(request, "vendors/setup/vendor_form.html", {"form": form, "vendor": None})


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def vendor_edit(request: HttpRequest, slug: str) -> HttpResponse:
    vendor = vendor_for_setup(slug=slug)
    form = VendorForm(_posted(request), initial=VendorForm.initial_for(vendor))
    if request.method == "POST" and form.is_valid():
        try:
            vendor = vendor_update(vendor=vendor, **_vendor_values(form))
        except ValidationError as exc:
            show_refusal(exc, form)
            vendor = vendor_for_setup(slug=slug)  # as stored: the heading keeps its name
        else:
            messages.success(request, f"Vendor “{vendor.name}” saved.")
            return redirect("setup-vendor-edit", vendor.slug)
    return render(
        request,
        "vendors/setup/vendor_form.html",
        {
            "form": form,
            "vendor": vendor,
            "contracts": contracts_of(vendor=vendor),
        },
    )


# --- contracts ----------------------------------------------------------------------------------


def _contract_page(
    request: HttpRequest, *, vendor: Vendor, contract: Contract | None
) -> HttpResponse:
    """The one contract form, for a new contract of `vendor` or an existing `contract`."""
    data = _posted(request)
    if contract is None:
        form = ContractForm(data)
        weights = WeightFormSet(data, prefix="weights")
        tiers = TierFormSet(data, prefix="tiers")
    else:
        form = ContractForm(data, initial=ContractForm.initial_for(contract))
        weights = WeightFormSet(data, prefix="weights", initial=weights_initial(contract))
        tiers = TierFormSet(data, prefix="tiers", initial=tiers_initial(contract))
    if data is not None and all([form.is_valid(), weights.is_valid(), tiers.is_valid()]):
        weight_rows, tier_rows = live_forms(weights), live_forms(tiers)
        values = {
            "terms": form.terms(),
            "weights": weight_terms(weight_rows),
            "tiers": tier_terms(tier_rows),
        }
        try:
            if contract is None:
                saved = contract_create(vendor=vendor, **values)
            else:
                saved = contract_update(contract=contract, **values)
        except ValidationError as exc:
            show_refusal(exc, form, {"weights": weight_rows, "credit_tiers": tier_rows})
            if contract is not None:
                contract = contract_for_setup(contract_id=contract.pk)  # as stored
        else:
            verb = "added" if contract is None else "saved"
            messages.success(request, f"Contract “{saved.name}” of {vendor.name} {verb}.")
            return redirect("setup-vendor-edit", vendor.slug)
    defaults = [METRICS[c] for c in sorted(SCORED, key=lambda c: -(METRICS[c].weight or 0))]
    return render(
        request,
        "vendors/setup/contract_form.html",
        {
            "vendor": vendor,
            "contract": contract,
            "form": form,
            "weights": weights,
            "tiers": tiers,
            "default_weights": defaults,
        },
    )


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def contract_new(request: HttpRequest, slug: str) -> HttpResponse:
    return _contract_page(request, vendor=vendor_for_setup(slug=slug), contract=None)


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def contract_edit(request: HttpRequest, contract_id: int) -> HttpResponse:
    contract = contract_for_setup(contract_id=contract_id)
    return _contract_page(request, vendor=contract.vendor, contract=contract)


urlpatterns = [
    path("setup/vendors/", vendor_list, name="setup-vendors"),
    path("setup/vendors/new/", vendor_new, name="setup-vendor-new"),
    path("setup/vendors/<slug:slug>/edit/", vendor_edit, name="setup-vendor-edit"),
    path("setup/vendors/<slug:slug>/contracts/new/", contract_new, name="setup-contract-new"),
    path("setup/contracts/<int:contract_id>/", contract_edit, name="setup-contract-edit"),
]
