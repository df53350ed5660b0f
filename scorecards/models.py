"""Stored figures: what pages, the API and review packs read. Written only by services."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from common.periods import PeriodKind
from tickets.models import Ticket
from vendors.metrics import METRICS, REVIEW_QUALITIES
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
    # No index of its own: `metric_vendor_period` leads with the vendor and serves its lookups and
    # the cascade; a second index costs every figure written.
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="+", db_index=False)
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
    # No index of its own: `scorecard_vendor_period` leads with the vendor and serves its
    # lookups and the cascade; a second index costs every scorecard written.
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="+", db_index=False)
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
            ),
            # The API's list: one subject and period kind, newest first, in subject order;
            # with computed_at, the list's Last-Modified is read from the index alone.
            models.Index(
                fields=["subject_kind", "period_kind", "-period_start", "subject_id"],
                include=["computed_at"],
                name="scorecard_kind_newest",
            ),
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


# == Review packs: meetings, action items, deliveries ==


class ReviewMeeting(models.Model):
    """The monthly review of a vendor's pack: when it was held, who came, what was said."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="review_meetings")
    month = models.DateField(help_text="First day of the month the pack reviews.")
    held_on = models.DateField(null=True, blank=True)
    attendees = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["vendor", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "month"], name="review_meeting_one_per_month")
        ]

    def __str__(self) -> str:
        return f"{self.vendor} review {self.month:%Y-%m}"


class ActionItem(models.Model):
    """Something agreed at a review meeting; shown in every later pack until done or dropped."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    CLOSED_STATUSES = ("done", "dropped")

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="action_items")
    meeting = models.ForeignKey(
        ReviewMeeting, on_delete=models.PROTECT, related_name="actions_raised"
    )
    raised_month = models.DateField(help_text="First day of the month whose pack raised it.")
    title = models.CharField(max_length=300)
    owner_name = models.CharField(max_length=200, blank=True, help_text="Free text owner.")
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    vendor_owned = models.BooleanField(
        default=False, help_text="The vendor owns it: the vendor's users may update its status."
    )
    due_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    closed_month = models.DateField(
        null=True, blank=True, help_text="First day of the month whose pack saw it done/dropped."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["raised_month", "due_on", "pk"]
        indexes = [
            models.Index(fields=["vendor", "raised_month"], name="action_vendor_raised"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_month__isnull=True)
                | Q(closed_month__gte=models.F("raised_month")),
                name="action_closed_after_raised",
            )
        ]

    def __str__(self) -> str:
        return f"{self.vendor}: {self.title} ({self.status})"

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED_STATUSES

    @property
    def owner_label(self) -> str:
        if self.owner_name:
            return self.owner_name
        if self.owner_user_id:
            user = self.owner_user
            return user.get_full_name() or user.get_username()
        return self.vendor.name if self.vendor_owned else ""


class PackDelivery(models.Model):
    """A vendor's monthly pack e-mailed once: the claim and the proof that it went out."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="First day of the month the pack reviews.")
    claimed_at = models.DateTimeField(
        null=True, blank=True, help_text="A run is sending it (a crashed run's claim expires)."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    recipients = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["vendor", "month"], name="pack_delivery_once")
        ]

    def __str__(self) -> str:
        state = "sent" if self.sent_at else "pending"
        return f"{self.vendor} pack {self.month:%Y-%m} {state}"


# == The review's judgement, and reference bands (METRICS.md, "Beyond tickets") ==

REVIEW_QUALITY_CHOICES = [(code, label) for code, label, _ in REVIEW_QUALITIES]


class ReviewRating(models.Model):
    """A manager's 1..5 rating of one of the four qualities at a month's review, with a line
    of evidence. The month's `review_rating` figure is the mean of the four; a closed month's
    ratings are frozen (scorecards.services_ratings refuses the change)."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="review_ratings")
    month = models.DateField(help_text="First day of the month the review rates.")
    quality = models.CharField(max_length=20, choices=REVIEW_QUALITY_CHOICES)
    rating = models.PositiveSmallIntegerField()
    evidence = models.CharField(max_length=500, blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    rated_at = models.DateTimeField()

    class Meta:
        ordering = ["vendor", "-month", "quality"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "month", "quality"], name="review_rating_one_per_quality"
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=5), name="review_rating_1_to_5"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor} {self.month:%Y-%m} {self.quality} {self.rating}"


class ReferenceBand(models.Model):
    """A published industry reference range for a figure, with its source: shown beside a
    tile, apart from the contract's target, and never used in scoring or credits."""

    metric = models.CharField(max_length=40, unique=True, choices=[(c, c) for c in sorted(METRICS)])
    low = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    high = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    source = models.CharField(max_length=300, help_text="Who published it, and when.")
    source_url = models.URLField(blank=True)
    note = models.CharField(max_length=300, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["metric"]
        constraints = [
            models.CheckConstraint(
                condition=Q(low__isnull=False) | Q(high__isnull=False),
                name="reference_band_has_a_bound",
            ),
            models.CheckConstraint(
                condition=Q(low__isnull=True) | Q(high__isnull=True) | Q(low__lte=models.F("high")),
                name="reference_band_low_below_high",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.metric}: {self.low}..{self.high} ({self.source})"
