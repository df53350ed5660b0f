"""Opening what people upload: compressed or not, any common encoding and delimiter, CSV or XLSX.

Everything here streams: a file is decompressed and decoded as it is read, never loaded whole
(a zip that arrives as a non-seekable stream is spooled to a temporary file first, because the
zip format keeps its directory at the end).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import lzma
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, BinaryIO, TextIO
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tickets.ingest.records import FormatError, RowError

DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_HEAD = 64 * 1024  # bytes looked at to recognise compression, binary content and encoding
_SPOOL = 16 * 1024 * 1024  # a non-seekable zip is kept in memory up to this, then on disk
_MAX_LAYERS = 3  # e.g. a .csv.gz inside a .zip

# Long free-text cells (ticket descriptions) can exceed the csv module's 128 KiB default.
csv.field_size_limit(max(csv.field_size_limit(), 16 * 1024 * 1024))

# Errors that mean the archive or compressed stream itself is damaged or cut short.
DAMAGED = (EOFError, OSError, lzma.LZMAError, zlib.error, zipfile.BadZipFile)


# --- decoding ----------------------------------------------------------------------------------

# Windows-1252 leaves five bytes undefined; those fall back to Latin-1, so every byte decodes.
_CP1252 = tuple(
    bytes([b]).decode("cp1252", errors="ignore") or bytes([b]).decode("latin-1") for b in range(256)
)


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not valid in the file's encoding are read as cp1252.

    A UTF-8 export with a stray Windows-1252 byte further down (a pasted name, say) then reads
    sensibly instead of failing half-way.
    """
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start : exc.end]
    return "".join(_CP1252[b] for b in bad), exc.end


FALLBACK_ERRORS = "vendorscore.cp1252"
codecs.register_error(FALLBACK_ERRORS, _cp1252_fallback)


class _Prepended(io.RawIOBase):
    """A stream whose first bytes were already read (to look at them) and are served again."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        self._head = memoryview(head)
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        return n

    def close(self) -> None:
        self._rest.close()
        super().close()


def _head_of(stream: BinaryIO) -> tuple[bytes, BinaryIO]:
    """The first bytes of `stream`, and the stream back at its start (rewound if it can be,
    else wrapped so that the bytes are served again)."""
    try:
        seekable = stream.seekable()
    except (AttributeError, ValueError):
        seekable = False
    if not seekable:
        return _read_head(stream)
    start = stream.tell()
    head = stream.read(_HEAD)
    if isinstance(head, str):
        raise TypeError("open the file in binary mode ('rb'), not text mode")
    stream.seek(start)
    return head, stream


def _read_head(stream: BinaryIO) -> tuple[bytes, BinaryIO]:
    """The first bytes of `stream`, and a stream that still yields them."""
    chunks, size = [], 0
    while size < _HEAD:
        chunk = stream.read(_HEAD - size)
        if not chunk:
            break
        if isinstance(chunk, str):
            raise TypeError("open the file in binary mode ('rb'), not text mode")
        chunks.append(chunk)
        size += len(chunk)
    head = b"".join(chunks)
    return head, io.BufferedReader(_Prepended(head, stream), buffer_size=_HEAD)


def _kind(head: bytes) -> str:
    if head.startswith(b"\x1f\x8b"):
        return "gzip"
    if head.startswith(b"\xfd7zXZ\x00"):
        return "xz"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    return ""


_SUFFIX_KIND = {".gz": "gzip", ".gzip": "gzip", ".xz": "xz", ".zip": "zip"}


def _not_text_reason(head: bytes) -> str:
    """Why these first bytes are not a text file, or '' if they may be one."""
    if head.startswith(b"%PDF"):
        return "it is a PDF document"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "it is a legacy Office file (.xls); save it as CSV or .xlsx"
    if head.startswith(b"BZh"):
        return "it is bzip2-compressed; use .gz, .xz or .zip"
    if head.startswith(b"7z\xbc\xaf"):
        return "it is a 7-Zip archive; use .gz, .xz or .zip"
    if head.startswith((b"\x89PNG", b"\xff\xd8\xff", b"GIF8")):
        return "it is an image"
    if _utf16(head):
        return ""
    if b"\x00" in head:
        return "it is not a text file (it contains NUL bytes)"
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if head and controls / len(head) > 0.01:
        return "it is not a text file (it contains binary data)"
    return ""


def _utf16(head: bytes) -> str:
    """'utf-16' if the head is UTF-16 (with a BOM, or plain ASCII text padded with NULs)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    sample = head[:4096]
    if len(sample) >= 4:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) > 0.9 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.9 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be"
    return ""


def detect_encoding(head: bytes) -> str:
    """The encoding of a text file from its first bytes: UTF-8 (BOM or not), UTF-16, or cp1252.

    Decoding always uses the FALLBACK_ERRORS handler too, so a later byte that does not fit
    the guess is read as Windows-1252 rather than failing the import.
    """
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    utf16 = _utf16(head)
    if utf16:
        return utf16
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"  # also reads files without a BOM


