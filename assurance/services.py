"""Writes of security audits, their findings and the vendor's fixes (METRICS.md, "Beyond
tickets").

Managers record audits and findings; a vendor's user reports a finding fixed (a note, the day,
optional evidence); a manager verifies or rejects the report. Each refusal names its field.
Every write tells `assurance.periods.figures_changed` the record's dates before and after, in
its transaction, so the months they touch are recomputed. The audit trail records every save
through the model signals (vendors/audit.py), with the request's user.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from assurance.evidence import evidence_check
from assurance.models import (
    AuditKind,
    Finding,
    FindingFix,
    FindingStatus,
    FixDecision,
    SecurityAudit,
    Severity,
)
from assurance.periods import figures_changed
from common.pages import reporting_today
from vendors.models import REMEDIATION_DAYS, Contract, Vendor

# --- audits ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditTerms:
    held_on: dt.date | None
    kind: str
    scope: str
    auditor: str = ""
    reference: str = ""
    notes: str = ""
    contract: Contract | None = None


def _audit_errors(vendor: Vendor, terms: AuditTerms, today: dt.date) -> dict[str, str]:
    errors = {}
    if terms.held_on is None:
        errors["held_on"] = "Give the day the audit was held."
    elif terms.held_on > today:
        errors["held_on"] = "The audit is in the future: record it once it has been held."
    if terms.kind not in AuditKind.values:
        errors["kind"] = "Choose the kind of audit."
    if not terms.scope.strip():
        errors["scope"] = "Say what was audited."
    if terms.contract is not None and terms.contract.vendor_id != vendor.pk:
        errors["contract"] = f"That contract is not one of {vendor.name}'s."
    return errors


def _apply(instance, terms) -> None:
    for f in fields(terms):
        value = getattr(terms, f.name)
        setattr(instance, f.name, value.strip() if isinstance(value, str) else value)


@transaction.atomic
def audit_create(
    *, vendor: Vendor, terms: AuditTerms, user, today: dt.date | None = None
) -> SecurityAudit:
    errors = _audit_errors(vendor, terms, today or reporting_today())
    if errors:
        raise ValidationError(errors)
    audit = SecurityAudit(vendor=vendor, created_by=user)
    _apply(audit, terms)
    audit.save()
    figures_changed(sender=SecurityAudit, vendor_id=vendor.pk, days=[audit.held_on])
    return audit


@transaction.atomic
def audit_update(
    *, audit: SecurityAudit, terms: AuditTerms, today: dt.date | None = None
) -> SecurityAudit:
    errors = _audit_errors(audit.vendor, terms, today or reporting_today())
    if errors:
        raise ValidationError(errors)
    before = audit.held_on
    _apply(audit, terms)
    audit.save()
    figures_changed(sender=SecurityAudit, vendor_id=audit.vendor_id, days=[before, audit.held_on])
    return audit


@transaction.atomic
def audit_delete(*, audit: SecurityAudit) -> None:
    """Deletes the audit with its findings and their fixes (evidence files included)."""
    days = [audit.held_on]
    for finding in audit.findings.all():
        days += _finding_days(finding)
    fixes = list(FindingFix.objects.filter(finding__audit=audit).exclude(evidence=""))
    vendor_id = audit.vendor_id
    audit.delete()  # each finding and fix deleted is recorded in the audit trail
    figures_changed(sender=SecurityAudit, vendor_id=vendor_id, days=days)
    # The files go only once the rows are surely gone.
    for fix in fixes:
        storage, name = fix.evidence.storage, fix.evidence.name
        transaction.on_commit(lambda storage=storage, name=name: storage.delete(name))


# --- findings -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FindingTerms:
    title: str
    severity: str
    raised_on: dt.date | None
    due_on: dt.date | None = None  # None: from the contract's remediation days
    reference: str = ""
    description: str = ""


def remediation_days(*, vendor: Vendor, contract: Contract | None, severity: str) -> int:
    """Days a finding of this severity has to be fixed in: its contract's, else the vendor's
    first contract's, else METRICS.md's defaults."""
    if contract is None:
        contract = vendor.contracts.order_by("start_date", "pk").first()
    if contract is not None:
        return contract.remediation_days(severity)
    return REMEDIATION_DAYS[severity]


def default_due_on(
    *, vendor: Vendor, contract: Contract | None, severity: str, raised_on: dt.date
) -> dt.date:
    days = remediation_days(vendor=vendor, contract=contract, severity=severity)
    return raised_on + dt.timedelta(days=days)


def _finding_days(finding: Finding) -> list[dt.date | None]:
    return [finding.raised_on, finding.due_on, finding.reported_fixed_on, finding.verified_on]


def _finding_errors(finding: Finding, terms: FindingTerms, today: dt.date) -> dict[str, str]:
    errors = {}
    if not terms.title.strip():
        errors["title"] = "Give the finding a title."
    if not terms.severity:
        errors["severity"] = "Give the severity: critical, high, medium or low."
    elif terms.severity not in Severity.values:
        errors["severity"] = f"“{terms.severity}” is not a severity: critical, high, medium or low."
    if terms.raised_on is None:
        errors["raised_on"] = "Give the day the finding was raised."
    elif terms.raised_on > today:
        errors["raised_on"] = "The finding is raised in the future."
    elif terms.due_on is not None and terms.due_on < terms.raised_on:
        errors["due_on"] = "The finding is due before it was raised."
    elif finding.reported_fixed_on is not None and finding.reported_fixed_on < terms.raised_on:
        errors["raised_on"] = (
            f"The vendor reported it fixed on {finding.reported_fixed_on:%Y-%m-%d}, before "
            "this day."
        )
    reference = terms.reference.strip()
    if reference:
        taken = Finding.objects.filter(vendor_id=finding.vendor_id, reference=reference)
        if finding.pk:
            taken = taken.exclude(pk=finding.pk)
        if taken.exists():
            errors["reference"] = f"Another finding of this vendor has the reference {reference}."
    return errors


def _finding_save(finding: Finding, terms: FindingTerms, today: dt.date) -> Finding:
    errors = _finding_errors(finding, terms, today)
    if errors:
        raise ValidationError(errors)
    before = _finding_days(finding) if finding.pk else []
    due_on = terms.due_on or default_due_on(
        vendor=finding.vendor,
        contract=finding.contract,
        severity=terms.severity,
        raised_on=terms.raised_on,
    )
    _apply(finding, terms)
    finding.due_on = due_on
    finding.save()
    figures_changed(
        sender=Finding, vendor_id=finding.vendor_id, days=before + _finding_days(finding)
    )
    return finding


@transaction.atomic
def finding_create(
    *, audit: SecurityAudit, terms: FindingTerms, today: dt.date | None = None
) -> Finding:
    """A new finding of `audit` (its vendor's, under the audit's contract). An empty due
    date is the raised day plus the contract's remediation days for the severity."""
    finding = Finding(audit=audit, vendor_id=audit.vendor_id, contract=audit.contract)
    finding.vendor = audit.vendor
    return _finding_save(finding, terms, today or reporting_today())


