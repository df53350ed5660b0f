"""Forms of the import pages: the upload, and the column mapping of a mapped file."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from tickets.ingest import files
from tickets.ingest.mapping import FIELDS, REQUIRED_FIELDS
from tickets.ingest.records import CHANNELS, PRIORITIES, STATUSES
from tickets.ingest.services import UPLOAD_SUFFIXES, upload_max_bytes
from tickets.models import ImportFormat

FORMAT_CHOICES = [(value, label) for value, label in ImportFormat.choices if value != "api"]
PRIORITY_CHOICES = [("", "none: an empty priority is a rejected row")] + [
    (p, p) for p in PRIORITIES
]
# Every option shows on the form, its help naming the formats it applies to; the service
# drops those the chosen format does not take.
OPTION_HELP = {
    "time_zone": "IANA zone of times written without an offset, e.g. Europe/London "
    "(ServiceNow, Jira, Zendesk; default UTC or the source's saved zone).",
    "time_format": "Jira, Zendesk: a strptime pattern such as %d/%m/%Y %H:%M if the "
    "times are not recognised.",
    "attribute_by": "The column tickets are attributed by (Jira, Zendesk), or org_line / team "
    "(VINST).",
    "default_priority": "Zendesk: the priority of tickets that have none.",
}


def _zone(value: str) -> str:
    value = (value or "").strip()
    if value:
        try:
            files.zone(value)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
    return value


class UploadForm(forms.Form):
    file = forms.FileField(
        help_text=f"{', '.join(UPLOAD_SUFFIXES)}; up to {upload_max_bytes() // 2**20} MB.",
        widget=forms.ClearableFileInput(attrs={"accept": ",".join(UPLOAD_SUFFIXES)}),
    )
    format = forms.ChoiceField(choices=FORMAT_CHOICES)
    source = forms.CharField(
        max_length=80,
        help_text="Where the file comes from, e.g. acme-servicenow. Tickets are kept per "
        "source and id; its reading options and attribution rules are reused next time.",
        widget=forms.TextInput(attrs={"list": "sources", "autocomplete": "off"}),
    )
    time_zone = forms.CharField(required=False, max_length=64, help_text=OPTION_HELP["time_zone"])
    time_format = forms.CharField(
        required=False, max_length=64, help_text=OPTION_HELP["time_format"]
    )
    attribute_by = forms.CharField(
        required=False, max_length=120, help_text=OPTION_HELP["attribute_by"]
    )
    default_priority = forms.ChoiceField(
        required=False,
        choices=[("", "—")] + [(p, p) for p in PRIORITIES],
        help_text=OPTION_HELP["default_priority"],
    )

    def clean_time_zone(self) -> str:
        return _zone(self.cleaned_data["time_zone"])

    def clean_source(self) -> str:
        return self.cleaned_data["source"].strip()

    def options(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            k: data[k]
            for k in ("time_zone", "time_format", "attribute_by", "default_priority")
            if data.get(k)
        }


READING_FIELDS = (
    "time_format",
    "time_zone",
    "delimiter",
    "sheet",
    "default_priority",
    "survey_scale",
)


def _spellings_text(spellings: dict[str, str], ours: str) -> str:
    return ", ".join(theirs for theirs, value in spellings.items() if value == ours)


class MappingForm(forms.Form):
    """Their columns onto our fields, and their spellings of our values.

    Fields: col_<our field> (a column of the file), priority_<P1..P4>, status_<status>,
    channel_<channel> (their spellings, comma-separated), and how times are written.
    """

    time_format = forms.CharField(
        max_length=64,
        initial="iso",
        help_text="iso (2026-11-20T16:30:00, with or without offset) or a strptime pattern, "
        "e.g. %d/%m/%Y %H:%M or %d.%m.%Y %H:%M.",
    )
    time_zone = forms.CharField(
        max_length=64, initial="UTC", help_text="IANA zone of times written without an offset."
    )
    delimiter = forms.CharField(
        required=False,
        max_length=3,
        strip=False,
        help_text="CSV only: one character, or 'tab'; empty to detect it.",
    )
    sheet = forms.CharField(
        required=False, max_length=120, help_text="XLSX only: the worksheet (default the first)."
    )
    default_priority = forms.ChoiceField(required=False, choices=PRIORITY_CHOICES)
    survey_scale = forms.TypedChoiceField(
        choices=[(5, "1..5 (CSAT)"), (10, "0..10 (NPS)")], coerce=int, initial=5
    )

    def __init__(self, *args, columns: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "— not mapped —")] + [(c, c) for c in columns]
        self.field_rows = []
        for name in FIELDS:
            required = name in REQUIRED_FIELDS
            self.fields[f"col_{name}"] = forms.ChoiceField(
                required=False, choices=choices, label=name
            )
            self.field_rows.append((name, required, self[f"col_{name}"]))
        self.spelling_groups = []
        for group, values in (
            ("priority", PRIORITIES),
            ("status", STATUSES),
            ("channel", CHANNELS),
        ):
            bound = []
            for value in values:
                self.fields[f"{group}_{value}"] = forms.CharField(
                    required=False, max_length=500, label=value
                )
                bound.append((value, self[f"{group}_{value}"]))
            self.spelling_groups.append((group, bound))
        self.reading_fields = [self[n] for n in READING_FIELDS]

    @staticmethod
    def initial_for(mapping: dict[str, Any] | None, columns: list[str]) -> dict[str, Any]:
        """The form's values from a saved mapping, else columns named like our fields."""
        if not mapping:
            by_key = {c.strip().casefold(): c for c in columns}
            return {f"col_{f}": by_key[f] for f in FIELDS if f in by_key} | {
                "time_format": "iso",
                "time_zone": "UTC",
                "survey_scale": 5,
            }
        initial: dict[str, Any] = {
            f"col_{f}": c for f, c in mapping.get("columns", {}).items() if c in columns
        }
        for group, key, values in (
            ("priority", "priorities", PRIORITIES),
            ("status", "statuses", STATUSES),
            ("channel", "channels", CHANNELS),
        ):
            for value in values:
                initial[f"{group}_{value}"] = _spellings_text(mapping.get(key, {}), value)
        delimiter = mapping.get("delimiter") or ""
        initial.update(
            time_format=mapping.get("time_format", "iso"),
            time_zone=mapping.get("time_zone", "UTC"),
            delimiter="tab" if delimiter == "\t" else delimiter,
            sheet=mapping.get("sheet") or "",
            default_priority=mapping.get("default_priority", ""),
            survey_scale=mapping.get("survey_scale", 5),
        )
        return initial

    def clean_time_zone(self) -> str:
        return _zone(self.cleaned_data["time_zone"]) or "UTC"

    def clean_delimiter(self) -> str | None:
        value = self.cleaned_data["delimiter"]
        if value.strip().lower() in ("tab", "\\t") or value == "\t":
            return "\t"
        if value == "":
            return None
        if len(value) != 1:
            raise ValidationError("One character (or 'tab').")
        return value

    def mapping(self) -> dict[str, Any]:
        """The mapping as Mapping.from_dict reads it (checked there, and against the file)."""
        data = self.cleaned_data
        mapping: dict[str, Any] = {
            "columns": {f: data[f"col_{f}"] for f in FIELDS if data.get(f"col_{f}")},
            "time_format": data["time_format"].strip() or "iso",
            "time_zone": data["time_zone"],
            "delimiter": data["delimiter"],
            "sheet": data["sheet"].strip() or None,
            "default_priority": data["default_priority"] or "",
            "survey_scale": data["survey_scale"],
        }
        for group, key, values in (
            ("priority", "priorities", PRIORITIES),
            ("status", "statuses", STATUSES),
            ("channel", "channels", CHANNELS),
        ):
            spellings = {}
            for value in values:
                for theirs in (data.get(f"{group}_{value}") or "").split(","):
                    if theirs.strip():
                        spellings[theirs.strip()] = value
            mapping[key] = spellings
        return mapping
