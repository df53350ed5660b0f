"""Any CSV or XLSX with one ticket per row, read through a user's column mapping.

A `Mapping` says which of their columns holds each of our fields, how their priority, status
and channel values are spelt, and how their times are written. It round-trips through a plain
dict (stored per source as JSON). `Mapping.ours()` is our own format: columns named exactly as
our fields, our values, ISO 8601 times (see OUR_COLUMNS and write_ours).

`one_row_ticket` is shared with the Jira and Zendesk readers: a row has no history, so the
events are synthesised from its timestamps.
"""

from __future__ import annotations

import csv
import operator
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, BinaryIO, TextIO

from tickets.ingest import files
from tickets.ingest.records import (
    CHANNELS,
    PRIORITIES,
    STATUSES,
    EventRecord,
    FormatError,
    RowError,
    SurveyRecord,
    TicketRecord,
)

REQUIRED_FIELDS = ("external_id", "attribution", "priority", "status", "created_at")
OPTIONAL_FIELDS = (
    "resolved_at",
    "closed_at",
    "updated_at",
    "technician",
    "category",
    "requester",
    "channel",
    "title",
    "first_response_at",
    "survey_score",
    "survey_answered_at",
    "sla_met",
    "fcr",
    "reopen_count",
    "reassignment_count",
    "escalated",
)
FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS
TIME_FIELDS = frozenset(
    {"created_at", "resolved_at", "closed_at", "updated_at", "first_response_at"}
    | {"survey_answered_at"}
)
OUR_COLUMNS = FIELDS  # our own mapped CSV format: exactly our field names, in this order
DONE = frozenset({"resolved", "closed", "cancelled"})


def _key(value: str) -> str:
    return " ".join(value.split()).casefold()


