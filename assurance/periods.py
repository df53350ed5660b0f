"""Which periods a change to a finding, an audit or a deliverable touches.

A finding left open counts in every month's "open at the end" until it is verified, and a
deliverable not delivered counts as overdue at every month's end after its planned date; so
a change reaches every month from its earliest date to today, not only the months of the
dates themselves. The scorecards layer listens (vendors.signals) and marks them dirty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings

from common.pages import reporting_today
from common.periods import PeriodKind, periods_between
from vendors.signals import vendor_figures_changed


def figures_changed(*, sender, vendor_id: int, days: Iterable[dt.date | None]) -> None:
    """Marks every month (and its quarter) from the earliest of `days` to today dirty.

    Call it inside the writer's transaction, with the record's dates before and after the
    change (a moved due date changes the months around both)."""
    days = [d for d in days if d is not None]
    if not days:
        return
    zone = ZoneInfo(settings.REPORTING_TIME_ZONE)
    last = max(max(days), reporting_today())
    instants = [
        dt.datetime.combine(month.start, dt.time(12), zone)
        for month in periods_between(PeriodKind.MONTH, min(days), last)
    ]
    vendor_figures_changed.send(sender=sender, vendor_id=vendor_id, instants=instants)
