"""Importing a scanner's or auditor's findings list (CSV or XLSX) into an audit.

The file is read as ticket imports read theirs (tickets.ingest.files: sniffed CSV or the first
sheet of a workbook, numbered rows); its columns are guessed from their names and confirmed by
the manager (a `FindingsMapping`). Each row is checked on its own: a bad one is reported by row,
field and reason and the good ones are kept. A row matches an existing finding of the vendor by
its reference (else, with no reference, by title and raised day within the audit), so importing
the same file twice changes nothing the second time.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from assurance import services
from assurance.models import Finding, SecurityAudit, Severity
from tickets.ingest import files
from tickets.ingest.guess import normal
from tickets.ingest.records import FormatError
from tickets.ingest.streams import peek

FIELDS = ("reference", "title", "severity", "raised_on", "due_on", "description")
REQUIRED = ("title", "severity", "raised_on")
LABELS = {
    "reference": "Reference",
    "title": "Title",
    "severity": "Severity",
    "raised_on": "Raised on",
    "due_on": "Due on",
    "description": "Description",
}
# How dates without a year first are written; ISO (2026-03-01) and spreadsheet dates always read.
DATE_FORMATS = {
    "iso": "ISO, like 2026-12-31",
    "%d/%m/%Y": "day first, like 31/12/2026",
    "%m/%d/%Y": "month first, like 12/31/2026",
    "%d.%m.%Y": "day first with dots, like 31.12.2026",
}

# Header names per field, compared loosely (guess.normal): exact names first, then a name
# found as whole words within a header.
HEADER_WORDS = {
    "reference": (
        "reference", "ref", "id", "finding id", "finding reference", "plugin id", "qid",
        "vulnerability id", "vuln id", "issue id", "issue key", "key", "identifier",
    ),
    "title": (
        "title", "name", "finding", "vulnerability", "issue", "summary", "plugin name",
        "synopsis", "vulnerability title", "finding title",
    ),
    "severity": (
        "severity", "risk", "risk rating", "risk level", "risk factor", "rating", "criticality",
        "priority", "cvss", "cvss score", "cvss base score", "level",
    ),
    "raised_on": (
        "raised on", "raised", "first found", "first seen", "found", "found on", "date found",
        "detected", "discovered", "identified", "date", "opened", "created", "reported",
    ),
    "due_on": (
        "due on", "due", "due date", "remediation due", "deadline", "target date", "fix by",
        "remediate by",
    ),
    "description": (
        "description", "details", "detail", "observation", "solution", "recommendation",
        "remediation", "notes",
    ),
}  # fmt: skip

_SEVERITY_WORDS = {
    Severity.CRITICAL: ("critical", "crit", "urgent", "emergency", "very high", "blocker"),
    Severity.HIGH: ("high", "important", "major", "serious", "severe"),
    Severity.MEDIUM: ("medium", "med", "moderate", "mod", "normal"),
    Severity.LOW: ("low", "minor", "minimal", "trivial"),
}
_WORD_SEVERITY = {normal(w): s.value for s, words in _SEVERITY_WORDS.items() for w in words}
_INFORMATIONAL = {"info", "informational", "information", "none", "log", "note", "0"}
# "P1", "Sev 2", "S3", "Severity 4": 1 is the worst, as in ticket priorities.
_RANKED = re.compile(r"^(?:p|prio|priority|sev|severity|s)\s*([1-4])$")
_BY_RANK = {"1": "critical", "2": "high", "3": "medium", "4": "low"}
# A bare whole number is a scanner's level, higher is worse (Nessus 0-4, Qualys 1-5).
_BY_LEVEL = {"5": "critical", "4": "critical", "3": "high", "2": "medium", "1": "low"}


def parse_severity(value: Any) -> str:
    """Our severity for a file's spelling of one; ValueError saying why it is not one.

    Words ("Critical", "HIGH", "crit", "moderate"), ranks with a prefix ("P1" .. "P4", "Sev 2":
    1 is the worst), a bare level ("4": higher is worse, as scanners count, 4 and 5 critical)
    and a CVSS score with a decimal point ("9.8": 9.0 up critical, 7.0 high, 4.0 medium, else
    low). Informational findings have nothing to remediate and are refused."""
    text = files.cell_text(value)
    key = normal(text)
    if not key:
        raise ValueError("no severity given")
    if key in _WORD_SEVERITY:
        return _WORD_SEVERITY[key]
    if key in _INFORMATIONAL:
        raise ValueError(f"“{text}” is informational: nothing to remediate, so not imported")
    if ranked := _RANKED.match(key):
        return _BY_RANK[ranked.group(1)]
    if key in _BY_LEVEL:
        return _BY_LEVEL[key]
    if re.fullmatch(r"\d{1,2}\.\d+", text):
        score = float(text)
        if 0 < score <= 10:
            return (
                "critical"
                if score >= 9
                else "high"
                if score >= 7
                else "medium"
                if score >= 4
                else "low"
            )
    words = [w for w in key.split() if w in _WORD_SEVERITY]  # "4 - Critical", "Risk: high"
    if len({_WORD_SEVERITY[w] for w in words}) == 1:
        return _WORD_SEVERITY[words[0]]
    raise ValueError(
        f"unknown severity “{text}” (use critical, high, medium or low, P1-P4, "
        "a level 1-5 where higher is worse, or a CVSS score like 9.8)"
    )


def parse_date(value: Any, date_format: str) -> dt.date | None:
    """A date cell: a spreadsheet date, ISO text, or text in `date_format`; None if empty;
    ValueError if unreadable. A time after the date is ignored."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = files.cell_text(value)
    if not text:
        return None
    day = re.split(r"[T\s]", text, maxsplit=1)[0]
    try:
        return dt.date.fromisoformat(day)
    except ValueError:
        if date_format == "iso":
            raise ValueError(f"“{text}” is not a date like 2026-12-31") from None
    try:
        return dt.datetime.strptime(day, date_format).date()
    except ValueError:
        raise ValueError(f"“{text}” is not a date {DATE_FORMATS[date_format]}") from None


