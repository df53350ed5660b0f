"""clock_readings and the kept due times: the same answers as the one-by-one calls."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone

import pytest

from vendors.sla import BusinessCalendar, add_business_seconds, business_seconds, clock_readings

HOUR = 3600
OFFICE = BusinessCalendar.weekdays("Europe/London", (time(9), time(17)))


def test_clock_readings_are_the_due_times_and_durations_of_the_calls_one_by_one():
    start = datetime(2025, 3, 28, 20, 15, tzinfo=UTC)  # a Friday night, before the DST change
    ends = [None, start, datetime(2025, 3, 31, 10, tzinfo=UTC), datetime(2025, 4, 9, tzinfo=UTC)]
    targets = [0, 1, HOUR, 8 * HOUR, 80 * HOUR]

    dues, elapsed = clock_readings(OFFICE, start, targets, ends)

    assert dues == [add_business_seconds(OFFICE, start, s) for s in targets]
    assert [due.tzinfo for due in dues] == [UTC] * len(targets)
    assert elapsed == [None] + [business_seconds(OFFICE, start, end) for end in ends[1:]]


def test_clock_readings_refuse_what_the_calls_refuse():
    start = datetime(2025, 3, 28, 20, 15, tzinfo=UTC)
    with pytest.raises(ValueError, match="seconds must not be negative"):
        clock_readings(OFFICE, start, [HOUR, -1], [])
    with pytest.raises(ValueError, match="end is before start"):
        clock_readings(OFFICE, start, [HOUR], [start - timedelta(seconds=1)])


def test_tickets_opened_in_one_closed_stretch_are_due_alike_in_their_own_time_zone():
    friday_night = datetime(2025, 3, 28, 20, 15, tzinfo=UTC)
    sunday = datetime(2025, 3, 30, 12, tzinfo=timezone(timedelta(0), "Z"))

    first = add_business_seconds(OFFICE, friday_night, HOUR)
    second = add_business_seconds(OFFICE, sunday, HOUR)  # the same stretch, another tzinfo

    assert first == second == datetime(2025, 3, 31, 9, tzinfo=UTC)  # Monday 10:00 BST
    assert first.tzinfo is UTC
    assert second.tzinfo is sunday.tzinfo
