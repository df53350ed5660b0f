"""Writes for scorecards: recompute and store figures, close and reopen periods, disputes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Min
from django.utils import timezone

from assurance.models import Deliverable, Finding, SecurityAudit
from common.periods import Period, PeriodKind, periods_between
from scorecards.compute.daily import DailyTotals, daily_totals
from scorecards.compute.formulas import weights_and_targets
from scorecards.compute.results import Overrides, Result
from scorecards.compute.vendor import compute_vendor, vendor_contracts
from scorecards.models import (
    ClosedPeriod,
    DirtyPeriod,
    Dispute,
    MetricValue,
    Restatement,
    ReviewRating,
    Scorecard,
)
from tickets.models import Ticket
from vendors.metrics import CREDITABLE, SCORED
from vendors.models import Contract, Vendor
from vendors.services import audit_record_created

# Columns of a stored figure besides its key, in the order COPY writes them.
FIGURE_COLUMNS = [
    "value",
    "numerator",
    "denominator",
    "sample_size",
    "ci_low",
    "ci_high",
    "low_sample",
    "excluded",
    "detail",
    "computed_at",
]
KEY_FIELDS = ["subject_kind", "subject_id", "period_kind", "period_start", "metric"]


def _num(value: float | None, places: int = 4) -> float | None:
    """For COPY: the column's numeric type does the exact rounding to its `places`; a float
    is cheaper."""
    return None if value is None else round(float(value), 6)


def _dec(value: float | None, places: int = 4) -> Decimal | None:
    """Rounded half away from zero, as PostgreSQL rounds the same text into numeric."""
    if value is None:
        return None
    return Decimal(repr(round(float(value), 6))).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
    )


def vendor_check_ready(*, vendor: Vendor, contracts: list[Contract] | None = None) -> None:
    """Refuses a vendor whose contracts cannot be scored, naming the field. `contracts`, if
    given, are the vendor's, read with their weights and credit tiers.

    The models' own validation refuses the same on forms and the API; this catches rows that
    reached the database another way, before they could stop a recompute halfway.
    """
    for contract in vendor_contracts(vendor) if contracts is None else contracts:
        if contract.sla_policy_id is None:
            raise ValidationError({"sla_policy": f"Contract {contract} has no SLA policy."})
        weights = list(contract.weights.all())
        unknown = sorted({w.metric for w in weights} - SCORED)
        if unknown:
            raise ValidationError(
                {"weights": f"Contract {contract}: {', '.join(unknown)} is not a scored metric."}
            )
        if weights and sum(w.weight for w in weights) <= 0:
            raise ValidationError(
                {"weights": f"Contract {contract}: the weights add up to nothing positive."}
            )
        unknown = sorted({t.metric for t in contract.credit_tiers.all()} - CREDITABLE)
        if unknown:
            raise ValidationError(
                {
                    "credit_tiers": f"Contract {contract}: a credit tier names an unknown "
                    f"metric ({', '.join(unknown)})."
                }
            )


def _check_overrides(*, vendor: Vendor, overrides: Overrides) -> None:
    """What-if knobs: known scored metrics, and weights that still add up to something."""
    for name in ("weights", "targets", "floors"):
        unknown = sorted(set(getattr(overrides, name)) - SCORED)
        if unknown:
            raise ValidationError({name: f"{', '.join(unknown)} is not a scored metric."})
    if any(float(w) < 0 for w in overrides.weights.values()):
        raise ValidationError({"weights": "A weight cannot be negative."})
    contracts = list(Contract.objects.filter(vendor=vendor).prefetch_related("weights"))
    for contract in contracts or [None]:
        weights, _ = weights_and_targets(contract, "vendor", overrides)
        if sum(weights.values()) <= 0:
            raise ValidationError({"weights": "The weights add up to nothing positive."})


@transaction.atomic
def scorecards_recompute(
    *,
    vendor: Vendor,
    kind: PeriodKind | str,
    periods: Iterable[Period],
    now: dt.datetime | None = None,
    daily: DailyTotals | None = None,
) -> int:
    """Computes and stores (upserts) every figure of the vendor for these periods.

    Closed months are left as they are. A reopened month records each figure that changed as
    a restatement. Returns the number of figures written. Safe to run twice.
    """
    vendor_check_ready(vendor=vendor)
    return _recompute(vendor=vendor, kind=kind, periods=periods, now=now, daily=daily)


def _recompute(*, vendor, kind, periods, now=None, daily=None, contracts=None) -> int:
    """scorecards_recompute once the vendor is known to be ready; `contracts` as
    `vendor_contracts` reads them, or None to read them here."""
    kind = PeriodKind(kind)
    now = now or timezone.now()
    closed = {
        c.period_start: c
        for c in ClosedPeriod.objects.filter(vendor=vendor, period_kind=kind.value)
    }
    periods = [
        p for p in periods if not (p.start in closed and closed[p.start].reopened_at is None)
    ]
    if not periods:
        return 0
    result = compute_vendor(
        vendor=vendor, kind=kind, periods=periods, daily=daily, contracts=contracts
    )
    reopened = {start: c for start, c in closed.items() if c.reopened_at is not None}
    if reopened:
        _record_restatements(vendor, kind, result, reopened, now)
    written = _store(vendor, kind, result, now, [p.start for p in periods])
    DirtyPeriod.objects.filter(
        vendor=vendor,
        period_kind=kind.value,
        period_start__in=[p.start for p in periods],
        marked_at__lte=now,
    ).delete()
    return written


def scorecards_recompute_vendor(
    *, vendor: Vendor, every_period: bool = False, now: dt.datetime | None = None
) -> int:
    """A vendor's dirty and open periods (or every period) of all three kinds, reading the
    vendor's daily totals once for all of them."""
    today = timezone.localdate()
    plan = {}
    for kind in PeriodKind:
        if every_period:
            plan[kind] = set(all_periods(vendor=vendor, kind=kind))
        else:
            dirty = DirtyPeriod.objects.filter(vendor=vendor, period_kind=kind.value)
            plan[kind] = {Period(kind, s) for s in dirty.values_list("period_start", flat=True)}
            plan[kind] |= set(open_periods(vendor=vendor, kind=kind, today=today))
    return scorecards_recompute_plan(vendor=vendor, plan=plan, now=now)


