"""Computes every METRICS.md figure of one vendor, its contracts and technicians, in SQL.

For one period kind and a run of periods, each family of figures is one GROUP BY query at the
finest grain (period x contract x technician) whose rows are summed up to the three subjects;
only percentiles, which do not add up, get a query per subject kind. So the cost is a fixed
number of queries per vendor and period kind, and no Python loop ever visits a ticket.

A technician's response figures (responses, response times, response outcomes) are grouped by
who held the ticket when it was answered (`response_technician`, else `technician`), the rest
by `technician`, the ticket's resolver (METRICS.md, Attribution). Vendor and contract sums do
not depend on the technician, so they are the same either way.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, DateField, F, Q, Sum
from django.db.models.functions import Coalesce, Trunc

from common.periods import Period, PeriodKind, periods_between
from scorecards import scoring
from scorecards.aggregates import Percentile
from tickets.models import Outage, SurveyResponse, Ticket
from vendors import sla
from vendors.metrics import METRICS, SCORED, Better
from vendors.models import Contract, Invoice, Vendor

VENDOR, CONTRACT, TECHNICIAN = "vendor", "contract", "technician"
Subject = tuple[str, int]  # (kind, id)
# Whose response figures a ticket's are: who held it when it was answered, else its resolver.
_RESPONDER_SQL = "COALESCE(response_technician_id, technician_id)"
_RESPONDER = Coalesce("response_technician_id", "technician_id")


@dataclass
class Figure:
    """One stored figure with its evidence; value None means "no data", never zero."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    sample_size: int = 0
    ci: tuple[float, float] | None = None
    low_sample: bool = False
    excluded: int = 0
    detail: dict = field(default_factory=dict)


@dataclass
class Result:
    """Figures and scores of one vendor for a run of periods of one kind."""

    figures: dict[tuple[Subject, dt.date], dict[str, Figure]]
    scores: dict[tuple[Subject, dt.date], scoring.Score | None]
    targets: dict[Subject, dict[str, dict[str, float]]]


@dataclass(frozen=True)
class Overrides:
    """What-if knobs: other weights or targets/floors, per metric code."""

    weights: Mapping[str, float] = field(default_factory=dict)
    targets: Mapping[str, float] = field(default_factory=dict)
    floors: Mapping[str, float] = field(default_factory=dict)


class _Sums(defaultdict):
    def __init__(self) -> None:
        super().__init__(float)


@dataclass
class DailyTotals:
    """Additive figures per (local day, contract, technician): read once per vendor and span,
    then summed into weeks, months and quarters alike."""

    first: dt.date
    last: dt.date  # inclusive
    rows: list[tuple[dt.date, int | None, int | None, dict[str, float]]]
    # PostgreSQL only: percentiles and backlog ages per period kind, for every period that
    # lies wholly inside [first, last], read from the same snapshot of the vendor's tickets.
    percentiles: dict[PeriodKind, dict] = field(default_factory=dict)
    backlog_ages: dict[PeriodKind, dict[dt.date, float | None]] = field(default_factory=dict)


