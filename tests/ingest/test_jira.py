"""Jira Service Management CSV reader, over a hand-written export of 8 issues."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tickets.ingest import jira
from tickets.ingest.records import (
    EventRecord,
    FormatError,
    RowError,
    SurveyRecord,
    TicketRecord,
)

DATA = Path(__file__).parent / "data"


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def nov(day: int, hour: int, minute: int = 0) -> datetime:
    return utc(11, day, hour, minute)  # London is on UTC in November


@pytest.fixture(scope="module")
def tickets() -> dict[str, TicketRecord]:
    notes: list[str] = []
    records = list(jira.read(DATA / "jira_export.csv", time_zone="Europe/London", notes=notes))
    assert notes == ["tickets attributed by 'Custom field (Team)'"]
    assert all(isinstance(r, TicketRecord) for r in records)
    return {r.external_id: r for r in records}


def test_resolved_with_first_response_and_satisfaction(tickets) -> None:
    assert tickets["HD-101"] == TicketRecord(
        row=2,
        external_id="HD-101",
        attribution="Acme Support",
        priority="P3",
        status="resolved",
        created_at=nov(20, 16, 30),
        resolved_at=nov(23, 10, 15),
        version="2026-11-23T11:00:00+00:00",
        technician="Alice Tech",
        category="Fix a printer",  # the request type, before components and issue type
        requester="bob@customer.example",
        title="Printer jams on floor 2",
        events=[
            EventRecord(nov(20, 16, 30), "created", "", "new", "bob@customer.example", False),
            EventRecord(nov(20, 16, 30), "assigned", "", "Alice Tech", ""),
            EventRecord(nov(23, 9, 45), "responded", "", "", "Alice Tech"),
            EventRecord(nov(23, 10, 15), "resolved", "", "resolved", "Alice Tech"),
        ],
        survey=SurveyRecord(score=5, answered_at=nov(23, 12)),
    )


def test_in_progress_iso_times_in_summer_and_minutes_to_respond(tickets) -> None:
    # 2026-07-01 09:00 London is 08:00 UTC; "45m" to first response.
    assert tickets["HD-102"] == TicketRecord(
        row=3,
        external_id="HD-102",
        attribution="Acme Support",
        priority="P2",
        status="in_progress",
        created_at=utc(7, 1, 8),
        version="2026-07-01T09:30:00+00:00",
        technician="Carol Tech",
        category="Report a network problem",
        requester="dan@customer.example",
        title="VPN drops every hour",
        events=[
            EventRecord(utc(7, 1, 8), "created", "", "new", "dan@customer.example", False),
            EventRecord(utc(7, 1, 8), "assigned", "", "Carol Tech", ""),
            EventRecord(utc(7, 1, 8, 45), "responded", "", "", "Carol Tech"),
            EventRecord(utc(7, 1, 9, 30), "status_change", "new", "in_progress", "Carol Tech"),
        ],
    )


def test_waiting_for_customer_unassigned(tickets) -> None:
    ticket = tickets["HD-103"]
    assert (ticket.row, ticket.attribution, ticket.priority) == (4, "Globex Desk", "P4")
    assert ticket.status == "pending_customer" and ticket.technician == ""
    assert ticket.events == [
        EventRecord(nov(21, 9), "created", "", "new", "erin@customer.example", False),
        EventRecord(nov(21, 10, 30), "responded", "", "", ""),  # "90" minutes
        EventRecord(nov(21, 14), "status_change", "new", "pending_customer", ""),
    ]


def test_escalated_status_is_in_progress_plus_an_escalation(tickets) -> None:
    ticket = tickets["HD-104"]
    assert (ticket.priority, ticket.status, ticket.category) == (
        "P1",
        "in_progress",
        "Report an outage",
    )
    assert [(e.at, e.kind, e.new_value) for e in ticket.events] == [
        (nov(22, 8), "created", "new"),
        (nov(22, 8), "assigned", "Erin Tech"),
        (nov(22, 8, 30), "escalated", "escalated"),
        (nov(22, 8, 30), "status_change", "in_progress"),
    ]


def test_closed_is_closed_as_of_its_last_update(tickets) -> None:
    ticket = tickets["HD-105"]
    assert (ticket.priority, ticket.status) == ("P4", "closed")  # Lowest -> P4
    assert (ticket.resolved_at, ticket.closed_at) == (nov(19, 17), nov(24, 9))
    # No satisfaction date: the rating is dated by the resolution.
    assert ticket.survey == SurveyRecord(score=2, answered_at=nov(19, 17))
    assert [e.kind for e in ticket.events] == ["created", "assigned", "resolved", "closed"]


def test_canceled(tickets) -> None:
    ticket = tickets["HD-106"]
    assert (ticket.status, ticket.resolved_at, ticket.closed_at) == ("cancelled", nov(20, 11), None)
    assert ticket.events[-1] == EventRecord(nov(20, 11), "status_change", "new", "cancelled", "")


def test_reopened_blocker_with_a_multiline_description(tickets) -> None:
    ticket = tickets["HD-107"]
    assert ticket.row == 8  # the description spans two lines of the file: still one row
    assert (ticket.priority, ticket.status, ticket.resolved_at) == ("P1", "in_progress", None)
    assert ticket.title == "Outlook crashes, again"
    assert ticket.category == "Report a problem"
    assert ticket.events[-1] == EventRecord(
        nov(20, 15), "reopened", "resolved", "in_progress", "", False
    )


def test_open_trivial(tickets) -> None:
    ticket = tickets["HD-108"]
    assert (ticket.row, ticket.priority, ticket.status) == (9, "P4", "new")
    assert ticket.events == [
        EventRecord(nov(24, 7, 5), "created", "", "new", "jo@customer.example", False)
    ]


def test_components_are_the_category_without_a_request_type() -> None:
    data = (
        "Issue key,Status,Priority,Created,Updated,Component/s,Component/s,Project name\n"
        "HD-1,Open,Medium,23/Nov/26 9:45 AM,23/Nov/26 9:45 AM,Printers,Floor 2,Helpdesk\n"
    )
    notes: list[str] = []
    (ticket,) = jira.read(io.BytesIO(data.encode()), notes=notes)
    assert ticket.category == "Printers, Floor 2"
    assert ticket.attribution == "Helpdesk"  # no team column: the project
    assert notes == ["tickets attributed by 'Project name'"]


def test_bad_rows_are_row_errors_and_the_rest_goes_on() -> None:
    records = list(jira.read(DATA / "jira_bad.csv"))
    errors = [(r.row, r.column, r.external_id) for r in records if isinstance(r, RowError)]
    assert errors == [
        (2, "Status", "HD-201"),
        (3, "Created", "HD-202"),
        (4, "Resolved", "HD-203"),
        (5, "Issue key", ""),
        (6, "Priority", "HD-205"),
        (8, "", "HD-207"),
    ]
    assert [r.external_id for r in records if isinstance(r, TicketRecord)] == ["HD-206"]
    by_row = {r.row: r.reason for r in records if isinstance(r, RowError)}
    assert by_row[2] == "unknown status 'Awaiting Spares' (map it with status_map)"
    assert by_row[3].startswith("cannot read the time '32/Nov/26 9:00 AM'")
    assert "before the ticket was created" in by_row[4]
    assert by_row[6] == "unknown priority 'Urgentish'"
    assert "11 fields but the header has 10" in by_row[8]


def test_a_rating_dated_before_creation_is_refused() -> None:
    data = (
        "Issue key,Status,Priority,Created,Updated,Project name,"
        "Custom field (Satisfaction rating),Custom field (Satisfaction date)\n"
        "HD-1,Done,Low,23/Nov/26 9:45 AM,23/Nov/26 10:00 AM,Helpdesk,4,22/Nov/26 9:00 AM\n"
    )
    (error,) = jira.read(io.BytesIO(data.encode()))
    assert error.column == "Custom field (Satisfaction date)"
    assert "before the ticket was created" in error.reason


def test_status_map_extends_the_workflow() -> None:
    records = list(jira.read(DATA / "jira_bad.csv", status_map={"Awaiting Spares": "on_hold"}))
    assert records[0].status == "on_hold"
    with pytest.raises(ValueError, match="'parked' is not one of"):
        jira.read(DATA / "jira_bad.csv", status_map={"Awaiting Spares": "parked"})


def test_missing_columns_and_attribution_are_refused_at_once() -> None:
    data = b"Issue key,Summary,Stat\nHD-1,x,Open\n"
    with pytest.raises(FormatError) as refused:
        jira.read(io.BytesIO(data), attribute_by="Summary")
    assert str(refused.value) == (
        "wrong columns (missing: Status, Priority, Created, Updated; unexpected: Stat)"
    )
    data = b"Issue key,Status,Priority,Created,Updated\nHD-1,Open,Low,x,y\n"
    with pytest.raises(FormatError, match="no column to attribute tickets by"):
        jira.read(io.BytesIO(data))
    with pytest.raises(FormatError, match="missing: Custom field \\(Vendor\\)"):
        jira.read(io.BytesIO(data), attribute_by="Custom field (Vendor)")


def test_jira_time_forms() -> None:
    assert jira.jira_time("23/Nov/26 9:45 AM") == datetime(2026, 11, 23, 9, 45)
    assert jira.jira_time("23/Nov/26 12:05 AM") == datetime(2026, 11, 23, 0, 5)
    assert jira.jira_time("23/nov/2026 9:45 PM") == datetime(2026, 11, 23, 21, 45)
    assert jira.jira_time("23/Nov/26 21:45") == datetime(2026, 11, 23, 21, 45)
    assert jira.jira_time("23/Nox/26 9:45 AM") is None
    assert jira.jira_time("31/Feb/26 9:45 AM") is None
