"""Scorecard recompute benchmark: 1,000,000 tickets, 20 vendors, 400 technicians, 24 months.

Usage (PostgreSQL; the database must be migrated and is emptied of bench data first):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_bench \\
        .venv/bin/python bench/bench_recompute.py [--tickets N] [--workers 2 | 1,2]

Tickets are generated in SQL with plausible derived facts (this measures aggregation, not
derivation: bench_seed_demo does that). It then times:
  0. the hand-written SQL floor: the figures' GROUP BY passes alone (issue 17);
  1. a full recompute of every vendor x week/month/quarter (target <= 15 s at 1M with 2
     workers, and <= 4x the floor);
  2. a recompute after 10,000 changed tickets, recent ones (target <= 2 s) and spread at
     random (target <= 5 s), of the dirty periods only.
With --workers N the vendors are shared among N processes, as N Celery workers would;
--workers 1,2 times the cold full recompute with one and then two (what one more worker buys).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DEBUG", "true")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, connections  # noqa: E402
from machine import cpu_seconds, machine  # noqa: E402

from scorecards.models import ClosedPeriod, DirtyPeriod, MetricValue, Scorecard  # noqa: E402
from scorecards.services import (  # noqa: E402
    figures_vacuum,
    periods_mark_dirty,
    scorecards_recompute_vendor,
)
from tickets.models import Ticket  # noqa: E402
from vendors.models import (  # noqa: E402
    BusinessCalendar,
    Contract,
    CreditTier,
    Invoice,
    OpenInterval,
    SlaPolicy,
    SlaTarget,
    Technician,
    Vendor,
)

VENDORS, TECHS_PER_VENDOR, MONTHS = 20, 20, 24
END = dt.date(2026, 11, 1)


def build_world(tickets: int) -> None:
    # Bench tickets have no events, so plain SQL deletes are safe and fast.
    vendors = Vendor.objects.filter(slug__startswith="bench-")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tickets_ticket WHERE source = 'bench'")
    for model in (MetricValue, DirtyPeriod, Invoice, CreditTier):
        model.objects.filter(
            **(
                {"contract__vendor__in": vendors}
                if model is CreditTier
                else {"vendor__in": vendors}
            )
        ).delete()
    Contract.objects.filter(vendor__in=vendors).delete()
    vendors.delete()
    calendar, _ = BusinessCalendar.objects.get_or_create(
        name="Bench London",
        defaults={
            "time_zone": "Europe/London",
            "holiday_country": "GB",
            "holiday_subdivision": "ENG",
        },
    )
    if not calendar.open_intervals.exists():
        for day in range(5):
            OpenInterval.objects.create(
                calendar=calendar, weekday=day, start=dt.time(9), end=dt.time(17)
            )
    policy, created = SlaPolicy.objects.get_or_create(name="Bench SLA", calendar=calendar)
    if created:
        for p, (resp, resol) in {
            "P1": (15, 240),
            "P2": (60, 480),
            "P3": (240, 1440),
            "P4": (480, 2400),
        }.items():
            SlaTarget.objects.create(
                policy=policy,
                priority=p,
                response_minutes=resp,
                resolution_minutes=resol,
                always_open=p == "P1",
            )
    start = dt.date(END.year - 2, END.month, 1)
    for i in range(VENDORS):
        vendor = Vendor.objects.create(name=f"Bench vendor {i:02d}", slug=f"bench-{i:02d}")
        contract = Contract.objects.create(
            vendor=vendor,
            name="Service desk",
            start_date=start,
            sla_policy=policy,
            monthly_fee=Decimal(20000 + 1000 * i),
            currency="EUR",
            target_cost_per_ticket=Decimal(10),
        )
        CreditTier.objects.create(
            contract=contract, metric="resolution_sla_pct", threshold=95, credit_pct=5
        )
        CreditTier.objects.create(
            contract=contract, metric="resolution_sla_pct", threshold=90, credit_pct=10
        )
        Technician.objects.bulk_create(
            Technician(vendor=vendor, name=f"Tech {i:02d}-{t:02d}") for t in range(TECHS_PER_VENDOR)
        )
        Invoice.objects.bulk_create(
            Invoice(
                vendor=vendor,
                contract=contract,
                period_start=_month(start, m),
                period_end=_month(start, m + 1) - dt.timedelta(days=1),
                amount=contract.monthly_fee,
                currency="EUR",
            )
            for m in range(MONTHS)
        )
    vendor_ids = list(
        Vendor.objects.filter(slug__startswith="bench-").order_by("pk").values_list("pk", flat=True)
    )
    contract_ids = list(
        Contract.objects.filter(vendor_id__in=vendor_ids)
        .order_by("vendor_id")
        .values_list("pk", flat=True)
    )
    tech_ids = list(
        Technician.objects.filter(vendor_id__in=vendor_ids)
        .order_by("vendor_id", "pk")
        .values_list("pk", flat=True)
    )
    # One INSERT .. SELECT: durations are random but consistent (met <=> before due).
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO tickets_ticket (
              source, external_id, source_version, vendor_id, contract_id, technician_id,
              response_technician_id, priority, category, requester, channel, status, title,
              created_at, first_response_at, resolved_at, closed_at, response_target_minutes,
              resolution_target_minutes, response_due_at, resolution_due_at, response_seconds,
              resolution_seconds, resolution_seconds_raw, paused_seconds, response_met,
              resolution_met, response_outcome_at, resolution_outcome_at, reopen_count,
              escalated, reassignment_count, reply_count, first_contact_resolution, repeat,
              facts_computed_at, response_excluded, resolution_excluded)
            SELECT 'bench', 'B' || g, '', v.vendor_id, v.contract_id, v.tech_id, v.tech_id,
              'P' || (1 + mod(g, 4)), 'Category ' || mod(g, 12), 'person-' || mod(g, 30000),
              'other',
              CASE WHEN open THEN 'in_progress' ELSE 'resolved' END, '',
              created, created + resp, CASE WHEN open THEN NULL ELSE created + resol END,
              NULL, 60, 480, created + interval '60 minutes', created + interval '8 hours',
              extract(epoch FROM resp)::int,
              CASE WHEN open THEN NULL ELSE extract(epoch FROM resol)::int END,
              CASE WHEN open THEN NULL ELSE extract(epoch FROM resol)::int END, 0,
              resp <= interval '60 minutes',
              CASE WHEN open AND created + interval '8 hours' > %(now)s THEN NULL
                   WHEN open THEN false ELSE resol <= interval '8 hours' END,
              CASE WHEN resp <= interval '60 minutes' THEN created + resp
                   ELSE created + interval '60 minutes' END,
              CASE WHEN open AND created + interval '8 hours' > %(now)s THEN NULL
                   WHEN open OR resol > interval '8 hours' THEN created + interval '8 hours'
                   ELSE created + resol END,
              (mod(g, 29) = 0)::int, mod(g, 11) = 0, mod(g, 7), 1, mod(g, 5) <> 0, mod(g, 13) = 0,
              %(now)s, false, false
            FROM (
              SELECT g,
                %(start)s::timestamptz
                  + random() * (%(now)s::timestamptz - %(start)s::timestamptz) AS created,
                make_interval(mins => (5 + 120 * random() ^ 3)::int) AS resp,
                make_interval(mins => (30 + 1800 * random() ^ 3)::int) AS resol,
                random() < 0.01 AS open,
                mod(g, %(vendors)s) AS vi, mod(g / %(vendors)s, %(techs)s) AS ti
              FROM generate_series(1, %(n)s) AS g
            ) AS r
            JOIN (SELECT * FROM unnest(%(vendor_ids)s::bigint[], %(contract_ids)s::bigint[])
                  WITH ORDINALITY AS x(vendor_id, contract_id, i)) AS vc ON vc.i = r.vi + 1
            CROSS JOIN LATERAL (SELECT vc.vendor_id, vc.contract_id,
                                (%(tech_ids)s::bigint[])[r.vi * %(techs)s + r.ti + 1]
                                AS tech_id) AS v
            """,
            {
                "now": dt.datetime.combine(END, dt.time(0), dt.UTC),
                "start": dt.datetime.combine(start, dt.time(0), dt.UTC),
                "n": tickets,
                "vendors": VENDORS,
                "techs": TECHS_PER_VENDOR,
                "vendor_ids": vendor_ids,
                "contract_ids": contract_ids,
                "tech_ids": tech_ids,
            },
        )
        cursor.execute("ANALYZE tickets_ticket")


