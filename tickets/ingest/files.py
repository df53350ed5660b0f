"""Reading the tables people upload: CSV (its delimiter sniffed) or an XLSX sheet, as a header
and numbered rows, the header checked against the columns expected; and the values in their
cells (times, flags, counts).

The file itself is opened, decompressed and decoded by `streams`; rows are read as they are
needed, never all at once.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any, BinaryIO, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tickets.ingest.records import FormatError, RowError
from tickets.ingest.streams import DAMAGED, HEAD_SIZE, open_path, open_text, seekable

DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}

# Long free-text cells (ticket descriptions) can exceed the csv module's 128 KiB default.
csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))


# --- CSV -----------------------------------------------------------------------------------------


class _Dialect(csv.excel):
    pass


def sniff_csv(sample: str) -> type[csv.Dialect]:
    """The CSV dialect of a text sample (the header and some rows): which of , ; tab | it uses.

    The delimiter chosen is the one that splits the header into the most columns while the
    following rows have that many fields too (quotes respected). A sample whose first line has
    none of them raises FormatError("could not detect the delimiter ...").
    """
    truncated = not sample.endswith(("\n", "\r"))
    best: tuple[float, int, str] | None = None
    for delimiter in DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample), delimiter=delimiter) if r]
        except csv.Error:
            continue
        if truncated and len(rows) > 1:
            rows = rows[:-1]  # the sample may end mid-row
        if not rows or len(rows[0]) < 2:
            continue
        width = len(rows[0])
        body = rows[1:51]
        consistent = sum(1 for r in body if len(r) == width) / len(body) if body else 1.0
        score = (consistent, width, delimiter)
        if best is None or score[:2] > best[:2]:
            best = score
    if best is None or best[0] < 0.5:
        first = sample.splitlines()[0][:80] if sample.strip() else ""
        raise FormatError(
            "could not detect the delimiter (expected comma, semicolon, tab or pipe between "
            f"the column names; the first line is {first!r})"
        )
    return type("Sniffed", (_Dialect,), {"delimiter": best[2]})


def check_columns(
    header: Sequence[str],
    required: Iterable[str],
    optional: Iterable[str] = (),
    *,
    strict: bool = False,
) -> list[str]:
    """Refuse a header that lacks required columns; return remarks about the rest.

    Missing required columns raise FormatError naming them and the unexpected columns
    ("missing: a, b; unexpected: c"), since an unexpected one is often the missing one
    misspelt. Unexpected columns alone are only reported in the returned list, unless `strict`.
    Duplicate column names are reported too (the first one is read).
    """
    present = set(header)
    required = list(dict.fromkeys(required))
    known = set(required) | set(optional)
    missing = [c for c in required if c not in present]
    unexpected = [c for c in dict.fromkeys(header) if c not in known]
    if missing or (strict and unexpected):
        parts = []
        if missing:
            parts.append("missing: " + ", ".join(missing))
        if unexpected:
            parts.append("unexpected: " + ", ".join(c or "(blank)" for c in unexpected))
        raise FormatError("wrong columns (" + "; ".join(parts) + ")")
    notes = []
    if unexpected:
        notes.append("columns not read: " + ", ".join(c or "(blank)" for c in unexpected))
    duplicates = sorted({c for c in header if c and header.count(c) > 1} & known)
    if duplicates:
        notes.append("duplicate columns (the first is read): " + ", ".join(duplicates))
    return notes


@dataclass
class Table:
    """A header and its rows, each row with its spreadsheet row number (the header is row 1)."""

    header: list[str]
    rows: Iterator[tuple[int, list[str]]]
    notes: list[str] = field(default_factory=list)
    ragged: bool = False  # rows may stop short of the header (XLSX drops trailing empty cells)

    def index(self) -> dict[str, int]:
        """Column name -> position of its first occurrence."""
        positions: dict[str, int] = {}
        for i, column in enumerate(self.header):
            positions.setdefault(column, i)
        return positions


def _clean_header(cells: Sequence[Any]) -> list[str]:
    header = [("" if c is None else str(c)).strip().lstrip("\ufeff").strip() for c in cells]
    while header and not header[-1]:  # trailing empty cells (Excel) are not columns
        header.pop()
    return header


def read_csv(
    stream_or_path: str | os.PathLike[str] | BinaryIO,
    *,
    name: str = "",
    delimiter: str | None = None,
) -> Table:
    """Open a CSV upload (see open_text) and split it into a header and numbered rows.

    The delimiter is sniffed unless given. Blank lines are skipped but still counted, so row
    numbers are what a spreadsheet shows; a quoted cell spanning lines is one row.
    """
    text = open_text(stream_or_path, name=name)
    try:
        sample = text.read(HEAD_SIZE)
        if sample and not sample.endswith(("\n", "\r")):
            sample += text.readline()  # finish the last line so the sniffer sees whole rows
    except DAMAGED as exc:
        raise FormatError(f"{name or 'the file'} is damaged or truncated: {exc}") from exc
    if not sample.strip():
        raise FormatError(f"{name or 'the file'} is empty")
    notes = []
    if text.encoding == "cp1252":
        notes.append("the file is not UTF-8; it was read as Windows-1252")
    if delimiter is None:
        dialect = sniff_csv(sample)
    else:
        dialect = type("Given", (_Dialect,), {"delimiter": delimiter})
    reader = csv.reader(_chain(sample, text), dialect)
    try:
        header = _clean_header(next(reader))
    except csv.Error as exc:
        raise FormatError(f"row 1: {exc}") from exc
    if len(header) < 2:
        raise FormatError(
            f"the header has {len(header)} column with the "
            f"{_DELIMITER_NAMES.get(dialect.delimiter, repr(dialect.delimiter))} delimiter; "
            "is the delimiter right?"
        )
    return Table(header, _numbered(reader, name, len(header)), notes)


def _chain(sample: str, rest: TextIO) -> Iterator[str]:
    yield from io.StringIO(sample, newline="")
    yield from rest


def _numbered(
    reader: Iterator[list[str]], name: str, width: int
) -> Iterator[tuple[int, list[str]]]:
    row = 1
    while True:
        row += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FormatError(f"row {row}: the CSV is malformed: {exc}") from exc
        except DAMAGED as exc:
            raise FormatError(
                f"{name or 'the file'} is damaged or truncated (at row {row}): {exc}"
            ) from exc
        # Empty cells past the header's last column (a delimiter ending every line) are no data.
        while len(cells) > width and not cells[-1].strip():
            cells.pop()
        if cells and (len(cells) > 1 or cells[0].strip()):
            yield row, cells


def width_error(row: int, cells: Sequence[Any], width: int, external_id: str = "") -> RowError:
    """The RowError for a row whose field count differs from the header's."""
    return RowError(
        row,
        "",
        f"the row has {len(cells)} fields but the header has {width} "
        "(a delimiter or quote inside a value?)",
        external_id,
    )


