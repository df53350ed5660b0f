"""The dashboard in a real browser: each role's start page, charts that draw, a breach followed
to its ticket, a dispute accepted and recomputed, a review pack with an action item and a PDF.

Tests see the data as users do, through pages and the API (see `Site` for why not the ORM).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LAST_MONTH, Site, log_in, shoot, wait_for_charts

# django_db: so the test database exists (pytest-django sets up only what tests ask for).
pytestmark = [pytest.mark.browser, pytest.mark.django_db]


@pytest.mark.parametrize("username", ["manager", "finance"])
def test_staff_log_in_to_the_portfolio_and_its_charts_draw(page: Page, site: Site, username):
    log_in(page, site, username)
    expect(page).to_have_url(f"{site.url}/portfolio/")
    assert wait_for_charts(page) >= 1
    shoot(page, f"portfolio-as-{username}")
    assert page.js_errors == []


def test_vendor_user_logs_in_to_its_own_scorecard_and_cannot_open_the_portfolio(
    page: Page, site: Site
):
    log_in(page, site, "vendor")
    expect(page).to_have_url(f"{site.url}/vendors/{site.vendor_slug}/")
    expect(page.locator("h1")).to_contain_text(site.vendor_name)
    assert wait_for_charts(page) >= 1
    shoot(page, "vendor-scorecard-as-vendor")
    assert page.js_errors == []
    response = page.goto(f"{site.url}/portfolio/")
    assert response.status == 403
    expect(page.locator("h1")).to_contain_text("Not allowed")


def test_vendor_team_and_technician_pages_draw_their_charts(page: Page, site: Site):
    log_in(page, site, "manager")
    page.goto(f"{site.url}/vendors/{site.vendor_slug}/?period={LAST_MONTH.label}")
    wait_for_charts(page)
    shoot(page, "vendor-scorecard")
    page.goto(f"{site.url}/vendors/{site.vendor_slug}/technicians/?period={LAST_MONTH.label}")
    wait_for_charts(page)
    shoot(page, "team")
    page.locator("table.data a[href*='/technicians/']").first.click()
    page.wait_for_load_state("networkidle")
    assert "/technicians/" in page.url
    wait_for_charts(page)
    shoot(page, "technician")
    assert page.js_errors == []


def test_a_breach_leads_to_its_ticket(page: Page, site: Site):
    log_in(page, site, "manager")
    page.goto(f"{site.url}/breaches/?period={LAST_MONTH.label}")
    wait_for_charts(page)  # the weekday x hour heat map
    shoot(page, "breaches")
    link = page.locator("table.data a[href*='/tickets/']").first
    external_id = link.inner_text().strip()
    link.click()
    page.wait_for_load_state("networkidle")
    assert "/tickets/" in page.url
    expect(page.locator("h1")).to_contain_text(external_id)
    shoot(page, "ticket")
    assert page.js_errors == []


def resolution_figure(page: Page, site: Site) -> dict:
    """Last month's stored resolution SLA of the demo vendor, read through the API."""
    response = page.request.get(
        f"{site.url}/api/v1/scorecards/",
        params={
            "subject_kind": "vendor",
            "subject_id": site.vendor_id,
            "period": LAST_MONTH.label,
            "metrics": "resolution_sla_pct",
        },
    )
    assert response.ok, response.text()
    [card] = response.json()["results"]
    return card["metrics"]["resolution_sla_pct"]


def test_an_accepted_dispute_changes_the_figures_after_recompute(page: Page, site: Site):
    ticket_url = f"{site.url}/tickets/{site.disputable_ticket_id}/"

    # The vendor disputes the breach on the ticket page.
    log_in(page, site, "vendor")
    before = resolution_figure(page, site)
    assert before["excluded"] == 0
    page.goto(ticket_url)
    page.select_option("#id_target", "resolution")
    page.fill("#id_reason", "The customer asked us to wait for a part.")
    page.click("form.dispute-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("body")).to_contain_text("The customer asked us to wait for a part.")
    shoot(page, "ticket-disputed")
    page.context.clear_cookies()

    # The manager accepts it, then recomputes the vendor's changed periods from the page.
    log_in(page, site, "manager")
    page.goto(ticket_url)
    page.fill("form.decide-form textarea[name=note]", "Agreed: waiting for the part was ours.")
    page.click("form.decide-form button[value=accept]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("body")).to_contain_text("Agreed: waiting for the part was ours.")
    page.goto(f"{site.url}/recompute/")
    page.select_option("select[name=vendor]", str(site.vendor_id))
    page.check("input[name=scope][value=changed]")
    page.click("button:has-text('Start the recompute')")
    page.wait_for_load_state("networkidle")
    shoot(page, "recompute")

    after = resolution_figure(page, site)
    assert after["excluded"] == 1
    # One breach fewer among the outcomes: met / (outcomes - 1).
    assert Decimal(after["denominator"]) == Decimal(before["denominator"]) - 1
    assert Decimal(after["numerator"]) == Decimal(before["numerator"])
    assert Decimal(after["value"]) > Decimal(before["value"])
    page.goto(f"{site.url}/vendors/{site.vendor_slug}/?period={LAST_MONTH.label}")
    wait_for_charts(page)
    assert page.js_errors == []


def test_a_review_pack_takes_an_action_item_and_prints_to_pdf(page: Page, site: Site):
    log_in(page, site, "manager")
    page.goto(f"{site.url}/vendors/{site.vendor_slug}/review/{LAST_MONTH.label}/")
    expect(page.locator("h1")).to_contain_text(site.vendor_name)
    wait_for_charts(page)
    form = page.locator("form[aria-label='New action item']")
    form.locator("input[name=title]").fill("Cut P2 resolution times below 8 hours")
    form.locator("input[name=owner_name]").fill("Service delivery manager")
    form.locator("input[name=due_on]").fill("2026-12-15")
    form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("body")).to_contain_text("Cut P2 resolution times below 8 hours")
    shoot(page, "review-pack")

    # The browser's own print to PDF, as a reviewer would do.
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    (shoot(page, "review-pack-print").parent / "review-pack.pdf").write_bytes(pdf)

    # And the server's PDF download.
    page.emulate_media(media="screen")
    with page.expect_download() as download:
        page.click("a:has-text('Download PDF')")
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    assert page.js_errors == []


def test_import_and_recompute_pages_show_their_runs(page: Page, site: Site):
    log_in(page, site, "manager")
    for name, path in [("imports", "/imports/"), ("import-new", "/imports/new/")]:
        response = page.goto(f"{site.url}{path}")
        assert response.status == 200
        shoot(page, name)
    assert page.js_errors == []
