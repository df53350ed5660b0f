"""Guessing a `mapping.Mapping` from a foreign export's header and first rows.

Columns are guessed from their names (synonyms in English, German, French and Italian) and
from their values (timestamps, counts, a few values that read as priorities or statuses); the
time format from the values of the time columns; the spellings of priorities, statuses and
channels from the distinct values seen. Every guess carries a short reason; what cannot be
guessed safely (two equally good columns, day-first or month-first dates, an unknown priority)
is left open as a `Question` saying what to answer. Pure: no Django.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from tickets.ingest import files, mapping
from tickets.ingest import guess_words as words
from tickets.ingest.guess_times import TimeGuess, guess_time_format, looks_like_time
from tickets.ingest.records import CHANNELS, PRIORITIES, STATUSES


def normal(text: str) -> str:
    """A header or value compared loosely: no accents, no case, words split on punctuation."""
    text = unicodedata.normalize("NFKD", str(text)).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9#]+", " ", text).split())


# --- our fields by their header names ------------------------------------------------------------

STRONG_EXACT, STRONG_WITHIN, WEAK_EXACT, WEAK_WITHIN = 4, 3, 2, 1

# Our own names count too, so a file in our own format is recognised.
_HEADERS = {
    f: (
        tuple(normal(n) for n in strong),
        tuple(normal(n) for n in weak),
        (*(normal(n) for n in whole), normal(f)),
    )
    for f, (strong, weak, whole) in words.HEADERS.items()
}


def _within(name: str, header: str) -> bool:
    return f" {name} " in f" {header} "


def header_score(f: str, header: str) -> int:
    """How closely a header names field `f`: 0 (not at all) up to STRONG_EXACT.

    A header naming two fields within it ("Status Category", "First response status") names
    neither, unless one name is part of the other ("Satisfaction date" is the survey's time,
    not its score).
    """
    h = normal(header)
    strong, weak, whole = _HEADERS[f]
    if h in strong or h in whole:
        return STRONG_EXACT
    if h in weak:
        return WEAK_EXACT
    name = _longest_within(f, h)
    if not name:
        return 0
    for other in _HEADERS:
        found = _longest_within(other, h) if other != f else ""
        if found and not _within(found, name):
            return 0
    return STRONG_WITHIN if _within(name, h) and name in strong else WEAK_WITHIN


def _longest_within(f: str, h: str) -> str:
    strong, weak, _ = _HEADERS[f]
    names = [n for n in strong if _within(n, h)] or [n for n in weak if _within(n, h)]
    return max(names, key=len, default="")


# --- values --------------------------------------------------------------------------------------

PRIORITY_WORDS = {normal(w): p for p, ws in words.PRIORITIES.items() for w in ws}
STATUS_WORDS = {normal(w): s for s, ws in words.STATUSES.items() for w in ws}
CHANNEL_WORDS = {normal(w): c for c, ws in words.CHANNELS.items() for w in ws}
_PRIORITY_NUMBER = re.compile(r"^(?:p|prio|priority|prioritat|sev|severity|s)?\s*([1-5])\b")
VALUE_FIELDS = {"priority": PRIORITIES, "status": STATUSES, "channel": CHANNELS}


def suggest(f: str, value: str) -> str:
    """Our value for one of theirs in field f (priority, status, channel); '' if unknown."""
    key = normal(value)
    if f == "priority":
        if key in PRIORITY_WORDS:
            return PRIORITY_WORDS[key]
        number = _PRIORITY_NUMBER.match(key)
        if number:
            return f"P{min(int(number.group(1)), 4)}"
        # "1 - Critical" is caught above; "Priority: High" and the like by their last words
        for size in (2, 1):
            tail = " ".join(key.split()[-size:])
            if tail in PRIORITY_WORDS:
                return PRIORITY_WORDS[tail]
        return ""
    words = STATUS_WORDS if f == "status" else CHANNEL_WORDS
    ours = VALUE_FIELDS[f]
    if key.replace(" ", "_") in ours:
        return key.replace(" ", "_")
    return words.get(key) or words.get(normal(value.replace("'", ""))) or ""


# --- columns -------------------------------------------------------------------------------------

_COUNT_FIELDS = frozenset({"reopen_count", "reassignment_count", "survey_score"})
_FLAG_FIELDS = frozenset({"sla_met", "fcr", "escalated"})
_NAME_FIELDS = frozenset({"technician", "requester", "title"})
_TIME_SHARE = 0.8  # of a column's non-empty values, to call it a column of times


def _fits(f: str, values: list[Any]) -> bool:
    """Whether a column's sampled values can be field f's (an empty column can be anything)."""
    if not values:
        return True
    times = sum(1 for v in values if looks_like_time(v))
    if f in mapping.TIME_FIELDS:
        return times >= _TIME_SHARE * len(values)
    if times == len(values):
        return False  # a column of times is no ticket number, team or priority
    if f in _NAME_FIELDS and all(_is_number(v) for v in values):
        return False  # people and subjects are not counts ("Agent interactions")
    if f in _COUNT_FIELDS:
        return all(_is_number(v) for v in values)
    if f in _FLAG_FIELDS:
        return all(_is_flag(v) for v in values)
    return True


def _is_number(value: Any) -> bool:
    try:
        float(files.cell_text(value))
    except ValueError:
        return False
    return True


def _is_flag(value: Any) -> bool:
    try:
        files.parse_bool(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class ColumnGuess:
    """Which of their columns holds one of our fields ('' while open), and why."""

    field: str
    column: str
    reason: str
    competing: tuple[str, ...] = ()  # equally good columns, when open for that


@dataclass(frozen=True)
class ValueGuess:
    """One distinct value of a priority, status or channel column: its rows, and ours for it
    ('' when it cannot be placed)."""

    value: str
    rows: int
    suggestion: str


@dataclass(frozen=True)
class Question:
    """Something left open that must be answered before the file can be read."""

    topic: str  # a field ("created_at"), "time_format", "priority values", "status values", "rows"
    text: str
    choices: tuple[str, ...] = ()


@dataclass
class Guess:
    """A guessed mapping: each field's column with its reason, the time format, the values."""

    header: list[str]
    rows: int  # rows sampled
    columns: dict[str, ColumnGuess]
    time: TimeGuess
    values: dict[str, list[ValueGuess]] = field(default_factory=dict)

    def column(self, f: str) -> str:
        return self.columns[f].column

    @property
    def settled(self) -> list[str]:
        """The required fields that have their column."""
        return [f for f in mapping.REQUIRED_FIELDS if self.column(f)]

    @property
    def questions(self) -> list[Question]:
        """What is still open and keeps the file from being read, with what would answer it."""
        open_: list[Question] = []
        if not self.rows:
            open_.append(Question("rows", "the file has a header but no data rows"))
        for f in mapping.REQUIRED_FIELDS:
            g = self.columns[f]
            if not g.column:
                open_.append(
                    Question(f, f"{words.MEANINGS[f]} ({f}): {g.reason}", g.competing or ())
                )
        if self.rows and not self.time.format:
            open_.append(Question("time_format", self.time.reason, self.time.candidates))
        for f in ("priority", "status"):
            unknown = [v for v in self.values.get(f, []) if not v.suggestion]
            if unknown:
                listed = ", ".join(f"{v.value!r} ({_rows(v.rows)})" for v in unknown)
                open_.append(
                    Question(
                        f"{f} values",
                        f"{f} values in {self.column(f)!r} not understood: {listed}; "
                        f"accepted: {', '.join(VALUE_FIELDS[f])}",
                        VALUE_FIELDS[f],
                    )
                )
        return open_

    def recount_values(
        self,
        counts: dict[str, Counter[str]],
        *,
        values: dict[str, dict[str, str]] | None = None,
    ) -> None:
        """Each value column's distinct values as counted over the whole file (`counts`: their
        column -> value -> rows), not only over the sample: a rare value (the odd "Critical"
        past the first rows) is then placed or asked about before the import, rather than
        refused row by row. `values` are the answers given, as for guess_mapping."""
        for f, found in self.values.items():
            column = self.column(f)
            if column not in counts:
                continue
            answers = {normal(k): v for k, v in (values or {}).get(f, {}).items()}
            placed = {v.value: v.suggestion for v in found}
            self.values[f] = [
                ValueGuess(v, n, answers.get(normal(v)) or placed.get(v) or suggest(f, v))
                for v, n in sorted(counts[column].items(), key=lambda kv: (-kv[1], kv[0]))
            ]

    def spellings(self, f: str) -> dict[str, str]:
        """Their value -> ours, for the values placed (for Mapping.priorities and the like)."""
        return {v.value: v.suggestion for v in self.values.get(f, []) if v.suggestion}

    def mapping(self, *, time_zone: str = "UTC") -> mapping.Mapping:
        """The Mapping, once nothing is open; ValueError listing what is open otherwise."""
        questions = self.questions
        if questions:
            raise ValueError("still open: " + "; ".join(q.text for q in questions))
        return mapping.Mapping(
            columns={f: g.column for f, g in self.columns.items() if g.column},
            priorities=self.spellings("priority"),
            statuses=self.spellings("status"),
            channels=self.spellings("channel"),
            time_format=self.time.format,
            time_zone=time_zone,
        )

    def lines(self) -> list[str]:
        """Each guess with its reason, for people."""
        out = []
        for f, g in self.columns.items():
            if g.column:
                out.append(f"{f:<20} <- {g.column!r}: {g.reason}")
            elif f in mapping.REQUIRED_FIELDS or g.competing:
                out.append(f"{f:<20} ?  {g.reason}")
            elif f == "status":  # derived, which people should know
                out.append(f"{f:<20} -  {g.reason}")
        time = self.time
        out.append(
            f"{'time format':<20} {'<- ' + time.format if time.format else '?'}: {time.reason}"
        )
        for f, values in self.values.items():
            for v in values:
                ours = v.suggestion or "? (not understood)"
                out.append(f"{f + ' value':<20} {v.value!r} ({_rows(v.rows)}) -> {ours}")
        return out


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def guess_mapping(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    columns: dict[str, str] | None = None,
    time_format: str | None = None,
    values: dict[str, dict[str, str]] | None = None,
) -> Guess:
    """Guess how a table maps onto our fields from its header and sample rows.

    `columns`, `time_format` and `values` are answers already given (a field -> their column,
    '' for none; the pattern; field -> their value -> ours); they are taken as they are.
    ValueError for a table without a header or an answer naming an unknown field or column.
    """
    header = [str(h) for h in header]
    if not any(header):
        raise ValueError("the file is empty: it has no header row")
    given = dict(columns or {})
    unknown = sorted(set(given) - set(mapping.FIELDS))
    if unknown:
        raise ValueError(f"unknown fields {', '.join(unknown)} (use {', '.join(mapping.FIELDS)})")
    for f, column in given.items():
        if column and column not in header:
            raise ValueError(f"{f}: the file has no column {column!r} (it has {', '.join(header)})")
    sample = [list(r) for r in rows]
    # Each column's non-empty cells; of a repeated column the first, as the mapped reader reads.
    cells: dict[str, list[Any]] = {}
    for i, c in enumerate(header):
        if c and c not in cells:
            cells[c] = [v for r in sample if i < len(r) and _filled(v := r[i])]
    chosen = _columns(header, cells, given)
    # The time columns, and those competing to be one: the format is theirs whatever the answer.
    time_cells = {
        c: cells.get(c, [])
        for f, g in chosen.items()
        if f in mapping.TIME_FIELDS
        for c in ((g.column,) if g.column else g.competing)
    }
    if time_format:
        time = TimeGuess(time_format, "given", (time_format,), columns=tuple(time_cells))
    else:
        time = guess_time_format(time_cells)
    found: dict[str, list[ValueGuess]] = {}
    for f in VALUE_FIELDS:
        column = chosen[f].column
        if column:
            answers = {normal(k): v for k, v in (values or {}).get(f, {}).items()}
            counts = Counter(files.cell_text(v) for v in cells.get(column, []))
            found[f] = [
                ValueGuess(v, n, answers.get(normal(v)) or suggest(f, v))
                for v, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            ]
    return Guess(header, len(sample), chosen, time, found)


