"""Benchmark: import N tickets of our own mapped CSV format into the DATABASE_URL database.

    createdb -h 127.0.0.1 -U postgres vendorscore_import_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vendorscore_import_bench \\
        .venv/bin/python bench/bench_import.py [N] [--batch-size B] [--file PATH]
    dropdb -h 127.0.0.1 -U postgres vendorscore_import_bench

N defaults to 1,000,000. The tickets (gzip CSV, written with `mapped.write_ours`) are a pure
function of N and the seed: five groups of one vendor each on METRICS.md's default policy
(London office hours with bank holidays, P1 24x7), a year of history, ~4.5 events per ticket.
The database is migrated, the bench's own tickets removed, then the file is imported twice:
the first run creates every ticket, the second finds them all unchanged. Targets: at least
20,000 tickets/s and under 400 MB peak memory (the process's maximum resident set size).

Each run also prints where the CPU went (Linux): this process's CPU seconds (reading, facts,
formatting) and the rest of the machine's busy seconds, which on a machine doing nothing else
is PostgreSQL's work. Their sum over the cores is the floor of the run's wall time: if it is
near the wall time, the run is bound by the CPU, not by waiting.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import os
import random
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Production settings: with DEBUG on Django would also format and keep every query's SQL.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from machine import cpu_seconds, machine  # noqa: E402

from tickets.ingest import mapped, one_row  # noqa: E402
from tickets.ingest.records import SurveyRecord, TicketRecord  # noqa: E402
from tickets.ingest.services import attribution_rule_set, import_file  # noqa: E402
from tickets.models import ImportRun, SurveyResponse, Ticket, TicketEvent  # noqa: E402
from vendors.models import (  # noqa: E402
    BusinessCalendar,
    Contract,
    OpenInterval,
    SlaPolicy,
    SlaTarget,
    Vendor,
)

SOURCE = "bench-import"
GROUPS = [f"Bench group {n}" for n in range(1, 6)]
TARGET_RATE = 20_000
TARGET_MB = 400
UTC = dt.UTC


def tickets(count: int, seed: int = 7) -> Iterator[TicketRecord]:
    """`count` tickets over 2025, in creation order, as a one-row export would hold them."""
    rng = random.Random(seed)
    start = dt.datetime(2025, 1, 1, tzinfo=UTC)
    span = 365 * 86_400
    priorities = ["P1", "P2", "P3", "P4"]
    statuses = ["resolved", "closed", "in_progress", "pending_customer"]
    for n in range(count):
        created = start + dt.timedelta(seconds=span * n // count + rng.randrange(60))
        status = rng.choices(statuses, (45, 45, 7, 3))[0]
        done = status in ("resolved", "closed")
        resolved = created + dt.timedelta(seconds=rng.randrange(600, 4 * 86_400)) if done else None
        closed = resolved + dt.timedelta(days=2) if status == "closed" else None
        updated = closed or resolved or created + dt.timedelta(hours=rng.randrange(1, 30))
        responded = created + dt.timedelta(seconds=rng.randrange(60, 6 * 3600))
        survey = None
        if resolved is not None and rng.random() < 0.25:
            survey = SurveyRecord(rng.choice((1, 3, 4, 5, 5)), resolved + dt.timedelta(hours=3))
        group = rng.choice(GROUPS)
        yield one_row.one_row_ticket(
            row=n + 2,
            external_id=f"BENCH-{n:08d}",
            attribution=group,
            priority=rng.choices(priorities, (5, 20, 50, 25))[0],
            status=status,
            created_at=created,
            updated_at=updated,
            resolved_at=resolved,
            closed_at=closed,
            first_response_at=min(responded, updated),
            technician=f"{group} technician {rng.randrange(14)}",
            category=f"Category {rng.randrange(40)}",
            requester=f"user{rng.randrange(40_000)}@customer.example",
            channel=rng.choice(("email", "phone", "portal", "chat")),
            title="Something does not work",
            escalated=rng.random() < 0.08,
            survey=survey,
        )


def write_file(path: Path, count: int) -> None:
    with gzip.open(path, "wt", encoding="utf-8", newline="", compresslevel=1) as out:
        mapped.write_ours(tickets(count), out)


def reference_data() -> None:
    """One vendor per group on METRICS.md's default policy, and a rule mapping each group."""
    calendar, created = BusinessCalendar.objects.get_or_create(
        name="Bench London office",
        defaults={
            "time_zone": "Europe/London",
            "holiday_country": "GB",
            "holiday_subdivision": "ENG",
        },
    )
    if created:
        for day in range(5):
            OpenInterval.objects.create(
                calendar=calendar, weekday=day, start=dt.time(9), end=dt.time(17)
            )
    policy, created = SlaPolicy.objects.get_or_create(
        name="Bench default targets", defaults={"calendar": calendar}
    )
    if created:
        targets = {"P1": (15, 240, True), "P2": (60, 480, False)}
        targets |= {"P3": (240, 1440, False), "P4": (480, 2400, False)}
        for priority, (response, resolution, always) in targets.items():
            SlaTarget.objects.create(
                policy=policy,
                priority=priority,
                response_minutes=response,
                resolution_minutes=resolution,
                always_open=always,
            )
    for n, group in enumerate(GROUPS, 1):
        vendor, _ = Vendor.objects.get_or_create(
            name=f"Bench vendor {n}", defaults={"slug": f"bench-vendor-{n}"}
        )
        contract, _ = Contract.objects.get_or_create(
            vendor=vendor,
            name="Bench service desk",
            defaults={
                "start_date": dt.date(2024, 1, 1),
                "sla_policy": policy,
                "monthly_fee": 10_000,
            },
        )
        attribution_rule_set(source=SOURCE, value=group, vendor=vendor, contract=contract)


