"""Forms of the vendor and contract set-up pages. They only read the input; the rules are the
models' own, applied by vendors/services_setup.py, whose refusals `show_refusal` puts beside
the field (or the weight or tier row) they name."""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from vendors.metrics import CREDITABLE, METRICS, SCORED
from vendors.models import AUDIT_CADENCES, REMEDIATION_DAYS, Contract, Vendor
from vendors.selectors_setup import sla_policies_for_choice
from vendors.services_setup import ContractTerms, TierTerms, WeightTerms

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _metric_choices(codes) -> list[tuple[str, str]]:
    labelled = sorted((METRICS[c].label, c) for c in codes)
    return [("", "– pick a metric –")] + [
        (c, f"{label} ({METRICS[c].unit})") for label, c in labelled
    ]


def _metric_field(codes, what: str) -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=_metric_choices(codes),
        error_messages={"invalid_choice": f"%(value)s is not {what}; pick one from the list."},
    )


class VendorForm(forms.Form):
    name = forms.CharField(max_length=Vendor._meta.get_field("name").max_length)
    slug = forms.CharField(
        max_length=Vendor._meta.get_field("slug").max_length,
        required=False,
        help_text="Its address in the site (/vendors/<slug>/); made from the name if left empty.",
    )
    contact_name = forms.CharField(max_length=200, required=False)
    contact_email = forms.EmailField(
        required=False, help_text=Vendor._meta.get_field("contact_email").help_text
    )
    active = forms.BooleanField(
        required=False, initial=True, help_text="Inactive vendors leave the portfolio and menus."
    )

    @staticmethod
    def initial_for(vendor: Vendor) -> dict:
        return {
            f: getattr(vendor, f)
            for f in ("name", "slug", "contact_name", "contact_email", "active")
        }


def _money(field: str, **kwargs) -> forms.DecimalField:
    model_field = Contract._meta.get_field(field)
    return forms.DecimalField(
        max_digits=model_field.max_digits,
        decimal_places=model_field.decimal_places,
        help_text=model_field.help_text,
        **kwargs,
    )


def _remediation_days(severity: str) -> forms.IntegerField:
    # Optional, so that a form without them (an older page, a script) keeps the defaults.
    return forms.IntegerField(
        min_value=1,
        max_value=32767,
        required=False,
        label=f"Days to fix a {severity} finding",
        help_text=f"Calendar days from the finding's raising; empty: {REMEDIATION_DAYS[severity]}.",
    )


SECURITY_FIELDS = (
    "audit_cadence_months",
    *(f"remediation_days_{severity}" for severity in REMEDIATION_DAYS),
)


class ContractForm(forms.Form):
    name = forms.CharField(max_length=200, help_text="e.g. Service desk 2026")
    reference = forms.CharField(max_length=80, required=False, help_text="Your contract number.")
    start_date = forms.DateField(widget=DATE)
    end_date = forms.DateField(widget=DATE, required=False, help_text="Empty: open-ended.")
    sla_policy = forms.ModelChoiceField(
        queryset=sla_policies_for_choice(),
        label="SLA policy",
        help_text="The response and resolution targets its tickets are measured against.",
    )
    monthly_fee = _money("monthly_fee")
    currency = forms.CharField(max_length=3, initial="EUR", help_text="ISO 4217 code, e.g. EUR.")
    inhouse_monthly_cost = _money("inhouse_monthly_cost", required=False, label="In-house baseline")
    target_cost_per_ticket = _money("target_cost_per_ticket", required=False)
    credit_cap_pct = _money("credit_cap_pct", initial=20, label="Credit cap (% of the fee)")
    audit_cadence_months = forms.TypedChoiceField(
        choices=[("", "No audit due")] + [(str(n), label) for n, label in AUDIT_CADENCES],
        coerce=int,
        empty_value=None,
        required=False,
        label="Security audit cadence",
        help_text="One audit due in each window's last month (quarterly: March, June, "
        "September, December).",
    )
    remediation_days_critical = _remediation_days("critical")
    remediation_days_high = _remediation_days("high")
    remediation_days_medium = _remediation_days("medium")
    remediation_days_low = _remediation_days("low")

    def clean(self) -> dict:
        data = super().clean()
        for severity, days in REMEDIATION_DAYS.items():
            field = f"remediation_days_{severity}"
            if field not in self.errors and data.get(field) is None:
                data[field] = days
        return data

    def terms(self) -> ContractTerms:
        data = self.cleaned_data
        return ContractTerms(**{f: data[f] for f in ContractTerms.__dataclass_fields__})

    def terms_fields(self) -> list[forms.BoundField]:
        return [field for field in self if field.name not in SECURITY_FIELDS]

    def security_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in SECURITY_FIELDS]

    @staticmethod
    def initial_for(contract: Contract) -> dict:
        return {f: getattr(contract, f) for f in ContractTerms.__dataclass_fields__}


