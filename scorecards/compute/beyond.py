"""Figures from records other than tickets (METRICS.md, "Beyond tickets"): security audits and
findings, deliverables, the review's ratings. Months and quarters only; vendor and contract
subjects only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from common.periods import Period
from scorecards.compute.results import Figure, Subject


def beyond_ticket_figures(
    *, vendor, contracts, kind, periods: Iterable[Period]
) -> dict[tuple[Subject, dt.date], dict[str, Figure]]:
    """{(subject, period start): {metric code: Figure}} for the vendor and each contract."""
    return {}