# A ticket id as tools write them: 4711, INC0012345, T-1, SR#88, REQ/2026/17.
_ID = re.compile(r"^#?[A-Za-z]{0,8}[-_#/]?(?:\d{4}[-/])?\d+$")


def _filled(value: Any) -> bool:
    return value is not None and bool(files.cell_text(value))


def _columns(
    header: list[str], cells: dict[str, list[Any]], given: dict[str, str]
) -> dict[str, ColumnGuess]:
    """Each field's column: those given, then by header names, then by values."""
    chosen: dict[str, ColumnGuess] = {
        f: ColumnGuess(f, c, "given" if c else "given as none") for f, c in given.items()
    }
    taken = {c for c in given.values() if c}
    # (score, field, column) for every header that names a field and whose values fit it
    scored: dict[str, dict[str, int]] = {}
    for f in mapping.FIELDS:
        if f in chosen:
            continue
        for c in dict.fromkeys(header):
            score = header_score(f, c) if c and c not in taken else 0
            if score and _fits(f, cells.get(c, [])):
                scored.setdefault(f, {})[c] = score
    ties: dict[str, tuple[str, ...]] = {}
    picked: dict[str, int] = {}  # field -> the header score it was picked by
    while True:
        live = {
            f: {c: s for c, s in by.items() if c not in taken}
            for f, by in scored.items()
            if f not in chosen and f not in ties
        }
        live = {f: by for f, by in live.items() if by}
        if not live:
            break
        best = max(max(by.values()) for by in live.values())
        for f in mapping.FIELDS:
            by = live.get(f)
            if not by or max(by.values()) != best:
                continue
            top = [c for c, s in by.items() if s == best and c not in taken]
            if len(top) == 1:
                chosen[f] = ColumnGuess(f, top[0], "")
                picked[f] = best
                taken.add(top[0])
            elif len(top) > 1:
                ties[f] = tuple(top)
    for f, competing in ties.items():
        if f not in chosen:
            names = " and ".join(repr(c) for c in competing)
            chosen[f] = ColumnGuess(
                f,
                "",
                f"columns {names} both look like {words.MEANINGS[f]}, equally closely; "
                "say which one",
                competing,
            )
    _by_values(header, cells, chosen, taken)
    for f, score in picked.items():
        column = chosen[f].column
        beaten = [c for c in scored[f] if c != column and c not in taken]
        chosen[f] = ColumnGuess(f, column, _header_reason(f, column, score, beaten))
    for f in mapping.FIELDS:
        if f not in chosen:
            chosen[f] = ColumnGuess(f, "", _why_none(f))
    return {f: chosen[f] for f in mapping.FIELDS}


