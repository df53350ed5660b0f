"""Page benchmark: server-side time of the portfolio, vendor, team, technician, breaches,
ticket and review-pack pages.

Usage (any database seeded by `seed_demo` and recomputed, e.g. with 1,000,000 tickets):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_bench \\
        .venv/bin/python bench/bench_pages.py [--requests 200] [--warmup 10] [--period 2026-10]

Each page is fetched with the Django test client, logged in as a manager (a superuser made
for the run if no manager exists), `--warmup` times and then `--requests` times; it prints the
p50 / p95 / max milliseconds and the queries per request, with the machine it ran on.
Target: p95 < 150 ms at 1,000,000 tickets. Pages read stored figures only, so the time should
not depend on the ticket count.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from machine import machine  # noqa: E402

from common.roles import MANAGER  # noqa: E402
from scorecards.models import Scorecard  # noqa: E402
from tickets.models import Ticket  # noqa: E402
from vendors.models import Technician, Vendor  # noqa: E402

TARGET_P95_MS = 150.0


def manager_user():
    users = get_user_model().objects
    user = users.filter(groups__name=MANAGER, is_active=True).first()
    if user is None:
        user, _ = users.get_or_create(
            username="bench-pages", defaults={"is_superuser": True, "is_staff": True}
        )
    return user


def pick_pages(period: str | None) -> tuple[str, list[tuple[str, str]]]:
    """The busiest vendor (most technicians) and its busiest technician, for the latest month
    with stored scores unless a period is given."""
    if period is None:
        latest = (
            Scorecard.objects.filter(subject_kind="vendor", period_kind="month")
            .order_by("-period_start")
            .values_list("period_start", flat=True)
            .first()
        )
        if latest is None:
            sys.exit("No stored scorecards: run seed_demo and recompute_scorecards --all first.")
        period = f"{latest:%Y-%m}"
    vendors = list(Vendor.objects.filter(active=True))
    if not vendors:
        sys.exit("No vendors: run seed_demo first.")
    counts = {v.pk: Technician.objects.filter(vendor=v).count() for v in vendors}
    vendor = max(vendors, key=lambda v: counts[v.pk])
    technician = Technician.objects.filter(vendor=vendor).order_by("pk").first()
    query = f"?kind=month&period={period}"
    pages = [
        ("portfolio", reverse("portfolio") + query),
        ("vendor", reverse("vendor", args=[vendor.slug]) + query),
        ("team", reverse("team", args=[vendor.slug]) + query),
    ]
    if technician is not None:
        pages.append(
            ("technician", reverse("technician", args=[vendor.slug, technician.pk]) + query)
        )
    # Pages that read tickets themselves (bounded by vendor and time): the breach list with its
    # heat map, a breached ticket, and the month's review pack.
    pages.append(("breaches", reverse("breaches") + query + f"&vendor={vendor.pk}"))
    breached = Ticket.objects.filter(vendor=vendor, resolution_met=False).order_by("-pk").first()
    if breached is not None:
        pages.append(("ticket", reverse("ticket", args=[breached.pk])))
    pages.append(("review pack", reverse("pack", args=[vendor.slug, period])))
    return period, pages


def measure(client: Client, url: str, *, warmup: int, requests: int) -> dict:
    for _ in range(warmup):
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"{url} answered {response.status_code}")
    times, queries = [], []
    for _ in range(requests):
        reset_queries()
        start = time.perf_counter()
        client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        queries.append(len(connection.queries))
    times.sort()
    return {
        "p50": statistics.median(times),
        "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
        "max": times[-1],
        "queries": max(queries),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--period", help="YYYY-MM (default: the latest month with scores)")
    args = parser.parse_args()
    settings.DEBUG = True  # connection.queries counts the queries of each request
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    client = Client()
    client.force_login(manager_user())
    period, pages = pick_pages(args.period)
    tickets = Ticket.objects.count()
    print(f"Page benchmark: {tickets:,} tickets, period {period}")
    print(f"Machine: {machine()}")
    print(f"{args.warmup} warm-up + {args.requests} timed requests per page, server side\n")
    print(f"{'page':<11} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}  url")
    worst = 0.0
    for name, url in pages:
        r = measure(client, url, warmup=args.warmup, requests=args.requests)
        worst = max(worst, r["p95"])
        times = f"{r['p50']:>8.1f} {r['p95']:>8.1f} {r['max']:>8.1f}"
        print(f"{name:<11} {times} {r['queries']:>8}  {url}")
    verdict = "meets" if worst < TARGET_P95_MS else "MISSES"
    print(f"\nWorst p95 {worst:.1f} ms: {verdict} the target of p95 < {TARGET_P95_MS:.0f} ms.")


if __name__ == "__main__":
    main()
