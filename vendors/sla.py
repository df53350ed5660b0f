"""SLA business-time clock: count and add business seconds on a weekly calendar.

Pure Python, no Django import, so the clock can be tested and reused on its own (an
import-linter contract keeps it so). It lives in vendors beside the business calendars and
SLA policies whose promises it measures; tickets derive their due times and business seconds
with it.

What counts
-----------
Business seconds are *real* elapsed seconds (UTC instants) that are open. An instant is open
when its local wall time in the calendar's zone lies in one of that weekday's ``[start, end)``
intervals and its local date is not a holiday. So a night that springs forward is an hour
short, and in a fall-back fold both real passes of (say) 01:30 count if 01:30 is open.

How it stays cheap
------------------
Between two UTC-offset transitions the wall clock is just ``instant + offset``, so the open
time of such a stretch is the open *wall* time of the shifted range. Open wall time is a
weekly pattern minus holidays, and its running total (``_Plan.wall_total``) is arithmetic:
whole weeks by multiplication, the part week by bisect, holidays by bisect on a prefix sum.
A count therefore costs O(offset transitions in the span + log holidays), nothing per day or
week. Transitions are found once per ~year-sized block of a zone (sampling the offset every
two days and bisecting to the second) and cached.

A calendar also keeps (bounded) each wall day's running total at its start, so a total is a
dict lookup plus that day's runs, and each due time by where its start stands (the running
total and the next offset change): every instant of a closed stretch (a night, a weekend)
stands at the same place, so the tickets opened in it are due alike, computed once.
``clock_readings`` reads a ticket's due times and durations from one start in one call.

Everything is integer microseconds, so results are exact; ``business_seconds`` floors the
exact figure to whole seconds only at the end.
"""

from __future__ import annotations

import operator
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "BusinessCalendar",
    "CalendarError",
    "add_business_seconds",
    "business_seconds",
    "clock_readings",
]

_US = 1_000_000  # microseconds per second
_DAY = 86_400 * _US
_WEEK = 7 * _DAY
# 1970-01-01 (wall-clock day 0) was a Thursday: shifting by three days starts weeks on Monday.
_MONDAY_SHIFT = 3 * _DAY
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ONE_US = timedelta(microseconds=1)
_MAX_US = (datetime.max.replace(tzinfo=UTC) - _EPOCH) // _ONE_US - 2 * _DAY
_MAX_S = _MAX_US // _US
_MIN_S = (datetime.min.replace(tzinfo=UTC) - _EPOCH) // timedelta(seconds=1) + 2 * 86_400
_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Offsets are cached per block of 2**25 s (~388 days). Within a block the offset is sampled
# every 2 days and each change bisected to the second. A change undone within 2 days would be
# missed; since 1970 tzdata's closest pair is ~7 days (Brazil 2000, Gaza), checked zone by zone.
_BLOCK_S = 1 << 25
_SAMPLE_S = 2 * 86_400
# Entries a calendar keeps of its days' totals and of due times before it starts afresh.
_KEPT = 1 << 14


class CalendarError(ValueError):
    """An invalid BusinessCalendar; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        # Both in args so the error pickles (e.g. through Celery) and round-trips.
        super().__init__(field, message)
        self.field = field
        self.message = message

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly opening hours in a time zone, minus holidays.

    ``weekly_hours`` holds ``(weekday, start, end)`` in local wall time, weekday 0 = Monday;
    ``end == time(0, 0)`` means midnight at the end of that day (24:00). Intervals on the same
    weekday may touch (08:00-12:00 and 12:00-17:00) but not overlap. After construction
    ``weekly_hours`` is a sorted tuple and ``holidays`` a frozenset of dates.
    """

    time_zone: str
    weekly_hours: tuple[tuple[int, time, time], ...]
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        zone = _load_zone(self.time_zone)
        hours, day_intervals = _normalise_hours(self.weekly_hours)
        holidays = _normalise_holidays(self.holidays)
        object.__setattr__(self, "weekly_hours", hours)
        object.__setattr__(self, "holidays", holidays)
        # Precomputed lookup tables; not a dataclass field, so eq/hash/repr ignore it.
        object.__setattr__(self, "_plan", _Plan(zone, day_intervals, holidays))

    @classmethod
    def always_open(cls, time_zone: str = "UTC") -> BusinessCalendar:
        """Open every second of every day (24x7)."""
        return cls(time_zone, tuple((day, time(0), time(0)) for day in range(7)))

    @classmethod
    def weekdays(
        cls, time_zone: str, *shifts: tuple[time, time], holidays: Iterable[date] = ()
    ) -> BusinessCalendar:
        """Monday to Friday with the given shifts, e.g. ``(time(9), time(17))``."""
        hours = tuple((day, start, end) for day in range(5) for start, end in shifts)
        return cls(time_zone, hours, frozenset(holidays))

    @property
    def is_24x7(self) -> bool:
        """True when every day is open around the clock and there are no holidays."""
        plan: _Plan = self._plan  # type: ignore[attr-defined]
        return not self.holidays and all(length == _DAY for length in plan.day_open)


