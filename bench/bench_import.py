"""Benchmark: import N tickets of our own mapped CSV format into the DATABASE_URL database.

    createdb -h 127.0.0.1 -U postgres vendorscore_import_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vendorscore_import_bench \\
        .venv/bin/python bench/bench_import.py [N] [--batch-size B] [--file PATH]
    dropdb -h 127.0.0.1 -U postgres vendorscore_import_bench

N defaults to 1,000,000. The tickets (gzip CSV, written with `mapped.write_ours`) are a pure
function of N and the seed: five groups of one vendor each on METRICS.md's default policy
(London office hours with bank holidays, P1 24x7), a year of history, ~4.5 events per ticket.
The database is migrated, the bench's own tickets removed, then the file is imported twice:
the first run creates every ticket, the second finds them all unchanged. Targets (issue 17):
at least 20,000 tickets/s (aim 50,000), under 400 MB peak memory (this process's maximum
resident set size), re-import of unchanged tickets at least 60,000/s.

Each run also prints where the CPU went (Linux): this process's CPU seconds (reading,
facts, formatting) and PostgreSQL's, read from /proc for the server
processes of this database only (the machine may be shared). Their sum over the cores is the
floor of the run's wall time. Then a table of CPU seconds per million tickets by step: our
steps timed alone on a sample of the file, PostgreSQL's by writing a sample of the imported
tickets again in a transaction rolled back, each statement measured on its backend.

--row-triggers checks references by PostgreSQL's per-row triggers (as before) instead of the
set-based check.
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
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from operator import attrgetter
from pathlib import Path
from types import SimpleNamespace

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Production settings: with DEBUG on Django would also format and keep every query's SQL.
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from machine import cpu_seconds, machine  # noqa: E402

from common.bulk import fewer_collections  # noqa: E402
from tickets.ingest import mapped, one_row, sources  # noqa: E402
from tickets.ingest.derive import DraftBuilder, validate  # noqa: E402
from tickets.ingest.records import SurveyRecord, TicketRecord  # noqa: E402
from tickets.ingest.services import (  # noqa: E402
    attribution_rule_set,
    import_file,
    import_options,
)
from tickets.ingest.tables import (  # noqa: E402
    EVENT_COLUMNS,
    SURVEY_COLUMNS,
    TICKET_COLUMNS,
    TicketTables,
)
from tickets.models import (  # noqa: E402
    AttributionRule,
    ImportRun,
    SurveyResponse,
    Ticket,
    TicketEvent,
)
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
AIM_RATE = 50_000
TARGET_MB = 400
TARGET_REIMPORT = 60_000
SAMPLE = 50_000  # tickets the per-step table is measured on (scaled to a million)
UTC = dt.UTC
_ticket_row = attrgetter(*TICKET_COLUMNS)


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


def our_cpu() -> tuple[float, float | None]:
    """cpu_seconds() with child processes counted (the import has none today)."""
    own, busy = cpu_seconds()
    times = os.times()
    return own + times.children_user + times.children_system, busy


def used_since(before: tuple) -> tuple[float, float | None]:
    """CPU seconds (this process, the whole machine) since `before`
    (our_cpu())."""
    now = our_cpu()
    busy = None if now[1] is None or before[1] is None else now[1] - before[1]
    return now[0] - before[0], busy


def peak_mb() -> tuple[float, float]:
    """Peak resident memory (MB) of this process and of its largest child process so far."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own / 1024, children / 1024  # KiB on Linux