def group_rows(
    rows: Iterable[tuple[int, list[str]]], key: int, key_name: str
) -> Iterator[tuple[str, list[tuple[int, list[str]]]] | RowError]:
    """Consecutive rows with the same case id, for event-per-row logs.

    Only the current case is held in memory. A case id that comes back after other cases is
    not merged (that would mean buffering the whole file): its later rows are refused with one
    RowError. A row with an empty id is refused on its own. The set of ids already seen grows
    with the number of cases, not rows.
    """
    seen: set[str] = set()
    current: str | None = None
    group: list[tuple[int, list[str]]] = []
    skipping = False  # the current run is a reappearing case, already refused
    for row, cells in rows:
        case = cells[key].strip() if len(cells) > key else ""
        if not case:
            yield RowError(row, key_name, f"empty {key_name}")
            continue
        if case == current:
            if not skipping:
                group.append((row, cells))
            continue
        if group:
            yield current, group  # type: ignore[misc]
        current, group, skipping = case, [], case in seen
        if skipping:
            yield RowError(
                row,
                key_name,
                f"{key_name} {case} appears again after other cases; the rows of one case "
                "must be consecutive (sort the file by it), so these rows were skipped",
                case,
            )
            continue
        seen.add(case)
        group.append((row, cells))
    if group:
        yield current, group  # type: ignore[misc]