@dataclass
class Mapping:
    """How one source's spreadsheet maps onto our ticket fields.

    columns: our field -> their column name (REQUIRED_FIELDS must be mapped).
    priorities / statuses / channels: their value -> ours (matched ignoring case and extra
    spaces); our own values are always accepted too. An unknown priority or status is a row
    error; an unknown channel reads as "other".
    time_format: "iso" or a strptime pattern such as "%d/%m/%Y %H:%M".
    time_zone: IANA zone of times written without an offset.
    delimiter: CSV delimiter, sniffed if None. sheet: XLSX worksheet, the first if None.
    default_priority: used when the priority cell is empty ("" = empty is a row error).
    survey_scale: 5 (CSAT 1..5) or 10 (NPS 0..10).
    """

    columns: dict[str, str]
    priorities: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    time_format: str = "iso"
    time_zone: str = "UTC"
    delimiter: str | None = None
    sheet: str | None = None
    default_priority: str = ""
    survey_scale: int = 5

    def __post_init__(self) -> None:
        problems = []
        unknown = sorted(set(self.columns) - set(FIELDS))
        if unknown:
            problems.append("unknown fields: " + ", ".join(unknown))
        unmapped = [f for f in REQUIRED_FIELDS if not self.columns.get(f)]
        if unmapped:
            problems.append("fields that must be mapped: " + ", ".join(unmapped))
        for label, spellings, allowed in (
            ("priorities", self.priorities, PRIORITIES),
            ("statuses", self.statuses, STATUSES),
            ("channels", self.channels, CHANNELS),
        ):
            wrong = sorted({v for v in spellings.values() if v not in allowed})
            if wrong:
                problems.append(
                    f"{label} map to unknown values {', '.join(wrong)} (use {', '.join(allowed)})"
                )
        if self.default_priority and self.default_priority not in PRIORITIES:
            problems.append(f"default_priority must be one of {', '.join(PRIORITIES)}")
        if self.survey_scale not in (5, 10):
            problems.append("survey_scale must be 5 or 10")
        if self.delimiter is not None and len(self.delimiter) != 1:
            problems.append("delimiter must be one character")
        if self.time_format != "iso" and "%" not in self.time_format:
            problems.append("time_format must be 'iso' or a strptime pattern like %d/%m/%Y %H:%M")
        try:
            files.zone(self.time_zone)
        except ValueError as exc:
            problems.append(str(exc))
        if problems:
            raise ValueError("invalid mapping: " + "; ".join(problems))

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-serialisable dict; Mapping.from_dict(m.to_dict()) == m."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mapping:
        """A Mapping from a plain dict; ValueError naming what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("invalid mapping: expected an object")
        known = set(cls.__dataclass_fields__)
        extra = sorted(set(data) - known)
        if extra:
            raise ValueError("invalid mapping: unknown keys " + ", ".join(extra))
        if "columns" not in data:
            raise ValueError("invalid mapping: 'columns' is required")
        for key in ("columns", "priorities", "statuses", "channels"):
            value = data.get(key, {})
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise ValueError(f"invalid mapping: {key} must map text to text")
        return cls(**{k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()})

    @classmethod
    def ours(cls) -> Mapping:
        """Our own format: every field in a column of its own name, ISO times, our values."""
        return cls(columns={f: f for f in FIELDS})


# --- shared: one row, one ticket -----------------------------------------------------------------


class RowProblem(Exception):
    """A value of a row that cannot be used; becomes a RowError for the whole row."""

    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column = column
        self.reason = reason


def tickets_by_row(
    rows: Iterable[tuple[int, list[str]]],
    *,
    width: int,
    id_index: int,
    id_column: str,
    build: Callable[[int, list[str], str], TicketRecord],
) -> Iterator[TicketRecord | RowError]:
    """One ticket per row, for exports with a row per ticket (Jira, Zendesk): a row of the
    wrong width or without an id is rejected, and a RowProblem raised by `build(row, cells,
    external_id)` rejects its row naming the column."""
    for row, cells in rows:
        external_id = cells[id_index].strip() if len(cells) > id_index else ""
        if len(cells) != width:
            yield files.width_error(row, cells, width, external_id)
            continue
        if not external_id:
            yield RowError(row, id_column, f"empty {id_column}")
            continue
        try:
            yield build(row, cells, external_id)
        except RowProblem as problem:
            yield RowError(row, problem.column, problem.reason, external_id)


_AT = operator.attrgetter("at")


def one_row_ticket(
    *,
    row: int,
    external_id: str,
    attribution: str,
    priority: str,
    status: str,
    created_at: datetime,
    updated_at: datetime | None = None,
    resolved_at: datetime | None = None,
    closed_at: datetime | None = None,
    assigned_at: datetime | None = None,
    first_response_at: datetime | None = None,
    technician: str = "",
    category: str = "",
    requester: str = "",
    channel: str = "other",
    title: str = "",
    escalated: bool = False,
    reopened: bool = False,
    survey: SurveyRecord | None = None,
    source_sla_met: bool | None = None,
    source_fcr: bool | None = None,
    source_reopen_count: int | None = None,
    source_reassignment_count: int | None = None,
    columns: dict[str, str] | None = None,
) -> TicketRecord:
    """A ticket from one export row, its events synthesised from the row's timestamps.

    Events: created; assigned (to the technician, at assigned_at or creation); responded (at
    the first response, if known); escalated (if flagged, at the last update); the final open
    status at the last update; resolved (or cancelled); closed. A done ticket without a
    resolution time takes its close or last-update time; an open ticket that still carries a
    resolution time (or is flagged `reopened`) was resolved and reopened: a reopened event at
    its last update.
    `columns` names the source's columns, for the messages of RowProblem.
    """
    names = columns or {}

    def check_after_created(name: str, at: datetime | None) -> None:
        if at is not None and at < created_at:
            column = names.get(name, name)
            raise RowProblem(
                column,
                f"{column} ({at:%Y-%m-%d %H:%M} UTC) is before the ticket was created "
                f"({created_at:%Y-%m-%d %H:%M} UTC)",
            )

    for name, at in (
        ("resolved_at", resolved_at),
        ("closed_at", closed_at),
        ("first_response_at", first_response_at),
        ("survey_answered_at", survey.answered_at if survey else None),
    ):
        check_after_created(name, at)

    last = max(updated_at or created_at, created_at)
    done = status in DONE
    reopened_at = None
    if done and resolved_at is None:
        resolved_at = closed_at or updated_at
        if resolved_at is None:
            column = names.get("resolved_at", "resolved_at")
            raise RowProblem(column, f"the ticket is {status} but has no resolution time")
        resolved_at = max(resolved_at, created_at)
    elif not done and resolved_at is not None:
        reopened_at = max(last, resolved_at)
    elif not done and reopened:
        reopened_at = last
    # Sources without a close stamp (Jira) are closed as of their last update.
    closed_at = max(closed_at or last, resolved_at or created_at) if status == "closed" else None

    events = [EventRecord(created_at, "created", "", "new", requester, by_vendor=False)]
    if technician:
        at = max(assigned_at or created_at, created_at)
        events.append(EventRecord(at, "assigned", "", technician, ""))
    if first_response_at is not None:
        events.append(EventRecord(first_response_at, "responded", "", "", technician))
    if escalated:
        events.append(EventRecord(last, "escalated", "", "escalated", technician))
    if resolved_at is not None:
        if status == "cancelled":
            events.append(EventRecord(resolved_at, "status_change", "new", "cancelled", technician))
        else:
            events.append(EventRecord(resolved_at, "resolved", "", "resolved", technician))
    if reopened_at is not None:
        events.append(EventRecord(reopened_at, "reopened", "resolved", status, "", False))
    elif not done and status != "new":
        events.append(EventRecord(last, "status_change", "new", status, technician))
    if closed_at is not None:
        events.append(EventRecord(closed_at, "closed", "resolved", "closed", ""))
    events.sort(key=_AT)  # stable: same-instant events keep the order above

    return TicketRecord(
        row=row,
        external_id=external_id,
        attribution=attribution,
        priority=priority,
        status=status,
        created_at=created_at,
        resolved_at=resolved_at if done else None,
        closed_at=closed_at,
        version=updated_at.isoformat() if updated_at else "",
        technician=technician,
        category=category,
        requester=requester,
        channel=channel,
        title=title,
        events=events,
        source_sla_met=source_sla_met,
        source_fcr=source_fcr,
        source_reopen_count=source_reopen_count,
        source_reassignment_count=source_reassignment_count,
        survey=survey,
    )


def survey_record(
    score: int | None, answered_at: datetime | None, *, scale: int = 5, column: str = "survey"
) -> SurveyRecord | None:
    """A survey answer, checked against its scale (1..5 or 0..10); None if there is none."""
    if score is None:
        return None
    low = 1 if scale == 5 else 0
    if not low <= score <= scale:
        raise RowProblem(column, f"survey score {score} is outside {low}..{scale}")
    if answered_at is None:
        raise RowProblem(column, "a survey score without any time to date it")
    return SurveyRecord(score=score, answered_at=answered_at, scale=scale)


# --- the mapped reader ----------------------------------------------------------------------


def read(
    stream: BinaryIO | str | os.PathLike[str],
    *,
    mapping: Mapping,
    name: str = "",
    strict: bool = False,
    notes: list[str] | None = None,
) -> Iterator[TicketRecord | RowError]:
    """Tickets from a CSV (possibly compressed) or XLSX file, one per row, through `mapping`.

    The columns of required fields must be present (FormatError at once otherwise, naming the
    missing and the unexpected ones); mapped columns of optional fields may be absent.
    """
    source, head, inner = files.peek(stream, name=name)
    if files.is_xlsx(head, inner, source):
        table = files.read_xlsx(source, name=inner, sheet=mapping.sheet)
    else:
        table = files.read_csv(source, name=inner, delimiter=mapping.delimiter)
    required = [mapping.columns[f] for f in REQUIRED_FIELDS]
    optional = [mapping.columns[f] for f in OPTIONAL_FIELDS if mapping.columns.get(f)]
    remarks = table.notes + files.check_columns(table.header, required, optional, strict=strict)
    absent = [c for c in optional if c not in table.header]
    if absent:
        remarks.append("mapped columns not in the file: " + ", ".join(absent))
    if notes is not None:
        notes.extend(remarks)
    return _records(table, mapping)


class _Values:
    """Reads our fields out of a row through a mapping.

    Everything about the file is worked out once: `pick` takes a row's cells (padded by
    `padded`) and returns one raw value per field of FIELDS, in that order, None for a field
    the file lacks; per row only the values themselves are read.
    """

    def __init__(self, table: files.Table, mapping: Mapping) -> None:
        index = table.index()
        self.mapping = mapping
        self.positions = {f: index[c] for f, c in mapping.columns.items() if c and c in index}
        self.parse = files.TimeParser((mapping.time_format,), mapping.time_zone)
        self.zone = files.zone(mapping.time_zone)
        self.priorities = _spellings(mapping.priorities, PRIORITIES)
        self.statuses = _spellings(mapping.statuses, STATUSES)
        self.channels = _spellings(mapping.channels, CHANNELS)
        # Their column name for each of our fields, for messages (built once, not per row).
        self.names = {f: mapping.columns.get(f, f) for f in FIELDS}
        self.width = len(table.header)
        # Unmapped or absent fields read the None one past the last cell.
        self.pick = operator.itemgetter(*(self.positions.get(f, self.width) for f in FIELDS))
        self._pads = [[None] * n for n in range(self.width + 2)]

    def padded(self, cells: list[Any]) -> list[Any]:
        """The cells with None up to one past the header's width (rows may be short)."""
        return cells + self._pads[self.width + 1 - len(cells)]

    def column(self, f: str) -> str:
        return self.names.get(f, f)

    def raw(self, cells: list[Any], f: str) -> Any:
        i = self.positions.get(f)
        return cells[i] if i is not None and i < len(cells) else None

    def text(self, cells: list[Any], f: str) -> str:
        return _text(self.raw(cells, f))

    def time(self, value: Any, f: str) -> datetime | None:
        """A raw cell of field `f` as a UTC time; None if empty."""
        if value.__class__ is str:  # a CSV cell (the common case, kept quick)
            text = value.strip()
        elif isinstance(value, datetime):  # an XLSX date cell
            return (value if value.tzinfo else value.replace(tzinfo=self.zone)).astimezone(UTC)
        else:
            text = files.cell_text(value)
        if not text:
            return None
        try:
            return self.parse(text)
        except ValueError:
            raise RowProblem(
                self.column(f), f"cannot read the time {text!r} (expected {self.parse.describe()})"
            ) from None

    def choice(self, value: Any, f: str, spellings: dict[str, str], what: str) -> str:
        text = _text(value)
        found = spellings.get(text) or spellings.get(_key(text))
        if found is None:
            reason = f"unknown {what} {text!r}" if text else f"empty {what}"
            raise RowProblem(self.column(f), reason)
        return found

    def flag(self, value: Any, f: str) -> bool | None:
        if value is None or value == "":
            return None
        found = _FLAGS.get(value)  # as written by write_ours: no parsing needed
        if found is not None:
            return found
        try:
            return files.parse_bool(value)
        except ValueError:
            raise RowProblem(self.column(f), f"{value!r} is not true/false") from None

    def count(self, value: Any, f: str) -> int | None:
        if value is None or value == "":
            return None
        try:
            return files.parse_count(value)
        except ValueError:
            raise RowProblem(self.column(f), f"{value!r} is not a count") from None


