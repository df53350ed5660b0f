"""Stored figures: what pages, the API and review packs read. Written only by services."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from scorecards.periods import PeriodKind
from tickets.models import Ticket
from vendors.models import Vendor

PERIOD_CHOICES = [(k.value, k.value.title()) for k in PeriodKind]


class SubjectKind(models.TextChoices):
    VENDOR = "vendor", "Vendor"
    CONTRACT = "contract", "Contract"
    TECHNICIAN = "technician", "Technician"


class SubjectPeriod(models.Model):
    """Who (vendor, contract or technician) and when (week, month or quarter) a figure is of."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="+")
    subject_kind = models.CharField(max_length=12, choices=SubjectKind.choices)
    subject_id = models.BigIntegerField(help_text="The vendor's, contract's or technician's id.")
    period_kind = models.CharField(max_length=8, choices=PERIOD_CHOICES)
    period_start = models.DateField(help_text="First day of the period, reporting time zone.")

    class Meta:
        abstract = True


class MetricValue(SubjectPeriod):
    metric = models.CharField(max_length=40)
    value = models.DecimalField(
        max_digits=18, decimal_places=4, null=True, blank=True, help_text="Empty = no data."
    )
    numerator = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    denominator = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    sample_size = models.PositiveIntegerField(default=0)
    ci_low = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    ci_high = models.DecimalField(max_digits=9, decimal_places=4, null=True, blank=True)
    low_sample = models.BooleanField(default=False)
    excluded = models.PositiveIntegerField(
        default=0, help_text="Outcomes left out because a dispute was accepted."
    )
    detail = models.JSONField(default=dict, blank=True)
    computed_at = models.DateTimeField()  # when this figure last changed (see _store)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject_kind", "subject_id", "period_kind", "period_start", "metric"],
                name="metric_value_unique",
            )
        ]
        indexes = [
            models.Index(
                fields=["vendor", "period_kind", "period_start"], name="metric_vendor_period"
            ),
            models.Index(
                fields=["subject_kind", "period_kind", "metric", "period_start"],
                name="metric_kind_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subject_kind}:{self.subject_id} {self.period_start} {self.metric}"


class Scorecard(SubjectPeriod):
    score = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    grade = models.CharField(max_length=1, blank=True)
    weights = models.JSONField(default=dict, help_text="Weights used, renormalised.")
    targets = models.JSONField(default=dict, help_text="Targets and floors used.")
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["subject_kind", "subject_id", "period_kind", "period_start"],
                name="scorecard_unique",
            )
        ]
        indexes = [
            models.Index(
                fields=["vendor", "period_kind", "period_start"], name="scorecard_vendor_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject_kind}:{self.subject_id} {self.period_start} {self.grade}"


class DirtyPeriod(models.Model):
    """A vendor's period whose tickets changed since its figures were computed."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="+")
    period_kind = models.CharField(max_length=8, choices=PERIOD_CHOICES)
    period_start = models.DateField()
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "period_kind", "period_start"], name="dirty_period_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.vendor} {self.period_kind} {self.period_start}"


class ClosedPeriod(models.Model):
    """A vendor's month whose figures are frozen (after its review meeting)."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="closed_periods")
    period_kind = models.CharField(max_length=8, choices=PERIOD_CHOICES, default="month")
    period_start = models.DateField()
    closed_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "period_kind", "period_start"], name="closed_period_unique"
            )
        ]

    def __str__(self) -> str:
        state = "reopened" if self.reopened_at else "closed"
        return f"{self.vendor} {self.period_start:%Y-%m} {state}"


class Restatement(SubjectPeriod):
    """A stored figure that changed after its period was reopened and recomputed."""

    metric = models.CharField(max_length=40)
    old_value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    new_value = models.DecimalField(max_digits=18, decimal_places=4, null=True, blank=True)
    restated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    restated_at = models.DateTimeField()

    class Meta:
        ordering = ["-restated_at"]

    def __str__(self) -> str:
        return f"{self.metric} {self.period_start}: {self.old_value} -> {self.new_value}"


class SlaTargetKind(models.TextChoices):
    RESPONSE = "response", "Response"
    RESOLUTION = "resolution", "Resolution"


class Dispute(models.Model):
    """A vendor's claim that a breach was not its fault; a manager decides."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="disputes")
    target = models.CharField(max_length=10, choices=SlaTargetKind.choices)
    reason = models.TextField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    raised_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            # One live dispute per breach; a rejected one may be raised again with new reasons.
            models.UniqueConstraint(
                fields=["ticket", "target"],
                condition=Q(status__in=["open", "accepted"]),
                name="dispute_one_live_per_target",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ticket} {self.target} ({self.status})"


class Alert(models.Model):
    """A warning that an open ticket's target is about to be, or has been, breached."""

    class Threshold(models.TextChoices):
        WARNING = "warning", "Due soon"
        BREACH = "breach", "Breached"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="alerts")
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="+")
    target = models.CharField(max_length=10, choices=SlaTargetKind.choices)
    threshold = models.CharField(max_length=8, choices=Threshold.choices)
    due_at = models.DateTimeField()
    created_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "target", "threshold"], name="alert_once_per_threshold"
            )
        ]
        indexes = [models.Index(fields=["vendor", "created_at"], name="alert_vendor_created")]

    def __str__(self) -> str:
        return f"{self.ticket} {self.target} {self.threshold}"
