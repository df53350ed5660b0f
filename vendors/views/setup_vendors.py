"""Set-up pages for managers: vendors and their contracts (fees, baseline, weights, tiers)."""

from __future__ import annotations

urlpatterns: list = []