def daily_totals(
    *,
    vendor: Vendor,
    first: dt.date,
    last: dt.date,
    kinds: Iterable[PeriodKind | str] = (),
) -> DailyTotals:
    zone = settings.REPORTING_TIME_ZONE
    tz = ZoneInfo(zone)
    lo = dt.datetime.combine(first, dt.time(0), tz)
    hi = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0), tz)
    if connection.vendor == "postgresql":
        return _daily_totals_postgresql(vendor, first, last, lo, hi, zone, kinds)
    tickets = Ticket.objects.filter(vendor=vendor)
    rows: list[tuple[dt.date, int | None, int | None, dict[str, float]]] = []

    def grouped(qs, timestamp: str, prefix: str = "", responder: bool = False, **aggregates):
        day = Trunc(timestamp, "day", output_field=DateField(), tzinfo=tz)
        who = _RESPONDER if responder else F("technician_id")
        found = (
            qs.filter(**{f"{timestamp}__gte": lo, f"{timestamp}__lt": hi})
            .annotate(day=day, who=who)
            .values("day", "contract_id", "who")
            .annotate(**aggregates)
            .order_by()
        )
        for row in found:
            values = {f"{prefix}{k}": row[k] or 0 for k in aggregates}
            rows.append((row["day"], row["contract_id"], row["who"], values))

    grouped(tickets, "created_at", created=Count("id"))
    grouped(
        tickets,
        "resolved_at",
        resolved=Count("id"),
        resolution_seconds=Sum("resolution_seconds"),
        fcr=Count("id", filter=Q(first_contact_resolution=True)),
        reopened=Count("id", filter=Q(reopen_count__gt=0)),
        repeats=Count("id", filter=Q(repeat=True)),
        escalated=Count("id", filter=Q(escalated=True)),
    )
    grouped(
        tickets.filter(response_seconds__isnull=False),
        "first_response_at",
        responder=True,
        responses=Count("id"),
        response_seconds=Sum("response_seconds"),
    )
    for target in ("response", "resolution"):
        met, excluded = f"{target}_met", f"{target}_excluded"
        grouped(
            tickets.filter(**{f"{met}__isnull": False}),
            f"{target}_outcome_at",
            prefix=f"{target}_",
            responder=target == "response",
            # Named apart from the columns: an aggregate may not share a filtered field's name.
            met=Count("id", filter=Q(**{met: True, excluded: False})),
            breached=Count("id", filter=Q(**{met: False, excluded: False})),
            excluded=Count("id", filter=Q(**{excluded: True})),
        )
    _survey_rows(vendor, tz, lo, hi, rows)
    return DailyTotals(first, last, _merged(rows))


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


def _daily_totals_postgresql(vendor, first, last, lo, hi, zone, kinds) -> DailyTotals:
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
        cursor.execute(f"ANALYZE {_SNAPSHOT}")
        cursor.execute(daily_sql, params)
        for day, contract_id, technician_id, *values in cursor.fetchall():
            sums = {name: value for name, value in zip(names, values, strict=True) if value}
            rows.append((day, contract_id, technician_id, sums))
        for kind in map(PeriodKind, kinds):
            inside = [
                p
                for p in periods_between(kind, first, last)
                if p.start >= first and p.end <= last + dt.timedelta(days=1)
            ]
            if not inside:
                continue
            result.percentiles[kind] = _percentiles_postgresql(
                kind, zone, lo, hi, None, vendor.pk, table=_SNAPSHOT
            )
            result.backlog_ages[kind] = _backlog_ages_postgresql(
                inside, zone, vendor.pk, table=_SNAPSHOT
            )
        cursor.execute(f"DROP TABLE {_SNAPSHOT}")
    surveys: list = []
    _survey_rows(vendor, ZoneInfo(zone), lo, hi, surveys)
    if surveys:
        result.rows = _merged(rows + surveys)
    return result