def _open_path(stream_or_path: str | os.PathLike[str] | BinaryIO, name: str):
    if isinstance(stream_or_path, str | os.PathLike):
        path = os.fspath(stream_or_path)
        return open(path, "rb"), name or os.path.basename(path)  # noqa: SIM115 (returned open)
    return stream_or_path, name or str(getattr(stream_or_path, "name", "") or "")


def peek(
    stream_or_path: str | os.PathLike[str] | BinaryIO, *, name: str = ""
) -> tuple[BinaryIO, bytes, str]:
    """Open a path (or take a stream), look at its first bytes, and hand back a stream that
    still starts at the beginning, with those bytes and the file's name."""
    stream, name = _open_path(stream_or_path, name)
    head, stream = _head_of(stream)
    return stream, head, name


def _zip_member(stream: BinaryIO, name: str) -> tuple[BinaryIO, str]:
    """The single data member of a zip archive, as a binary stream."""
    if not (hasattr(stream, "seekable") and stream.seekable()):
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # noqa: SIM115 (returned open)
        while chunk := stream.read(1024 * 1024):
            spool.write(chunk)
        spool.seek(0)
        stream = spool  # type: ignore[assignment]
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile as exc:
        raise FormatError(f"{name or 'the file'} is not a readable zip archive: {exc}") from exc
    members = [
        info
        for info in archive.infolist()
        if not info.is_dir()
        and not info.filename.startswith("__MACOSX/")
        and os.path.basename(info.filename) not in (".DS_Store", "Thumbs.db")
    ]
    names = [info.filename for info in members]
    if any(n == "[Content_Types].xml" for n in names) and any(n.startswith("xl/") for n in names):
        raise FormatError(
            f"{name or 'the file'} is an Excel workbook (.xlsx), not a CSV file: "
            "import it as a mapped XLSX file, or save it as CSV"
        )
    if not members:
        raise FormatError(f"the zip archive {name or ''} is empty".replace("  ", " "))
    if len(members) > 1:
        listed = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        raise FormatError(f"the zip archive holds {len(members)} files ({listed}); upload one")
    return archive.open(members[0]), members[0].filename


def open_binary(
    stream_or_path: str | os.PathLike[str] | BinaryIO, *, name: str = ""
) -> tuple[BinaryIO, bytes, str]:
    """The decompressed content as a binary stream, its first bytes, and the inner file name.

    gzip, xz and single-file zip archives are recognised by their magic bytes (the name only
    helps the error messages), so a renamed or suffix-less upload still opens.
    """
    stream, name = _open_path(stream_or_path, name)
    for _ in range(_MAX_LAYERS + 1):
        try:
            head, stream = _head_of(stream)
        except DAMAGED as exc:
            raise FormatError(f"{name or 'the file'} is damaged or truncated: {exc}") from exc
        kind = _kind(head)
        if not kind:
            expected = _SUFFIX_KIND.get(os.path.splitext(name)[1].lower())
            if expected and head:
                raise FormatError(f"{name} is named like a {expected} file but is not one")
            return stream, head, name
        if kind == "gzip":
            stream, name = gzip.GzipFile(fileobj=stream, mode="rb"), _strip_suffix(name)
        elif kind == "xz":
            stream, name = lzma.LZMAFile(stream, mode="rb"), _strip_suffix(name)  # noqa: SIM115
        else:
            stream, name = _zip_member(stream, name)
    raise FormatError(f"{name}: too many nested compression layers")


def _strip_suffix(name: str) -> str:
    root, ext = os.path.splitext(name)
    return root if ext.lower() in _SUFFIX_KIND else name


def open_text(stream_or_path: str | os.PathLike[str] | BinaryIO, *, name: str = "") -> TextIO:
    """A text stream over a (possibly compressed) upload, decoded as it is read.

    Decompresses gzip, xz and single-member zip; decodes UTF-8 (with or without BOM), UTF-16
    (Excel's "Unicode text") or, failing UTF-8, Windows-1252 with Latin-1 for its five undefined
    bytes. The returned stream's `.encoding` says which. A file that is not text at all raises
    FormatError saying what it seems to be. Lines keep their endings (newline=""), as the csv
    module wants.
    """
    binary, head, inner = open_binary(stream_or_path, name=name)
    reason = _not_text_reason(head)
    if reason:
        raise FormatError(f"{inner or 'the file'} cannot be read as CSV: {reason}")
    encoding = detect_encoding(head)
    return io.TextIOWrapper(binary, encoding=encoding, errors=FALLBACK_ERRORS, newline="")


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
        sample = text.read(_HEAD)
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
    stream, name = _open_path(stream_or_path, name)
    if not (hasattr(stream, "seekable") and stream.seekable()):
        spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # noqa: SIM115 (returned open)
        while chunk := stream.read(1024 * 1024):
            spool.write(chunk)
        spool.seek(0)
        stream = spool  # type: ignore[assignment]
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
