from __future__ import annotations

import datetime as dt
import functools
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

from vendors import sla
from vendors.metrics import CREDITABLE, SCORED, metric


class Priority(models.TextChoices):
    P1 = "P1", "P1 - critical"
    P2 = "P2", "P2 - high"
    P3 = "P3", "P3 - moderate"
    P4 = "P4", "P4 - low"


# Ticket statuses live here, beside priorities, because an SLA policy names the statuses
# that pause its clock; tickets use them as well.
class TicketStatus(models.TextChoices):
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    PENDING_CUSTOMER = "pending_customer", "Pending customer"
    ON_HOLD = "on_hold", "On hold"
    AWAITING_THIRD_PARTY = "awaiting_third_party", "Awaiting third party"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class Weekday(models.IntegerChoices):
    MONDAY = 0
    TUESDAY = 1
    WEDNESDAY = 2
    THURSDAY = 3
    FRIDAY = 4
    SATURDAY = 5
    SUNDAY = 6


currency_code = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 code such as EUR.")
money = {"max_digits": 14, "decimal_places": 2}


def validate_time_zone(value: str) -> None:
    try:
        sla.BusinessCalendar.always_open(value)
    except sla.CalendarError as exc:
        raise ValidationError(str(exc)) from None


class Vendor(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    contact_name = models.CharField(max_length=200, blank=True)
    contact_email = models.EmailField(blank=True, help_text="Receives breach warnings and packs.")
    active = models.BooleanField(default=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BusinessCalendar(models.Model):
    """Open hours in a local zone, minus holidays; the SLA clock runs only while open."""

    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(
        max_length=64, default="UTC", validators=[validate_time_zone], help_text="IANA zone"
    )
    holiday_country = models.CharField(
        max_length=3,
        blank=True,
        help_text="ISO country code whose public holidays close the desk (holidays package).",
    )
    holiday_subdivision = models.CharField(
        max_length=10, blank=True, help_text="Region within the country, e.g. ENG for England."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.holiday_subdivision and not self.holiday_country:
            raise ValidationError({"holiday_subdivision": "A subdivision needs a holiday country."})
        if self.holiday_country:
            try:
                public_holidays(self.holiday_country, self.holiday_subdivision, (2026,))
            except NotImplementedError as exc:
                field = "holiday_subdivision" if self.holiday_subdivision else "holiday_country"
                raise ValidationError({field: str(exc)}) from None

    def to_clock(self, years: range | None = None) -> sla.BusinessCalendar:
        """The frozen calendar the SLA clock runs on, with holidays for `years`."""
        # Public holidays are expanded for a fixed, generous range so that results never
        # depend on the day the clock was built.
        years = years or range(2000, 2051)
        hours = tuple((i.weekday, i.start, i.end) for i in self.open_intervals.all())
        dates = {h.date for h in self.holidays.all()}
        if self.holiday_country:
            dates |= public_holidays(self.holiday_country, self.holiday_subdivision, years)
        try:
            return sla.BusinessCalendar(self.time_zone, hours, frozenset(dates))
        except sla.CalendarError as exc:
            raise ValidationError({exc.field: str(exc)}) from None


def public_holidays(country: str, subdivision: str, years) -> frozenset[dt.date]:
    return _public_holidays(country, subdivision or "", tuple(years))


@functools.lru_cache(maxsize=64)
def _public_holidays(country: str, subdivision: str, years: tuple) -> frozenset[dt.date]:
    # The library's rules do not change while a process runs, and expanding fifty years of
    # them costs 17 ms: a nightly run builds a clock per vendor, mostly on the same calendars.
    import holidays

    return frozenset(holidays.country_holidays(country, subdiv=subdivision or None, years=years))


class OpenInterval(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="open_intervals"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start = models.TimeField()
    end = models.TimeField(help_text="00:00 means midnight at the end of the day.")

    class Meta:
        ordering = ["weekday", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["calendar", "weekday", "start"], name="open_interval_unique_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"

    def clean(self) -> None:
        if self.end != dt.time(0) and self.start >= self.end:
            raise ValidationError({"end": "The interval must end after it starts."})


class Holiday(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField()
    name = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date"], name="holiday_unique_date")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}".strip()


DEFAULT_PAUSE_STATUSES = ["pending_customer", "on_hold", "awaiting_third_party"]


def default_pause_statuses() -> list[str]:
    return list(DEFAULT_PAUSE_STATUSES)


class SlaPolicy(models.Model):
    name = models.CharField(max_length=120, unique=True)
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        related_name="policies",
        help_text="Business hours for every target that does not name its own clock.",
    )
    pause_statuses = models.JSONField(
        default=default_pause_statuses,
        blank=True,
        help_text="Ticket statuses that stop the resolution clock.",
    )
    warning_minutes = models.PositiveIntegerField(
        default=30, help_text="Warn this many minutes before a target is due."
    )
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        statuses = self.pause_statuses
        if not isinstance(statuses, list) or not all(isinstance(s, str) for s in statuses):
            raise ValidationError({"pause_statuses": "Give a list of status names."})
        unknown = sorted(set(statuses) - set(TicketStatus.values))
        if unknown:
            raise ValidationError(
                {
                    "pause_statuses": f"Unknown status {', '.join(unknown)}; use one of "
                    f"{', '.join(TicketStatus.values)}."
                }
            )
        closing = {TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.CANCELLED}
        if closing & set(statuses):
            raise ValidationError({"pause_statuses": "A resolved or closed status cannot pause."})


class SlaTarget(models.Model):
    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="targets")
    priority = models.CharField(max_length=2, choices=Priority.choices)
    response_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    resolution_minutes = models.PositiveIntegerField(validators=[MinValueValidator(1)])
    always_open = models.BooleanField(
        default=False, help_text="Run this priority's clock 24x7 (in the policy calendar's zone)."
    )
    calendar = models.ForeignKey(
        BusinessCalendar,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Another calendar for this priority; empty = the policy's.",
    )

    class Meta:
        ordering = ["policy", "priority"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "priority"], name="sla_target_one_per_priority"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy} {self.priority}"

    def clean(self) -> None:
        if self.always_open and self.calendar_id:
            raise ValidationError({"calendar": "A 24x7 target cannot also name a calendar."})
        if (
            self.resolution_minutes
            and self.response_minutes
            and (self.resolution_minutes < self.response_minutes)
        ):
            raise ValidationError(
                {"resolution_minutes": "The resolution target is shorter than the response target."}
            )


# Audit cadences a contract may ask for, in months; windows are calendar-aligned (a quarterly
# audit is due in each quarter's last month).
AUDIT_CADENCES = [(1, "Monthly"), (3, "Quarterly"), (6, "Half-yearly"), (12, "Yearly")]
# Default remediation days per finding severity (METRICS.md).
REMEDIATION_DAYS = {"critical": 7, "high": 30, "medium": 90, "low": 180}


class Contract(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="contracts")
    name = models.CharField(max_length=200)
    reference = models.CharField(max_length=80, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    sla_policy = models.ForeignKey(SlaPolicy, on_delete=models.PROTECT, related_name="contracts")
    monthly_fee = models.DecimalField(**money, validators=[MinValueValidator(Decimal(0))])
    currency = models.CharField(max_length=3, default="EUR", validators=[currency_code])
    inhouse_monthly_cost = models.DecimalField(
        **money,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal(0))],
        help_text="What the same service would cost in-house per month (for savings).",
    )
    target_cost_per_ticket = models.DecimalField(
        **money, null=True, blank=True, validators=[MinValueValidator(Decimal("0.01"))]
    )
    credit_cap_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal(20),
        validators=[MinValueValidator(Decimal(0))],
        help_text="Credits of all metrics together never exceed this share of the fee.",
    )
    # Security (METRICS.md, "Beyond tickets"): how often an audit is due, and the calendar
    # days a finding of each severity has to be fixed in.
    audit_cadence_months = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        choices=AUDIT_CADENCES,
        help_text="One security audit due every this many months; empty: none due.",
    )
    remediation_days_critical = models.PositiveSmallIntegerField(
        default=7, validators=[MinValueValidator(1)]
    )
    remediation_days_high = models.PositiveSmallIntegerField(
        default=30, validators=[MinValueValidator(1)]
    )
    remediation_days_medium = models.PositiveSmallIntegerField(
        default=90, validators=[MinValueValidator(1)]
    )
    remediation_days_low = models.PositiveSmallIntegerField(
        default=180, validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["vendor", "name"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "name"], name="contract_unique_name"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=models.F("start_date")),
                name="contract_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(credit_cap_pct__lte=100), name="contract_credit_cap_at_most_100"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor} / {self.name}"

    def remediation_days(self, severity: str) -> int:
        """Calendar days a finding of this severity has to be fixed in, under this contract."""
        return getattr(self, f"remediation_days_{severity}")

    def clean(self) -> None:
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": "The contract ends before it starts."})
        if self.credit_cap_pct is not None and self.credit_cap_pct > 100:
            raise ValidationError({"credit_cap_pct": "The cap is a share of the fee: 0..100."})


