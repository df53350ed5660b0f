"""Forms of the SLA set-up pages: a policy with one target form per priority, and a business
calendar whose weekly grid is one line of intervals per weekday.

The forms only read what was typed (numbers, times, dates); whether it makes sense is the
models' rules, applied by vendors/services_sla.py, whose refusals `add_service_errors` puts
beside the fields they name.
"""

from __future__ import annotations

import datetime as dt
import re

from django import forms
from django.core.exceptions import ValidationError

from vendors.models import BusinessCalendar, Priority, SlaPolicy, TicketStatus, Weekday
from vendors.services_sla import HolidaySpec, TargetSpec

_TEXT = {"autocomplete": "off", "spellcheck": "false"}


class PolicyForm(forms.Form):
    name = forms.CharField(max_length=SlaPolicy._meta.get_field("name").max_length)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2, "cols": 60})
    )
    calendar = forms.ModelChoiceField(
        queryset=BusinessCalendar.objects.order_by("name"),
        required=False,
        help_text="Business hours for every target that does not run 24x7 or name its own.",
    )
    warning_minutes = forms.IntegerField(
        label="Warn before due (minutes)",
        help_text="Breach warnings go out this many minutes before a target is due.",
    )
    pause_statuses = forms.MultipleChoiceField(
        choices=TicketStatus.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="While a ticket has one of these statuses its resolution clock stops "
        "(the response clock never does).",
    )

    def __init__(self, *args, new_calendar_label: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["calendar"]
        # Creating from a template may also create the template's calendar.
        field.empty_label = new_calendar_label or "— choose a calendar —"


class TargetForm(forms.Form):
    """One priority's targets; built with prefix=<priority> (field names P1-response_minutes...),
    which is also how the service names a target's fields in its refusals."""

    response_minutes = forms.IntegerField(label="Response (minutes)")
    resolution_minutes = forms.IntegerField(label="Resolution (minutes)")
    always_open = forms.BooleanField(required=False, label="24x7")
    calendar = forms.ModelChoiceField(
        queryset=BusinessCalendar.objects.order_by("name"),
        required=False,
        empty_label="the policy's",
        label="Own calendar",
    )

    def spec(self, priority: str) -> TargetSpec:
        data = self.cleaned_data
        return TargetSpec(
            priority=priority,
            response_minutes=data["response_minutes"],
            resolution_minutes=data["resolution_minutes"],
            always_open=data["always_open"],
            calendar=data["calendar"],
        )


def target_forms(data=None, initial: dict[str, dict] | None = None) -> dict[str, TargetForm]:
    return {p: TargetForm(data, prefix=p, initial=(initial or {}).get(p)) for p in Priority.values}


# --- calendars -----------------------------------------------------------------------------------

_INTERVAL = re.compile(r"^(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})$")


def _clock_time(hour: str, minute: str, *, end: bool) -> dt.time:
    h, m = int(hour), int(minute)
    if end and (h, m) == (24, 0):
        return dt.time(0)  # 24:00, midnight at the end of the day, as the models write it
    if h > 23 or m > 59:
        raise ValueError
    return dt.time(h, m)


def parse_day_hours(text: str, day: str) -> list[tuple[dt.time, dt.time]]:
    """ "08:00-12:00, 13:00-17:00" -> [(08:00, 12:00), (13:00, 17:00)]; "" -> closed."""
    spans = []
    for part in filter(None, (p.strip() for p in re.split(r"[,;]", text or ""))):
        match = _INTERVAL.match(part)
        try:
            if not match:
                raise ValueError
            start = _clock_time(match[1], match[2], end=False)
            end = _clock_time(match[3], match[4], end=True)
        except ValueError:
            raise ValidationError(
                f"{day}: “{part}” is not an interval such as 09:00-17:00 "
                "(24-hour times; 24:00 for midnight at the end of the day)."
            ) from None
        spans.append((start, end))
    return spans


def parse_holidays(text: str) -> list[HolidaySpec]:
    """One holiday a line: "2026-12-24 Christmas Eve" (the name is optional)."""
    found = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        first, _, name = line.partition(" ")
        try:
            date = dt.date.fromisoformat(first)
        except ValueError:
            raise ValidationError(
                f"Line {number}: “{first}” is not a date; write YYYY-MM-DD then the name, "
                "e.g. 2026-12-24 Christmas Eve."
            ) from None
        found.append(HolidaySpec(date=date, name=name.strip()))
    return found


class CalendarForm(forms.Form):
    name = forms.CharField(max_length=BusinessCalendar._meta.get_field("name").max_length)
    time_zone = forms.CharField(
        max_length=64,
        initial="Europe/London",
        help_text="IANA zone the hours are written in, e.g. Europe/London or America/New_York.",
        widget=forms.TextInput(attrs=_TEXT),
    )
    holiday_country = forms.CharField(
        required=False,
        max_length=3,
        label="Public holidays of",
        help_text="ISO country code (GB, DE, FR, US...) whose public holidays close the desk; "
        "empty for none.",
        widget=forms.TextInput(attrs={**_TEXT, "size": 4}),
    )
    holiday_subdivision = forms.CharField(
        required=False,
        max_length=10,
        label="Region",
        help_text="Optional region within the country, e.g. ENG for England, BY for Bavaria.",
        widget=forms.TextInput(attrs={**_TEXT, "size": 6}),
    )
    holidays = forms.CharField(
        required=False,
        label="Other holidays",
        help_text="One a line: YYYY-MM-DD and a name, e.g. 2026-12-24 Christmas Eve.",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 40}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for day in Weekday:
            self.fields[f"hours_{day.value}"] = forms.CharField(
                required=False,
                label=day.label,
                widget=forms.TextInput(attrs={**_TEXT, "placeholder": "closed"}),
            )

    @property
    def day_fields(self) -> list:
        return [self[f"hours_{day.value}"] for day in Weekday]

    def clean(self) -> dict:
        data = super().clean()
        for day in Weekday:
            key = f"hours_{day.value}"
            try:
                data[f"spans_{day.value}"] = parse_day_hours(data.get(key, ""), day.label)
            except ValidationError as exc:
                self.add_error(key, exc)
        try:
            data["holiday_specs"] = parse_holidays(data.get("holidays", ""))
        except ValidationError as exc:
            self.add_error("holidays", exc)
        return data

    def hours(self) -> list[tuple[int, dt.time, dt.time]]:
        data = self.cleaned_data
        return [(day.value, s, e) for day in Weekday for s, e in data[f"spans_{day.value}"]]

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "time_zone": data["time_zone"],
            "holiday_country": data["holiday_country"],
            "holiday_subdivision": data["holiday_subdivision"],
            "hours": self.hours(),
            "holidays": data["holiday_specs"],
        }


def add_service_errors(
    exc: ValidationError, form: forms.Form, targets: dict[str, TargetForm] | None = None
) -> None:
    """Puts a service's refusal beside the field it names: `P2-resolution_minutes` on the P2
    target form, `weekly_hours` and `targets` (no field of their own) at the form's top."""
    for key, messages in exc.message_dict.items():
        priority, _, field = key.partition("-")
        if targets and priority in targets and field in targets[priority].fields:
            targets[priority].add_error(field, messages)
        elif key in form.fields:
            form.add_error(key, messages)
        else:
            form.add_error(None, messages)
