"""Evidence files: which uploads are accepted, and the name a download carries.

A file is accepted when its extension is one of ours AND its first bytes are what that type
starts with (a renamed executable is refused), and it is at most EVIDENCE_MAX_UPLOAD_MB. The
content type stored is ours for the extension, never what the browser claimed. The download
name is plain ASCII with nothing a header could be broken by (no quotes, CR or LF).
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePath
from typing import BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError

# Extension -> (content type, what it is in words).
TYPES = {
    "pdf": ("application/pdf", "PDF"),
    "png": ("image/png", "PNG image"),
    "jpg": ("image/jpeg", "JPEG image"),
    "jpeg": ("image/jpeg", "JPEG image"),
    "txt": ("text/plain", "plain text"),
    "csv": ("text/csv", "CSV"),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel workbook"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word document",
    ),
}
ACCEPTED = "PDF, PNG, JPEG, plain text, CSV, XLSX or DOCX"
_ZIP_MEMBER = {"xlsx": "xl/workbook.xml", "docx": "word/document.xml"}
_TEXT_HEAD = 64 * 1024  # how much of a text file is checked for being text
NAME_MAX = 150  # FindingFix.evidence_name


@dataclass(frozen=True)
class Evidence:
    name: str  # what the vendor called it, for display (never a path)
    content_type: str
    size: int


def max_bytes() -> int:
    return settings.EVIDENCE_MAX_UPLOAD_MB * 1024 * 1024


def extension(name: str) -> str:
    return PurePath(name).suffix.lower().lstrip(".")


def evidence_check(upload) -> Evidence:
    """The upload's name, type and size if it is acceptable evidence; else a ValidationError
    on `evidence` saying why."""
    name = display_name(getattr(upload, "name", "") or "")
    ext = extension(name)
    if ext not in TYPES:
        raise ValidationError(
            {"evidence": f"“{name or 'the file'}” is not a type accepted: attach a {ACCEPTED}."}
        )
    size = upload.size
    if size > max_bytes():
        raise ValidationError(
            {
                "evidence": f"The file is {size / 1024 / 1024:.1f} MB; evidence may be at most "
                f"{settings.EVIDENCE_MAX_UPLOAD_MB} MB."
            }
        )
    if size == 0:
        raise ValidationError({"evidence": "The file is empty."})
    content_type, words = TYPES[ext]
    upload.seek(0)
    try:
        fits = _content_fits(ext, upload)
    finally:
        upload.seek(0)
    if not fits:
        raise ValidationError(
            {"evidence": f"“{name}” is named .{ext} but its contents are not a {words}."}
        )
    return Evidence(name=name, content_type=content_type, size=size)


def _content_fits(ext: str, stream: BinaryIO) -> bool:
    head = stream.read(8)
    if ext == "pdf":
        return head.startswith(b"%PDF-")
    if ext == "png":
        return head == b"\x89PNG\r\n\x1a\n"
    if ext in ("jpg", "jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if ext in _ZIP_MEMBER:
        if not head.startswith(b"PK\x03\x04"):
            return False
        stream.seek(0)
        try:
            with zipfile.ZipFile(stream) as archive:
                return _ZIP_MEMBER[ext] in archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            return False
    # Text (UTF-8 or Windows-1252, as spreadsheets save CSV): no control byte but tab, CR,
    # LF, form feed and escape; every binary format has some in its first bytes.
    sample = head + stream.read(_TEXT_HEAD - len(head))
    return not _BINARY.search(sample)


_BINARY = re.compile(rb"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")


def display_name(name: str) -> str:
    """The uploaded file's own name, shown on the page: its last part only, no control
    characters, at most NAME_MAX characters (its extension kept)."""
    name = PurePath(name.replace("\\", "/")).name
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if len(name) > NAME_MAX:
        suffix = PurePath(name).suffix[:10]
        name = name[: NAME_MAX - len(suffix)] + suffix
    return name


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def download_name(name: str, content_type: str) -> str:
    """A download name that is plain ASCII letters, digits, dot, dash and underscore (no
    quote, semicolon, CR or LF can reach the header), ending in the stored type's extension."""
    stem = unicodedata.normalize("NFKD", PurePath(name).stem).encode("ascii", "ignore").decode()
    stem = _UNSAFE.sub("_", stem).strip("._-")[:80] or "evidence"
    ext = extension(name)
    if TYPES.get(ext, (None,))[0] != content_type:
        ext = next((e for e, (t, _w) in TYPES.items() if t == content_type), "bin")
    return f"{stem}.{ext}"
