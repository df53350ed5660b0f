"""Writes for imports: attribution rules, saved source mappings, and a file's import run."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO

from django.core.exceptions import ValidationError
from django.utils import timezone

from tickets.ingest import sources
from tickets.ingest.records import FormatError
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
