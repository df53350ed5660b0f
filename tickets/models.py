from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from vendors.models import Contract, Priority, Technician, TicketStatus, Vendor

DONE_STATUSES = frozenset({TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.CANCELLED})


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "E-mail"
    PORTAL = "portal", "Self-service portal"
    CHAT = "chat", "Chat"
    WALK_IN = "walk_in", "Walk-in"
    MONITORING = "monitoring", "Monitoring"
    OTHER = "other", "Other"


class Ticket(models.Model):
    """A vendor's ticket as imported, with every fact of METRICS.md derived and stored.

    Facts are written only by `tickets.services.ticket_refresh_facts`; the scorecard queries
    aggregate these columns and never re-derive them.
    """

    source = models.CharField(max_length=80, help_text="Where the ticket came from.")
    external_id = models.CharField(max_length=120)
    source_version = models.CharField(
        max_length=64, blank=True, help_text="The source's last-update stamp; newer replaces."
    )
    # No single-column indexes on vendor, contract and technician: the composite indexes in
    # Meta lead with them and serve every lookup by them, and each index an import must keep
    # up costs it time per ticket.
    vendor = models.ForeignKey(
        Vendor, on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    technician = models.ForeignKey(
        Technician,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tickets",
        db_index=False,
    )
    # Who held the ticket when it was first answered: response figures are theirs, resolution
    # figures the last assignee's (`technician`). Derived from the assignment events; null
    # without a response (a breach while unanswered then falls to `technician`). No index:
    # figures group it within a vendor's tickets, and nothing looks tickets up by it but a
    # technician's deletion, rare enough that one scan beats slowing every import.
    response_technician = models.ForeignKey(
        Technician,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    priority = models.CharField(max_length=2, choices=Priority.choices)
    category = models.CharField(max_length=120, blank=True)
    requester = models.CharField(max_length=200, blank=True)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.OTHER)
    status = models.CharField(max_length=24, choices=TicketStatus.choices)
    title = models.CharField(max_length=300, blank=True)

    created_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # Targets copied from the policy when the ticket was created, so a later policy change
    # never rewrites history.
    response_target_minutes = models.PositiveIntegerField()
    resolution_target_minutes = models.PositiveIntegerField()

    # Derived facts.
    response_due_at = models.DateTimeField()
    resolution_due_at = models.DateTimeField(help_text="Pushed later by every pause.")
    response_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_seconds_raw = models.PositiveIntegerField(null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(default=0)
    response_met = models.BooleanField(null=True, blank=True)
    resolution_met = models.BooleanField(null=True, blank=True)
    # When each outcome became final: the response/resolution if met, the due time if breached.
    # Attribution of SLA outcomes to periods reads these.
    response_outcome_at = models.DateTimeField(null=True, blank=True)
    resolution_outcome_at = models.DateTimeField(null=True, blank=True)
    reopen_count = models.PositiveIntegerField(default=0)
    escalated = models.BooleanField(default=False)
    reassignment_count = models.PositiveIntegerField(default=0)
    reply_count = models.PositiveIntegerField(default=0)
    first_contact_resolution = models.BooleanField(null=True, blank=True)
    repeat = models.BooleanField(default=False)
    facts_computed_at = models.DateTimeField(null=True, blank=True)
    # Set when a manager accepts a dispute: the outcome then counts as `excluded`.
    response_excluded = models.BooleanField(default=False, db_default=False)
    resolution_excluded = models.BooleanField(default=False, db_default=False)

    # What the source itself said, kept so pages can show where it and we differ.
    source_sla_met = models.BooleanField(null=True, blank=True)
    source_fcr = models.BooleanField(null=True, blank=True)
    source_reopen_count = models.PositiveIntegerField(null=True, blank=True)
    source_reassignment_count = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "external_id"], name="ticket_unique_source_id"
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True) | Q(resolved_at__gte=F("created_at")),
                name="ticket_resolved_after_created",
            ),
            models.CheckConstraint(
                condition=Q(first_response_at__isnull=True)
                | Q(first_response_at__gte=F("created_at")),
                name="ticket_responded_after_created",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | Q(closed_at__gte=F("created_at")),
                name="ticket_closed_after_created",
            ),
        ]
        indexes = [
            models.Index(fields=["vendor", "created_at"], name="ticket_vendor_created"),
            models.Index(fields=["vendor", "resolved_at"], name="ticket_vendor_resolved"),
            models.Index(fields=["vendor", "first_response_at"], name="ticket_vendor_responded"),
            models.Index(fields=["vendor", "response_outcome_at"], name="ticket_vendor_resp_out"),
            models.Index(
                fields=["vendor", "resolution_outcome_at"], name="ticket_vendor_resol_out"
            ),
            # Newest first across all vendors (a manager's API ticket and breach lists).
            models.Index(fields=["created_at", "id"], name="ticket_created"),
            models.Index(fields=["contract", "resolved_at"], name="ticket_contract_resolved"),
            models.Index(fields=["technician", "resolved_at"], name="ticket_tech_resolved"),
            models.Index(fields=["requester", "category", "created_at"], name="ticket_repeat"),
            # The alert job scans only open tickets.
            models.Index(
                fields=["resolution_due_at"],
                condition=Q(resolved_at__isnull=True),
                name="ticket_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id}"

    def clean(self) -> None:
        for field in ("first_response_at", "resolved_at", "closed_at"):
            value = getattr(self, field)
            if value and self.created_at and value < self.created_at:
                label = field.removesuffix("_at").replace("_", " ")
                raise ValidationError(
                    {field: f"The ticket cannot be {label} before it was created."}
                )
        if self.contract_id and self.vendor_id and self.contract.vendor_id != self.vendor_id:
            raise ValidationError({"contract": "The contract belongs to another vendor."})
        if self.technician_id and self.vendor_id and self.technician.vendor_id != self.vendor_id:
            raise ValidationError({"technician": "The technician works for another vendor."})

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    ASSIGNED = "assigned", "Assigned"
    RESPONDED = "responded", "Responded"
    STATUS_CHANGE = "status_change", "Status change"
    PAUSED = "paused", "Paused"
    RESUMED = "resumed", "Resumed"
    ESCALATED = "escalated", "Escalated"
    REOPENED = "reopened", "Reopened"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class TicketEvent(models.Model):
    # Found through event_ticket_time, which leads with the ticket.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    at = models.DateTimeField()
    seq = models.PositiveIntegerField(default=0, help_text="Order of events at the same instant.")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    old_value = models.CharField(max_length=200, blank=True)
    new_value = models.CharField(max_length=200, blank=True)
    actor = models.CharField(max_length=200, blank=True)
    by_vendor = models.BooleanField(
        default=True, help_text="Done by the vendor's staff (not the customer or a system)."
    )

    class Meta:
        ordering = ["ticket", "at", "seq"]
        indexes = [models.Index(fields=["ticket", "at", "seq"], name="event_ticket_time")]

    def __str__(self) -> str:
        change = (
            f" {self.old_value} -> {self.new_value}" if self.old_value or self.new_value else ""
        )
        return f"{self.at:%Y-%m-%d %H:%M} {self.kind}{change}"


class SurveyResponse(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="surveys")
    score = models.PositiveSmallIntegerField(validators=[MaxValueValidator(10)])
    scale = models.PositiveSmallIntegerField(
        choices=[(5, "1..5 (CSAT)"), (10, "0..10 (NPS)")], default=5
    )
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField()

    class Meta:
        ordering = ["-answered_at"]
        indexes = [models.Index(fields=["answered_at"], name="survey_answered")]
        constraints = [
            models.CheckConstraint(
                condition=(Q(scale=5) & Q(score__gte=1) & Q(score__lte=5))
                | (Q(scale=10) & Q(score__lte=10)),
                name="survey_score_on_its_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket} {self.score}/{self.scale}"

    def clean(self) -> None:
        low = 1 if self.scale == 5 else 0
        if self.score is not None and not low <= self.score <= self.scale:
            raise ValidationError({"score": f"On a {low}..{self.scale} scale."})
        if self.answered_at and self.ticket_id and self.answered_at < self.ticket.created_at:
            raise ValidationError({"answered_at": "Answered before the ticket was created."})


class Outage(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="outages")
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, null=True, blank=True, related_name="outages"
    )
    service = models.CharField(max_length=120)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True, help_text="Empty while ongoing.")
    vendor_caused = models.BooleanField(default=True)
    scheduled_maintenance = models.BooleanField(default=False)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [models.Index(fields=["vendor", "started_at"], name="outage_vendor_start")]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="outage_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.vendor} {self.service} {self.started_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.ended_at and self.started_at and self.ended_at < self.started_at:
            raise ValidationError({"ended_at": "The outage ends before it starts."})


# --- imports ------------------------------------------------------------------------------------


class ImportFormat(models.TextChoices):
    SERVICENOW = "servicenow", "ServiceNow incident event log"
    VINST = "vinst", "Volvo IT VINST"
    JIRA = "jira", "Jira Service Management CSV"
    ZENDESK = "zendesk", "Zendesk CSV"
    MAPPED = "mapped", "CSV or XLSX with a column mapping"
    API = "api", "REST bulk upsert"
    LIVE = "live", "Live source (read through its API)"


class AttributionRule(models.Model):
    """Sends a source's tickets whose group / team / org line reads `value` to a vendor.

    The value `*` catches every value of the source that no other rule names.
    """

    CATCH_ALL = "*"

    source = models.CharField(max_length=80, help_text="The import's source name.")
    value = models.CharField(
        max_length=200,
        blank=True,
        help_text="The source's group, team or org line, e.g. 'Group 56'; * for any other.",
    )
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="attribution_rules")
    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "value"]
        constraints = [
            models.UniqueConstraint(fields=["source", "value"], name="attribution_rule_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.value or '(empty)'} -> {self.vendor}"

    def clean(self) -> None:
        if self.contract_id and self.vendor_id and self.contract.vendor_id != self.vendor_id:
            raise ValidationError({"contract": "The contract belongs to another vendor."})


class SourceMapping(models.Model):
    """How a source's files are read (format and reader options), reused by its next import."""

    source = models.CharField(max_length=80, unique=True)
    format = models.CharField(max_length=20, choices=ImportFormat.choices)
    options = models.JSONField(
        default=dict,
        blank=True,
        help_text="Reader options: time_zone, attribute_by, default_priority, and for the "
        "mapped format the column mapping.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["source"]

    def __str__(self) -> str:
        return f"{self.source} ({self.get_format_display()})"


class ImportRun(models.Model):
    """One import (a file or an API request) and its report."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    ERRORS_KEPT = 1000  # rows rejected beyond this are counted, not listed

    source = models.CharField(max_length=80)
    format = models.CharField(max_length=20, choices=ImportFormat.choices)
    file_name = models.CharField(max_length=255, blank=True)
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING, db_default="pending"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    seconds = models.FloatField(null=True, blank=True, help_text="Wall time of the import.")
    progress = models.PositiveIntegerField(
        default=0, db_default=0, help_text="Tickets and rejected rows processed so far."
    )
    rows_read = models.PositiveIntegerField(default=0, db_default=0)
    tickets_created = models.PositiveIntegerField(default=0, db_default=0)
    tickets_updated = models.PositiveIntegerField(default=0, db_default=0)
    tickets_unchanged = models.PositiveIntegerField(default=0, db_default=0)
    tickets_rejected = models.PositiveIntegerField(
        default=0, db_default=0, help_text="Rows or tickets refused; the first ones in errors."
    )
    tickets_unmapped = models.PositiveIntegerField(
        default=0, db_default=0, help_text="Tickets not written: no rule maps their value."
    )
    errors = models.JSONField(
        default=list, blank=True, help_text="[{row, column, reason, external_id}], the first 1000."
    )
    unmapped = models.JSONField(
        default=dict, blank=True, help_text="{value: ticket count} of values no rule maps."
    )
    notes = models.JSONField(default=list, blank=True, help_text="Remarks of the reader.")
    failure = models.TextField(blank=True, help_text="Why a failed run stopped.")
    # A web upload waits as a pending run: its file, how to read it, and when Start queued it.
    upload = models.CharField(
        max_length=255, blank=True, help_text="The stored upload under MEDIA_ROOT (deleted after)."
    )
    options = models.JSONField(
        default=dict, blank=True, help_text="Reader options the upload is read with."
    )
    rows_total = models.PositiveIntegerField(
        null=True, blank=True, help_text="Data rows in the file, counted before the run."
    )
    queued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["source", "created_at"], name="import_run_source")]

    def __str__(self) -> str:
        return f"{self.source} {self.file_name or self.format} ({self.status})"

    @property
    def tickets_written(self) -> int:
        return self.tickets_created + self.tickets_updated


# --- live sources --------------------------------------------------------------------------------

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def validate_source_url(value: str) -> None:
    """https only; plain http only to this machine (stand-in servers in tests)."""
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.username or parts.password:
        # Not quoted back: it holds a credential.
        raise ValidationError(
            "the URL holds a user or password; give them as the user and the secret instead",
            code="credentials_in_url",
        )
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and parts.hostname in LOCAL_HOSTS:
        return
    raise ValidationError(
        f"{value!r} is not an https:// URL (plain http is allowed only to 127.0.0.1 or "
        "localhost, for stand-in servers)",
        code="insecure_url",
    )


def validate_time_zone(value: str) -> None:
    from tickets.ingest.files import zone

    try:
        zone(value)
    except ValueError as exc:
        raise ValidationError(str(exc), code="time_zone") from None


class LiveSourceKind(models.TextChoices):
    SERVICENOW = "servicenow", "ServiceNow"
    JIRA = "jira", "Jira Service Management"
    ZENDESK = "zendesk", "Zendesk"


class LiveSource(models.Model):
    """A connection to one ticket system, read on a schedule (tickets/live/).

    `name` is also the ingest source name: its tickets are (name, id) and its attribution rules
    are the AttributionRules of that source. The secret (password or API token) is stored only
    as a Fernet token (tickets/live/secrets.py) and never shown back.
    """

    MIN_INTERVAL_MINUTES = 5

    name = models.CharField(max_length=100, unique=True, help_text="Also the tickets' source.")
    kind = models.CharField(max_length=20, choices=LiveSourceKind.choices)
    base_url = models.URLField(
        max_length=500,
        validators=[validate_source_url],
        help_text="e.g. https://acme.service-now.com",
    )
    username = models.CharField(max_length=255, help_text="The API user (or e-mail for Zendesk).")
    secret = models.TextField(
        blank=True, editable=False, help_text="Fernet token of the password or API token."
    )
    filter = models.TextField(
        blank=True,
        help_text="Which tickets: a ServiceNow encoded query, JQL, or Zendesk group names or ids.",
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="IANA zone of times the API gives without an offset.",
    )
    interval_minutes = models.PositiveIntegerField(
        default=15,
        validators=[MinValueValidator(MIN_INTERVAL_MINUTES)],
        help_text="Minutes between scheduled runs.",
    )
    enabled = models.BooleanField(default=True)
    cursor = models.JSONField(default=dict, blank=True, help_text="How far it has read.")
    webhook_secret = models.TextField(
        blank=True,
        editable=False,
        help_text="Fernet token of the secret that signs the source's webhook deliveries.",
    )
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The run lease: a run holds it while it reads and renews it with each page, so a second
    # run of the source is refused, and a killed worker's lease simply runs out.
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(interval_minutes__gte=5), name="live_source_interval_at_least_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"

    def __repr__(self) -> str:
        # Spelled out so the secret never shows, whatever the default repr becomes.
        return f"<LiveSource {self.pk}: {self.name} {self.kind} {self.base_url}>"


class LiveSourceDelivery(models.Model):
    """A webhook delivery already accepted, kept so the same delivery replayed is refused."""

    source = models.ForeignKey(LiveSource, on_delete=models.CASCADE, related_name="deliveries")
    key = models.CharField(max_length=200, help_text="The sender's delivery id or signature.")
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="live_delivery_once"),
        ]
        indexes = [models.Index(fields=["received_at"], name="live_delivery_received")]

    def __str__(self) -> str:
        return f"{self.source_id}: {self.key}"
