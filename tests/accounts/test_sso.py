"""Single sign-on against a real OpenID Connect provider served on a local port
(tests/accounts/oidc_provider.py): discovery, keys, code exchange and userinfo go over HTTP,
ID tokens are really signed (RS256) and really checked."""

from __future__ import annotations

import time

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import ImproperlyConfigured

from accounts.forms import PasswordResetForm
from common.roles import FINANCE, MANAGER, VENDOR, user_role
from config.env import env_oidc_apps, env_role_map
from tests.accounts.oidc_provider import OidcProvider
from tests.factories import VendorFactory
from vendors.models import AuditEntry

User = get_user_model()
CLIENT_ID, CLIENT_SECRET = "vendorscore-test", "s3cret-for-the-test"
ROLE_MAP = "vs-managers=manager,vs-finance=finance,acme-staff=vendor:acme,ghost-staff=vendor:ghost"

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider(httpserver, settings, monkeypatch) -> OidcProvider:
    oidc = OidcProvider(httpserver, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    # The settings are built from the environment exactly as config/settings.py does.
    monkeypatch.setenv("SSO_OIDC_ISSUER", oidc.issuer)
    monkeypatch.setenv("SSO_OIDC_ID", "sso")
    monkeypatch.setenv("SSO_OIDC_NAME", "Corp Login")
    monkeypatch.setenv("SSO_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("SSO_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv("SSO_ROLE_MAP", ROLE_MAP)
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {"APPS": env_oidc_apps("SSO_OIDC"), "OAUTH_PKCE_ENABLED": True}
    }
    settings.SSO_ROLE_CLAIM = "groups"
    settings.SSO_ROLE_MAP = env_role_map("SSO_ROLE_MAP")
    settings.SSO_PASSWORD_OFF_DOMAINS = ["corp.example"]
    return oidc


def provisioning_entry(user) -> AuditEntry:
    return AuditEntry.objects.get(
        object_type="auth.user", object_id=str(user.pk), new_values__has_key="single_sign_on"
    )


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_first_sign_in_provisions_a_manager_from_the_groups_claim(client, provider):
    provider.sign_in_as("u-1", "maria@corp.example", groups=["everyone", "vs-managers"])

    response = provider.login(client)

    assert response.status_code == 302
    user = signed_in_user(client)
    assert user.email == "maria@corp.example"
    assert user.is_active
    assert user_role(user) == MANAGER
    assert not user.has_usable_password()
    assert user.socialaccount_set.get().uid == "u-1"
    entry = provisioning_entry(user)
    assert entry.actor == "sso:sso"
    assert entry.new_values["role"] == MANAGER
    assert entry.new_values["groups"] == ["everyone", "vs-managers"]
    assert provider.token_requests == 1


def test_second_sign_in_finds_the_same_user_and_keeps_its_role(client, provider):
    provider.sign_in_as("u-2", "fin@corp.example", groups=["vs-finance"])
    provider.login(client)
    first = signed_in_user(client)
    client.logout()
    # The claim changed at the provider; the role is the managers' to change now.
    provider.sign_in_as("u-2", "fin@corp.example", groups=["vs-managers"])

    provider.login(client)

    assert signed_in_user(client) == first
    assert user_role(User.objects.get(pk=first.pk)) == FINANCE
    assert User.objects.filter(email="fin@corp.example").count() == 1


def test_vendor_staff_get_the_vendor_role_and_membership(client, provider):
    acme = VendorFactory(name="Acme", slug="acme")
    provider.sign_in_as("u-3", "sam@acme.example", groups=["acme-staff"])

    provider.login(client)

    user = signed_in_user(client)
    assert user_role(user) == VENDOR
    assert user.vendor_membership.vendor == acme


@pytest.mark.parametrize(
    "groups",
    [["interns"], ["ghost-staff"], ["acme-staff", "vs-managers"], []],
    ids=["unmapped", "unknown-vendor", "vendor-and-staff", "no-claim"],
)
def test_no_usable_mapping_leaves_the_user_waiting_for_approval(client, provider, groups):
    VendorFactory(name="Acme", slug="acme")
    provider.sign_in_as("u-4", "new@corp.example", groups=groups)

    response = provider.login(client)

    assert response.status_code == 403
    assert "Waiting for approval" in response.content.decode()
    assert signed_in_user(client) is None
    user = User.objects.get(email="new@corp.example")
    assert not user.is_active and user_role(user) is None
    assert not hasattr(user, "vendor_membership")
    from accounts.sso import users_awaiting_approval

    assert list(users_awaiting_approval()) == [user]
    entry = provisioning_entry(user)
    assert entry.new_values["awaiting_approval"] is True


def test_waiting_user_gets_in_once_a_manager_approves(client, provider):
    provider.sign_in_as("u-5", "late@corp.example", groups=["interns"])
    provider.login(client)
    # Still waiting at the second try.
    assert provider.login(client).status_code == 403
    assert signed_in_user(client) is None

    # What the users page does to approve: a role, and active.
    user = User.objects.get(email="late@corp.example")
    user.groups.add(Group.objects.get_or_create(name=FINANCE)[0])
    user.is_active = True
    user.save()
    response = provider.login(client)

    assert response.status_code == 302
    assert signed_in_user(client) == user
    assert user_role(signed_in_user(client)) == FINANCE
    from accounts.sso import users_awaiting_approval

    assert not users_awaiting_approval().exists()


def _password_user(email: str):
    user = User.objects.create_user("alice", email, "a-long-Password-42")
    user.groups.add(Group.objects.get_or_create(name=FINANCE)[0])
    return user


@pytest.mark.parametrize("login", ["alice", "alice@corp.example", "ALICE@Corp.Example"])
def test_password_login_is_refused_for_an_sso_domain(client, provider, login):
    _password_user("alice@corp.example")

    response = client.post("/accounts/login/", {"login": login, "password": "a-long-Password-42"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "signs in with Corp Login, not a password" in page
    assert "Sign in with Corp Login" in page  # the button it points to
    assert signed_in_user(client) is None


def test_password_login_still_works_outside_the_sso_domains(client, provider):
    _password_user("alice@elsewhere.example")

    response = client.post("/accounts/login/", {"login": "alice", "password": "a-long-Password-42"})

    assert response.status_code == 302
    assert signed_in_user(client).username == "alice"


def test_sso_domain_user_signs_in_with_sso_joined_by_verified_address(client, provider):
    alice = _password_user("alice@corp.example")
    provider.sign_in_as("u-6", "alice@corp.example", email_verified=True, groups=["vs-managers"])

    response = provider.login(client)

    assert response.status_code == 302
    assert signed_in_user(client) == alice
    alice.refresh_from_db()
    # Joined, not re-provisioned: the role stays, the password is gone.
    assert user_role(alice) == FINANCE
    assert not alice.has_usable_password()
    assert alice.socialaccount_set.get().uid == "u-6"


def test_unverified_address_of_an_existing_user_is_not_joined(client, provider):
    alice = _password_user("alice@corp.example")
    provider.sign_in_as("evil", "alice@corp.example", email_verified=False, groups=["vs-managers"])

    response = provider.login(client)

    assert response.status_code == 403
    assert "did not confirm that the address is yours" in response.content.decode()
    assert signed_in_user(client) is None
    assert not alice.socialaccount_set.exists()
    assert User.objects.filter(email__iexact="alice@corp.example").count() == 1


def test_password_reset_sends_nothing_to_an_sso_domain(settings, provider):
    _password_user("alice@corp.example")
    User.objects.create_user("bob", "bob@elsewhere.example", "a-long-Password-42")

    for email in ("alice@corp.example", "bob@elsewhere.example"):
        form = PasswordResetForm({"email": email})
        assert form.is_valid()
        form.save(domain_override="testserver")

    assert [m.to for m in mail.outbox] == [["bob@elsewhere.example"]]


@pytest.mark.parametrize(
    "change",
    [
        {"aud": "someone-else"},
        {"exp": int(time.time()) - 120, "iat": int(time.time()) - 900},
        {"iss": "https://impostor.example"},
    ],
    ids=["wrong-audience", "expired", "wrong-issuer"],
)
def test_a_bad_id_token_is_refused(client, provider, change):
    provider.sign_in_as("u-7", "maria@corp.example", groups=["vs-managers"])
    provider.id_token_changes = change

    response = provider.login(client)

    assert response.status_code == 401  # allauth's "Third-Party Login Failure" page
    assert "Third-Party Login Failure" in response.content.decode()
    assert signed_in_user(client) is None
    assert not User.objects.filter(email="maria@corp.example").exists()


def test_an_id_token_signed_with_another_key_is_refused(client, provider):
    provider.sign_in_as("u-8", "maria@corp.example", groups=["vs-managers"])
    provider.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    response = provider.login(client)

    assert "Third-Party Login Failure" in response.content.decode()
    assert signed_in_user(client) is None
    assert not User.objects.filter(email="maria@corp.example").exists()


def test_the_login_page_offers_the_provider(client, provider):
    page = client.get("/accounts/login/").content.decode()

    assert 'action="/accounts/oidc/sso/login/"' in page
    assert "Sign in with Corp Login" in page
    assert 'id="id_login"' in page and 'id="id_password"' in page


def test_the_callback_url_to_register_at_the_provider(provider):
    from django.urls import reverse

    assert (
        reverse("openid_connect_callback", kwargs={"provider_id": "sso"})
        == "/accounts/oidc/sso/login/callback/"
    )


@pytest.mark.parametrize(
    "value",
    ["vs-managers", "x=admin", "x=vendor", "x=manager:acme", "=manager"],
)
def test_a_malformed_role_map_stops_start_up(monkeypatch, value):
    monkeypatch.setenv("SSO_ROLE_MAP", value)
    with pytest.raises(ImproperlyConfigured, match="SSO_ROLE_MAP"):
        env_role_map("SSO_ROLE_MAP")


def test_env_builds_no_provider_without_an_issuer_and_refuses_plain_http(monkeypatch):
    monkeypatch.delenv("SSO_OIDC_ISSUER", raising=False)
    assert env_oidc_apps("SSO_OIDC") == []
    monkeypatch.setenv("SSO_OIDC_ISSUER", "http://login.corp.example/realms/x")
    monkeypatch.setenv("SSO_OIDC_CLIENT_ID", "vs")
    with pytest.raises(ImproperlyConfigured, match="https"):
        env_oidc_apps("SSO_OIDC")


def test_env_builds_the_allauth_app(monkeypatch, tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text("from-a-file\n")
    monkeypatch.setenv("SSO_OIDC_ISSUER", "https://login.microsoftonline.com/tenant-id/v2.0/")
    monkeypatch.setenv("SSO_OIDC_ID", "entra")
    monkeypatch.setenv("SSO_OIDC_NAME", "Microsoft")
    monkeypatch.setenv("SSO_OIDC_CLIENT_ID", "app-id")
    monkeypatch.setenv("SSO_OIDC_CLIENT_SECRET_FILE", str(secret_file))
    monkeypatch.setenv("SSO_OIDC_VERIFIED_EMAIL_DOMAINS", "Corp.Example")

    assert env_oidc_apps("SSO_OIDC") == [
        {
            "provider_id": "entra",
            "name": "Microsoft",
            "client_id": "app-id",
            "secret": "from-a-file",
            "settings": {
                "server_url": "https://login.microsoftonline.com/tenant-id/v2.0",
                "scope": ["openid", "profile", "email"],
                "verified_email": ["corp.example"],
            },
        }
    ]
