"""What every reader yields: normalised tickets with their events, or row errors.

Readers are pure (no Django, no database): they turn a source's rows into these records, and
the shared upsert (`tickets.ingest.upsert`) maps them onto vendors and writes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

# Normalised values (tickets.models), repeated here so readers stay Django-free.
PRIORITIES = ("P1", "P2", "P3", "P4")
STATUSES = (
    "new",
    "assigned",
    "in_progress",
    "pending_customer",
    "on_hold",
    "awaiting_third_party",
    "resolved",
    "closed",
    "cancelled",
)
CHANNELS = ("phone", "email", "portal", "chat", "walk_in", "monitoring", "other")
EVENT_KINDS = (
    "created",
    "assigned",
    "responded",
    "status_change",
    "paused",
    "resumed",
    "escalated",
    "reopened",
    "resolved",
    "closed",
)


# Events and tickets are built by the million on an import's hot path: plain slotted
# dataclasses, as a frozen one's __init__ costs about four times as much.
@dataclass(slots=True)
class EventRecord:
    at: datetime  # timezone-aware
    kind: str  # one of EVENT_KINDS
    old_value: str = ""
    new_value: str = ""
    actor: str = ""
    by_vendor: bool = True


@dataclass(frozen=True)
class SurveyRecord:
    score: int
    answered_at: datetime
    scale: int = 5  # 5 = CSAT 1..5, 10 = NPS 0..10
    comment: str = ""


@dataclass(slots=True)
class TicketRecord:
    row: int  # first data row of this ticket in the file (the header is row 1)
    external_id: str
    attribution: str  # the source's group / team / org line / vendor value, mapped by rules
    priority: str  # P1..P4
    status: str  # one of STATUSES
    created_at: datetime  # timezone-aware, like every time here
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    version: str = ""  # the source's last-update stamp; a newer one replaces the stored ticket
    technician: str = ""
    category: str = ""
    requester: str = ""
    channel: str = "other"
    title: str = ""
    events: list[EventRecord] = field(default_factory=list)
    source_sla_met: bool | None = None
    source_fcr: bool | None = None
    source_reopen_count: int | None = None
    source_reassignment_count: int | None = None
    survey: SurveyRecord | None = None
    # The ticket's last row in the file, for event logs with a row per update (0: `row`);
    # import reports count rows read by it. Not part of the ticket, so equality ignores it.
    last_row: int = field(default=0, compare=False)


@dataclass(frozen=True)
class RowError:
    """A row (or a whole ticket) the reader could not use; the rest of the file goes on."""

    row: int
    column: str
    reason: str
    external_id: str = ""

    def __str__(self) -> str:
        where = f"row {self.row}" + (f", column {self.column}" if self.column else "")
        ticket = f" (ticket {self.external_id})" if self.external_id else ""
        return f"{where}{ticket}: {self.reason}"


class FormatError(ValueError):
    """The file as a whole cannot be read: wrong columns, encoding or delimiter."""
