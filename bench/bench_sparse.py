"""Recompute benchmark on SQLite: a sparse history, and the `make demo` path.

    .venv/bin/python bench/bench_sparse.py         # 5,000 tickets, 4 years, ended 2 years ago
    .venv/bin/python bench/bench_sparse.py --demo  # make demo: seed 50,000 tickets, recompute

Each run seeds a fresh SQLite file (DATABASE_URL, default /tmp/vs_bench_sparse.sqlite3) with
`seed_demo --flush`, then runs `recompute_scorecards --all` the way `make demo` does, and prints
the seconds (wall and CPU) and the stored figures per ticket beside their targets (issue 17):

- sparse: recompute under 3 s, under 25 stored figures per ticket;
- demo: seed plus recompute within 30 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("DATABASE_URL", "sqlite:////tmp/vs_bench_sparse.sqlite3")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from machine import cpu_seconds, machine  # noqa: E402

from scorecards.models import MetricValue  # noqa: E402
from tickets.models import Ticket  # noqa: E402


def timed(label: str, *args) -> tuple[float, float]:
    wall, (cpu, _) = time.perf_counter(), cpu_seconds()
    call_command(*args, verbosity=0)
    wall, cpu = time.perf_counter() - wall, cpu_seconds()[0] - cpu
    print(f"{label}: {wall:.1f} s wall, {cpu:.1f} CPU-s")
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--demo", action="store_true", help="the make demo path instead")
    args = parser.parse_args()
    if connection.vendor != "sqlite":
        sys.exit("This measures the embedded SQLite path; leave DATABASE_URL unset.")
    call_command("migrate", verbosity=0)
    print(f"machine: {machine()}")
    if args.demo:
        seed = ["seed_demo", "--flush"]
    else:
        until = dt.date.today() - dt.timedelta(days=730)
        seed = ["seed_demo", "--flush", "--tickets", "5000", "--months", "48", "--until"]
        seed.append(until.isoformat())
    seed_wall, _ = timed(" ".join(seed), *seed)
    MetricValue.objects.all().delete()
    wall, cpu = timed("recompute_scorecards --all", "recompute_scorecards", "--all")
    tickets = Ticket.objects.count()
    figures = MetricValue.objects.count()
    by_kind = dict(
        MetricValue.objects.values_list("subject_kind").annotate(n=Count("id")).order_by()
    )
    print(f"{tickets:,} tickets, {figures:,} stored figures: {figures / tickets:.1f} per ticket")
    print("  by subject: " + ", ".join(f"{k} {n:,}" for k, n in sorted(by_kind.items())))
    if args.demo:
        total = seed_wall + wall
        print(f"make demo: seed + recompute {total:.1f} s (target <= 30 s)")
    else:
        print(f"sparse recompute: {wall:.1f} s wall, {cpu:.1f} CPU-s (target < 3 s)")
        print(f"sparse figures per ticket: {figures / tickets:.1f} (target < 25)")


if __name__ == "__main__":
    main()