def compute_vendor(
    *,
    vendor: Vendor,
    kind: PeriodKind | str,
    periods: Iterable[Period],
    overrides: Overrides | None = None,
    daily: DailyTotals | None = None,
) -> Result:
    kind = PeriodKind(kind)
    periods = sorted(set(periods))
    zone = settings.REPORTING_TIME_ZONE
    if not periods:
        return Result({}, {}, {})
    lo, _ = periods[0].bounds(zone)
    _, hi = periods[-1].bounds(zone)
    last_day = periods[-1].end - dt.timedelta(days=1)
    if daily is None or daily.first > periods[0].start or daily.last < last_day:
        daily = daily_totals(vendor=vendor, first=periods[0].start, last=last_day, kinds=[kind])
    starts = {p.start for p in periods}
    contracts = list(
        Contract.objects.filter(vendor=vendor)
        .select_related("sla_policy__calendar")
        .prefetch_related("weights", "credit_tiers")
    )
    tickets = Ticket.objects.filter(vendor=vendor)

    sums: dict[tuple[Subject, dt.date], _Sums] = defaultdict(_Sums)
    technicians_by: dict[tuple[Subject, dt.date], set[int]] = defaultdict(set)
    # Created and resolved counts of every period in the span, asked for or not, so the
    # backlog can be carried across gaps between the periods being recomputed.
    flows: dict[tuple[Subject, dt.date], list[float]] = defaultdict(lambda: [0.0, 0.0])
    period_of: dict[dt.date, dt.date] = {}

    for day, contract_id, technician_id, values in daily.rows:
        if not periods[0].start <= day <= last_day:
            continue
        start = period_of.get(day)
        if start is None:
            start = period_of[day] = Period.containing(kind, day).start
        subjects = list(_subjects(vendor.pk, contract_id, technician_id))
        if "created" in values or "resolved" in values:
            for subject in subjects:
                flow = flows[(subject, start)]
                flow[0] += values.get("created", 0)
                flow[1] += values.get("resolved", 0)
        if start not in starts:
            continue
        for subject in subjects:
            bucket = sums[(subject, start)]
            for key, value in values.items():
                bucket[key] += value
        if technician_id and values.get("resolved"):
            for subject in subjects[:-1] if subjects[-1][0] == TECHNICIAN else subjects:
                technicians_by[(subject, start)].add(technician_id)

    # Backlog at each period's end = created before it - resolved before it, carried forward.
    before = tickets.filter(created_at__lt=lo)
    opening: dict[Subject, float] = defaultdict(float)
    for row in (
        before.filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=lo))
        .values("contract_id", "technician_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        for subject in _subjects(vendor.pk, row["contract_id"], row["technician_id"]):
            opening[subject] += row["n"]

    if kind in daily.percentiles:
        percentiles = daily.percentiles[kind]
        backlog_ages = {p.start: daily.backlog_ages[kind].get(p.start) for p in periods}
    else:
        percentiles = _percentiles(tickets, kind, zone, lo, hi, starts, vendor.pk)
        backlog_ages = _backlog_ages(tickets, periods, zone, vendor.pk)
    uptime = _uptime(vendor, contracts, periods, zone)
    invoiced = _invoiced(vendor, kind, periods)
    business_days = {c.pk: _business_days(c, periods) for c in contracts}

    subjects = {(VENDOR, vendor.pk)} | {(CONTRACT, c.pk) for c in contracts}
    subjects |= {s for s, _ in sums if s[0] == TECHNICIAN}
    subjects |= {s for s in opening if s[0] == TECHNICIAN}

    overrides = overrides or Overrides()
    result = Result({}, {}, {})
    contract_by_id = {c.pk: c for c in contracts}
    primary = contracts[0] if len(contracts) == 1 else None
    for subject in sorted(subjects):
        contract = contract_by_id.get(subject[1]) if subject[0] == CONTRACT else primary
        min_sample = (
            settings.MIN_SAMPLE_TECHNICIAN
            if subject[0] == TECHNICIAN
            else settings.MIN_SAMPLE_VENDOR
        )
        weights, targets = weights_and_targets(contract, subject[0], overrides)
        result.targets[subject] = targets
        backlog_at = _backlog_series(opening.get(subject, 0.0), subject, flows, periods)
        for period in periods:
            key = (subject, period.start)
            s = sums.get(key, _Sums())
            backlog = backlog_at[period.start]
            if subject[0] == TECHNICIAN and not s and not backlog:
                continue  # a technician with nothing in the period has no row at all
            days = _days_for(subject, contract_by_id, business_days, period)
            figures = _figures(
                s,
                technicians=len(technicians_by.get(key, ())) if subject[0] != TECHNICIAN else 1,
                business_days=days,
                backlog=backlog,
                percentiles=percentiles.get(key, {}),
                backlog_age=backlog_ages.get(period.start) if subject[0] == VENDOR else None,
                uptime=uptime.get(key),
                invoiced=invoiced.get(key),
                min_sample=min_sample,
            )
            if subject[0] == CONTRACT and kind is PeriodKind.MONTH:
                figures["service_credit"] = _credit(contract_by_id[subject[1]], figures)
            result.figures[key] = figures
    if kind is PeriodKind.MONTH:
        _vendor_credits(result, vendor.pk, contracts, periods)
    for key, figures in result.figures.items():
        weights, targets = weights_and_targets(
            contract_by_id.get(key[0][1]) if key[0][0] == CONTRACT else primary,
            key[0][0],
            overrides,
        )
        result.scores[key] = _score(figures, weights, targets)
        score = result.scores[key]
        figures["score"] = Figure(
            value=None if score is None else round(score.score, 2),
            detail={} if score is None else {"grade": score.grade},
        )
    return result


def _backlog_series(opening, subject, flows, periods) -> dict[dt.date, float]:
    """Open tickets at each period's end: the opening backlog carried through every period
    of the span, including those between the ones asked for."""
    out, backlog, period = {}, opening, periods[0]
    while period.start <= periods[-1].start:
        created, resolved = flows.get((subject, period.start), (0.0, 0.0))
        backlog += created - resolved
        out[period.start] = backlog
        period = period.next()
    return out


def _subjects(vendor_id: int, contract_id: int | None, technician_id: int | None):
    yield (VENDOR, vendor_id)
    if contract_id:
        yield (CONTRACT, contract_id)
    if technician_id:
        yield (TECHNICIAN, technician_id)


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


def _percentiles(tickets, kind, zone, lo, hi, starts, vendor_id) -> dict:
    """Medians and 90th percentiles, which do not add up, per subject kind."""
    if connection.vendor == "postgresql":
        return _percentiles_postgresql(kind, zone, lo, hi, starts, vendor_id)
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


def _percentiles_postgresql(kind, zone, lo, hi, starts, vendor_id, table=None) -> dict:
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


def _backlog_ages(tickets, periods, zone, vendor_id) -> dict[dt.date, float | None]:
    """Median age in hours of the vendor's tickets still open at each period's end."""
    if connection.vendor == "postgresql":
        return _backlog_ages_postgresql(periods, zone, vendor_id)
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


def _backlog_ages_postgresql(periods, zone, vendor_id, table=None) -> dict[dt.date, float | None]:
    """One query: each ticket that outlives a period boundary is expanded into the period
    ends it was open at (generate_series), so only tickets crossing a boundary are touched."""
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
            date_trunc(%(kind)s, t.created_at AT TIME ZONE %(zone)s) + interval %(step)s,
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


def _uptime(vendor, contracts, periods, zone) -> dict[tuple[Subject, dt.date], dict]:
    """Per covered service: 1 - unplanned vendor-caused outage minutes / minutes in period."""
    outages = list(Outage.objects.filter(vendor=vendor))
    services = sorted({o.service for o in outages})
    if not services:
        return {}
    out = {}
    for period in periods:
        start, end = period.bounds(zone)
        minutes = (end - start).total_seconds() / 60
        down: dict[tuple[int | None, str], float] = defaultdict(float)
        for o in outages:
            if not o.vendor_caused or o.scheduled_maintenance:
                continue
            o_end = o.ended_at or end
            overlap = (min(o_end, end) - max(o.started_at, start)).total_seconds() / 60
            if overlap > 0:
                down[(o.contract_id, o.service)] += overlap
        for subject, contract_ids in [((VENDOR, vendor.pk), None)] + [
            ((CONTRACT, c.pk), {c.pk, None}) for c in contracts
        ]:
            per_service = {}
            for service in services:
                lost = sum(
                    m
                    for (cid, svc), m in down.items()
                    if svc == service and (contract_ids is None or cid in contract_ids)
                )
                per_service[service] = 1 - min(lost, minutes) / minutes
            total_down = sum((1 - v) * minutes for v in per_service.values())
            out[(subject, period.start)] = {
                "value": 100 * (1 - total_down / (minutes * len(services))),
                "down_minutes": total_down,
                "minutes": minutes * len(services),
                "services": {k: round(100 * v, 4) for k, v in per_service.items()},
            }
    return out


def _invoiced(vendor, kind, periods) -> dict[tuple[Subject, dt.date], dict]:
    """Invoiced amounts per contract and vendor; weeks have no invoices, so no cost figure."""
    if kind is PeriodKind.WEEK:
        return {}
    out: dict[tuple[Subject, dt.date], dict] = {}
    first, last = periods[0].start, periods[-1].end
    invoices = (
        Invoice.objects.filter(vendor=vendor, period_start__gte=first, period_start__lt=last)
        .values("contract_id", "period_start", "currency")
        .annotate(amount=Sum("amount"))
        .order_by()
    )
    for row in invoices:
        period = Period.containing(kind, row["period_start"])
        for subject in ((VENDOR, vendor.pk), (CONTRACT, row["contract_id"])):
            entry = out.setdefault(
                (subject, period.start), {"amount": Decimal(0), "currencies": set()}
            )
            entry["amount"] += row["amount"]
            entry["currencies"].add(row["currency"])
    return out


def _business_days(contract: Contract, periods) -> dict[dt.date, int]:
    """Days of each period with any open time on the contract's business calendar."""
    clock = contract.sla_policy.calendar.to_clock()
    zone = ZoneInfo(clock.time_zone)
    days = {}
    for period in periods:
        count, day = 0, period.start
        while day < period.end:
            start = dt.datetime.combine(day, dt.time(0), zone)
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
            count += sla.business_seconds(clock, start, end) > 0
            day += dt.timedelta(days=1)
        days[period.start] = count
    return days


def _days_for(subject, contract_by_id, business_days, period) -> int:
    if subject[0] == CONTRACT:
        return business_days[subject[1]][period.start]
    # A vendor's or technician's days: its (first) contract's calendar, else weekdays.
    for days in business_days.values():
        return days[period.start]
    return sum(1 for i in range(period.days) if (period.start + dt.timedelta(i)).weekday() < 5)


def _rate(numerator: float, denominator: float, min_sample: int, excluded: int = 0) -> Figure:
    if not denominator:
        return Figure(None, numerator, denominator, 0, excluded=excluded)
    ci = scoring.wilson_interval(int(numerator), int(denominator))
    return Figure(
        value=100 * numerator / denominator,
        numerator=numerator,
        denominator=denominator,
        sample_size=int(denominator),
        ci=(100 * ci[0], 100 * ci[1]),
        low_sample=denominator < min_sample,
        excluded=excluded,
    )


def _mean(total: float, count: float, scale: float, min_sample: int) -> Figure:
    if not count:
        return Figure(None, total, count, 0)
    return Figure(
        total / count / scale, total / scale, count, int(count), low_sample=count < min_sample
    )


def _figures(
    s,
    *,
    technicians,
    business_days,
    backlog,
    percentiles,
    backlog_age,
    uptime,
    invoiced,
    min_sample,
) -> dict[str, Figure]:
    resolved = s["resolved"]
    f: dict[str, Figure] = {
        "tickets_created": Figure(s["created"], sample_size=int(s["created"])),
        "tickets_resolved": Figure(resolved, sample_size=int(resolved)),
        "backlog": Figure(backlog, sample_size=int(backlog)),
        "backlog_age_p50": Figure(backlog_age, sample_size=int(backlog)),
        "response_time_mean": _mean(s["response_seconds"], s["responses"], 60, min_sample),
        "mttr": _mean(s["resolution_seconds"], resolved, 3600, min_sample),
        "fcr_pct": _rate(s["fcr"], resolved, min_sample),
        "reopen_pct": _rate(s["reopened"], resolved, min_sample),
        "repeat_pct": _rate(s["repeats"], resolved, min_sample),
        "escalation_pct": _rate(s["escalated"], resolved, min_sample),
    }
    for name, scale, count in (
        ("response_time", 60, s["responses"]),
        ("resolution_time", 3600, resolved),
    ):
        for q in ("p50", "p90"):
            raw = percentiles.get(f"{name}_{q}")
            f[f"{name}_{q}"] = Figure(
                None if raw is None else raw / scale,
                sample_size=int(count),
                low_sample=bool(count) and count < min_sample,
            )
    for target in ("response", "resolution"):
        met, breached = s[f"{target}_met"], s[f"{target}_breached"]
        f[f"{target}_sla_pct"] = _rate(
            met, met + breached, min_sample, int(s[f"{target}_excluded"])
        )
    all_met = s["response_met"] + s["resolution_met"]
    all_outcomes = all_met + s["response_breached"] + s["resolution_breached"]
    excluded = int(s["response_excluded"] + s["resolution_excluded"])
    f["sla_compliance_pct"] = _rate(all_met, all_outcomes, min_sample, excluded)

    answers = s["answers"]
    csat = _rate(s["satisfied"], answers, min_sample)
    csat.detail = {str(k): int(s[f"answers_{k}"]) for k in range(1, 6)}
    f["csat_pct"] = csat
    f["csat_avg"] = _mean(s["score_sum"], answers, 1, min_sample)
    f["survey_response_rate"] = (
        Figure(
            100 * answers / resolved,
            answers,
            resolved,
            int(resolved),
            low_sample=resolved < min_sample,
        )
        if resolved
        else Figure(None, answers, 0)
    )
    nps_n = s["nps_answers"]
    f["nps"] = (
        Figure(
            100 * (s["promoters"] - s["detractors"]) / nps_n,
            sample_size=int(nps_n),
            low_sample=nps_n < min_sample,
        )
        if nps_n
        else Figure(None)
    )
    if invoiced and resolved and len(invoiced["currencies"]) == 1:
        amount = invoiced["amount"]
        f["cost_per_ticket"] = Figure(
            float(amount) / resolved,
            float(amount),
            resolved,
            int(resolved),
            low_sample=resolved < min_sample,
            detail={"currency": next(iter(invoiced["currencies"]))},
        )
    else:
        f["cost_per_ticket"] = Figure(None, float(invoiced["amount"]) if invoiced else None)
    if uptime:
        f["uptime_pct"] = Figure(
            uptime["value"],
            uptime["minutes"] - uptime["down_minutes"],
            uptime["minutes"],
            detail={"services": uptime["services"]},
        )
    else:
        f["uptime_pct"] = Figure(None)
    f["tickets_per_tech_day"] = (
        Figure(
            resolved / technicians / business_days,
            resolved,
            technicians * business_days,
            int(resolved),
        )
        if resolved and technicians and business_days
        else Figure(None)
    )
    return f


def weights_and_targets(contract, subject_kind, overrides: Overrides):
    weights = {code: float(METRICS[code].weight) for code in SCORED}
    targets = {
        code: {"target": _f(METRICS[code].target), "floor": _f(METRICS[code].floor)}
        for code in SCORED
    }
    if contract is not None:
        cost_target = contract.target_cost_per_ticket
        if cost_target is not None:
            targets["cost_per_ticket"] = {
                "target": float(cost_target),
                "floor": 2 * float(cost_target),
            }
        rows = list(contract.weights.all())
        if rows:
            weights = dict.fromkeys(SCORED, 0.0)
        for row in rows:
            weights[row.metric] = float(row.weight)
            if row.target is not None:
                targets[row.metric]["target"] = float(row.target)
            if row.floor is not None:
                targets[row.metric]["floor"] = float(row.floor)
    for code, value in overrides.weights.items():
        weights[code] = float(value)
    for code, value in overrides.targets.items():
        targets[code]["target"] = float(value)
    for code, value in overrides.floors.items():
        targets[code]["floor"] = float(value)
    if subject_kind == TECHNICIAN:
        weights["cost_per_ticket"] = 0.0  # a technician has no invoice of their own
    return weights, targets


def _f(value) -> float | None:
    return None if value is None else float(value)


def _score(figures, weights, targets) -> scoring.Score | None:
    marks = {}
    for code in SCORED:
        figure = figures.get(code)
        t = targets[code]
        if (
            figure is None
            or figure.value is None
            or figure.low_sample
            or t["target"] is None
            or t["floor"] is None
            or t["target"] == t["floor"]
        ):
            continue
        marks[code] = scoring.mark(figure.value, target=t["target"], floor=t["floor"])
    return scoring.balanced_score(marks, weights)


def _credit(contract: Contract, figures) -> Figure:
    tiers = [
        scoring.Tier(t.metric, t.threshold, t.credit_pct, METRICS[t.metric].better is Better.HIGHER)
        for t in contract.credit_tiers.all()
    ]
    values = {
        code: None if f.value is None else Decimal(str(round(f.value, 4)))
        for code, f in figures.items()
    }
    amount, pct, per_metric = scoring.service_credit(
        values, tiers, monthly_fee=contract.monthly_fee, cap_pct=contract.credit_cap_pct
    )
    return Figure(
        float(amount),
        detail={
            "currency": contract.currency,
            "pct": str(pct),
            "per_metric": {k: str(v) for k, v in per_metric.items()},
        },
    )


def _vendor_credits(result: Result, vendor_id: int, contracts, periods) -> None:
    currencies = {c.currency for c in contracts}
    for period in periods:
        credits = [
            result.figures[((CONTRACT, c.pk), period.start)]["service_credit"].value or 0
            for c in contracts
            if ((CONTRACT, c.pk), period.start) in result.figures
        ]
        key = ((VENDOR, vendor_id), period.start)
        if key in result.figures:
            result.figures[key]["service_credit"] = (
                Figure(sum(credits), detail={"currency": next(iter(currencies))})
                if len(currencies) == 1
                else Figure(None, detail={"currencies": sorted(currencies)})
            )
