from __future__ import annotations

from django.apps import AppConfig


class AssuranceConfig(AppConfig):
    """Security audits and their findings, and project deliverables: what a contract promises
    besides tickets (METRICS.md, "Beyond tickets")."""

    name = "assurance"
    verbose_name = "Security and delivery"

    def ready(self) -> None:
        from assurance.models import Deliverable, Finding, FindingFix, SecurityAudit
        from vendors import audit

        for model in (SecurityAudit, Finding, FindingFix, Deliverable):
            audit.track(model, audit.Tracked())
