from __future__ import annotations

from django.apps import AppConfig


class ScorecardsConfig(AppConfig):
    name = "scorecards"
    verbose_name = "Scorecards"

    def ready(self) -> None:
        # Registers the SQLite percentile aggregate for every connection opened from now on,
        # before any request or test opens one (importing compute later would be too late).
        from scorecards import aggregates  # noqa: F401