class ScoreWeight(models.Model):
    """A contract's weight, target (full marks) and floor (zero marks) for one scored metric."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="weights")
    metric = models.CharField(max_length=40, choices=[(c, c) for c in sorted(SCORED)])
    weight = models.DecimalField(
        max_digits=6, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    target = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    floor = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["contract", "-weight"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "metric"], name="score_weight_one_per_metric"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric} x{self.weight}"

    def clean(self) -> None:
        if self.metric not in SCORED:
            raise ValidationError({"metric": f"{self.metric!r} is not a scored metric."})
        if self.target is not None and self.floor is not None and self.target == self.floor:
            raise ValidationError({"floor": "The floor must differ from the target."})
        if self.target is not None and self.floor is not None:
            higher = metric(self.metric).better.value == "higher"
            if higher != (self.target > self.floor):
                side = "below" if higher else "above"
                raise ValidationError(
                    {"floor": f"For {self.metric} the floor lies {side} the target."}
                )


class CreditTier(models.Model):
    """`metric` worse than `threshold` owes `credit_pct` of the month's fee."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="credit_tiers")
    metric = models.CharField(max_length=40, choices=[(c, c) for c in sorted(CREDITABLE)])
    threshold = models.DecimalField(max_digits=12, decimal_places=3)
    credit_pct = models.DecimalField(
        max_digits=5, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )

    class Meta:
        ordering = ["contract", "metric", "credit_pct"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "metric", "threshold"], name="credit_tier_unique_threshold"
            )
        ]

    def __str__(self) -> str:
        op = "<" if self.is_higher_better else ">"
        return f"{self.metric} {op} {self.threshold} -> {self.credit_pct} %"

    @property
    def is_higher_better(self) -> bool:
        return metric(self.metric).better.value == "higher"

    def clean(self) -> None:
        if self.metric not in CREDITABLE:
            raise ValidationError({"metric": f"Unknown metric {self.metric!r} for a credit tier."})
        if self.credit_pct is not None and self.credit_pct > 100:
            raise ValidationError({"credit_pct": "A credit is a share of the fee: 0..100."})