def scorecards_recompute_plan(
    *,
    vendor: Vendor,
    plan: dict[PeriodKind, Iterable[Period]],
    now: dt.datetime | None = None,
) -> int:
    """Recomputes these periods of each kind, reading the vendor's daily totals once for all
    of them. Returns the number of figures written."""
    plan = {PeriodKind(kind): set(periods) for kind, periods in plan.items()}
    # Closed months stay as they are (scorecards_recompute skips them too); their dirty
    # marks wait for a reopen, and must not widen the span of tickets read every night.
    frozen = ClosedPeriod.objects.filter(
        vendor=vendor, period_kind=PeriodKind.MONTH.value, reopened_at__isnull=True
    ).values_list("period_start", flat=True)
    if PeriodKind.MONTH in plan:
        plan[PeriodKind.MONTH] -= {Period(PeriodKind.MONTH, start) for start in frozen}
    spans = [(min(ps).start, max(ps).end - dt.timedelta(days=1)) for ps in plan.values() if ps]
    if not spans:
        return 0
    daily = daily_totals(
        vendor=vendor,
        first=min(s for s, _ in spans),
        last=max(e for _, e in spans),
        kinds=[kind for kind, periods in plan.items() if periods],
        opening_days={min(periods).start for periods in plan.values() if periods},
    )
    # The contracts are read and checked once for all kinds, not once per kind.
    contracts = vendor_contracts(vendor)
    vendor_check_ready(vendor=vendor, contracts=contracts)
    with transaction.atomic():
        return sum(
            _recompute(
                vendor=vendor,
                kind=kind,
                periods=periods,
                now=now,
                daily=daily,
                contracts=contracts,
            )
            for kind, periods in plan.items()
        )


