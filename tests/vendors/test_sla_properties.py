"""Property tests: the SLA clock against a minute-by-minute reference.

The reference walks real UTC minutes, converts each to local wall time and checks the weekday
intervals, holidays and pauses directly, so it shares no arithmetic with vendors.sla. Inputs
are minute-aligned and every zone used has offsets and transitions on whole minutes, so a
minute is either wholly open or wholly closed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vendors.sla import BusinessCalendar, add_business_seconds, business_seconds

ZONES = [
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Australia/Lord_Howe",
    "UTC",
    "Pacific/Chatham",
]
MINUTE = 60
MAX_SPAN_MINUTES = 20 * 24 * 60  # keeps the reference walk under 30k minutes
FIRST = datetime(2024, 1, 1, tzinfo=UTC)
LAST = datetime(2027, 12, 1, tzinfo=UTC)

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def reference_seconds(
    calendar: BusinessCalendar,
    start: datetime,
    end: datetime,
    pauses: list[tuple[datetime, datetime]] = (),  # type: ignore[assignment]
) -> int:
    """Open, unpaused seconds in [start, end), one real minute at a time."""
    zone = ZoneInfo(calendar.time_zone)
    hours: dict[int, list[tuple[time, time | None]]] = {}
    for day, lo, hi in calendar.weekly_hours:
        hours.setdefault(day, []).append((lo, None if hi == time(0) else hi))
    open_minutes = 0
    stamp = int(start.timestamp())
    stop = int(end.timestamp())
    pause_stamps = [(p.timestamp(), q.timestamp()) for p, q in pauses]
    while stamp < stop:
        local = datetime.fromtimestamp(stamp, zone)
        wall = local.time().replace(tzinfo=None)
        is_open = local.date() not in calendar.holidays and any(
            lo <= wall and (hi is None or wall < hi) for lo, hi in hours.get(local.weekday(), ())
        )
        if is_open and not any(p <= stamp < q for p, q in pause_stamps):
            open_minutes += 1
        stamp += MINUTE
    return open_minutes * MINUTE


def slot_time(slot: int) -> time:
    """Slot n of a day's 15-minute slots; slot 96 is 24:00, written time(0)."""
    return time(0) if slot == 96 else time(slot // 4, slot % 4 * 15)


@st.composite
def day_intervals(draw: st.DrawFn) -> list[tuple[time, time]]:
    """1-3 disjoint intervals on 15-minute boundaries; touching ones are allowed."""
    count = draw(st.integers(1, 3))
    cuts = sorted(draw(st.sets(st.integers(0, 96), min_size=2 * count, max_size=2 * count)))
    spans = [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts), 2)]
    if len(spans) > 1 and draw(st.booleans()):
        # Make the second interval touch the first, to exercise merging.
        spans[1] = (spans[0][1], spans[1][1])
    return [(slot_time(lo), slot_time(hi)) for lo, hi in spans]


@st.composite
def calendars(draw: st.DrawFn, around: datetime, span_days: int) -> BusinessCalendar:
    zone = draw(st.sampled_from(ZONES))
    if draw(st.integers(0, 5)) == 0:
        hours = tuple((day, time(0), time(0)) for day in range(7))
    else:
        days = draw(st.sets(st.integers(0, 6), min_size=1, max_size=7))
        hours = tuple((day, lo, hi) for day in sorted(days) for lo, hi in draw(day_intervals()))
    first_day = around.date() - timedelta(days=2)
    holidays = draw(
        st.frozensets(
            st.integers(0, span_days + 4).map(lambda n: first_day + timedelta(days=n)),
            max_size=4,
        )
    )
    return BusinessCalendar(zone, hours, holidays)


def minute_instants(lo: datetime, hi: datetime) -> st.SearchStrategy[datetime]:
    minutes = int((hi - lo).total_seconds()) // MINUTE
    return st.integers(0, minutes).map(lambda n: lo + timedelta(minutes=n))


