"""The users page: managers only; what it shows per user (role, vendor, 2FA, SSO or password,
state, lockout) in a fixed number of queries; lifting a lockout."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from axes.models import AccessAttempt
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Invitation
from common.roles import FINANCE, MANAGER, VENDOR, ensure_role_groups
from tests.api.conftest import user_in
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

PASSWORD = "chartreuse-otter-1987"
USER_URLS = [
    ("get", "/users/"),
    ("get", "/users/invite/"),
    ("post", "/users/invite/"),
    ("get", "/users/{id}/"),
    ("post", "/users/{id}/"),
    ("post", "/users/{id}/deactivate/"),
    ("post", "/users/{id}/reactivate/"),
    ("post", "/users/{id}/resend/"),
    ("post", "/users/{id}/lift-lockout/"),
]


@pytest.fixture
def manager():
    ensure_role_groups()
    return user_in(MANAGER, "boss")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", [FINANCE, VENDOR, None])
def test_only_managers_reach_any_users_url(manager, role):
    vendor = VendorFactory(name="Acme", slug="acme") if role == VENDOR else None
    caller = _client(user_in(role, "caller", vendor))
    target = user_in(FINANCE, "target")

    for method, url in USER_URLS:
        url = url.format(id=target.pk)
        assert getattr(caller, method)(url).status_code == 403, f"{method} {url}"
        anonymous = getattr(Client(), method)(url)
        assert anonymous.status_code == 302 and "/accounts/login/?next=" in anonymous["Location"]
    target.refresh_from_db()
    assert target.is_active


def _row(html: str, username: str) -> str:
    start = html.index(f">{username}</a>")
    return html[start : html.index("</tr>", start)]


def _fail_logins(username: str, times: int) -> None:
    for _ in range(times):
        Client().post("/accounts/login/", {"login": username, "password": "wrong-password"})


def test_the_list_shows_role_vendor_2fa_sign_in_state_and_lockout(manager, settings):
    settings.AXES_FAILURE_LIMIT = 3
    acme = VendorFactory(name="Acme", slug="acme")
    ann = user_in(VENDOR, "ann", acme)
    Authenticator.objects.create(user=ann, type=Authenticator.Type.TOTP, data={"secret": "x"})
    fin = user_in(FINANCE, "fin")
    fin.set_password(PASSWORD)
    fin.save()
    sso = user_in(FINANCE, "sso")
    SocialAccount.objects.create(user=sso, provider="keycloak", uid="abc")
    gone = user_in(FINANCE, "gone")
    gone.is_active = False
    gone.save()
    invited = user_in(FINANCE, "newbie")
    expires = timezone.now() + dt.timedelta(days=7)
    Invitation.objects.create(
        user=invited, role=FINANCE, sent_at=timezone.now(), expires_at=expires
    )
    _fail_logins("fin", 3)  # real failed logins: axes records them
    assert AccessAttempt.objects.get(username="fin").failures_since_start == 3

    html = _client(manager).get("/users/").content.decode()

    ann_row, fin_row = _row(html, "ann"), _row(html, "fin")
    assert '<td class="col-role">vendor</td>' in ann_row
    assert '<td class="col-vendor">Acme</td>' in ann_row
    assert '<span class="badge met">on</span>' in ann_row
    assert '<td class="col-2fa">off</td>' in fin_row
    assert '<td class="col-signin">password</td>' in fin_row
    assert "locked out" in fin_row and "Lift lockout" in fin_row
    assert "locked out" not in ann_row
    assert '<td class="col-signin">SSO (keycloak)</td>' in _row(html, "sso")
    assert "deactivated" in _row(html, "gone")
    assert '<td class="col-role">finance</td>' in _row(html, "gone")  # still says what they were
    newbie = _row(html, "newbie")
    assert "invited" in newbie and timezone.localtime(expires).strftime("%Y-%m-%d") in newbie
    assert "Resend invitation" in newbie


def test_a_lockout_ends_after_axes_cool_off(manager, settings):
    settings.AXES_FAILURE_LIMIT = 3
    fin = user_in(FINANCE, "fin")
    _fail_logins("fin", 3)
    AccessAttempt.objects.filter(username="fin").update(
        attempt_time=timezone.now() - dt.timedelta(minutes=16)
    )

    html = _client(manager).get("/users/").content.decode()

    assert "locked out" not in _row(html, fin.username)


def test_lifting_a_lockout_lets_the_right_password_in_again(manager, settings):
    settings.AXES_FAILURE_LIMIT = 3
    fin = user_in(FINANCE, "fin")
    fin.set_password(PASSWORD)
    fin.save()
    _fail_logins("fin", 3)
    refused = Client().post("/accounts/login/", {"login": "fin", "password": PASSWORD})
    assert refused.status_code != 302  # locked out: even the right password is refused

    response = _client(manager).post(f"/users/{fin.pk}/lift-lockout/")

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="fin").exists()
    login = Client().post("/accounts/login/", {"login": "fin", "password": PASSWORD})
    assert (login.status_code, login["Location"]) == (302, "/")


def test_the_list_costs_the_same_queries_for_3_users_as_for_20(manager):
    acme = VendorFactory(name="Acme", slug="acme")
    client = _client(manager)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/users/").status_code == 200
        return len(queries)

    user_in(VENDOR, "v0", acme)
    user_in(FINANCE, "f0")
    few = count()
    for n in range(1, 10):
        user = user_in(VENDOR, f"v{n}", acme)
        Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={})
        SocialAccount.objects.create(user=user_in(FINANCE, f"f{n}"), provider="k", uid=str(n))

    assert count() == few
