from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


class VendorsConfig(AppConfig):
    name = "vendors"
    verbose_name = "Vendors and contracts"

    def ready(self) -> None:
        # Groups carry model permissions, which exist only after every app has migrated.
        # It runs after each app migrates (cheap and idempotent), so the last run sees them all.
        post_migrate.connect(_ensure_groups, dispatch_uid="vendors_role_groups")
        # The audit trail hooks model signals: see vendors/audit.py for why signals here.
        from vendors import audit, audit_admin  # noqa: F401 - registers the read-only admin

        audit.connect()


def _ensure_groups(sender, using: str = "default", **kwargs) -> None:
    from common.roles import ensure_role_groups

    ensure_role_groups(using=using)
