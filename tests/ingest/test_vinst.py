"""Volvo IT VINST reader: a hand-written log (BOM, CRLF, mojibake), and the real BPI 2013 log."""

from __future__ import annotations

import io
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from tickets import facts
from tickets.ingest import vinst
from tickets.ingest.records import EventRecord, FormatError, RowError, TicketRecord

DATA = Path(__file__).parent / "data"
REAL = SHARED_DATA / "bpi2013-volvo-incidents/VINST-new.csv.xz"


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2012, 5, day, hour, minute, tzinfo=UTC)


def as_facts(ticket: TicketRecord) -> list[facts.Event]:
    return [
        facts.Event(e.at, e.kind, e.old_value, e.new_value, e.actor, e.by_vendor)
        for e in ticket.events
    ]


@pytest.fixture(scope="module")
def small() -> list[TicketRecord | RowError]:
    return list(vinst.read(DATA / "vinst_small.csv"))


def test_escalated_to_3rd_line_with_repaired_names(small) -> None:
    ticket = small[0]
    assert (ticket.row, ticket.external_id) == (2, "1-100")
    assert (ticket.attribution, ticket.priority, ticket.status) == ("Org line A2", "P3", "closed")
    # +01:00 is a fixed offset: 09:00+01:00 is 08:00 UTC even in May.
    assert ticket.created_at == utc(2, 8)
    assert (ticket.resolved_at, ticket.closed_at) == (utc(3, 11), utc(9, 23))
    assert ticket.version == "2012-05-09T23:00:00+00:00"
    # Bjˆrn is Björn; the system account Siebel is nobody's technician.
    assert ticket.technician == "se-Björn"
    assert ticket.category == "PROD1"
    assert ticket.events == [
        EventRecord(utc(2, 8), "created", "", "new", "", by_vendor=False),
        EventRecord(utc(2, 8), "assigned", "", "V30", "fr-Frederic"),
        EventRecord(utc(2, 8), "status_change", "new", "in_progress", "fr-Frederic"),
        EventRecord(utc(2, 8, 30), "assigned", "V30", "V5 3rd", "fr-Frederic"),
        EventRecord(utc(2, 8, 30), "escalated", "V30", "V5 3rd", "fr-Frederic"),
        EventRecord(utc(2, 8, 30), "status_change", "in_progress", "assigned", "fr-Frederic"),
        EventRecord(utc(2, 10), "status_change", "assigned", "in_progress", "se-Björn"),
        EventRecord(
            utc(2, 10, 5), "status_change", "in_progress", "awaiting_third_party", "se-Björn"
        ),
        EventRecord(utc(3, 9), "status_change", "awaiting_third_party", "in_progress", "se-Björn"),
        EventRecord(utc(3, 11), "resolved", "in_progress", "resolved", "se-Björn"),
        EventRecord(utc(9, 23), "closed", "resolved", "closed", "", by_vendor=False),
    ]


def test_first_logged_at_2nd_line_is_escalated_and_in_call_is_resolved(small) -> None:
    ticket = small[1]
    assert (ticket.priority, ticket.status) == ("P2", "resolved")
    assert ticket.resolved_at == utc(4, 8, 20) and ticket.closed_at is None
    escalations = [e for e in ticket.events if e.kind == "escalated"]
    assert escalations == [EventRecord(utc(4, 7), "escalated", "", "G96 2nd", "pl-Krzysztof")]
    pauses = facts.pause_intervals(
        as_facts(ticket), frozenset({"pending_customer"}), ticket.created_at, ticket.resolved_at
    )
    assert [(p.start, p.end) for p in pauses] == [(utc(4, 7, 10), utc(4, 8, 10))]


def test_reopen_by_a_move_to_another_team(small) -> None:
    ticket = small[2]
    assert ticket.technician == "fr-Åsa"  # ≈sa
    assert ticket.status == "closed" and ticket.priority == "P4"
    # Resolved 08:00, sent to team G11 at 09:00 (reopened), closed 10:00: resolved when closed.
    assert ticket.resolved_at == ticket.closed_at == utc(5, 10)
    kinds = [(e.kind, e.old_value, e.new_value) for e in ticket.events]
    assert ("reopened", "resolved", "assigned") in kinds
    assert ("assigned", "G10", "G11") in kinds
    assert not any(e.kind == "escalated" for e in ticket.events)
    assert facts.reopen_count(as_facts(ticket)) == 1


def test_unknown_impact_is_a_row_error(small) -> None:
    assert small[3] == RowError(18, "SR Latest Impact", "unknown impact 'Huge'", "1-400")
    assert len(small) == 4


def test_attribute_by_team_strips_the_line_suffix() -> None:
    records = vinst.read(DATA / "vinst_small.csv", attribute_by="team")
    teams = [r.attribution for r in records if isinstance(r, TicketRecord)]
    assert teams == ["V30", "G96", "G10"]
    assert vinst.team_name("V13 2nd 3rd") == "V13"
    with pytest.raises(ValueError, match="attribute_by"):
        vinst.read(DATA / "vinst_small.csv", attribute_by="country")


def test_fix_name_only_repairs_real_mojibake() -> None:
    assert vinst.fix_name("Bjˆrn") == "Björn"
    assert vinst.fix_name("AndrÈs") == "Andrés"
    assert vinst.fix_name("P‰r") == "Pär"
    assert vinst.fix_name("Björn") == "Björn"  # already right: left alone
    assert vinst.fix_name("Anne Claire") == "Anne Claire"


def test_missing_columns_are_refused_at_once() -> None:
    data = "\ufeffSR Number,Change Date+Time,Status\r\n1-1,2012-01-01T00:00:00+01:00,Queued\r\n"
    with pytest.raises(FormatError, match="missing: Sub Status, Involved ST"):
        vinst.read(io.BytesIO(data.encode()))


@pytest.mark.realdata
def test_the_real_vinst_log(capsys) -> None:
    started = time.perf_counter()
    records = list(vinst.read(REAL))
    elapsed = time.perf_counter() - started
    with capsys.disabled():
        print(f"\nVINST log: 65,533 rows in {elapsed:.2f} s = {65_533 / elapsed:,.0f} rows/s")
    tickets = [r for r in records if isinstance(r, TicketRecord)]
    assert len(tickets) == 7_554
    assert [r for r in records if isinstance(r, RowError)] == []
    # README: 3,008 cases reach a 2nd- or 3rd-line team.
    assert sum(any(e.kind == "escalated" for e in t.events) for t in tickets) == 3_008
    # README: last events Completed-Closed 5,573, Completed-In Call 1,882, -Resolved 90.
    statuses = Counter(t.status for t in tickets)
    assert statuses["closed"] == 5_573
    assert statuses["resolved"] == 1_882 + 90
    assert sum(statuses.values()) - statuses["closed"] - statuses["resolved"] == 9  # open/cxl
    # Every mojibake name repaired (1,542 cells in the README).
    assert not any(c in t.technician for t in tickets for c in "ˆÈ≈‰·Â")
    assert all(e.at >= t.created_at for t in tickets for e in t.events)
    assert sum(facts.reopen_count(as_facts(t)) > 0 for t in tickets) == 514
    assert elapsed < 30
