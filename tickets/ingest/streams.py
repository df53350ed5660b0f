"""Opening what people upload as a stream: compressed or not, text in any common encoding.

Everything here streams: a file is decompressed and decoded as it is read, never loaded whole
(a zip that arrives as a non-seekable stream is spooled to a temporary file first, because the
zip format keeps its directory at the end). The tables in it are read by `files`.
"""

from __future__ import annotations

import codecs
import gzip
import io
import lzma
import os
import tempfile
import zipfile
import zlib
from typing import Any, BinaryIO, TextIO

from tickets.ingest.records import FormatError

HEAD_SIZE = 64 * 1024  # bytes looked at to recognise compression, binary content and encoding
SPOOL_SIZE = 16 * 1024 * 1024  # a non-seekable zip is kept in memory up to this, then on disk
_MAX_LAYERS = 3  # e.g. a .csv.gz inside a .zip

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
    head = stream.read(HEAD_SIZE)
    if isinstance(head, str):
        raise TypeError("open the file in binary mode ('rb'), not text mode")
    stream.seek(start)
    return head, stream


def _read_head(stream: BinaryIO) -> tuple[bytes, BinaryIO]:
    """The first bytes of `stream`, and a stream that still yields them."""
    chunks, size = [], 0
    while size < HEAD_SIZE:
        chunk = stream.read(HEAD_SIZE - size)
        if not chunk:
            break
        if isinstance(chunk, str):
            raise TypeError("open the file in binary mode ('rb'), not text mode")
        chunks.append(chunk)
        size += len(chunk)
    head = b"".join(chunks)
    return head, io.BufferedReader(_Prepended(head, stream), buffer_size=HEAD_SIZE)


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


def open_path(stream_or_path: str | os.PathLike[str] | BinaryIO, name: str):
    if isinstance(stream_or_path, str | os.PathLike):
        path = os.fspath(stream_or_path)
        return open(path, "rb"), name or os.path.basename(path)  # noqa: SIM115 (returned open)
    return stream_or_path, name or str(getattr(stream_or_path, "name", "") or "")


def peek(
    stream_or_path: str | os.PathLike[str] | BinaryIO, *, name: str = ""
) -> tuple[BinaryIO, bytes, str]:
    """Open a path (or take a stream), look at its first bytes, and hand back a stream that
    still starts at the beginning, with those bytes and the file's name."""
    stream, name = open_path(stream_or_path, name)
    head, stream = _head_of(stream)
    return stream, head, name


def seekable(stream: BinaryIO) -> BinaryIO:
    """The stream itself if it can seek, else its bytes spooled to memory (or to disk past
    SPOOL_SIZE): zip archives, XLSX workbooks among them, are read from their end."""
    if hasattr(stream, "seekable") and stream.seekable():
        return stream
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_SIZE)  # noqa: SIM115 (returned open)
    while chunk := stream.read(1024 * 1024):
        spool.write(chunk)
    spool.seek(0)
    return spool  # type: ignore[return-value]


def _zip_member(stream: BinaryIO, name: str) -> tuple[BinaryIO, str]:
    """The single data member of a zip archive, as a binary stream."""
    stream = seekable(stream)
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
    stream, name = open_path(stream_or_path, name)
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
