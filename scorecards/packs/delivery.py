"""The monthly e-mail of review packs (a service): on the month's first working day, each active
vendor's pack of the month before, PDF attached, sent once per vendor and month.
"""

from __future__ import annotations

import datetime as dt
from contextlib import ExitStack

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from common.periods import Period, PeriodKind
from common.roles import MANAGER
from scorecards.models import PackDelivery
from scorecards.packs.contents import Pack
from scorecards.packs.pdf import PdfUnavailable, pack_print_html, pdf_renderer, site_url
from scorecards.packs.selectors import PackUnavailable, pack_for_vendor
from vendors.models import Vendor, public_holidays

# A run that claimed a delivery and died leaves the claim; another run may take it after this.
CLAIM_TIMEOUT = dt.timedelta(hours=1)


def first_working_day(year: int, month: int, *, holidays: frozenset[dt.date] = frozenset()):
    day = dt.date(year, month, 1)
    while day.weekday() >= 5 or day in holidays:
        day += dt.timedelta(days=1)
    return day


def _pack_holidays(year: int) -> frozenset[dt.date]:
    """Public holidays that move the delivery day, when a country is configured."""
    country = getattr(settings, "PACKS_HOLIDAY_COUNTRY", "")
    if not country:
        return frozenset()
    region = getattr(settings, "PACKS_HOLIDAY_SUBDIVISION", "")
    return frozenset(public_holidays(country, region, [year]))


def manager_emails() -> list[str]:
    return sorted(
        set(
            get_user_model()
            .objects.filter(groups__name=MANAGER, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


class PackDeliveryError(RuntimeError):
    """Some packs could not be sent; the rest were. The next run retries the failed ones."""


def packs_email_monthly(*, today: dt.date, now: dt.datetime | None = None) -> list[PackDelivery]:
    """On the first working day of a month (or a later day of it, should a run have been
    missed), e-mails every active vendor's pack of the month before: PDF attached, link to
    the page, to the vendor's contact and the managers. Once per vendor and month: each
    delivery is claimed before it is sent and stamped after, so reruns and overlapping runs
    send nothing twice. A vendor without figures for the month is left for a later run.
    """
    now = now or timezone.now()
    if today < first_working_day(today.year, today.month, holidays=_pack_holidays(today.year)):
        return []
    period = Period.containing(PeriodKind.MONTH, today).previous()
    managers = manager_emails()
    sent: list[PackDelivery] = []
    failures: list[str] = []
    with ExitStack() as stack:
        render = None
        for vendor in Vendor.objects.filter(active=True).order_by("name"):
            delivery, _ = PackDelivery.objects.get_or_create(vendor=vendor, month=period.start)
            if delivery.sent_at is not None:
                continue
            claimed = (
                PackDelivery.objects.filter(pk=delivery.pk, sent_at__isnull=True)
                .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
                .update(claimed_at=now)
            )
            if not claimed:
                continue  # another run is sending it
            release = PackDelivery.objects.filter(pk=delivery.pk)
            to = [vendor.contact_email] if vendor.contact_email else []
            cc = [m for m in managers if m not in to]
            if not to:
                to, cc = cc, []
            if not to:
                release.update(claimed_at=None, error="Nobody to send it to.")
                continue
            try:
                pack = pack_for_vendor(vendor=vendor, period=period, now=now)
            except PackUnavailable as exc:
                release.update(claimed_at=None, error=exc.message)
                continue
            try:
                if render is None:
                    render = stack.enter_context(pdf_renderer())
                pdf = render(pack_print_html(pack))
                _send_pack(pack, pdf, to=to, cc=cc)
            except Exception as exc:  # noqa: BLE001 - one vendor's failure must not stop the rest
                release.update(claimed_at=None, error=f"{type(exc).__name__}: {exc}")
                failures.append(f"{vendor.name}: {exc}")
                if isinstance(exc, PdfUnavailable):
                    break  # no point trying the others
                continue
            release.update(sent_at=now, claimed_at=None, recipients=to + cc, error="")
            delivery.refresh_from_db()
            sent.append(delivery)
    if failures:
        raise PackDeliveryError(f"{len(sent)} pack(s) sent; not sent: " + "; ".join(failures))
    return sent


def _send_pack(pack: Pack, pdf: bytes, *, to: list[str], cc: list[str]) -> None:
    link = site_url() + reverse("pack", args=[pack.vendor.slug, pack.label])
    month = f"{pack.period.start:%B %Y}"
    grade = pack.grade or "no grade"
    score = "no score" if pack.score is None else f"{pack.score:.1f} points"
    body = render_to_string(
        "scorecards/pack_email.txt",
        {"pack": pack, "link": link, "month": month, "grade": grade, "score": score},
    )
    message = EmailMessage(
        subject=f"[VendorScore] {pack.vendor.name}: review pack for {month} (grade {grade})",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        cc=cc,
    )
    message.attach(f"vendorscore-{pack.vendor.slug}-{pack.label}.pdf", pdf, "application/pdf")
    message.send(fail_silently=False)
