"""Signals the lower layers send so that a higher one can follow without being imported.

vendors <- tickets <- scorecards: a ticket import or an invoice cannot call the scorecards'
services, so it says what changed and scorecards (its AppConfig.ready) listens.
"""

from __future__ import annotations

from django.dispatch import Signal

# A vendor's figures at these moments may have changed (tickets imported, edited or answered,
# an invoice recorded). Arguments: vendor_id: int, instants: Iterable[datetime | None].
# Sent inside the writer's transaction, so the periods are marked dirty with the change.
vendor_figures_changed = Signal()

# A live source's run created or updated tickets of these vendors (their periods are already
# marked dirty by vendor_figures_changed). Arguments: vendor_ids: list[int]. Sent after the
# run's pages are committed, so the figures can be recomputed now rather than overnight.
vendor_tickets_synced = Signal()
