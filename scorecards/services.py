"""Writes for scorecards: recompute and store figures, close and reopen periods, disputes."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from scorecards.compute import (
    DailyTotals,
    Figure,
    Overrides,
    Result,
    compute_vendor,
    daily_totals,
)
from scorecards.metrics import SCORED
from scorecards.models import (
    ClosedPeriod,
    DirtyPeriod,
    Dispute,
    MetricValue,
    Restatement,
    Scorecard,
)
from scorecards.periods import Period, PeriodKind, periods_between
from tickets.models import Ticket
from vendors.models import Contract, Vendor

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
VALUE_FIELDS = ["vendor", *FIGURE_COLUMNS]
KEY_FIELDS = ["subject_kind", "subject_id", "period_kind", "period_start", "metric"]


def _num(value: float | None) -> float | None:
    """For COPY: the column's numeric(18, 4) does the exact rounding; a float is cheaper."""
    return None if value is None else round(float(value), 6)


def _dec(value: float | None, places: int = 4) -> Decimal | None:
    """Rounded half away from zero, as PostgreSQL rounds the same text into numeric."""
    if value is None:
        return None
    return Decimal(repr(round(float(value), 6))).quantize(
        Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
    )


def vendor_check_ready(*, vendor: Vendor) -> None:
    """Refuses a vendor whose contracts cannot be scored, naming the field."""
    for contract in Contract.objects.filter(vendor=vendor).prefetch_related("weights"):
        if contract.sla_policy_id is None:
            raise ValidationError({"sla_policy": f"Contract {contract} has no SLA policy."})
        weights = list(contract.weights.all())
        if weights and sum(w.weight for w in weights) <= 0:
            raise ValidationError(
                {"weights": f"Contract {contract}: the weights add up to nothing positive."}
            )


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
    result = compute_vendor(vendor=vendor, kind=kind, periods=periods, daily=daily)
    reopened = {start: c for start, c in closed.items() if c.reopened_at is not None}
    if reopened:
        _record_restatements(vendor, kind, result, reopened, now)
    written = _store(vendor, kind, result, now)
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
    spans = [(min(ps).start, max(ps).end - dt.timedelta(days=1)) for ps in plan.values() if ps]
    if not spans:
        return 0
    daily = daily_totals(
        vendor=vendor, first=min(s for s, _ in spans), last=max(e for _, e in spans)
    )
    return sum(
        scorecards_recompute(vendor=vendor, kind=kind, periods=periods, now=now, daily=daily)
        for kind, periods in plan.items()
    )


def _store(vendor: Vendor, kind: PeriodKind, result: Result, now: dt.datetime) -> int:
    if connection.vendor == "postgresql":
        written = _copy_metric_values(vendor, kind, result, now)
    else:
        rows = [
            _metric_row(vendor, kind, subject_kind, subject_id, start, metric, f, now)
            for ((subject_kind, subject_id), start), figures in result.figures.items()
            for metric, f in figures.items()
        ]
        MetricValue.objects.bulk_create(
            rows,
            batch_size=2000,
            update_conflicts=True,
            unique_fields=KEY_FIELDS,
            update_fields=VALUE_FIELDS,
        )
        written = len(rows)
    cards = []
    for ((subject_kind, subject_id), start), score in result.scores.items():
        cards.append(
            Scorecard(
                vendor=vendor,
                subject_kind=subject_kind,
                subject_id=subject_id,
                period_kind=kind.value,
                period_start=start,
                score=None if score is None else _dec(score.score, 2),
                grade="" if score is None else score.grade,
                weights={} if score is None else {k: round(v, 6) for k, v in score.weights.items()},
                targets={
                    k: v
                    for k, v in result.targets[(subject_kind, subject_id)].items()
                    if k in SCORED
                },
                computed_at=now,
            )
        )
    Scorecard.objects.bulk_create(
        cards,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["subject_kind", "subject_id", "period_kind", "period_start"],
        update_fields=["vendor", "score", "grade", "weights", "targets", "computed_at"],
    )
    return written


