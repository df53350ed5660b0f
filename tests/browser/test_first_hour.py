"""A new customer's first hour, in Chromium: from an empty database to a vendor's scorecard.

A manager logs in to an empty VendorScore, follows the set-up checklist (an SLA policy from a
template, a vendor, its contract), uploads its help desk's own export (day-first local times,
its own priority words, no status column), maps it, imports it, recomputes and reads the
vendor's figures, which the test works out by hand from the rows it wrote.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from playwright.sync_api import Browser, Page, expect

from common.periods import Period
from common.roles import MANAGER, ensure_role_groups
from tests.browser.conftest import (
    PASSWORD,
    chromium,
    live_server,
    log_in,
    shoot,
    wait_for_charts,
    watched_page,
)

# django_db: so the test database exists (pytest-django sets up only what tests ask for).
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

# The month before the current one, so the scorecard's month is over and has its figures.
TODAY = dt.datetime.now(dt.UTC).date()
MONTH = Period.containing("month", TODAY).previous()
MONTH_BEFORE = MONTH.previous()
ZONE = ZoneInfo("Europe/Berlin")  # the help desk writes local times without an offset
TEAM = "Servicedesk Nord"
VENDOR = "Nordlicht IT"
SOURCE = "nordlicht-export"
# The "24x7" template: every minute counts, so a resolution time is plain elapsed time.
TEMPLATE_LABEL = "24x7"
# Their words as the guesser reads them (as Jira and Zendesk use them: no P1 among them).
PRIORITY_WORDS = {"High": "P2", "Medium": "P3", "Low": "P4"}
RESOLUTION_TARGET_MINUTES = {"P2": 8 * 60, "P3": 24 * 60, "P4": 40 * 60}


@dataclass(frozen=True)
class Row:
    number: str
    opened: dt.datetime  # aware, Europe/Berlin
    resolved: dt.datetime
    team: str
    agent: str
    priority: str  # their word

    @property
    def met(self) -> bool:
        minutes = (self.resolved - self.opened).total_seconds() / 60
        return minutes <= RESOLUTION_TARGET_MINUTES[PRIORITY_WORDS[self.priority]]


def _rows() -> list[Row]:
    """28 tickets in MONTH (every fourth one over its target) and 2 in the month before."""
    rows = []
    words = list(PRIORITY_WORDS)
    for i in range(30):
        month = MONTH if i < 28 else MONTH_BEFORE
        day = month.start + dt.timedelta(days=2 + i % 24)
        opened = dt.datetime.combine(day, dt.time(8 + (i * 3) % 10, (i * 7) % 60), ZONE)
        word = words[i % 3]
        target = RESOLUTION_TARGET_MINUTES[PRIORITY_WORDS[word]]
        # Well clear of the target either way: no ticket sits on the boundary.
        minutes = target + 90 if i % 4 == 0 else target - 45 - 5 * (i % 5)
        rows.append(
            Row(
                number=f"NL-{1000 + i}",
                opened=opened,
                resolved=opened + dt.timedelta(minutes=minutes),
                team=TEAM,
                agent=["Jana Vogel", "Piet Smit", "Ola Berg"][i % 3],
                priority=word,
            )
        )
    return rows


ROWS = _rows()
IN_MONTH = [r for r in ROWS if MONTH.start <= r.opened.date() < MONTH.end]


def write_export(path: Path) -> Path:
    """Their export, as their help desk writes it: day-first local times, their words."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["Ticket No", "Opened", "Resolved", "Team", "Agent", "Priority"])
        for r in ROWS:
            writer.writerow(
                [
                    r.number,
                    r.opened.strftime("%d.%m.%Y %H:%M"),
                    r.resolved.strftime("%d.%m.%Y %H:%M"),
                    r.team,
                    r.agent,
                    r.priority,
                ]
            )
    return path


@dataclass(frozen=True)
class EmptySite:
    url: str


@pytest.fixture(scope="module")
def empty_site(django_db_setup, django_db_blocker) -> EmptySite:
    """A live server over an empty database with one manager login; flushed afterwards."""
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
        groups = ensure_role_groups()
        manager = get_user_model().objects.create_user("manager", password=PASSWORD, is_staff=True)
        manager.groups.add(groups[MANAGER])
        try:
            with live_server() as url:
                yield EmptySite(url=url)
        finally:
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def empty_browser(empty_site) -> Browser:
    """Chromium, started after the empty site (as conftest's `browser` after the demo one)."""
    with chromium() as browser:
        yield browser


