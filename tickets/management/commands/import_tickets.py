"""`manage.py import_tickets FILE --format F --source NAME`: import a vendor tool's export."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from tickets.ingest import mapping as mapping_module
from tickets.ingest.files import cell_text
from tickets.ingest.guess import VALUE_FIELDS, Guess, Question, guess_mapping
from tickets.ingest.records import FormatError
from tickets.ingest.selectors import source_mapping_get
from tickets.ingest.services import file_table, import_file
from tickets.ingest.sources import FORMATS
from tickets.ingest.upsert import BATCH_SIZE
from tickets.management.commands._attribution import add_map_argument, map_value
from tickets.models import ImportRun

ERRORS_SHOWN = 20
UNMAPPED_SHOWN = 20
GUESS_ROWS = 1000  # rows the mapping is guessed from
VALUE_COLUMN_MAX = 50  # distinct values a priority, status or channel column may have


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
        "omitted; --map adds attribution rules before importing. A mapped file without a "
        "mapping has its columns, time format and values guessed; what is left open stops the "
        "import, naming the option that settles it."
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
            help="mapped format: a JSON file with the column mapping (default: the source's "
            "saved one, else guessed from the file and printed with its reasons).",
        )
        parser.add_argument(
            "--save-mapping",
            type=Path,
            metavar="FILE",
            help="mapped format: write the mapping used (guessed or given) as JSON, for --mapping.",
        )
        parser.add_argument(
            "--column",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help="mapped format, guessing: read our FIELD from their COLUMN (empty: none).",
        )
        parser.add_argument(
            "--time-format",
            metavar="PATTERN",
            help="mapped format, guessing: how times are written (iso, %%d/%%m/%%Y %%H:%%M ...).",
        )
        parser.add_argument(
            "--value",
            action="append",
            default=[],
            metavar="FIELD:THEIRS=OURS",
            help="mapped format, guessing: a priority, status or channel value, e.g. "
            "'priority:Sehr dringend=P1'.",
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
        add_map_argument(
            parser,
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
        elif _guesses(source, options["format"]):
            guessed = self._guess(path, options)
            if guessed is not None:
                reader_options["mapping"] = guessed
        elif options["column"] or options["time_format"] or options["value"]:
            raise CommandError(
                "--column, --time-format and --value answer the guessed mapping of the mapped "
                "format; this import uses a given or saved mapping (edit it with --mapping)."
            )
        if options["save_mapping"] is not None:
            if _format_of(source, options["format"]) != "mapped":
                raise CommandError("--save-mapping writes the mapping of the mapped format only")
            _save_mapping(options["save_mapping"], source, reader_options)

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

    def _guess(self, path: Path, options: dict) -> dict | None:
        """The mapping guessed from the file and the answers given; None for a file in our
        own format. CommandError naming what is left open and how to settle it."""
        try:
            table = file_table(path, name=path.name)
        except (FormatError, ValueError) as exc:
            raise CommandError(f"{path.name}: {exc}") from None
        try:
            rows, counts = _sample_and_count(table)
        except FormatError as exc:
            raise CommandError(f"{path.name}: {exc}") from None
        finally:
            close = getattr(table.rows, "close", None)
            if close is not None:
                close()
        answered = options["column"] or options["time_format"] or options["value"]
        if not answered and set(mapping_module.REQUIRED_FIELDS) <= set(table.header):
            return None  # our own columns: read as they are
        try:
            guess = guess_mapping(
                table.header,
                rows,
                columns=_pairs(options["column"], "--column", "FIELD=COLUMN"),
                time_format=options["time_format"],
                values=_values(options["value"]),
            )
        except ValueError as exc:
            raise CommandError(f"{path.name}: {exc}") from None
        guess.recount_values(counts, values=_values(options["value"]))
        if options["verbosity"] > 0:
            self.stdout.write(f"Guessed the mapping of {path.name} from {guess.rows:,} rows:")
            for line in guess.lines():
                self.stdout.write(f"  {line}")
        questions = guess.questions
        if questions:
            raise CommandError(
                f"Cannot import {path.name} yet; still open:\n"
                + "\n".join(f"  - {q.text}{_settle(q, guess)}" for q in questions)
                + "\nAnswer with the options named, or give a whole mapping with --mapping FILE."
            )
        try:
            return guess.mapping(time_zone=options["time_zone"] or "UTC").to_dict()
        except ValueError as exc:
            raise CommandError(str(exc)) from None

    def _map(self, source: str, spec: str, verbosity: int) -> None:
        rule = map_value(source, spec)
        if verbosity > 0:
            self.stdout.write(f"Mapped {rule.value!r} of {source} to {rule.contract}")


def _sample_and_count(table) -> tuple[list[list], dict[str, Counter[str]]]:
    """The first GUESS_ROWS rows to guess from, and, over every row, the distinct values of each
    column that has few (a column past VALUE_COLUMN_MAX is no priority, status or channel and
    stops being counted), so the values are mapped from the whole file."""
    sample: list[list] = []
    counts: dict[int, Counter[str]] = {i: Counter() for i in range(len(table.header))}
    for n, (_, cells) in enumerate(table.rows):
        if n < GUESS_ROWS:
            sample.append(cells)
        for i in list(counts):
            if i < len(cells) and (text := cell_text(cells[i])):
                counted = counts[i]
                counted[text] += 1
                if len(counted) > VALUE_COLUMN_MAX:
                    del counts[i]
    named = {}
    for i, column in enumerate(table.header):
        if i in counts and column and column not in named:
            named[column] = counts[i]
    return sample, named


def _format_of(source: str, format: str | None) -> str | None:
    """The format given, else the one saved for the source."""
    if format is not None:
        return format
    saved = source_mapping_get(source=source)
    return saved.format if saved is not None else None


def _guesses(source: str, format: str | None) -> bool:
    """Whether the mapping of a mapped import is to be guessed: none given, none saved."""
    if _format_of(source, format) != "mapped":
        return False
    saved = source_mapping_get(source=source)
    return saved is None or saved.format != "mapped" or "mapping" not in saved.options


def _pairs(specs: list[str], option: str, form: str) -> dict[str, str]:
    pairs = {}
    for spec in specs:
        key, sep, value = spec.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"{option} {spec!r}: write {form}")
        pairs[key.strip()] = value.strip()
    return pairs


def _values(specs: list[str]) -> dict[str, dict[str, str]]:
    values: dict[str, dict[str, str]] = {}
    for spec in specs:
        f, _, rest = spec.partition(":")
        theirs, sep, ours = rest.rpartition("=")
        f, ours = f.strip(), ours.strip()
        if f not in VALUE_FIELDS or not sep:
            raise CommandError(
                f"--value {spec!r}: write FIELD:THEIRS=OURS, FIELD one of {', '.join(VALUE_FIELDS)}"
            )
        if ours not in VALUE_FIELDS[f]:
            raise CommandError(
                f"--value {spec!r}: {ours!r} is no {f} (use {', '.join(VALUE_FIELDS[f])})"
            )
        values.setdefault(f, {})[theirs.strip()] = ours
    return values


def _settle(question: Question, guess: Guess) -> str:
    """How to answer an open question from the command line."""
    if question.topic == "time_format":
        choices = question.choices or ("iso", "%d.%m.%Y %H:%M", "%m/%d/%Y %I:%M %p")
        return "; settle with " + " or ".join(f"--time-format '{c}'" for c in choices)
    if question.topic.endswith(" values"):
        f = question.topic.removesuffix(" values")
        unknown = next(v.value for v in guess.values[f] if not v.suggestion)
        return f"; settle each with --value '{f}:{unknown}={VALUE_FIELDS[f][0]}' (say which)"
    if question.topic in mapping_module.FIELDS:
        columns = question.choices or tuple(guess.header)
        listed = ", ".join(repr(c) for c in columns)
        return f"; settle with --column {question.topic}=COLUMN (one of {listed})"
    return ""


def _save_mapping(path: Path, source: str, reader_options: dict) -> None:
    """Writes the mapping this import reads the file with: given, guessed, saved or ours."""
    data = reader_options.get("mapping")
    if data is None:
        saved = source_mapping_get(source=source)
        if saved is not None and saved.format == "mapped" and "mapping" in saved.options:
            data = saved.options["mapping"]
        else:
            data = mapping_module.Mapping.ours().to_dict()
    data = dict(data, time_zone=reader_options.get("time_zone") or data.get("time_zone", "UTC"))
    try:
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"--save-mapping {path}: {exc}") from None


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"--mapping {path}: {exc}") from None


def summary(run: ImportRun, *, remap: str = "run the import again") -> str:
    """The end-of-import report: counts, unmapped values, the first errors, the time taken.
    `remap` says how to map an unmapped value (a live source's mappings go with add_source)."""
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
            f"--map VALUE=VENDOR_SLUG[:CONTRACT_ID] and {remap}."
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
