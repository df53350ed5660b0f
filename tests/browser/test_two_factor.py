"""Two-factor authentication in Chromium, with 2FA required for managers as in production.

A manager without 2FA is sent to set-up right after logging in, confirms the password, reads
the key the page shows (as a phone would from the QR code), turns TOTP on with a code worked
out from it, logs out, and logs back in with password and a fresh code to the portfolio.
A second manager adds a security key through Chromium's virtual WebAuthn authenticator and
logs in with it. Every page runs under the site's Content-Security-Policy; a refused script
would show as a console error, which the pages' watch collects.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from common.roles import MANAGER, ensure_role_groups
from tests.accounts.test_two_factor import totp_code, with_two_factor_middleware
from tests.browser.conftest import PASSWORD, chromium, live_server, shoot, watched_page
from tests.factories import VendorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db]

REQUIRED = "Your role requires two-factor authentication"


@pytest.fixture(scope="module")
def site_url(django_db_setup, django_db_blocker, settings_for_module) -> str:
    """A live server (2FA required for managers) over two managers and one vendor."""
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)
        groups = ensure_role_groups()
        for name in ("maria", "walter"):
            user = get_user_model().objects.create_user(name, f"{name}@example.com", PASSWORD)
            user.groups.add(groups[MANAGER])
        VendorFactory(name="Nordlicht IT")  # so the portfolio shows, not the set-up checklist
        try:
            with live_server() as url:
                yield url
        finally:
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def settings_for_module():
    """Set before the live server builds its middleware chain (the lead adds it for real)."""
    middleware = with_two_factor_middleware(settings.MIDDLEWARE)
    with override_settings(MFA_REQUIRED_ROLES=[MANAGER], MIDDLEWARE=middleware):
        yield


@pytest.fixture(scope="module")
def browser(site_url) -> Browser:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Browser) -> Page:
    with watched_page(browser, timeout_ms=30_000) as page:
        yield page


def submit(page: Page, button: str) -> None:
    page.get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state("networkidle")


def password_login(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}{reverse('account_login')}")
    page.fill("#id_login", username)
    page.fill("#id_password", PASSWORD)
    submit(page, "Log in")


def confirm_password(page: Page) -> None:
    expect(page.get_by_role("heading", name="Confirm it is you")).to_be_visible()
    expect(page.get_by_text(REQUIRED)).to_be_visible()
    page.fill("#id_password", PASSWORD)
    submit(page, "Confirm")


def log_out(page: Page) -> None:
    submit(page, "Log out")
    expect(page.locator("#id_login")).to_be_visible()


def test_a_manager_is_made_to_enable_totp_then_logs_in_with_a_code(page: Page, site_url: str):
    password_login(page, site_url, "maria")
    # Straight to set-up, after allauth's password re-check; nothing else is reachable.
    confirm_password(page)
    assert page.url == f"{site_url}{reverse('mfa_activate_totp')}"
    expect(page.get_by_text(REQUIRED)).to_be_visible()
    qr = page.locator("img.totp-qr")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0  # the data: image passes the CSP
    shoot(page, "two-factor-setup")
    page.goto(f"{site_url}{reverse('portfolio')}")
    assert page.url == f"{site_url}{reverse('mfa_activate_totp')}"

    secret = page.locator("#authenticator_secret").inner_text().strip()
    page.fill("#id_code", totp_code(secret))
    submit(page, "Turn on")
    assert page.url == f"{site_url}{reverse('mfa_view_recovery_codes')}"
    codes = page.locator("#recovery_codes").input_value().split()
    assert len(codes) == 10
    page.goto(f"{site_url}{reverse('portfolio')}")
    expect(page.get_by_role("heading", name="Vendor portfolio")).to_be_visible()

    log_out(page)
    password_login(page, site_url, "maria")
    assert page.url == f"{site_url}{reverse('mfa_authenticate')}"
    page.fill("#id_code", "000000" if totp_code(secret) != "000000" else "111111")
    submit(page, "Log in")
    expect(page.locator(".errorlist")).to_contain_text("Incorrect code.")
    page.fill("#id_code", totp_code(secret))
    submit(page, "Log in")
    assert page.url == f"{site_url}{reverse('portfolio')}"
    expect(page.get_by_role("heading", name="Vendor portfolio")).to_be_visible()
    assert page.js_errors == []


def test_a_manager_adds_a_security_key_and_logs_in_with_it(page: Page, site_url: str):
    # Chromium's virtual authenticator stands in for a USB security key.
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    key = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )["authenticatorId"]
    password_login(page, site_url, "walter")
    confirm_password(page)
    page.goto(f"{site_url}{reverse('mfa_add_webauthn')}")
    page.fill("#id_name", "Desk key")
    page.locator("#mfa_webauthn_add").click()
    page.wait_for_url(f"{site_url}{reverse('mfa_view_recovery_codes')}")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": key})["credentials"]
    assert len(credentials) == 1
    page.goto(f"{site_url}{reverse('mfa_list_webauthn')}")
    expect(page.locator("table.data tbody tr")).to_have_count(1)
    expect(page.locator("table.data")).to_contain_text("Desk key")
    page.goto(f"{site_url}{reverse('mfa_index')}")
    expect(page.locator("#mfa-webauthn")).to_contain_text("1 security key added")
    shoot(page, "two-factor-index")

    log_out(page)
    password_login(page, site_url, "walter")
    assert page.url == f"{site_url}{reverse('mfa_authenticate')}"
    page.get_by_role("button", name="Use a security key").click()
    page.wait_for_url(f"{site_url}{reverse('portfolio')}")
    expect(page.get_by_role("heading", name="Vendor portfolio")).to_be_visible()
    assert page.js_errors == []
