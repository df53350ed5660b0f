"""The time format of a file's time columns, read off their values: ISO 8601, day first or
month first with / . or -, a month's abbreviation, with or without seconds, 24 or 12 hours.
Where the values allow two readings (no day above 12) it asks rather than guesses.
Pure: no Django.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tickets.ingest import files

EXAMPLES_SHOWN = 3

_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?$"
)
_YMD = re.compile(r"^(\d{4})([/.])(\d{1,2})\2(\d{1,2})(?P<time>.*)$")
_DMONY = re.compile(r"^(\d{1,2})([/ .-])([A-Za-z]{3})\2(\d{4}|\d{2})(?P<time>.*)$")  # 03/Nov/26
_DMY = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?P<time>.*)$")
_TIME = re.compile(r"^(?P<lead>,?\s+|T)(\d{1,2}):(\d{2})(?P<sec>:\d{2})?(?P<ampm>\s*[AaPp][Mm])?$")


def _time_part(rest: str) -> str | None:
    """The strptime pattern of what follows the date ('' for none); None if not a time."""
    if not rest:
        return ""
    m = _TIME.match(rest)
    if m is None:
        return None
    if m["ampm"]:
        space = m["ampm"][: len(m["ampm"]) - len(m["ampm"].lstrip())]
        return m["lead"] + "%I:%M" + (":%S" if m["sec"] else "") + space + "%p"
    return m["lead"] + "%H:%M" + (":%S" if m["sec"] else "")


def time_patterns(value: str) -> frozenset[str]:
    """The formats a time string may be written in: "iso" or strptime patterns; empty if it
    does not look like a time. Both orders are kept where the day is 12 or less."""
    text = value.strip()
    if _ISO.match(text):
        return frozenset({"iso"})
    m = _YMD.match(text)
    if m:
        rest = _time_part(m["time"])
        if rest is None:
            return frozenset()
        return frozenset({f"%Y{m[2]}%m{m[2]}%d{rest}"})
    m = _DMONY.match(text)
    if m:
        rest = _time_part(m["time"])
        year = "%Y" if len(m[4]) == 4 else "%y"
        return frozenset() if rest is None else frozenset({f"%d{m[2]}%b{m[2]}{year}{rest}"})
    m = _DMY.match(text)
    if m is None:
        return frozenset()
    rest = _time_part(m["time"])
    if rest is None:
        return frozenset()
    first, second, sep = int(m[1]), int(m[3]), m[2]
    year = "%Y" if len(m[4]) == 4 else "%y"
    found = set()
    if 1 <= first <= 31 and 1 <= second <= 12:
        found.add(f"%d{sep}%m{sep}{year}{rest}")
    if 1 <= first <= 12 and 1 <= second <= 31:
        found.add(f"%m{sep}%d{sep}{year}{rest}")
    return frozenset(found)


def looks_like_time(value: Any) -> bool:
    return isinstance(value, datetime) or bool(time_patterns(files.cell_text(value)))


def describe_pattern(pattern: str) -> str:
    """A pattern as people read it: "%d.%m.%Y %H:%M" -> "%d.%m.%Y %H:%M (day first, 24-hour)"."""
    if pattern == "iso":
        return "ISO 8601"
    order = {"%Y": "year first", "%d": "day first"}.get(pattern[:2], "month first")
    clock = "12-hour" if "%p" in pattern else "24-hour" if "%H" in pattern else "no time"
    return f"{pattern} ({order}, {clock})"


@dataclass(frozen=True)
class TimeGuess:
    """The time format of the time columns: settled (`format`) or a question."""

    format: str  # "iso" or a strptime pattern; "" while open
    reason: str
    candidates: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    columns: tuple[str, ...] = ()


def guess_time_format(values_by_column: dict[str, list[Any]]) -> TimeGuess:
    """One format that reads every sampled value of the time columns, or a question."""
    columns = tuple(c for c, v in values_by_column.items() if v)
    texts = [
        (c, files.cell_text(v))
        for c, vs in values_by_column.items()
        for v in vs
        if not isinstance(v, datetime) and files.cell_text(v)
    ]
    if not texts:
        if columns:
            return TimeGuess("iso", "the time cells are spreadsheet dates", columns=columns)
        return TimeGuess(
            "",
            "no times in the sample to tell the time format from",
            columns=tuple(values_by_column),
        )
    candidates: frozenset[str] | None = None
    for _, text in texts:
        found = time_patterns(text)
        candidates = found if candidates is None else candidates & found
        if not candidates:
            break
    readable = sorted(c for c in (candidates or ()) if all(_reads(c, t) for _, t in texts))
    examples = tuple(dict.fromkeys(t for _, t in texts))[:EXAMPLES_SHOWN]
    names = ", ".join(repr(c) for c in columns)
    if len(readable) == 1:
        fmt = readable[0]
        reason = f"every time in {names} reads as {describe_pattern(fmt)}"
        if fmt.startswith(("%d", "%m")):
            reason += f", e.g. {_deciding(texts)!r}"
        return TimeGuess(fmt, reason, tuple(readable), examples, columns)
    if not readable:
        shapes = sorted({p for _, t in texts for p in time_patterns(t)})
        odd = [t for _, t in texts if not time_patterns(t)][:EXAMPLES_SHOWN]
        why = (
            f"values that are not times: {', '.join(map(repr, odd))}"
            if odd
            else "the times are written in more than one way"
        )
        return TimeGuess(
            "", f"cannot tell the time format of {names}: {why}", tuple(shapes), examples, columns
        )
    return TimeGuess(
        "",
        f"the dates in {names} could be day first or month first (no day above 12 in the "
        f"sample, e.g. {', '.join(map(repr, examples))})",
        tuple(readable),
        examples,
        columns,
    )


def _reads(pattern: str, text: str) -> bool:
    try:
        files.TimeParser((pattern,))(text)
    except ValueError:
        return False
    return True


def _deciding(texts: list[tuple[str, str]]) -> str:
    """A value that only reads one way (its day above 12), to show why."""
    for _, text in texts:
        if len(time_patterns(text)) == 1:
            return text
    return texts[0][1]