_FLAGS = {"true": True, "false": False}


def _text(value: Any) -> str:
    if value.__class__ is str:  # a CSV cell (the common case, kept quick)
        return value.strip()
    return files.cell_text(value)


def _spellings(theirs: dict[str, str], ours: Iterable[str]) -> dict[str, str]:
    """Normalised spelling -> our value; the spellings as written map too (a quick first try),
    where they agree with their normalised form."""
    spellings = {_key(v): v for v in ours}
    spellings.update({_key(k): v for k, v in theirs.items()})
    exact = {v: v for v in ours} | dict(theirs)
    spellings.update({k: v for k, v in exact.items() if spellings.get(_key(k)) == v})
    return spellings


def _records(table: files.Table, mapping: Mapping) -> Iterator[TicketRecord | RowError]:
    values = _Values(table, mapping)
    width = values.width
    ragged = table.ragged
    pick, padded = values.pick, values.padded
    for row, cells in table.rows:
        size = len(cells)
        if size != width and (size > width or not ragged):
            yield files.width_error(row, cells, width, values.text(cells, "external_id"))
            continue
        raw = pick(padded(cells))
        external_id = _text(raw[0])
        if not external_id:
            yield RowError(row, values.column("external_id"), "empty ticket id")
            continue
        try:
            yield _ticket(row, raw, external_id, values)
        except RowProblem as problem:
            yield RowError(row, problem.column, problem.reason, external_id)


