"""Any CSV or XLSX with one ticket per row, read through a user's column mapping
(`mapping.Mapping`); and our own format written (OUR_COLUMNS and write_ours).

The tickets are made by `one_row.one_row_ticket`, as for the Jira and Zendesk readers: a row
has no history, so the events are synthesised from its timestamps. Without a mapped status
column, a ticket's status is derived from its resolved and closed times
(`one_row.derived_status`).
"""

from __future__ import annotations

import csv
import operator
import os
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any, BinaryIO, TextIO

from tickets.ingest import files, streams
from tickets.ingest.mapping import FIELDS, Mapping
from tickets.ingest.one_row import RowProblem, derived_status, one_row_ticket, survey_record
from tickets.ingest.records import CHANNELS, PRIORITIES, STATUSES, RowError, TicketRecord

OUR_COLUMNS = FIELDS  # our own mapped CSV format: exactly our field names, in this order


def _key(value: str) -> str:
    return " ".join(value.split()).casefold()


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

    The columns of required fields (and a mapped status column) must be present (FormatError
    at once otherwise, naming the missing and the unexpected ones); mapped columns of optional
    fields may be absent. `notes` gets what the user should know about the whole file.
    """
    source, head, inner = streams.peek(stream, name=name)
    if files.is_xlsx(head, inner, source):
        table = files.read_xlsx(source, name=inner, sheet=mapping.sheet)
    else:
        table = files.read_csv(source, name=inner, delimiter=mapping.delimiter)
    required = mapping.required_columns()
    optional = mapping.optional_columns()
    remarks = table.notes + files.check_columns(table.header, required, optional, strict=strict)
    absent = [c for c in optional if c not in table.header]
    if absent:
        remarks.append("mapped columns not in the file: " + ", ".join(absent))
    if mapping.derives_status:
        remarks.append(_derived_status_note(mapping, table.header))
    if notes is not None:
        notes.extend(remarks)
    return _records(table, mapping)


def _derived_status_note(mapping: Mapping, header: list[str]) -> str:
    note = (
        "no status column is mapped, so each ticket's status is derived from its resolved and "
        "closed times: closed if it has a closed time, else resolved if it has a resolved time, "
        "else open (assigned if it names a technician, new if not); pending or on-hold spells "
        "cannot be known, so no pauses are counted"
    )
    if not any(mapping.columns.get(f) in header for f in ("resolved_at", "closed_at")):
        note += "; no resolved or closed column is read, so every ticket is open"
    return note


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
        self.expected_time = (
            f"(expected {self.parse.describe()}): {files.format_in_words(mapping.time_format)}"
        )
        self.derives_status = mapping.derives_status
        self.zone = files.zone(mapping.time_zone)
        self.priorities = _spellings(mapping.priorities, PRIORITIES)
        self.statuses = _spellings(mapping.statuses, STATUSES)
        self.channels = _spellings(mapping.channels, CHANNELS)
        # What a refused priority or status may be instead, worked out once (not per row).
        self.accepted = {
            "priority": _accepted(mapping.priorities, PRIORITIES),
            "status": _accepted(mapping.statuses, STATUSES),
        }
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
                self.column(f), f"cannot read the time {text!r} {self.expected_time}"
            ) from None

    def choice(self, value: Any, f: str, spellings: dict[str, str]) -> str:
        """A priority or status (`f`) as ours; a RowProblem listing the accepted values."""
        text = _text(value)
        found = spellings.get(text) or spellings.get(_key(text))
        if found is None:
            accepted = f"use one of {self.accepted[f]}"
            if text:
                reason = f"unknown {f} {text!r}: {accepted}, or map {text!r} to one of them"
            elif f == "priority":
                reason = f"empty priority: {accepted}, or give the mapping a default priority"
            else:
                reason = f"empty status: {accepted}"
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


def _accepted(theirs: dict[str, str], ours: Iterable[str]) -> str:
    """Our values, each with the file's own spellings mapped to it: "P1 (or Kritisch), P2"."""
    spelt: dict[str, list[str]] = {}
    for spelling, value in theirs.items():
        if _key(spelling) != _key(value):
            spelt.setdefault(value, []).append(spelling)
    return ", ".join(f"{v} (or {', '.join(spelt[v])})" if v in spelt else v for v in ours)


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
        priority = v.choice(priority_raw, "priority", v.priorities)
    status = "" if v.derives_status else v.choice(status_raw, "status", v.statuses)
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
    closed = time(closed_raw, "closed_at")
    technician = _text(technician)
    if not status:
        status = derived_status(resolved_at=resolved, closed_at=closed, technician=technician)
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
        closed_at=closed,
        first_response_at=time(first_response_raw, "first_response_at"),
        technician=technician,
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


__all__ = ["OUR_COLUMNS", "read", "our_row", "write_ours"]