def _store(
    vendor: Vendor, kind: PeriodKind, result: Result, now: dt.datetime, starts: list[dt.date]
) -> int:
    """Upserts the result's figures and scores of these periods, and deletes those of the
    vendor's stored for them that the result no longer holds (a period left with no tickets
    keeps no ticket figures)."""
    if connection.vendor == "postgresql":
        return _store_postgresql(vendor, kind, result, now, starts)
    return _store_sqlite(vendor, kind, result, now, starts)


def _sqlite_num(value: float | None, places: int = 4) -> int | str | None:
    """What Django writes for `_dec(value)` into SQLite's NUMERIC column, without a model
    instance: the decimal's text, or the integer SQLite would store for it."""
    if value is None:
        return None
    rounded = round(float(value), 6)
    if rounded.is_integer():
        return int(rounded)
    return str(Decimal(repr(rounded)).quantize(_QUANTUM[places], rounding=ROUND_HALF_UP))


_QUANTUM = {places: Decimal(1).scaleb(-places) for places in (2, 4)}


def _rows(vendor, kind, result: Result, *, num, day, stamp) -> tuple[list, list]:
    """The result's figures and scorecards as rows of _METRIC_COLUMNS and _CARD_COLUMNS, each
    value adapted by the backend's writer: `num(value, places)` for numbers, `day(start)` for
    period starts, `stamp` for computed_at."""
    vendor_id, period_kind = vendor.pk, kind.value
    figures = [
        (
            vendor_id,
            subject_kind,
            subject_id,
            period_kind,
            day(start),
            metric,
            num(f.value),
            num(f.numerator),
            num(f.denominator),
            f.sample_size,
            num(f.ci[0]) if f.ci else None,
            num(f.ci[1]) if f.ci else None,
            f.low_sample,
            f.excluded,
            json.dumps(f.detail) if f.detail else "{}",
            stamp,
        )
        for ((subject_kind, subject_id), start), by_metric in result.figures.items()
        for metric, f in by_metric.items()
        if not f.says_nothing
    ]
    targets = {subject: json.dumps(_targets_used(result, *subject)) for subject in result.targets}
    cards = [
        (
            vendor_id,
            subject_kind,
            subject_id,
            period_kind,
            day(start),
            None if score is None else num(score.score, 2),
            "" if score is None else score.grade,
            json.dumps(_weights_used(score)),
            targets[(subject_kind, subject_id)],
            stamp,
        )
        for ((subject_kind, subject_id), start), score in result.scores.items()
    ]
    return figures, cards


def _store_sqlite(vendor, kind, result: Result, now, starts) -> int:
    """SQLite: prepared statements run over plain tuples (an insert for new keys, an upsert
    for stored ones), a fraction of what building and saving a model instance per figure
    costs (the demo writes hundreds of thousands). The values are what Django would write."""
    ops = connection.ops
    days = {start: ops.adapt_datefield_value(start) for start in starts}
    figures, cards = _rows(
        vendor,
        kind,
        result,
        num=_sqlite_num,
        day=lambda start: days.get(start) or ops.adapt_datefield_value(start),
        stamp=ops.adapt_datetimefield_value(now),
    )
    with connection.cursor() as cursor:
        # SQLite's default page cache (2 MB) makes each index insert of a large run a read
        # and a write of a page; a larger one for this connection keeps the indexes in memory.
        cursor.execute("PRAGMA cache_size = -131072")
    for model, columns, keys, rows in (
        (MetricValue, _METRIC_COLUMNS, 6, figures),
        (Scorecard, _CARD_COLUMNS, 5, cards),
    ):
        stored = _delete_stale(model, vendor, kind.value, starts, {row[1:keys] for row in rows})
        rows.sort(key=lambda row: row[1:keys])  # in key order: each index page touched once
        names, marks = ", ".join(columns), ", ".join(["%s"] * len(columns))
        insert = f"INSERT INTO {model._meta.db_table} ({names}) VALUES ({marks})"
        updates = ", ".join(f"{c} = excluded.{c}" for c in [columns[0], *columns[keys:]])
        upsert = f"{insert} ON CONFLICT ({', '.join(columns[1:keys])}) DO UPDATE SET {updates}"
        # A plain insert costs half an upsert: new keys are inserted, stored ones updated. A
        # key stored under another vendor (a technician who moved) falls back to the upsert.
        new = [row for row in rows if row[1:keys] not in stored]
        existing = [row for row in rows if row[1:keys] in stored]
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(insert, new)
        except IntegrityError:
            existing = rows
        if existing:
            with connection.cursor() as cursor:
                cursor.executemany(upsert, existing)
    return len(figures)