def _ticket(row: int, raw: tuple[Any, ...], external_id: str, v: _Values) -> TicketRecord:
    """The ticket of one row; `raw` holds the row's values in the order of FIELDS. Values are
    read in a fixed order, so a row with several problems always names the same one."""
    (
        _,
        attribution,
        priority_raw,
        status_raw,
        created_raw,
        resolved_raw,
        closed_raw,
        updated_raw,
        technician,
        category,
        requester,
        channel,
        title,
        first_response_raw,
        score_raw,
        answered_raw,
        sla_met,
        fcr,
        reopen_count,
        reassignment_count,
        escalated,
    ) = raw
    m = v.mapping
    time = v.time
    if m.default_priority and not _text(priority_raw):
        priority = m.default_priority
    else:
        priority = v.choice(priority_raw, "priority", v.priorities, "priority")
    status = v.choice(status_raw, "status", v.statuses, "status")
    created = time(created_raw, "created_at")
    if created is None:
        raise RowProblem(v.column("created_at"), "empty creation time")
    resolved = time(resolved_raw, "resolved_at")
    updated = time(updated_raw, "updated_at")
    score_text = _text(score_raw)
    score = None
    if score_text:
        try:
            score = int(float(score_text))
        except ValueError:
            raise RowProblem(v.column("survey_score"), f"{score_text!r} is not a score") from None
    answered = time(answered_raw, "survey_answered_at") or resolved or updated
    channel_text = _text(channel)
    return one_row_ticket(
        row=row,
        external_id=external_id,
        attribution=_text(attribution),
        priority=priority,
        status=status,
        created_at=created,
        updated_at=updated,
        resolved_at=resolved,
        closed_at=time(closed_raw, "closed_at"),
        first_response_at=time(first_response_raw, "first_response_at"),
        technician=_text(technician),
        category=_text(category),
        requester=_text(requester),
        channel=v.channels.get(channel_text) or v.channels.get(_key(channel_text), "other"),
        title=_text(title),
        escalated=bool(v.flag(escalated, "escalated")),
        survey=survey_record(score, answered, scale=m.survey_scale, column=v.column("survey_score"))
        if score is not None
        else None,
        source_sla_met=v.flag(sla_met, "sla_met"),
        source_fcr=v.flag(fcr, "fcr"),
        source_reopen_count=v.count(reopen_count, "reopen_count"),
        source_reassignment_count=v.count(reassignment_count, "reassignment_count"),
        columns=v.names,
    )


