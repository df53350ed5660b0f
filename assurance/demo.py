"""The demo world's security audits, findings, fixes and deliverables, fitting each demo
vendor's profile (tickets.demo.profiles): a good vendor fixes findings before they are due and
delivers on its planned dates, a poor one leaves findings overdue and slips.

Seeded after the tickets, from its own `random.Random`, so the tickets stay what they were;
nothing is dated after `now` (a fix reported today is not verified yet). Rows go in with
bulk_create: the demo must start quickly.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.contrib.auth import get_user_model

from assurance.models import (
    AuditKind,
    Deliverable,
    DeliverableKind,
    Finding,
    FindingFix,
    FindingStatus,
    FixDecision,
    SecurityAudit,
    Severity,
)
from tickets.demo.arithmetic import UTC, add_months, clamp, goodness
from tickets.demo.profiles import PROFILES, Profile
from vendors.models import Contract, Vendor

AUDIT_CADENCE_MONTHS = 3
# Salted so the assurance records do not move with the ticket generator's draws.
SALT = 7_919

AUDITS = (
    (AuditKind.VULNERABILITY_SCAN, "External attack surface", "Nessus scan"),
    (AuditKind.PENETRATION_TEST, "Service desk portal and remote tools", "Redline Security"),
    (AuditKind.INTERNAL, "Access management and privileged accounts", "Internal audit team"),
    (AuditKind.THIRD_PARTY, "ISO 27001 surveillance", "BSI Assurance"),
)
FINDING_TITLES = {
    Severity.CRITICAL: (
        "Remote management agent exposed to the internet",
        "Domain admin credentials in a shared runbook",
        "Unpatched VPN appliance (known exploited)",
    ),
    Severity.HIGH: (
        "Technicians share one privileged account",
        "MFA not enforced on the ticketing portal",
        "Backups not tested for restore in six months",
        "Leavers' accounts still active after 30 days",
    ),
    Severity.MEDIUM: (
        "TLS 1.0 still offered on the portal",
        "Local admin rights on technician laptops",
        "Password policy below the contract's standard",
        "Audit logs kept for 30 days, not 90",
    ),
    Severity.LOW: (
        "Verbose server banners",
        "Missing security headers on the status page",
        "Stale DNS records for retired hosts",
    ),
}
FIX_NOTES = (
    "Patched and re-scanned; the scan report is attached to the change.",
    "Configuration changed under change control; screenshot of the new setting kept.",
    "Accounts reviewed and removed; the access review sign-off is on file.",
    "Control put in place and checked by the team lead.",
)
DELIVERABLES = (
    (DeliverableKind.REPORT, "Monthly service report"),
    (DeliverableKind.MILESTONE, "Laptop refresh wave"),
    (DeliverableKind.CHANGE, "Patch window"),
    (DeliverableKind.MILESTONE, "Self-service password reset roll-out"),
    (DeliverableKind.CHANGE, "Firewall rule clean-up"),
    (DeliverableKind.MILESTONE, "Knowledge base migration"),
    (DeliverableKind.REPORT, "Quarterly capacity review"),
    (DeliverableKind.OTHER, "Disaster recovery test"),
)
REPLAN_REASONS = (
    "Waiting for the customer's change freeze to end",
    "Hardware delivery delayed by the supplier",
    "Agreed to move after the office move",
)


@dataclass
class AssuranceSummary:
    audits: int = 0
    findings: int = 0
    fixes: int = 0
    deliverables: int = 0


def _workday(day: dt.date) -> dt.date:
    """The day, or the Monday after it if it falls on a weekend."""
    return day + dt.timedelta(days=max(0, 7 - day.weekday()) if day.weekday() >= 5 else 0)


def _business_days_after(day: dt.date, count: int) -> dt.date:
    while count > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def _at(day: dt.date, hour: int, now: dt.datetime) -> dt.datetime:
    return min(dt.datetime.combine(day, dt.time(hour), UTC), now)


def _quality(profile: Profile, first_day: dt.date, last_day: dt.date, day: dt.date) -> float:
    """The vendor's goodness (0..1) on `day`, along its profile's dial."""
    span = max((last_day - first_day).days, 1)
    t = clamp((day - first_day).days / span, 0.0, 1.0)
    first, last = profile.quality
    return goodness(first + (last - first) * t)


def seed_assurance(
    *, seed: int, first_day: dt.date, now: dt.datetime, manager=None
) -> AssuranceSummary:
    """Audits every quarter (a poor vendor skips some) with findings and fixes, and one or two
    deliverables a month, for each demo vendor from `first_day` up to `now`."""
    rng = random.Random(seed * SALT)
    today = now.astimezone(UTC).date()
    if now.astimezone(UTC).time() == dt.time(0):
        today -= dt.timedelta(days=1)  # "now" is the end of the last day: that day is the last
    manager = manager or get_user_model().objects.filter(username="manager").first()
    vendors = {v.slug: v for v in Vendor.objects.filter(slug__in=[p.slug for p in PROFILES])}
    contracts = {c.vendor_id: c for c in Contract.objects.filter(vendor__in=vendors.values())}
    Contract.objects.filter(pk__in=[c.pk for c in contracts.values()]).update(
        audit_cadence_months=AUDIT_CADENCE_MONTHS
    )
    summary = AssuranceSummary()
    audits, findings_by_audit, deliverables = [], [], []
    for profile in PROFILES:
        vendor = vendors.get(profile.slug)
        if vendor is None:
            continue
        contract = contracts.get(vendor.pk)
        held = list(_audits(rng, profile, vendor, contract, first_day, today, now))
        if profile.quality[1] < 1.0:
            _leave_one_overdue([f for _, findings in held for f in findings], today)
        for audit, findings in held:
            audits.append(audit)
            findings_by_audit.append(findings)
        deliverables += _deliverables(
            rng, profile, vendor, contract, first_day, today, now, manager
        )

    SecurityAudit.objects.bulk_create(audits)
    flat = []
    for audit, findings in zip(audits, findings_by_audit, strict=True):
        for finding, fix in findings:
            finding.audit = audit
            flat.append((finding, fix))
    Finding.objects.bulk_create([f for f, _ in flat])
    fixes = []
    for finding, fix in flat:
        if fix is not None:
            fix.finding = finding
            fix.decided_by = manager if fix.decision == FixDecision.VERIFIED else None
            fixes.append(fix)
    FindingFix.objects.bulk_create(fixes)
    Deliverable.objects.bulk_create(deliverables)
    summary.audits, summary.findings = len(audits), len(flat)
    summary.fixes, summary.deliverables = len(fixes), len(deliverables)
    return summary


def _audits(rng, profile, vendor, contract, first_day, today, now):
    """(audit, [(finding, fix or None)]) for each audit held: one in each quarter's second
    month, which a poor vendor sometimes lets slip by."""
    month = first_day
    index = 0
    while month <= today:
        if month.month % AUDIT_CADENCE_MONTHS == 2:
            g = _quality(profile, first_day, today, month)
            held_on = _workday(month + dt.timedelta(days=rng.randrange(3, 20)))
            # The first audit is always held; later a poor vendor lets some slip by.
            if held_on <= today and (index == 0 or rng.random() < 0.55 + 0.45 * g):
                kind, scope, auditor = AUDITS[index % len(AUDITS)]
                index += 1
                audit = SecurityAudit(
                    vendor=vendor,
                    contract=contract,
                    held_on=held_on,
                    kind=kind,
                    scope=scope,
                    auditor=auditor,
                    reference=f"{profile.prefix}-SEC-{held_on:%Y%m}",
                )
                findings = [
                    list(_finding(rng, profile, vendor, contract, audit, g, today, now, n))
                    for n in range(_finding_count(rng, g))
                ]
                yield audit, findings
        month = add_months(month, 1)


def _leave_one_overdue(findings: list[list], today: dt.date) -> None:
    """A poor vendor has a finding overdue: the oldest one past its due date stays open."""
    if any(fix is None and f.due_on < today for f, fix in findings):
        return
    for pair in sorted(findings, key=lambda p: p[0].due_on):
        finding = pair[0]
        if finding.due_on < today:
            finding.status = FindingStatus.OPEN
            finding.reported_fixed_on = finding.verified_on = None
            pair[1] = None
            return


def _finding_count(rng: random.Random, g: float) -> int:
    return 1 + int(rng.random() * (2 + 5 * (1 - g)))


def _severity(rng: random.Random, g: float) -> str:
    critical = 0.04 + 0.12 * (1 - g)
    high = critical + 0.18 + 0.12 * (1 - g)
    draw = rng.random()
    if draw < critical:
        return Severity.CRITICAL
    if draw < high:
        return Severity.HIGH
    return Severity.MEDIUM if draw < high + 0.4 else Severity.LOW


def _finding(rng, profile, vendor, contract, audit, g, today, now, n):
    severity = _severity(rng, g)
    if n == 0 and g < 0.35 and severity in (Severity.MEDIUM, Severity.LOW):
        severity = Severity.HIGH  # a poor vendor's audit always turns up something serious
    raised = audit.held_on + dt.timedelta(days=rng.randrange(0, 4))
    raised = min(raised, today)
    days = contract.remediation_days(severity) if contract else 30
    due = raised + dt.timedelta(days=days)
    finding = Finding(
        vendor=vendor,
        contract=contract,
        reference=f"{audit.reference}-{n + 1:02d}",
        title=rng.choice(FINDING_TITLES[severity]),
        description=f"Raised by {audit.auditor} during the {audit.get_kind_display().lower()}.",
        severity=severity,
        raised_on=raised,
        due_on=due,
    )
    # A good vendor fixes well inside the due date; a poor one often late, or not at all.
    on_time = rng.random() < 0.45 + 0.5 * g
    if on_time:
        fixed = raised + dt.timedelta(days=max(1, round(days * rng.uniform(0.15, 0.9))))
    else:
        fixed = due + dt.timedelta(days=max(1, round(days * rng.uniform(0.1, 1.2))))
    if fixed > today or (not on_time and rng.random() < 0.25 * (1 - g)):
        return finding, None  # still open: not fixed yet, or left to go overdue
    finding.reported_fixed_on = fixed
    finding.status = FindingStatus.REPORTED
    # Managers verify within days, now and then after the due date (the vendor is not late).
    verified = fixed + dt.timedelta(days=rng.choice((1, 2, 3, 5, 8, 14)))
    fix = FindingFix(
        fixed_on=fixed,
        note=rng.choice(FIX_NOTES),
        reported_at=_at(fixed, 15, now),
        decision=FixDecision.PENDING,
    )
    if verified <= today:
        finding.verified_on, finding.status = verified, FindingStatus.VERIFIED
        fix.decision, fix.decided_at = FixDecision.VERIFIED, _at(verified, 11, now)
        fix.decision_note = "Checked against the re-scan."
    return finding, fix


def _deliverables(rng, profile, vendor, contract, first_day, today, now, manager):
    """One or two deliverables a month planned up to today; a good vendor delivers on time, a
    poor one slips; some re-planned by agreement, and the last overdue one not delivered."""
    out = []
    month = first_day
    number = 0
    while month <= today:
        g = _quality(profile, first_day, today, month)
        for _ in range(1 + (rng.random() < 0.5)):
            planned = _workday(month + dt.timedelta(days=rng.randrange(2, 26)))
            if planned > today:
                continue
            number += 1
            kind, title = DELIVERABLES[rng.randrange(len(DELIVERABLES))]
            item = Deliverable(
                vendor=vendor,
                contract=contract,
                reference=f"{profile.prefix}-DLV-{number:03d}",
                title=f"{title} ({planned:%b %Y})",
                kind=kind,
                planned_on=planned,
            )
            if rng.random() < 0.15:
                item.replanned_on = _business_days_after(planned, rng.randrange(3, 10))
                item.replanned_reason = rng.choice(REPLAN_REASONS)
                item.replanned_by = manager
                item.replanned_at = _at(planned - dt.timedelta(days=rng.randrange(3, 12)), 10, now)
            if rng.random() < 0.5 + 0.45 * g:
                delivered = planned - dt.timedelta(days=rng.choice((0, 0, 0, 1, 2)))
            else:
                late = max(1, round(rng.uniform(1, 4 + 12 * (1 - g))))
                delivered = _business_days_after(planned, late)
            if delivered <= today:
                item.delivered_on = delivered
            out.append(item)
        month = add_months(month, 1)
    # A poor vendor leaves an old one undelivered: overdue at every month's end since.
    late = [d for d in out if d.delivered_on is not None and d.delivered_on > d.planned_on]
    if late and profile.quality[1] < 1.0:
        late[0].delivered_on = None
        late[0].notes = "Not delivered: the vendor has not given a new date."
    return out
