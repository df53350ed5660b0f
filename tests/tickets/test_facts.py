"""One test (or a few) per fact of METRICS.md's "Ticket facts" table, on the pure module."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import holidays
import pytest

from tickets import facts as fx
from vendors import sla

LONDON = ZoneInfo("Europe/London")
BANK_HOLIDAYS = frozenset(holidays.country_holidays("GB", subdiv="ENG", years=range(2025, 2028)))
OFFICE = sla.BusinessCalendar.weekdays("Europe/London", (time(9), time(17)), holidays=BANK_HOLIDAYS)
PAUSES = frozenset({"pending_customer", "on_hold", "awaiting_third_party"})
HOUR = 3600


def at(*args) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def clocks(response_minutes=60, resolution_minutes=8 * 60, calendar=OFFICE) -> fx.Clocks:
    return fx.Clocks(calendar, calendar, response_minutes * 60, resolution_minutes * 60, PAUSES)


_clocks = clocks()


def facts(created, events=(), *, resolved=None, now=None, clock=None, **ticket_fields):
    ticket = fx.TicketTimes(
        created_at=created,
        status="resolved" if resolved else "in_progress",
        resolved_at=resolved,
        **ticket_fields,
    )
    return fx.derive_facts(ticket, list(events), clock or _clocks, now=now or at(2027, 1, 1))


def ev(when, kind, new="", old="", by_vendor=True, actor="tech") -> fx.Event:
    return fx.Event(when, kind, old, new, actor, by_vendor)


# first_response_at ---------------------------------------------------------------------------


def test_first_response_is_the_first_vendor_reply():
    created = at(2026, 11, 16, 10)
    result = facts(
        created,
        [
            ev(at(2026, 11, 16, 10, 5), "responded", by_vendor=False, actor="customer"),
            ev(at(2026, 11, 16, 10, 20), "responded"),
            ev(at(2026, 11, 16, 11), "responded"),
        ],
    )
    assert result.first_response_at == at(2026, 11, 16, 10, 20)


def test_first_response_falls_back_to_the_first_move_to_in_progress():
    created = at(2026, 11, 16, 10)
    result = facts(
        created,
        [
            ev(at(2026, 11, 16, 10, 1), "status_change", "in_progress", by_vendor=False),
            ev(at(2026, 11, 16, 10, 40), "status_change", "in_progress"),
        ],
    )
    assert result.first_response_at == at(2026, 11, 16, 10, 40)


def test_first_response_reported_by_the_source_counts_as_a_reply():
    created = at(2026, 11, 16, 10)
    source_reply = at(2026, 11, 16, 10, 10)
    result = facts(
        created,
        [ev(at(2026, 11, 16, 10, 30), "responded")],
        first_response_at=source_reply,
    )
    assert result.first_response_at == source_reply


def test_a_ticket_with_no_reply_has_no_first_response():
    assert facts(at(2026, 11, 16, 10)).first_response_at is None


# response_due_at, response_seconds, response_met (METRICS.md worked example 1) ----------------


def test_response_due_time_and_seconds_follow_worked_example_1():
    created, replied = at(2026, 11, 20, 16, 30), at(2026, 11, 23, 9, 45)
    result = facts(created, [ev(replied, "responded")], now=at(2026, 11, 24))
    assert result.response_due_at == at(2026, 11, 23, 9, 30)
    assert result.response_seconds == 75 * 60
    assert result.response_met is False
    # A breach belongs to the period in which the due time passed, not the late reply's.
    assert result.response_outcome_at == at(2026, 11, 23, 9, 30)


def test_a_response_by_its_due_time_is_met_and_final_when_it_happened():
    created, replied = at(2026, 11, 20, 16, 30), at(2026, 11, 23, 9, 30)
    result = facts(created, [ev(replied, "responded")])
    assert result.response_met is True
    assert result.response_outcome_at == replied
    assert result.response_seconds == 60 * 60


def test_response_is_pending_until_its_due_time_passes():
    created = at(2026, 11, 20, 16, 30)
    before_due = facts(created, now=at(2026, 11, 23, 9, 29))
    assert (before_due.response_met, before_due.response_outcome_at) == (None, None)
    after_due = facts(created, now=at(2026, 11, 23, 9, 31))
    assert after_due.response_met is False
    assert after_due.response_outcome_at == at(2026, 11, 23, 9, 30)


def test_the_response_clock_is_never_paused():
    created = at(2026, 11, 16, 10)
    result = facts(
        created,
        [
            ev(at(2026, 11, 16, 10, 5), "status_change", "pending_customer"),
            ev(at(2026, 11, 16, 12), "status_change", "in_progress"),
            ev(at(2026, 11, 16, 12), "responded"),
        ],
    )
    assert result.response_due_at == at(2026, 11, 16, 11)
    assert result.response_seconds == 2 * HOUR
    assert result.response_met is False


# resolution facts (METRICS.md worked example 4) -----------------------------------------------


EXAMPLE_4_EVENTS = [
    ev(at(2026, 11, 16, 10, 15), "responded"),
    ev(at(2026, 11, 16, 11), "status_change", "pending_customer", old="in_progress"),
    ev(at(2026, 11, 17, 10), "status_change", "in_progress", old="pending_customer"),
    ev(at(2026, 11, 17, 12), "resolved"),
]


def test_resolution_seconds_exclude_pauses_as_in_worked_example_4():
    result = facts(at(2026, 11, 16, 10), EXAMPLE_4_EVENTS, resolved=at(2026, 11, 17, 12))
    assert result.resolution_seconds_raw == 10 * HOUR
    assert result.paused_seconds == 7 * HOUR
    assert result.resolution_seconds == 3 * HOUR
    assert [(p.start, p.end, p.reason) for p in result.pauses] == [
        (at(2026, 11, 16, 11), at(2026, 11, 17, 10), "pending_customer")
    ]


def test_every_pause_pushes_the_resolution_due_time_later():
    # 8 business hours from Mon 10:00 is Tue 10:00; the 7 paused hours push it to Tue 17:00.
    without_pause = facts(at(2026, 11, 16, 10), resolved=at(2026, 11, 17, 12))
    assert without_pause.resolution_due_at == at(2026, 11, 17, 10)
    assert without_pause.resolution_met is False
    result = facts(at(2026, 11, 16, 10), EXAMPLE_4_EVENTS, resolved=at(2026, 11, 17, 12))
    assert result.resolution_due_at == at(2026, 11, 17, 17)
    assert result.resolution_met is True
    assert result.resolution_outcome_at == at(2026, 11, 17, 12)


def test_a_pause_still_running_keeps_pushing_the_due_time():
    events = [ev(at(2026, 11, 16, 11), "status_change", "on_hold")]
    result = facts(at(2026, 11, 16, 10), events, now=at(2026, 11, 18, 10))
    # Paused Mon 11:00 until "now" Wed 10:00 = 6 + 8 + 1 = 15 business hours.
    assert result.paused_seconds == 15 * HOUR
    assert result.resolution_due_at == at(2026, 11, 18, 17)
    assert result.resolution_met is None
    assert result.resolution_seconds is None


def test_a_status_outside_the_policys_pause_list_does_not_pause():
    events = [
        ev(at(2026, 11, 16, 11), "status_change", "assigned"),
        ev(at(2026, 11, 17, 10), "status_change", "in_progress"),
    ]
    result = facts(at(2026, 11, 16, 10), events, resolved=at(2026, 11, 17, 12))
    assert result.paused_seconds == 0
    assert result.resolution_seconds == 10 * HOUR


def test_an_open_ticket_is_breached_once_its_resolution_due_time_passes():
    result = facts(at(2026, 11, 16, 10), now=at(2026, 11, 17, 10, 1))
    assert result.resolution_met is False
    assert result.resolution_outcome_at == at(2026, 11, 17, 10)
    assert result.resolution_seconds is None


def test_resolution_on_a_24x7_clock_counts_the_short_dst_night():
    always = sla.BusinessCalendar.always_open("Europe/London")
    clock = fx.Clocks(always, always, 15 * 60, 4 * HOUR, PAUSES)
    result = facts(at(2026, 3, 29, 0, 30), resolved=at(2026, 3, 29, 3, 30), clock=clock)
    assert result.resolution_seconds == 2 * HOUR
    assert result.resolution_met is True


# reopen_count, escalated, reassignment_count ------------------------------------------------


def test_each_move_from_resolved_or_closed_back_to_open_is_a_reopen():
    events = [
        ev(at(2026, 11, 16, 11), "resolved"),
        ev(at(2026, 11, 16, 12), "reopened", by_vendor=False),
        ev(at(2026, 11, 16, 13), "status_change", "resolved"),
        ev(at(2026, 11, 16, 14), "closed"),
        ev(at(2026, 11, 16, 15), "status_change", "in_progress"),
        ev(at(2026, 11, 16, 16), "resolved"),
    ]
    assert facts(at(2026, 11, 16, 10), events, resolved=at(2026, 11, 16, 16)).reopen_count == 2


def test_a_reopen_with_no_history_before_it_counts_by_what_it_left():
    # A one-row export (Jira's "Reopened") knows the ticket was resolved, not when.
    events = [ev(at(2026, 11, 16, 12), "reopened", "in_progress", old="resolved")]
    assert facts(at(2026, 11, 16, 10), events).reopen_count == 1
    events = [ev(at(2026, 11, 16, 12), "reopened", "in_progress", old="in_progress")]
    assert facts(at(2026, 11, 16, 10), events).reopen_count == 0


def test_the_sources_reopen_count_is_kept_when_it_is_higher():
    result = facts(at(2026, 11, 16, 10), resolved=at(2026, 11, 16, 16), source_reopen_count=3)
    assert result.reopen_count == 3


def test_an_escalation_event_marks_the_ticket_escalated():
    assert facts(at(2026, 11, 16, 10)).escalated is False
    events = [ev(at(2026, 11, 16, 11), "escalated", "L2", old="L1")]
    assert facts(at(2026, 11, 16, 10), events).escalated is True


def test_reassignments_count_changes_after_the_first_assignment():
    events = [
        ev(at(2026, 11, 16, 10, 1), "assigned", "Alice"),
        ev(at(2026, 11, 16, 10, 2), "assigned", "Alice"),
        ev(at(2026, 11, 16, 11), "assigned", "Bob"),
        ev(at(2026, 11, 16, 12), "assigned", "Network team"),
    ]
    assert facts(at(2026, 11, 16, 10), events).reassignment_count == 2


# first_contact_resolution ---------------------------------------------------------------------


def test_a_clean_ticket_with_one_reply_is_resolved_at_first_contact():
    events = [
        ev(at(2026, 11, 16, 10, 5), "assigned", "Alice"),
        ev(at(2026, 11, 16, 10, 10), "responded"),
    ]
    result = facts(at(2026, 11, 16, 10), events, resolved=at(2026, 11, 16, 11))
    assert result.first_contact_resolution is True


@pytest.mark.parametrize(
    "extra",
    [
        ev(at(2026, 11, 16, 10, 20), "responded"),  # a second vendor reply
        ev(at(2026, 11, 16, 10, 20), "escalated"),
        ev(at(2026, 11, 16, 10, 20), "assigned", "Bob"),  # reassigned from Alice
    ],
    ids=["two replies", "escalated", "reassigned"],
)
def test_more_than_one_touch_is_not_first_contact_resolution(extra):
    events = [
        ev(at(2026, 11, 16, 10, 5), "assigned", "Alice"),
        ev(at(2026, 11, 16, 10, 10), "responded"),
        extra,
    ]
    result = facts(at(2026, 11, 16, 10), events, resolved=at(2026, 11, 16, 11))
    assert result.first_contact_resolution is False


def test_a_reopened_ticket_is_not_first_contact_resolution():
    events = [ev(at(2026, 11, 16, 10, 30), "resolved"), ev(at(2026, 11, 16, 10, 40), "reopened")]
    result = facts(at(2026, 11, 16, 10), events, resolved=at(2026, 11, 16, 11))
    assert result.first_contact_resolution is False


def test_the_sources_own_first_contact_flag_wins():
    events = [ev(at(2026, 11, 16, 10, 20), "escalated")]
    result = facts(at(2026, 11, 16, 10), events, resolved=at(2026, 11, 16, 11), source_fcr=True)
    assert result.first_contact_resolution is True


def test_an_unresolved_ticket_has_no_first_contact_verdict_yet():
    assert facts(at(2026, 11, 16, 10)).first_contact_resolution is None


def test_events_given_out_of_order_are_read_in_time_order():
    events = list(reversed(EXAMPLE_4_EVENTS))
    result = facts(at(2026, 11, 16, 10), events, resolved=at(2026, 11, 17, 12))
    assert result.resolution_seconds == 3 * HOUR


def test_pauses_before_creation_or_after_resolution_are_clipped():
    events = [
        ev(at(2026, 11, 16, 9), "status_change", "on_hold"),
        ev(at(2026, 11, 16, 11), "status_change", "in_progress"),
        ev(at(2026, 11, 16, 15), "status_change", "on_hold"),
    ]
    result = facts(at(2026, 11, 16, 10), events, resolved=at(2026, 11, 16, 16))
    assert result.paused_seconds == 2 * HOUR  # 10-11 and 15-16
    assert result.resolution_seconds == 4 * HOUR
