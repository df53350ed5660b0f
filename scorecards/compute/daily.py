"""The daily totals every period kind is summed from: counts, time sums, SLA outcomes and survey
answers per (local day, contract, technician). On PostgreSQL they come from one temporary copy
of the vendor's tickets, which also serves each period kind's percentiles and backlog ages; on
SQLite from one read of the same columns into Python (`snapshot`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, DateField, F
from django.db.models.functions import Trunc

from common.periods import PeriodKind, periods_between
from scorecards.compute.distributions import (
    _RESPONDER_SQL,
    backlog_ages_postgresql,
    percentiles_postgresql,
)
from scorecards.compute.snapshot import snapshot_totals
from tickets.models import SurveyResponse, Ticket
from vendors.models import Vendor


@dataclass
class DailyTotals:
    """Additive figures per (local day, contract, technician): read once per vendor and span,
    then summed into weeks, months and quarters alike."""

    first: dt.date
    last: dt.date  # inclusive
    rows: list[tuple[dt.date, int | None, int | None, dict[str, float]]]
    # Percentiles and backlog ages per period kind asked for, for every period that
    # lies wholly inside [first, last], read from the same snapshot of the vendor's tickets.
    percentiles: dict[PeriodKind, dict] = field(default_factory=dict)
    backlog_ages: dict[PeriodKind, dict[dt.date, float | None]] = field(default_factory=dict)
    # Per contract, whether each day has open time on its calendar: reckoned by the first
    # period kind that needs a day, so weeks, months and quarters do not each redo the clock.
    open_days: dict[int, dict[dt.date, bool]] = field(default_factory=dict)
    # Tickets open at the start (local midnight) of each day asked for, per (contract,
    # technician): the backlog each period kind carries into its first period.
    opening: dict[dt.date, list[tuple[int | None, int | None, int]]] = field(default_factory=dict)


def daily_totals(
    *,
    vendor: Vendor,
    first: dt.date,
    last: dt.date,
    kinds: Iterable[PeriodKind | str] = (),
    opening_days: Iterable[dt.date] = (),
) -> DailyTotals:
    """`opening_days` (within the span): the days whose opening backlog is counted too."""
    zone = settings.REPORTING_TIME_ZONE
    tz = ZoneInfo(zone)
    lo = dt.datetime.combine(first, dt.time(0), tz)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tz)
    # The snapshot holds every ticket open at any moment of the span, so the backlog at the
    # start of a day inside it is counted there, not in the ticket table.
    openings = {
        day: dt.datetime.combine(day, dt.time(0), tz)
        for day in opening_days
        if first <= day <= last
    }
    if connection.vendor == "postgresql":
        return _daily_totals_postgresql(vendor, first, last, lo, hi, zone, kinds, openings)
    rows, percentiles, backlog_ages, opening = snapshot_totals(
        vendor.pk, first, last, lo, hi, tz, [PeriodKind(k) for k in kinds], openings
    )
    _survey_rows(vendor, tz, lo, hi, rows)
    return DailyTotals(first, last, _merged(rows), percentiles, backlog_ages, opening=opening)


def _merged(rows) -> list[tuple[dt.date, int | None, int | None, dict[str, float]]]:
    """One entry per (day, contract, technician) with every family's sums, so each period
    kind walks a few thousand keys rather than every family's rows."""
    merged: dict[tuple, dict[str, float]] = {}
    for day, contract_id, technician_id, values in rows:
        bucket = merged.setdefault((day, contract_id, technician_id), {})
        for key, value in values.items():
            bucket[key] = bucket.get(key, 0) + value
    return [(*key, values) for key, values in merged.items()]


_SNAPSHOT = "vs_vendor_tickets"
# The columns the figures read, and per family of additive figures: the timestamp that
# places a ticket in a day, the rows that count, the technician they count for, and each sum
# as an SQL expression.
_SNAPSHOT_COLUMNS = (
    "id, vendor_id, contract_id, technician_id, response_technician_id, created_at, "
    "first_response_at, resolved_at, "
    "response_outcome_at, resolution_outcome_at, response_seconds, resolution_seconds, "
    'first_contact_resolution, reopen_count, "repeat", escalated, response_met, resolution_met, '
    "response_excluded, resolution_excluded"
)
_FAMILIES = [
    ("created_at", "TRUE", "technician_id", {"created": "1"}),
    (
        "resolved_at",
        "TRUE",
        "technician_id",
        {
            "resolved": "1",
            "resolution_seconds": "COALESCE(resolution_seconds, 0)",
            "fcr": "(first_contact_resolution IS TRUE)::int",
            "reopened": "(reopen_count > 0)::int",
            "repeats": '"repeat"::int',
            "escalated": "escalated::int",
        },
    ),
    (
        "first_response_at",
        "response_seconds IS NOT NULL",
        _RESPONDER_SQL,
        {"responses": "1", "response_seconds": "response_seconds"},
    ),
    *[
        (
            f"{target}_outcome_at",
            f"{target}_met IS NOT NULL",
            _RESPONDER_SQL if target == "response" else "technician_id",
            {
                f"{target}_met": f"({target}_met AND NOT {target}_excluded)::int",
                f"{target}_breached": f"(NOT {target}_met AND NOT {target}_excluded)::int",
                f"{target}_excluded": f"{target}_excluded::int",
            },
        )
        for target in ("response", "resolution")
    ],
]


