from __future__ import annotations

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts and sign-in"

    def ready(self) -> None:
        # Sign-in events (log in and out, failures, lockouts, two-factor) into the audit trail.
        from accounts import signals

        signals.connect()