def _delete_stale(model, vendor, period_kind, starts, keep: set) -> set:
    """Deletes the vendor's rows of these periods whose key is not in `keep`; returns the
    keys of those kept."""
    key = ["subject_kind", "subject_id", "period_kind", "period_start"]
    if model is MetricValue:
        key.append("metric")
    stored = model.objects.filter(vendor=vendor, period_kind=period_kind, period_start__in=starts)
    ops, kept, stale = connection.ops, set(), []
    for pk, *values in stored.values_list("pk", *key):
        values[3] = ops.adapt_datefield_value(values[3])
        if tuple(values) in keep:
            kept.add(tuple(values))
        else:
            stale.append(pk)
    for i in range(0, len(stale), 10_000):
        model.objects.filter(pk__in=stale[i : i + 10_000]).delete()
    return kept


def _weights_used(score) -> dict:
    return {} if score is None else {k: round(v, 6) for k, v in score.weights.items()}


def _targets_used(result: Result, subject_kind: str, subject_id: int) -> dict:
    return {k: v for k, v in result.targets[(subject_kind, subject_id)].items() if k in SCORED}


CARD_KEY_FIELDS = ["subject_kind", "subject_id", "period_kind", "period_start"]
_METRIC_COLUMNS = ["vendor_id", *KEY_FIELDS, *FIGURE_COLUMNS]
_CARD_COLUMNS = [
    "vendor_id",
    *CARD_KEY_FIELDS,
    "score",
    "grade",
    "weights",
    "targets",
    "computed_at",
]


def _store_postgresql(vendor: Vendor, kind: PeriodKind, result: Result, now, starts) -> int:
    """PostgreSQL: COPY, which costs a fraction of building a model instance per figure (a
    full recompute writes millions)."""
    period_kind = kind.value
    figures, cards = _rows(vendor, kind, result, num=_num, day=lambda start: start, stamp=now)
    # Rewriting an unchanged figure costs a new tuple and index entries; most nights most
    # figures do not change, so only changed ones are written (computed_at = last change).
    _copy_upsert(MetricValue, vendor, period_kind, starts, _METRIC_COLUMNS, figures, 6, True)
    _copy_upsert(Scorecard, vendor, period_kind, starts, _CARD_COLUMNS, cards, 5, False)
    return len(figures)


