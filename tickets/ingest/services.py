"""Writes for imports: attribution rules, saved source mappings, and a file's import run."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.utils import timezone

from tickets.ingest import files, sources, streams
from tickets.ingest.records import FormatError, RowError, TicketRecord
from tickets.ingest.selectors import source_mapping_get
from tickets.ingest.upsert import BATCH_SIZE, ingest_records
from tickets.models import AttributionRule, ImportRun, SourceMapping
from vendors.models import Contract, Vendor


def attribution_rule_set(
    *, source: str, value: str, vendor: Vendor, contract: Contract | None = None
) -> AttributionRule:
    """Maps the source's `value` to the vendor (and contract), replacing an earlier rule.

    Without a contract, the vendor's only contract, or its only one running today.
    """
    if contract is None:
        contract = _the_contract(vendor)
    rule = AttributionRule(source=source, value=value, vendor=vendor, contract=contract)
    rule.full_clean(exclude=["source", "value"])  # the pair is replaced, never duplicated
    rule, _ = AttributionRule.objects.update_or_create(
        source=source, value=value, defaults={"vendor": vendor, "contract": contract}
    )
    return rule


def _the_contract(vendor: Vendor) -> Contract:
    contracts = list(vendor.contracts.order_by("pk"))
    if len(contracts) == 1:
        return contracts[0]
    today = timezone.localdate()
    running = [
        c
        for c in contracts
        if c.start_date <= today and (c.end_date is None or c.end_date >= today)
    ]
    if len(running) == 1:
        return running[0]
    if not contracts:
        raise ValidationError({"contract": f"{vendor} has no contract to attribute tickets to."})
    choices = ", ".join(f"{c.pk} ({c.name})" for c in contracts)
    raise ValidationError(
        {"contract": f"{vendor} has {len(contracts)} contracts; name one of: {choices}."}
    )


def source_mapping_save(*, source: str, format: str, options: dict[str, Any]) -> SourceMapping:
    """Keeps how the source's files are read, for its next import."""
    try:
        options = sources.check_options(format, options)
    except ValueError as exc:
        raise ValidationError({"options": str(exc)}) from None
    mapping, _ = SourceMapping.objects.update_or_create(
        source=source, defaults={"format": format, "options": options}
    )
    return mapping


