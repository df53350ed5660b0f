"""Forms of the import pages: the upload, and the column mapping of a mapped file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from tickets.ingest import files
from tickets.ingest.guess import VALUE_FIELDS, Guess
from tickets.ingest.mapping import FIELDS, REQUIRED_FIELDS
from tickets.ingest.records import CHANNELS, PRIORITIES, STATUSES
from tickets.ingest.services import UPLOAD_SUFFIXES, upload_max_bytes
from tickets.ingest.services_guided import NEW_VENDOR, TeamChoice, key_of
from tickets.models import ImportFormat
from vendors.models import Contract
from vendors.sla_templates import TEMPLATES

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
    "delimiter",
    "sheet",
    "default_priority",
    "survey_scale",
)

# Our fields as a manager knows them: a label and what it means.
FIELD_TEXT = {
    "external_id": ("Ticket number", "Its id in your tool; a ticket seen again is updated."),
    "attribution": ("Team", "The team, group or queue: teams are mapped to vendors."),
    "priority": ("Priority", "P1 (critical) to P4 (low); the file's values are mapped below."),
    "status": ("Status", "Optional: without it, derived from the resolved and closed times."),
    "created_at": ("Created", "When the ticket was opened; its SLA clocks start then."),
    "resolved_at": ("Resolved", "When it was resolved; resolution times end then."),
    "closed_at": ("Closed", "When it was closed."),
    "updated_at": ("Last updated", "A newer value replaces the stored ticket at the next import."),
    "technician": ("Agent", "Who worked on the ticket."),
    "category": ("Category", "The ticket's category or service."),
    "requester": ("Requester", "Who asked for help."),
    "channel": ("Channel", "Phone, email, portal, chat…; the file's values are mapped below."),
    "title": ("Subject", "The ticket's short description."),
    "first_response_at": ("First response", "When the requester first got an answer."),
    "survey_score": ("Satisfaction score", "The survey's answer (1..5 or 0..10)."),
    "survey_answered_at": ("Survey answered", "When the satisfaction survey was answered."),
    "sla_met": ("SLA met (their tool)", "Yes/no from their tool, kept beside our own figure."),
    "fcr": ("Solved at first contact", "Yes/no."),
    "reopen_count": ("Times reopened", "A count."),
    "reassignment_count": ("Times reassigned", "A count."),
    "escalated": ("Escalated", "Yes/no."),
}

_EXAMPLE_TIME = dt.datetime(2026, 12, 31, 23, 5, 9)
_CLOCKS = (" %H:%M", " %H:%M:%S", " %I:%M %p", " %I:%M:%S %p")
TIME_FORMATS = (
    "iso",
    *(f"%d{s}%m{s}%Y{c}" for s in "./-" for c in _CLOCKS),
    *(f"%m/%d/%Y{c}" for c in _CLOCKS),
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d %H:%M:%S",
)


def time_label(pattern: str) -> str:
    """A time format as people read it, with an example: "day first, 24-hour: 31.12.2026 23:05"."""
    if pattern == "iso":
        return "ISO 8601: 2026-12-31T23:05:09 or 2026-12-31 23:05 (with or without offset)"
    order = {"%Y": "year first", "%d": "day first", "%m": "month first"}.get(pattern[:2], "")
    clock = "12-hour" if "%p" in pattern else "24-hour" if "%H" in pattern else "date only"
    seconds = ", with seconds" if "%S" in pattern else ""
    try:
        example = _EXAMPLE_TIME.strftime(pattern)
    except ValueError:
        example = pattern
    return f"{order}, {clock}{seconds}: {example}".lstrip(", ")


def _time_choices(first: tuple[str, ...], current: str) -> list[tuple[str, str]]:
    patterns = list(dict.fromkeys([*first, *TIME_FORMATS]))
    if current and current not in patterns:
        patterns.insert(0, current)
    return [("", "— choose how the times are written —")] + [(p, time_label(p)) for p in patterns]


def _spellings_text(spellings: dict[str, str], ours: str) -> str:
    return ", ".join(theirs for theirs, value in spellings.items() if value == ours)


SPELLING_GROUPS = (
    ("priority", "priorities", PRIORITIES),
    ("status", "statuses", STATUSES),
    ("channel", "channels", CHANNELS),
)
NOT_UNDERSTOOD = {
    "priority": "— not understood: its rows are refused —",
    "status": "— not understood: its rows are refused —",
    "channel": "— other —",
}
UNMAPPED_TEAM = "— leave unmapped: not imported —"


class MappingForm(forms.Form):
    """Their columns onto our fields, how their times are written, their spellings of our
    values, and their teams onto vendors.

    Fields: col_<our field> (a column of the file); time_format (a readable choice) or
    time_pattern (a strptime pattern, for experts); value_<group>_<key> (ours for one value
    seen in the file) over priority_<P1..P4>, status_<status>, channel_<channel> (their
    spellings, comma-separated, for values beyond the first rows); team_<key> (a contract,
    "new", or none) with newname_<key>, and new_vendor_template.
    """

    time_format = forms.CharField(required=False, max_length=64)
    time_pattern = forms.CharField(
        required=False,
        max_length=64,
        label="or a strptime pattern",
        help_text="For experts, over the choice: e.g. %d.%m.%Y %H:%M or %m/%d/%y %I:%M %p.",
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
    new_vendor_template = forms.ChoiceField(
        required=False,
        label="New vendors' SLA policy",
        choices=[(key, f"{t.label}: {t.description}") for key, t in TEMPLATES.items()],
        help_text="A vendor created here gets a contract on this SLA policy (fee 0 until you "
        "set it on the contract page).",
    )

    def __init__(
        self,
        *args,
        columns: list[str],
        guess: Guess | None = None,
        teams: Sequence[tuple[str, int]] = (),
        contracts: Sequence[Contract] = (),
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "— not mapped —")] + [(c, c) for c in columns]
        self.field_rows = []
        for name in FIELDS:
            label, meaning = FIELD_TEXT[name]
            self.fields[f"col_{name}"] = forms.ChoiceField(
                required=False, choices=choices, label=label, help_text=meaning
            )
            self.field_rows.append((name, name in REQUIRED_FIELDS, self[f"col_{name}"]))
        current = (self.data.get("time_format") if self.is_bound else None) or self.initial.get(
            "time_format", ""
        )
        candidates = guess.time.candidates if guess is not None else ()
        self.fields["time_format"].widget = forms.Select(
            choices=_time_choices(candidates, current or "")
        )
        self.fields["time_format"].label = "How the times are written"
        self.spelling_groups = []
        for group, _, values in SPELLING_GROUPS:
            bound = []
            for value in values:
                self.fields[f"{group}_{value}"] = forms.CharField(
                    required=False, max_length=500, label=value
                )
                bound.append((value, self[f"{group}_{value}"]))
            self.spelling_groups.append((group, bound))
        # The values actually in the file, each with ours pre-filled from the guess.
        self.value_rows: dict[str, list[tuple[Any, Any]]] = {}
        for group, values in (guess.values if guess is not None else {}).items():
            rows = []
            ours = [("", NOT_UNDERSTOOD[group])] + [(v, v) for v in VALUE_FIELDS[group]]
            for seen in values:
                name = f"value_{group}_{key_of(seen.value)}"
                self.fields[name] = forms.ChoiceField(
                    required=False, choices=ours, label=seen.value
                )
                self.initial.setdefault(name, seen.suggestion)
                rows.append((seen, self[name]))
            self.value_rows[group] = rows
        self._values = {
            f"value_{group}_{key_of(seen.value)}": (group, seen.value)
            for group, values in (guess.values if guess is not None else {}).items()
            for seen in values
        }
        self.contracts = {f"c{c.pk}": c for c in contracts}
        targets = [("", UNMAPPED_TEAM), (NEW_VENDOR, "a new vendor, named as below")] + [
            (k, f"{c.vendor.name} — {c.name}") for k, c in self.contracts.items()
        ]
        self.team_rows = []
        for team, count in teams:
            key = key_of(team)
            self.fields[f"team_{key}"] = forms.ChoiceField(
                required=False, choices=targets, label=team
            )
            self.fields[f"newname_{key}"] = forms.CharField(
                required=False, max_length=200, label="new vendor's name", initial=team
            )
            self.team_rows.append((team, count, self[f"team_{key}"], self[f"newname_{key}"]))
        self.reading_fields = [self[n] for n in READING_FIELDS]

    @staticmethod
    def initial_for(
        mapping: dict[str, Any] | None,
        columns: list[str],
        guess: Guess | None = None,
        teams: dict[str, Contract] | None = None,
    ) -> dict[str, Any]:
        """The form's values from a saved mapping, else from the guess; the teams' contracts."""
        initial: dict[str, Any] = {
            f"team_{key_of(team)}": f"c{c.pk}" for team, c in (teams or {}).items()
        }
        if not mapping:
            if guess is not None:
                initial |= {f"col_{f}": g.column for f, g in guess.columns.items() if g.column}
            return initial | {
                "time_format": guess.time.format if guess is not None else "iso",
                "time_zone": "UTC",
                "survey_scale": 5,
            }
        initial |= {f"col_{f}": c for f, c in mapping.get("columns", {}).items() if c in columns}
        for group, key, values in SPELLING_GROUPS:
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

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        pattern = (data.get("time_pattern") or "").strip()
        if pattern and "%" not in pattern:
            self.add_error(
                "time_pattern",
                f"{pattern!r} is no strptime pattern; accepted: patterns such as %d.%m.%Y %H:%M, "
                "%d/%m/%Y %I:%M %p, %m/%d/%Y %H:%M:%S, or choose a format above.",
            )
        elif not pattern and not (data.get("time_format") or "").strip():
            self.add_error(
                "time_format",
                "Choose how the times are written (accepted: ISO 8601, day first, month first, "
                "with or without seconds, 12 or 24 hours), or give a strptime pattern.",
            )
        for name, (team, new_name) in self._team_fields().items():
            if data.get(name) == NEW_VENDOR and not (data.get(new_name) or "").strip():
                self.add_error(new_name, f"Name the new vendor for {team!r}.")
        return data

    def _team_fields(self) -> dict[str, tuple[str, str]]:
        """team_<key> -> (the team, its newname_<key> field)."""
        return {
            f"team_{key_of(team)}": (team, f"newname_{key_of(team)}") for team, *_ in self.team_rows
        }

    def mapping(self) -> dict[str, Any]:
        """The mapping as Mapping.from_dict reads it (checked there, and against the file)."""
        data = self.cleaned_data
        mapping: dict[str, Any] = {
            "columns": {f: data[f"col_{f}"] for f in FIELDS if data.get(f"col_{f}")},
            "time_format": (data.get("time_pattern") or "").strip()
            or data["time_format"].strip()
            or "iso",
            "time_zone": data["time_zone"],
            "delimiter": data["delimiter"],
            "sheet": data["sheet"].strip() or None,
            "default_priority": data["default_priority"] or "",
            "survey_scale": data["survey_scale"],
        }
        for group, key, values in SPELLING_GROUPS:
            spellings = {}
            for value in values:
                for theirs in (data.get(f"{group}_{value}") or "").split(","):
                    if theirs.strip():
                        spellings[theirs.strip()] = value
            mapping[key] = spellings
        # A value chosen for one seen in the file wins over the typed spellings.
        keys = {g: k for g, k, _ in SPELLING_GROUPS}
        for name, (group, theirs) in self._values.items():
            if data.get(name):
                mapping[keys[group]][theirs] = data[name]
        return mapping

    def team_choices(self) -> list[TeamChoice]:
        """The teams mapped on the form: to an existing contract, or to a new vendor."""
        choices = []
        for name, (team, new_name) in self._team_fields().items():
            chosen = self.cleaned_data.get(name) or ""
            if chosen == NEW_VENDOR:
                choices.append(TeamChoice(team, new_vendor=self.cleaned_data[new_name].strip()))
            elif chosen in self.contracts:
                choices.append(TeamChoice(team, contract=self.contracts[chosen]))
        return choices
