"""API benchmark: p50/p95 of the scorecard, ticket and breach lists as a logged-in manager.

Target: p95 < 50 ms with 1,000,000 tickets (e.g. the world bench_recompute.py builds and
recomputes). Runs against whatever DATABASE_URL names; the database must be migrated and hold
stored scorecards (seed_demo + recompute_scorecards --all, or bench_recompute.py):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_bench \\
        .venv/bin/python bench/bench_api.py [--requests 400]

Requests go through the whole Django stack in-process (middleware, session, DRF, JSON), mixing
the default page, technicians' scorecards, chosen metrics and one vendor's history, plus the
newest tickets and breaches of every vendor (cursor pages that must not read the whole table).
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

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Group  # noqa: E402
from django.test import Client  # noqa: E402
from machine import machine  # noqa: E402

from common.roles import MANAGER  # noqa: E402
from scorecards.models import Scorecard  # noqa: E402
from tickets.models import Ticket  # noqa: E402
from vendors.models import Vendor  # noqa: E402

TARGET_P95_MS = 50.0


def manager_client() -> Client:
    user, _ = get_user_model().objects.get_or_create(username="bench-api-manager")
    user.groups.add(Group.objects.get_or_create(name=MANAGER)[0])
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()

    tickets = Ticket.objects.count()
    cards = Scorecard.objects.count()
    print(f"machine: {machine()}")
    print(f"data: {tickets:,} tickets, {cards:,} stored scorecards")
    if not cards:
        print("no stored scorecards: run recompute_scorecards --all first")
        return 2
    vendor = Vendor.objects.order_by("pk").first()
    urls = [
        "/api/v1/scorecards/",
        "/api/v1/scorecards/?subject_kind=technician&page_size=50",
        "/api/v1/scorecards/?metrics=sla_compliance_pct,mttr,cost_per_ticket,csat_pct",
        f"/api/v1/scorecards/?vendor={vendor.pk}&period_kind=week",
        "/api/v1/tickets/",
        "/api/v1/breaches/",
    ]
    client = manager_client()
    for url in urls:  # warm-up: connections, caches, imports
        assert client.get(url).status_code == 200, url
    timings: dict[str, list[float]] = {url: [] for url in urls}
    for i in range(args.requests):
        url = urls[i % len(urls)]
        start = time.perf_counter()
        response = client.get(url)
        timings[url].append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)

    def line(name: str, values: list[float]) -> str:
        q = statistics.quantiles(values, n=100, method="inclusive")
        worst = max(values)
        return f"{name}: n={len(values)} p50={q[49]:.1f} ms p95={q[94]:.1f} ms max={worst:.1f} ms"

    for url, values in timings.items():
        print(line(url, values))
    everything = [v for values in timings.values() for v in values]
    p95 = statistics.quantiles(everything, n=100, method="inclusive")[94]
    print(line("all", everything))
    verdict = "met" if p95 < TARGET_P95_MS else "MISSED"
    print(f"target p95 < {TARGET_P95_MS:.0f} ms (at 1,000,000 tickets): {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