# --- XLSX ----------------------------------------------------------------------------------------


def is_xlsx(head: bytes, name: str, stream: BinaryIO | None = None) -> bool:
    """Whether an upload is an Excel workbook rather than a CSV (or a zipped CSV).

    By name, else by the zip's directory when the stream can seek back, else by the member
    names among its first bytes.
    """
    if name.lower().endswith((".xlsx", ".xlsm")):
        return True
    if not head.startswith(b"PK\x03\x04"):
        return False
    if stream is not None and stream.seekable():
        start = stream.tell()
        try:
            with zipfile.ZipFile(stream) as archive:
                return "xl/workbook.xml" in archive.namelist()
        except zipfile.BadZipFile:
            return False
        finally:
            stream.seek(start)
    return b"xl/" in head or b"[Content_Types].xml" in head


def read_xlsx(
    stream_or_path: str | os.PathLike[str] | BinaryIO, *, name: str = "", sheet: str | None = None
) -> Table:
    """The first (or the named) worksheet of an .xlsx workbook, read row by row.

    openpyxl's read-only mode streams the sheet's XML. Cells keep their types (datetime,
    number, bool); empty cells are None. Row numbers are the sheet's own.
    """
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - a dependency of the project
        raise FormatError("reading .xlsx files needs the openpyxl package") from exc
    stream, name = open_path(stream_or_path, name)
    stream = seekable(stream)
    try:
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FormatError(f"{name or 'the file'} is not a readable .xlsx workbook: {exc}") from exc
    if sheet is not None and sheet not in workbook.sheetnames:
        workbook.close()
        raise FormatError(
            f"the workbook has no sheet {sheet!r} (it has: {', '.join(workbook.sheetnames)})"
        )
    worksheet = workbook[sheet] if sheet is not None else workbook.worksheets[0]
    worksheet.reset_dimensions()  # some writers store wrong sizes; read what is there
    rows = worksheet.iter_rows(values_only=True)
    header_row = 0
    header: list[str] = []
    for header_row, values in enumerate(rows, start=1):  # noqa: B007 (used after the loop)
        header = _clean_header(values)
        if header:
            break
    if len(header) < 2:
        workbook.close()
        raise FormatError(f"{name or 'the workbook'}: the sheet has no header row")
    notes = [] if sheet is None else [f"sheet {sheet!r}"]
    return Table(header, _xlsx_rows(workbook, rows, header_row), notes, ragged=True)


def _xlsx_rows(workbook: Any, rows: Iterator[tuple[Any, ...]], header_row: int):
    try:
        for row, values in enumerate(rows, start=header_row + 1):
            cells = list(values)
            while cells and (cells[-1] is None or cells[-1] == ""):
                cells.pop()
            if cells:
                yield row, cells
    finally:
        workbook.close()


# --- values --------------------------------------------------------------------------------------


def zone(name: str) -> tzinfo:
    """A time zone by IANA name ("UTC", "Europe/London"); ValueError naming it if unknown."""
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"unknown time zone {name!r} (use an IANA name like Europe/London)"
        ) from exc


_ISO_SPACE_OFFSET = re.compile(r"\s+(?=[+-]\d{2}:?\d{2}$|Z$)")


