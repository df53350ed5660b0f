"""Reads of security audits, findings and fixes, each narrowed to the vendors the user may see
(vendors.selectors): another vendor's record is a 404, never a 403."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404

from assurance.models import Finding, FindingFix, FindingStatus, SecurityAudit, Severity
from vendors.models import Vendor
from vendors.selectors import vendor_ids_visible_to, vendor_scope_q

SEVERITY_RANK = {s: i for i, s in enumerate(Severity.values)}  # critical first


def is_overdue(finding: Finding, today: dt.date) -> bool:
    """Past its due date, not verified fixed and not reported fixed by its due date
    (METRICS.md `findings_overdue`, as of `today`)."""
    if finding.status == FindingStatus.VERIFIED or today <= finding.due_on:
        return False
    return finding.reported_fixed_on is None or finding.reported_fixed_on > finding.due_on


def overdue_q(today: dt.date) -> Q:
    """`is_overdue` as a query."""
    return (
        ~Q(status=FindingStatus.VERIFIED)
        & Q(due_on__lt=today)
        & (Q(reported_fixed_on__isnull=True) | Q(reported_fixed_on__gt=F("due_on")))
    )


@dataclass(frozen=True)
class FindingRow:
    finding: Finding
    overdue: bool
    age_days: int  # raised to reported fixed, or to today while open
    days_left: int  # to the due date (negative: past it)

    @property
    def days_late(self) -> int:
        return -self.days_left


def _row(finding: Finding, today: dt.date) -> FindingRow:
    end = finding.reported_fixed_on or today
    return FindingRow(
        finding=finding,
        overdue=is_overdue(finding, today),
        age_days=(end - finding.raised_on).days,
        days_left=(finding.due_on - today).days,
    )


def findings_of_vendor(
    *, vendor: Vendor, today: dt.date, status: str = "", severity: str = ""
) -> list[FindingRow]:
    """The vendor's findings: not yet verified first, overdue first among them, then by
    severity (critical first) and due date. `status` "" means every status but verified
    ("all" means all)."""
    findings = Finding.objects.filter(vendor=vendor).select_related("audit")
    if status == "all":
        pass
    elif status:
        findings = findings.filter(status=status)
    else:
        findings = findings.exclude(status=FindingStatus.VERIFIED)
    if severity:
        findings = findings.filter(severity=severity)
    rows = [_row(f, today) for f in findings]
    rows.sort(
        key=lambda r: (
            r.finding.status == FindingStatus.VERIFIED,
            not r.overdue,
            SEVERITY_RANK[r.finding.severity],
            r.finding.due_on,
            r.finding.pk,
        )
    )
    return rows


@dataclass(frozen=True)
class OpenCounts:
    severity: str
    label: str
    open: int
    overdue: int


def open_counts(*, vendor: Vendor, today: dt.date) -> list[OpenCounts]:
    """Findings not verified fixed, and overdue ones, per severity."""
    findings = Finding.objects.filter(vendor=vendor).exclude(status=FindingStatus.VERIFIED)
    counts = {s: [0, 0] for s in Severity.values}
    for f in findings:
        counts[f.severity][0] += 1
        counts[f.severity][1] += is_overdue(f, today)
    return [OpenCounts(s, label, *counts[s]) for s, label in Severity.choices]


def audits_of_vendor(*, vendor: Vendor) -> QuerySet[SecurityAudit]:
    """The vendor's audits, newest first, with their findings counted."""
    return (
        SecurityAudit.objects.filter(vendor=vendor)
        .select_related("contract")
        .annotate(
            findings_total=Count("findings"),
            findings_open=Count("findings", filter=~Q(findings__status=FindingStatus.VERIFIED)),
        )
        .order_by("-held_on", "-pk")
    )


def audit_get_for_user(*, user, audit_id: int) -> SecurityAudit:
    audit = (
        SecurityAudit.objects.filter(vendor_id__in=vendor_ids_visible_to(user), pk=audit_id)
        .select_related("vendor", "contract")
        .first()
    )
    if audit is None:
        raise Http404("No such audit.")
    return audit


def audit_findings(*, audit: SecurityAudit, today: dt.date) -> list[FindingRow]:
    findings = audit.findings.order_by("pk")
    rows = [_row(f, today) for f in findings]
    rows.sort(key=lambda r: (SEVERITY_RANK[r.finding.severity], r.finding.due_on, r.finding.pk))
    return rows


def finding_get_for_user(*, user, finding_id: int) -> Finding:
    finding = (
        Finding.objects.filter(vendor_id__in=vendor_ids_visible_to(user), pk=finding_id)
        .select_related("vendor", "audit", "contract")
        .first()
    )
    if finding is None:
        raise Http404("No such finding.")
    return finding


def finding_fixes(*, finding: Finding) -> QuerySet[FindingFix]:
    return finding.fixes.select_related("reported_by", "decided_by").order_by("-reported_at", "-pk")


def fix_get_for_user(*, user, fix_id: int) -> FindingFix:
    fix = (
        FindingFix.objects.filter(finding__vendor_id__in=vendor_ids_visible_to(user), pk=fix_id)
        .select_related("finding", "finding__vendor")
        .first()
    )
    if fix is None:
        raise Http404("No such fix report.")
    return fix


# --- the API --------------------------------------------------------------------------------------


def audits_for_api(*, user) -> QuerySet[SecurityAudit]:
    return (
        SecurityAudit.objects.filter(vendor_scope_q(user))
        .select_related("vendor")
        .annotate(findings_total=Count("findings"))
        .order_by("-held_on", "-pk")
    )


def findings_for_api(*, user) -> QuerySet[Finding]:
    return (
        Finding.objects.filter(vendor_scope_q(user))
        .select_related("vendor")
        .prefetch_related(Prefetch("fixes", FindingFix.objects.order_by("reported_at", "pk")))
        .order_by("due_on", "pk")
    )


def findings_matching(*, audit: SecurityAudit) -> dict[str, Finding]:
    """The vendor's findings with a reference, by it (an import matches rows by reference)."""
    return {
        f.reference: f
        for f in Finding.objects.filter(vendor_id=audit.vendor_id).exclude(reference="")
    }
