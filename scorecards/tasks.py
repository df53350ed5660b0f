"""Thin Celery tasks: nightly recompute fanned out per vendor, and breach warnings."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from celery import chord, shared_task
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from common.tasks import RETRYING
from scorecards.alerts import alerts_check
from scorecards.services import figures_vacuum, periods_auto_close, scorecards_recompute_vendor
from vendors.models import Vendor

NIGHTLY_LOCK = "vendorscore:nightly-recompute"


@shared_task(**RETRYING, max_retries=5, soft_time_limit=900, time_limit=1000)
def recompute_vendor(self, vendor_id: int, every_period: bool = False) -> int:
    """Recomputes a vendor's dirty and open periods (or all); idempotent (upserts)."""
    vendor = Vendor.objects.get(pk=vendor_id)
    return scorecards_recompute_vendor(vendor=vendor, every_period=every_period)


@shared_task(**RETRYING, max_retries=3, soft_time_limit=240, time_limit=300)
def nightly_recompute(self) -> list[int]:
    """Fans out one recompute per active vendor; a lock stops two runs overlapping.

    The lock is held until the last vendor's task is done (the chord's callback closes the
    months due to close, then releases it), and expires on its own after six hours should a
    worker die mid-run.
    """
    if not cache.add(NIGHTLY_LOCK, "running", timeout=6 * 3600):
        return []
    vendor_ids = list(Vendor.objects.filter(active=True).values_list("pk", flat=True))
    if not vendor_ids:
        nightly_finish.delay()
        return []
    chord(recompute_vendor.si(v) for v in vendor_ids)(nightly_finish.si())
    return vendor_ids


@shared_task(**RETRYING, max_retries=3, soft_time_limit=120, time_limit=180)
def nightly_finish(self) -> int:
    """After the recompute, so a month's last figures are in before it freezes: closes the
    months due to close automatically, releases the nightly lock, and queues the vacuum of
    the figures the run rewrote."""
    today = timezone.now().astimezone(ZoneInfo(settings.REPORTING_TIME_ZONE)).date()
    closed = periods_auto_close(today=today)
    cache.delete(NIGHTLY_LOCK)
    transaction.on_commit(vacuum_figures.delay)
    return len(closed)


@shared_task(soft_time_limit=3000, time_limit=3600)
def vacuum_figures() -> bool:
    """Clears the dead rows a recompute leaves behind, so pages keep their speed."""
    return figures_vacuum()


@shared_task(soft_time_limit=30, time_limit=60)
def release_nightly_lock() -> None:
    """Kept for callbacks queued before nightly_finish took its place."""
    cache.delete(NIGHTLY_LOCK)


@shared_task(**RETRYING, max_retries=3, soft_time_limit=200, time_limit=240)
def check_breach_alerts(self) -> int:
    return len(alerts_check())


@shared_task(**RETRYING, max_retries=3, soft_time_limit=1500, time_limit=1800)
def email_monthly_packs(self) -> int:
    """E-mails last month's review packs from the month's first working day on (idempotent)."""
    from scorecards.packs.delivery import packs_email_monthly

    today = timezone.now().astimezone(ZoneInfo(settings.REPORTING_TIME_ZONE)).date()
    return len(packs_email_monthly(today=today))
