"""`manage.py sync_source NAME [--since YYYY-MM-DD] [--full]`: read a live source now."""

from __future__ import annotations

from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tickets.ingest.files import zone
from tickets.live.connectors import LivePage, connector_for
from tickets.live.sync import SyncRefused, live_source_sync
from tickets.management.commands.import_tickets import summary
from tickets.models import ImportRun, LiveSource


class Command(BaseCommand):
    help = (
        "Read a live source now: its tickets updated since the last committed page (or "
        "--since a date, or all of them with --full), upserted page by page, each page "
        "committed with the source's cursor; a run stopped part-way resumes from there."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="The source's name (as given to add_source).")
        since = parser.add_mutually_exclusive_group()
        since.add_argument(
            "--since",
            type=date.fromisoformat,
            metavar="YYYY-MM-DD",
            help="Read tickets updated since this day (midnight in the source's time zone).",
        )
        since.add_argument(
            "--full", action="store_true", help="Read every ticket, ignoring the cursor."
        )

    def handle(self, *args, **options) -> None:
        name = options["name"].strip()
        source = LiveSource.objects.filter(name=name).first()
        if source is None:
            raise CommandError(f"No live source named {name!r}; add it with add_source.")
        since = None
        if options["since"] is not None:
            since = datetime.combine(options["since"], datetime.min.time(), zone(source.time_zone))
        verbose = options["verbosity"] > 0
        connector = connector_for(source.kind)
        self.noun = connector.noun if connector is not None else "records"
        try:
            run = live_source_sync(
                source=source,
                since=since,
                full=options["full"],
                progress=self._page if verbose else None,
            )
        except SyncRefused as exc:
            raise CommandError(str(exc)) from None
        if verbose:
            self.stdout.write(
                summary(
                    run,
                    remap=f"pass it to add_source {run.source} with its other options, then sync",
                )
            )
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(f"{source.name}: {run.failure}")

    def _page(self, page: LivePage, run: ImportRun) -> None:
        of = f" of {page.total:,}" if page.total is not None else ""
        cursor = f", cursor {page.cursor_text}" if page.cursor_text else ""
        self.stdout.write(
            f"Page {page.number}: {page.read:,} {self.noun} (read {run.progress:,}{of}): "
            f"{run.tickets_created:,} created, {run.tickets_updated:,} updated, "
            f"{run.tickets_unchanged:,} unchanged so far{cursor}"
        )
