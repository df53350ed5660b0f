"""The findings pages, walked by each role: a manager records an audit with findings, vendor A's
user reports one fixed with evidence, vendor B's user gets a 404 on all of it, the manager
verifies (or rejects); the audit trail names who did each."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from assurance.models import Finding, FindingFix, FindingStatus, SecurityAudit
from tests.assurance import findings_world
from tests.assurance.findings_world import PDF, audit_of, client_of, finding_of, upload
from vendors.models import AuditEntry

pytestmark = pytest.mark.django_db

# The shared fixtures, taken by assignment (an import would read as unused, then redefined).
frozen_today = findings_world.frozen_today
media = findings_world.media
world = findings_world.world


def text(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def entries(model: str, action: str) -> list[tuple[str, str]]:
    """(the user's name, the object's id) of each audit trail entry: the user, not only a label."""
    return [
        (e.user.get_username() if e.user else None, e.object_id)
        for e in AuditEntry.objects.filter(object_type=f"assurance.{model}", action=action)
    ]


def test_a_manager_records_an_audit_then_its_findings_on_one_page(world):
    manager = client_of(world.manager)

    made = manager.post(
        "/vendors/acme/audits/new/",
        {
            "held_on": "2026-03-01",
            "kind": "penetration_test",
            "scope": "External perimeter",
            "auditor": "Pentest Ltd",
            "contract": world.contract_a.pk,
        },
    )
    audit = SecurityAudit.objects.get()
    assert made.status_code == 302 and made["Location"] == f"/audits/{audit.pk}/"
    added = manager.post(
        f"/audits/{audit.pk}/findings/",
        {"title": "Admin panel exposed", "severity": "critical", "raised_on": "2026-03-01"},
    )
    assert added.status_code == 302
    refused = manager.post(
        f"/audits/{audit.pk}/findings/",
        {"title": "No severity", "severity": "", "raised_on": "2026-03-02", "due_on": "2026-03-01"},
    )

    finding = Finding.objects.get()
    assert (finding.vendor, finding.due_on) == (world.a, dt.date(2026, 3, 6))  # 5 days: Acme's
    assert refused.status_code == 200
    assert "Severity: This field is required." in text(refused)
    assert entries("securityaudit", "create") == [("manager", str(audit.pk))]
    assert entries("finding", "create") == [("manager", str(finding.pk))]


def test_the_findings_page_puts_overdue_first_then_by_severity_with_age_and_due(world):
    audit = audit_of(world.a, contract=world.contract_a)
    finding_of(audit, title="Weak ciphers", severity="medium", raised_on=dt.date(2026, 3, 10))
    finding_of(audit, title="Default password", severity="critical", raised_on=dt.date(2026, 4, 8))
    finding_of(
        audit,
        title="Missing patch",
        severity="low",
        raised_on=dt.date(2026, 1, 2),
        due_on=dt.date(2026, 2, 1),
    )

    page = client_of(world.finance).get("/vendors/acme/findings/")

    body = text(page)
    assert page.status_code == 200
    titles = re.findall(r"(Missing patch|Default password|Weak ciphers)", body)
    assert titles[:3] == ["Missing patch", "Default password", "Weak ciphers"]
    # Missing patch: due 1 February, 68 days overdue on 10 April, raised 98 days ago.
    assert "2026-02-01 68 d overdue 98" in body
    assert "2026-04-13 3 d left 2" in body  # Default password: critical, 5 days
    assert "Record an audit" not in body  # finance reads


def test_the_findings_page_filters_by_status_and_severity(world):
    audit = audit_of(world.a)
    finding_of(audit, title="Weak ciphers", severity="medium")
    finding_of(audit, title="Default password", severity="critical")

    page = client_of(world.manager).get("/vendors/acme/findings/", {"severity": "critical"})

    assert "Default password" in text(page) and "Weak ciphers" not in text(page)


def test_vendor_a_reports_fixed_with_evidence_and_the_manager_verifies(world, media):
    audit = audit_of(world.a, user=world.manager)
    finding = finding_of(
        audit, title="TLS 1.0 enabled", severity="high", raised_on=dt.date(2026, 3, 3)
    )
    vendor_a, manager = client_of(world.vendor_a), client_of(world.manager)

    page = vendor_a.get(f"/findings/{finding.pk}/")
    assert "Report it fixed" in text(page)
    reported = vendor_a.post(
        f"/findings/{finding.pk}/fix/",
        {
            "fixed_on": "2026-04-05",
            "note": "Disabled TLS 1.0 on the load balancer",
            "evidence": upload("rescan report.pdf", PDF),
        },
    )
    assert reported.status_code == 302
    fix = FindingFix.objects.get()
    finding.refresh_from_db()
    assert (finding.status, finding.reported_fixed_on) == (
        FindingStatus.REPORTED,
        dt.date(2026, 4, 5),
    )
    assert (fix.evidence_name, fix.evidence_type, fix.evidence_size) == (
        "rescan report.pdf",
        "application/pdf",
        len(PDF),
    )
    assert "rescan report.pdf" not in fix.evidence.name  # stored under a random name
    assert fix.evidence.path.startswith(str(media / "evidence"))

    downloaded = vendor_a.get(f"/fixes/{fix.pk}/evidence")
    assert downloaded.status_code == 200
    assert b"".join(downloaded.streaming_content) == PDF

    verified = manager.post(f"/fixes/{fix.pk}/verify/", {"verified_on": "2026-04-07"})
    assert verified.status_code == 302
    finding.refresh_from_db()
    assert (finding.status, finding.reported_fixed_on, finding.verified_on) == (
        FindingStatus.VERIFIED,
        dt.date(2026, 4, 5),
        dt.date(2026, 4, 7),
    )
    assert entries("findingfix", "create") == [("vendor-a", str(fix.pk))]
    assert ("manager", str(fix.pk)) in entries("findingfix", "update")
    assert ("manager", str(finding.pk)) in entries("finding", "update")
    assert ("vendor-a", str(finding.pk)) in entries("finding", "update")


def test_vendor_b_gets_404_on_vendor_as_findings_audits_and_evidence(world):
    audit = audit_of(world.a)
    finding = finding_of(audit)
    client_of(world.vendor_a).post(
        f"/findings/{finding.pk}/fix/",
        {"fixed_on": "2026-04-01", "note": "Done", "evidence": upload("x.pdf", PDF)},
    )
    fix = FindingFix.objects.get()
    vendor_b = client_of(world.vendor_b)

    for url in (
        "/vendors/acme/findings/",
        f"/audits/{audit.pk}/",
        f"/findings/{finding.pk}/",
        f"/fixes/{fix.pk}/evidence",
    ):
        assert vendor_b.get(url).status_code == 404, url
    assert (
        vendor_b.post(
            f"/findings/{finding.pk}/fix/", {"fixed_on": "2026-04-01", "note": "x"}
        ).status_code
        == 404
    )
    assert FindingFix.objects.count() == 1


def test_a_rejected_fix_through_the_page_reopens_the_finding(world):
    finding = finding_of(audit_of(world.a))
    client_of(world.vendor_a).post(
        f"/findings/{finding.pk}/fix/", {"fixed_on": "2026-04-01", "note": "Done"}
    )
    fix = FindingFix.objects.get()
    manager = client_of(world.manager)

    without_reason = manager.post(f"/fixes/{fix.pk}/reject/", {"note": ""})
    rejected = manager.post(f"/fixes/{fix.pk}/reject/", {"note": "Still reachable from outside"})

    assert without_reason.status_code == 200 and "Why: This field is required." in text(
        without_reason
    )
    assert rejected.status_code == 302
    finding.refresh_from_db()
    assert (finding.status, finding.reported_fixed_on) == (FindingStatus.OPEN, None)
    page = client_of(world.vendor_a).get(f"/findings/{finding.pk}/")
    assert "Still reachable from outside" in text(page) and "Report it fixed" in text(page)


def test_the_vendors_user_cannot_record_or_verify_and_finance_changes_nothing(world):
    finding = finding_of(audit_of(world.a))
    client_of(world.vendor_a).post(
        f"/findings/{finding.pk}/fix/", {"fixed_on": "2026-04-01", "note": "Done"}
    )
    fix = FindingFix.objects.get()

    for user in (world.vendor_a, world.finance):
        client = client_of(user)
        assert client.get("/vendors/acme/audits/new/").status_code == 403
        assert client.post(f"/fixes/{fix.pk}/verify/", {}).status_code == 403
        assert client.get(f"/findings/{finding.pk}/edit/").status_code == 403
    assert client_of(world.finance).post(f"/findings/{finding.pk}/fix/", {}).status_code == 403
    fix.refresh_from_db()
    assert fix.decision == "pending"


def test_a_manager_edits_a_finding_and_a_due_before_raised_is_refused_on_its_field(world):
    finding = finding_of(audit_of(world.a), raised_on=dt.date(2026, 3, 3))
    manager = client_of(world.manager)
    data = {"title": "TLS 1.0 enabled", "severity": "low", "raised_on": "2026-03-03"}

    refused = manager.post(f"/findings/{finding.pk}/edit/", data | {"due_on": "2026-03-01"})
    saved = manager.post(f"/findings/{finding.pk}/edit/", data)

    assert "Due on: The finding is due before it was raised." in text(refused)
    assert saved.status_code == 302
    finding.refresh_from_db()
    assert (finding.severity, finding.due_on) == ("low", dt.date(2026, 8, 30))  # 180 days


def test_an_audit_edited_and_deleted_by_the_manager(world):
    audit = audit_of(world.a)
    finding_of(audit)
    manager = client_of(world.manager)

    edited = manager.post(
        f"/audits/{audit.pk}/edit/", {"held_on": "2026-03-02", "kind": "internal", "scope": "Desk"}
    )
    deleted = manager.post(f"/audits/{audit.pk}/delete/")

    assert edited.status_code == 302
    assert deleted.status_code == 302 and deleted["Location"] == "/vendors/acme/findings/"
    assert not SecurityAudit.objects.exists() and not Finding.objects.exists()
    assert entries("securityaudit", "delete") == [("manager", str(audit.pk))]
