"""`derive_facts` reads a ticket's events in one pass and its clock in one call, for speed; the
helpers beside it (first_response_at, pause_intervals, reopen_count, ...) and the SLA clock's
own functions state each rule alone. On many varied tickets both must give the same facts, so
the one pass cannot drift from the rules it inlines."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from tickets import facts as fx
from tickets.ingest.records import EVENT_KINDS
from vendors import sla

OFFICE = sla.BusinessCalendar.weekdays(
    "Europe/London", (time(9), time(17)), holidays=frozenset({datetime(2025, 12, 25).date()})
)
ALWAYS = sla.BusinessCalendar.always_open("Europe/London")
VALUES = ["", "in_progress", "pending_customer", "on_hold", "resolved", "closed", "new", "alice"]
ZONES = [UTC, timezone(timedelta(hours=1)), ZoneInfo("Europe/London")]


def random_ticket(rng: random.Random):
    created = (
        datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(2 * 365 * 86400))
    ).astimezone(rng.choice(ZONES))
    span = rng.choice([3600, 86400, 10 * 86400, 90 * 86400])

    def later() -> datetime:
        return (created + timedelta(seconds=rng.randrange(span))).astimezone(rng.choice(ZONES))

    events = [
        fx.Event(
            later(),
            rng.choice(EVENT_KINDS),
            rng.choice(VALUES),
            rng.choice(VALUES),
            "x",
            rng.random() < 0.8,
        )
        for _ in range(rng.randrange(9))
    ]
    ticket = fx.TicketTimes(
        created_at=created,
        status="x",
        first_response_at=later() if rng.random() < 0.3 else None,
        resolved_at=later() if rng.random() < 0.6 else None,
        source_fcr=rng.choice([None, None, True, False]),
        source_reopen_count=rng.choice([None, 0, 2]),
        source_reassignment_count=rng.choice([None, 1]),
    )
    response_calendar = rng.choice([OFFICE, ALWAYS])
    clocks = fx.Clocks(
        response_calendar,
        response_calendar if rng.random() < 0.8 else rng.choice([OFFICE, ALWAYS]),
        rng.choice([15 * 60, 3600, 8 * 3600]),
        rng.choice([8 * 3600, 24 * 3600, 300 * 3600]),
        rng.choice([frozenset(), frozenset({"pending_customer", "on_hold"})]),
    )
    now = later() if rng.random() < 0.5 else created + timedelta(days=400)
    return ticket, events, clocks, now


def facts_rule_by_rule(ticket, events, clocks, now) -> dict:
    """What each helper and clock function gives on its own."""
    events = sorted(events, key=lambda e: e.at)
    end = ticket.resolved_at or max(now, ticket.created_at)
    first = fx.first_response_at(ticket, events)
    pauses = fx.pause_intervals(events, clocks.pause_statuses, ticket.created_at, end)
    spans = [(p.start, p.end) for p in pauses]
    reopens = max(fx.reopen_count(events), ticket.source_reopen_count or 0)
    reassignments = max(fx.reassignment_count(events), ticket.source_reassignment_count or 0)
    escalated = any(e.kind == "escalated" for e in events)
    replies = sum(1 for e in events if e.kind == "responded" and e.by_vendor)
    raw = sla.business_seconds(clocks.resolution_calendar, ticket.created_at, end)
    net = sla.business_seconds(clocks.resolution_calendar, ticket.created_at, end, spans)
    return {
        "first_response_at": first,
        "response_due_at": sla.add_business_seconds(
            clocks.response_calendar, ticket.created_at, clocks.response_target_seconds
        ),
        "resolution_due_at": sla.add_business_seconds(
            clocks.resolution_calendar, ticket.created_at, clocks.resolution_target_seconds, spans
        ),
        "response_seconds": sla.business_seconds(clocks.response_calendar, ticket.created_at, first)
        if first
        else None,
        "paused_seconds": raw - net,
        "pauses": [(p.start, p.end, p.reason) for p in pauses],
        "reopen_count": reopens,
        "reassignment_count": reassignments,
        "escalated": escalated,
        "reply_count": replies,
        "first_contact_resolution": fx.first_contact_resolution(
            ticket,
            reopens=reopens,
            escalated=escalated,
            reassignments=reassignments,
            replies=replies,
        ),
        "response_assignee": fx.assignee_at(events, first) if first else None,
    }


@pytest.mark.parametrize("seed", range(4))
def test_the_one_pass_gives_what_each_rule_gives_alone(seed):
    rng = random.Random(seed)
    for _ in range(500):
        ticket, events, clocks, now = random_ticket(rng)
        derived = fx.derive_facts(ticket, events, clocks, now=now)
        got = {name: getattr(derived, name) for name in facts_rule_by_rule(ticket, [], clocks, now)}
        got["pauses"] = [(p.start, p.end, p.reason) for p in derived.pauses]
        expected = facts_rule_by_rule(ticket, events, clocks, now)
        assert got == expected
        # Times alike down to their zone: a due time is shown in the ticket's own zone.
        assert derived.response_due_at.tzinfo == expected["response_due_at"].tzinfo
