"""`manage.py seed_demo`: fill an empty database with the demo world: its tickets
(`tickets.demo`), then its security audits, findings and deliverables (`assurance.demo`), the
review's ratings and the reference bands (`scorecards.demo_ratings`). Here, in the top layer,
because seeding reaches every layer below."""

from __future__ import annotations

import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from assurance.demo import seed_assurance
from scorecards.demo_ratings import seed_reference_bands, seed_review_ratings
from tickets.demo.arithmetic import UTC
from tickets.demo.logins import DEMO_PASSWORD
from tickets.demo.world import demo_flush, demo_world_exists, seed_demo_world
from vendors.models import Vendor


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


def _count(value: str) -> int:
    number = int(value)
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    help = (
        "Seed a believable demo world: 5 vendors with distinct profiles, their contracts, "
        "technicians, tickets with events and surveys, outages, invoices, security audits with "
        "findings, deliverables, a year of review ratings, reference bands and one login per role. "
        "The same arguments always give the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42, help="Random seed (default 42).")
        parser.add_argument(
            "--tickets", type=_count, default=50_000, help="Tickets to create (default 50,000)."
        )
        parser.add_argument(
            "--months", type=_positive, default=18, help="Months of history (default 18)."
        )
        parser.add_argument(
            "--until",
            type=dt.date.fromisoformat,
            default=None,
            help="Last day of the history, YYYY-MM-DD (default: today, UTC, up to now).",
        )
        existing = parser.add_mutually_exclusive_group()
        existing.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing if any vendor exists (so `make demo` keeps its data).",
        )
        existing.add_argument(
            "--flush", action="store_true", help="Delete the demo world first, then seed."
        )

    def handle(self, *args, **options) -> None:
        verbosity = options["verbosity"]
        if demo_world_exists():
            if options["if_empty"]:
                count = Vendor.objects.count()
                self._say(
                    verbosity,
                    f"Not seeding: the database already holds {count} vendor(s). "
                    "Run `manage.py seed_demo --flush` to replace the demo data.",
                )
                return
            if not options["flush"]:
                raise CommandError(
                    "The database already holds vendors; seed_demo will not mix the demo into "
                    "them. Use --flush to delete the demo data and seed again, or --if-empty to "
                    "leave it as it is."
                )
        if options["flush"]:
            removed = demo_flush()
            self._say(verbosity, f"Flushed the demo data ({removed:,} tickets).")

        # The wall clock is read here only, so the world stays a function of its arguments; a
        # demo seeded at 04:00 must not hold tickets raised later that day.
        seeded_at = dt.datetime.now(dt.UTC)
        until = options["until"] or seeded_at.date()
        tickets = options["tickets"]
        bar = tqdm(
            total=tickets,
            unit="ticket",
            unit_scale=True,
            file=sys.stderr,
            disable=verbosity == 0 or not sys.stderr.isatty(),
            desc="Seeding demo",
        )
        with bar:
            summary = seed_demo_world(
                seed=options["seed"],
                tickets=tickets,
                months=options["months"],
                until=until,
                seeded_at=seeded_at,
                progress=bar.update,
            )

        # Beyond tickets: the same "now" as the tickets, so nothing lies after the seeding.
        now = min(
            dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0), UTC),
            seeded_at.astimezone(UTC),
        )
        assurance = seed_assurance(seed=options["seed"], first_day=summary.first_day, now=now)
        ratings = seed_review_ratings(seed=options["seed"], first_day=summary.first_day, now=now)
        bands = seed_reference_bands()

        self._say(
            verbosity,
            f"Seeded the demo world from {summary.first_day} to {summary.last_day} "
            f"(seed {options['seed']}) in {summary.seconds:.1f} s:\n"
            f"  {summary.vendors} vendors, {summary.technicians} technicians, "
            f"{summary.tickets:,} tickets, {summary.events:,} events, "
            f"{summary.surveys:,} survey answers, {summary.outages} outages, "
            f"{summary.invoices} invoices,\n"
            f"  {assurance.audits} security audits with {assurance.findings} findings "
            f"({assurance.fixes} fixes reported), {assurance.deliverables} deliverables, "
            f"{ratings} review ratings, {bands} reference bands",
        )
        for username, role in summary.logins:
            self._say(verbosity, f"  login {username:<8} password {DEMO_PASSWORD}  ({role})")

    def _say(self, verbosity: int, message: str) -> None:
        if verbosity > 0:
            self.stdout.write(message)
