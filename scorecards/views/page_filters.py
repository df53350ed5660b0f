"""The period picker and filters of the scorecard and breach pages, kept in their URL."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest

from common.pages import reporting_today
from common.periods import Period, PeriodKind, period_from_label
from vendors.models import Priority


@dataclass(frozen=True)
class PageFilters:
    """The period picker and filters of a page, read from and written back to its query string.

    The default period is the last complete one of its kind: the one a review is about.
    """

    period: Period
    contract_id: int | None = None
    priority: str | None = None
    category: str | None = None

    @classmethod
    def from_request(cls, request: HttpRequest, *, today: dt.date | None = None) -> PageFilters:
        today = today or reporting_today()
        get = request.GET
        kind_name = get.get("kind", "month")
        if kind_name not in PeriodKind.__members__.values():
            messages.warning(request, f"Unknown period kind {kind_name!r}; showing months.")
            kind_name = "month"
        kind = PeriodKind(kind_name)
        period = Period.containing(kind, today).previous()
        if label := get.get("period"):
            try:
                picked = period_from_label(label)
            except ValueError as exc:
                messages.warning(request, f"{exc}; showing {period.label}.")
            else:
                # A label names its own kind (2026-W43 is a week whatever `kind` says).
                period = picked
        contract_id = None
        if raw := get.get("contract"):
            if raw.isdigit():
                contract_id = int(raw)
            else:
                messages.warning(request, f"Contract {raw!r} is not an id; showing all contracts.")
        priority = get.get("priority") or None
        if priority and priority not in Priority.values:
            messages.warning(request, f"Unknown priority {priority!r}; showing all priorities.")
            priority = None
        category = (get.get("category") or "").strip()[:120] or None
        return cls(period, contract_id, priority, category)

    @property
    def kind(self) -> PeriodKind:
        return self.period.kind

    def params(self, **changes) -> dict[str, str]:
        """Query parameters for this view, with `changes` applied (None drops a parameter)."""
        values = {
            "kind": self.kind.value,
            "period": self.period.label,
            "contract": self.contract_id,
            "priority": self.priority,
            "category": self.category,
        }
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    def query(self, **changes) -> str:
        """`?kind=month&period=2026-10...` for links that keep the current view."""
        return "?" + urlencode(self.params(**changes))

    def with_period(self, period: Period) -> PageFilters:
        return replace(self, period=period)

    def recent_periods(self, count: int = 24, *, today: dt.date | None = None) -> list[Period]:
        """The last `count` complete periods of the current kind, newest first (for the picker)."""
        today = today or reporting_today()
        period = Period.containing(self.kind, today)
        out = []
        for _ in range(count):
            period = period.previous()
            out.append(period)
        if self.period not in out:
            out.insert(0, self.period)
        return out
