"""/api/v1/security-audits/ and /api/v1/findings/: read-only, vendor-scoped, filtered and
exported like the other lists; fixes nested with a download URL, never the file."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from assurance import services
from tests.api.conftest import client_for
from tests.assurance import findings_world
from tests.assurance.findings_world import PDF, audit_of, finding_of, upload

pytestmark = pytest.mark.django_db

# The shared fixtures, taken by assignment (an import would read as unused, then redefined).
frozen_today = findings_world.frozen_today
media = findings_world.media
world = findings_world.world


@pytest.fixture
def findings(world):
    audit_a = audit_of(world.a, contract=world.contract_a)
    audit_b = audit_of(world.b)
    late = finding_of(
        audit_a,
        title="Missing patch",
        severity="low",
        raised_on=dt.date(2026, 1, 2),
        due_on=dt.date(2026, 2, 1),
    )
    fixed = finding_of(
        audit_a, title="TLS 1.0 enabled", severity="high", raised_on=dt.date(2026, 3, 3)
    )
    services.fix_report(
        finding=fixed,
        user=world.vendor_a,
        fixed_on=dt.date(2026, 3, 20),
        note="Disabled",
        evidence=upload("scan.pdf", PDF),
    )
    other = finding_of(audit_b, title="Bravo's open port", severity="critical")
    return {"audit_a": audit_a, "audit_b": audit_b, "late": late, "fixed": fixed, "other": other}


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_each_vendors_user_lists_only_its_own_audits_and_findings(world, findings):
    a, b = client_for(world.vendor_a), client_for(world.vendor_b)

    assert ids(a.get("/api/v1/security-audits/")) == [findings["audit_a"].pk]
    assert sorted(ids(a.get("/api/v1/findings/"))) == sorted(
        [findings["late"].pk, findings["fixed"].pk]
    )
    assert ids(b.get("/api/v1/findings/")) == [findings["other"].pk]
    assert ids(a.get("/api/v1/findings/", {"vendor": world.b.pk})) == []
    assert a.get(f"/api/v1/findings/{findings['other'].pk}/").status_code == 404
    assert a.get(f"/api/v1/security-audits/{findings['audit_b'].pk}/").status_code == 404
    assert len(ids(client_for(world.finance).get("/api/v1/findings/"))) == 3


def test_a_finding_carries_its_fixes_with_a_download_url_and_no_file(world, findings):
    row = client_for(world.finance).get(f"/api/v1/findings/{findings['fixed'].pk}/").json()

    (fix,) = row["fixes"]
    assert (row["status"], row["reported_fixed_on"], row["overdue"]) == (
        "reported",
        "2026-03-20",
        False,
    )
    assert fix["evidence_name"] == "scan.pdf" and fix["evidence_size"] == len(PDF)
    assert fix["evidence_url"] == f"http://testserver/fixes/{fix['id']}/evidence"
    assert "evidence" not in fix and "%PDF" not in str(row)
    assert (
        client_for(world.finance).get(f"/api/v1/findings/{findings['late'].pk}/").json()["fixes"]
        == []
    )


def test_findings_filter_by_severity_status_overdue_audit_and_updated_since(world, findings):
    manager = client_for(world.manager)

    assert ids(manager.get("/api/v1/findings/", {"severity": "critical"})) == [findings["other"].pk]
    assert ids(manager.get("/api/v1/findings/", {"status": "reported"})) == [findings["fixed"].pk]
    # Bravo's critical was due on 8 March (7 days), Acme's low on 1 February; the reported
    # one was reported fixed by its due date.
    assert ids(manager.get("/api/v1/findings/", {"overdue": "true"})) == [
        findings["late"].pk,
        findings["other"].pk,
    ]
    assert ids(manager.get("/api/v1/findings/", {"audit": findings["audit_b"].pk})) == [
        findings["other"].pk
    ]
    assert (
        ids(manager.get("/api/v1/findings/", {"updated_since": "2099-01-01T00:00:00+00:00"})) == []
    )
    assert manager.get("/api/v1/findings/", {"severity": "severe"}).status_code == 400
    assert manager.get("/api/v1/findings/", {"updated_since": "yesterday"}).status_code == 400
    assert ids(manager.get("/api/v1/security-audits/", {"kind": "internal"})) == []


def test_the_lists_are_read_only(world, findings):
    manager = client_for(world.manager)

    assert manager.post("/api/v1/findings/", {}).status_code == 405
    assert manager.post("/api/v1/security-audits/", {}).status_code == 405


def test_findings_export_as_csv_one_row_per_finding_without_formulas(world, findings):
    services.finding_update(
        finding=findings["late"],
        terms=services.FindingTerms(
            title='=HYPERLINK("x")',
            severity="low",
            raised_on=dt.date(2026, 1, 2),
            due_on=dt.date(2026, 2, 1),
        ),
    )

    response = client_for(world.vendor_a).get("/api/v1/findings/", {"format": "csv"})

    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert response.status_code == 200
    assert {r["title"] for r in rows} == {'\'=HYPERLINK("x")', "TLS 1.0 enabled"}
    fixed = next(r for r in rows if r["title"] == "TLS 1.0 enabled")
    assert (fixed["fixes_reported"], fixed["last_fix_decision"], fixed["overdue"]) == (
        "1",
        "pending",
        "false",
    )