def _month(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def sql_floor(zone: str) -> float:
    """The hand-written SQL floor (issue 17): the same figures' GROUP BY passes over the bench
    tickets, for every subject kind (GROUPING SETS) and period kind, with the percentiles; no
    Python, nothing stored. Returns the seconds they take together, one after another."""
    responder = "COALESCE(response_technician_id, technician_id)"
    passes = [
        (
            "resolved_at",
            "technician_id",
            "COUNT(*), SUM(resolution_seconds), COUNT(*) FILTER (WHERE first_contact_resolution),"
            " COUNT(*) FILTER (WHERE reopen_count > 0), COUNT(*) FILTER (WHERE repeat),"
            " COUNT(*) FILTER (WHERE escalated),"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY resolution_seconds),"
            " percentile_cont(0.9) WITHIN GROUP (ORDER BY resolution_seconds)",
        ),
        (
            "first_response_at",
            responder,
            "COUNT(response_seconds), SUM(response_seconds),"
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY response_seconds),"
            " percentile_cont(0.9) WITHIN GROUP (ORDER BY response_seconds)",
        ),
        ("created_at", "technician_id", "COUNT(*)"),
        *[
            (
                f"{t}_outcome_at",
                responder if t == "response" else "technician_id",
                f"COUNT(*) FILTER (WHERE {t}_met AND NOT {t}_excluded),"
                f" COUNT(*) FILTER (WHERE NOT {t}_met AND NOT {t}_excluded),"
                f" COUNT(*) FILTER (WHERE {t}_excluded)",
            )
            for t in ("response", "resolution")
        ],
    ]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for kind in ("week", "month", "quarter"):
            for timestamp, who, sums in passes:
                cursor.execute(
                    f"SELECT vendor_id, date_trunc(%s, {timestamp} AT TIME ZONE %s) AS p,"
                    f" contract_id, {who} AS who, {sums} FROM tickets_ticket"
                    f" WHERE source = 'bench' AND {timestamp} IS NOT NULL"
                    " GROUP BY GROUPING SETS ((1, 2), (1, 2, 3), (1, 2, 4))",
                    [kind, zone],
                )
                cursor.fetchall()
    return time.perf_counter() - started