@pytest.fixture
def new_page(empty_browser: Browser) -> Page:
    with watched_page(empty_browser, timeout_ms=30_000) as page:
        yield page


def submit(page: Page, button: str) -> None:
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state("networkidle")


def checklist(page: Page, site: EmptySite, shot: str) -> dict[str, bool]:
    """The set-up checklist's steps (title -> done), photographed as `shot`."""
    page.goto(f"{site.url}/setup/")
    shoot(page, shot)
    steps = {}
    for item in page.locator("ol.checklist > li").all():
        title = item.locator("strong").first.inner_text().strip()
        steps[title] = "met" in (item.get_attribute("class") or "").split()
    return steps


def set_up_vendor(page: Page, site: EmptySite) -> None:
    """An SLA policy from the 24x7 template, the vendor, and its contract under that policy."""
    # The checklist's contract step points to the SLA policies page and its templates.
    page.goto(f"{site.url}/setup/")
    page.locator("ol.checklist").get_by_role("link", name="SLA policies").click()
    expect(page.locator("body")).to_contain_text("No SLA policy yet")
    shoot(page, "first-hour-02-sla-policies")
    page.get_by_role("link", name=TEMPLATE_LABEL, exact=True).click()
    expect(page.locator("h1")).to_contain_text("New SLA policy")
    expect(page.locator("main")).to_contain_text(f"From the template {TEMPLATE_LABEL}")
    page.fill("input[name=name]", "Nordlicht 24x7")
    # The template's targets, which the figures below are worked out from.
    for priority, minutes in RESOLUTION_TARGET_MINUTES.items():
        expect(page.locator(f"input[name={priority}-resolution_minutes]")).to_have_value(
            str(minutes)
        )
    shoot(page, "first-hour-03-sla-from-template")
    submit(page, "Create the policy")
    expect(page.locator("body")).to_contain_text("Nordlicht 24x7")

    page.goto(f"{site.url}/setup/")
    page.get_by_role("link", name="Add a vendor").click()
    page.fill("input[name=name]", VENDOR)
    page.fill("input[name=contact_name]", "Ines Hansen")
    page.fill("input[name=contact_email]", "ines.hansen@nordlicht.example")
    shoot(page, "first-hour-04-vendor")
    page.locator("form button[type=submit]").first.click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("body")).to_contain_text(f"Vendor “{VENDOR}” added")

    # The checklist's next step opens the new contract of the vendor without one.
    page.goto(f"{site.url}/setup/")
    page.get_by_role("link", name="Add its contract and SLA").click()
    page.fill("input[name=name]", "Service desk")
    page.fill("input[name=start_date]", MONTH_BEFORE.start.isoformat())
    page.get_by_label("SLA policy").select_option(label="Nordlicht 24x7")
    page.fill("input[name=monthly_fee]", "12000")
    page.fill("input[name=inhouse_monthly_cost]", "15000")
    shoot(page, "first-hour-05-contract")
    submit(page, "Add the contract")
    expect(page.locator("body")).to_contain_text("Service desk")


def import_foreign_export(page: Page, site: EmptySite, export: Path) -> None:
    """Upload their export, accept the mapping page's guesses (columns, time format, their
    priority words), give the time zone, map their team to the vendor's contract, preview,
    import."""
    page.goto(f"{site.url}/setup/")
    page.get_by_role("link", name="Import its tickets").click()
    page.get_by_role("link", name="Import a file").first.click()
    page.set_input_files("input[name=file]", str(export))
    page.select_option("select[name=format]", "mapped")
    page.fill("input[name=source]", SOURCE)
    shoot(page, "first-hour-07-upload")
    submit(page, "Upload and preview")
    assert "/mapping/" in page.url, page.url

    # The guesses, accepted as they are: their columns, the day-first times, their words.
    guessed = {
        ours: page.locator(f"select[name=col_{ours}]").input_value()
        for ours in ("external_id", "created_at", "resolved_at", "attribution", "priority")
    }
    assert guessed == {
        "external_id": "Ticket No",
        "created_at": "Opened",
        "resolved_at": "Resolved",
        "attribution": "Team",
        "priority": "Priority",
    }
    assert page.locator("select[name=time_format]").input_value() == "%d.%m.%Y %H:%M"
    priorities = page.locator("table.values-priority")
    for theirs, ours in PRIORITY_WORDS.items():
        assert priorities.get_by_label(theirs, exact=True).input_value() == ours
    # What no file says: the zone its local times are in, and whose its team is.
    page.fill("input[name=time_zone]", "Europe/Berlin")
    page.locator("table.teams").get_by_label(TEAM, exact=True).select_option(
        label=f"{VENDOR} — Service desk"
    )
    shoot(page, "first-hour-08-mapping")
    submit(page, "Check and preview")
    assert "/preview/" in page.url, page.url

    expect(page.locator("body")).to_contain_text(VENDOR)
    # Their local 08:00 in Berlin is stored as UTC.
    first = ROWS[0]
    expect(page.locator("tr", has_text=first.number)).to_contain_text(
        first.opened.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M")
    )
    shoot(page, "first-hour-09-preview")
    page.locator("button[name=action][value=start]").click()
    page.wait_for_load_state("networkidle")


