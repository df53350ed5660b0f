"""Reads for the SLA set-up pages: policies and calendars with what they hold, and the next
holidays a calendar's SLA clock will skip."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from vendors.models import BusinessCalendar, OpenInterval, SlaPolicy, SlaTarget, Weekday

DAY_ABBREVIATIONS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def sla_policies_for_setup() -> QuerySet[SlaPolicy]:
    return (
        SlaPolicy.objects.select_related("calendar")
        .prefetch_related(
            Prefetch(
                "targets",
                queryset=SlaTarget.objects.select_related("calendar").order_by("priority"),
            )
        )
        .annotate(contract_count=Count("contracts", distinct=True))
        .order_by("name")
    )


def sla_policy_get(policy_id: int) -> SlaPolicy:
    policy = sla_policies_for_setup().filter(pk=policy_id).first()
    if policy is None:
        raise Http404("No such SLA policy.")
    return policy


def business_calendars_for_setup() -> QuerySet[BusinessCalendar]:
    return (
        BusinessCalendar.objects.prefetch_related(
            Prefetch("open_intervals", queryset=OpenInterval.objects.order_by("weekday", "start"))
        )
        .annotate(
            policy_count=Count("policies", distinct=True),
            holiday_count=Count("holidays", distinct=True),
        )
        .order_by("name")
    )


def business_calendar_get(calendar_id: int) -> BusinessCalendar:
    calendar = business_calendars_for_setup().filter(pk=calendar_id).first()
    if calendar is None:
        raise Http404("No such calendar.")
    return calendar


def _span(start: dt.time, end: dt.time) -> str:
    return f"{start:%H:%M}-{'24:00' if end == dt.time(0) else f'{end:%H:%M}'}"


def weekly_summary(intervals) -> str:
    """The weekly grid in a line, runs of days with the same hours joined: "Mon-Fri 09:00-17:00"."""
    per_day = [
        ", ".join(_span(i.start, i.end) for i in intervals if i.weekday == d) for d in range(7)
    ]
    parts, day = [], 0
    while day < 7:
        last = day
        while last + 1 < 7 and per_day[last + 1] == per_day[day]:
            last += 1
        if per_day[day]:
            days = DAY_ABBREVIATIONS[day]
            if last > day:
                days += f"-{DAY_ABBREVIATIONS[last]}"
            parts.append(f"{days} {per_day[day]}")
        day = last + 1
    return "; ".join(parts) or "never open"


def day_hours_text(intervals, weekday: int) -> str:
    """One weekday's intervals as the calendar form writes them: "08:00-12:00, 13:00-17:00"."""
    return ", ".join(_span(i.start, i.end) for i in intervals if i.weekday == weekday)


@dataclass(frozen=True)
class UpcomingHoliday:
    date: dt.date
    name: str
    source: str  # "explicit", "public" or both
    open_that_day: bool  # False: the desk is closed that weekday anyway, nothing is skipped

    @property
    def weekday(self) -> str:
        return Weekday(self.date.weekday()).label.title()


def calendar_next_holidays(
    *, calendar: BusinessCalendar, start: dt.date, count: int = 10
) -> list[UpcomingHoliday]:
    """The next `count` holidays on or after `start`, as the SLA clock sees them: the dates
    come from the model's own `to_clock`, which merges explicit and public holidays."""
    years = range(start.year, start.year + 3)
    clock = calendar.to_clock(years=years)
    dates = sorted(d for d in clock.holidays if d >= start)[:count]
    explicit = {h.date: h.name for h in calendar.holidays.all()}
    public: dict[dt.date, str] = {}
    if calendar.holiday_country:
        import holidays

        public = dict(
            holidays.country_holidays(
                calendar.holiday_country, subdiv=calendar.holiday_subdivision or None, years=years
            )
        )
    open_days = {day for day, _start, _end in clock.weekly_hours}
    upcoming = []
    for date in dates:
        sources = [s for s, table in (("explicit", explicit), ("public", public)) if date in table]
        names = [table[date] for table in (explicit, public) if date in table and table[date]]
        upcoming.append(
            UpcomingHoliday(
                date=date,
                name=" / ".join(dict.fromkeys(names)),
                source=" and ".join(sources),
                open_that_day=date.weekday() in open_days,
            )
        )
    return upcoming
