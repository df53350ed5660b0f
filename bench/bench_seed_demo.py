"""Benchmark: `seed_demo --flush` with N tickets on the database DATABASE_URL names.

    DATABASE_URL=postgres://... .venv/bin/python bench/bench_seed_demo.py [N] [seed_demo args]

N defaults to 1,000,000; the target is "minutes" on PostgreSQL. The history ends on a fixed day
(2026-10-31) unless --until is given, so runs compare. Prints the machine, the wall time,
tickets per second and the row counts.
"""

from __future__ import annotations

import os
import platform
import sys
import time
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

from tickets.models import Outage, SurveyResponse, Ticket, TicketEvent  # noqa: E402
from vendors.models import Invoice, Technician, Vendor  # noqa: E402


def database() -> str:
    version = ".".join(str(part) for part in connection.get_database_version())
    return f"{connection.vendor} {version} ({connection.settings_dict['NAME']})"


def main(argv: list[str]) -> None:
    tickets = int(argv[0].replace(",", "").replace("_", "")) if argv else 1_000_000
    extra = argv[1:]
    if "--until" not in extra:
        extra += ["--until", "2026-10-31"]
    print(f"machine   {platform.platform()}, {os.cpu_count()} CPUs, {platform.processor() or '?'}")
    print(f"python    {platform.python_implementation()} {platform.python_version()}")
    print(f"database  {database()}")
    print(f"command   seed_demo --flush --tickets {tickets:,} {' '.join(extra)}")
    started = time.perf_counter()
    call_command("seed_demo", "--flush", "--tickets", str(tickets), *extra)
    elapsed = time.perf_counter() - started
    print(f"wall time {elapsed:,.1f} s ({elapsed / 60:.1f} min)")
    print(f"rate      {tickets / elapsed:,.0f} tickets/s")
    for model in (Vendor, Technician, Ticket, TicketEvent, SurveyResponse, Outage, Invoice):
        print(f"  {model._meta.verbose_name_plural:<18} {model.objects.count():>12,}")


if __name__ == "__main__":
    main(sys.argv[1:])