def _proc_stat(pid: int) -> tuple[int, float] | None:
    """(start time in ticks, user + system CPU seconds) of a process (Linux /proc), None if
    it is gone. The start time tells a pid's processes apart when the pid is reused."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[19]), (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_cpu(pid: int) -> float:
    stat = _proc_stat(pid)
    return 0.0 if stat is None else stat[1]


class DatabaseCpu:
    """CPU seconds of the PostgreSQL processes serving this database (its backends and its
    autovacuum workers, on this machine), polled from /proc so that a backend that ends is
    counted up to its last poll. Other databases' work (the machine is shared) is not counted;
    the server's shared background writers are not either (a few per cent)."""

    def __init__(self, name: str, every: float = 0.1) -> None:
        self.name, self.every = name.encode(), every
        self.ours: dict[tuple[int, int], bool] = {}  # (pid, start) -> serves this database
        self.start: dict[tuple[int, int], float] = {}
        self.last: dict[tuple[int, int], float] = {}
        self.stopped = threading.Event()
        self.own_cpu = 0.0
        self.available = Path("/proc/self/stat").exists()
        self._poll(first=True)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _poll(self, first: bool = False) -> None:
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit():
                continue
            stat = _proc_stat(int(entry.name))
            if stat is None:
                continue
            key = (int(entry.name), stat[0])
            if key not in self.ours:
                try:
                    words = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").split()
                except OSError:
                    continue
                self.ours[key] = bool(words) and words[0] == b"postgres:" and self.name in words
            if self.ours[key]:
                self.last[key] = stat[1]
                if first:
                    self.start[key] = stat[1]

    def _run(self) -> None:
        while not self.stopped.wait(self.every):
            self._poll()
        self.own_cpu = time.thread_time()  # this process's CPU spent polling, not importing

    def stop(self) -> float | None:
        self.stopped.set()
        self.thread.join()
        self._poll()
        if not self.available:
            return None
        return sum(cpu - self.start.get(key, 0.0) for key, cpu in self.last.items())


@dataclass
class Run:
    label: str
    run: ImportRun
    own: float  # this process's CPU seconds
    db: float | None  # the database's (DatabaseCpu)
    busy: float | None  # the whole machine's

    def rate(self, count: int) -> float:
        return count / self.run.seconds


def measured_import(label: str, path: Path, batch_size: int) -> Run:
    before = our_cpu()
    db = DatabaseCpu(connection.settings_dict["NAME"])
    run = import_file(path, source=SOURCE, format="mapped", batch_size=batch_size)
    db_cpu = db.stop()
    own, busy = used_since(before)
    return Run(label, run, own - db.own_cpu, db_cpu, busy)


def report(r: Run, count: int, target: int) -> None:
    rate = r.rate(count)
    met = "met" if rate >= target else "NOT met"
    print(
        f"{r.label:<9} {r.run.seconds:,.1f} s = {rate:,.0f} tickets/s (target >= {target:,}: {met})"
    )
    db = "n/a" if r.db is None else f"{r.db:,.1f} s"
    line = f"          CPU: this process {r.own:,.1f} s, PostgreSQL {db}"
    if r.busy is not None:
        line += f"; the whole machine {r.busy:,.1f} s, {r.busy / r.run.seconds:.2f} of "
        line += f"{os.cpu_count()} cores busy (other work on a shared machine counts there)"
    print(line)
    per = 1e6 / count
    total = r.own + (r.db or 0.0)
    print(
        f"          CPU-s per million: this process {r.own * per:,.1f}, PostgreSQL "
        f"{(r.db or 0.0) * per:,.1f}, together {total * per:,.1f}"
    )
    run = r.run
    print(
        f"          created {run.tickets_created:,}, updated {run.tickets_updated:,}, "
        f"unchanged {run.tickets_unchanged:,}, rejected {run.tickets_rejected:,}, "
        f"unmapped {run.tickets_unmapped:,}"
    )


# --- where the CPU goes, step by step ------------------------------------------------------------


def _thread_cpu(step: Callable[[], object]) -> tuple[float, object]:
    started = time.thread_time()
    result = step()
    return time.thread_time() - started, result


def process_steps(path: Path, sample: int) -> dict[str, float]:
    """This process's CPU seconds of the import's own steps, run alone on the file's first
    `sample` tickets (nothing written)."""
    _, options = import_options(source=SOURCE, format="mapped", options={})

    def read() -> list:
        records = sources.read(path, format="mapped", options=options, name=path.name)
        return list(islice(records, sample))

    read_cpu, records = _thread_cpu(read)
    rules = {
        value: (vendor_id, contract_id)
        for value, vendor_id, contract_id in AttributionRule.objects.filter(
            source=SOURCE
        ).values_list("value", "vendor_id", "contract_id")
    }
    builder = DraftBuilder(source=SOURCE, now=timezone.now(), reject=[].append)
    for record in records[:1]:  # the run's clocks and technicians read before timing
        builder.prepare(record, *rules[record.attribution])

    def derive() -> list:
        work = []
        for record in records:
            if validate(record) is None:
                work.append(builder.prepare(record, *rules[record.attribution]))
        return work

    derive_cpu, work = _thread_cpu(derive)
    for n, w in enumerate(work, 1):
        w.draft.id = n  # as if from the sequence: the timing takes no ids from it
    tables = TicketTables(source=SOURCE, postgres=True)

    def formatted() -> None:
        for start in range(0, len(work), 2000):
            batch = work[start : start + 2000]
            events, surveys = tables.child_rows(batch)
            rows = ((w.draft.id, *_ticket_row(w.draft)) for w in batch)
            tables.format(Ticket, ["id", *TICKET_COLUMNS], rows)
            tables.format(TicketEvent, EVENT_COLUMNS, events)
            tables.format(SurveyResponse, SURVEY_COLUMNS, surveys)

    format_cpu, _ = _thread_cpu(formatted)
    return {"read": read_cpu, "derive": derive_cpu, "format": format_cpu}


