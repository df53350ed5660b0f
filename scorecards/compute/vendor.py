"""`compute_vendor`, the entry point: one vendor's figures and scores for a run of periods of one
kind, from its daily totals, percentiles and backlog ages, and the inputs that are not
tickets: uptime from outages, invoiced amounts and each contract's business days."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, Sum

from common.periods import Period, PeriodKind
from scorecards.compute.beyond import beyond_ticket_figures
from scorecards.compute.daily import DailyTotals, daily_totals
from scorecards.compute.distributions import period_backlog_ages, period_percentiles
from scorecards.compute.formulas import (
    add_vendor_credits,
    contract_credit,
    quiet_figures,
    subject_figures,
    subject_score,
    uptime_figure,
    weights_and_targets,
)
from scorecards.compute.results import (
    CONTRACT,
    TECHNICIAN,
    VENDOR,
    Figure,
    Overrides,
    Result,
    Subject,
)
from tickets.models import Outage, Ticket
from vendors import sla
from vendors.models import Contract, Invoice, Vendor

# Figures a technician never has (outages and invoices are a vendor's or contract's, the
# backlog's age the vendor's): "no data" by definition, so not stored for technicians.
NOT_A_TECHNICIANS = ("uptime_pct", "cost_per_ticket", "backlog_age_p50")


class _Sums(defaultdict):
    def __init__(self) -> None:
        super().__init__(float)


def compute_vendor(
    *,
    vendor: Vendor,
    kind: PeriodKind | str,
    periods: Iterable[Period],
    overrides: Overrides | None = None,
    daily: DailyTotals | None = None,
    contracts: list[Contract] | None = None,
) -> Result:
    """`contracts`, if given, are `vendor_contracts(vendor)`, read once for several kinds."""
    kind = PeriodKind(kind)
    periods = sorted(set(periods))
    zone = settings.REPORTING_TIME_ZONE
    if not periods:
        return Result({}, {}, {})
    lo, _ = periods[0].bounds(zone)
    _, hi = periods[-1].bounds(zone)
    last_day = periods[-1].end - dt.timedelta(days=1)
    if daily is None or daily.first > periods[0].start or daily.last < last_day:
        daily = daily_totals(
            vendor=vendor,
            first=periods[0].start,
            last=last_day,
            kinds=[kind],
            opening_days=[periods[0].start],
        )
    starts = {p.start for p in periods}
    if contracts is None:
        contracts = vendor_contracts(vendor)
    tickets = Ticket.objects.filter(vendor=vendor)

    sums: dict[tuple[Subject, dt.date], _Sums] = defaultdict(_Sums)
    technicians_by: dict[tuple[Subject, dt.date], set[int]] = defaultdict(set)
    # Created and resolved counts of every period in the span, asked for or not, so the
    # backlog can be carried across gaps between the periods being recomputed.
    flows: dict[tuple[Subject, dt.date], list[float]] = defaultdict(lambda: [0.0, 0.0])
    period_of: dict[dt.date, dt.date] = {}

    # Days are summed into their period per (contract, technician) first, and only those
    # sums into each subject: a week has a seventh of the rows to fan out, a month a thirtieth.
    per_period: dict[tuple[dt.date, int | None, int | None], dict[str, float]] = {}
    for day, contract_id, technician_id, values in daily.rows:
        if not periods[0].start <= day <= last_day:
            continue
        start = period_of.get(day)
        if start is None:
            start = period_of[day] = Period.containing(kind, day).start
        bucket = per_period.get((start, contract_id, technician_id))
        if bucket is None:
            per_period[(start, contract_id, technician_id)] = dict(values)
        else:
            for key, value in values.items():
                bucket[key] = bucket.get(key, 0) + value

    for (start, contract_id, technician_id), values in per_period.items():
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
    opening: dict[Subject, float] = defaultdict(float)
    open_at_start = daily.opening.get(periods[0].start)
    if open_at_start is None:
        open_at_start = (
            tickets.filter(created_at__lt=lo)
            .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=lo))
            .values_list("contract_id", "technician_id")
            .annotate(n=Count("id"))
            .order_by()
        )
    for contract_id, technician_id, n in open_at_start:
        for subject in _subjects(vendor.pk, contract_id, technician_id):
            opening[subject] += n

    if kind in daily.percentiles:
        percentiles = daily.percentiles[kind]
        backlog_ages = {p.start: daily.backlog_ages[kind].get(p.start) for p in periods}
    else:
        percentiles = period_percentiles(tickets, kind, zone, lo, hi, starts, vendor.pk)
        backlog_ages = period_backlog_ages(tickets, periods, zone, vendor.pk)
    uptime = _uptime(vendor, contracts, periods, zone)
    invoiced = _invoiced(vendor, kind, periods)
    business_days = {
        c.pk: _business_days(c, periods, daily.open_days.setdefault(c.pk, {})) for c in contracts
    }
    beyond = (
        {}
        if kind is PeriodKind.WEEK
        else beyond_ticket_figures(vendor=vendor, contracts=contracts, kind=kind, periods=periods)
    )

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
            s = sums.get(key)
            if not s:
                # No ticket in the period: what is stored follows the tickets. A technician
                # has no row at all; a vendor or contract keeps only what says "no tickets"
                # (none created or resolved, the backlog carried through), beside its figures
                # from outages and records beyond tickets.
                if subject[0] == TECHNICIAN:
                    continue
                figures = quiet_figures(
                    backlog=backlog_at[period.start],
                    backlog_age=backlog_ages.get(period.start) if subject[0] == VENDOR else None,
                )
                if key in uptime:
                    figures["uptime_pct"] = uptime_figure(uptime[key])
                figures.update(beyond.get(key, {}))
            else:
                figures = subject_figures(
                    s,
                    technicians=len(technicians_by.get(key, ())) if subject[0] != TECHNICIAN else 1,
                    business_days=_days_for(subject, contract_by_id, business_days, period),
                    backlog=backlog_at[period.start],
                    percentiles=percentiles.get(key, {}),
                    backlog_age=backlog_ages.get(period.start) if subject[0] == VENDOR else None,
                    uptime=uptime.get(key),
                    invoiced=invoiced.get(key),
                    min_sample=min_sample,
                )
                figures.update(beyond.get(key, {}))  # before credits and score: both use them
                if subject[0] == TECHNICIAN:
                    for code in NOT_A_TECHNICIANS:
                        del figures[code]
            if subject[0] == CONTRACT and kind is PeriodKind.MONTH:
                figures["service_credit"] = contract_credit(contract_by_id[subject[1]], figures)
            result.figures[key] = figures
    if kind is PeriodKind.MONTH:
        add_vendor_credits(result, vendor.pk, contracts, periods)
    used: dict[Subject, tuple] = {}  # the same for each of a subject's periods
    for key, figures in result.figures.items():
        if key[0] not in used:
            used[key[0]] = weights_and_targets(
                contract_by_id.get(key[0][1]) if key[0][0] == CONTRACT else primary,
                key[0][0],
                overrides,
            )
        weights, targets = used[key[0]]
        result.scores[key] = subject_score(figures, weights, targets)
        score = result.scores[key]
        figures["score"] = Figure(
            value=None if score is None else round(score.score, 2),
            detail={} if score is None else {"grade": score.grade},
        )
    return result


def vendor_contracts(vendor: Vendor) -> list[Contract]:
    """The vendor's contracts with what a recompute reads of them."""
    return list(
        Contract.objects.filter(vendor=vendor)
        .select_related("sla_policy__calendar")
        .prefetch_related("weights", "credit_tiers")
    )


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


def _business_days(contract: Contract, periods, open_on: dict[dt.date, bool]) -> dict[dt.date, int]:
    """Days of each period with any open time on the contract's business calendar. `open_on`
    holds the days already reckoned, and is added to."""
    clock = zone = None
    days = {}
    for period in periods:
        count, day = 0, period.start
        while day < period.end:
            if day not in open_on:
                if clock is None:
                    clock = contract.sla_policy.calendar.to_clock()
                    zone = ZoneInfo(clock.time_zone)
                start = dt.datetime.combine(day, dt.time(0), zone)
                end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
                open_on[day] = sla.business_seconds(clock, start, end) > 0
            count += open_on[day]
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
