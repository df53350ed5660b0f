"""From an invitation to a vendor user with two-factor, in Chromium, over the demo world.

A manager opens Users, invites a vendor's account manager by e-mail; the invitee, in a browser
of its own, opens the link from the e-mail, chooses a password, turns on an authenticator app
(after allauth asks for the password again), logs out and back in with password and a code
worked out from the key the page showed, and sees its own vendor and nothing else. The manager
then finds the new user on the users page with two-factor on.

The live server runs in a thread of this process, so the e-mail lands in Django's locmem outbox
that the test reads, and the link in it points at the live server (SITE_URL set to it).
"""

from __future__ import annotations

import re

import pytest
from django.test import override_settings
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from tests.accounts.test_two_factor import totp_code
from tests.browser.conftest import Site, log_in, shoot, wait_for_charts, watched_page

# django_db: so the test database exists (pytest-django sets up only what tests ask for).
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

INVITEE_EMAIL = "ilse.brandt@vendor.example"
INVITEE_PASSWORD = "Lantern-harbour-quietly-2026"
# Chromium reports a page answered with an error status as a console error; those two are the
# refusals this test asks for, not faults of the page.
REFUSED_PAGE = re.compile(r"^Failed to load resource: the server responded with a status of 40[34]")


@pytest.fixture(scope="module")
def links_to_live_site(site: Site):
    """E-mailed links start with SITE_URL: the live server's address for this module."""
    with override_settings(SITE_URL=site.url):
        yield


