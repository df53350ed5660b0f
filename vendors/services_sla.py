"""Writes for SLA policies (with their per-priority targets) and business calendars (with their
weekly grid and explicit holidays), as the set-up pages make them.

The models' own rules are the rules: every object is `full_clean`ed before anything is saved,
and a refusal is a ValidationError keyed by the field at fault. A target's field is keyed
`<priority>-<field>` (e.g. `P2-resolution_minutes`), a weekday's open hours `hours_<weekday>`
(0 = Monday), the explicit holidays `holidays`, the week as a whole `weekly_hours`. Saves go
through the models, so the audit trail (vendors/audit.py) records each change with its actor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from vendors import sla
from vendors.models import (
    BusinessCalendar,
    Holiday,
    OpenInterval,
    Priority,
    SlaPolicy,
    SlaTarget,
    Weekday,
)
from vendors.sla_templates import CalendarTemplate

Hours = Sequence[tuple[int, dt.time, dt.time]]


@dataclass(frozen=True)
class TargetSpec:
    priority: str
    response_minutes: int | None
    resolution_minutes: int | None
    always_open: bool = False
    calendar: BusinessCalendar | None = None


@dataclass(frozen=True)
class HolidaySpec:
    date: dt.date
    name: str = ""


def _collect(errors: dict[str, list[str]], exc: ValidationError, key=None, label="") -> None:
    """Adds `exc`'s messages to `errors`, under `key(field)` and prefixed with `label`."""
    for field, messages in exc.message_dict.items():
        name = key(field) if key else field
        errors.setdefault(name, []).extend(f"{label}{m}" for m in messages)


# --- SLA policies --------------------------------------------------------------------------------


def _check_targets(targets: Sequence[TargetSpec], errors: dict[str, list[str]]) -> list[SlaTarget]:
    given = [t.priority for t in targets]
    missing = [p for p in Priority.values if p not in given]
    twice = sorted({p for p in given if given.count(p) > 1})
    if missing or twice:
        problem = f"add a target for {', '.join(missing)}" if missing else ""
        problem += ("; " if problem else "") + (f"{', '.join(twice)} given twice" if twice else "")
        errors.setdefault("targets", []).append(f"One target per priority: {problem}.")
    built = []
    for spec in targets:
        target = SlaTarget(
            priority=spec.priority,
            response_minutes=spec.response_minutes,
            resolution_minutes=spec.resolution_minutes,
            always_open=spec.always_open,
            calendar=spec.calendar,
        )
        try:
            target.full_clean(exclude=["policy"])
        except ValidationError as exc:
            prefix = spec.priority
            _collect(errors, exc, key=lambda f, p=prefix: f"{p}-{f}", label=f"{prefix}: ")
        built.append(target)
    return built


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _policy_checked(policy: SlaPolicy, targets: Sequence[TargetSpec]) -> list[SlaTarget]:
    """The policy's own rules and its targets', every refusal at once; the targets built."""
    errors: dict[str, list[str]] = {}
    try:
        policy.full_clean()
    except ValidationError as exc:
        _collect(errors, exc)
    built = _check_targets(targets, errors)
    _raise(errors)
    return built


@transaction.atomic
def sla_policy_create(
    *,
    name: str,
    calendar: BusinessCalendar | None,
    targets: Sequence[TargetSpec],
    pause_statuses: Iterable[str],
    warning_minutes: int | None,
    description: str = "",
    new_calendar: CalendarTemplate | None = None,
) -> SlaPolicy:
    """A policy with one target per priority. Without a `calendar`, `new_calendar` (a
    template's) is created with it; a refusal leaves neither behind."""
    if calendar is None and new_calendar is not None:
        if BusinessCalendar.objects.filter(name=new_calendar.name).exists():
            raise ValidationError(
                {"calendar": f"A calendar named “{new_calendar.name}” exists already: choose it."}
            )
        calendar = business_calendar_create_from_template(template=new_calendar)
    policy = SlaPolicy(
        name=(name or "").strip(),
        calendar=calendar,
        pause_statuses=list(pause_statuses),
        warning_minutes=warning_minutes,
        description=description,
    )
    built = _policy_checked(policy, targets)
    policy.save()
    for target in built:
        target.policy = policy
        target.save()
    return policy


@transaction.atomic
def sla_policy_update(
    *,
    policy: SlaPolicy,
    name: str,
    calendar: BusinessCalendar | None,
    targets: Sequence[TargetSpec],
    pause_statuses: Iterable[str],
    warning_minutes: int | None,
    description: str = "",
) -> SlaPolicy:
    """Changes the policy and its targets in place (tickets keep the targets they were given
    when created, so this never rewrites history)."""
    policy.name = (name or "").strip()
    policy.calendar = calendar
    policy.pause_statuses = list(pause_statuses)
    policy.warning_minutes = warning_minutes
    policy.description = description
    built = _policy_checked(policy, targets)
    policy.save()
    existing = {t.priority: t for t in policy.targets.all()}
    for target in built:
        current = existing.get(target.priority)
        if current is None:
            target.policy = policy
            target.save()
            continue
        current.response_minutes = target.response_minutes
        current.resolution_minutes = target.resolution_minutes
        current.always_open = target.always_open
        current.calendar = target.calendar
        current.save()  # the audit trail records only the fields that changed
    return policy


