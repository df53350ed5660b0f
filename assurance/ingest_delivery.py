"""Deliverables from a project tool's CSV or XLSX export, through a column mapping.

The file is read by the ticket imports' readers (tickets.ingest.files: the delimiter sniffed,
XLSX date cells kept as dates, rows numbered as a spreadsheet shows them). Columns are guessed
from their names (normalised as the ticket guesser does) unless the manager names them. Each
row is matched to the vendor's deliverable by its reference, so importing the same file twice
changes nothing the second time; a row that cannot be used is reported with its row number,
field and reason, and the good rows are kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from django.core.exceptions import ValidationError
from django.db import transaction

from assurance.models import Deliverable, DeliverableKind
from assurance.services_delivery import deliverable_replan, deliverable_update, deliverable_upsert
from tickets.ingest import files, streams
from tickets.ingest.guess import normal
from tickets.ingest.records import FormatError
from vendors.models import Contract, Vendor

REQUIRED = ("reference", "title", "planned_on")
OPTIONAL = ("delivered_on", "replanned_on", "replanned_reason", "kind", "contract", "notes")
FIELDS = REQUIRED + OPTIONAL
DATE_FIELDS = ("planned_on", "delivered_on", "replanned_on")
MAX_ROWS = 5000

# Header names of the common project tools' exports (Jira, MS Project, Asana, Monday,
# Smartsheet), compared after `normal()`; our own field names count too.
HEADERS: dict[str, tuple[str, ...]] = {
    "reference": ("reference", "ref", "id", "key", "issue key", "task id", "unique id", "wbs"),
    "title": ("title", "name", "task name", "summary", "milestone", "deliverable", "task"),
    "planned_on": (
        "planned on",
        "planned",
        "planned date",
        "planned finish",
        "baseline finish",
        "due date",
        "due",
        "target date",
        "deadline",
    ),
    "delivered_on": (
        "delivered on",
        "delivered",
        "delivery date",
        "actual finish",
        "actual date",
        "completed",
        "completed on",
        "completion date",
        "done date",
    ),
    "replanned_on": (
        "replanned on",
        "re planned on",
        "replanned",
        "revised date",
        "revised finish",
        "forecast date",
        "new due date",
    ),
    "replanned_reason": ("replanned reason", "replan reason", "re plan reason", "reason"),
    "kind": ("kind", "type", "issue type", "deliverable type"),
    "contract": ("contract", "contract name", "contract reference"),
    "notes": ("notes", "note", "description", "comments", "comment"),
}
_BY_HEADER = {normal(name): f for f, names in HEADERS.items() for name in (f, *names)}

DATE_FORMATS = {
    "iso": "2026-03-17 (ISO)",
    "%d/%m/%Y": "17/03/2026 (day first)",
    "%m/%d/%Y": "03/17/2026 (month first)",
    "%d.%m.%Y": "17.03.2026",
}
_KINDS = {normal(v): v for v in DeliverableKind.values} | {
    normal(label): v for v, label in DeliverableKind.choices
}


@dataclass(frozen=True)
class RowIssue:
    row: int
    field: str
    column: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.row}, {self.field}" + (
            f" (column “{self.column}”)" if self.column else ""
        )
        return f"{where}: {self.reason}"


@dataclass
class Report:
    columns: dict[str, str]  # our field -> their column
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    issues: list[RowIssue] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rows_refused(self) -> int:
        return len({i.row for i in self.issues})


def guess_columns(header: list[str], given: dict[str, str] | None = None) -> dict[str, str]:
    """Our field -> their column: the ones named in `given`, the others by their header names
    (the first column a field's names match)."""
    given = {f: c.strip() for f, c in (given or {}).items() if c and c.strip()}
    columns = dict(given)
    taken = set(given.values())
    for column in header:
        f = _BY_HEADER.get(normal(column))
        if f is not None and f not in columns and column not in taken:
            columns[f] = column
            taken.add(column)
    return columns


def check_mapping(header: list[str], columns: dict[str, str]) -> None:
    """FormatError naming the fields without a column and the file's columns, or a named
    column the file lacks."""
    problems = []
    unmapped = [f for f in REQUIRED if not columns.get(f)]
    if unmapped:
        problems.append("no column found for " + ", ".join(unmapped))
    absent = sorted({c for c in columns.values() if c not in header})
    if absent:
        problems.append("the file has no column " + ", ".join(f"“{c}”" for c in absent))
    if problems:
        listed = ", ".join(f"“{c}”" for c in header)
        raise FormatError("; ".join(problems) + f" (the file's columns: {listed})")


def read_table(upload: BinaryIO, *, name: str) -> files.Table:
    """The header and rows of a CSV or XLSX upload; FormatError if it is not a table."""
    source, head, inner = streams.peek(upload, name=name)
    if files.is_xlsx(head, inner, source):
        return files.read_xlsx(source, name=inner)
    return files.read_csv(source, name=inner)


def _date(value: Any, date_format: str) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = files.cell_text(value)
    try:
        if date_format == "iso":
            return dt.date.fromisoformat(text[:10])
        return dt.datetime.strptime(text, date_format).date()
    except ValueError:
        raise ValueError(f"“{text}” is not a date written {DATE_FORMATS[date_format]}") from None


class _Reader:
    """One row's values by our field names, through the mapping."""

    def __init__(self, table: files.Table, columns: dict[str, str]) -> None:
        index = table.index()
        self.columns = columns
        self.positions = {f: index[c] for f, c in columns.items() if c in index}

    def cell(self, cells: list[Any], f: str) -> Any:
        at = self.positions.get(f)
        return cells[at] if at is not None and at < len(cells) else None

    def text(self, cells: list[Any], f: str) -> str:
        return files.cell_text(self.cell(cells, f))


def deliverables_import(
    *,
    vendor: Vendor,
    table: files.Table,
    columns: dict[str, str],
    date_format: str = "iso",
    user=None,
    today: dt.date | None = None,
) -> Report:
    """Each row upserted by reference in a savepoint of its own: a refused row leaves nothing
    behind, the others are kept."""
    check_mapping(table.header, columns)
    report = Report(columns=columns, notes=list(table.notes))
    reader = _Reader(table, columns)
    contracts = list(Contract.objects.filter(vendor=vendor))
    read_as_other: set[str] = set()
    seen: dict[str, int] = {}
    for count, (row, cells) in enumerate(table.rows, start=1):
        if count > MAX_ROWS:
            report.notes.append(f"only the first {MAX_ROWS} rows were read")
            break
        values, issues = _row_values(row, cells, reader, contracts, date_format, read_as_other)
        reference = values.get("reference", "")
        if reference and reference in seen:
            issues.append(
                RowIssue(
                    row, "reference", columns["reference"], f"row {seen[reference]} has it too"
                )
            )
        if issues:
            report.issues.extend(issues)
            continue
        seen[reference] = row
        try:
            with transaction.atomic():
                outcome = _upsert(vendor, values, user=user, today=today)
        except ValidationError as exc:
            report.issues.extend(_service_issues(row, exc, columns))
            continue
        setattr(report, outcome, getattr(report, outcome) + 1)
    if read_as_other:
        report.notes.append("kinds read as “other”: " + ", ".join(sorted(read_as_other)))
    return report


def _row_values(row, cells, reader, contracts, date_format, read_as_other):
    values: dict[str, Any] = {}
    issues: list[RowIssue] = []

    def issue(f: str, reason: str) -> None:
        issues.append(RowIssue(row, f, reader.columns.get(f, ""), reason))

    for f in ("reference", "title", "notes", "replanned_reason"):
        if f in reader.positions:
            values[f] = reader.text(cells, f)
    if not values["reference"]:
        issue("reference", "empty: each row needs the project tool's id")
    if not values["title"]:
        issue("title", "empty: give the deliverable's title")
    for f in DATE_FIELDS:
        if f not in reader.positions:
            continue
        try:
            values[f] = _date(reader.cell(cells, f), date_format)
        except ValueError as exc:
            issue(f, str(exc))
    if "planned_on" in values and values["planned_on"] is None:
        issue("planned_on", "empty: give the planned date")
    if "kind" in reader.positions:
        raw = reader.text(cells, "kind")
        kind = _KINDS.get(normal(raw)) if raw else DeliverableKind.MILESTONE
        if kind is None:
            read_as_other.add(raw)
            kind = DeliverableKind.OTHER
        values["kind"] = kind
    if "contract" in reader.positions:
        raw = reader.text(cells, "contract")
        values["contract"] = None
        if raw:
            match = [c for c in contracts if normal(raw) in (normal(c.name), normal(c.reference))]
            if not match:
                issue("contract", f"“{raw}” is none of this vendor's contracts")
            else:
                values["contract"] = match[0]
    return values, issues


def _upsert(vendor: Vendor, values: dict[str, Any], *, user, today) -> str:
    """Creates or updates one row's deliverable: 'created', 'updated' or 'unchanged'. An
    agreed re-plan the file carries (a date other than the planned one, not yet kept) is made
    before the delivery is recorded, since a delivered deliverable is not re-planned."""
    values = dict(values)
    reference = values.pop("reference")
    replanned_on = values.pop("replanned_on", None)
    reason = values.pop("replanned_reason", "") or "Re-planned in the project tool (import)."
    delivered = values.pop("delivered_on", ...)  # ...: the file has no such column
    before = Deliverable.objects.filter(vendor=vendor, reference=reference).first()
    stamp = _stamp(before)
    replan = replanned_on not in (None, values["planned_on"]) and (
        before is None or replanned_on != before.replanned_on
    )
    if delivered is not ... and not replan:
        values["delivered_on"] = delivered
    deliverable, created = deliverable_upsert(
        vendor=vendor, reference=reference, today=today, **values
    )
    if replan:
        deliverable_replan(
            deliverable=deliverable, replanned_on=replanned_on, reason=reason, user=user
        )
        if delivered is not ...:
            deliverable_update(deliverable=deliverable, delivered_on=delivered, today=today)
    if created:
        return "created"
    return "unchanged" if _stamp(deliverable) == stamp else "updated"


def _stamp(deliverable: Deliverable | None) -> tuple:
    if deliverable is None:
        return ()
    return tuple(
        getattr(deliverable, f.attname)
        for f in Deliverable._meta.concrete_fields
        if f.name not in ("updated_at", "replanned_at")
    )


def _service_issues(row: int, exc: ValidationError, columns: dict[str, str]) -> list[RowIssue]:
    if not hasattr(exc, "error_dict"):
        return [RowIssue(row, "", "", " ".join(exc.messages))]
    return [
        RowIssue(row, f, columns.get(f, ""), " ".join(m for e in errors for m in e.messages))
        for f, errors in exc.error_dict.items()
    ]
