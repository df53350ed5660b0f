from __future__ import annotations

from functools import partial

from django.apps import AppConfig
from django.db import transaction


class ScorecardsConfig(AppConfig):
    name = "scorecards"
    verbose_name = "Scorecards"

    def ready(self) -> None:
        # Registers the SQLite percentile aggregate for every connection opened from now on,
        # before any request or test opens one (importing compute later would be too late).
        from scorecards import aggregates  # noqa: F401
        from scorecards.models import ClosedPeriod, Dispute, ReferenceBand, ReviewRating
        from vendors import audit
        from vendors.signals import vendor_figures_changed, vendor_tickets_synced

        # The lower layers say what changed; the periods it falls in are recomputed.
        vendor_figures_changed.connect(
            _mark_dirty, dispatch_uid="scorecards-mark-dirty", weak=False
        )
        # A live source's run changed tickets: their vendors' dirty periods are recomputed now.
        vendor_tickets_synced.connect(
            _recompute_soon, dispatch_uid="scorecards-recompute-synced", weak=False
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
        audit.track(ReviewRating, audit.Tracked(user_fields=("rated_by",)))
        audit.track(ReferenceBand, audit.Tracked(user_fields=("updated_by",)))


def _mark_dirty(sender, *, vendor_id: int, instants, **kwargs) -> None:
    from scorecards.services import periods_mark_dirty

    periods_mark_dirty(vendor_id=vendor_id, instants=instants)


def _recompute_soon(sender, *, vendor_ids, **kwargs) -> None:
    from scorecards.tasks import recompute_vendor

    # Once the sender's writes are committed, so the worker reads them.
    for vendor_id in vendor_ids:
        transaction.on_commit(partial(recompute_vendor.delay, vendor_id))
