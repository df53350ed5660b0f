"""The dashboard in a real browser: each role's start page, charts that draw, a breach followed
to its ticket, a dispute accepted and recomputed, a review pack with an action item and a PDF."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from scorecards.models import MetricValue
from scorecards.periods import Period
from tests.browser.conftest import DEMO_UNTIL, log_in, shoot, wait_for_charts
from tickets.models import Ticket
from vendors.models import VendorMembership

# django_db: so the test database exists (pytest-django sets up only what tests ask for).
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

LAST_MONTH = Period.containing("month", DEMO_UNTIL).previous()


def vendor_of_the_demo_vendor_user():
    return VendorMembership.objects.select_related("vendor").get(user__username="vendor").vendor


@pytest.mark.parametrize("username", ["manager", "finance"])
def test_staff_log_in_to_the_portfolio_and_its_charts_draw(page: Page, site, username):
    log_in(page, site, username)
    expect(page).to_have_url(f"{site}/portfolio/")
    assert wait_for_charts(page) >= 1
    shoot(page, f"portfolio-as-{username}")
    assert page.js_errors == []


def test_vendor_user_logs_in_to_its_own_scorecard_and_cannot_open_the_portfolio(page: Page, site):
    vendor = vendor_of_the_demo_vendor_user()
    log_in(page, site, "vendor")
    expect(page).to_have_url(f"{site}/vendors/{vendor.slug}/")
    expect(page.locator("h1")).to_contain_text(vendor.name)
    assert wait_for_charts(page) >= 1
    shoot(page, "vendor-scorecard-as-vendor")
    response = page.goto(f"{site}/portfolio/")
    assert response.status == 403
    assert page.js_errors == []


def test_vendor_team_and_technician_pages_draw_their_charts(page: Page, site):
    vendor = vendor_of_the_demo_vendor_user()
    log_in(page, site, "manager")
    page.goto(f"{site}/vendors/{vendor.slug}/?period={LAST_MONTH.label}")
    wait_for_charts(page)
    shoot(page, "vendor-scorecard")
    page.goto(f"{site}/vendors/{vendor.slug}/technicians/?period={LAST_MONTH.label}")
    wait_for_charts(page)
    shoot(page, "team")
    page.locator("table.data a[href*='/technicians/']").first.click()
    page.wait_for_load_state("networkidle")
    assert "/technicians/" in page.url
    wait_for_charts(page)
    shoot(page, "technician")
    assert page.js_errors == []


def test_a_breach_leads_to_its_ticket(page: Page, site):
    log_in(page, site, "manager")
    page.goto(f"{site}/breaches/?period={LAST_MONTH.label}")
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