def _copy_upsert(model, vendor, period_kind, starts, columns, rows, keys, only_changed) -> None:
    """COPY `rows` (vendor, then `keys - 1` key columns, values, computed_at) into the model's
    table, updating rows already there.

    When the vendor has nothing stored for these periods (a first or a full cold run) the
    rows are copied straight in: no staging table and no conflict check per row. Should a
    key be taken after all (say, a technician's figures stored under the vendor they worked
    for before), that falls back to the staging path.
    """
    table, names = model._meta.db_table, ", ".join(columns)
    stored = model.objects.filter(
        vendor=vendor, period_kind=period_kind, period_start__in=starts
    ).exists()
    if not stored:
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                _copy(cursor, table, names, rows)
            return
        except IntegrityError:
            pass
    key = columns[1:keys]
    values = columns[keys:-1]  # what a row is, without its key and when it was computed
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in [*values, "computed_at", "vendor_id"])
    changed = (
        f" WHERE ({', '.join(f'{table}.{c}' for c in values)}) IS DISTINCT FROM "
        f"({', '.join(f'EXCLUDED.{c}' for c in values)})"
        if only_changed
        else ""
    )
    stage = f"vs_stage_{table}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "
            f"SELECT {names} FROM {table} WITH NO DATA"
        )
        # Keyed, so that the stale-row check below can probe it: the planner's estimate of
        # the stored rows can be far too low (say, just after a cold run copied millions
        # in), and then it looks the stage up once per stored row.
        cursor.execute(
            f"CREATE UNIQUE INDEX IF NOT EXISTS {stage}_key ON {stage} ({', '.join(key)})"
        )
        cursor.execute(f"TRUNCATE {stage}")
        _copy(cursor, stage, names, rows)
        cursor.execute(
            f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} "
            f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updates}{changed}"
        )
        # What the vendor had stored for these periods and no longer has (a period left
        # with no tickets keeps no ticket figures). The stage holds one period kind, so the
        # probe leaves it out: named, it becomes a filter on the never-analysed stage that
        # the planner takes for one row, and then scans the stage once per stored row
        # (100 ms for a month of one vendor's figures, not 3). ANALYZE of the stage would
        # fix the estimate too, but costs 0.1 s per kind on a full recompute.
        cursor.execute(
            f"DELETE FROM {table} t WHERE t.vendor_id = %s AND t.period_kind = %s "
            f"AND t.period_start = ANY(%s) AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE "
            f"{' AND '.join(f's.{c} = t.{c}' for c in key if c != 'period_kind')})",
            [vendor.pk, period_kind, list(starts)],
        )


def _copy(cursor, table: str, names: str, rows) -> None:
    # The driver's own cursor copies; its errors are turned into Django's (IntegrityError).
    sql = f"COPY {table} ({names}) FROM STDIN"
    with connection.wrap_database_errors, cursor.connection.cursor().copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def _record_restatements(vendor, kind, result: Result, reopened: dict, now) -> None:
    stored = {
        (m.subject_kind, m.subject_id, m.period_start, m.metric): m.value
        for m in MetricValue.objects.filter(
            vendor=vendor, period_kind=kind.value, period_start__in=list(reopened)
        )
    }
    restatements = []
    for ((subject_kind, subject_id), start), figures in result.figures.items():
        if start not in reopened:
            continue
        for metric, f in figures.items():
            old, new = stored.get((subject_kind, subject_id, start, metric)), _dec(f.value)
            if old != new:
                restatements.append(
                    Restatement(
                        vendor=vendor,
                        subject_kind=subject_kind,
                        subject_id=subject_id,
                        period_kind=kind.value,
                        period_start=start,
                        metric=metric,
                        old_value=old,
                        new_value=new,
                        restated_by=reopened[start].reopened_by,
                        restated_at=now,
                    )
                )
    Restatement.objects.bulk_create(restatements, batch_size=2000)


def scorecards_what_if(
    *, vendor: Vendor, kind: PeriodKind | str, periods: Iterable[Period], overrides: Overrides
) -> Result:
    """Figures and scores with other weights or targets, computed and returned, never saved."""
    vendor_check_ready(vendor=vendor)
    _check_overrides(vendor=vendor, overrides=overrides)
    return compute_vendor(vendor=vendor, kind=kind, periods=periods, overrides=overrides)


def period_close(*, vendor: Vendor, period: Period, user=None, now=None) -> ClosedPeriod:
    """Freezes a vendor's month: later imports and recomputes leave its figures alone."""
    if period.kind is not PeriodKind.MONTH:
        raise ValidationError({"period_kind": "Only months are closed."})
    closed, _ = ClosedPeriod.objects.update_or_create(
        vendor=vendor,
        period_kind=period.kind.value,
        period_start=period.start,
        defaults={
            "closed_at": now or timezone.now(),
            "closed_by": user,
            "reopened_at": None,
            "reopened_by": None,
        },
    )
    return closed