class _Rollback(Exception):
    pass


def database_steps(sample: int) -> tuple[dict[str, float], bool]:
    """PostgreSQL's CPU seconds per step of writing `sample` of the imported tickets again
    (as copies under other ids, in one transaction rolled back at the end), read from its
    backend's /proc entry around each statement; and whether the import checks references as
    sets (True) or by the per-row triggers."""
    tables = TicketTables(source=SOURCE, postgres=True)
    set_based = tables.set_based_checks()
    ticket, event, survey = (_quoted(m) for m in (Ticket, TicketEvent, SurveyResponse))
    indexes = ", ".join(connection.ops.quote_name(i.name) for i in Ticket._meta.indexes)
    steps: dict[str, float] = {}
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]

            def cpu(name: str, sql: str, params=()) -> None:
                before = _proc_cpu(pid)
                cursor.execute(sql, params)
                steps[name] = steps.get(name, 0.0) + _proc_cpu(pid) - before

            cursor.execute(
                f"CREATE TEMP TABLE bench_t ON COMMIT DROP AS SELECT * FROM {ticket} "
                "WHERE source = %s ORDER BY id LIMIT %s",
                [SOURCE, sample],
            )
            cursor.execute("UPDATE bench_t SET id = -id, external_id = external_id || '~'")
            cursor.execute(
                f"CREATE TEMP TABLE bench_e ON COMMIT DROP AS SELECT e.* FROM {event} e "
                "JOIN bench_t t ON e.ticket_id = -t.id"
            )
            cursor.execute("UPDATE bench_e SET ticket_id = -ticket_id, id = -id")
            cursor.execute(
                f"CREATE TEMP TABLE bench_s ON COMMIT DROP AS SELECT s.* FROM {survey} s "
                "JOIN bench_t t ON s.ticket_id = -t.id"
            )
            cursor.execute("UPDATE bench_s SET ticket_id = -ticket_id, id = -id")
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the triggers' work in the step
            replica = "SET LOCAL session_replication_role = replica"
            origin = "SET LOCAL session_replication_role = origin"
            insert_t = f"INSERT INTO {ticket} SELECT * FROM bench_t"
            cursor.execute("SAVEPOINT bench")
            if set_based:
                cursor.execute(replica)
                cursor.execute(f"DROP INDEX {indexes}")
                cpu("ticket rows", insert_t)
                cursor.execute("ROLLBACK TO SAVEPOINT bench")
                cursor.execute(replica)
                cpu("ticket indexes", insert_t)
                steps["ticket indexes"] -= steps["ticket rows"]
                cursor.execute("ROLLBACK TO SAVEPOINT bench")
                cursor.execute(origin)
            cpu("ticket foreign keys", insert_t)
            if set_based:
                steps["ticket foreign keys"] -= steps["ticket indexes"] + steps["ticket rows"]
                cursor.execute(replica)
                cursor.execute("SAVEPOINT events")
                cpu("event rows", f"INSERT INTO {event} SELECT * FROM bench_e")
                cursor.execute("ROLLBACK TO SAVEPOINT events")
                cursor.execute(origin)
            cpu("event foreign key", f"INSERT INTO {event} SELECT * FROM bench_e")
            if set_based:
                steps["event foreign key"] -= steps["event rows"]
            cpu("survey rows", f"INSERT INTO {survey} SELECT * FROM bench_s")
            if set_based:
                cursor.execute(
                    "SELECT id, vendor_id, contract_id, technician_id, response_technician_id "
                    "FROM bench_t ORDER BY id"
                )
                rows = cursor.fetchall()
                before = _proc_cpu(pid)
                for start in range(0, len(rows), 2000):
                    batch = [
                        SimpleNamespace(
                            draft=SimpleNamespace(
                                id=r[0],
                                vendor_id=r[1],
                                contract_id=r[2],
                                technician_id=r[3],
                                response_technician_id=r[4],
                            )
                        )
                        for r in rows[start : start + 2000]
                    ]
                    tables.check_references(cursor, batch)
                steps["set-based check"] = _proc_cpu(pid) - before
            raise _Rollback
    except _Rollback:
        pass
    return steps, set_based