def _daily_totals_postgresql(vendor, first, last, lo, hi, zone, kinds, openings) -> DailyTotals:
    """The same sums, and each kind's percentiles and backlog ages, from one read of the
    vendor's tickets.

    A vendor's tickets are spread over the whole ticket table, so each query that reads them
    from it touches tens of thousands of pages; copying the few columns needed into a small
    temporary table first makes the dozen queries after it cheap. The copy holds every ticket
    that any of them can select: those with a timestamp in the span or open across it.
    """
    names = [name for *_, sums in _FAMILIES for name in sums]
    selects = []
    for timestamp, condition, technician, sums in _FAMILIES:
        columns = ", ".join(sums.get(name, "0") for name in names)
        selects.append(
            f"SELECT ({timestamp} AT TIME ZONE %(zone)s)::date, contract_id, {technician}, "
            f"{columns} FROM {_SNAPSHOT} "
            f"WHERE {timestamp} >= %(lo)s AND {timestamp} < %(hi)s AND {condition}"
        )
    totals = ", ".join(f"SUM(c{i})" for i in range(len(names)))
    inner = ", ".join(f"c{i}" for i in range(len(names)))
    daily_sql = (
        f"SELECT day, contract_id, technician_id, {totals} "
        f"FROM ({' UNION ALL '.join(selects)}) AS u(day, contract_id, technician_id, {inner}) "
        "GROUP BY 1, 2, 3"
    )
    in_span = " OR ".join(
        f"({ts} >= %(lo)s AND {ts} < %(hi)s)"
        for ts in (
            "created_at",
            "first_response_at",
            "response_outcome_at",
            "resolution_outcome_at",
        )
    )
    params = {"zone": zone, "lo": lo, "hi": hi, "vendor": vendor.pk}
    rows = []
    result = DailyTotals(first, last, rows)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_SNAPSHOT}")
        cursor.execute(
            f"CREATE TEMP TABLE {_SNAPSHOT} ON COMMIT DROP AS "
            f"SELECT {_SNAPSHOT_COLUMNS} FROM {Ticket._meta.db_table} "
            f"WHERE vendor_id = %(vendor)s AND ({in_span} "
            "OR resolved_at >= %(lo)s OR resolved_at IS NULL)",
            params,
        )
        # Not analysed: every query below reads the whole copy once, so no plan depends on
        # its statistics, and ANALYZE cost 0.2 s a vendor on a full recompute.
        cursor.execute(daily_sql, params)
        for day, contract_id, technician_id, *values in cursor.fetchall():
            sums = {name: value for name, value in zip(names, values, strict=True) if value}
            rows.append((day, contract_id, technician_id, sums))
        for day, at in openings.items():
            cursor.execute(
                f"SELECT contract_id, technician_id, COUNT(*) FROM {_SNAPSHOT} "
                "WHERE created_at < %(at)s AND (resolved_at IS NULL OR resolved_at >= %(at)s) "
                "GROUP BY 1, 2",
                {"at": at},
            )
            result.opening[day] = cursor.fetchall()
        for kind in map(PeriodKind, kinds):
            inside = [
                p
                for p in periods_between(kind, first, last)
                if p.start >= first and p.end <= last + dt.timedelta(days=1)
            ]
            if not inside:
                continue
            result.percentiles[kind] = percentiles_postgresql(
                kind, zone, lo, hi, None, vendor.pk, table=_SNAPSHOT
            )
            result.backlog_ages[kind] = backlog_ages_postgresql(
                inside, zone, vendor.pk, table=_SNAPSHOT
            )
        cursor.execute(f"DROP TABLE {_SNAPSHOT}")
    surveys: list = []
    _survey_rows(vendor, ZoneInfo(zone), lo, hi, surveys)
    if surveys:
        result.rows = _merged(rows + surveys)
    return result


def _survey_rows(vendor, tz, lo, hi, rows) -> None:
    day = Trunc("answered_at", "day", output_field=DateField(), tzinfo=tz)
    found = (
        SurveyResponse.objects.filter(
            ticket__vendor=vendor, answered_at__gte=lo, answered_at__lt=hi
        )
        .annotate(
            day=day,
            contract_id=F("ticket__contract_id"),
            technician_id=F("ticket__technician_id"),
        )
        .values("day", "contract_id", "technician_id", "scale", "score")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in found:
        n, score = row["n"], row["score"]
        if row["scale"] == 5:
            values = {"answers": n, "score_sum": score * n, f"answers_{score}": n}
            if score >= 4:
                values["satisfied"] = n
        else:
            values = {"nps_answers": n}
            if score >= 9:
                values["promoters"] = n
            elif score <= 6:
                values["detractors"] = n
        rows.append((row["day"], row["contract_id"], row["technician_id"], values))
