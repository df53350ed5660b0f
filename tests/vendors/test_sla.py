"""Unit tests for the SLA business-time clock (vendors.sla); no Django needed."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import pytest

from vendors.sla import (
    BusinessCalendar,
    CalendarError,
    add_business_seconds,
    business_seconds,
)

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
HOUR = 3600
MINUTE = 60

ENGLISH_BANK_HOLIDAYS = frozenset(
    holidays.country_holidays("GB", subdiv="ENG", years=range(2025, 2028)).keys()
)


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


@pytest.fixture
def office() -> BusinessCalendar:
    """METRICS.md's calendar: Mon-Fri 09:00-17:00 London, English bank holidays."""
    return BusinessCalendar.weekdays(
        "Europe/London", (time(9), time(17)), holidays=ENGLISH_BANK_HOLIDAYS
    )


# --- METRICS.md worked examples -----------------------------------------------------------


def test_response_time_skips_the_weekend(office):
    created, responded = london(2026, 11, 20, 16, 30), london(2026, 11, 23, 9, 45)
    assert business_seconds(office, created, responded) == 75 * MINUTE


def test_response_due_time_skips_the_weekend(office):
    due = add_business_seconds(office, london(2026, 11, 20, 16, 30), 60 * MINUTE)
    assert due == london(2026, 11, 23, 9, 30)


def test_the_holidays_package_gives_monday_28_december_2026_as_boxing_day_observed():
    assert date(2026, 12, 25) in ENGLISH_BANK_HOLIDAYS
    assert date(2026, 12, 28) in ENGLISH_BANK_HOLIDAYS


def test_resolution_due_time_skips_christmas_and_the_substitute_boxing_day(office):
    due = add_business_seconds(office, london(2026, 12, 24, 16), 4 * HOUR)
    assert due == london(2026, 12, 29, 12)


def test_a_24x7_night_with_the_clocks_going_forward_is_an_hour_short():
    calendar = BusinessCalendar.always_open("Europe/London")
    created, resolved = london(2026, 3, 29, 0, 30), london(2026, 3, 29, 3, 30)
    assert business_seconds(calendar, created, resolved) == 2 * HOUR


def test_a_pause_removes_only_the_business_hours_it_covers(office):
    created, resolved = london(2026, 11, 16, 10), london(2026, 11, 17, 12)
    pause = (london(2026, 11, 16, 11), london(2026, 11, 17, 10))
    assert business_seconds(office, created, resolved) == 10 * HOUR
    assert business_seconds(office, created, resolved, [pause]) == 3 * HOUR
    assert business_seconds(office, *pause) == 7 * HOUR


# --- shifts, closing time, return values --------------------------------------------------


def test_a_split_shift_skips_the_lunch_break():
    calendar = BusinessCalendar.weekdays("Europe/London", (time(8), time(12)), (time(13), time(17)))
    start = london(2026, 11, 16, 11, 30)
    assert add_business_seconds(calendar, start, HOUR) == london(2026, 11, 16, 13, 30)
    assert business_seconds(calendar, start, london(2026, 11, 16, 13, 30)) == HOUR


def test_touching_shifts_count_like_one_long_shift():
    split = BusinessCalendar.weekdays("Europe/London", (time(8), time(12)), (time(12), time(17)))
    whole = BusinessCalendar.weekdays("Europe/London", (time(8), time(17)))
    start, end = london(2026, 11, 16, 7), london(2026, 11, 20, 18)
    assert business_seconds(split, start, end) == business_seconds(whole, start, end) == 45 * HOUR
    assert add_business_seconds(split, start, 5 * HOUR) == london(2026, 11, 16, 13)


def test_landing_exactly_on_closing_time_returns_closing_time(office):
    due = add_business_seconds(office, london(2026, 11, 16, 9), 8 * HOUR)
    assert due == london(2026, 11, 16, 17)


def test_closing_time_just_before_the_clocks_change_is_still_closing_time(office):
    # Reaching the target on Friday, before Sunday's change, must use Friday's offset.
    due = add_business_seconds(office, london(2026, 3, 27, 16), HOUR)
    assert due == london(2026, 3, 27, 17)
    assert add_business_seconds(office, london(2026, 3, 27, 16), 2 * HOUR) == london(
        2026, 3, 30, 10
    )


def test_a_due_time_beyond_the_year_9999_is_an_overflow(office):
    with pytest.raises(OverflowError):
        add_business_seconds(office, london(9999, 12, 1), 1000 * HOUR)


def test_adding_zero_seconds_returns_the_start_even_out_of_hours(office):
    start = london(2026, 11, 21, 3)
    assert add_business_seconds(office, start, 0) is start