def recompute_vendor_all(vendor_id: int) -> int:
    connections.close_all()  # a forked worker must not share its parent's connection
    vendor = Vendor.objects.get(pk=vendor_id)
    return scorecards_recompute_vendor(vendor=vendor, every_period=True)


def recompute_vendor_dirty(vendor_id: int) -> int:
    connections.close_all()
    # What the nightly task does: the dirty periods plus the open ones.
    return scorecards_recompute_vendor(vendor=Vendor.objects.get(pk=vendor_id))


def run(fn, vendor_ids, workers: int) -> tuple[float, int]:
    started = time.perf_counter()
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            written = sum(pool.map(fn, vendor_ids))
    else:
        written = sum(fn(v) for v in vendor_ids)
    return time.perf_counter() - started, written


def vacuum_after() -> None:
    """What the nightly run queues when it is done (scorecards.tasks.vacuum_figures), timed
    apart from the run: the next run and the pages then read tables without dead rows."""
    connections.close_all()
    started = time.perf_counter()
    figures_vacuum()
    print(f"  then VACUUM (ANALYZE) of the figure tables: {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument(
        "--workers",
        default="2",
        help="worker processes; a list such as 1,2 times the cold full recompute with each "
        "(what one more worker buys), the rest with the last",
    )
    parser.add_argument("--reuse", action="store_true", help="keep the generated tickets")
    parser.add_argument(
        "--cold-only", action="store_true", help="stop after the first (cold) full recompute"
    )
    parser.add_argument(
        "--incremental-only",
        action="store_true",
        help="with --reuse and figures stored: only the two runs after 10,000 changed tickets",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this against PostgreSQL (DATABASE_URL).")
    print(f"machine: {machine()}")
    if not args.reuse:
        started = time.perf_counter()
        build_world(args.tickets)
        print(
            f"generated {Ticket.objects.filter(source='bench').count():,} tickets in "
            f"{time.perf_counter() - started:.1f} s"
        )
    vendor_ids = list(Vendor.objects.filter(slug__startswith="bench-").values_list("pk", flat=True))
    if args.incremental_only:
        incremental(vendor_ids, int(args.workers.split(",")[-1]))
        return
    floor = sql_floor(settings.REPORTING_TIME_ZONE)
    print(
        f"SQL floor: the figures' GROUP BY passes (every subject and period kind, with "
        f"percentiles) take {floor:.1f} s"
    )
    counts = [int(n) for n in args.workers.split(",")]
    cold = {}
    for workers in counts:
        # Cold: nothing of the bench vendors stored yet (figures, scores, dirty marks, closes).
        for model in (MetricValue, Scorecard, DirtyPeriod, ClosedPeriod):
            model.objects.filter(vendor__slug__startswith="bench-").delete()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE scorecards_metricvalue")
            cursor.execute("VACUUM ANALYZE scorecards_scorecard")
        connections.close_all()  # forked workers must not inherit (and close) this connection
        cpu = cpu_seconds()
        seconds, written = run(recompute_vendor_all, vendor_ids, workers)
        busy = "" if cpu[1] is None else f"; machine busy {cpu_seconds()[1] - cpu[1]:.1f} CPU-s"
        cold[workers] = seconds
        print(
            f"full recompute: {len(vendor_ids)} vendors x week/month/quarter, {written:,} "
            f"figures in {seconds:.1f} s with {workers} worker(s) (target <= 15 s at 1M with 2); "
            f"{seconds / floor:.1f}x the SQL floor (target <= 4x){busy}"
        )
        vacuum_after()
    if len(counts) > 1:
        first, last = counts[0], counts[-1]
        print(
            f"{last} workers against {first}: {cold[first] / cold[last]:.2f}x as fast "
            f"({cold[first]:.1f} s -> {cold[last]:.1f} s)"
        )
    args.workers = counts[-1]
    if args.cold_only:
        return

    seconds, written = run(recompute_vendor_all, vendor_ids, args.workers)
    print(
        f"full recompute again (figures stored, mostly unchanged): {seconds:.1f} s "
        f"with {args.workers} worker(s)"
    )
    vacuum_after()

    incremental(vendor_ids, args.workers)


def incremental(vendor_ids: list[int], workers: int) -> None:
    for label, order in (("most recent", "-created_at"), ("spread at random", "?")):
        # 10,000 tickets change (say, a late import resolves them differently), marking their
        # periods dirty the way the ingest upsert does. A nightly import brings recent ones.
        changed = list(
            Ticket.objects.filter(source="bench", resolved_at__isnull=False)
            .order_by(order)
            .values_list("pk", flat=True)[:10_000]
        )
        Ticket.objects.filter(pk__in=changed).update(
            resolution_met=False, first_contact_resolution=False
        )
        instants: dict[int, set] = {}
        for vendor_id, created, resolved in Ticket.objects.filter(pk__in=changed).values_list(
            "vendor_id", "created_at", "resolved_at"
        ):
            instants.setdefault(vendor_id, set()).update((created, resolved))
        for vendor_id, times in instants.items():
            periods_mark_dirty(vendor_id=vendor_id, instants=times)
        dirty = DirtyPeriod.objects.filter(vendor_id__in=vendor_ids).count()
        connections.close_all()
        seconds, written = run(recompute_vendor_dirty, vendor_ids, workers)
        print(
            f"after 10,000 changed tickets ({label}): {dirty} dirty vendor-periods plus the "
            f"open ones, {written:,} figures in {seconds:.1f} s with {workers} worker(s) "
            f"(target <= {2 if label == 'most recent' else 5} s at 1M)"
        )
        vacuum_after()


if __name__ == "__main__":
    main()