@transaction.atomic
def finding_update(
    *, finding: Finding, terms: FindingTerms, today: dt.date | None = None
) -> Finding:
    """Changes what the finding says; its fix reports and status are left as they are. An
    empty due date is computed again from the contract's days."""
    finding = Finding.objects.select_for_update().select_related("vendor").get(pk=finding.pk)
    return _finding_save(finding, terms, today or reporting_today())


def finding_differs(finding: Finding, terms: FindingTerms) -> bool:
    """Whether saving `terms` would change the finding (an import skips those it would not)."""
    due_on = terms.due_on or finding.due_on
    return (
        finding.title != terms.title.strip()
        or finding.severity != terms.severity
        or finding.raised_on != terms.raised_on
        or finding.due_on != due_on
        or finding.reference != terms.reference.strip()
        or finding.description != terms.description.strip()
    )


# --- fixes ----------------------------------------------------------------------------------------


def _check_vendor_user(user, finding: Finding) -> None:
    membership = getattr(user, "vendor_membership", None)
    if membership is None or membership.vendor_id != finding.vendor_id:
        raise PermissionDenied("Only the vendor's own users report its findings fixed.")


@transaction.atomic
def fix_report(
    *,
    finding: Finding,
    user,
    fixed_on: dt.date | None,
    note: str,
    evidence=None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> FindingFix:
    """The vendor's user says the finding is fixed: the finding is then reported fixed on
    `fixed_on`, awaiting a manager's check. `evidence` is an uploaded file (checked here)."""
    _check_vendor_user(user, finding)
    today, now = today or reporting_today(), now or timezone.now()
    finding = Finding.objects.select_for_update().get(pk=finding.pk)
    errors = {}
    if finding.status != FindingStatus.OPEN:
        errors["__all__"] = (
            "It is already reported fixed and awaits a manager's check."
            if finding.status == FindingStatus.REPORTED
            else "It is already verified fixed."
        )
    if not note.strip():
        errors["note"] = "Say what was done to fix it."
    if fixed_on is None:
        errors["fixed_on"] = "Give the day it was fixed."
    elif fixed_on > today:
        errors["fixed_on"] = "The day it was fixed is in the future."
    elif fixed_on < finding.raised_on:
        errors["fixed_on"] = f"It was raised on {finding.raised_on:%Y-%m-%d}, after this day."
    checked = None
    if evidence is not None:
        try:
            checked = evidence_check(evidence)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    fix = FindingFix(
        finding=finding, fixed_on=fixed_on, note=note.strip(), reported_by=user, reported_at=now
    )
    stored = None
    if checked is not None:
        fix.evidence_name = checked.name
        fix.evidence_type = checked.content_type
        fix.evidence_size = checked.size
        fix.evidence.save(checked.name, evidence, save=False)
        stored = fix.evidence.name
    try:
        fix.save()
        before = _finding_days(finding)
        finding.reported_fixed_on = fixed_on
        finding.status = FindingStatus.REPORTED
        finding.save()
        figures_changed(sender=Finding, vendor_id=finding.vendor_id, days=before + [fixed_on])
    except Exception:
        if stored:  # no row will name the file: do not leave it behind
            fix.evidence.storage.delete(stored)
        raise
    return fix


def _pending_fix(fix: FindingFix) -> FindingFix:
    fix = FindingFix.objects.select_for_update().select_related("finding").get(pk=fix.pk)
    if fix.decision != FixDecision.PENDING:
        raise ValidationError({"__all__": f"This fix report is already {fix.decision}."})
    return fix


@transaction.atomic
def fix_verify(
    *,
    fix: FindingFix,
    user,
    verified_on: dt.date | None = None,
    note: str = "",
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> FindingFix:
    """A manager confirms the fix: the finding is verified fixed on `verified_on` (today by
    default); it stays reported fixed on the vendor's day (METRICS.md: a slow check does not
    make the vendor late)."""
    today, now = today or reporting_today(), now or timezone.now()
    fix = _pending_fix(fix)
    finding = fix.finding
    verified_on = verified_on or today
    if verified_on > today:
        raise ValidationError({"verified_on": "The day of the check is in the future."})
    if verified_on < fix.fixed_on:
        raise ValidationError(
            {"verified_on": f"The vendor fixed it on {fix.fixed_on:%Y-%m-%d}, after this day."}
        )
    fix.decision = FixDecision.VERIFIED
    fix.decided_by, fix.decided_at, fix.decision_note = user, now, note.strip()
    fix.save()
    before = _finding_days(finding)
    finding.reported_fixed_on = fix.fixed_on
    finding.verified_on = verified_on
    finding.status = FindingStatus.VERIFIED
    finding.save()
    figures_changed(sender=Finding, vendor_id=finding.vendor_id, days=before + [verified_on])
    return fix


@transaction.atomic
def fix_reject(*, fix: FindingFix, user, note: str, now: dt.datetime | None = None) -> FindingFix:
    """A manager refuses the fix, saying why: the finding is open again and its reported day
    cleared (METRICS.md). The report and its evidence are kept."""
    if not note.strip():
        raise ValidationError({"note": "Say why the fix is rejected: the vendor reads it."})
    fix = _pending_fix(fix)
    finding = fix.finding
    fix.decision = FixDecision.REJECTED
    fix.decided_by, fix.decided_at, fix.decision_note = user, now or timezone.now(), note.strip()
    fix.save()
    before = _finding_days(finding)
    finding.reported_fixed_on = None
    finding.status = FindingStatus.OPEN
    finding.save()
    figures_changed(sender=Finding, vendor_id=finding.vendor_id, days=before)
    return fix