def test_a_start_out_of_hours_waits_for_the_next_opening(office):
    due = add_business_seconds(office, london(2026, 11, 21, 3), MINUTE)
    assert due == london(2026, 11, 23, 9, 1)


def test_the_due_time_comes_back_in_the_tzinfo_of_the_start(office):
    start = datetime(2026, 11, 20, 16, 30, tzinfo=UTC)
    due = add_business_seconds(office, start, HOUR)
    assert due.tzinfo is UTC
    assert due == datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_a_bank_holiday_on_a_saturday_changes_nothing(office):
    # 26 Dec 2026 is a Saturday: listed as a holiday, but closed anyway.
    plain = BusinessCalendar.weekdays("Europe/London", (time(9), time(17)))
    start, end = london(2026, 12, 26), london(2026, 12, 27)
    assert business_seconds(office, start, end) == business_seconds(plain, start, end) == 0


def test_business_seconds_floor_microsecond_inputs_to_whole_seconds(office):
    start = london(2026, 11, 16, 9, 0, 0, 600_000)
    end = london(2026, 11, 16, 9, 0, 2, 500_000)
    assert business_seconds(office, start, end) == 1  # exactly 1.9 s


def test_an_empty_span_is_zero(office):
    moment = london(2026, 11, 16, 10)
    assert business_seconds(office, moment, moment) == 0


# --- time zones ---------------------------------------------------------------------------


def test_a_24_hour_sunday_is_25_hours_long_when_new_york_falls_back():
    sundays = BusinessCalendar("America/New_York", ((6, time(0), time(0)),))
    start = datetime(2026, 10, 31, 12, tzinfo=NEW_YORK)
    end = datetime(2026, 11, 2, 12, tzinfo=NEW_YORK)
    assert business_seconds(sundays, start, end) == 25 * HOUR
    assert add_business_seconds(sundays, start, 25 * HOUR) == datetime(2026, 11, 2, tzinfo=NEW_YORK)
    # Two real hours into the Sunday: the second pass of 01:00, i.e. 06:00 UTC.
    two_hours_in = add_business_seconds(sundays, start, 2 * HOUR)
    assert two_hours_in.astimezone(UTC) == datetime(2026, 11, 1, 6, tzinfo=UTC)


def test_kolkata_hours_are_offset_by_five_and_a_half_hours_from_utc():
    calendar = BusinessCalendar.weekdays("Asia/Kolkata", (time(9), time(17, 30)))
    start = datetime(2026, 3, 2, 3, tzinfo=UTC)  # Monday 08:30 IST
    end = datetime(2026, 3, 2, 12, 30, tzinfo=UTC)  # Monday 18:00 IST
    assert business_seconds(calendar, start, end) == 8 * HOUR + 30 * MINUTE
    assert add_business_seconds(calendar, start, 4 * HOUR) == datetime(
        2026, 3, 2, 7, 30, tzinfo=UTC
    )


def test_lord_howe_days_gain_and_lose_half_an_hour():
    calendar = BusinessCalendar.always_open("Australia/Lord_Howe")
    spring = (
        datetime(2026, 10, 3, 12, tzinfo=LORD_HOWE),
        datetime(2026, 10, 4, 12, tzinfo=LORD_HOWE),
    )
    autumn = (
        datetime(2026, 4, 4, 12, tzinfo=LORD_HOWE),
        datetime(2026, 4, 5, 12, tzinfo=LORD_HOWE),
    )
    assert business_seconds(calendar, *spring) == 23 * HOUR + 30 * MINUTE
    assert business_seconds(calendar, *autumn) == 24 * HOUR + 30 * MINUTE


def test_lord_howe_hours_across_the_fold_count_the_repeated_half_hour_twice():
    # Sunday 01:00-03:00; on 5 April 2026 02:00 (+11) falls back to 01:30 (+10:30).
    calendar = BusinessCalendar("Australia/Lord_Howe", ((6, time(1), time(3)),))
    midnight = datetime(2026, 4, 5, tzinfo=LORD_HOWE)
    assert business_seconds(calendar, midnight, midnight + timedelta(days=1)) == 2 * HOUR + 1800
    after_90_minutes = add_business_seconds(calendar, midnight, 90 * MINUTE)
    assert after_90_minutes == datetime(2026, 4, 5, 2, tzinfo=LORD_HOWE)
    assert after_90_minutes.utcoffset() == timedelta(hours=10, minutes=30)