# --- writing our own format -----------------------------------------------------------------


def our_row(ticket: TicketRecord) -> dict[str, str]:
    """A ticket as a row of our own mapped format (ISO UTC times; '' for empty)."""

    def iso(at: datetime | None) -> str:
        return at.astimezone(UTC).isoformat() if at else ""

    def flag(value: bool | None) -> str:
        return "" if value is None else str(value).lower()

    responded = [e.at for e in ticket.events if e.kind == "responded"]
    survey = ticket.survey
    return {
        "external_id": ticket.external_id,
        "attribution": ticket.attribution,
        "priority": ticket.priority,
        "status": ticket.status,
        "created_at": iso(ticket.created_at),
        "resolved_at": iso(ticket.resolved_at),
        "closed_at": iso(ticket.closed_at),
        "updated_at": iso(max(e.at for e in ticket.events)) if ticket.events else "",
        "technician": ticket.technician,
        "category": ticket.category,
        "requester": ticket.requester,
        "channel": ticket.channel,
        "title": ticket.title,
        "first_response_at": iso(min(responded)) if responded else "",
        "survey_score": str(survey.score) if survey else "",
        "survey_answered_at": iso(survey.answered_at) if survey else "",
        "sla_met": flag(ticket.source_sla_met),
        "fcr": flag(ticket.source_fcr),
        "reopen_count": _opt(ticket.source_reopen_count),
        "reassignment_count": _opt(ticket.source_reassignment_count),
        "escalated": flag(any(e.kind == "escalated" for e in ticket.events)),
    }


def _opt(value: int | None) -> str:
    return "" if value is None else str(value)


def write_ours(tickets: Iterable[TicketRecord], out: TextIO) -> int:
    """Write tickets in our own mapped CSV format (header OUR_COLUMNS); returns the count.

    Open `out` with newline="". Only what one row can hold is kept: the event history is
    reduced to the timestamps above, as any one-row-per-ticket export would.
    """
    writer = csv.DictWriter(out, fieldnames=OUR_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for ticket in tickets:
        writer.writerow(our_row(ticket))
        count += 1
    return count


__all__ = [
    "FIELDS",
    "OUR_COLUMNS",
    "REQUIRED_FIELDS",
    "OPTIONAL_FIELDS",
    "FormatError",
    "Mapping",
    "RowProblem",
    "one_row_ticket",
    "read",
    "survey_record",
    "write_ours",
]
