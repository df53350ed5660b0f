"""ServiceNow incident event log reader: a hand-written log, and the real UCI log."""

from __future__ import annotations

import io
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from tickets import facts
from tickets.ingest import servicenow
from tickets.ingest.records import EventRecord, FormatError, RowError, TicketRecord

DATA = Path(__file__).parent / "data"
REAL = SHARED_DATA / "uci-incident-event-log/incident_event_log.csv.xz"


def at(day: int, month: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2016, month, day, hour, minute, tzinfo=UTC)


def as_facts(ticket: TicketRecord) -> list[facts.Event]:
    return [
        facts.Event(e.at, e.kind, e.old_value, e.new_value, e.actor, e.by_vendor)
        for e in ticket.events
    ]


@pytest.fixture(scope="module")
def small() -> list[TicketRecord | RowError]:
    return list(servicenow.read(DATA / "servicenow_small.csv"))


def test_small_log_yields_tickets_and_errors_in_file_order(small) -> None:
    assert [(type(r).__name__, r.row, r.external_id) for r in small] == [
        ("TicketRecord", 2, "INC0000001"),
        ("TicketRecord", 10, "INC0000002"),
        ("RowError", 15, "INC0000003"),
        ("RowError", 17, "INC0000004"),
        ("RowError", 19, "INC0000005"),
        ("TicketRecord", 20, "INC0000006"),
        ("RowError", 23, "INC0000001"),
        ("RowError", 24, "INC0000007"),
    ]


def test_history_becomes_events_with_pause_reassignment_and_reopen(small) -> None:
    ticket = small[0]
    assert (ticket.attribution, ticket.priority, ticket.status) == ("Group 2", "P2", "closed")
    assert ticket.created_at == at(2, 3, 9)
    assert (ticket.resolved_at, ticket.closed_at) == (at(4, 3, 15), at(9, 3, 16))
    assert ticket.version == "00000007"
    assert (ticket.technician, ticket.requester) == ("Resolver 2", "Caller 1")
    assert (ticket.category, ticket.channel) == ("Category 5", "phone")
    assert ticket.source_sla_met is False
    assert (ticket.source_reopen_count, ticket.source_reassignment_count) == (1, 1)
    assert ticket.events == [
        EventRecord(at(2, 3, 9), "created", "", "new", "Opened by  8", by_vendor=False),
        # Stamped 08:55, before opened_at: events never go back before the ticket was opened.
        EventRecord(at(2, 3, 9), "assigned", "", "Group 1", "Updated by 1"),
        # Resolver 1 taking it from Group 1's queue is no event (no reassignment).
        EventRecord(at(2, 3, 9, 30), "status_change", "new", "in_progress", "Updated by 2"),
        EventRecord(
            at(2, 3, 10), "status_change", "in_progress", "pending_customer", "Updated by 2"
        ),
        EventRecord(
            at(3, 3, 9), "assigned", "Group 1 / Resolver 1", "Group 2 / Resolver 2", "Updated by 3"
        ),
        EventRecord(
            at(3, 3, 9), "status_change", "pending_customer", "in_progress", "Updated by 3"
        ),
        EventRecord(at(3, 3, 12), "resolved", "in_progress", "resolved", "Updated by 3"),
        EventRecord(
            at(4, 3, 9), "reopened", "resolved", "in_progress", "Updated by 4", by_vendor=False
        ),
        EventRecord(at(4, 3, 15), "resolved", "in_progress", "resolved", "Updated by 3"),
        EventRecord(at(9, 3, 16), "closed", "resolved", "closed", "Updated by 5"),
    ]
    # The facts of METRICS.md agree with ServiceNow's own counts.
    events = as_facts(ticket)
    assert facts.reopen_count(events) == 1
    assert facts.reassignment_count(events) == 1
    times = facts.TicketTimes(ticket.created_at, ticket.status)
    assert facts.first_response_at(times, events) == at(2, 3, 9, 30)
    pauses = facts.pause_intervals(
        events, frozenset({"pending_customer"}), ticket.created_at, ticket.resolved_at
    )
    assert [(p.start, p.end, p.reason) for p in pauses] == [
        (at(2, 3, 10), at(3, 3, 9), "pending_customer")
    ]


def test_missing_values_and_the_minus_100_state(small) -> None:
    ticket = small[1]
    assert ticket.requester == "" and ticket.category == ""
    assert ticket.channel == "email" and ticket.priority == "P4"
    # resolved_at is `?`: the resolution is when it was last resolved in its history.
    assert ticket.resolved_at == at(10, 3, 11)
    # The -100 row changes no state; its technician (a pickup) makes no event either.
    assert [e.kind for e in ticket.events] == ["created", "assigned", "resolved", "closed"]
    assert ticket.technician == "Resolver 3"


