"""Reads of the review's ratings and of reference bands: what the pack, the scorecard tiles
and the API show. Vendor scoping is the caller's (the vendor comes from
`vendors.selectors.vendor_get_for_user`, or `ratings_visible_to` filters by user)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet

from common.periods import PeriodKind
from scorecards.models import ClosedPeriod, ReferenceBand, ReviewRating
from vendors.metrics import METRICS, REVIEW_QUALITIES
from vendors.models import Vendor
from vendors.selectors import vendor_scope_q


def month_is_closed(*, vendor: Vendor, month: dt.date) -> bool:
    return ClosedPeriod.objects.filter(
        vendor=vendor,
        period_kind=PeriodKind.MONTH.value,
        period_start=month,
        reopened_at__isnull=True,
    ).exists()


@dataclass(frozen=True)
class QualityRating:
    """One of the four qualities at a month's review; `rating` None when not rated."""

    quality: str
    label: str
    about: str
    rating: int | None
    evidence: str
    rated_by: str
    rated_at: dt.datetime | None

    @property
    def metric(self) -> str:
        return f"rating_{self.quality}"


def ratings_for_month(*, vendor: Vendor, month: dt.date) -> list[QualityRating]:
    """The four qualities in their fixed order, rated or not (one query)."""
    stored = {
        r.quality: r
        for r in ReviewRating.objects.filter(vendor=vendor, month=month).select_related("rated_by")
    }
    out = []
    for code, label, about in REVIEW_QUALITIES:
        r = stored.get(code)
        out.append(
            QualityRating(
                quality=code,
                label=label,
                about=about,
                rating=r.rating if r else None,
                evidence=r.evidence if r else "",
                rated_by=r.rated_by.get_username() if r and r.rated_by else "",
                rated_at=r.rated_at if r else None,
            )
        )
    return out


def ratings_mean(ratings: list[QualityRating]) -> Decimal | None:
    """The mean of the qualities rated, as `review_rating` is (None when none is rated)."""
    given = [r.rating for r in ratings if r.rating is not None]
    if not given:
        return None
    return (Decimal(sum(given)) / len(given)).quantize(Decimal("0.01"))


def ratings_visible_to(*, user) -> QuerySet[ReviewRating]:
    """Every rating of the vendors `user` may see (a vendor's user: its own vendor's), newest
    month first."""
    return (
        ReviewRating.objects.filter(vendor_scope_q(user))
        .select_related("vendor")
        .order_by("-month", "vendor_id", "quality")
    )


@dataclass(frozen=True)
class BandView:
    """A reference band as a tile prints it: "Industry reference: 70.0–80.0 % (source)"."""

    metric: str
    text: str
    source: str
    source_url: str
    note: str


def _bound_text(value: Decimal, unit: str) -> str:
    text = f"{value:,.2f}".rstrip("0").rstrip(".")
    return f"{text} %" if unit == "%" else text


def band_text(band: ReferenceBand) -> str:
    """70–80 %, above 80 %, below 15: the range in the metric's unit (a money band's currency
    is the band's own, said in its note: it is not converted to the contract's)."""
    unit = METRICS[band.metric].unit
    low = None if band.low is None else _bound_text(band.low, unit)
    high = None if band.high is None else _bound_text(band.high, unit)
    if low is not None and high is not None:
        text = f"{low.removesuffix(' %')}–{high}"
    elif low is not None:
        text = f"above {low}"
    else:
        text = f"below {high}"
    return text if unit in ("%", "score", "currency", "") else f"{text} {unit}"


def bands_by_metric() -> dict[str, BandView]:
    """Every band, keyed by metric code (one query; a handful of rows)."""
    return {
        b.metric: BandView(
            metric=b.metric,
            text=band_text(b),
            source=b.source,
            source_url=b.source_url,
            note=b.note,
        )
        for b in ReferenceBand.objects.all()
    }


def bands_list() -> list[ReferenceBand]:
    return list(ReferenceBand.objects.select_related("updated_by").order_by("metric"))
