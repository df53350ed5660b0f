from __future__ import annotations

from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"

    def ready(self) -> None:
        from tickets.models import LiveSource
        from vendors import audit

        # A source's settings are audited; its secret never (only its encrypted form is
        # stored, and even that stays out), nor the sync's own bookkeeping.
        audit.track(
            LiveSource,
            audit.Tracked(
                exclude=frozenset(
                    {
                        "secret",
                        "webhook_secret",
                        "cursor",
                        "last_run_at",
                        "last_error",
                        "lease_owner",
                        "lease_until",
                        "created_at",
                        "updated_at",
                    }
                )
            ),
        )
