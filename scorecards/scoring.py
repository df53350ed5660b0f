"""Pure scoring math of METRICS.md: Wilson intervals, marks, balanced score, grades, credits."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

Z_95 = 1.959963984540054  # two-sided 95 % normal quantile


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float] | None:
    """95 % Wilson score interval of a proportion, as fractions; None without trials."""
    if trials <= 0:
        return None
    if not 0 <= successes <= trials:
        raise ValueError(f"successes {successes} outside 0..{trials}")
    p = successes / trials
    z2 = z * z
    centre = (p + z2 / (2 * trials)) / (1 + z2 / trials)
    half = z * math.sqrt(p * (1 - p) / trials + z2 / (4 * trials * trials)) / (1 + z2 / trials)
    # The ends are exact at 0 and 1; floating point would leave 0.9999999999999999.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return low, high


def mark(value: float, *, target: float, floor: float) -> float:
    """0..100: full marks at the target, none at the floor, linear between, clamped.

    Works for both directions: a lower-is-better metric simply has its floor above its target.
    """
    if target == floor:
        raise ValueError("target and floor must differ")
    fraction = (value - floor) / (target - floor)
    return 100.0 * min(1.0, max(0.0, fraction))


@dataclass(frozen=True)
class Score:
    score: float
    grade: str
    weights: dict[str, float]  # the weights actually used, renormalised to sum to 1


def balanced_score(marks: Mapping[str, float], weights: Mapping[str, float]) -> Score | None:
    """Weighted mean of the marks present, weights renormalised over them; None if none."""
    used = {code: float(weights[code]) for code in marks if float(weights.get(code, 0)) > 0}
    total = sum(used.values())
    if total <= 0:
        return None
    normalised = {code: w / total for code, w in used.items()}
    score = sum(marks[code] * w for code, w in normalised.items())
    return Score(score=score, grade=grade(score), weights=normalised)


def grade(score: float) -> str:
    for letter, threshold in (("A", 90), ("B", 80), ("C", 70), ("D", 60)):
        if score >= threshold:
            return letter
    return "F"


@dataclass(frozen=True)
class Tier:
    metric: str
    threshold: Decimal
    credit_pct: Decimal
    higher_is_better: bool

    def applies(self, value: Decimal) -> bool:
        return value < self.threshold if self.higher_is_better else value > self.threshold


def service_credit(
    figures: Mapping[str, Decimal | None],
    tiers: Iterable[Tier],
    *,
    monthly_fee: Decimal,
    cap_pct: Decimal,
) -> tuple[Decimal, Decimal, dict[str, Decimal]]:
    """(credit amount, credit %, % per metric): the worst tier per metric, summed, capped.

    A metric with no figure (no data) owes nothing: a credit needs evidence.
    """
    per_metric: dict[str, Decimal] = {}
    for tier in tiers:
        value = figures.get(tier.metric)
        if value is not None and tier.applies(Decimal(value)):
            per_metric[tier.metric] = max(per_metric.get(tier.metric, Decimal(0)), tier.credit_pct)
    pct = min(sum(per_metric.values(), Decimal(0)), cap_pct)
    amount = (monthly_fee * pct / 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return amount, pct, per_metric