def _header_reason(f: str, column: str, score: int, beaten: list[str]) -> str:
    reason = f"header {column!r} {_STRENGTH[score]} {words.MEANINGS[f]}"
    if beaten:
        reason += f" (a closer match than {', '.join(repr(c) for c in beaten)})"
    return reason


_STRENGTH = {
    STRONG_EXACT: "means",
    STRONG_WITHIN: "names",
    WEAK_EXACT: "may mean",
    WEAK_WITHIN: "may name",
}


def _why_none(f: str) -> str:
    if f == "status" and f not in mapping.REQUIRED_FIELDS:
        return "no status column: derived from the resolved and closed times"
    return f"no column looks like {words.MEANINGS[f]}"


def _by_values(
    header: list[str], cells: dict[str, list[Any]], chosen: dict[str, ColumnGuess], taken: set
) -> None:
    """Fields no header named, guessed from the values of the columns left."""
    free = [c for c in dict.fromkeys(header) if c and c not in taken and cells.get(c)]
    for f in ("priority", "status", "channel"):
        if f in chosen:
            continue
        for c in free:
            distinct = list(dict.fromkeys(files.cell_text(v) for v in cells[c]))
            if (
                c not in taken
                and len(distinct) <= 12
                and not all(v.isdigit() for v in distinct)
                and all(suggest(f, v) for v in distinct)
            ):
                shown = ", ".join(distinct[:4]) + (", ..." if len(distinct) > 4 else "")
                plural = {"priority": "priorities", "status": "statuses"}.get(f, "channels")
                chosen[f] = ColumnGuess(f, c, f"values look like {plural}: {shown}")
                taken.add(c)
                break
    if "created_at" not in chosen:
        times = [c for c in free if c not in taken and _fits("created_at", cells[c])]
        if len(times) == 1:
            chosen["created_at"] = ColumnGuess(
                "created_at", times[0], f"{times[0]!r} is the only other column of times"
            )
            taken.add(times[0])
        elif times:
            names = ", ".join(repr(c) for c in times)
            chosen["created_at"] = ColumnGuess(
                "created_at",
                "",
                f"no header names the created time, and {names} all hold times; say which one",
                tuple(times),
            )
    if "external_id" not in chosen:
        for c in free:
            texts = [files.cell_text(v) for v in cells[c]]
            if (
                c not in taken
                and len(texts) > 1
                and len(set(texts)) == len(texts)
                and all(_ID.match(t) for t in texts)
            ):
                chosen["external_id"] = ColumnGuess(
                    "external_id", c, f"values of {c!r} are distinct ids, like {texts[0]!r}"
                )
                taken.add(c)
                break