def remove_bench_tickets() -> None:
    """Earlier runs' tickets go first, in SQL (the ORM would load a million rows to cascade)."""
    ticket = connection.ops.quote_name(Ticket._meta.db_table)
    with connection.cursor() as cursor:
        for model in (TicketEvent, SurveyResponse):
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(
                f"DELETE FROM {table} WHERE ticket_id IN "
                f"(SELECT id FROM {ticket} WHERE source = %s)",
                [SOURCE],
            )
        cursor.execute(f"DELETE FROM {ticket} WHERE source = %s", [SOURCE])
    ImportRun.objects.filter(source=SOURCE).delete()


def database() -> str:
    version = ".".join(str(part) for part in connection.get_database_version())
    return f"{connection.vendor} {version} ({connection.settings_dict['NAME']})"


def used_since(before: tuple) -> tuple[float, float | None]:
    """CPU seconds (this process, the whole machine) since `before` (cpu_seconds())."""
    now = cpu_seconds()
    busy = None if now[1] is None or before[1] is None else now[1] - before[1]
    return now[0] - before[0], busy


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def report(label: str, run: ImportRun, count: int, cpu: tuple) -> float:
    rate = count / run.seconds
    print(f"{label:<9} {run.seconds:,.1f} s = {rate:,.0f} tickets/s")
    own, busy = cpu
    if busy is not None:
        cores = busy / run.seconds
        print(
            f"          CPU: this process {own:,.1f} s, the rest (the database) "
            f"{busy - own:,.1f} s; {cores:.2f} of {os.cpu_count()} cores busy"
        )
    print(
        f"          created {run.tickets_created:,}, updated {run.tickets_updated:,}, "
        f"unchanged {run.tickets_unchanged:,}, rejected {run.tickets_rejected:,}, "
        f"unmapped {run.tickets_unmapped:,}"
    )
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tickets", nargs="?", default="1000000")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--file", type=Path, help="Keep the generated file here; reuse it.")
    args = parser.parse_args()
    count = int(args.tickets.replace(",", "").replace("_", ""))

    print(f"machine   {machine()}")
    print(f"database  {database()}")
    call_command("migrate", verbosity=0)
    reference_data()
    remove_bench_tickets()

    with tempfile.TemporaryDirectory() as scratch:
        path = args.file or Path(scratch) / f"bench-{count}.csv.gz"
        if not path.exists():
            started = time.perf_counter()
            write_file(path, count)
            print(f"generated {count:,} tickets in {time.perf_counter() - started:.1f} s")
        print(f"file      {path.name}, {path.stat().st_size / 1e6:.1f} MB gzip")
        before = cpu_seconds()
        first = import_file(path, source=SOURCE, format="mapped", batch_size=args.batch_size)
        rate = report("import", first, count, used_since(before))
        peak = peak_mb()  # the re-import reads the same file and writes nothing: no higher
        before = cpu_seconds()
        again = import_file(path, source=SOURCE, format="mapped", batch_size=args.batch_size)
        report("re-import", again, count, used_since(before))

    print(f"peak RSS  {peak:,.0f} MB during the import ({peak_mb():,.0f} MB by the end)")
    print(
        f"targets   >= {TARGET_RATE:,} tickets/s: {'met' if rate >= TARGET_RATE else 'NOT met'}; "
        f"< {TARGET_MB} MB: {'met' if peak < TARGET_MB else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
