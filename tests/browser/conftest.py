"""A live VendorScore with demo data, driven by Debian's Chromium through Playwright.

The server runs in a thread against the test database, seeded once per module with a small
demo world (and flushed afterwards, so the rest of the suite starts from an empty database).
Screenshots of every page go to artifacts/browser/ for the CI log to keep.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.core.management import call_command
from django.db import connections
from django.test.testcases import LiveServerThread
from playwright.sync_api import Browser, Page, sync_playwright

from common.periods import Period
from tests.conftest import chromium_path
from tickets.models import Ticket
from vendors.models import VendorMembership

ARTIFACTS = (
    Path(
        os.environ.get("VENDORSCORE_ARTIFACTS") or Path(__file__).resolve().parents[2] / "artifacts"
    )
    / "browser"
)
PASSWORD = "vendorscore-demo"
# A fixed end for the demo history keeps the world identical from run to run.
DEMO_UNTIL = dt.date(2026, 11, 20)
LAST_MONTH = Period.containing("month", DEMO_UNTIL).previous()


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium through Playwright, for one module's tests."""
    path = chromium_path()
    assert path, "Chromium is missing: install Debian's chromium package (.ci/run does)."
    # Playwright's sync API keeps an event loop running in this thread, which Django takes for
    # async code; the tests' ORM calls really are synchronous (Playwright documents this).
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=path, args=["--no-sandbox", "--disable-dev-shm-usage"]
            )
            yield browser
            browser.close()
            # Connections the tests opened while Playwright ran belong to that context: close
            # them here, or PostgreSQL would find the test database still in use at teardown.
            connections.close_all()
    finally:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@contextlib.contextmanager
def live_server() -> Iterator[str]:
    """The site served from a thread over the test database; yields its address."""
    # An in-memory SQLite database is private to its connection: lend it to the server.
    shared = {
        conn.alias: conn
        for conn in connections.all()
        if conn.vendor == "sqlite" and conn.is_in_memory_db()
    }
    for conn in shared.values():
        conn.inc_thread_sharing()
    server = LiveServerThread("localhost", StaticFilesHandler, connections_override=shared, port=0)
    server.daemon = True
    server.start()
    server.is_ready.wait()
    if server.error:
        raise server.error
    try:
        yield f"http://localhost:{server.port}"
    finally:
        server.terminate()
        for conn in shared.values():
            conn.dec_thread_sharing()


@contextlib.contextmanager
def watched_page(browser: Browser, *, timeout_ms: int) -> Iterator[Page]:
    """A fresh page whose JavaScript errors collect in `page.js_errors`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.js_errors = errors
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(scope="module")
def browser(site) -> Browser:
    """Started after the site is seeded: Django must not see Playwright's event loop then."""
    with chromium() as browser:
        yield browser


@dataclass(frozen=True)
class Site:
    """The live server's address and the demo facts the tests start from.

    Tests read the database only here, before Playwright starts: once its event loop runs,
    Django would hand the test another connection than the server's (an empty in-memory
    SQLite database). After that, tests see the data through pages and the API, as users do.
    """

    url: str
    vendor_id: int
    vendor_slug: str
    vendor_name: str
    disputable_ticket_id: int  # a resolution breach of the vendor user's vendor, last month


def _demo_facts() -> dict:
    vendor = VendorMembership.objects.select_related("vendor").get(user__username="vendor").vendor
    start, end = LAST_MONTH.bounds("UTC")
    quarter = (end - start) / 4
    ticket = (
        Ticket.objects.filter(
            vendor=vendor,
            resolution_met=False,
            resolution_outcome_at__gte=start + quarter,
            resolution_outcome_at__lt=end - quarter,
            disputes__isnull=True,
        )
        .order_by("pk")
        .first()
    )
    assert ticket is not None, "the demo month has a resolution breach to dispute"
    return {
        "vendor_id": vendor.pk,
        "vendor_slug": vendor.slug,
        "vendor_name": vendor.name,
        "disputable_ticket_id": ticket.pk,
    }


@pytest.fixture(scope="module")
def site(django_db_setup, django_db_blocker) -> Site:
    """A live server over a freshly seeded demo world, flushed afterwards."""
    with django_db_blocker.unblock():
        call_command("seed_demo", tickets=2500, months=4, until=DEMO_UNTIL, verbosity=0)
        call_command("recompute_scorecards", all=True, verbosity=0)
        facts = _demo_facts()
        try:
            with live_server() as url:
                yield Site(url=url, **facts)
        finally:
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture
def page(browser: Browser, request) -> Page:
    with watched_page(browser, timeout_ms=20_000) as page:
        yield page


def log_in(page: Page, site: Site, username: str) -> None:
    page.goto(f"{site.url}/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def shoot(page: Page, name: str) -> Path:
    """Saves a full-page screenshot as a test artifact."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def wait_for_charts(page: Page, minimum: int = 1) -> int:
    """Waits until Plotly has drawn its SVG into at least `minimum` chart placeholders."""
    page.wait_for_function(
        "n => document.querySelectorAll('[data-figure] .main-svg').length >= n", arg=minimum
    )
    return page.locator("[data-figure] .main-svg").count()
