"""What a scorecard computation takes and returns: subject kinds, figures with their evidence,
scores and what-if overrides. Plain data, no Django, so the formulas stay pure math."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from scorecards import scoring

VENDOR, CONTRACT, TECHNICIAN = "vendor", "contract", "technician"
Subject = tuple[str, int]  # (kind, id)


@dataclass
class Figure:
    """One stored figure with its evidence; value None means "no data", never zero."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    sample_size: int = 0
    ci: tuple[float, float] | None = None
    low_sample: bool = False
    excluded: int = 0
    detail: dict = field(default_factory=dict)

    @property
    def says_nothing(self) -> bool:
        """No value and nothing counted towards one: stored, it would only repeat "no data",
        which a missing figure already says (in sparse histories, most of the rows)."""
        return (
            self.value is None
            and not self.numerator
            and not self.denominator
            and not self.sample_size
            and not self.excluded
            and not any(self.detail.values())
        )


@dataclass
class Result:
    """Figures and scores of one vendor for a run of periods of one kind."""

    figures: dict[tuple[Subject, dt.date], dict[str, Figure]]
    scores: dict[tuple[Subject, dt.date], scoring.Score | None]
    targets: dict[Subject, dict[str, dict[str, float]]]


@dataclass(frozen=True)
class Overrides:
    """What-if knobs: other weights or targets/floors, per metric code."""

    weights: Mapping[str, float] = field(default_factory=dict)
    targets: Mapping[str, float] = field(default_factory=dict)
    floors: Mapping[str, float] = field(default_factory=dict)