# --- the mapping ----------------------------------------------------------------------------------


@dataclass
class FindingsMapping:
    """Which column holds each field (REQUIRED must be mapped), and how dates are written."""

    columns: dict[str, str]
    date_format: str = "iso"

    def __post_init__(self) -> None:
        self.columns = {f: c for f, c in self.columns.items() if c}
        problems = []
        unknown = sorted(set(self.columns) - set(FIELDS))
        if unknown:
            problems.append(f"unknown fields: {', '.join(unknown)}")
        missing = [LABELS[f] for f in REQUIRED if f not in self.columns]
        if missing:
            problems.append("choose the column of: " + ", ".join(missing))
        used = list(self.columns.values())
        twice = sorted({c for c in used if used.count(c) > 1})
        if twice:
            problems.append("one column for two fields: " + ", ".join(twice))
        if self.date_format not in DATE_FORMATS:
            problems.append(f"unknown date format {self.date_format!r}")
        if problems:
            raise ValueError("; ".join(problems))


def guess_columns(header: Sequence[str]) -> dict[str, str]:
    """Our field -> the header's column that names it best ('' where none does): every
    field's exact names first, then names found as words within a header ("Due Date" is the
    due day's, not a raised "date")."""
    names = {column: normal(column) for column in header if column}
    words = {f: [normal(w) for w in HEADER_WORDS[f]] for f in FIELDS}
    guessed = dict.fromkeys(FIELDS, "")
    for fits in (
        lambda name, w: name in w,
        lambda name, w: any(f" {x} " in f" {name} " for x in w),
    ):
        for f in FIELDS:
            if guessed[f]:
                continue
            taken = set(guessed.values())
            guessed[f] = next((c for c in names if c not in taken and fits(names[c], words[f])), "")
    return guessed