class TimeParser:
    """Reads a source's time strings into aware UTC datetimes, trying its formats in order.

    A format is a strptime pattern or "iso". Times without an offset are in `time_zone`
    (IANA; a DST-ambiguous local time takes its first occurrence). Parsed values are cached,
    since event logs repeat the same stamps on many rows.
    """

    def __init__(
        self,
        formats: Sequence[str] = ("iso",),
        time_zone: str = "UTC",
        *,
        fast: Callable[[str], datetime | None] | None = None,
    ) -> None:
        self.formats = tuple(formats)
        self.zone = zone(time_zone)
        self._fast = fast
        self._iso_only = fast is None and self.formats == ("iso",)
        self._cache: dict[str, datetime] = {}

    def __call__(self, value: str) -> datetime:
        """The UTC time; ValueError if no format fits."""
        cached = self._cache.get(value)
        if cached is not None:
            return cached
        parsed = None
        if self._iso_only:  # the common case first, without the general loop
            try:
                parsed = datetime.fromisoformat(value)
            except ValueError:
                parsed = None
        if parsed is None:
            parsed = self._parse(value.strip())
            if parsed is None:
                raise ValueError(value)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=self.zone)
        parsed = parsed.astimezone(UTC)
        if len(self._cache) > 50_000:  # bounded: memory stays flat on any file
            self._cache.clear()
        self._cache[value] = parsed
        return parsed

    def _parse(self, value: str) -> datetime | None:
        if self._fast is not None:
            parsed = self._fast(value)
            if parsed is not None:
                return parsed
        for fmt in self.formats:
            try:
                if fmt == "iso":
                    try:
                        return datetime.fromisoformat(value)
                    except ValueError:  # "2026-11-23 09:45:12 +0000": a space before the offset
                        return datetime.fromisoformat(_ISO_SPACE_OFFSET.sub("", value))
                return datetime.strptime(value, fmt)
            except ValueError:
                continue
        return None

    def describe(self) -> str:
        return " or ".join("ISO 8601" if f == "iso" else f for f in self.formats)


# The last minute of a year, so an example shows which number is the day and which the month.
_EXAMPLE_TIME = datetime(2026, 12, 31, 23, 59, 58, tzinfo=timezone(timedelta(hours=1)))
_DATE_PARTS = (("day", ("%d",)), ("month", ("%m", "%b", "%B")), ("year", ("%Y", "%y")))


def format_in_words(fmt: str) -> str:
    """A time format ("iso" or a strptime pattern) as a person reads it, with an example:
    "%d/%m/%Y %H:%M" -> "day-first, 24-hour clock, like 31/12/2026 23:59"."""
    if fmt == "iso":
        return "ISO 8601, like 2026-12-31T23:59:58 or 2026-12-31 23:59:58+01:00"
    found = []
    for part, codes in _DATE_PARTS:
        places = [fmt.find(code) for code in codes if code in fmt]
        if places:
            found.append((min(places), part))
    words = [f"{min(found)[1]}-first"] if len(found) > 1 else []
    if "%I" in fmt:
        words.append("12-hour clock with AM/PM" if "%p" in fmt else "12-hour clock")
    elif "%H" in fmt:
        words.append("24-hour clock")
    with contextlib.suppress(ValueError):  # one strftime cannot write: the pattern still says
        words.append(f"like {_EXAMPLE_TIME.strftime(fmt)}")
    return ", ".join(words)


def cell_text(value: Any) -> str:
    """A cell as trimmed text: None -> '', 12.0 -> '12' (ids typed as numbers in a sheet)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value).strip()


_TRUE = {"true", "t", "yes", "y", "1", "1.0"}
_FALSE = {"false", "f", "no", "n", "0", "0.0"}


def parse_bool(value: Any) -> bool | None:
    """true/false, yes/no, 1/0 (any case) -> bool; '' -> None; anything else -> ValueError."""
    if isinstance(value, bool):
        return value
    text = cell_text(value).lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(value)


def parse_count(value: Any) -> int | None:
    """A non-negative whole number ('3', '3.0', 3) or None for empty; ValueError otherwise."""
    text = cell_text(value)
    if not text:
        return None
    number = float(text)
    if number < 0 or not number.is_integer():
        raise ValueError(value)
    return int(number)
