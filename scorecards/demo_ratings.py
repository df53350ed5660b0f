"""The demo world's review ratings and reference bands.

Ratings: the last twelve months whose review has been held (the first working days after the
month) are rated 1..5 on the four qualities, with a line of evidence, following each demo
vendor's profile: the improving vendor's ratings climb, the slipping one's fall, the budget
vendor rates low. Its own `random.Random`, so the tickets stay what they were; bulk_create.

Reference bands: the published ranges METRICS.md names, each with its source; a band a
manager already keeps is left as it is.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model

from scorecards.models import ReferenceBand, ReviewRating
from tickets.demo.arithmetic import UTC, add_months, clamp, goodness
from tickets.demo.profiles import PROFILES
from vendors.metrics import REVIEW_QUALITIES
from vendors.models import Vendor

RATED_MONTHS = 12
SALT = 104_729
REVIEW_DAY = 6  # the review meets in the first week after the month: rated on the 6th
# How each quality leans from the vendor's overall goodness (budget vendors train less).
LEAN = {"communication": 0.05, "proactivity": -0.1, "improvement": -0.05, "staff_development": 0}

EVIDENCE = {
    "communication": (
        "Major incident updates were late and vague; we chased them twice.",
        "Updates arrived, but only when asked.",
        "Clear weekly summary; the P1 bridge was well run.",
        "Proactive, plain-spoken updates on every major incident; no chasing needed.",
    ),
    "proactivity": (
        "No recommendations this month.",
        "One suggestion, raised only after we asked about recurring printer tickets.",
        "Flagged licence renewals and an expiring certificate before they bit.",
        "Brought a capacity warning and a patching plan unasked; both adopted.",
    ),
    "improvement": (
        "No improvement proposals; last month's automation still not started.",
        "A knowledge-base clean-up proposed, not yet under way.",
        "Automated password resets: about 8 % of tickets now deflected.",
        "Two automations live this month and a problem review that closed a known error.",
    ),
    "staff_development": (
        "No training reported; two new starters without an induction record.",
        "Training plan promised, nothing reported yet.",
        "Three technicians certified (ITIL 4 Foundation).",
        "Training matrix shared: every technician on track, two new security certifications.",
    ),
}

# (metric, low, high, source, source URL, note): METRICS.md, "Reference bands".
BANDS = (
    (
        "csat_pct",
        Decimal(80),
        None,
        "HDI Technical Support Practices & Salary Report (2023): service desk CSAT",
        "https://www.thinkhdi.com/",
        "Share of satisfied answers (4 or 5 of 5).",
    ),
    (
        "fcr_pct",
        Decimal(70),
        Decimal(80),
        "MetricNet service desk benchmarks (2023): first-contact resolution",
        "https://www.metricnet.com/",
        "Tickets resolved at the first contact.",
    ),
    (
        "nps",
        Decimal(50),
        None,
        "Industry NPS benchmarks for IT services (2023)",
        "",
        "Net promoter score, -100..100.",
    ),
    (
        "sla_compliance_pct",
        Decimal(95),
        None,
        "Common managed-service contract practice: 95 % of targets met",
        "",
        "Response and resolution targets met together.",
    ),
    (
        "cost_per_ticket",
        None,
        Decimal(15),
        "MetricNet North American service desk benchmark (2023): cost per ticket",
        "https://www.metricnet.com/",
        "In USD, level-1 service desk: not converted to the contract's currency.",
    ),
)


def _review_day(month: dt.date) -> dt.date:
    return add_months(month, 1) + dt.timedelta(days=REVIEW_DAY - 1)


def seed_review_ratings(*, seed: int, first_day: dt.date, now: dt.datetime, manager=None) -> int:
    """Up to twelve months of ratings per demo vendor: the months from `first_day` whose review
    day has passed by `now`. Returns the number of ratings made."""
    rng = random.Random(seed * SALT)
    manager = manager or get_user_model().objects.filter(username="manager").first()
    vendors = {v.slug: v for v in Vendor.objects.filter(slug__in=[p.slug for p in PROFILES])}
    months = []
    month = first_day
    while (reviewed := _review_day(month)) <= now.astimezone(UTC).date():
        months.append((month, reviewed))
        month = add_months(month, 1)
    months = months[-RATED_MONTHS:]
    span = max(len(months) - 1, 1)
    ratings = []
    for profile in PROFILES:
        vendor = vendors.get(profile.slug)
        if vendor is None:
            continue
        first, last = profile.quality
        for i, (month, reviewed) in enumerate(months):
            g = goodness(first + (last - first) * i / span)
            rated_at = min(dt.datetime.combine(reviewed, dt.time(10), UTC), now)
            for quality, _, _ in REVIEW_QUALITIES:
                score = 1 + 4 * clamp(g + LEAN[quality] + rng.gauss(0, 0.12), 0, 1)
                rating = int(clamp(round(score), 1, 5))
                lines = EVIDENCE[quality]
                ratings.append(
                    ReviewRating(
                        vendor=vendor,
                        month=month,
                        quality=quality,
                        rating=rating,
                        evidence=lines[min((rating - 1) * len(lines) // 5, len(lines) - 1)],
                        rated_by=manager,
                        rated_at=rated_at,
                    )
                )
    ReviewRating.objects.bulk_create(ratings)
    return len(ratings)


def seed_reference_bands(*, manager=None) -> int:
    """The published ranges of METRICS.md, each with its source; existing bands are kept.
    Returns the number of bands made."""
    manager = manager or get_user_model().objects.filter(username="manager").first()
    kept = set(ReferenceBand.objects.values_list("metric", flat=True))
    bands = [
        ReferenceBand(
            metric=metric,
            low=low,
            high=high,
            source=source,
            source_url=url,
            note=note,
            updated_by=manager,
        )
        for metric, low, high, source, url, note in BANDS
        if metric not in kept
    ]
    ReferenceBand.objects.bulk_create(bands)
    return len(bands)
