"""Two-factor authentication (allauth.mfa) and the per-role rule that makes it required.

Codes are computed here from the authenticator's secret, as a phone app would, and every
log-in goes through allauth's real password step and then its mfa_authenticate stage.
"""

from __future__ import annotations

import re
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from accounts.two_factor import has_two_factor, two_factor_required
from common.roles import FINANCE, MANAGER, VENDOR
from tests.config.test_settings import load_settings
from tests.factories import VendorFactory
from vendors.services import api_token_create

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
MIDDLEWARE = "accounts.middleware.RequireTwoFactorMiddleware"


def totp_code(secret: str, *, periods_ahead: int = 0) -> str:
    """The code an authenticator app shows now (or that many 30-second periods later).

    Near the end of a period it waits for the next one, so the code is still current when the
    server checks it (allauth allows no clock drift: MFA_TOTP_TOLERANCE is 0)."""
    left = mfa_settings.TOTP_PERIOD - time.time() % mfa_settings.TOTP_PERIOD
    if left < 3:
        time.sleep(left + 0.05)
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD + periods_ahead
    return format_hotp_value(hotp_value(secret, counter))


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_user():
    def make(role: str, name: str):
        user = get_user_model().objects.create_user(name, f"{name}@example.com", PASSWORD)
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        return user

    return make


@pytest.fixture
def manager(make_user):
    return make_user(MANAGER, "maria")


@pytest.fixture
def required_for_managers(settings):
    """MFA_REQUIRED_ROLES as production has it, and the middleware in its place."""
    settings.MFA_REQUIRED_ROLES = [MANAGER]
    settings.MIDDLEWARE = with_two_factor_middleware(settings.MIDDLEWARE)


def with_two_factor_middleware(middleware: list[str]) -> list[str]:
    """Where config/settings.py puts it: just before django-axes, which asks to be last."""
    if MIDDLEWARE in middleware:
        return list(middleware)
    axes = middleware.index("axes.middleware.AxesMiddleware")
    return [*middleware[:axes], MIDDLEWARE, *middleware[axes:]]


def with_totp(user) -> str:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def password_step(client: Client, username: str):
    return client.post(reverse("account_login"), {"login": username, "password": PASSWORD})


