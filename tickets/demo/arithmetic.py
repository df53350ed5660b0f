"""Small pure helpers the demo's modules share: clamping, the quality dial on a 0..1 scale, and
month and midnight steps in UTC."""

from __future__ import annotations

import datetime as dt

UTC = dt.UTC


def clamp(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def goodness(z: float) -> float:
    """The quality dial on 0 (poor, z 0.4) .. 1 (excellent, z 2.2)."""
    return clamp((z - 0.4) / 1.8, 0.0, 1.0)


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), UTC)
