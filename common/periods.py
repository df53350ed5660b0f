"""Reporting periods: ISO weeks, calendar months and quarters, cut in the reporting zone.

Pure Python. A period is named by its kind and its first local date; its bounds are aware
datetimes at local midnight, so a DST month is as long as it really is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from zoneinfo import ZoneInfo


class PeriodKind(StrEnum):
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"


@dataclass(frozen=True, order=True)
class Period:
    kind: PeriodKind
    start: dt.date  # first local day

    @classmethod
    def containing(cls, kind: PeriodKind | str, day: dt.date) -> Period:
        kind = PeriodKind(kind)
        if kind is PeriodKind.WEEK:
            return cls(kind, day - dt.timedelta(days=day.weekday()))
        if kind is PeriodKind.MONTH:
            return cls(kind, day.replace(day=1))
        return cls(kind, dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1))

    @classmethod
    def at(cls, kind: PeriodKind | str, instant: dt.datetime, zone: str) -> Period:
        return cls.containing(kind, instant.astimezone(ZoneInfo(zone)).date())

    @property
    def end(self) -> dt.date:
        """First local day after the period."""
        if self.kind is PeriodKind.WEEK:
            return self.start + dt.timedelta(days=7)
        months = 1 if self.kind is PeriodKind.MONTH else 3
        return add_months(self.start, months)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def next(self) -> Period:
        return Period(self.kind, self.end)

    def previous(self) -> Period:
        return Period.containing(self.kind, self.start - dt.timedelta(days=1))

    def bounds(self, zone: str) -> tuple[dt.datetime, dt.datetime]:
        """[start, end) as aware datetimes at local midnight in `zone`."""
        tz = ZoneInfo(zone)
        return (
            dt.datetime.combine(self.start, dt.time(0), tz),
            dt.datetime.combine(self.end, dt.time(0), tz),
        )

    @property
    def label(self) -> str:
        if self.kind is PeriodKind.WEEK:
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind is PeriodKind.MONTH:
            return f"{self.start:%Y-%m}"
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    def __str__(self) -> str:
        return self.label


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day-of-month `months` later, for first-of-month dates (all we need)."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, day.day)


def periods_between(kind: PeriodKind | str, first: dt.date, last: dt.date) -> Iterator[Period]:
    """Every period of `kind` that overlaps [first, last], in order."""
    period = Period.containing(kind, first)
    while period.start <= last:
        yield period
        period = period.next()


def period_from_label(label: str) -> Period:
    """The period named by `label` (2026-10, 2026-W43, 2026-Q3); ValueError if it names none."""
    label = label.strip().upper()
    try:
        if "-W" in label:
            year, week = label.split("-W")
            return Period(PeriodKind.WEEK, dt.date.fromisocalendar(int(year), int(week), 1))
        if "-Q" in label:
            year, quarter = label.split("-Q")
            if not 1 <= int(quarter) <= 4:
                raise ValueError(label)
            return Period(PeriodKind.QUARTER, dt.date(int(year), 3 * int(quarter) - 2, 1))
        year, month = label.split("-")
        return Period(PeriodKind.MONTH, dt.date(int(year), int(month), 1))
    except (ValueError, TypeError):
        raise ValueError(f"{label!r} is not a period: use 2026-10, 2026-W43 or 2026-Q3") from None