def confirm_password(client: Client, next_url: str):
    """allauth's re-check before a factor is added: the password again, then on to next_url."""
    response = client.post(
        reverse("account_reauthenticate"), {"password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302
    assert response["Location"] == next_url
    return response


def signed_in_as(client: Client) -> str | None:
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id).username if user_id else None


def test_a_totp_code_computed_from_the_secret_completes_the_login(manager):
    secret = with_totp(manager)
    client = Client()

    response = password_step(client, "maria")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_authenticate")
    assert signed_in_as(client) is None  # the password alone is not enough

    page = client.get(reverse("mfa_authenticate"))
    assert b'name="code"' in page.content
    response = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert signed_in_as(client) == "maria"


def test_a_replayed_code_and_a_wrong_code_are_refused(manager):
    secret = with_totp(manager)
    first = Client()
    password_step(first, "maria")
    code = totp_code(secret)
    first.post(reverse("mfa_authenticate"), {"code": code})
    assert signed_in_as(first) == "maria"

    replay = Client()
    password_step(replay, "maria")
    response = replay.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200
    assert "Incorrect code." in response.content.decode()
    assert signed_in_as(replay) is None

    # A well-formed code of another period is wrong now (no tolerance is configured).
    later = totp_code(secret, periods_ahead=5)
    response = replay.post(reverse("mfa_authenticate"), {"code": later})
    assert "Incorrect code." in response.content.decode()
    assert signed_in_as(replay) is None


def test_each_recovery_code_works_once(manager):
    with_totp(manager)
    codes = RecoveryCodes.activate(manager).get_unused_codes()
    assert len(codes) == 10

    client = Client()
    password_step(client, "maria")
    client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert signed_in_as(client) == "maria"

    again = Client()
    password_step(again, "maria")
    response = again.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert "Incorrect code." in response.content.decode()
    assert signed_in_as(again) is None
    again.post(reverse("mfa_authenticate"), {"code": codes[1]})
    assert signed_in_as(again) == "maria"

    stored = Authenticator.objects.get(user=manager, type=Authenticator.Type.RECOVERY_CODES)
    assert RecoveryCodes(stored).get_unused_codes() == codes[2:]


def test_totp_is_activated_on_its_page_with_a_code_from_the_secret_shown(manager):
    client = Client()
    password_step(client, "maria")
    # Even just after logging in, allauth asks for the password again before a factor is added.
    response = client.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    reauthenticate_page = client.get(response["Location"]).content.decode()
    assert "Confirm it is you" in reauthenticate_page
    confirm_password(client, reverse("mfa_activate_totp"))
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'src="data:image/svg+xml;base64,' in html  # the QR code
    secret = re.search(r'<code id="authenticator_secret"[^>]*>([A-Z2-7]+)</code>', html)[1]

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    if totp_code(secret) != "000000":
        assert "Incorrect code." in wrong.content.decode()
    response = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert has_two_factor(manager)
    codes_page = client.get(response["Location"]).content.decode()
    assert "10 of 10 codes left" in codes_page


def test_the_rule_follows_the_roles_setting(settings, manager, make_user):
    finance = make_user(FINANCE, "fiona")
    settings.MFA_REQUIRED_ROLES = []
    assert not two_factor_required(manager)
    settings.MFA_REQUIRED_ROLES = [MANAGER]
    assert two_factor_required(manager)
    assert not two_factor_required(finance)
    assert not has_two_factor(manager)
    # Recovery codes alone are not a second factor.
    RecoveryCodes.activate(manager)
    assert not has_two_factor(manager)
    with_totp(manager)
    assert has_two_factor(manager)


def test_a_manager_without_two_factor_is_sent_to_set_up_first(required_for_managers, manager):
    client = Client()
    response = password_step(client, "maria")
    assert signed_in_as(client) == "maria"

    for path in (reverse("home"), reverse("portfolio"), reverse("admin:index")):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == reverse("mfa_activate_totp"), path
    # The password re-check allauth asks for first, the set-up page, and the reason why.
    page = client.get(reverse("home"), follow=True)
    assert page.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    confirm_password(client, reverse("mfa_activate_totp"))
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    assert "Your role requires two-factor authentication" in page.content.decode()
    # The other 2FA pages, the health check and the way out stay open.
    index = client.get(reverse("mfa_index"))
    assert index.status_code == 200
    assert "Your role requires two-factor authentication" in index.content.decode()
    assert client.get(reverse("mfa_add_webauthn")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302
    assert signed_in_as(client) is None


def test_once_set_up_the_manager_goes_on_to_the_portfolio(required_for_managers, manager):
    VendorFactory()  # the portfolio sends a manager to set-up while there is no vendor
    secret = with_totp(manager)
    client = Client()
    password_step(client, "maria")
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert client.get(reverse("portfolio")).status_code == 200


def test_finance_is_not_forced_with_the_production_default(required_for_managers, make_user):
    VendorFactory()
    make_user(FINANCE, "fiona")
    client = Client()
    password_step(client, "fiona")
    assert client.get(reverse("portfolio")).status_code == 200


def test_the_api_refuses_a_session_but_not_a_token(required_for_managers, manager):
    client = Client()
    password_step(client, "maria")
    response = client.get("/api/v1/vendors/")
    assert response.status_code == 403
    assert response.json()["setup_url"] == reverse("mfa_activate_totp")

    key = api_token_create(user=manager, name="reporting script").key
    response = Client().get("/api/v1/vendors/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 200


def test_the_roles_setting_has_a_production_default_and_is_checked():
    code = "print(','.join(s.MFA_REQUIRED_ROLES) or '-')"
    assert load_settings(code).stdout.split() == ["-"]  # DEBUG on: optional for everyone
    production = {"DEBUG": "false", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "vs.example"}
    run = load_settings(code, **production)
    assert run.stdout.split() == [MANAGER], run.stderr
    run = load_settings(code, MFA_REQUIRED_ROLES="Manager, finance, vendor")
    assert run.stdout.split() == [f"{MANAGER},{FINANCE},{VENDOR}"], run.stderr
    run = load_settings(code, MFA_REQUIRED_ROLES="manager,auditor")
    assert run.returncode != 0
    assert "MFA_REQUIRED_ROLES: unknown role(s) auditor" in run.stderr


def test_the_two_factor_pages_render_in_the_sites_look(manager):
    secret = with_totp(manager)
    old_codes = RecoveryCodes.activate(manager).get_unused_codes()
    client = Client()
    password_step(client, "maria")
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    confirm_password(client, reverse("mfa_index"))
    headings = {
        "mfa_index": "Two-factor authentication",
        "mfa_deactivate_totp": "Turn off the authenticator app?",
        "mfa_view_recovery_codes": "Recovery codes",
        "mfa_generate_recovery_codes": "Make new recovery codes?",
        "mfa_list_webauthn": "Security keys",
        "mfa_add_webauthn": "Add a security key",
    }
    for name, heading in headings.items():
        html = client.get(reverse(name)).content.decode()
        assert f"<h1>{heading}</h1>" in html, name
        assert 'class="topbar"' in html, name  # the site's own frame, signed in
    index = client.get(reverse("mfa_index")).content.decode()
    assert "10 of 10 one-time codes left" in index

    response = client.post(reverse("mfa_generate_recovery_codes"))
    assert response.status_code == 302
    stored = Authenticator.objects.get(user=manager, type=Authenticator.Type.RECOVERY_CODES)
    new_codes = RecoveryCodes(stored).get_unused_codes()
    assert len(new_codes) == 10
    assert not set(new_codes) & set(old_codes)


def test_an_unconfirmed_address_does_not_block_the_set_up(manager):
    # An invited user's address may be on file unconfirmed; sign-up is closed, so allauth's
    # guard against a stranger's sign-up does not apply (MFA_ALLOW_UNVERIFIED_EMAIL).
    EmailAddress.objects.create(user=manager, email=manager.email, verified=False, primary=True)
    client = Client()
    password_step(client, "maria")
    confirm_password(client, reverse("mfa_activate_totp"))
    assert client.get(reverse("mfa_activate_totp")).status_code == 200