def test_a_pause_then_closed_without_resolved(small) -> None:
    ticket = small[5]
    assert ticket.channel == "portal" and ticket.priority == "P1"
    assert ticket.resolved_at == ticket.closed_at == at(27, 3, 10)
    assert [(e.kind, e.new_value) for e in ticket.events] == [
        ("created", "new"),
        ("assigned", "Group 4 / Resolver 4"),
        ("status_change", "awaiting_third_party"),
        ("closed", "closed"),
    ]


def test_row_errors_name_row_column_and_value(small) -> None:
    errors = {r.external_id: r for r in small if isinstance(r, RowError)}
    assert str(errors["INC0000003"]) == (
        "row 15, column sys_updated_at (ticket INC0000003): cannot read the time "
        "'31/2/2016 10:00' (expected d/m/yyyy HH:MM)"
    )
    assert errors["INC0000004"].column == "priority"
    assert "'9 - Whenever'" in errors["INC0000004"].reason
    assert errors["INC0000005"].column == "resolved_at"
    assert "before it was opened" in errors["INC0000005"].reason
    assert "appears again" in errors["INC0000001"].reason
    assert errors["INC0000007"].reason == "unknown state 'Parked'"


def test_time_zone_option_converts_local_times_to_utc() -> None:
    tickets = [
        r
        for r in servicenow.read(DATA / "servicenow_small.csv", time_zone="Europe/Lisbon")
        if isinstance(r, TicketRecord)
    ]
    assert tickets[0].created_at == at(2, 3, 9)  # Lisbon is UTC in March (before the switch)
    ticket = tickets[-1]
    assert ticket.closed_at == at(27, 3, 9)  # 27/3/2016 10:00 WEST


def test_missing_columns_are_refused_at_once() -> None:
    data = (
        b"number,incident_state,sys_updated_at,priority,made_sla,oops\n"
        b"INC1,New,1/1/2016 10:00,x,y,z\n"
    )
    with pytest.raises(FormatError) as refused:
        servicenow.read(io.BytesIO(data), name="log.csv")
    message = str(refused.value)
    assert "missing: sys_updated_by, opened_at, assignment_group, assigned_to" in message
    assert "unexpected: oops" in message


@pytest.mark.realdata
def test_the_real_uci_log(capsys) -> None:
    started = time.perf_counter()
    records = list(servicenow.read(REAL))
    elapsed = time.perf_counter() - started
    tickets = [r for r in records if isinstance(r, TicketRecord)]
    errors = [r for r in records if isinstance(r, RowError)]
    with capsys.disabled():
        print(f"\nUCI log: 141,712 rows in {elapsed:.2f} s = {141_712 / elapsed:,.0f} rows/s")

    # README: 24,918 incidents, all closed; none is refused.
    assert len(tickets) == 24_918
    assert errors == []
    assert len({t.external_id for t in tickets}) == 24_918
    assert Counter(t.status for t in tickets) == {"closed": 24_918}
    # README Quirks, final-row summaries.
    assert sum((t.source_reopen_count or 0) > 0 for t in tickets) == 275
    buckets = Counter(min(t.source_reassignment_count or 0, 5) for t in tickets)
    assert [buckets[n] for n in range(6)] == [13_549, 6_238, 2_283, 1_234, 695, 919]
    assert sum(t.source_reassignment_count > 0 for t in tickets) == 24_918 - 13_549
    assert sum(t.source_sla_met is False for t in tickets) == 9_115
    # 1,556 closed without resolved_at get their time from the history; none is left open.
    assert all(t.resolved_at is not None and t.resolved_at >= t.created_at for t in tickets)

    # Reopens derived from the state history match ServiceNow's reopen_count exactly.
    derived = [facts.reopen_count(as_facts(t)) for t in tickets]
    assert sum(n > 0 for n in derived) == 275
    assert derived == [t.source_reopen_count for t in tickets]
    # Reassignments: ours also counts a change of technician within a group, which
    # ServiceNow's count (group changes only) leaves out, and ServiceNow counts moves to no
    # group, which are no assignment: equal for 22,489 incidents, close overall.
    reassigned = [facts.reassignment_count(as_facts(t)) for t in tickets]
    assert sum(n > 0 for n in reassigned) == 11_361  # ServiceNow: 11,369
    same = [n == t.source_reassignment_count for n, t in zip(reassigned, tickets, strict=True)]
    assert sum(same) == 22_489
    # No event precedes its ticket's creation, so no first response does either.
    assert all(e.at >= t.created_at for t in tickets for e in t.events)
    assert elapsed < 30
