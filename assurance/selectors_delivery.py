"""Reads of deliverables: a vendor's delivery list (late first, with slip in business days),
one deliverable of a vendor, its contracts to choose from, and the API's visible queryset.

Slip is counted as the figures count it (METRICS.md, worked example 8): the business days after
the planned date up to the delivery (or up to today for one not delivered), on the calendar of
the deliverable's contract's SLA policy, else the vendor's first contract's, else Monday to
Friday (assurance.figures.business_days_late).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from zoneinfo import ZoneInfo

from django.db.models import F, Q, QuerySet
from django.http import Http404

from assurance import figures as pure
from assurance.models import Deliverable
from vendors import sla
from vendors.models import Contract, Vendor
from vendors.selectors import vendor_scope_q


class Status:
    OVERDUE = "overdue"
    LATE = "late"  # delivered after its planned date
    DUE = "due"
    ON_TIME = "on_time"


STATUS_LABELS = {
    Status.OVERDUE: "Overdue",
    Status.LATE: "Delivered late",
    Status.DUE: "Due",
    Status.ON_TIME: "Delivered on time",
}


@dataclass(frozen=True)
class DeliveryRow:
    deliverable: Deliverable
    status: str
    slip: int  # business days late (so far, for one overdue); 0 when not late

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def early(self) -> bool:
        d = self.deliverable
        return d.delivered_on is not None and d.delivered_on < d.planned_on


def overdue_q(today: dt.date) -> Q:
    """Not delivered and past its planned date (METRICS.md `deliverables_overdue`)."""
    return Q(delivered_on__isnull=True, planned_on__lt=today)


def late_q(today: dt.date) -> Q:
    """Overdue, or delivered after its planned date."""
    return overdue_q(today) | Q(delivered_on__gt=F("planned_on"))


def open_days(contracts: list[Contract]) -> Callable[[int | None], Callable[[dt.date], bool]]:
    """contract id -> whether a day is a business day for a deliverable of that contract: any
    open time on the contract's calendar, else on the vendor's first contract's, else Mon-Fri.
    The figures (scorecards.compute.beyond) and the pages judge days with this one rule. Each
    day is asked of the clock once, and a calendar's clock is built only when first asked
    (its holidays cost a query)."""
    calendars = {c.pk: c.sla_policy.calendar for c in contracts if c.sla_policy_id}
    fallback = next(iter(calendars.values()), None)

    @cache
    def for_calendar(calendar) -> Callable[[dt.date], bool]:
        if calendar is None:
            return pure.weekday
        clock = None

        @cache
        def is_open(day: dt.date) -> bool:
            nonlocal clock
            clock = clock or calendar.to_clock()
            zone = ZoneInfo(clock.time_zone)
            start = dt.datetime.combine(day, dt.time(0), zone)
            end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), zone)
            return sla.business_seconds(clock, start, end) > 0

        return is_open

    return lambda contract_id: for_calendar(calendars.get(contract_id, fallback))


def vendor_contracts(vendor_ids) -> dict[int, list[Contract]]:
    """Each vendor's contracts in the order the figures take them (the first one's calendar
    is the vendor's)."""
    by_vendor: dict[int, list[Contract]] = {v: [] for v in vendor_ids}
    for c in Contract.objects.filter(vendor_id__in=by_vendor).select_related(
        "sla_policy__calendar"
    ):
        by_vendor[c.vendor_id].append(c)
    return by_vendor


def delivery_row(
    d: Deliverable, *, today: dt.date, is_open: Callable[[dt.date], bool]
) -> DeliveryRow:
    """Its status and slip: delivered late, the business days up to the delivery; overdue,
    up to today."""
    if d.delivered_on is None:
        if d.planned_on < today:
            so_far = pure.Deliverable(d.planned_on, today, is_open)
            return DeliveryRow(d, Status.OVERDUE, pure.business_days_late(so_far))
        return DeliveryRow(d, Status.DUE, 0)
    if d.delivered_on > d.planned_on:
        late = pure.Deliverable(d.planned_on, d.delivered_on, is_open)
        return DeliveryRow(d, Status.LATE, pure.business_days_late(late))
    return DeliveryRow(d, Status.ON_TIME, 0)


def delivery_rows_of(items: list[Deliverable], *, today: dt.date) -> list[DeliveryRow]:
    """The rows of deliverables of any vendors, in the order given."""
    contracts = vendor_contracts({d.vendor_id for d in items})
    days = {v: open_days(cs) for v, cs in contracts.items()}
    return [delivery_row(d, today=today, is_open=days[d.vendor_id](d.contract_id)) for d in items]


def _order(row: DeliveryRow) -> tuple:
    """Overdue first (oldest plan first), then delivered late (most slip first), then due
    (soonest first), then delivered on time (latest delivery first)."""
    d = row.deliverable
    if row.status == Status.OVERDUE:
        return (0, d.planned_on.toordinal(), d.pk)
    if row.status == Status.LATE:
        return (1, -row.slip, -d.delivered_on.toordinal(), d.pk)
    if row.status == Status.DUE:
        return (2, d.planned_on.toordinal(), d.pk)
    return (3, -d.delivered_on.toordinal(), d.pk)


def delivery_rows(*, vendor: Vendor, today: dt.date) -> list[DeliveryRow]:
    """The vendor's deliverables, late first, each with its status and slip."""
    items = list(
        Deliverable.objects.filter(vendor=vendor).select_related("contract", "replanned_by")
    )
    return sorted(delivery_rows_of(items, today=today), key=_order)


def delivery_counts(rows: list[DeliveryRow]) -> dict[str, int]:
    counts = dict.fromkeys(STATUS_LABELS, 0)
    for row in rows:
        counts[row.status] += 1
    return counts


def deliverable_of_vendor(*, vendor: Vendor, deliverable_id: int) -> Deliverable:
    """The vendor's deliverable by id; 404 for another vendor's or none."""
    try:
        return Deliverable.objects.select_related("contract", "vendor").get(
            vendor=vendor, pk=deliverable_id
        )
    except Deliverable.DoesNotExist:
        raise Http404("No such deliverable.") from None


def contracts_for_choice(*, vendor: Vendor) -> QuerySet[Contract]:
    return Contract.objects.filter(vendor=vendor).order_by("name")


def deliverables_for_api(*, user) -> QuerySet[Deliverable]:
    return (
        Deliverable.objects.filter(vendor_scope_q(user))
        .select_related("vendor", "contract", "replanned_by")
        .order_by("planned_on", "pk")
    )