def import_options(
    *, source: str, format: str | None, options: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The format and options to read the source with: those given, over those saved last time.

    A different format than the saved one starts from no saved options.
    """
    saved = source_mapping_get(source=source)
    if format is None:
        if saved is None:
            raise ValidationError(
                {"format": f"No format saved for source {source!r}: give the format."}
            )
        format = saved.format
    merged = dict(saved.options) if saved is not None and saved.format == format else {}
    merged.update({k: v for k, v in options.items() if v not in (None, "", {}, [])})
    try:
        return format, sources.check_options(format, merged)
    except ValueError as exc:
        raise ValidationError({"options": str(exc)}) from None


def import_file(
    file: BinaryIO | str | os.PathLike[str],
    *,
    source: str,
    format: str | None = None,
    options: dict[str, Any] | None = None,
    file_name: str = "",
    user=None,
    now: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportRun:
    """Reads a file with the source's format and options and upserts its tickets, recording
    the run. The options are saved for the source once the file is accepted.

    Raises FormatError (the run marked failed) for a file that cannot be read; ValidationError
    for bad options, before any run is recorded.
    """
    format, options = import_options(source=source, format=format, options=options or {})
    if not file_name and isinstance(file, (str, os.PathLike)):
        file_name = Path(file).name
    run = ImportRun.objects.create(
        source=source, format=format, file_name=file_name, created_by=user
    )
    notes: list[str] = []
    try:
        records = sources.read(file, format=format, options=options, name=file_name, notes=notes)
    except (FormatError, ValueError) as exc:
        run.status, run.failure = ImportRun.Status.FAILED, str(exc)
        run.finished_at = timezone.now()
        run.save()
        if isinstance(exc, FormatError):
            raise
        raise ValidationError({"options": str(exc)}) from None
    source_mapping_save(source=source, format=format, options=options)
    run.notes = notes
    return ingest_records(
        records, source=source, run=run, now=now, batch_size=batch_size, progress=progress
    )


# --- web uploads: a pending run, its preview, and its execution ----------------------------------

UPLOAD_DIR = "imports"
# What the upload form takes; compressed files may wrap a CSV (or the XLSX itself is a zip).
UPLOAD_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".gz", ".xz", ".zip")
PREVIEW_ROWS = 20
VALUES_SAMPLED = 500  # rows read for the spellings the mapping step offers


def upload_max_bytes() -> int:
    return int(getattr(settings, "IMPORT_MAX_UPLOAD_MB", 200)) * 1024 * 1024


def upload_path(run: ImportRun) -> Path | None:
    """Where the run's upload is stored, or None once it is gone (or never was)."""
    if not run.upload:
        return None
    path = Path(settings.MEDIA_ROOT) / run.upload
    return path if path.is_file() else None


def upload_check_name(name: str) -> str:
    """The upload's suffix if it is one the importer takes; ValidationError naming it if not."""
    lowered = name.lower()
    suffix = Path(lowered).suffix
    if suffix not in UPLOAD_SUFFIXES:
        takes = ", ".join(UPLOAD_SUFFIXES)
        raise ValidationError(
            {
                "file": f"{name} is not a file the importer reads ({suffix or 'no suffix'}); "
                f"upload one of {takes}."
            }
        )
    # Keep a compressed file's inner suffix too (.csv.gz), so its name still says what it is.
    inner = Path(Path(lowered).stem).suffix
    if suffix in (".gz", ".xz", ".zip") and inner in (".csv", ".tsv", ".txt"):
        return inner + suffix
    return suffix


def _store_upload(upload: Any, suffix: str) -> str:
    """Writes the upload under MEDIA_ROOT/imports/ with a generated name; returns that name
    relative to MEDIA_ROOT (never the user's file name, which could climb out of the folder)."""
    folder = Path(settings.MEDIA_ROOT) / UPLOAD_DIR
    folder.mkdir(parents=True, exist_ok=True)
    relative = f"{UPLOAD_DIR}/{uuid.uuid4().hex}{suffix}"
    with open(Path(settings.MEDIA_ROOT) / relative, "xb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return relative


def file_table(path: Path, *, name: str, mapping: dict[str, Any] | None = None) -> files.Table:
    """The header and rows of a CSV or XLSX upload (for the mapping step); FormatError if it
    cannot be read as a table."""
    delimiter = (mapping or {}).get("delimiter")
    sheet = (mapping or {}).get("sheet")
    source, head, inner = streams.peek(path, name=name)
    try:
        if files.is_xlsx(head, inner, source):
            return files.read_xlsx(source, name=inner, sheet=sheet)
        return files.read_csv(source, name=inner, delimiter=delimiter)
    except BaseException:
        source.close()
        raise


def _check_readable(path: Path, *, name: str, format: str, options: dict[str, Any]) -> None:
    """Refuses at once a file the run could not use: not a table, empty, wrong columns, or no
    data row at all (FormatError naming the problem)."""
    if format == "mapped" and "mapping" not in options:
        table = file_table(path, name=name)  # columns are chosen in the mapping step
        first = next(iter(table.rows), None)
        if first is None:
            raise FormatError(f"{name} has a header but no data rows")
        return
    records = sources.read(path, format=format, options=options, name=name)
    if next(iter(records), None) is None:
        raise FormatError(f"{name} has a header but no data rows")


def import_run_create(
    *, upload: Any, source: str, format: str, options: dict[str, Any], user=None
) -> ImportRun:
    """A pending run for an uploaded file, stored under MEDIA_ROOT/imports/.

    The file is refused before anything is kept (ValidationError naming the problem) if it
    is not a type the importer reads, too big, empty, not a table, or (formats with fixed
    columns) lacks required columns. Options are merged over the source's saved ones; a
    mapped file gets its column mapping in the next step (import_run_set_mapping).
    """
    source = (source or "").strip()
    if not source or len(source) > ImportRun._meta.get_field("source").max_length:
        raise ValidationError({"source": "Name the source in 1 to 80 characters."})
    name = Path(upload.name or "upload").name
    suffix = upload_check_name(name)
    if upload.size > upload_max_bytes():
        raise ValidationError(
            {
                "file": f"{name} is {upload.size / 1024 / 1024:.0f} MB; the limit is "
                f"{upload_max_bytes() // 1024 // 1024} MB."
            }
        )
    if upload.size == 0:
        raise ValidationError({"file": f"{name} is empty."})
    wanted = sources.OPTIONS.get(format, ())
    options = {k: v for k, v in options.items() if k in wanted and k != "mapping"}
    format, options = import_options(source=source, format=format, options=options)
    relative = _store_upload(upload, suffix)
    path = Path(settings.MEDIA_ROOT) / relative
    try:
        _check_readable(path, name=name, format=format, options=options)
    except (FormatError, ValueError) as exc:
        path.unlink(missing_ok=True)
        raise ValidationError({"file": f"{name}: {exc}"}) from None
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return ImportRun.objects.create(
        source=source,
        format=format,
        file_name=name[: ImportRun._meta.get_field("file_name").max_length],
        created_by=user,
        upload=relative,
        options=options,
    )


def import_run_set_mapping(*, run: ImportRun, mapping: dict[str, Any]) -> ImportRun:
    """Sets a pending mapped run's column mapping, after checking it against the file.

    ValidationError naming the problem (a required field not mapped, a mapped column not in
    the file, a bad spelling or time zone); nothing is saved then.
    """
    if run.status != ImportRun.Status.PENDING or run.queued_at is not None:
        raise ValidationError("This import has already started; its mapping is fixed.")
    path = upload_path(run)
    if path is None:
        raise ValidationError("The uploaded file is no longer there; upload it again.")
    try:
        options = sources.check_options("mapped", {**run.options, "mapping": mapping})
        _check_readable(path, name=run.file_name, format="mapped", options=options)
    except (FormatError, ValueError) as exc:
        raise ValidationError(str(exc)) from None
    run.options = options
    run.save(update_fields=["options"])
    return run


@dataclass
class Preview:
    """The first rows of an upload as the run will read them."""

    records: list[TicketRecord | RowError]
    notes: list[str]
    problem: str = ""  # why the file cannot be imported (wrong columns...), if it cannot


def import_run_preview(*, run: ImportRun, rows: int = PREVIEW_ROWS) -> Preview:
    """The first `rows` tickets or rejected rows of a pending run's file, read with its
    options, and the reader's remarks; a file that cannot be read gives its problem."""
    path = upload_path(run)
    if path is None:
        return Preview([], [], "The uploaded file is no longer there; upload it again.")
    if run.format == "mapped" and "mapping" not in run.options:
        return Preview([], [], "Map the file's columns first.")
    notes: list[str] = []
    try:
        records = sources.read(
            path, format=run.format, options=run.options, name=run.file_name, notes=notes
        )
        return Preview(list(islice(records, rows)), notes)
    except (FormatError, ValueError) as exc:
        return Preview([], notes, str(exc))


def file_values_seen(
    *, run: ImportRun, columns: dict[str, str], rows: int = VALUES_SAMPLED
) -> dict[str, list[str]]:
    """The distinct values of some columns in the first rows of the run's file (the spellings
    the mapping step asks about): {field: sorted values}, for the columns present."""
    path = upload_path(run)
    if path is None:
        return {}
    try:
        table = file_table(path, name=run.file_name, mapping=run.options.get("mapping"))
    except (FormatError, ValueError):
        return {}
    index = table.index()
    positions = {f: index[c] for f, c in columns.items() if c in index}
    seen: dict[str, set[str]] = {f: set() for f in positions}
    for _, cells in islice(table.rows, rows):
        for f, i in positions.items():
            if i < len(cells):
                text = files.cell_text(cells[i]).strip()
                if text:
                    seen[f].add(text)
    close = getattr(table.rows, "close", None)
    if close is not None:
        close()  # an XLSX workbook is closed when its row generator ends
    return {f: sorted(values)[:40] for f, values in seen.items()}


def import_run_claim(*, run: ImportRun) -> bool:
    """Claims a pending run for execution (the caller queues the task once the request
    commits); False if it is already claimed or not pending (a second click on Start queues
    nothing)."""
    if run.format == "mapped" and "mapping" not in run.options:
        raise ValidationError("Map the file's columns first.")
    claimed = ImportRun.objects.filter(
        pk=run.pk, status=ImportRun.Status.PENDING, queued_at__isnull=True
    ).update(queued_at=timezone.now())
    return bool(claimed)


def import_run_discard(*, run: ImportRun) -> None:
    """Deletes a pending run that was never started, with its upload."""
    if run.status != ImportRun.Status.PENDING or run.queued_at is not None:
        raise ValidationError("Only an import that has not started can be discarded.")
    path = upload_path(run)
    if path is not None:
        path.unlink(missing_ok=True)
    run.delete()


def import_uploads_clear_abandoned(*, now: dt.datetime | None = None) -> int:
    """Clears uploads nobody started within IMPORT_UPLOAD_KEEP_HOURS, so files do not pile up
    on disk: each such run is marked failed, saying why, and its file deleted; a file under
    MEDIA_ROOT/imports/ that no run holds (a request that died between storing and recording
    it) goes too once as old. Returns the files deleted."""
    now = now or timezone.now()
    keep = dt.timedelta(hours=settings.IMPORT_UPLOAD_KEEP_HOURS)
    cutoff = now - keep
    deleted = 0
    abandoned = ImportRun.objects.filter(
        status=ImportRun.Status.PENDING, queued_at__isnull=True, created_at__lt=cutoff
    )
    for run in abandoned.only("pk", "upload"):
        path = upload_path(run)
        # Claimed like Start claims a run, so a click at this moment either starts the import
        # or finds it cleared, never a run without its file.
        claimed = ImportRun.objects.filter(
            pk=run.pk, status=ImportRun.Status.PENDING, queued_at__isnull=True
        ).update(
            status=ImportRun.Status.FAILED,
            upload="",
            finished_at=now,
            failure=f"Not started within {_hours(keep)} of the upload, so the file was "
            "deleted; upload it again to import it.",
        )
        if claimed and path is not None:
            path.unlink(missing_ok=True)
            deleted += 1
    folder = Path(settings.MEDIA_ROOT) / UPLOAD_DIR
    if folder.is_dir():
        held = set(ImportRun.objects.exclude(upload="").values_list("upload", flat=True))
        for path in folder.iterdir():
            relative = f"{UPLOAD_DIR}/{path.name}"
            if relative in held or not path.is_file():
                continue
            modified = dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.UTC)
            if modified < cutoff:
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted


def _hours(span: dt.timedelta) -> str:
    hours = round(span.total_seconds() / 3600)
    return f"{hours // 24} days" if hours % 24 == 0 and hours >= 48 else f"{hours} hours"


def count_data_rows(path: Path, *, name: str, sheet: str | None = None) -> int | None:
    """The data rows of a file, for the progress bar: line ends of the (decompressed) CSV,
    or the sheet's stored size; None if it cannot tell. A quoted cell spanning lines counts
    more than once, so the figure may run a little high (the bar then ends short of full)."""
    try:
        source, head, inner = streams.peek(path, name=name)
        with source:
            if files.is_xlsx(head, inner, source):
                import openpyxl

                workbook = openpyxl.load_workbook(source, read_only=True, data_only=True)
                try:
                    sheet_ = workbook[sheet] if sheet else workbook.worksheets[0]
                    rows = sheet_.max_row
                finally:
                    workbook.close()
                return max(rows - 1, 0) if rows else None
        binary, _, _ = streams.open_binary(path, name=name)
        with binary:
            lines, last = 0, b"\n"
            while chunk := binary.read(1 << 20):
                lines += chunk.count(b"\n")
                last = chunk[-1:]
        if last not in (b"\n", b""):
            lines += 1  # no line end after the last row
        return max(lines - 1, 0)
    except Exception:  # only a progress estimate: the run itself reports a bad file
        return None


def _progress_batch(rows_total: int | None) -> int:
    """Tickets per batch (one UPDATE of the run's counters each): about fifty steps of the
    progress bar for a small file, the full batch for a big one."""
    if not rows_total:
        return BATCH_SIZE
    return max(100, min(BATCH_SIZE, rows_total // 50))


_RESET = {
    "progress": 0,
    "rows_read": 0,
    "tickets_created": 0,
    "tickets_updated": 0,
    "tickets_unchanged": 0,
    "tickets_rejected": 0,
    "tickets_unmapped": 0,
    "errors": [],
    "unmapped": {},
    "notes": [],
    "failure": "",
    "seconds": None,
    "finished_at": None,
}


def import_run_execute(*, run_id: int, now: dt.datetime | None = None) -> ImportRun:
    """Imports a queued run's upload, writing its counters as it goes; the upload is deleted
    after the run.

    Idempotent: a finished run is left as it is; a run found running (its worker died) or
    failed with its upload still there (the database went away) starts over, which the
    upsert makes safe: what the first attempt wrote now counts as unchanged. An unreachable
    database is raised (the task retries it, the upload kept); a file that turns out
    unreadable fails the run.
    """
    run = ImportRun.objects.get(pk=run_id)
    path = upload_path(run)
    if run.status == ImportRun.Status.DONE or (
        run.status == ImportRun.Status.FAILED and path is None
    ):
        return run
    if path is None:
        return _fail(run, "The uploaded file is no longer there; upload it again.")
    for field_name, value in _RESET.items():
        setattr(run, field_name, value if not isinstance(value, list | dict) else type(value)())
    run.rows_total = count_data_rows(
        path, name=run.file_name, sheet=(run.options.get("mapping") or {}).get("sheet")
    )
    run.status, run.started_at = ImportRun.Status.RUNNING, timezone.now()
    run.save()
    notes: list[str] = []
    try:
        records = sources.read(
            path, format=run.format, options=run.options, name=run.file_name, notes=notes
        )
    except (FormatError, ValueError) as exc:
        path.unlink(missing_ok=True)
        return _fail(run, str(exc))
    source_mapping_save(source=run.source, format=run.format, options=run.options)
    run.notes = notes
    try:
        ingest_records(
            records,
            source=run.source,
            run=run,
            now=now,
            batch_size=_progress_batch(run.rows_total),
        )
    except OperationalError:
        raise  # retried by the task with the upload kept; the re-run starts over
    except FormatError:
        pass  # a truncated file: the run is failed and says why; what was read is kept
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    path.unlink(missing_ok=True)
    return run


def _fail(run: ImportRun, reason: str) -> ImportRun:
    run.status, run.failure, run.finished_at = ImportRun.Status.FAILED, reason, timezone.now()
    run.save()
    return run
