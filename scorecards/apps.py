from __future__ import annotations

from django.apps import AppConfig


class ScorecardsConfig(AppConfig):
    name = "scorecards"
    verbose_name = "Scorecards"

    def ready(self) -> None:
        # Registers the SQLite percentile aggregate for every connection opened from now on,
        # before any request or test opens one (importing compute later would be too late).
        from scorecards import aggregates  # noqa: F401
        from scorecards.models import ClosedPeriod, Dispute
        from vendors import audit
        from vendors.signals import vendor_figures_changed

        # The lower layers say what changed; the periods it falls in are recomputed.
        vendor_figures_changed.connect(
            _mark_dirty, dispatch_uid="scorecards-mark-dirty", weak=False
        )
        # A dispute's decision, not its raising: only status changes (and a dispute created
        # already decided, which only the admin can do).
        audit.track(
            Dispute,
            audit.Tracked(
                only_if_changed=frozenset({"status"}),
                record_create=lambda d: d.status != "open",
                user_fields=("decided_by",),
            ),
        )
        audit.track(ClosedPeriod, audit.Tracked(user_fields=("reopened_by", "closed_by")))


def _mark_dirty(sender, *, vendor_id: int, instants, **kwargs) -> None:
    from scorecards.services import periods_mark_dirty

    periods_mark_dirty(vendor_id=vendor_id, instants=instants)
