"""Starting points for a new SLA policy, as plain data (pure: no Django).

`METRICS` is METRICS.md's defaults: P1 15 min / 4 h on a 24x7 clock, P2 1 h / 8 h, P3 4 h /
3 days (24 business hours), P4 8 h / 5 days (40 business hours) on business hours, pausing on
pending customer, on hold and awaiting third party. `ROUND_THE_CLOCK` keeps those minutes but
counts every priority around the clock; `BUSINESS_HOURS` counts every priority, P1 included,
in office hours only. Each names the calendar it suggests; the manager may pick another.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True)
class TargetTemplate:
    priority: str
    response_minutes: int
    resolution_minutes: int
    always_open: bool = False


@dataclass(frozen=True)
class CalendarTemplate:
    name: str
    time_zone: str
    hours: tuple[tuple[int, time, time], ...]  # (weekday 0 = Monday, start, end); end 00:00 = 24:00
    holiday_country: str = ""
    holiday_subdivision: str = ""
    summary: str = ""


@dataclass(frozen=True)
class PolicyTemplate:
    key: str
    label: str
    description: str
    calendar: CalendarTemplate
    targets: tuple[TargetTemplate, ...]
    pause_statuses: tuple[str, ...] = ("pending_customer", "on_hold", "awaiting_third_party")
    warning_minutes: int = 30


# METRICS.md's worked examples run on this calendar.
LONDON_OFFICE = CalendarTemplate(
    name="London business hours",
    time_zone="Europe/London",
    hours=tuple((day, time(9), time(17)) for day in range(5)),
    holiday_country="GB",
    holiday_subdivision="ENG",
    summary="Mon-Fri 09:00-17:00 Europe/London, English bank holidays",
)
ALWAYS_OPEN = CalendarTemplate(
    name="24x7 UTC",
    time_zone="UTC",
    hours=tuple((day, time(0), time(0)) for day in range(7)),
    summary="every day, all day, no holidays",
)

# (response, resolution) in business minutes, per METRICS.md's table.
_DEFAULT_MINUTES = {"P1": (15, 4 * 60), "P2": (60, 8 * 60), "P3": (4 * 60, 24 * 60)}
_DEFAULT_MINUTES["P4"] = (8 * 60, 40 * 60)


def _targets(*, p1_always_open: bool) -> tuple[TargetTemplate, ...]:
    return tuple(
        TargetTemplate(p, response, resolution, always_open=p1_always_open and p == "P1")
        for p, (response, resolution) in _DEFAULT_MINUTES.items()
    )


METRICS = PolicyTemplate(
    key="metrics",
    label="METRICS.md defaults",
    description="P1 around the clock, P2-P4 in business hours (METRICS.md's default targets).",
    calendar=LONDON_OFFICE,
    targets=_targets(p1_always_open=True),
)
ROUND_THE_CLOCK = PolicyTemplate(
    key="24x7",
    label="24x7",
    description="Every priority counted around the clock, weekends and holidays included.",
    calendar=ALWAYS_OPEN,
    targets=_targets(p1_always_open=False),  # the calendar itself never closes
)
BUSINESS_HOURS = PolicyTemplate(
    key="business-hours",
    label="Business hours",
    description="Every priority, P1 included, counted in office hours only.",
    calendar=LONDON_OFFICE,
    targets=_targets(p1_always_open=False),
)

TEMPLATES: dict[str, PolicyTemplate] = {
    t.key: t for t in (METRICS, ROUND_THE_CLOCK, BUSINESS_HOURS)
}
