"""A manager connects ServiceNow in Chromium: from the sources page to a vendor's scorecard.

The manager adds a ServiceNow source pointing at a stand-in instance on a local port
(tests/live/standin.py), tests its connection, runs it, maps the group no rule mapped to the
vendor in one click, runs it again, and finds the group's tickets on the vendor's scorecard.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from common.periods import Period
from common.roles import MANAGER, ensure_role_groups
from tests.browser.conftest import PASSWORD, chromium, live_server, log_in, shoot, watched_page
from tests.factories import ContractFactory
from tests.live.standin import PASSWORD as SOURCE_PASSWORD
from tests.live.standin import USER, StandIn
from tests.live.test_source_pages import GROUPS, incident_row

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

# Last month: its scorecard is over and has its figures.
MONTH = Period.containing("month", dt.datetime.now(dt.UTC).date()).previous()
OPENED = dt.datetime.combine(MONTH.start, dt.time(8), dt.UTC) + dt.timedelta(days=3)
VENDOR, CONTRACT, SLUG = "Netcorp", "Network 2026", "netcorp"
SOURCE = "desk-snow"


@dataclass(frozen=True)
class SourcesSite:
    url: str


@pytest.fixture(scope="module")
def sources_site(django_db_setup, django_db_blocker) -> Iterator[SourcesSite]:
    """A live server over a database with one manager and one vendor; flushed afterwards."""
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
        groups = ensure_role_groups()
        manager = get_user_model().objects.create_user("manager", password=PASSWORD, is_staff=True)
        manager.groups.add(groups[MANAGER])
        ContractFactory(
            vendor__name=VENDOR, vendor__slug=SLUG, name=CONTRACT, start_date=dt.date(2025, 1, 1)
        )
        try:
            with live_server() as url:
                yield SourcesSite(url=url)
        finally:
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def sources_browser(sources_site) -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(sources_browser: Browser) -> Iterator[Page]:
    with watched_page(sources_browser, timeout_ms=30_000) as page:
        yield page


@pytest.fixture
def stand_in_url(httpserver, settings) -> str:
    """The stand-in ServiceNow: 13 Service Desk incidents (one unreadable), 7 Network ones."""
    settings.SOURCE_SECRET_KEYS = [Fernet.generate_key().decode()]
    records = [
        incident_row(n, GROUPS[1] if n >= 12 and n != 13 else GROUPS[0], opened=OPENED)
        for n in range(20)
    ]
    server = StandIn(records, tables={})
    httpserver.expect_request(re.compile(r"^/api/now/table/\w+$")).respond_with_handler(server)
    return httpserver.url_for("/")


def press(page: Page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state("networkidle")


def newest_run(page: Page) -> dict[str, str]:
    """The counts of the newest run in the source's runs table."""
    headers = [h.inner_text().strip() for h in page.locator("table.runs thead th").all()]
    cells = page.locator("table.runs tbody tr[data-run]").first.locator("td").all()
    return dict(zip(headers, (c.inner_text().strip() for c in cells), strict=True))


def test_a_manager_connects_servicenow_and_maps_a_group_to_a_vendor(
    page: Page, sources_site: SourcesSite, stand_in_url: str
):
    site = sources_site
    log_in(page, site, "manager")

    # 1. The nav's Sources link, then a new ServiceNow source pointing at the stand-in.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Sources").click()
    expect(page.locator("h1")).to_have_text("Sources")
    expect(page.locator("main")).to_contain_text("No source yet")
    page.get_by_role("link", name="Add a source").first.click()
    page.fill("input[name=name]", SOURCE)
    page.select_option("select[name=kind]", label="ServiceNow")
    page.fill("input[name=base_url]", stand_in_url)
    page.fill("input[name=username]", USER)
    page.fill("input[name=secret]", SOURCE_PASSWORD)
    page.fill("input[name=interval_minutes]", "30")
    shoot(page, "live-sources-01-add")
    press(page, "Add the source")
    expect(page.locator("body")).to_contain_text(f"Source “{SOURCE}” added")
    expect(page.locator("main")).to_contain_text("never run")
    assert SOURCE_PASSWORD not in page.content()

    # 2. Test connection: what the account can read.
    press(page, "Test connection")
    tested = page.get_by_role("region", name="Connection test")
    expect(tested).to_contain_text("incident: 20 records (no filter)")
    shoot(page, "live-sources-02-tested")

    # 3. Run now: the Service Desk and the Network are mapped to no vendor yet.
    press(page, "Run now")
    page.reload()
    assert newest_run(page) | {"Started": "", "Time": ""} == {
        "Started": "",
        "Status": "✓ done",
        "Read": "20",
        "Created": "0",
        "Updated": "0",
        "Unchanged": "0",
        "Row errors": "1",
        "Unmapped": "19",
        "Time": "",
    }
    unmapped = page.get_by_role("region", name="Unmapped groups")
    expect(unmapped.locator("tr[data-group='Network'] td.num")).to_have_text("7")
    expect(unmapped.locator("tr[data-group='Service Desk'] td.num")).to_have_text("12")
    shoot(page, "live-sources-03-unmapped")

    # 4. One click from the vendor: the Network's tickets are Netcorp's.
    network = unmapped.locator("tr[data-group='Network']")
    network.locator("select").select_option(label=f"{VENDOR} — {CONTRACT}")
    network.get_by_role("button", name="Map").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("body")).to_contain_text(f"“Network” now maps to {VENDOR} ({CONTRACT})")
    expect(page.locator("td.cursor")).to_contain_text("Re-backfill pending")
    expect(unmapped.locator("tr[data-group='Network']")).to_have_count(0)

    # 5. Run again: it reads everything again and writes the Network's seven tickets.
    press(page, "Run now")
    page.reload()
    run = newest_run(page)
    assert (run["Read"], run["Created"], run["Row errors"], run["Unmapped"]) == (
        "20",
        "7",
        "1",
        "12",
    )
    shoot(page, "live-sources-04-mapped-run")

    # The list says the same.
    page.get_by_role("link", name="Sources", exact=True).first.click()
    row = page.locator(f"tr[data-source='{SOURCE}']")
    expect(row).to_contain_text("✓ healthy")
    expect(row).to_contain_text("20 read · 7 created · 0 updated · 0 unchanged")
    shoot(page, "live-sources-05-list")

    # 6. The vendor's scorecard for the month has the seven tickets.
    page.goto(f"{site.url}/vendors/{SLUG}/?period={MONTH.label}")
    expect(page.locator("h1")).to_contain_text(VENDOR)
    expect(page.locator(".tile[data-metric=tickets_created] .value")).to_have_text("7")
    shoot(page, "live-sources-06-scorecard")
    assert page.js_errors == []
