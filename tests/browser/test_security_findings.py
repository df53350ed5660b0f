"""Security findings in Chromium, from the audit to the review pack.

A manager records last month's penetration test with two findings; the vendor's own user
reports the critical one fixed, with a PDF as evidence; another vendor's user cannot even see
it; the manager opens the evidence and verifies the fix, recomputes, and reads the figures on
the vendor's scorecard and in the month's review pack, where the manager also rates the month.
Every figure is worked out by hand from the dates the test types.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from common.periods import Period
from common.roles import MANAGER, VENDOR, ensure_role_groups
from tests.browser.conftest import PASSWORD, chromium, live_server, log_in, shoot, watched_page
from tests.factories import ContractFactory, VendorFactory
from vendors.models import VendorMembership

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

# Last month: over, so its figures are final, and every date typed is in the past.
MONTH = Period.containing("month", dt.datetime.now(dt.UTC).date()).previous()
HELD = MONTH.start + dt.timedelta(days=1)  # the audit, and the critical finding's raising
HIGH_RAISED = MONTH.start + dt.timedelta(days=2)
FIXED = MONTH.start + dt.timedelta(days=4)  # reported fixed: 3 days after it was raised
VERIFIED = MONTH.start + dt.timedelta(days=8)  # after its due day: verification may be slow
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass(frozen=True)
class AuditSite:
    url: str
    slug: str
    name: str


@pytest.fixture(scope="module")
def audit_site(django_db_setup, django_db_blocker, tmp_path_factory) -> AuditSite:
    """A manager, two vendors each with its user, one contract with the default remediation
    days (critical 7, high 30); flushed afterwards."""
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
        groups = ensure_role_groups()
        users = get_user_model().objects
        manager = users.create_user("manager", password=PASSWORD, is_staff=True)
        manager.groups.add(groups[MANAGER])
        harbour = VendorFactory(name="Harbour IT", slug="harbour-it")
        other = VendorFactory(name="Other Desk", slug="other-desk")
        ContractFactory(vendor=harbour, name="Harbour service desk")
        ContractFactory(vendor=other, name="Other service desk")
        for username, vendor in (("harbour", harbour), ("other", other)):
            user = users.create_user(username, password=PASSWORD)
            user.groups.add(groups[VENDOR])
            VendorMembership.objects.create(user=user, vendor=vendor)
        try:
            with live_server() as url:
                yield AuditSite(url=url, slug=harbour.slug, name=harbour.name)
        finally:
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def audit_browser(audit_site) -> Browser:
    with chromium() as browser:
        yield browser


@pytest.fixture
def media(settings, tmp_path):
    # The live server runs in this process: evidence goes to a throw-away MEDIA_ROOT.
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def submit(page: Page, button: str) -> None:
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state("networkidle")


def add_finding(page: Page, title: str, severity: str, raised: dt.date) -> None:
    form = page.locator("form", has=page.get_by_role("button", name="Add the finding"))
    form.locator("[name=title]").fill(title)
    form.locator("[name=severity]").select_option(severity)
    form.locator("[name=raised_on]").fill(raised.isoformat())
    submit(page, "Add the finding")


def test_an_audit_s_finding_goes_from_recorded_to_fixed_verified_and_scored(
    audit_site, audit_browser, media, tmp_path
):
    site = audit_site
    evidence = tmp_path / "rescan-report.pdf"
    evidence.write_bytes(PDF)

    # 1. The manager records the audit and its two findings.
    with watched_page(audit_browser, timeout_ms=30_000) as page:
        log_in(page, site, "manager")
        page.goto(f"{site.url}/vendors/{site.slug}/findings/")
        page.get_by_role("link", name="Record an audit").first.click()
        page.fill("[name=held_on]", HELD.isoformat())
        page.select_option("[name=kind]", "penetration_test")
        page.fill("[name=scope]", "External perimeter")
        page.fill("[name=auditor]", "Pentest Ltd")
        submit(page, "Record the audit")
        add_finding(page, "Admin panel reachable from the internet", "critical", HELD)
        add_finding(page, "TLS 1.0 still enabled", "high", HIGH_RAISED)
        shoot(page, "security-01-audit-with-findings")
        body = page.locator("body")
        expect(body).to_contain_text("Admin panel reachable from the internet")
        # Due dates from the contract's remediation days: 7 for critical, 30 for high.
        expect(body).to_contain_text((HELD + dt.timedelta(days=7)).isoformat())
        expect(body).to_contain_text((HIGH_RAISED + dt.timedelta(days=30)).isoformat())
        page.get_by_role("link", name="Admin panel reachable from the internet").first.click()
        page.wait_for_load_state("networkidle")
        finding_url = page.url
        assert page.js_errors == []

    # 2. The vendor's user reports the critical one fixed, with the rescan as evidence.
    with watched_page(audit_browser, timeout_ms=30_000) as page:
        log_in(page, site, "harbour")
        page.goto(finding_url)
        form = page.locator("#report-fix form")
        form.locator("[name=fixed_on]").fill(FIXED.isoformat())
        form.locator("[name=note]").fill("Admin panel moved behind the VPN; rescan attached")
        form.locator("[name=evidence]").set_input_files(str(evidence))
        submit(page, "Report fixed")
        fixes = page.locator("#fixes")
        expect(fixes).to_contain_text("rescan-report.pdf")
        expect(fixes).to_contain_text("Awaiting verification")
        shoot(page, "security-02-vendor-reports-fixed")
        assert page.js_errors == []

    # 3. Another vendor's user gets a 404 for the finding and for its evidence.
    with watched_page(audit_browser, timeout_ms=30_000) as page:
        log_in(page, site, "other")
        assert page.goto(finding_url).status == 404
        assert page.goto(f"{site.url}/vendors/{site.slug}/findings/").status == 404

    # 4. The manager reads the evidence and verifies the fix, then recomputes the vendor.
    with watched_page(audit_browser, timeout_ms=30_000) as page:
        log_in(page, site, "manager")
        page.goto(finding_url)
        with page.expect_download() as download:
            page.get_by_role("link", name="rescan-report.pdf").click()
        assert download.value.suggested_filename == "rescan-report.pdf"
        assert Path(download.value.path()).read_bytes() == PDF
        decide = page.locator("#decide form").first
        decide.locator("[name=verified_on]").fill(VERIFIED.isoformat())
        submit(page, "Verify the fix")
        expect(page.locator("#fixes")).to_contain_text("Verified")
        shoot(page, "security-03-manager-verified")

        page.goto(f"{site.url}/recompute/")
        page.get_by_label("Vendor").select_option(label=site.name)
        page.check("input[name=scope][value=all]")
        submit(page, "Start the recompute")
        expect(page.locator("body")).to_contain_text(f"Recompute of {site.name} started")

        # 5. The scorecard's month: the critical fixed on time in 3 days, the high still open.
        page.goto(f"{site.url}/vendors/{site.slug}/?period={MONTH.label}")

        def tile(metric: str):
            return page.locator(f".tile[data-metric={metric}]")

        expect(tile("findings_open_critical").locator(".value")).to_have_text("0")
        expect(tile("findings_open_high").locator(".value")).to_have_text("1")
        expect(tile("findings_overdue").locator(".value")).to_have_text("0")
        expect(tile("remediation_on_time_pct").locator(".value")).to_have_text("100.0 %")
        expect(tile("remediation_on_time_pct")).to_contain_text("(1 of 1)")
        expect(tile("time_to_remediate_p50").locator(".value")).to_contain_text("3")
        expect(tile("audits_done").locator(".value")).to_have_text("1")
        shoot(page, "security-04-scorecard")

        # 6. The month's review pack shows the same figures; the manager rates the month.
        page.goto(f"{site.url}/vendors/{site.slug}/review/{MONTH.label}/")
        beyond = page.locator("table.pack-beyond")
        expect(beyond.locator("tr[data-metric=findings_open_high] td").first).to_have_text("1")
        expect(beyond.locator("tr[data-metric=remediation_on_time_pct] td").first).to_have_text(
            "100.0 %"
        )
        ratings = page.get_by_role("form", name="Ratings")
        for i, select in enumerate(ratings.locator("select").all()):
            select.select_option(str(4 + i % 2))  # 4, 5, 4, 5: a mean of 4.50
        ratings.locator("input[type=text]").first.fill("Told us about the exposure first")
        submit(page, "Save ratings")
        table = page.locator("table.pack-ratings")
        expect(table).to_contain_text("Told us about the exposure first")
        expect(table.locator("tfoot")).to_contain_text(re.compile(r"4\.50?"))
        shoot(page, "security-05-pack")
        assert page.js_errors == []
