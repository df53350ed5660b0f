"""The forms of the security audit and findings pages."""

from __future__ import annotations

from django import forms
from django.conf import settings

from assurance import evidence
from assurance.ingest import DATE_FORMATS, FIELDS, LABELS, REQUIRED
from assurance.models import AuditKind, FindingStatus, Severity
from assurance.services import AuditTerms, FindingTerms
from vendors.models import Contract, Vendor

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AuditForm(forms.Form):
    held_on = forms.DateField(label="Held on", widget=DATE)
    kind = forms.ChoiceField(choices=AuditKind.choices)
    scope = forms.CharField(max_length=300, widget=forms.TextInput(attrs={"size": 60}))
    auditor = forms.CharField(max_length=200, required=False)
    reference = forms.CharField(
        max_length=80, required=False, help_text="The auditor's or scanner's report reference."
    )
    contract = forms.ModelChoiceField(
        queryset=Contract.objects.none(),
        required=False,
        help_text="Its remediation days set the findings' due dates (empty: the first contract's).",
    )
    notes = forms.CharField(
        required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, vendor: Vendor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contract"].queryset = Contract.objects.filter(vendor=vendor).order_by(
            "start_date", "pk"
        )

    @staticmethod
    def initial_for(audit) -> dict:
        return {
            f: getattr(audit, f)
            for f in ("held_on", "kind", "scope", "auditor", "reference", "contract", "notes")
        }

    def terms(self) -> AuditTerms:
        return AuditTerms(**self.cleaned_data)


class FindingForm(forms.Form):
    title = forms.CharField(max_length=300, widget=forms.TextInput(attrs={"size": 60}))
    severity = forms.ChoiceField(choices=[("", "—"), *Severity.choices])
    raised_on = forms.DateField(label="Raised on", widget=DATE)
    due_on = forms.DateField(
        label="Due on",
        required=False,
        widget=DATE,
        help_text="Empty: the raised day plus the contract's remediation days for the severity.",
    )
    reference = forms.CharField(
        max_length=80, required=False, help_text="The scanner's or auditor's id for it."
    )
    description = forms.CharField(
        required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )

    @staticmethod
    def initial_for(finding) -> dict:
        return {
            f: getattr(finding, f)
            for f in ("title", "severity", "raised_on", "due_on", "reference", "description")
        }

    def terms(self) -> FindingTerms:
        return FindingTerms(**self.cleaned_data)


class FixReportForm(forms.Form):
    fixed_on = forms.DateField(label="Fixed on", widget=DATE)
    note = forms.CharField(
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What was done to fix it.",
    )
    evidence = forms.FileField(
        required=False,
        help_text=f"Optional: a {evidence.ACCEPTED} file, at most "
        f"{settings.EVIDENCE_MAX_UPLOAD_MB} MB.",
    )


class VerifyForm(forms.Form):
    verified_on = forms.DateField(
        label="Verified on", required=False, widget=DATE, help_text="Empty: today."
    )
    note = forms.CharField(required=False, max_length=5000)


class RejectForm(forms.Form):
    note = forms.CharField(
        label="Why", max_length=5000, help_text="The vendor reads it: say what is still wrong."
    )


class FindingFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Not yet verified"), *FindingStatus.choices, ("all", "All")],
    )
    severity = forms.ChoiceField(required=False, choices=[("", "Any severity"), *Severity.choices])


class ImportUploadForm(forms.Form):
    file = forms.FileField(help_text="The scanner's or auditor's findings list: CSV or XLSX.")


class ImportMappingForm(forms.Form):
    date_format = forms.ChoiceField(
        choices=list(DATE_FORMATS.items()),
        help_text="How dates are written (spreadsheet dates and 2026-12-31 always read).",
    )

    def __init__(self, *args, header: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "— none —"), *[(c, c) for c in header if c]]
        for f in FIELDS:
            self.fields[f"col_{f}"] = forms.ChoiceField(
                label=LABELS[f], choices=choices, required=f in REQUIRED
            )

    def columns(self) -> dict[str, str]:
        return {f: self.cleaned_data.get(f"col_{f}", "") for f in FIELDS}

    def column_fields(self):
        return [self[f"col_{f}"] for f in FIELDS]