class Technician(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="technicians")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    external_ref = models.CharField(
        max_length=200, blank=True, help_text="The name or id the vendor's tool uses."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["vendor", "name"]
        constraints = [
            models.UniqueConstraint(fields=["vendor", "name"], name="technician_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Invoice(models.Model):
    vendor = models.ForeignKey(Vendor, on_delete=models.PROTECT, related_name="invoices")
    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="invoices")
    period_start = models.DateField(help_text="First day of the invoiced month.")
    period_end = models.DateField(help_text="Last day of the invoiced month.")
    amount = models.DecimalField(**money, validators=[MinValueValidator(Decimal(0))])
    currency = models.CharField(max_length=3, validators=[currency_code])
    reference = models.CharField(max_length=80, blank=True)
    issued_on = models.DateField(null=True, blank=True)
    # When it was recorded or last changed: finance's `updated_since` pulls.
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start", "vendor"]
        indexes = [models.Index(fields=["contract", "period_start"])]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "period_start", "reference"], name="invoice_unique_reference"
            ),
            models.CheckConstraint(
                condition=Q(period_end__gte=models.F("period_start")),
                name="invoice_period_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.vendor} {self.period_start:%Y-%m} {self.amount} {self.currency}"

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": "The period ends before it starts."})
        if self.contract_id and self.vendor_id and self.contract.vendor_id != self.vendor_id:
            raise ValidationError({"contract": "The contract belongs to another vendor."})
        if self.contract_id and self.currency and self.currency != self.contract.currency:
            raise ValidationError(
                {"currency": f"The contract is billed in {self.contract.currency}."}
            )


class VendorMembership(models.Model):
    """Ties a vendor's user to the one vendor whose figures they may see."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="vendor_membership"
    )
    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="members")

    def __str__(self) -> str:
        return f"{self.user} @ {self.vendor}"


class ApiToken(models.Model):
    """A named key a user gives a script; it acts as that user, with that user's role.

    Only a SHA-256 of the key is stored: the key is 256 random bits, so a plain hash (no salt,
    no slow KDF) cannot be reversed and still finds the row by an indexed equality lookup.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, help_text="What the token is for, e.g. 'ERP import'.")
    prefix = models.CharField(
        max_length=16, help_text="The key's first characters, to tell keys apart."
    )
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now: dt.datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now

    @property
    def expired_now(self) -> bool:
        from django.utils import timezone

        return self.is_expired(timezone.now())