@transaction.atomic
def period_reopen(*, vendor: Vendor, period: Period, user, now=None) -> ClosedPeriod:
    """Lets a closed month be recomputed; each figure that then changes is a restatement.

    The month is marked dirty, so the next nightly run recomputes it with what was imported
    while it was closed.
    """
    try:
        closed = ClosedPeriod.objects.get(
            vendor=vendor, period_kind=period.kind.value, period_start=period.start
        )
    except ClosedPeriod.DoesNotExist:
        raise ValidationError({"period_start": f"{period} is not closed."}) from None
    closed.reopened_at, closed.reopened_by = now or timezone.now(), user
    closed.save(update_fields=["reopened_at", "reopened_by"])
    DirtyPeriod.objects.update_or_create(
        vendor=vendor,
        period_kind=period.kind.value,
        period_start=period.start,
        defaults={"marked_at": closed.reopened_at},
    )
    return closed


def figures_vacuum() -> bool:
    """VACUUM (ANALYZE) of the figure and scorecard tables, after a run that rewrote many of
    their rows; False where there is nothing to do (SQLite, or inside a transaction).

    A recompute replaces changed rows, and until a vacuum the dead versions stay in the
    tables and their indexes: the API's newest-first list of technician scorecards read
    34,000 index entries for 9,900 rows and took 90 ms instead of 48. Autovacuum gets there in
    its own time, or never where it is turned off; the nightly run should not depend on it.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    tables = ", ".join(m._meta.db_table for m in (MetricValue, Scorecard))
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {tables}")
    return True


def periods_auto_close(*, today: dt.date, now: dt.datetime | None = None) -> list[ClosedPeriod]:
    """Closes every month that ended PERIOD_AUTO_CLOSE_DAYS or more days before `today`
    (October closes on 16 November with 15 days); closed_by empty means "automatically".

    Only months whose figures are stored and up to date are closed: a month still marked
    dirty waits for the night after its recompute, so a late import is not frozen out. A
    month closed or reopened by a manager is left as it is: reopening is a decision that an
    automatic close must not undo.
    """
    cutoff = today - dt.timedelta(days=settings.PERIOD_AUTO_CLOSE_DAYS)
    # Months ending on or before the cutoff: those starting before the cutoff's month.
    before = Period.containing(PeriodKind.MONTH, cutoff).start
    month = PeriodKind.MONTH.value
    computed = set(
        Scorecard.objects.filter(
            subject_kind="vendor", period_kind=month, period_start__lt=before
        ).values_list("vendor_id", "period_start")
    )
    computed -= set(
        ClosedPeriod.objects.filter(period_kind=month, period_start__lt=before).values_list(
            "vendor_id", "period_start"
        )
    )
    computed -= set(
        DirtyPeriod.objects.filter(period_kind=month, period_start__lt=before).values_list(
            "vendor_id", "period_start"
        )
    )
    now = now or timezone.now()
    closing = [
        ClosedPeriod(vendor_id=vendor_id, period_kind=month, period_start=start, closed_at=now)
        for vendor_id, start in sorted(computed)
    ]
    # A manager closing the same month at the same moment wins; ours is then skipped.
    ClosedPeriod.objects.bulk_create(closing, ignore_conflicts=True)
    # bulk_create sends no signals and, ignoring conflicts, sets no ids: audit what was stored.
    audit_record_created(
        instances=ClosedPeriod.objects.filter(
            period_kind=month, closed_at=now, closed_by__isnull=True
        )
    )
    return closing


def periods_mark_dirty(*, vendor_id: int, instants: Iterable[dt.datetime]) -> int:
    """Marks every (week, month, quarter) containing one of `instants` for recompute."""
    zone = settings.REPORTING_TIME_ZONE
    marks = {
        (kind, Period.at(kind, instant, zone).start)
        for instant in instants
        if instant is not None
        for kind in PeriodKind
    }
    now = timezone.now()
    DirtyPeriod.objects.bulk_create(
        [
            DirtyPeriod(vendor_id=vendor_id, period_kind=k.value, period_start=s, marked_at=now)
            for k, s in marks
        ],
        update_conflicts=True,
        unique_fields=["vendor", "period_kind", "period_start"],
        update_fields=["marked_at"],
    )
    return len(marks)


def ticket_mark_dirty(ticket: Ticket) -> int:
    """The periods a ticket's figures fall in: created, responded, resolved and outcomes."""
    return periods_mark_dirty(
        vendor_id=ticket.vendor_id,
        instants=[
            ticket.created_at,
            ticket.first_response_at,
            ticket.resolved_at,
            ticket.response_outcome_at,
            ticket.resolution_outcome_at,
        ],
    )