class WeightForm(forms.Form):
    metric = _metric_field(SCORED, "a scored metric")
    weight = forms.DecimalField(max_digits=6, decimal_places=2)
    target = forms.DecimalField(max_digits=12, decimal_places=2, required=False)
    floor = forms.DecimalField(max_digits=12, decimal_places=2, required=False)


class TierForm(forms.Form):
    metric = _metric_field(CREDITABLE, "a metric a credit can name")
    threshold = forms.DecimalField(max_digits=12, decimal_places=3)
    credit_pct = forms.DecimalField(max_digits=5, decimal_places=2, label="Credit (% of the fee)")


WeightFormSet = forms.formset_factory(WeightForm, extra=3, can_delete=True)
TierFormSet = forms.formset_factory(TierForm, extra=2, can_delete=True)


def weights_initial(contract: Contract) -> list[dict]:
    return [
        {"metric": w.metric, "weight": w.weight, "target": w.target, "floor": w.floor}
        for w in contract.weights.order_by("-weight", "metric")
    ]


def tiers_initial(contract: Contract) -> list[dict]:
    return [
        {"metric": t.metric, "threshold": t.threshold, "credit_pct": t.credit_pct}
        for t in contract.credit_tiers.all()
    ]


def live_forms(formset: forms.BaseFormSet) -> list[forms.Form]:
    """The rows that stay: filled in and not marked for removal."""
    return [
        f
        for f in formset.forms
        if f.cleaned_data and f.cleaned_data.get("metric") and not f.cleaned_data.get("DELETE")
    ]


def weight_terms(rows: list[forms.Form]) -> list[WeightTerms]:
    return [
        WeightTerms(
            metric=f.cleaned_data["metric"],
            weight=f.cleaned_data["weight"],
            target=f.cleaned_data.get("target"),
            floor=f.cleaned_data.get("floor"),
        )
        for f in rows
    ]


def tier_terms(rows: list[forms.Form]) -> list[TierTerms]:
    return [
        TierTerms(
            metric=f.cleaned_data["metric"],
            threshold=f.cleaned_data["threshold"],
            credit_pct=f.cleaned_data["credit_pct"],
        )
        for f in rows
    ]


ROW_NAMES = {"weights": "Score weights", "credit_tiers": "Credit tiers"}


def show_refusal(
    exc: ValidationError,
    form: forms.Form,
    rows: dict[str, list[forms.Form]] | None = None,
) -> None:
    """Puts a service's refusal beside what it names: a field of `form`, or a field of a row in
    `rows` (keyed `weights.<n>.<field>`); anything else goes to the top of `form`, prefixed
    with what it is about."""
    rows = rows or {}
    for key, messages in exc.message_dict.items():
        group, _, rest = key.partition(".")
        if group in rows and rest:
            index, _, field = rest.partition(".")
            row = rows[group][int(index)]
            row.add_error(field if field in row.fields else None, messages)
        elif key in form.fields:
            form.add_error(key, messages)
        elif key in ROW_NAMES:
            form.add_error(None, [f"{ROW_NAMES[key]}: {m}" for m in messages])
        elif key == NON_FIELD_ERRORS:
            form.add_error(None, messages)
        else:
            form.add_error(None, [f"{key}: {m}" for m in messages])