def test_lord_howe_hours_across_the_gap_lose_the_skipped_half_hour():
    # On 4 October 2026 02:00 (+10:30) jumps to 02:30 (+11).
    calendar = BusinessCalendar("Australia/Lord_Howe", ((6, time(1), time(3)),))
    midnight = datetime(2026, 10, 4, tzinfo=LORD_HOWE)
    assert business_seconds(calendar, midnight, midnight + timedelta(days=1)) == HOUR + 1800
    assert add_business_seconds(calendar, midnight, HOUR) == datetime(
        2026, 10, 4, 2, 30, tzinfo=LORD_HOWE
    )
    assert add_business_seconds(calendar, midnight, 2 * HOUR) == datetime(
        2026, 10, 11, 1, 30, tzinfo=LORD_HOWE
    )


# --- long spans ---------------------------------------------------------------------------


def test_a_two_year_span_equals_the_sum_of_its_parts(office):
    start, end = london(2025, 12, 30, 14, 5), london(2027, 12, 31, 11, 59)
    split = datetime(2026, 7, 14, 12, 37, 11, tzinfo=UTC)
    whole = business_seconds(office, start, end)
    assert whole == business_seconds(office, start, split) + business_seconds(office, split, end)


def test_a_year_of_office_hours_is_working_days_times_eight_hours(office):
    # 2026: 261 weekdays, 8 bank holidays on weekdays (Boxing Day is a Saturday).
    assert business_seconds(office, london(2026, 1, 1), london(2027, 1, 1)) == (261 - 8) * 8 * HOUR


def test_a_24x7_year_is_its_real_length():
    calendar = BusinessCalendar.always_open("Europe/London")
    assert business_seconds(calendar, london(2026, 1, 1), london(2027, 1, 1)) == 365 * 24 * HOUR


def test_adding_and_counting_are_inverses_over_two_years(office):
    start = london(2025, 11, 3, 10, 17)
    for seconds in (1, 8 * HOUR, 1000 * HOUR, 3999 * HOUR + 59 * MINUTE):
        due = add_business_seconds(office, start, seconds)
        assert business_seconds(office, start, due) == seconds
    end = london(2027, 10, 29, 15, 3)
    assert add_business_seconds(office, start, business_seconds(office, start, end)) == end


# --- pauses -------------------------------------------------------------------------------


def test_overlapping_unsorted_pauses_reaching_outside_the_span_are_merged(office):
    start, end = london(2026, 11, 16, 9), london(2026, 11, 16, 17)
    pauses = [
        (london(2026, 11, 16, 15), london(2026, 11, 18)),  # runs past the end
        (london(2026, 11, 16, 10), london(2026, 11, 16, 12)),
        (london(2026, 11, 16, 11), london(2026, 11, 16, 13)),  # overlaps the one above
        (london(2026, 11, 13), london(2026, 11, 16, 9, 30)),  # starts before the start
    ]
    # Open minus 09:00-09:30, 10:00-13:00 and 15:00-17:00: 2.5 h left.
    assert business_seconds(office, start, end, pauses) == 2 * HOUR + 30 * MINUTE
    assert business_seconds(office, start, end, iter(pauses)) == 2 * HOUR + 30 * MINUTE


def test_the_due_time_moves_back_by_the_paused_business_time(office):
    start = london(2026, 11, 16, 10)
    pause = (london(2026, 11, 16, 11), london(2026, 11, 17, 10))
    assert add_business_seconds(office, start, 3 * HOUR) == london(2026, 11, 16, 13)
    assert add_business_seconds(office, start, 3 * HOUR, [pause]) == london(2026, 11, 17, 12)


def test_a_start_inside_a_pause_waits_for_the_pause_to_end(office):
    pause = (london(2026, 11, 16, 8), london(2026, 11, 16, 14))
    due = add_business_seconds(office, london(2026, 11, 16, 10), HOUR, [pause])
    assert due == london(2026, 11, 16, 15)


# --- calendars ----------------------------------------------------------------------------


def test_calendars_normalise_hours_and_holidays_and_stay_hashable():
    a = BusinessCalendar(
        "UTC", [(2, time(13), time(17)), (0, time(9), time(12))], [date(2026, 1, 1)]
    )
    b = BusinessCalendar(
        "UTC", ((0, time(9), time(12)), (2, time(13), time(17))), frozenset({date(2026, 1, 1)})
    )
    assert a.weekly_hours == ((0, time(9), time(12)), (2, time(13), time(17)))
    assert a.holidays == frozenset({date(2026, 1, 1)})
    assert a == b and hash(a) == hash(b)
    assert "_plan" not in repr(a)


def test_a_calendar_survives_pickling():
    calendar = BusinessCalendar.weekdays("Europe/London", (time(9), time(17)))
    copy = pickle.loads(pickle.dumps(calendar))
    assert copy == calendar
    start, end = london(2026, 11, 16), london(2026, 11, 23)
    assert business_seconds(copy, start, end) == 40 * HOUR


