"""The mapped import's rules: a status derived from the times when no status column is mapped,
and refusals that list what is accepted (values, time formats, mapping settings)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time

import pytest

from tests.factories import ContractFactory
from tickets import facts as fx
from tickets.ingest import files, mapped
from tickets.ingest.mapping import REQUIRED_FIELDS, Mapping
from tickets.ingest.records import FormatError, RowError, TicketRecord
from tickets.ingest.upsert import ingest_records
from tickets.models import AttributionRule, ImportRun, Ticket
from vendors import sla

# A help desk's export: plain-English headers, day-first Berlin times, a team and an agent
# column, no status column.
HEADER = "Ticket No;Opened;Severity;Team;Agent;Resolved;Closed;Last update"
ROWS = [
    # resolved, then closed
    "HD-1;02.11.2026 09:00;High;Service Desk;Anna;02.11.2026 11:30;04.11.2026 09:00;"
    "04.11.2026 09:00",
    # resolved, not yet closed
    "HD-2;03.11.2026 14:00;Low;Service Desk;Ben;04.11.2026 10:00;;04.11.2026 10:00",
    # open, with an agent
    "HD-3;05.11.2026 08:15;Medium;Service Desk;Anna;;;05.11.2026 12:00",
    # open, nobody on it yet
    "HD-4;06.11.2026 16:45;Critical;Service Desk;;;;",
    # closed without a resolved time
    "HD-5;09.11.2026 10:00;Medium;Service Desk;Ben;;10.11.2026 10:00;10.11.2026 10:00",
]
DERIVED = ["closed", "resolved", "assigned", "new", "closed"]
COLUMNS = {
    "external_id": "Ticket No",
    "created_at": "Opened",
    "priority": "Severity",
    "attribution": "Team",
    "technician": "Agent",
    "resolved_at": "Resolved",
    "closed_at": "Closed",
    "updated_at": "Last update",
}
WITHOUT_STATUS = Mapping(
    columns=COLUMNS,
    priorities={"Critical": "P1", "High": "P2", "Medium": "P3", "Low": "P4"},
    time_format="%d.%m.%Y %H:%M",
    time_zone="Europe/Berlin",
)
WITH_STATUS = Mapping(
    **{**WITHOUT_STATUS.to_dict(), "columns": {**COLUMNS, "status": "State"}},
)
NOTE = (
    "no status column is mapped, so each ticket's status is derived from its resolved and "
    "closed times: closed if it has a closed time, else resolved if it has a resolved time, "
    "else open (assigned if it names a technician, new if not); pending or on-hold spells "
    "cannot be known, so no pauses are counted"
)
NOW = datetime(2026, 12, 1, tzinfo=UTC)


def csv_file(header: str, rows: list[str]) -> io.BytesIO:
    return io.BytesIO(("\n".join([header, *rows]) + "\n").encode())


def without_status() -> io.BytesIO:
    return csv_file(HEADER, ROWS)


def with_status(statuses: list[str] = DERIVED) -> io.BytesIO:
    rows = [f"{row};{status}" for row, status in zip(ROWS, statuses, strict=True)]
    return csv_file(HEADER + ";State", rows)


def read(source: io.BytesIO, mapping: Mapping, notes: list[str] | None = None) -> list:
    return list(mapped.read(source, mapping=mapping, notes=notes))


# --- status is optional ------------------------------------------------------------------------


def test_the_status_is_no_longer_a_field_that_must_be_mapped() -> None:
    assert "status" not in REQUIRED_FIELDS
    assert WITHOUT_STATUS.derives_status and not WITH_STATUS.derives_status
    assert Mapping.from_dict(WITHOUT_STATUS.to_dict()) == WITHOUT_STATUS


def test_without_a_status_column_the_status_comes_from_the_closed_and_resolved_times() -> None:
    notes: list[str] = []
    records = read(without_status(), WITHOUT_STATUS, notes)
    assert [r.status for r in records] == DERIVED
    # The note says it once, for the whole file, not per row.
    assert notes == [NOTE]
    closed, resolved, assigned, new, closed_only = records
    assert closed.resolved_at == datetime(2026, 11, 2, 10, 30, tzinfo=UTC)  # 11:30 in Berlin
    assert closed.closed_at == datetime(2026, 11, 4, 8, 0, tzinfo=UTC)
    assert (resolved.resolved_at, resolved.closed_at) == (
        datetime(2026, 11, 4, 9, 0, tzinfo=UTC),
        None,
    )
    assert (assigned.resolved_at, assigned.closed_at, assigned.technician) == (None, None, "Anna")
    assert (new.resolved_at, new.closed_at, new.technician) == (None, None, "")
    # Closed without a resolved time: resolved when it was closed.
    assert closed_only.resolved_at == closed_only.closed_at == datetime(2026, 11, 10, 9, tzinfo=UTC)


def test_the_synthesised_events_agree_with_the_derived_status() -> None:
    closed, resolved, assigned, new, closed_only = read(without_status(), WITHOUT_STATUS)
    kinds = {r.external_id: [e.kind for e in r.events] for r in (closed, resolved, new)}
    assert kinds == {
        "HD-1": ["created", "assigned", "resolved", "closed"],
        "HD-2": ["created", "assigned", "resolved"],
        "HD-4": ["created"],
    }
    for ticket in (closed, resolved, assigned, new, closed_only):
        timeline = fx.status_timeline(ticket.events)
        last = timeline[-1][1] if timeline else "new"  # created: new until anything else
        assert last == ticket.status, ticket.external_id
    assert [(e.kind, e.new_value) for e in assigned.events] == [
        ("created", "new"),
        ("assigned", "Anna"),
        ("status_change", "assigned"),
    ]


def test_a_derived_status_reads_exactly_as_the_same_status_given_in_a_column() -> None:
    derived = read(without_status(), WITHOUT_STATUS)
    given = read(with_status(), WITH_STATUS)
    assert all(isinstance(r, TicketRecord) for r in derived)
    assert derived == given


OFFICE = sla.BusinessCalendar.weekdays("Europe/Berlin", (time(8), time(17)))
CLOCKS = fx.Clocks(OFFICE, OFFICE, 60 * 60, 8 * 3600, frozenset({"pending_customer", "on_hold"}))


def facts_of(ticket: TicketRecord) -> fx.TicketFacts:
    """As tickets.services.ticket_apply_facts derives them on import."""
    times = fx.TicketTimes(
        created_at=ticket.created_at,
        status=ticket.status,
        resolved_at=ticket.resolved_at,
        source_fcr=ticket.source_fcr,
        source_reopen_count=ticket.source_reopen_count,
        source_reassignment_count=ticket.source_reassignment_count,
    )
    return fx.derive_facts(times, ticket.events, CLOCKS, now=NOW)


def test_the_facts_of_a_derived_status_equal_those_of_the_status_given() -> None:
    derived = [facts_of(t) for t in read(without_status(), WITHOUT_STATUS)]
    given = [facts_of(t) for t in read(with_status(), WITH_STATUS)]
    assert derived == given
    # Real figures, not two equal blanks: HD-1 resolved in 2.5 office hours, HD-2 in 5
    # (14:00-17:00, 08:00-10:00), HD-5 in 9 (over its 8); the open ones breached by 1 December.
    assert [f.resolution_seconds for f in derived] == [9000, 18000, None, None, 32400]
    assert [f.resolution_met for f in derived] == [True, True, False, False, False]
    assert [f.paused_seconds for f in derived] == [0, 0, 0, 0, 0]


def test_a_new_or_assigned_status_given_either_way_gives_the_same_facts() -> None:
    # Only new and assigned can be derived for an open ticket; neither pauses the clock nor
    # counts as a response, so the other one given in a column changes no fact.
    swapped = ["closed", "resolved", "new", "assigned", "closed"]
    derived = [facts_of(t) for t in read(without_status(), WITHOUT_STATUS)]
    given = [facts_of(t) for t in read(with_status(swapped), WITH_STATUS)]
    assert derived == given


@pytest.mark.django_db
def test_imported_with_a_derived_status_the_stored_tickets_equal_those_with_it_given() -> None:
    contract = ContractFactory()
    for source in ("derived", "given"):
        AttributionRule.objects.create(
            source=source, value="Service Desk", vendor=contract.vendor, contract=contract
        )
    for source, records in (
        ("derived", read(without_status(), WITHOUT_STATUS)),
        ("given", read(with_status(), WITH_STATUS)),
    ):
        run = ImportRun.objects.create(source=source, format="mapped")
        run = ingest_records(records, source=source, run=run, now=NOW)
        assert (run.tickets_created, run.tickets_rejected) == (5, 0)
    stored = [
        "external_id",
        "status",
        "resolved_at",
        "closed_at",
        "first_response_at",
        "response_met",
        "resolution_met",
        "resolution_seconds",
        "paused_seconds",
        "reopen_count",
        "first_contact_resolution",
    ]

    def tickets(source: str) -> list[tuple]:
        return list(
            Ticket.objects.filter(source=source).order_by("external_id").values_list(*stored)
        )

    assert tickets("derived") == tickets("given")
    assert [t[1] for t in tickets("derived")] == DERIVED


def test_without_resolved_and_closed_columns_the_note_says_every_ticket_is_open() -> None:
    mapping = Mapping(
        **{
            **WITHOUT_STATUS.to_dict(),
            "columns": {f: c for f, c in COLUMNS.items() if f not in ("resolved_at", "closed_at")},
        }
    )
    notes: list[str] = []
    records = read(without_status(), mapping, notes)
    assert [r.status for r in records] == ["assigned", "assigned", "assigned", "new", "assigned"]
    assert notes == [
        "columns not read: Resolved, Closed",
        NOTE + "; no resolved or closed column is read, so every ticket is open",
    ]


def test_a_mapped_status_column_missing_from_the_file_stops_it_at_once() -> None:
    # Derived instead, the statuses that pause the clock would be lost without a word.
    with pytest.raises(FormatError) as refused:
        mapped.read(without_status(), mapping=WITH_STATUS)
    assert str(refused.value) == "wrong columns (missing: State)"


def test_a_file_with_a_status_column_has_no_derived_status_note() -> None:
    notes: list[str] = []
    read(with_status(), WITH_STATUS, notes)
    assert notes == []


# --- every refusal lists what is accepted ------------------------------------------------------


def test_an_unknown_status_names_the_value_the_column_and_every_accepted_value() -> None:
    mapping = Mapping(
        **{**WITH_STATUS.to_dict(), "statuses": {"Done": "resolved", "Shut": "closed"}}
    )
    records = read(with_status(["Shut", "Done", "Open", "new", "CLOSED"]), mapping)
    error = records[2]
    assert isinstance(error, RowError)
    assert str(error) == (
        "row 4, column State (ticket HD-3): unknown status 'Open': use one of new, assigned, "
        "in_progress, pending_customer, on_hold, awaiting_third_party, resolved (or Done), "
        "closed (or Shut), cancelled, or map 'Open' to one of them"
    )
    assert [r.status for r in records if isinstance(r, TicketRecord)] == [
        "closed",
        "resolved",
        "new",
        "closed",
    ]


def test_an_empty_status_in_a_mapped_column_lists_the_accepted_values() -> None:
    records = read(with_status(["closed", "resolved", "", "new", "closed"]), WITH_STATUS)
    assert records[2] == RowError(
        4,
        "State",
        "empty status: use one of new, assigned, in_progress, pending_customer, on_hold, "
        "awaiting_third_party, resolved, closed, cancelled",
        "HD-3",
    )


def test_an_unknown_or_empty_priority_lists_the_accepted_values_and_the_way_out() -> None:
    rows = [ROWS[0].replace(";High;", ";Urgent;"), ROWS[1].replace(";Low;", ";;")]
    unknown, empty = read(csv_file(HEADER, rows), WITHOUT_STATUS)
    assert unknown == RowError(
        2,
        "Severity",
        "unknown priority 'Urgent': use one of P1 (or Critical), P2 (or High), P3 (or Medium), "
        "P4 (or Low), or map 'Urgent' to one of them",
        "HD-1",
    )
    assert empty == RowError(
        3,
        "Severity",
        "empty priority: use one of P1 (or Critical), P2 (or High), P3 (or Medium), "
        "P4 (or Low), or give the mapping a default priority",
        "HD-2",
    )


@pytest.mark.parametrize(
    ("time_format", "value", "expected"),
    [
        (
            "%d/%m/%Y %H:%M",
            "12/31/2026 09:00",
            "(expected %d/%m/%Y %H:%M): day-first, 24-hour clock, like 31/12/2026 23:59",
        ),
        (
            "%m/%d/%Y %I:%M %p",
            "31/12/2026 09:00",
            "(expected %m/%d/%Y %I:%M %p): month-first, 12-hour clock with AM/PM, "
            "like 12/31/2026 11:59 PM",
        ),
        (
            "iso",
            "yesterday",
            "(expected ISO 8601): ISO 8601, like 2026-12-31T23:59:58 or 2026-12-31 23:59:58+01:00",
        ),
    ],
)
def test_a_time_that_does_not_parse_names_the_format_in_words_and_as_the_pattern(
    time_format: str, value: str, expected: str
) -> None:
    mapping = Mapping(**{**WITHOUT_STATUS.to_dict(), "time_format": time_format})
    row = f"HD-9;{value};High;Service Desk;Anna;;;"
    (error,) = read(csv_file(HEADER, [row]), mapping)
    assert error == RowError(2, "Opened", f"cannot read the time {value!r} {expected}", "HD-9")


@pytest.mark.parametrize(
    ("time_format", "words"),
    [
        ("%d.%m.%Y %H:%M:%S", "day-first, 24-hour clock, like 31.12.2026 23:59:58"),
        ("%Y-%m-%d %H:%M", "year-first, 24-hour clock, like 2026-12-31 23:59"),
        ("%d %B %Y %I:%M", "day-first, 12-hour clock, like 31 December 2026 11:59"),
        ("%b %d, %Y", "month-first, like Dec 31, 2026"),
    ],
)
def test_time_formats_read_in_words(time_format: str, words: str) -> None:
    assert files.format_in_words(time_format) == words


@pytest.mark.parametrize(
    ("change", "accepted"),
    [
        (
            {"colour": "red"},
            "unknown keys colour (use columns, priorities, statuses, channels, time_format, "
            "time_zone, delimiter, sheet, default_priority, survey_scale)",
        ),
        (
            {"columns": {**COLUMNS, "mood": "x"}},
            "unknown fields: mood (use external_id, attribution, priority, status, created_at, "
            "resolved_at, closed_at, updated_at, technician, category, requester, channel, title, "
            "first_response_at, survey_score, survey_answered_at, sla_met, fcr, reopen_count, "
            "reassignment_count, escalated)",
        ),
        (
            {"statuses": {"Open": "open"}},
            "statuses map to unknown values open (use new, assigned, in_progress, "
            "pending_customer, on_hold, awaiting_third_party, resolved, closed, cancelled)",
        ),
        (
            {"priorities": {"High": "P0"}},
            "priorities map to unknown values P0 (use P1, P2, P3, P4)",
        ),
        ({"default_priority": "P5"}, "default_priority must be one of P1, P2, P3, P4"),
        ({"survey_scale": 7}, "survey_scale must be 5 or 10 (5: CSAT 1..5, 10: NPS 0..10)"),
        ({"delimiter": ";;"}, "delimiter must be one character (such as , ; | or a tab)"),
        (
            {"time_format": "dd.mm.yyyy"},
            "time_format must be 'iso' or a strptime pattern like %d/%m/%Y %H:%M (common ones: "
            "%d/%m/%Y %H:%M (day-first, 24-hour clock, like 31/12/2026 23:59), "
            "%m/%d/%Y %I:%M %p (month-first, 12-hour clock with AM/PM, like 12/31/2026 11:59 PM), "
            "%Y-%m-%d %H:%M:%S (year-first, 24-hour clock, like 2026-12-31 23:59:58))",
        ),
        (
            {"time_zone": "Berlin"},
            "unknown time zone 'Berlin' (use an IANA name like Europe/London)",
        ),
    ],
)
def test_a_refused_mapping_lists_what_is_accepted(change: dict, accepted: str) -> None:
    with pytest.raises(ValueError) as refused:
        Mapping.from_dict({**WITHOUT_STATUS.to_dict(), **change})
    assert str(refused.value) == f"invalid mapping: {accepted}"


def test_a_mapping_leaving_required_fields_open_names_them_and_not_the_status() -> None:
    with pytest.raises(ValueError) as refused:
        Mapping(columns={"external_id": "Ticket No", "status": "State"})
    assert str(refused.value) == (
        "invalid mapping: fields that must be mapped: attribution, priority, created_at"
    )
