"""Forms of the delivery pages. They only read the input; the rules are the services'
(assurance/services_delivery.py), whose refusals add_service_errors puts beside their field."""

from __future__ import annotations

from django import forms

from assurance.ingest_delivery import DATE_FORMATS, FIELDS, REQUIRED
from assurance.models import Deliverable, DeliverableKind
from assurance.selectors_delivery import contracts_for_choice
from vendors.models import Contract, Vendor

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def _max(name: str) -> int:
    return Deliverable._meta.get_field(name).max_length


class ContractChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Contract) -> str:
        return obj.name


class DeliverableForm(forms.Form):
    title = forms.CharField(max_length=_max("title"))
    kind = forms.ChoiceField(choices=DeliverableKind.choices, initial=DeliverableKind.MILESTONE)
    reference = forms.CharField(
        max_length=_max("reference"),
        required=False,
        help_text=Deliverable._meta.get_field("reference").help_text,
    )
    contract = ContractChoice(
        queryset=Contract.objects.none(), required=False, empty_label="– no contract –"
    )
    planned_on = forms.DateField(
        widget=DATE,
        label="Planned on",
        error_messages={"required": "Give the planned date."},
        help_text="The date promised; the figures always judge against it.",
    )
    delivered_on = forms.DateField(
        widget=DATE, required=False, label="Delivered on", help_text="Empty until delivered."
    )
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, vendor: Vendor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = contracts_for_choice(vendor=vendor)

    @staticmethod
    def initial_for(d: Deliverable) -> dict:
        return {
            "title": d.title,
            "kind": d.kind,
            "reference": d.reference,
            "contract": d.contract_id,
            "planned_on": d.planned_on,
            "delivered_on": d.delivered_on,
            "notes": d.notes,
        }


class ReplanForm(forms.Form):
    replanned_on = forms.DateField(widget=DATE, required=False, label="Agreed new date")
    replanned_reason = forms.CharField(
        max_length=_max("replanned_reason"), required=False, label="Why it moved"
    )


class DeliverForm(forms.Form):
    delivered_on = forms.DateField(widget=DATE, required=False, label="Delivered on")

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "id_deliver_%s")  # the details form has a delivered_on too
        super().__init__(*args, **kwargs)


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV or XLSX export of the project tool, up to 5 MB.")
    date_format = forms.ChoiceField(
        choices=list(DATE_FORMATS.items()),
        initial="iso",
        help_text="How the file writes dates (XLSX date cells are read as they are).",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for f in FIELDS:
            self.fields[f"col_{f}"] = forms.CharField(
                required=False,
                max_length=200,
                label=f"Column for {f}" + (" (required)" if f in REQUIRED else ""),
            )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("The file is over 5 MB: split it.")
        return upload

    def column_names(self) -> dict[str, str]:
        """Our field -> the column the manager named (blank ones are guessed)."""
        return {f: self.cleaned_data.get(f"col_{f}", "") for f in FIELDS}

    def mapping_fields(self):
        return [self[f"col_{f}"] for f in FIELDS]