def test_is_24x7_only_for_round_the_clock_calendars_without_holidays():
    assert BusinessCalendar.always_open().is_24x7
    assert BusinessCalendar.always_open("Asia/Kolkata").is_24x7
    assert not BusinessCalendar.weekdays("UTC", (time(0), time(0))).is_24x7
    hours = tuple((day, time(0), time(0)) for day in range(7))
    assert not BusinessCalendar("UTC", hours, frozenset({date(2026, 1, 1)})).is_24x7


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field", "reason"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "unknown time zone"),
        ({"time_zone": ""}, "time_zone", "IANA"),
        ({"weekly_hours": ((7, time(9), time(17)),)}, "weekly_hours", "weekday 7"),
        ({"weekly_hours": ((0, time(17), time(9)),)}, "weekly_hours", "does not start before"),
        ({"weekly_hours": ((0, time(9), time(9)),)}, "weekly_hours", "does not start before"),
        (
            {"weekly_hours": ((0, time(9), time(13)), (0, time(12), time(17)))},
            "weekly_hours",
            "overlaps",
        ),
        (
            {"weekly_hours": ((0, time(9), time(17)), (0, time(9), time(17)))},
            "weekly_hours",
            "overlaps",
        ),
        ({"weekly_hours": ()}, "weekly_hours", "no open hours"),
        ({"weekly_hours": ((0, "09:00", time(17)),)}, "weekly_hours", "is not a time"),
        ({"holidays": frozenset({datetime(2026, 1, 1)})}, "holidays", "is not a date"),
    ],
)
def test_an_invalid_calendar_names_the_field_and_the_reason(kwargs, field, reason):
    arguments = {"time_zone": "Europe/London", "weekly_hours": ((0, time(9), time(17)),)}
    arguments.update(kwargs)
    with pytest.raises(CalendarError) as caught:
        BusinessCalendar(**arguments)
    assert caught.value.field == field
    assert reason in str(caught.value)
    assert str(caught.value).startswith(f"{field}: ")
    assert isinstance(caught.value, ValueError)


def test_a_calendar_error_survives_pickling():
    error = pickle.loads(pickle.dumps(CalendarError("time_zone", "unknown time zone 'X'")))
    assert (error.field, str(error)) == ("time_zone", "time_zone: unknown time zone 'X'")


def test_weekdays_without_shifts_has_no_open_hours():
    with pytest.raises(CalendarError, match="no open hours"):
        BusinessCalendar.weekdays("Europe/London")


def test_a_naive_start_is_refused_by_name(office):
    with pytest.raises(ValueError, match="^start must be timezone-aware$"):
        business_seconds(office, datetime(2026, 11, 16, 9), london(2026, 11, 16, 17))
    with pytest.raises(ValueError, match="^start must be timezone-aware$"):
        add_business_seconds(office, datetime(2026, 11, 16, 9), HOUR)


def test_a_naive_end_is_refused_by_name(office):
    with pytest.raises(ValueError, match="^end must be timezone-aware$"):
        business_seconds(office, london(2026, 11, 16, 9), datetime(2026, 11, 16, 17))


def test_an_end_before_the_start_is_refused(office):
    with pytest.raises(ValueError, match="end is before start"):
        business_seconds(office, london(2026, 11, 16, 17), london(2026, 11, 16, 9))


def test_a_pause_ending_before_it_starts_is_refused(office):
    pauses = [(london(2026, 11, 16, 12), london(2026, 11, 16, 11))]
    with pytest.raises(ValueError, match=r"pauses\[0\] end is before its start"):
        business_seconds(office, london(2026, 11, 16, 9), london(2026, 11, 16, 17), pauses)
    with pytest.raises(ValueError, match=r"pauses\[0\] end is before its start"):
        add_business_seconds(office, london(2026, 11, 16, 9), 0, pauses)


def test_a_naive_pause_is_refused_by_name(office):
    pauses = [(london(2026, 11, 16, 11), datetime(2026, 11, 16, 12))]
    with pytest.raises(ValueError, match=r"pauses\[0\] end must be timezone-aware"):
        business_seconds(office, london(2026, 11, 16, 9), london(2026, 11, 16, 17), pauses)


def test_negative_or_fractional_seconds_are_refused(office):
    with pytest.raises(ValueError, match="seconds must not be negative"):
        add_business_seconds(office, london(2026, 11, 16, 9), -1)
    with pytest.raises(TypeError, match="seconds must be an integer"):
        add_business_seconds(office, london(2026, 11, 16, 9), 1.5)