def test_a_new_manager_goes_from_an_empty_database_to_a_vendor_scorecard(
    new_page: Page, empty_site: EmptySite, tmp_path: Path
):
    page, site = new_page, empty_site

    # 1. A manager with no vendors lands on the set-up checklist, nothing ticked.
    log_in(page, site, "manager")
    assert page.url.rstrip("/").endswith("/setup"), page.url
    steps = checklist(page, site, "first-hour-01-checklist-empty")
    assert list(steps) == [
        "Add a vendor",
        "Add its contract and SLA",
        "Import its tickets",
        "See its scorecard",
    ]
    assert not any(steps.values())

    # 2. An SLA policy from a template, the vendor and its contract: two steps ticked.
    set_up_vendor(page, site)
    steps = checklist(page, site, "first-hour-06-checklist-set-up")
    assert steps == {
        "Add a vendor": True,
        "Add its contract and SLA": True,
        "Import its tickets": False,
        "See its scorecard": False,
    }

    # 3. Their own export, mapped and imported.
    import_foreign_export(page, site, write_export(tmp_path / "nordlicht-tickets.csv"))
    # Tasks run in-process in tests (tests/conftest.py), so the run is over when the page shows.
    report = page.get_by_role("region", name="Import report")
    expect(report).to_contain_text(re.compile(r"Rows read\s*30(?!\d)"))
    expect(report).to_contain_text(re.compile(r"Created\s*30\s*new tickets"))
    expect(report).to_contain_text(re.compile(r"Rejected\s*0(?!\d)"))
    expect(report).to_contain_text(re.compile(r"Unmapped\s*0(?!\d)"))
    shoot(page, "first-hour-10-imported")

    # 4. Recompute from the page, then the vendor's scorecard has the hand-made figures.
    page.goto(f"{site.url}/recompute/")
    page.get_by_label("Vendor").select_option(label=VENDOR)
    page.check("input[name=scope][value=all]")
    submit(page, "Start the recompute")
    expect(page.locator("body")).to_contain_text(f"Recompute of {VENDOR} started")
    shoot(page, "first-hour-11-recompute")

    # The checklist's last step now leads to the scorecard; last month is the one with figures.
    page.goto(f"{site.url}/setup/")
    page.get_by_role("link", name="See its scorecard").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{page.url.split('?')[0]}?period={MONTH.label}")
    expect(page.locator("h1")).to_contain_text(VENDOR)
    wait_for_charts(page)
    shoot(page, "first-hour-12-scorecard")

    def tile(metric: str):
        return page.locator(f".tile[data-metric={metric}]")

    # Worked out by hand from the rows: every fourth ticket 90 minutes over its target.
    met = sum(r.met for r in IN_MONTH)
    assert (len(IN_MONTH), met) == (28, 21)
    hours = sum((r.resolved - r.opened).total_seconds() for r in IN_MONTH) / 3600 / len(IN_MONTH)
    expect(tile("tickets_created").locator(".value")).to_have_text("28")
    expect(tile("tickets_created")).to_contain_text("prev. 2")  # the month before's two
    expect(tile("tickets_resolved").locator(".value")).to_have_text("28")
    expect(tile("resolution_sla_pct").locator(".value")).to_have_text(
        f"{100 * met / len(IN_MONTH):.1f} %"
    )
    expect(tile("resolution_sla_pct")).to_contain_text(f"({met} of {len(IN_MONTH)})")
    expect(tile("mttr").locator(".value")).to_have_text(f"{hours:.1f} h")

    # 5. Every step of the checklist ticked.
    steps = checklist(page, site, "first-hour-13-checklist-done")
    assert all(steps.values()), steps
    assert page.js_errors == []