def business_seconds(
    calendar: BusinessCalendar,
    start: datetime,
    end: datetime,
    pauses: Iterable[tuple[datetime, datetime]] = (),
) -> int:
    """Open seconds in ``[start, end)``, less open seconds inside the union of ``pauses``.

    Pauses may overlap, come in any order and reach outside ``[start, end)``. The exact figure
    is computed in microseconds and floored to whole seconds.
    """
    lo = _to_us(start, "start")
    hi = _to_us(end, "end")
    if hi < lo:
        raise ValueError("end is before start")
    plan: _Plan = calendar._plan  # type: ignore[attr-defined]
    total = plan.open_between(lo, hi)
    # Most tickets never pause: skip building an empty union. Anything but an empty list or
    # tuple goes through _merge_pauses, which refuses what is not a sequence of pairs.
    if pauses.__class__ not in (tuple, list) or pauses:
        for pause_lo, pause_hi in _merge_pauses(pauses, lo, hi):
            total -= plan.open_between(pause_lo, pause_hi)
    return total // _US


def add_business_seconds(
    calendar: BusinessCalendar,
    start: datetime,
    seconds: int,
    pauses: Iterable[tuple[datetime, datetime]] = (),
) -> datetime:
    """The earliest instant ``t >= start`` with ``business_seconds(.., start, t, pauses)``
    equal to ``seconds``, in ``start``'s tzinfo.

    Landing exactly on closing time returns closing time, not the next opening.
    """
    cur = _to_us(start, "start")
    if seconds.__class__ is int:
        wanted = seconds
    else:
        try:
            wanted = operator.index(seconds)
        except TypeError:
            raise TypeError(f"seconds must be an integer, not {type(seconds).__name__}") from None
    if wanted < 0:
        raise ValueError("seconds must not be negative")
    # Validate pauses even when seconds == 0.
    spans = (
        () if pauses.__class__ in (tuple, list) and not pauses else _merge_pauses(pauses, cur, None)
    )
    if wanted == 0:
        return start
    plan: _Plan = calendar._plan  # type: ignore[attr-defined]
    remaining = wanted * _US
    for pause_lo, pause_hi in spans:
        if pause_lo > cur:
            available = plan.open_between(cur, pause_lo)
            if remaining <= available:
                return plan.due(cur, remaining, start.tzinfo)
            remaining -= available
        cur = pause_hi
    return plan.due(cur, remaining, start.tzinfo)


