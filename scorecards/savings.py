"""Savings against the in-house baseline: the one rule the vendor page, the review pack and the
finance API share.

Only months with an invoice count, on both sides: the baseline is the in-house monthly cost
times the months invoiced; the net cost is what was invoiced less the service credits of those
months; the savings are the baseline less the net cost. Without an in-house cost there is no
baseline, so no savings.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

WINDOWS = (6, 12, 24)  # months, ending with the month asked for


@dataclass
class Savings:
    inhouse_monthly_cost: Decimal | None
    months_invoiced: int = 0
    invoiced: Decimal = Decimal(0)
    credits: Decimal = Decimal(0)

    def add_month(self, invoiced: Decimal, credit: Decimal | None) -> None:
        """One invoiced month, with its service credit (None: no credit stored)."""
        self.months_invoiced += 1
        self.invoiced += invoiced
        self.credits += credit or Decimal(0)

    @property
    def net_cost(self) -> Decimal:
        return self.invoiced - self.credits

    @property
    def baseline(self) -> Decimal | None:
        if self.inhouse_monthly_cost is None:
            return None
        return self.inhouse_monthly_cost * self.months_invoiced

    @property
    def savings(self) -> Decimal | None:
        baseline = self.baseline
        return None if baseline is None else baseline - self.net_cost
