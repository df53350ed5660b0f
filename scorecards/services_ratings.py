"""Writes of the review's ratings and of reference bands (METRICS.md, "Beyond tickets").

A month's ratings are the managers' judgement at its review: 1..5 for each of the four
qualities, each with a line of evidence. A closed month's ratings are frozen like its figures;
every change marks the month dirty so `review_rating` and the four are recomputed. Reference
bands are published ranges shown beside tiles, never scored: a change marks nothing dirty.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from common.pages import reporting_today
from common.periods import Period, PeriodKind
from scorecards.models import ReferenceBand, ReviewRating
from scorecards.selectors_ratings import month_is_closed
from scorecards.services import periods_mark_dirty
from vendors.metrics import METRICS, REVIEW_QUALITIES
from vendors.models import Vendor

QUALITIES = tuple(code for code, _, _ in REVIEW_QUALITIES)
EVIDENCE_MAX = ReviewRating._meta.get_field("evidence").max_length


def _rating(quality: str, value) -> int | None:
    """1..5, or None for "not rated"; anything else is refused naming the quality."""
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or str(number) != str(value).strip() or not 1 <= number <= 5:
        raise ValidationError({quality: f"Rate {quality.replace('_', ' ')} 1 to 5, not {value}."})
    return number


def _evidence(quality: str, text: str) -> str:
    text = " ".join((text or "").split())  # one line, as the pack prints it
    if len(text) > EVIDENCE_MAX:
        raise ValidationError(
            {
                f"{quality}_evidence": f"Keep the evidence to one line of at most {EVIDENCE_MAX} "
                f"characters (this one has {len(text)})."
            }
        )
    return text


@transaction.atomic
def review_ratings_save(
    *,
    vendor: Vendor,
    period: Period,
    ratings: Mapping[str, tuple[int | str | None, str]],
    user,
    now: dt.datetime | None = None,
) -> list[ReviewRating]:
    """Stores a month's ratings: {quality: (1..5 or None, evidence)}. None removes the
    quality's rating (not rated this month). Returns the month's ratings as stored.

    Refused, naming the field, for an unknown quality, a rating outside 1..5, evidence too
    long, evidence without a rating, a month not started or a closed month."""
    now = now or timezone.now()
    if period.kind is not PeriodKind.MONTH:
        raise ValidationError({"month": "Ratings are given at the monthly review."})
    if period.start > reporting_today():
        raise ValidationError({"month": f"{period.label} has not begun: nothing to rate yet."})
    if month_is_closed(vendor=vendor, month=period.start):
        raise ValidationError(
            {
                "month": f"{period.label} is closed: its ratings are frozen. "
                "Reopen the month to change them."
            }
        )
    unknown = sorted(set(ratings) - set(QUALITIES))
    if unknown:
        raise ValidationError({unknown[0]: f"{unknown[0]!r} is not one of the rated qualities."})
    wanted: dict[str, tuple[int | None, str]] = {}
    errors: dict[str, list[str]] = {}
    for quality, (value, evidence) in ratings.items():
        try:
            rating = _rating(quality, value)
            text = _evidence(quality, evidence)
            if rating is None and text:
                raise ValidationError(
                    {quality: f"Give {quality.replace('_', ' ')} a rating for this evidence."}
                )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                errors.setdefault(field, []).extend(messages)
            continue
        wanted[quality] = (rating, text)
    if errors:
        raise ValidationError(errors)

    stored = {
        r.quality: r
        for r in ReviewRating.objects.select_for_update().filter(vendor=vendor, month=period.start)
    }
    changed = False
    for quality, (rating, text) in wanted.items():
        current = stored.get(quality)
        if rating is None:
            if current is not None:
                current.delete()  # one by one: the audit trail records each
                changed = True
            continue
        if current is not None and (current.rating, current.evidence) == (rating, text):
            continue
        if current is None:
            current = ReviewRating(vendor=vendor, month=period.start, quality=quality)
        current.rating, current.evidence = rating, text
        current.rated_by, current.rated_at = user, now
        current.save()
        changed = True
    if changed:
        zone = ZoneInfo(settings.REPORTING_TIME_ZONE)
        periods_mark_dirty(
            vendor_id=vendor.pk, instants=[dt.datetime.combine(period.start, dt.time(12), zone)]
        )
    return list(ReviewRating.objects.filter(vendor=vendor, month=period.start))


# --- reference bands -----------------------------------------------------------------------------


def _bound(name: str, value) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationError({name: f"{value!r} is not a number."}) from None
    if not number.is_finite():
        raise ValidationError({name: "Give a finite number."})
    return number


def _band_values(
    *, metric: str, low, high, source: str, source_url: str, note: str
) -> dict[str, object]:
    if metric not in METRICS:
        raise ValidationError({"metric": f"{metric!r} is not a known metric code."})
    low, high = _bound("low", low), _bound("high", high)
    if low is None and high is None:
        raise ValidationError({"low": "Give a low bound, a high bound or both."})
    if low is not None and high is not None and low > high:
        raise ValidationError({"high": f"The high bound ({high}) is below the low one ({low})."})
    source = " ".join((source or "").split())
    if not source:
        raise ValidationError({"source": "Say who published the range (and when)."})
    return {
        "metric": metric,
        "low": low,
        "high": high,
        "source": source,
        "source_url": (source_url or "").strip(),
        "note": " ".join((note or "").split()),
    }


@transaction.atomic
def reference_band_create(
    *, metric: str, low, high, source: str, source_url: str = "", note: str = "", user
) -> ReferenceBand:
    values = _band_values(
        metric=metric, low=low, high=high, source=source, source_url=source_url, note=note
    )
    if ReferenceBand.objects.filter(metric=metric).exists():
        raise ValidationError({"metric": f"{METRICS[metric].label} has a band already: edit it."})
    band = ReferenceBand(**values, updated_by=user)
    band.full_clean()
    band.save()
    return band


@transaction.atomic
def reference_band_update(
    *, band: ReferenceBand, metric: str, low, high, source: str, source_url: str = "", note="", user
) -> ReferenceBand:
    values = _band_values(
        metric=metric, low=low, high=high, source=source, source_url=source_url, note=note
    )
    if ReferenceBand.objects.filter(metric=metric).exclude(pk=band.pk).exists():
        raise ValidationError({"metric": f"{METRICS[metric].label} has a band already."})
    for name, value in values.items():
        setattr(band, name, value)
    band.updated_by = user
    band.full_clean()
    band.save()
    return band


def reference_band_delete(*, band: ReferenceBand) -> None:
    band.delete()
