"""Security audits, their findings and the vendor's fixes; project deliverables.

Dates, not times: an auditor raises a finding on a day, a milestone is planned for a day. They
are days of the reporting calendar (REPORTING_TIME_ZONE), and periods contain them as they are.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import F, Q

from vendors.models import Contract, Vendor


class Severity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class AuditKind(models.TextChoices):
    INTERNAL = "internal", "Internal audit"
    THIRD_PARTY = "third_party", "Third-party audit"
    PENETRATION_TEST = "penetration_test", "Penetration test"
    VULNERABILITY_SCAN = "vulnerability_scan", "Vulnerability scan"


class SecurityAudit(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="security_audits")
    contract = models.ForeignKey(
        Contract, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    held_on = models.DateField(help_text="The day the audit was held (or the scan ran).")
    kind = models.CharField(max_length=20, choices=AuditKind.choices)
    scope = models.CharField(max_length=300, help_text="What was audited.")
    auditor = models.CharField(max_length=200, blank=True)
    reference = models.CharField(
        max_length=80, blank=True, help_text="The auditor's or scanner's report reference."
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-held_on", "vendor"]
        indexes = [models.Index(fields=["vendor", "held_on"])]

    def __str__(self) -> str:
        return f"{self.vendor} {self.get_kind_display()} {self.held_on:%Y-%m-%d}"


class FindingStatus(models.TextChoices):
    OPEN = "open", "Open"
    REPORTED = "reported", "Reported fixed"  # by the vendor, awaiting a manager's check
    VERIFIED = "verified", "Verified fixed"


class Finding(models.Model):
    """One finding of an audit. `reported_fixed_on` is the day the vendor says it was fixed
    (cleared when a manager rejects the fix), `verified_on` the day a manager confirmed it."""

    audit = models.ForeignKey(SecurityAudit, on_delete=models.CASCADE, related_name="findings")
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="findings")
    contract = models.ForeignKey(
        Contract, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reference = models.CharField(
        max_length=80,
        blank=True,
        help_text="The scanner's or auditor's id for it; an import matches findings by it.",
    )
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    raised_on = models.DateField()
    due_on = models.DateField(help_text="Remediation due; from the contract's days by default.")
    status = models.CharField(
        max_length=8, choices=FindingStatus.choices, default=FindingStatus.OPEN
    )
    reported_fixed_on = models.DateField(null=True, blank=True)
    verified_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_on", "vendor"]
        indexes = [
            models.Index(fields=["vendor", "status", "due_on"]),
            models.Index(fields=["audit"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "reference"],
                condition=~Q(reference=""),
                name="finding_unique_reference",
            ),
            models.CheckConstraint(
                condition=Q(due_on__gte=F("raised_on")), name="finding_due_after_raised"
            ),
            models.CheckConstraint(
                condition=Q(reported_fixed_on__isnull=True)
                | Q(reported_fixed_on__gte=F("raised_on")),
                name="finding_fixed_after_raised",
            ),
            models.CheckConstraint(
                condition=Q(verified_on__isnull=True)
                | Q(reported_fixed_on__isnull=False, verified_on__gte=F("reported_fixed_on")),
                name="finding_verified_after_reported",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.title}"


class _EvidenceStorage(FileSystemStorage):
    """MEDIA_ROOT/evidence, read at each use: Django calls a field's storage callable once,
    when the model loads, so a fixed location would ignore a MEDIA_ROOT set later (tests)."""

    @property
    def base_location(self) -> str:
        return str(Path(settings.MEDIA_ROOT) / "evidence")

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


def _evidence_storage() -> FileSystemStorage:
    """Evidence lives under MEDIA_ROOT/evidence, which no URL serves: only the download view,
    after its access check, reads it."""
    return _EvidenceStorage(base_url=None)


def _evidence_path(instance: FindingFix, filename: str) -> str:
    # A random name: what the vendor called the file is kept apart (evidence_name) and never
    # becomes a path.
    return f"{instance.finding.vendor_id}/{uuid.uuid4().hex}"


class FixDecision(models.TextChoices):
    PENDING = "pending", "Awaiting verification"
    VERIFIED = "verified", "Verified"
    REJECTED = "rejected", "Rejected"


class FindingFix(models.Model):
    """A vendor's report that a finding is fixed, with a note and optional evidence, and a
    manager's decision on it. A finding keeps every report, rejected ones included."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="fixes")
    fixed_on = models.DateField(help_text="The day the vendor says the fix was made.")
    note = models.TextField()
    evidence = models.FileField(
        upload_to=_evidence_path, storage=_evidence_storage, max_length=200, blank=True
    )
    evidence_name = models.CharField(max_length=150, blank=True)
    evidence_type = models.CharField(max_length=100, blank=True)
    evidence_size = models.PositiveIntegerField(null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reported_at = models.DateTimeField()
    decision = models.CharField(
        max_length=8, choices=FixDecision.choices, default=FixDecision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["finding", "-reported_at"]

    def __str__(self) -> str:
        return f"{self.finding} fixed {self.fixed_on:%Y-%m-%d} ({self.decision})"


class DeliverableKind(models.TextChoices):
    MILESTONE = "milestone", "Project milestone"
    CHANGE = "change", "Change"
    REPORT = "report", "Report"
    OTHER = "other", "Other"


class Deliverable(models.Model):
    """A promised delivery. It counts in the period of its actual date; one not delivered is
    late from its planned date on. A re-planned date both sides agreed is kept (with who and
    when) and shown, but the figures judge against the planned date."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="deliverables")
    contract = models.ForeignKey(
        Contract, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reference = models.CharField(
        max_length=80,
        blank=True,
        help_text="The project tool's id; an import or API push matches deliverables by it.",
    )
    title = models.CharField(max_length=300)
    kind = models.CharField(
        max_length=10, choices=DeliverableKind.choices, default=DeliverableKind.MILESTONE
    )
    planned_on = models.DateField()
    replanned_on = models.DateField(null=True, blank=True)
    replanned_reason = models.CharField(max_length=300, blank=True)
    replanned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    replanned_at = models.DateTimeField(null=True, blank=True)
    delivered_on = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["planned_on", "vendor"]
        indexes = [
            models.Index(fields=["vendor", "delivered_on"]),
            models.Index(fields=["vendor", "planned_on"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "reference"],
                condition=~Q(reference=""),
                name="deliverable_unique_reference",
            ),
        ]

    def __str__(self) -> str:
        return self.title
