"""Zendesk ticket export reader, over a hand-written export of 8 tickets."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tickets.ingest import zendesk
from tickets.ingest.records import (
    EventRecord,
    FormatError,
    RowError,
    SurveyRecord,
    TicketRecord,
)

DATA = Path(__file__).parent / "data"


def nov(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def jun(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 6, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture(scope="module")
def tickets() -> dict[str, TicketRecord]:
    notes: list[str] = []
    records = list(
        zendesk.read(
            DATA / "zendesk_export.csv",
            time_zone="Europe/London",
            default_priority="P3",
            notes=notes,
        )
    )
    assert notes == []  # every column is a known Zendesk column
    assert all(isinstance(r, TicketRecord) for r in records)
    return {r.external_id: r for r in records}


def test_solved_one_touch_with_good_rating(tickets) -> None:
    assert tickets["1001"] == TicketRecord(
        row=2,
        external_id="1001",
        attribution="Acme Support",
        priority="P3",
        status="resolved",
        created_at=nov(16, 10),
        resolved_at=nov(17, 12),
        version="2026-11-17T12:05:00+00:00",
        technician="Alice Tech",
        category="incident",
        requester="bob@customer.example",
        channel="portal",
        title="Printer jams",
        events=[
            EventRecord(nov(16, 10), "created", "", "new", "bob@customer.example", False),
            EventRecord(nov(16, 10, 5), "assigned", "", "Alice Tech", ""),
            EventRecord(nov(16, 10, 30), "responded", "", "", "Alice Tech"),
            EventRecord(nov(17, 12), "resolved", "", "resolved", "Alice Tech"),
        ],
        source_fcr=True,
        source_reopen_count=0,
        source_reassignment_count=0,
        survey=SurveyRecord(score=5, answered_at=nov(17, 12)),
    )


def test_open_local_times_and_stations(tickets) -> None:
    # Times without an offset are London time: 09:00 BST is 08:00 UTC.
    assert tickets["1002"] == TicketRecord(
        row=3,
        external_id="1002",
        attribution="Acme Support",
        priority="P2",
        status="in_progress",
        created_at=jun(2, 8),
        version="2026-06-02T10:00:00+00:00",
        technician="Carol Tech",
        category="incident",
        requester="dan@customer.example",
        channel="email",
        title="VPN drops",
        events=[
            EventRecord(jun(2, 8), "created", "", "new", "dan@customer.example", False),
            EventRecord(jun(2, 8, 10), "assigned", "", "Carol Tech", ""),  # initially assigned
            EventRecord(jun(2, 8, 15, 30), "responded", "", "", "Carol Tech"),  # 15.5 minutes
            EventRecord(jun(2, 10), "status_change", "new", "in_progress", "Carol Tech"),
        ],
        source_reopen_count=0,
        source_reassignment_count=2,  # group stations 2, assignee stations 3: 3 - 1
    )


def test_pending_by_phone_offered_survey_is_no_answer(tickets) -> None:
    ticket = tickets["1003"]
    assert (ticket.status, ticket.priority, ticket.channel) == ("pending_customer", "P4", "phone")
    assert ticket.requester == "Erin Customer"  # no e-mail: the name
    assert ticket.survey is None
    assert ticket.category == "task"
    assert ticket.events[-1] == EventRecord(
        nov(18, 10), "status_change", "new", "pending_customer", "Alice Tech"
    )


def test_hold_urgent_chat(tickets) -> None:
    ticket = tickets["1004"]
    assert (ticket.status, ticket.priority, ticket.channel) == ("on_hold", "P1", "chat")
    assert [e.kind for e in ticket.events] == ["created", "assigned", "responded", "status_change"]


def test_closed_with_bad_rating_and_a_reopen(tickets) -> None:
    ticket = tickets["1005"]
    assert (ticket.status, ticket.channel) == ("closed", "other")  # Web service (API)
    assert (ticket.resolved_at, ticket.closed_at) == (nov(11, 16), nov(14, 9))
    assert ticket.survey == SurveyRecord(score=1, answered_at=nov(11, 16))
    assert (ticket.source_reopen_count, ticket.source_reassignment_count) == (1, 1)
    assert ticket.source_fcr is False


def test_no_priority_takes_the_default(tickets) -> None:
    ticket = tickets["1006"]
    assert (ticket.priority, ticket.status, ticket.channel) == ("P3", "new", "chat")
    assert ticket.technician == ""
    assert [e.kind for e in ticket.events] == ["created"]


def test_good_with_comment_counts_as_good(tickets) -> None:
    ticket = tickets["1007"]
    assert ticket.survey == SurveyRecord(score=5, answered_at=nov(13, 8))
    assert ticket.source_reopen_count == 2


def test_open_with_a_solve_time_was_reopened(tickets) -> None:
    ticket = tickets["1008"]
    assert (ticket.status, ticket.resolved_at, ticket.channel) == ("in_progress", None, "phone")
    assert [(e.at, e.kind) for e in ticket.events][-2:] == [
        (nov(10, 9), "resolved"),
        (nov(11, 10), "reopened"),
    ]


def test_without_a_default_an_empty_priority_is_a_row_error() -> None:
    records = list(zendesk.read(DATA / "zendesk_export.csv"))
    errors = [r for r in records if isinstance(r, RowError)]
    assert errors == [RowError(7, "Priority", "empty priority", "1006")]
    assert len(records) == 8


def test_bad_rows_are_row_errors_and_the_rest_goes_on() -> None:
    records = list(zendesk.read(DATA / "zendesk_bad.csv"))
    assert [str(r) for r in records if isinstance(r, RowError)] == [
        "row 2, column Status (ticket 2001): unknown status 'Deleted'",
        "row 3, column Created at (ticket 2002): cannot read the time '16/11/2026 10:00' "
        "(expected ISO 8601)",
        "row 4, column Solved at (ticket 2003): Solved at (2026-11-15 10:00 UTC) is before the "
        "ticket was created (2026-11-16 10:00 UTC)",
        "row 5, column Id: empty Id",
        "row 6, column Priority (ticket 2005): unknown priority 'Critical'",
        "row 7, column First reply time in minutes (ticket 2006): negative first reply time '-5'",
    ]
    assert [r.external_id for r in records if isinstance(r, TicketRecord)] == ["2007"]


def test_time_format_option_reads_day_first_dates() -> None:
    records = list(zendesk.read(DATA / "zendesk_bad.csv", time_format="%d/%m/%Y %H:%M"))
    assert records[1].created_at == nov(16, 10)


def test_missing_columns_are_refused_at_once() -> None:
    data = b"Id,Subject,Status,Priority,Created\n1,x,open,low,2026-01-01\n"
    with pytest.raises(FormatError) as refused:
        zendesk.read(io.BytesIO(data))
    assert str(refused.value) == (
        "wrong columns (missing: Created at, Updated at, Group; unexpected: Created)"
    )


def test_attribute_by_another_column() -> None:
    data = (
        b"Id,Status,Priority,Created at,Updated at,Organization\n"
        b"1,open,low,2026-01-05 10:00,2026-01-05 10:00,Acme Ltd\n"
    )
    (ticket,) = zendesk.read(io.BytesIO(data), attribute_by="Organization")
    assert ticket.attribution == "Acme Ltd"


@pytest.mark.parametrize(
    ("via", "channel"),
    [
        ("Web form", "portal"),
        ("Email", "email"),
        ("Phone call (incoming)", "phone"),
        ("Voicemail", "phone"),
        ("Chat", "chat"),
        ("Web Widget", "chat"),
        ("Web service (API)", "other"),
        ("Closed ticket", "other"),
        ("", "other"),
    ],
)
def test_via_to_channel(via: str, channel: str) -> None:
    assert zendesk.channel(via) == channel