def _quoted(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def steps_table(
    first: Run,
    count: int,
    own: dict[str, float],
    db: dict[str, float],
    set_based: bool,
    sample: int,
) -> None:
    """The CPU seconds per million tickets of each step of the first import."""
    per_sample = 1e6 / sample
    per_run = 1e6 / count
    print(
        f"CPU-s per million tickets by step (steps timed alone on {sample:,} tickets; "
        "totals and 'the rest' from the import itself)"
    )
    rows = [
        ("our process", "read: CSV, times, events synthesised", own["read"] * per_sample),
        ("", "derive: checks, facts, SLA clock", own["derive"] * per_sample),
        ("", "format binary COPY rows", own["format"] * per_sample),
    ]
    steps = sum(v for _, _, v in rows)
    rows.append(
        (
            "",
            "the rest: lookups, batches, counting",
            first.own * per_run - steps,
        )
    )
    rows.append(("", "total", first.own * per_run))
    fk_note = " [off]" if set_based else ""
    pg = []
    if set_based:
        pg += [
            (
                "PostgreSQL",
                "ticket rows: heap, primary key, unique",
                db["ticket rows"] * per_sample,
            ),
            (
                "",
                f"ticket indexes ({len(Ticket._meta.indexes)})",
                db["ticket indexes"] * per_sample,
            ),
        ]
    else:
        pg += [
            (
                "PostgreSQL",
                "ticket rows, indexes, per-row FK triggers",
                db["ticket foreign keys"] * per_sample,
            )
        ]
    if set_based:
        pg += [
            (
                "",
                "ticket FK triggers, per row (4)" + fk_note,
                db["ticket foreign keys"] * per_sample,
            ),
            ("", "event rows: heap, index", db["event rows"] * per_sample),
            ("", "event FK trigger, per row" + fk_note, db["event foreign key"] * per_sample),
            ("", "survey rows", db["survey rows"] * per_sample),
            ("", "set-based reference check", db["set-based check"] * per_sample),
        ]
        done = sum(v for (_, name, v) in pg if "[off]" not in name)
    else:
        pg += [
            ("", "event rows, index, per-row FK trigger", db["event foreign key"] * per_sample),
            ("", "survey rows", db["survey rows"] * per_sample),
        ]
        done = sum(v for _, _, v in pg)
    if first.db is not None:
        pg.append(
            ("", "the rest: lookups, ids, commits, repeats, ANALYZE", first.db * per_run - done)
        )
        pg.append(("", "total", first.db * per_run))
    for side, name, value in rows + pg:
        print(f"  {side:<11} {name:<56} {value:7.1f}")
    if set_based:
        print("  [off]: what the per-row triggers would cost; the import checks as sets instead")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tickets", nargs="?", default="1000000")
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--file", type=Path, help="Keep the generated file here; reuse it.")
    parser.add_argument("--no-steps", action="store_true", help="Skip the per-step table.")
    parser.add_argument(
        "--row-triggers",
        action="store_true",
        help="Check references by PostgreSQL's per-row triggers, as before the set-based check.",
    )
    args = parser.parse_args()
    if args.row_triggers:
        TicketTables.set_based_checks = lambda self: False  # type: ignore[method-assign]
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
        first = measured_import("import", path, args.batch_size)
        report(first, count, TARGET_RATE)
        print(f"          (aim {AIM_RATE:,} tickets/s)")
        peak = peak_mb()  # the re-import reads the same file and writes nothing: no higher
        again = measured_import("re-import", path, args.batch_size)
        report(again, count, TARGET_REIMPORT)
        total = peak[0]  # the only child process is machine()'s `uname`
        print(
            f"peak RSS  {total:,.0f} MB during the import (target < {TARGET_MB} MB: "
            f"{'met' if total < TARGET_MB else 'NOT met'})"
        )
        if not args.no_steps and connection.vendor == "postgresql":
            sample = min(SAMPLE, count)
            with fewer_collections():  # as the import itself runs its steps
                own = process_steps(path, sample)
            db, set_based = database_steps(sample)
            steps_table(first, count, own, db, set_based, sample)


if __name__ == "__main__":
    main()