# --- business calendars --------------------------------------------------------------------------


def _check_calendar(
    calendar: BusinessCalendar,
    hours: Hours,
    holidays: Sequence[HolidaySpec],
    errors: dict[str, list[str]],
) -> None:
    try:
        calendar.full_clean()
    except ValidationError as exc:
        _collect(errors, exc)
    for weekday in range(7):
        day = Weekday(weekday).label
        day_hours = [(d, s, e) for d, s, e in hours if d == weekday]
        key = f"hours_{weekday}"
        for d, start, end in day_hours:
            try:
                OpenInterval(weekday=d, start=start, end=end).full_clean(
                    exclude=["calendar"], validate_constraints=False
                )
            except ValidationError as exc:
                span = f"{start:%H:%M}-{'24:00' if end == dt.time(0) else f'{end:%H:%M}'}"
                _collect(errors, exc, key=lambda f, k=key: k, label=f"{day} {span}: ")
        if day_hours and key not in errors:
            # The SLA clock's own rule for a day: its intervals may touch, never overlap.
            try:
                sla.BusinessCalendar("UTC", tuple(day_hours))
            except sla.CalendarError as exc:
                errors.setdefault(key, []).append(f"{day}: {exc.message}.")
    if not hours:
        errors.setdefault("weekly_hours", []).append(
            "No open hours: give at least one interval, or the SLA clock never runs."
        )
    seen: set[dt.date] = set()
    for spec in holidays:
        if spec.date in seen:
            errors.setdefault("holidays", []).append(f"{spec.date} is listed twice.")
        seen.add(spec.date)
        try:
            Holiday(date=spec.date, name=spec.name).full_clean(
                exclude=["calendar"], validate_constraints=False
            )
        except ValidationError as exc:
            _collect(errors, exc, key=lambda f: "holidays", label=f"{spec.date}: ")


def _clean_calendar_fields(**fields) -> dict:
    return {
        "name": (fields["name"] or "").strip(),
        "time_zone": (fields["time_zone"] or "").strip(),
        "holiday_country": (fields["holiday_country"] or "").strip().upper(),
        "holiday_subdivision": (fields["holiday_subdivision"] or "").strip().upper(),
    }


@transaction.atomic
def business_calendar_create(
    *,
    name: str,
    time_zone: str,
    hours: Hours,
    holiday_country: str = "",
    holiday_subdivision: str = "",
    holidays: Sequence[HolidaySpec] = (),
) -> BusinessCalendar:
    calendar = BusinessCalendar(
        **_clean_calendar_fields(
            name=name,
            time_zone=time_zone,
            holiday_country=holiday_country,
            holiday_subdivision=holiday_subdivision,
        )
    )
    errors: dict[str, list[str]] = {}
    _check_calendar(calendar, hours, holidays, errors)
    _raise(errors)
    calendar.save()
    for weekday, start, end in sorted(hours):
        OpenInterval.objects.create(calendar=calendar, weekday=weekday, start=start, end=end)
    for spec in sorted(holidays, key=lambda h: h.date):
        Holiday.objects.create(calendar=calendar, date=spec.date, name=spec.name)
    return calendar


def business_calendar_create_from_template(*, template: CalendarTemplate) -> BusinessCalendar:
    return business_calendar_create(
        name=template.name,
        time_zone=template.time_zone,
        hours=template.hours,
        holiday_country=template.holiday_country,
        holiday_subdivision=template.holiday_subdivision,
    )


@transaction.atomic
def business_calendar_update(
    *,
    calendar: BusinessCalendar,
    name: str,
    time_zone: str,
    hours: Hours,
    holiday_country: str = "",
    holiday_subdivision: str = "",
    holidays: Sequence[HolidaySpec] = (),
) -> BusinessCalendar:
    """Changes the calendar; intervals and holidays that stay are kept as they are, so the
    audit trail shows only what was added, removed or renamed."""
    for field, value in _clean_calendar_fields(
        name=name,
        time_zone=time_zone,
        holiday_country=holiday_country,
        holiday_subdivision=holiday_subdivision,
    ).items():
        setattr(calendar, field, value)
    errors: dict[str, list[str]] = {}
    _check_calendar(calendar, hours, holidays, errors)
    _raise(errors)
    calendar.save()

    wanted = set(hours)
    for interval in list(calendar.open_intervals.all()):
        if (interval.weekday, interval.start, interval.end) in wanted:
            wanted.discard((interval.weekday, interval.start, interval.end))
        else:
            interval.delete()
    for weekday, start, end in sorted(wanted):
        OpenInterval.objects.create(calendar=calendar, weekday=weekday, start=start, end=end)

    names = {h.date: h.name for h in holidays}
    for holiday in list(calendar.holidays.all()):
        if holiday.date not in names:
            holiday.delete()
            continue
        if holiday.name != names[holiday.date]:
            holiday.name = names[holiday.date]
            holiday.save()
        del names[holiday.date]
    for date, holiday_name in sorted(names.items()):
        Holiday.objects.create(calendar=calendar, date=date, name=holiday_name)
    return calendar