def submit(page: Page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state("networkidle")


def main_nav_vendors(page: Page) -> list[tuple[str, str]]:
    """(name, slug) of each vendor in the main navigation's vendor menu."""
    links = page.locator("nav.mainnav .menu-items a")
    return [
        (name.strip(), href.rstrip("/").rsplit("/", 1)[-1])
        for name, href in links.evaluate_all("els => els.map(a => [a.textContent, a.pathname])")
    ]


def invite(page: Page, site: Site, vendor_name: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    page.wait_for_load_state("networkidle")
    assert page.url == f"{site.url}{reverse('users')}"
    page.get_by_role("link", name="Invite a user").click()
    page.wait_for_load_state("networkidle")
    page.fill("#id_email", INVITEE_EMAIL)
    page.check("input[name=role][value=vendor]")
    page.select_option("#id_vendor", label=vendor_name)
    shoot(page, "invite-form")
    submit(page, "Send the invitation")
    assert page.url == f"{site.url}{reverse('users')}"
    expect(page.locator(".messages")).to_contain_text(f"Invitation sent to {INVITEE_EMAIL}")


def invitation_from(outbox) -> tuple[str, str]:
    """The username and link of the one invitation e-mail sent."""
    assert len(outbox) == 1
    message = outbox[0]
    assert message.to == [INVITEE_EMAIL]
    assert message.subject == "You are invited to VendorScore"
    username = re.search(r"Your username: (\S+) ", message.body).group(1)
    link = re.search(r"^(http\S+/accounts/invite/\S+/)$", message.body, re.M).group(1)
    return username, link


def users_row(page: Page, username: str):
    return page.locator("table.users tbody tr").filter(
        has=page.get_by_role("link", name=username, exact=True)
    )


def turn_on_totp(page: Page, site: Site) -> str:
    """From the two-factor page: the password again, then the app's key and a code from it."""
    page.goto(f"{site.url}{reverse('mfa_index')}")
    expect(page.locator("#mfa-totp")).to_contain_text("Off")
    page.locator("#mfa-totp").get_by_role("link", name="Set up").click()
    page.wait_for_load_state("networkidle")
    # The password was set a moment ago on the invitation page: no "Confirm it is you" again.
    assert page.url == f"{site.url}{reverse('mfa_activate_totp')}"
    expect(page.locator("img.totp-qr")).to_be_visible()
    shoot(page, "invitee-totp-setup")
    secret = page.locator("#authenticator_secret").inner_text().strip()
    page.fill("#id_code", totp_code(secret))
    submit(page, "Turn on")
    assert page.url == f"{site.url}{reverse('mfa_view_recovery_codes')}"
    assert len(page.locator("#recovery_codes").input_value().split()) == 10
    page.goto(f"{site.url}{reverse('mfa_index')}")
    expect(page.locator("#mfa-totp")).to_contain_text("On")
    return secret


def test_an_invited_vendor_user_sets_a_password_and_totp_and_sees_only_its_vendor(
    browser: Browser, site: Site, links_to_live_site, mailoutbox
):
    with (
        watched_page(browser, timeout_ms=30_000) as manager,
        watched_page(browser, timeout_ms=30_000) as invitee,  # a context (cookies) of its own
    ):
        log_in(manager, site, "manager")
        vendors = main_nav_vendors(manager)
        assert (site.vendor_name, site.vendor_slug) in vendors
        other_slug = next(slug for _, slug in vendors if slug != site.vendor_slug)
        invite(manager, site, site.vendor_name)
        username, link = invitation_from(mailoutbox)
        row = users_row(manager, username)
        expect(row.locator(".col-role")).to_have_text("vendor")
        expect(row.locator(".col-vendor")).to_have_text(site.vendor_name)
        expect(row.locator(".col-state")).to_contain_text("invited")
        expect(row.locator(".col-2fa")).to_have_text("off")
        assert link.startswith(f"{site.url}/accounts/invite/")

        # The invitee: the link, a password, and in at its own vendor's scorecard.
        invitee.goto(link)
        expect(invitee.get_by_role("heading", name=f"Welcome, {username}")).to_be_visible()
        invitee.fill("#id_new_password1", INVITEE_PASSWORD)
        invitee.fill("#id_new_password2", INVITEE_PASSWORD)
        shoot(invitee, "invitation-accept")
        submit(invitee, "Set the password and sign in")
        assert invitee.url == f"{site.url}{reverse('vendor', args=[site.vendor_slug])}"

        secret = turn_on_totp(invitee, site)

        submit(invitee, "Log out")
        expect(invitee.locator("#id_login")).to_be_visible()
        invitee.fill("#id_login", username)
        invitee.fill("#id_password", INVITEE_PASSWORD)
        submit(invitee, "Log in")
        assert invitee.url == f"{site.url}{reverse('mfa_authenticate')}"
        invitee.fill("#id_code", totp_code(secret))
        submit(invitee, "Log in")

        # Its own vendor, and nothing else: the menu, the portfolio, another vendor.
        own = f"{site.url}{reverse('vendor', args=[site.vendor_slug])}"
        assert invitee.url == own
        expect(invitee.locator("h1")).to_contain_text(site.vendor_name)
        assert main_nav_vendors(invitee) == [(site.vendor_name, site.vendor_slug)]
        nav = invitee.get_by_role("navigation", name="Main")
        expect(nav.get_by_role("link", name="Portfolio")).to_have_count(0)
        expect(nav.get_by_role("link", name="Users")).to_have_count(0)
        assert invitee.goto(own).status == 200
        assert wait_for_charts(invitee) >= 1
        shoot(invitee, "invitee-scorecard")
        assert invitee.js_errors == []

        refused = invitee.goto(f"{site.url}{reverse('portfolio')}")
        assert refused.status == 403
        expect(invitee.locator("h1")).to_have_text("Not allowed")
        hidden = invitee.goto(f"{site.url}{reverse('vendor', args=[other_slug])}")
        assert hidden.status == 404
        expect(invitee.locator("h1")).to_have_text("Not found")
        assert invitee.goto(f"{site.url}{reverse('users')}").status == 403
        assert [e for e in invitee.js_errors if not REFUSED_PAGE.match(e)] == []

        # The manager sees the invitation taken up: active, with two-factor on.
        manager.goto(f"{site.url}{reverse('users')}")
        row = users_row(manager, username)
        expect(row.locator(".col-2fa")).to_have_text("on")
        expect(row.locator(".col-state")).to_have_text("active")
        expect(row.locator(".col-signin")).to_have_text("password")
        expect(row.locator(".col-vendor")).to_have_text(site.vendor_name)
        shoot(manager, "users-with-invitee")
        assert manager.js_errors == []