def open_periods(*, vendor: Vendor, kind: PeriodKind, today: dt.date) -> list[Period]:
    """The periods the nightly run refreshes besides the dirty ones: the current one, and
    the previous one on the first night after it ended (its last day's figures)."""
    current = Period.containing(kind, today)
    if (today - current.start).days < 1:
        return [current.previous(), current]
    return [current]


def all_periods(*, vendor: Vendor, kind: PeriodKind) -> list[Period]:
    """Every period from the vendor's first record (a ticket, or for months and quarters an
    audit, finding, deliverable or rating) to today."""
    kind, zone = PeriodKind(kind), settings.REPORTING_TIME_ZONE
    firsts = []
    ticket = Ticket.objects.filter(vendor=vendor).order_by("created_at").first()
    if ticket is not None:
        firsts.append(Period.at(kind, ticket.created_at, zone).start)
    if kind is not PeriodKind.WEEK:
        firsts += [
            Period.containing(kind, day).start
            for day in _first_days_beyond_tickets(vendor)
            if day is not None
        ]
    if not firsts:
        return []
    start = min(firsts)
    today = timezone.now().astimezone(timezone.get_default_timezone()).date()
    return list(periods_between(kind, start, max(today, start)))


def _first_days_beyond_tickets(vendor: Vendor) -> list[dt.date | None]:
    return [
        SecurityAudit.objects.filter(vendor=vendor).aggregate(d=Min("held_on"))["d"],
        Finding.objects.filter(vendor=vendor).aggregate(d=Min("raised_on"))["d"],
        Deliverable.objects.filter(vendor=vendor).aggregate(d=Min("planned_on"))["d"],
        ReviewRating.objects.filter(vendor=vendor).aggregate(d=Min("month"))["d"],
    ]


@transaction.atomic
def dispute_raise(*, ticket: Ticket, target: str, reason: str, user, now=None) -> Dispute:
    """A vendor contests a breach; the breach keeps counting until a manager accepts."""
    if target not in ("response", "resolution"):
        raise ValidationError({"target": "Dispute the response or the resolution target."})
    if getattr(ticket, f"{target}_met") is not False:
        raise ValidationError({"target": f"The {target} target was not breached."})
    if not reason.strip():
        raise ValidationError({"reason": "Give the reason for the dispute."})
    if Dispute.objects.filter(
        ticket=ticket, target=target, status__in=["open", "accepted"]
    ).exists():
        raise ValidationError({"target": f"The {target} breach is already disputed."})
    return Dispute.objects.create(
        ticket=ticket,
        target=target,
        reason=reason.strip(),
        raised_by=user,
        raised_at=now or timezone.now(),
    )


@transaction.atomic
def dispute_decide(*, dispute: Dispute, accept: bool, note: str, user, now=None) -> Dispute:
    """A manager accepts (the outcome is then excluded) or rejects (it keeps counting)."""
    if dispute.status != Dispute.Status.OPEN:
        raise ValidationError({"status": f"The dispute is already {dispute.status}."})
    dispute.status = Dispute.Status.ACCEPTED if accept else Dispute.Status.REJECTED
    dispute.decided_by, dispute.decided_at = user, now or timezone.now()
    dispute.decision_note = note
    dispute.save()
    if accept:
        Ticket.objects.filter(pk=dispute.ticket_id).update(**{f"{dispute.target}_excluded": True})
    ticket_mark_dirty(Ticket.objects.get(pk=dispute.ticket_id))
    return dispute
