"""Medians, 90th percentiles and backlog ages: the figures that do not add up, so get queries of
their own. Through the ORM on any database (SQLite through the percentile aggregate registered
in scorecards.aggregates), and in SQL on PostgreSQL, over the ticket table or over the
temporary copy of a vendor's tickets that `daily` makes."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Count, DateField, F, Q
from django.db.models.functions import Coalesce, Trunc

from scorecards.aggregates import Percentile
from scorecards.compute.results import CONTRACT, TECHNICIAN, VENDOR, Subject
from tickets.models import Ticket

# Whose response figures a ticket's are: who held it when it was answered, else its resolver.
_RESPONDER_SQL = "COALESCE(response_technician_id, technician_id)"
_RESPONDER = Coalesce("response_technician_id", "technician_id")


def period_percentiles(tickets, kind, zone, lo, hi, starts, vendor_id) -> dict:
    """Medians and 90th percentiles, which do not add up, per subject kind."""
    if connection.vendor == "postgresql":
        return percentiles_postgresql(kind, zone, lo, hi, starts, vendor_id)
    out: dict[tuple[Subject, dt.date], dict[str, float | None]] = defaultdict(dict)
    period_of = {
        ts: Trunc(ts, kind.value, output_field=DateField(), tzinfo=ZoneInfo(zone))
        for ts in ("resolved_at", "first_response_at")
    }
    specs = [
        ("resolved_at", "resolution_seconds", "resolution_time", F("technician_id")),
        ("first_response_at", "response_seconds", "response_time", _RESPONDER),
    ]
    for timestamp, column, name, who in specs:
        base = tickets.filter(
            **{f"{timestamp}__gte": lo, f"{timestamp}__lt": hi, f"{column}__isnull": False}
        ).annotate(period=period_of[timestamp], who=who)
        for group, subject_kind in (
            (None, VENDOR),
            ("contract_id", CONTRACT),
            ("who", TECHNICIAN),
        ):
            fields = ["period"] + ([group] if group else [])
            rows = (
                base.values(*fields)
                .annotate(p50=Percentile(column, 0.5), p90=Percentile(column, 0.9))
                .order_by()
            )
            for row in rows:
                subject_id = row[group] if group else vendor_id
                if subject_id is None or row["period"] not in starts:
                    continue
                key = ((subject_kind, subject_id), row["period"])
                out[key][f"{name}_p50"] = row["p50"]
                out[key][f"{name}_p90"] = row["p90"]
    return out


_STEP = {"week": "1 week", "month": "1 month", "quarter": "3 months"}


def percentiles_postgresql(kind, zone, lo, hi, starts, vendor_id, table=None) -> dict:
    """The same with GROUPING SETS: one scan per figure serves all three subject kinds.
    With `starts` None, every period found is kept."""
    out: dict[tuple[Subject, dt.date], dict[str, float | None]] = defaultdict(dict)
    specs = [
        ("resolved_at", "resolution_seconds", "resolution_time", "technician_id"),
        ("first_response_at", "response_seconds", "response_time", _RESPONDER_SQL),
    ]
    for timestamp, column, name, who in specs:
        sql = f"""
            SELECT date_trunc(%(kind)s, {timestamp} AT TIME ZONE %(zone)s)::date AS period,
                   contract_id, {who}, GROUPING(contract_id, {who}),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY {column}),
                   percentile_cont(0.9) WITHIN GROUP (ORDER BY {column})
            FROM {table or Ticket._meta.db_table}
            WHERE vendor_id = %(vendor)s AND {timestamp} >= %(lo)s AND {timestamp} < %(hi)s
              AND {column} IS NOT NULL
            GROUP BY GROUPING SETS ((1), (1, contract_id), (1, {who}))
        """
        params = {"kind": kind.value, "zone": zone, "vendor": vendor_id, "lo": lo, "hi": hi}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            found = cursor.fetchall()
        for period, contract_id, technician_id, grouping, p50, p90 in found:
            # GROUPING bits: 3 = neither column (the vendor), 1 = contract, 2 = technician.
            subject = {
                3: (VENDOR, vendor_id),
                1: (CONTRACT, contract_id),
                2: (TECHNICIAN, technician_id),
            }[grouping]
            if subject[1] is None or (starts is not None and period not in starts):
                continue
            out[(subject, period)][f"{name}_p50"] = p50
            out[(subject, period)][f"{name}_p90"] = p90
    return out


def period_backlog_ages(tickets, periods, zone, vendor_id) -> dict[dt.date, float | None]:
    """Median age in hours of the vendor's tickets still open at each period's end."""
    if connection.vendor == "postgresql":
        return backlog_ages_postgresql(periods, zone, vendor_id)
    ages: dict[dt.date, float | None] = {}
    for period in periods:
        _, end = period.bounds(zone)
        open_at_end = tickets.filter(created_at__lt=end).filter(
            Q(resolved_at__isnull=True) | Q(resolved_at__gte=end)
        )
        # The median creation time of the open tickets gives the median age.
        row = open_at_end.aggregate(n=Count("id"))
        if not row["n"]:
            ages[period.start] = None
            continue
        ordered = open_at_end.order_by("created_at").values_list("created_at", flat=True)
        middle = (row["n"] - 1) / 2
        low = ordered[int(middle)]
        high = ordered[int(middle + 0.5)]
        median_created = low + (high - low) / 2
        ages[period.start] = (end - median_created).total_seconds() / 3600
    return ages


def backlog_ages_postgresql(periods, zone, vendor_id, table=None) -> dict[dt.date, float | None]:
    """One query: each ticket that outlives a period boundary is expanded into the period
    ends it was open at (generate_series), so only tickets crossing a boundary are touched;
    the series starts at the first end inside the window, so a ticket open for years costs
    the window's ends, not every end since it was opened."""
    kind = periods[0].kind.value
    lo, _ = periods[0].bounds(zone)
    _, hi = periods[-1].bounds(zone)
    sql = f"""
        SELECT (e.end_local - interval %(step)s)::date AS period_start,
               percentile_cont(0.5) WITHIN GROUP (
                   ORDER BY extract(epoch FROM (e.end_local AT TIME ZONE %(zone)s) - t.created_at)
               ) / 3600.0
        FROM {table or Ticket._meta.db_table} t
        CROSS JOIN LATERAL generate_series(
            GREATEST(
                date_trunc(%(kind)s, t.created_at AT TIME ZONE %(zone)s) + interval %(step)s,
                %(lo_local)s::timestamp + interval %(step)s
            ),
            COALESCE(t.resolved_at, %(hi)s) AT TIME ZONE %(zone)s,
            interval %(step)s
        ) AS e(end_local)
        WHERE t.vendor_id = %(vendor)s
          AND t.created_at < %(hi)s
          AND (t.resolved_at IS NULL OR t.resolved_at >= %(lo)s)
          AND (t.resolved_at IS NULL
               OR date_trunc(%(kind)s, t.resolved_at AT TIME ZONE %(zone)s)
                  > date_trunc(%(kind)s, t.created_at AT TIME ZONE %(zone)s))
          AND e.end_local > %(lo_local)s AND e.end_local <= %(hi_local)s
        GROUP BY 1
    """
    params = {
        "step": _STEP[kind],
        "zone": zone,
        "kind": kind,
        "vendor": vendor_id,
        "lo": lo,
        "hi": hi,
        "lo_local": lo.replace(tzinfo=None),
        "hi_local": hi.replace(tzinfo=None),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = dict(cursor.fetchall())
    return {p.start: found.get(p.start) for p in periods}