# --- reading --------------------------------------------------------------------------------------


def read_table(source: str | os.PathLike[str] | BinaryIO, *, name: str) -> files.Table:
    """The file's header and numbered rows (CSV, or the first sheet of an XLSX); FormatError
    saying why if it cannot be read."""
    stream, head, name = peek(source, name=name)
    if files.is_xlsx(head, name):
        return files.read_xlsx(stream, name=name)
    return files.read_csv(stream, name=name)


def preview(table: files.Table, count: int = 5) -> list[list[str]]:
    rows = []
    for _row, cells in table.rows:
        rows.append([files.cell_text(c) for c in cells])
        if len(rows) >= count:
            break
    return rows


# --- the upload between its two steps (upload, then mapping) -------------------------------------

UPLOAD_TYPES = (".csv", ".tsv", ".txt", ".xlsx")


def _uploads() -> Path:
    # Under MEDIA_ROOT, which no URL serves; read only by the mapping step of the manager.
    return Path(settings.MEDIA_ROOT) / "finding-imports"


def upload_keep(upload, *, now: float | None = None) -> str:
    """Keeps an uploaded findings list until its mapping is confirmed; its stored name, or a
    ValidationError on `file` if it is too big, of another type or unreadable. Lists kept
    longer than IMPORT_UPLOAD_KEEP_HOURS (abandoned) are deleted on the way."""
    name = upload.name or ""
    if not name.lower().endswith(UPLOAD_TYPES):
        raise ValidationError({"file": "Upload the findings list as a CSV or XLSX file."})
    if upload.size > settings.IMPORT_MAX_UPLOAD_MB * 1024 * 1024:
        raise ValidationError(
            {"file": f"The file is larger than {settings.IMPORT_MAX_UPLOAD_MB} MB."}
        )
    folder = _uploads()
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = (now or time.time()) - settings.IMPORT_UPLOAD_KEEP_HOURS * 3600
    for old in folder.iterdir():
        with contextlib.suppress(OSError):
            if old.stat().st_mtime < cutoff:
                old.unlink()
    stored = f"{uuid.uuid4().hex}{Path(name).suffix.lower()}"
    with open(folder / stored, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    try:
        upload_table(stored, name=name)
    except FormatError as exc:
        upload_discard(stored)
        raise ValidationError({"file": f"{name} cannot be read: {exc}"}) from None
    return stored


def _upload_path(stored: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}\.[a-z]{3,4}", stored or ""):
        raise FileNotFoundError("no such upload")
    return _uploads() / stored


def upload_table(stored: str, *, name: str) -> files.Table:
    return read_table(_upload_path(stored), name=name)


def upload_discard(stored: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        _upload_path(stored).unlink()


@dataclass(frozen=True)
class RowProblem:
    row: int
    field: str  # ours ("" for the whole row)
    column: str  # theirs
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}"
        if self.field:
            where += f", {LABELS.get(self.field, self.field).lower()}"
            if self.column:
                where += f" (column “{self.column}”)"
        return f"{where}: {self.reason}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def kept(self) -> int:
        return self.created + self.updated + self.unchanged


def findings_import(
    *,
    audit: SecurityAudit,
    table: files.Table,
    mapping: FindingsMapping,
    today: dt.date | None = None,
) -> ImportReport:
    """Imports the table's rows as findings of `audit`; a FormatError if the mapped columns
    are not in the file. Each row is saved on its own (a bad row never undoes a good one)."""
    required = [mapping.columns[f] for f in REQUIRED]
    optional = [c for f, c in mapping.columns.items() if f not in REQUIRED]
    report = ImportReport(notes=files.check_columns(table.header, required, optional))
    index = table.index()
    by_reference = {
        f.reference: f
        for f in Finding.objects.filter(vendor_id=audit.vendor_id).exclude(reference="")
    }
    seen: dict[str, int] = {}
    for row, cells in table.rows:

        def cell(f: str, cells=cells) -> Any:
            column = mapping.columns.get(f)
            if not column:
                return None
            at = index.get(column)  # an optional column the file lacks is empty
            return cells[at] if at is not None and at < len(cells) else None

        problems, terms = _row_terms(row, cell, mapping, index_names=mapping.columns)
        if problems:
            report.problems += problems
            continue
        reference = terms.reference
        if reference:
            if reference in seen:
                report.problems.append(
                    RowProblem(
                        row,
                        "reference",
                        mapping.columns["reference"],
                        f"{reference} is already on row {seen[reference]} of this file",
                    )
                )
                continue
            seen[reference] = row
            existing = by_reference.get(reference)
            if existing is not None and existing.audit_id != audit.pk:
                report.problems.append(
                    RowProblem(
                        row,
                        "reference",
                        mapping.columns["reference"],
                        f"{reference} is a finding of another audit of this vendor "
                        f"({existing.audit.get_kind_display().lower()} of "
                        f"{existing.audit.held_on:%Y-%m-%d})",
                    )
                )
                continue
        else:
            existing = (
                audit.findings.filter(reference="", title=terms.title, raised_on=terms.raised_on)
                .order_by("pk")
                .first()
            )
        try:
            with transaction.atomic():
                if existing is None:
                    created = services.finding_create(audit=audit, terms=terms, today=today)
                    if reference:
                        by_reference[reference] = created
                    report.created += 1
                elif services.finding_differs(existing, terms):
                    same_clock = (existing.severity, existing.raised_on) == (
                        terms.severity,
                        terms.raised_on,
                    )
                    if terms.due_on is None and same_clock:  # keep a due date set by hand
                        terms = _with_due(terms, existing.due_on)
                    services.finding_update(finding=existing, terms=terms, today=today)
                    report.updated += 1
                else:
                    report.unchanged += 1
        except ValidationError as exc:
            for f, messages in exc.message_dict.items():
                for message in messages:
                    report.problems.append(
                        RowProblem(
                            row, f if f in FIELDS else "", mapping.columns.get(f, ""), message
                        )
                    )
    return report


def _with_due(terms: services.FindingTerms, due_on: dt.date) -> services.FindingTerms:
    return services.FindingTerms(
        title=terms.title,
        severity=terms.severity,
        raised_on=terms.raised_on,
        due_on=due_on,
        reference=terms.reference,
        description=terms.description,
    )


def _row_terms(row: int, cell, mapping: FindingsMapping, index_names: dict[str, str]):
    problems: list[RowProblem] = []

    def problem(f: str, reason: str) -> None:
        problems.append(RowProblem(row, f, index_names.get(f, ""), reason))

    title = files.cell_text(cell("title"))
    if not title:
        problem("title", "no title given")
    elif len(title) > 300:
        problem("title", "longer than 300 characters")
    severity = ""
    try:
        severity = parse_severity(cell("severity"))
    except ValueError as exc:
        problem("severity", str(exc))
    dates = {}
    for f in ("raised_on", "due_on"):
        try:
            dates[f] = parse_date(cell(f), mapping.date_format)
        except ValueError as exc:
            problem(f, str(exc))
    if "raised_on" in dates and dates["raised_on"] is None:
        problem("raised_on", "no date given")
    reference = files.cell_text(cell("reference"))
    if len(reference) > 80:
        problem("reference", "longer than 80 characters")
    if problems:
        return problems, None
    return [], services.FindingTerms(
        title=title,
        severity=severity,
        raised_on=dates["raised_on"],
        due_on=dates.get("due_on"),
        reference=reference,
        description=files.cell_text(cell("description")),
    )


__all__ = ["FormatError", "FindingsMapping", "findings_import", "guess_columns", "read_table"]
