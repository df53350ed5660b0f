"""`manage.py import_tickets FILE --format F --source NAME`: import a vendor tool's export."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from tickets.ingest.records import FormatError
from tickets.ingest.services import attribution_rule_set, import_file
from tickets.ingest.sources import FORMATS
from tickets.ingest.upsert import BATCH_SIZE
from tickets.models import ImportRun
from vendors.models import Contract, Vendor

ERRORS_SHOWN = 20
UNMAPPED_SHOWN = 20


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Import tickets from a ServiceNow, VINST, Jira, Zendesk or mapped CSV/XLSX export "
        "(.gz, .xz and .zip too). Tickets are written by (source, id): importing a file again "
        "changes only what changed. Reader options are saved per source and reused when "
        "omitted; --map adds attribution rules before importing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The export to import.")
        parser.add_argument(
            "--format",
            choices=FORMATS,
            help="The file's format (default: the one saved for the source).",
        )
        parser.add_argument(
            "--source", required=True, help="Name of the source, e.g. acme-servicenow."
        )
        parser.add_argument(
            "--time-zone", help="IANA zone of times written without an offset (default UTC)."
        )
        parser.add_argument(
            "--mapping",
            type=Path,
            help="mapped format: a JSON file with the column mapping (default: our own columns).",
        )
        parser.add_argument(
            "--attribute-by",
            help="The column (jira, zendesk) or org_line|team (vinst) tickets are attributed by.",
        )
        parser.add_argument(
            "--default-priority",
            choices=["P1", "P2", "P3", "P4"],
            help="zendesk: the priority of tickets that have none.",
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="VALUE=VENDOR_SLUG[:CONTRACT_ID]",
            help="Attribute the source's VALUE (group, team, org line) to a vendor; repeatable.",
        )
        parser.add_argument(
            "--batch-size",
            type=_positive,
            default=BATCH_SIZE,
            help=f"Tickets per transaction (default {BATCH_SIZE:,}).",
        )

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        source = options["source"]
        for spec in options["map"]:
            self._map(source, spec, options["verbosity"])

        reader_options = {
            "time_zone": options["time_zone"],
            "attribute_by": options["attribute_by"],
            "default_priority": options["default_priority"],
        }
        if options["mapping"] is not None:
            reader_options["mapping"] = _read_json(options["mapping"])

        bar = tqdm(
            unit="ticket",
            unit_scale=True,
            file=sys.stderr,
            disable=options["verbosity"] == 0 or not sys.stderr.isatty(),
            desc=f"Importing {path.name}",
        )
        try:
            with bar:
                run = import_file(
                    path,
                    source=source,
                    format=options["format"],
                    options=reader_options,
                    progress=bar.update,
                    batch_size=options["batch_size"],
                )
        except FormatError as exc:
            raise CommandError(f"{path.name}: {exc}") from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        if options["verbosity"] > 0:
            self.stdout.write(summary(run))

    def _map(self, source: str, spec: str, verbosity: int) -> None:
        value, sep, target = spec.rpartition("=")
        if not sep or not target:
            raise CommandError(f"--map {spec!r}: write VALUE=VENDOR_SLUG or VALUE=SLUG:CONTRACT_ID")
        slug, _, contract_id = target.partition(":")
        vendor = Vendor.objects.filter(slug=slug).first()
        if vendor is None:
            raise CommandError(f"--map {spec!r}: no vendor with the slug {slug!r}")
        contract = None
        if contract_id:
            if contract_id.isdigit():
                contract = Contract.objects.filter(pk=contract_id, vendor=vendor).first()
            if contract is None:
                raise CommandError(f"--map {spec!r}: {vendor} has no contract {contract_id}")
        try:
            rule = attribution_rule_set(
                source=source, value=value.strip(), vendor=vendor, contract=contract
            )
        except ValidationError as exc:
            raise CommandError(f"--map {spec!r}: {'; '.join(exc.messages)}") from None
        if verbosity > 0:
            self.stdout.write(f"Mapped {rule.value!r} of {source} to {rule.contract}")


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"--mapping {path}: {exc}") from None


def summary(run: ImportRun) -> str:
    """The end-of-import report: counts, unmapped values, the first errors, the time taken."""
    lines = [
        f"Imported {run.file_name or 'the file'} ({run.format}) as source {run.source!r} "
        f"in {run.seconds or 0:.1f} s (run {run.pk}):",
        f"  rows read  {run.rows_read:>12,}",
        f"  created    {run.tickets_created:>12,}",
        f"  updated    {run.tickets_updated:>12,}",
        f"  unchanged  {run.tickets_unchanged:>12,}",
        f"  rejected   {run.tickets_rejected:>12,}",
        f"  unmapped   {run.tickets_unmapped:>12,}",
    ]
    if run.unmapped:
        shown = list(run.unmapped.items())[:UNMAPPED_SHOWN]
        more = len(run.unmapped) - len(shown)
        lines.append(
            f"Unmapped values ({len(run.unmapped):,}, tickets not written): map each with "
            "--map VALUE=VENDOR_SLUG[:CONTRACT_ID] and run the import again."
        )
        width = max(len(v or "(empty)") for v, _ in shown)
        lines += [f"  {value or '(empty)':<{width}}  {count:>8,}" for value, count in shown]
        if more > 0:
            lines.append(f"  ... and {more:,} more")
    if run.errors:
        shown_errors = run.errors[:ERRORS_SHOWN]
        lines.append(f"Rejected (first {len(shown_errors)} of {run.tickets_rejected:,}):")
        for error in shown_errors:
            where = f"row {error['row']}" + (
                f", column {error['column']}" if error["column"] else ""
            )
            ticket = f" (ticket {error['external_id']})" if error["external_id"] else ""
            lines.append(f"  {where}{ticket}: {error['reason']}")
    for note in run.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines)
