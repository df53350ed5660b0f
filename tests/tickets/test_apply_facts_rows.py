"""ticket_apply_facts on rows of any kind: the facts land the same whether they are written
into the row's __dict__ (plain rows) or set one by one (a row that watches its attributes)."""

from __future__ import annotations

from datetime import UTC, datetime, time

from tickets import facts as fx
from tickets.services import ticket_apply_facts
from vendors import sla

OFFICE = sla.BusinessCalendar.weekdays("Europe/London", (time(9), time(17)))
CLOCKS = fx.Clocks(OFFICE, OFFICE, 3600, 8 * 3600, frozenset({"pending_customer"}))
CREATED = datetime(2025, 3, 4, 10, tzinfo=UTC)
EVENTS = [
    fx.Event(CREATED, "created", new_value="new", by_vendor=False),
    fx.Event(datetime(2025, 3, 4, 10, 30, tzinfo=UTC), "responded"),
    fx.Event(datetime(2025, 3, 5, 12, tzinfo=UTC), "resolved", new_value="resolved"),
]


class Book:
    def clocks(self, ticket):
        return CLOCKS


class Row:
    def __init__(self) -> None:
        self.created_at, self.resolved_at = CREATED, datetime(2025, 3, 5, 12, tzinfo=UTC)
        self.status, self.priority, self.vendor_id, self.technician_id = "resolved", "P3", 1, 7
        self.response_target_minutes, self.resolution_target_minutes = 60, 480
        self.source_fcr = self.source_reopen_count = self.source_reassignment_count = None
        self.repeat = False


class WatchedRow(Row):
    """Counts the writes of reply_count, through a property as a model could."""

    writes = 0

    @property
    def reply_count(self) -> int:
        return self._reply_count

    @reply_count.setter
    def reply_count(self, value: int) -> None:
        WatchedRow.writes += 1
        self._reply_count = value


def test_a_row_with_a_setter_gets_the_same_facts_through_it():
    plain, watched = Row(), WatchedRow()
    now = datetime(2025, 4, 1, tzinfo=UTC)
    for row in (plain, watched):
        ticket_apply_facts(row, EVENTS, book=Book(), now=now, technicians={}.get)

    assert WatchedRow.writes == 1
    assert watched.reply_count == plain.reply_count == 1
    facts = {k: v for k, v in vars(watched).items() if k != "_reply_count"}
    assert facts | {"reply_count": 1} == vars(plain)
    # 30 minutes to answer; 7 hours on Tuesday and 3 on Wednesday: past the 8-hour target.
    assert plain.response_seconds == 1800
    assert plain.resolution_seconds == 10 * 3600 and plain.resolution_met is False