_COPY_COLUMNS = ["vendor_id", *KEY_FIELDS, *FIGURE_COLUMNS]


def _copy_metric_values(vendor, kind, result: Result, now) -> int:
    """PostgreSQL: COPY into a temporary table, then one INSERT .. ON CONFLICT DO UPDATE.

    A full recompute writes millions of figures; building a model instance per figure would
    cost more than computing them.
    """
    table = MetricValue._meta.db_table
    columns = ", ".join(_COPY_COLUMNS)
    values = _COPY_COLUMNS[6:-1]  # what a figure is, without when it was computed
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in [*values, "computed_at", "vendor_id"])
    # Rewriting an unchanged row costs a new tuple and index entries; most nights most
    # figures do not change, so only changed ones are written (computed_at = last change).
    changed = (
        f"({', '.join(f'{table}.{c}' for c in values)}) IS DISTINCT FROM "
        f"({', '.join(f'EXCLUDED.{c}' for c in values)})"
    )
    count = 0
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS vs_metric_stage ON COMMIT DELETE ROWS AS "
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        cursor.execute("TRUNCATE vs_metric_stage")
        with cursor.connection.cursor().copy(
            f"COPY vs_metric_stage ({columns}) FROM STDIN"
        ) as copy:
            for ((subject_kind, subject_id), start), figures in result.figures.items():
                for metric, f in figures.items():
                    copy.write_row(
                        (
                            vendor.pk,
                            subject_kind,
                            subject_id,
                            kind.value,
                            start,
                            metric,
                            _num(f.value),
                            _num(f.numerator),
                            _num(f.denominator),
                            f.sample_size,
                            _num(f.ci[0]) if f.ci else None,
                            _num(f.ci[1]) if f.ci else None,
                            f.low_sample,
                            f.excluded,
                            json.dumps(f.detail),
                            now,
                        )
                    )
                    count += 1
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} FROM vs_metric_stage "
            f"ON CONFLICT (subject_kind, subject_id, period_kind, period_start, metric) "
            f"DO UPDATE SET {updates} WHERE {changed}"
        )
    return count


def _metric_row(vendor, kind, subject_kind, subject_id, start, metric, f: Figure, now):
    return MetricValue(
        vendor=vendor,
        subject_kind=subject_kind,
        subject_id=subject_id,
        period_kind=kind.value,
        period_start=start,
        metric=metric,
        value=_dec(f.value),
        numerator=_dec(f.numerator),
        denominator=_dec(f.denominator),
        sample_size=f.sample_size,
        ci_low=_dec(f.ci[0]) if f.ci else None,
        ci_high=_dec(f.ci[1]) if f.ci else None,
        low_sample=f.low_sample,
        excluded=f.excluded,
        detail=f.detail,
        computed_at=now,
    )


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


def period_reopen(*, vendor: Vendor, period: Period, user, now=None) -> ClosedPeriod:
    """Lets a closed month be recomputed; each figure that then changes is a restatement."""
    try:
        closed = ClosedPeriod.objects.get(
            vendor=vendor, period_kind=period.kind.value, period_start=period.start
        )
    except ClosedPeriod.DoesNotExist:
        raise ValidationError({"period_start": f"{period} is not closed."}) from None
    closed.reopened_at, closed.reopened_by = now or timezone.now(), user
    closed.save(update_fields=["reopened_at", "reopened_by"])
    return closed


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
    """Every period from the vendor's first ticket to today."""
    zone = settings.REPORTING_TIME_ZONE
    first = Ticket.objects.filter(vendor=vendor).order_by("created_at").first()
    if first is None:
        return []
    start = Period.at(kind, first.created_at, zone).start
    today = timezone.now().astimezone(timezone.get_default_timezone()).date()
    return list(periods_between(kind, start, max(today, start)))


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