@st.composite
def scenarios(draw: st.DrawFn, starts: st.SearchStrategy[datetime] | None = None):
    start = draw(starts if starts is not None else minute_instants(FIRST, LAST))
    span = draw(st.integers(0, MAX_SPAN_MINUTES))
    end = start + timedelta(minutes=span)
    calendar = draw(calendars(start, span // 1440))
    pauses = []
    for _ in range(draw(st.integers(0, 3))):
        pause_start = draw(minute_instants(start - timedelta(days=1), end + timedelta(hours=12)))
        length = draw(st.integers(0, 3 * 24 * 60))
        pauses.append((pause_start, pause_start + timedelta(minutes=length)))
    # Hand the instants over in the calendar's zone, or UTC, to vary the input tzinfo.
    if draw(st.booleans()):
        zone = ZoneInfo(calendar.time_zone)
        start, end = start.astimezone(zone), end.astimezone(zone)
    return calendar, start, end, pauses


def near_transitions() -> st.SearchStrategy[datetime]:
    """Starts a few days before the DST changes of the zones in ZONES."""
    anchors = [
        date(year, month, day)
        for year in (2024, 2025, 2026, 2027)
        for month, day in ((3, 20), (3, 28), (4, 1), (9, 20), (9, 28), (10, 20), (10, 28), (11, 1))
    ]
    return st.tuples(st.sampled_from(anchors), st.integers(0, 10 * 24 * 60)).map(
        lambda pair: datetime.combine(pair[0], time(0), UTC) + timedelta(minutes=pair[1])
    )


# Half the scenarios start just before a DST change, where most of the arithmetic is.
any_scenario = st.one_of(scenarios(), scenarios(starts=near_transitions()))


@SETTINGS
@given(scenarios())
def test_business_seconds_match_the_minute_by_minute_reference(scenario):
    calendar, start, end, pauses = scenario
    assert business_seconds(calendar, start, end) == reference_seconds(calendar, start, end)
    assert business_seconds(calendar, start, end, pauses) == reference_seconds(
        calendar, start, end, pauses
    )


@SETTINGS
@given(scenarios(starts=near_transitions()))
def test_business_seconds_match_the_reference_across_dst_changes(scenario):
    calendar, start, end, pauses = scenario
    assert business_seconds(calendar, start, end, pauses) == reference_seconds(
        calendar, start, end, pauses
    )


@settings(max_examples=300, deadline=None)
@given(any_scenario, st.booleans())
def test_adding_the_counted_seconds_lands_at_the_earliest_instant_not_after_end(
    scenario, with_pauses
):
    calendar, start, end, pauses = scenario
    pauses = pauses if with_pauses else []
    counted = business_seconds(calendar, start, end, pauses)
    due = add_business_seconds(calendar, start, counted, pauses)
    assert start <= due <= end
    assert due.tzinfo is start.tzinfo
    assert business_seconds(calendar, start, due, pauses) == counted
    if counted:
        # Earliest: a second sooner the target has not been reached yet.
        assert business_seconds(calendar, start, due - timedelta(seconds=1), pauses) < counted


@settings(max_examples=300, deadline=None)
@given(any_scenario, st.integers(0, 400 * 24 * 3600))
def test_counting_up_to_the_due_time_gives_back_the_seconds_added(scenario, seconds):
    calendar, start, _end, pauses = scenario
    due = add_business_seconds(calendar, start, seconds, pauses)
    assert due >= start
    assert business_seconds(calendar, start, due, pauses) == seconds


@settings(max_examples=300, deadline=None)
@given(any_scenario, st.floats(0, 1))
def test_counts_are_monotonic_and_additive_at_any_split(scenario, fraction):
    calendar, start, end, pauses = scenario
    middle = start + timedelta(minutes=int((end - start).total_seconds() * fraction) // 60)
    whole = business_seconds(calendar, start, end, pauses)
    first = business_seconds(calendar, start, middle, pauses)
    second = business_seconds(calendar, middle, end, pauses)
    assert 0 <= first <= whole
    assert first + second == whole