def clock_readings(
    calendar: BusinessCalendar,
    start: datetime,
    targets: Iterable[int],
    ends: Iterable[datetime | None],
) -> tuple[list[datetime], list[int | None]]:
    """What a clock started at ``start`` reads: ``add_business_seconds(calendar, start, s)``
    for each of ``targets`` and ``business_seconds(calendar, start, end)`` for each of ``ends``
    (None for None), with the same results and errors in the same order, ``start`` read once:
    a ticket's due times and durations, a million times on a large import."""
    lo = _to_us(start, "start")
    plan: _Plan = calendar._plan  # type: ignore[attr-defined]
    tz = start.tzinfo
    dues = []
    for seconds in targets:
        if seconds.__class__ is int and seconds > 0:
            dues.append(plan.due(lo, seconds * _US, tz))
        else:  # zero, negative or not an int: its own checks and errors
            dues.append(add_business_seconds(calendar, start, seconds))
    elapsed: list[int | None] = []
    for end in ends:
        if end is None:
            elapsed.append(None)
            continue
        hi = _to_us(end, "end")
        if hi < lo:
            raise ValueError("end is before start")
        elapsed.append(plan.open_between(lo, hi) // _US)
    return dues, elapsed


# --- validation and conversion ------------------------------------------------------------


def _load_zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise CalendarError("time_zone", f"must be an IANA zone name, not {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        # ValueError: keys like "../etc" that zoneinfo refuses outright.
        raise CalendarError("time_zone", f"unknown time zone {name!r}") from None


def _time_us(value: time) -> int:
    return ((value.hour * 60 + value.minute) * 60 + value.second) * _US + value.microsecond


def _fmt(value: int) -> str:
    minutes = value // (60 * _US)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _normalise_hours(
    raw: object,
) -> tuple[tuple[tuple[int, time, time], ...], tuple[tuple[tuple[int, int], ...], ...]]:
    """Validate; return sorted hours and, per weekday, merged ``(start_us, end_us)`` runs."""
    field = "weekly_hours"
    try:
        items = tuple(raw)  # type: ignore[arg-type]
    except TypeError:
        raise CalendarError(field, "must be a sequence of (weekday, start, end)") from None
    entries = []
    for item in items:
        try:
            day, start, end = item
        except (TypeError, ValueError):
            raise CalendarError(field, f"{item!r} is not a (weekday, start, end) triple") from None
        if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
            raise CalendarError(field, f"weekday {day!r} is not an integer 0 (Monday) to 6")
        for value in (start, end):
            if not isinstance(value, time):
                raise CalendarError(field, f"{value!r} on {_DAY_NAMES[day]} is not a time")
            if value.tzinfo is not None:
                raise CalendarError(field, f"{value} on {_DAY_NAMES[day]} must be naive wall time")
        lo = _time_us(start)
        hi = _DAY if end == time(0) else _time_us(end)
        if lo >= hi:
            raise CalendarError(
                field, f"{_fmt(lo)}-{_fmt(hi)} on {_DAY_NAMES[day]} does not start before it ends"
            )
        entries.append((day, lo, hi, start, end))
    if not entries:
        raise CalendarError(field, "no open hours: give at least one (weekday, start, end)")
    entries.sort(key=lambda entry: entry[:3])
    per_day: list[list[list[int]]] = [[] for _ in range(7)]
    for day, lo, hi, _start, _end in entries:
        runs = per_day[day]
        if runs and lo < runs[-1][1]:
            raise CalendarError(
                field,
                f"{_fmt(lo)}-{_fmt(hi)} overlaps {_fmt(runs[-1][0])}-{_fmt(runs[-1][1])} "
                f"on {_DAY_NAMES[day]}",
            )
        if runs and lo == runs[-1][1]:
            runs[-1][1] = hi  # touching intervals are one run
        else:
            runs.append([lo, hi])
    hours = tuple((day, start, end) for day, _lo, _hi, start, end in entries)
    return hours, tuple(tuple((lo, hi) for lo, hi in runs) for runs in per_day)


def _normalise_holidays(raw: object) -> frozenset[date]:
    try:
        values = frozenset(raw)  # type: ignore[arg-type]
    except TypeError:
        raise CalendarError("holidays", "must be a collection of dates") from None
    for value in values:
        # datetime is a date subclass, but a holiday is a whole local date.
        if not isinstance(value, date) or isinstance(value, datetime):
            raise CalendarError("holidays", f"{value!r} is not a date")
    return values


def _to_us(value: object, name: str) -> int:
    global _last_us
    last = _last_us
    if value is last[0]:  # a ticket's creation, converted for each of its four readings
        return last[1]
    if value.__class__ is datetime and value.tzinfo is UTC:  # what tickets hold: no checks due
        instant = (value - _EPOCH) // _ONE_US  # type: ignore[operator]
        _last_us = (value, instant)  # one tuple, so threads may share it
        return instant
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return (value - _EPOCH) // _ONE_US


_last_us: tuple[datetime | None, int] = (None, 0)  # the last UTC datetime _to_us converted


def _from_us(instant: int, tz: tzinfo | None) -> datetime:
    if instant > _MAX_US:
        raise OverflowError("the result is beyond datetime.max")
    return (_EPOCH + timedelta(0, 0, instant)).astimezone(tz)


def _merge_pauses(
    pauses: Iterable[tuple[datetime, datetime]], lo: int, hi: int | None
) -> list[tuple[int, int]]:
    """Validate every pause; return the union clipped to ``[lo, hi)``, sorted, disjoint."""
    spans = []
    for index, pause in enumerate(pauses):
        try:
            pause_start, pause_end = pause
        except (TypeError, ValueError):
            raise TypeError(f"pauses[{index}] must be a (start, end) pair") from None
        a = _to_us(pause_start, f"pauses[{index}] start")
        b = _to_us(pause_end, f"pauses[{index}] end")
        if b < a:
            raise ValueError(f"pauses[{index}] end is before its start")
        a = max(a, lo)
        if hi is not None:
            b = min(b, hi)
        if a < b:
            spans.append((a, b))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


# --- time zone offsets --------------------------------------------------------------------


def _offset_at_second(zone: ZoneInfo, second: int) -> int:
    # Clamp: blocks at the ends of datetime's range sample instants it cannot represent.
    second = min(max(second, _MIN_S), _MAX_S)
    return datetime.fromtimestamp(second, zone).utcoffset() // _ONE_US  # type: ignore[operator]


@lru_cache(maxsize=2048)
def _zone_block(zone: ZoneInfo, block: int) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
    """Offset changes with instants in block ``block``.

    Returns (offset just before the block, transition instants in us, offset from each).
    """
    first = block * _BLOCK_S - 1  # one second early, to catch a change at the block start
    last = (block + 1) * _BLOCK_S - 1
    points = [*range(first, last, _SAMPLE_S), last]
    prev_second = first
    prev_offset = before = _offset_at_second(zone, first)
    instants: list[int] = []
    offsets: list[int] = []
    for second in points[1:]:
        offset = _offset_at_second(zone, second)
        while offset != prev_offset:
            # Bisect for the first second after prev_second whose offset differs.
            lo, hi = prev_second, second
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if _offset_at_second(zone, mid) == prev_offset:
                    lo = mid
                else:
                    hi = mid
            prev_second, prev_offset = hi, _offset_at_second(zone, hi)
            instants.append(hi * _US)
            offsets.append(prev_offset)
        prev_second = second
    return before, tuple(instants), tuple(offsets)


# --- the plan: calendar arithmetic on the wall-clock timeline -----------------------------


class _Plan:
    """A calendar compiled to integer tables.

    "Wall" values are local wall-clock microseconds since 1970-01-01 00:00 (naive), so wall
    day ``x // _DAY`` is a local date and ``wall = instant + utc_offset``.
    """

    __slots__ = (
        "zone",
        "day_open",
        "week_open",
        "starts",
        "ends",
        "cum_before",
        "cum_after",
        "holiday_days",
        "holiday_cum",
        "holiday_reach",
        "changes",
        "last_start",
        "day_runs",
        "days",
        "dues",
    )

    def __init__(
        self,
        zone: ZoneInfo,
        day_intervals: tuple[tuple[tuple[int, int], ...], ...],
        holidays: frozenset[date],
    ) -> None:
        self.zone = zone
        self.day_open = tuple(sum(hi - lo for lo, hi in runs) for runs in day_intervals)
        self.week_open = sum(self.day_open)
        # The week as one list of runs (us from Monday 00:00), merged across midnights.
        runs: list[list[int]] = []
        for day, day_runs in enumerate(day_intervals):
            for lo, hi in day_runs:
                lo, hi = lo + day * _DAY, hi + day * _DAY
                if runs and runs[-1][1] == lo:
                    runs[-1][1] = hi
                else:
                    runs.append([lo, hi])
        self.starts = [lo for lo, _ in runs]
        self.ends = [hi for _, hi in runs]
        self.cum_before = []
        self.cum_after = []
        total = 0
        for lo, hi in runs:
            self.cum_before.append(total)
            total += hi - lo
            self.cum_after.append(total)
        # Holidays as wall-day numbers, with a prefix sum of the open time each one removes.
        self.holiday_days = sorted(day.toordinal() - _EPOCH_ORDINAL for day in holidays)
        self.holiday_cum = [0]
        for day in self.holiday_days:
            removed = self.day_open[(day + 3) % 7]
            self.holiday_cum.append(self.holiday_cum[-1] + removed)
        # wall_total at the start of each holiday: non-decreasing, so first_wall_reaching
        # bisects it instead of working out ~log2(holidays) totals on every call.
        self.holiday_reach = [
            self.nominal_total(day * _DAY) - self.holiday_cum[index]
            for index, day in enumerate(self.holiday_days)
        ]
        self.changes: dict[int, tuple[int, int]] = {}
        self.last_start: tuple | None = None
        self.day_runs = day_intervals
        self.days: dict[int, tuple[int, tuple[tuple[int, int], ...]]] = {}
        self.dues: dict[tuple, datetime] = {}

    def nominal_total(self, wall: int) -> int:
        """Open wall time from the origin to ``wall``, ignoring holidays."""
        weeks, rest = divmod(wall + _MONDAY_SHIFT, _WEEK)
        index = bisect_right(self.starts, rest) - 1
        if index < 0:
            return weeks * self.week_open
        return (
            weeks * self.week_open
            + self.cum_before[index]
            + min(rest, self.ends[index])
            - self.starts[index]
        )

    def wall_total(self, wall: int) -> int:
        """Open wall time from the origin to ``wall``, holidays removed: the day's total at
        its start (kept per day) plus its open runs up to ``wall``."""
        day, rest = divmod(wall, _DAY)
        known = self.days.get(day)
        if known is None:
            known = self.day_start(day)
        total, runs = known
        for lo, hi in runs:
            if rest <= lo:
                break
            total += (hi if rest > hi else rest) - lo
        return total

    def day_start(self, day: int) -> tuple[int, tuple[tuple[int, int], ...]]:
        """(``wall_total`` at the start of wall day ``day``, its open runs: none on a
        holiday), kept: a ticket's clock reads the same few days again and again."""
        index = bisect_left(self.holiday_days, day)
        if index < len(self.holiday_days) and self.holiday_days[index] == day:
            runs: tuple[tuple[int, int], ...] = ()
        else:
            runs = self.day_runs[(day + 3) % 7]
        known = (self.nominal_total(day * _DAY) - self.holiday_cum[index], runs)
        if len(self.days) >= _KEPT:
            self.days.clear()
        self.days[day] = known
        return known

    def first_wall_reaching(self, target: int, floor: int) -> int:
        """The smallest wall value at which ``wall_total`` reaches ``target``, which must
        exceed ``wall_total(floor)``."""
        # Find j: the first holiday whose day start already has total >= target; the answer
        # lies between holiday j-1 and holiday j, where exactly j holidays are behind it.
        lo = bisect_right(self.holiday_days, floor // _DAY)
        lo = bisect_left(self.holiday_reach, target, lo)
        nominal = target + self.holiday_cum[lo]
        weeks, rest = divmod(nominal - 1, self.week_open)
        rest += 1  # 1..week_open, so a target on a run's end lands on that end
        index = bisect_left(self.cum_after, rest)
        return weeks * _WEEK + self.starts[index] + rest - self.cum_before[index] - _MONDAY_SHIFT

    def change_totals(self, change: int, old: int, new: int) -> tuple[int, int]:
        """``wall_total`` just before and just after the offset change at instant ``change``.

        Cached per calendar: a change's totals never vary, and reusing them is what keeps a
        span over many DST changes as cheap as a short one.
        """
        totals = self.changes.get(change)
        if totals is None:
            totals = (self.wall_total(change + old), self.wall_total(change + new))
            self.changes[change] = totals
        return totals

    def start(self, instant: int) -> tuple:
        """Where ``instant`` stands: (instant, its block, the block's change instants and
        offsets, the index of the next change, its offset, wall_total at it).

        The last one asked is kept (one immutable tuple, so threads may share it): a ticket's
        due times and durations all start at its creation, four calls in a row.
        """
        state = self.last_start
        if state is not None and state[0] == instant:
            return state
        block = instant // _US // _BLOCK_S
        before, instants, offsets = _zone_block(self.zone, block)
        index = bisect_right(instants, instant)
        offset = offsets[index - 1] if index else before
        state = (
            instant,
            block,
            instants,
            offsets,
            index,
            offset,
            self.wall_total(instant + offset),
        )
        self.last_start = state
        return state

    def open_between(self, lo: int, hi: int) -> int:
        """Open microseconds between instants ``lo <= hi``.

        Each stretch between offset changes contributes wall_total(end) - wall_total(start) at
        its own offset; the sum telescopes to the two ends minus each change's jump.
        """
        _, first, instants, offsets, index, offset, base = self.start(lo)
        if (index == len(instants) or hi <= instants[index]) and hi // _US // _BLOCK_S == first:
            return self.wall_total(hi + offset) - base  # no offset change between: most spans
        total = -base
        for block in range(first, hi // _US // _BLOCK_S + 1):
            if block != first:
                _, instants, offsets = _zone_block(self.zone, block)
                index = 0
            while index < len(instants) and instants[index] < hi:
                at_old, at_new = self.change_totals(instants[index], offset, offsets[index])
                total += at_old - at_new
                offset = offsets[index]
                index += 1
        return total + self.wall_total(hi + offset)

    def due(self, cur: int, remaining: int, tz: tzinfo) -> datetime:
        """The earliest instant ``t > cur`` with ``open_between(cur, t) == remaining > 0``, as
        a datetime in ``tz``. Kept: it depends on ``cur`` only through where it stands
        (wall_total, the next offset change), which every instant of a closed stretch shares,
        so tickets opened overnight or at a weekend are due alike."""
        if cur + remaining > _MAX_US:  # open time never outruns real time
            raise OverflowError("the result is beyond datetime.max")
        state = self.start(cur)
        if tz.__class__ is not timezone and tz.__class__ is not ZoneInfo:
            return _from_us(self._advance(state, remaining), tz)  # may not hash
        key = (state[6], remaining, state[1], state[4], tz)
        due = self.dues.get(key)
        # An equal fixed offset of another name must not lend its tzinfo.
        if due is None or due.tzinfo is not tz:
            due = _from_us(self._advance(state, remaining), tz)
            if len(self.dues) >= _KEPT:
                self.dues.clear()
            self.dues[key] = due
        return due

    def _advance(self, state: tuple, remaining: int) -> int:
        """``due``'s instant, from where ``cur`` stands (``start(cur)``)."""
        # wall_total at cur, in cur's offset
        cur, block, instants, offsets, index, offset, base = state
        # Walk offset changes (cached totals, no arithmetic per day) until the one that comes
        # after the answer; `remaining` is what is still owed from `cur`.
        while True:
            if index < len(instants):
                at_old, at_new = self.change_totals(instants[index], offset, offsets[index])
                if at_old - base >= remaining:
                    break
                remaining -= at_old - base
                cur, offset, base = instants[index], offsets[index], at_new
                index += 1
                continue
            block_end = (block + 1) * _BLOCK_S * _US
            if self.wall_total(block_end + offset) - base >= remaining:
                break
            if block_end > _MAX_US:
                raise OverflowError("the result is beyond datetime.max")
            block += 1
            _, instants, offsets = _zone_block(self.zone, block)
            index = 0
        return self.first_wall_reaching(base + remaining, cur + offset) - offset
