"""Scorecard pages; each area's module in scorecards/views/ lists its own patterns."""

from __future__ import annotations

from scorecards.views import (
    bands,
    breaches,
    first_run,
    packs,
    portfolio,
    recompute,
    team,
    vendor_scorecard,
)

urlpatterns = [
    *portfolio.urlpatterns,
    *vendor_scorecard.urlpatterns,
    *team.urlpatterns,
    *packs.urlpatterns,
    *recompute.urlpatterns,
    *breaches.urlpatterns,
    *first_run.urlpatterns,
    *bands.urlpatterns,
]