class AuditEntry(models.Model):
    """One change to a contract, policy, calendar, weight, tier, dispute decision or period
    close: who made it, when, and the fields' values before and after."""

    class Action(models.TextChoices):
        CREATE = "create", "Created"
        UPDATE = "update", "Changed"
        DELETE = "delete", "Deleted"
        # Sign-in events (accounts/signals.py) and role changes, with the client's address.
        LOGIN = "login", "Logged in"
        LOGOUT = "logout", "Logged out"
        LOGIN_FAILED = "login_failed", "Failed login"
        LOCKED_OUT = "locked_out", "Locked out"
        MFA_ADDED = "mfa_added", "Two-factor added"
        MFA_REMOVED = "mfa_removed", "Two-factor removed"
        MFA_RESET = "mfa_reset", "Recovery codes renewed"
        ROLE_CHANGED = "role_changed", "Role changed"

    at = models.DateTimeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The name at the time (kept when the user is deleted), or "system" for scheduled tasks.
    actor = models.CharField(max_length=150, blank=True)
    object_type = models.CharField(
        max_length=60, help_text="app_label.model, e.g. vendors.contract"
    )
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=20, choices=Action.choices)
    # Where a sign-in event came from (TRUSTED_CLIENT_IP_HEADER, else REMOTE_ADDR).
    ip = models.GenericIPAddressField(null=True, blank=True)
    # Field name -> value; for a change only the fields that changed.
    old_values = models.JSONField(default=dict, blank=True)
    new_values = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "audit entry"
        verbose_name_plural = "audit trail"
        indexes = [
            models.Index(fields=["object_type", "-at"], name="audit_type_at"),
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["user", "-at"], name="audit_user_at"),
            models.Index(fields=["-at"], name="audit_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor or '?'} {self.action} {self.object_type}"
