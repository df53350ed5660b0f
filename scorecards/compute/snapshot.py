"""SQLite's path to the daily totals: the vendor's tickets read once into Python, then summed per
(local day, contract, technician), with each period kind's percentiles and backlog ages.

On SQLite every timestamp truncated in a query goes through a Python function per row, and
the ORM path asks about a dozen such queries per vendor and period kind, plus three per period
for backlog ages. Reading the few columns once and doing the same arithmetic here costs a
fraction of that, and gives the same numbers: the percentiles interpolate exactly as the
SQLite aggregate (`scorecards.aggregates`) does, the backlog ages exactly as
`distributions.period_backlog_ages`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Q

from common.periods import Period, PeriodKind, periods_between
from scorecards.compute.results import CONTRACT, TECHNICIAN, VENDOR
from tickets.models import Ticket

_COLUMNS = (
    "contract_id",
    "technician_id",
    "response_technician_id",
    "created_at",
    "first_response_at",
    "resolved_at",
    "response_outcome_at",
    "resolution_outcome_at",
    "response_seconds",
    "resolution_seconds",
    "first_contact_resolution",
    "reopen_count",
    "repeat",
    "escalated",
    "response_met",
    "resolution_met",
    "response_excluded",
    "resolution_excluded",
)


def _utc(value) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


def percentile(values: list, fraction: float) -> float:
    """percentile_cont over sorted values, as `scorecards.aggregates._SqlitePercentile`."""
    position = (len(values) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return values[low] + (values[high] - values[low]) * (position - low)


def snapshot_totals(
    vendor_id, first, last, lo, hi, tz: ZoneInfo, kinds: Iterable[PeriodKind], openings=None
):
    """(daily rows, percentiles per kind, backlog ages per kind, opening backlogs), as `daily`
    returns them on PostgreSQL. The tickets read are those any of them can select: with a
    timestamp in the span, or open across it. `openings`: day -> the instant (inside the
    span) at which the open tickets are counted per (contract, technician)."""
    in_span = Q()
    for ts in ("created_at", "first_response_at", "response_outcome_at", "resolution_outcome_at"):
        in_span |= Q(**{f"{ts}__gte": lo, f"{ts}__lt": hi})
    query = (
        Ticket.objects.filter(vendor_id=vendor_id)
        .filter(in_span | Q(resolved_at__gte=lo) | Q(resolved_at__isnull=True))
        .values_list(*_COLUMNS)
        .query
    )
    # Read raw: Django's per-value datetime converter costs more than all the sums below;
    # SQLite holds UTC timestamps as ISO text, which fromisoformat reads directly.
    sql, params = query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchall()
    tickets = [
        (
            *row[:3],
            *(None if v is None else _utc(v) for v in row[3:8]),
            *row[8:],
        )
        for row in found
    ]
    days: dict[dt.datetime, dt.date] = {}

    def day_of(instant: dt.datetime) -> dt.date:
        day = days.get(instant)
        if day is None:
            day = days[instant] = instant.astimezone(tz).date()
        return day

    totals: dict[tuple, dict[str, int]] = {}

    def add(instant, contract_id, who, values) -> None:
        bucket = totals.setdefault((day_of(instant), contract_id, who), {})
        for key, value in values.items():
            bucket[key] = bucket.get(key, 0) + value

    # Per kind and figure: (period start, subject) -> values; the same rows as the SQL.
    samples: dict[str, list[tuple[dt.datetime, int | None, int | None, int]]] = {
        "resolution_time": [],
        "response_time": [],
    }
    for (
        contract_id,
        technician_id,
        response_technician_id,
        created,
        responded,
        resolved,
        response_at,
        resolution_at,
        response_seconds,
        resolution_seconds,
        fcr,
        reopen_count,
        repeat,
        escalated,
        response_met,
        resolution_met,
        response_excluded,
        resolution_excluded,
    ) in tickets:
        responder = response_technician_id if response_technician_id is not None else technician_id
        if lo <= created < hi:
            add(created, contract_id, technician_id, {"created": 1})
        if resolved is not None and lo <= resolved < hi:
            add(
                resolved,
                contract_id,
                technician_id,
                {
                    "resolved": 1,
                    "resolution_seconds": resolution_seconds or 0,
                    "fcr": int(fcr == 1),  # SQLite reads booleans as 0 and 1
                    "reopened": int(reopen_count > 0),
                    "repeats": int(bool(repeat)),
                    "escalated": int(bool(escalated)),
                },
            )
            if resolution_seconds is not None:
                samples["resolution_time"].append(
                    (resolved, contract_id, technician_id, resolution_seconds)
                )
        if response_seconds is not None and responded is not None and lo <= responded < hi:
            add(
                responded,
                contract_id,
                responder,
                {"responses": 1, "response_seconds": response_seconds},
            )
            samples["response_time"].append((responded, contract_id, responder, response_seconds))
        for target, met, excluded, at, who in (
            ("response", response_met, response_excluded, response_at, responder),
            ("resolution", resolution_met, resolution_excluded, resolution_at, technician_id),
        ):
            if met is None or at is None or not lo <= at < hi:
                continue
            add(
                at,
                contract_id,
                who,
                {
                    f"{target}_met": int(met and not excluded),
                    f"{target}_breached": int(not met and not excluded),
                    f"{target}_excluded": int(bool(excluded)),
                },
            )
    rows = [(*key, values) for key, values in totals.items()]

    percentiles: dict[PeriodKind, dict] = {}
    backlog_ages: dict[PeriodKind, dict[dt.date, float | None]] = {}
    for kind in kinds:
        inside = [
            p
            for p in periods_between(kind, first, last)
            if p.start >= first and p.end <= last + dt.timedelta(days=1)
        ]
        if not inside:
            continue
        percentiles[kind] = _percentiles(kind, samples, day_of, vendor_id)
        backlog_ages[kind] = _backlog_ages(inside, tz, tickets)
    opening = {}
    for day, at in (openings or {}).items():
        counts: dict[tuple, int] = defaultdict(int)
        for ticket in tickets:
            if ticket[3] < at and (ticket[5] is None or ticket[5] >= at):
                counts[(ticket[0], ticket[1])] += 1
        opening[day] = [(*key, n) for key, n in counts.items()]
    return rows, percentiles, backlog_ages, opening


def _percentiles(kind, samples, day_of, vendor_id) -> dict:
    start_of: dict[dt.date, dt.date] = {}
    out: dict[tuple, dict[str, float | None]] = defaultdict(dict)
    for name, found in samples.items():
        groups: dict[tuple, list[int]] = defaultdict(list)
        for instant, contract_id, who, value in found:
            day = day_of(instant)
            start = start_of.get(day)
            if start is None:
                start = start_of[day] = Period.containing(kind, day).start
            groups[((VENDOR, vendor_id), start)].append(value)
            if contract_id is not None:
                groups[((CONTRACT, contract_id), start)].append(value)
            if who is not None:
                groups[((TECHNICIAN, who), start)].append(value)
        for key, values in groups.items():
            values.sort()
            out[key][f"{name}_p50"] = percentile(values, 0.5)
            out[key][f"{name}_p90"] = percentile(values, 0.9)
    return out


def _backlog_ages(periods: list[Period], tz: ZoneInfo, tickets) -> dict[dt.date, float | None]:
    """Median age in hours of the tickets open at each period's end: each ticket is put in
    the ends it outlives (bisect), so the work follows the tickets that cross a boundary."""
    zone = tz.key
    ends = [p.bounds(zone)[1] for p in periods]
    open_at: list[list[dt.datetime]] = [[] for _ in periods]
    for ticket in tickets:
        created, resolved = ticket[3], ticket[5]
        # Open at an end: created before it, and not resolved before it.
        first = bisect.bisect_right(ends, created)
        if first == len(ends) or (resolved is not None and resolved < ends[first]):
            continue  # resolved before the first end after it was created: most tickets
        after = len(ends) if resolved is None else bisect.bisect_right(ends, resolved)
        for i in range(first, after):
            open_at[i].append(created)
    ages: dict[dt.date, float | None] = {}
    for period, end, created in zip(periods, ends, open_at, strict=True):
        if not created:
            ages[period.start] = None
            continue
        created.sort()
        middle = (len(created) - 1) / 2
        low, high = created[int(middle)], created[int(middle + 0.5)]
        median_created = low + (high - low) / 2
        ages[period.start] = (end - median_created).total_seconds() / 3600
    return ages
