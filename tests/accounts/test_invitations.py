"""Invitations: a manager invites by e-mail, the link sets a password once and signs in; an
expired, reused or replaced link fails; deactivation ends sessions and API tokens at once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from allauth.socialaccount.models import SocialApp
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.test import Client
from rest_framework.test import APIClient

from accounts import services
from accounts.models import Invitation
from accounts.tokens import InvitationTokenGenerator
from common.roles import FINANCE, MANAGER, VENDOR, ensure_role_groups, user_role
from tests.api.conftest import user_in
from tests.factories import VendorFactory
from vendors.models import ApiToken, AuditEntry, VendorMembership
from vendors.services import api_token_create

pytestmark = pytest.mark.django_db

PASSWORD = "chartreuse-otter-1987"
User = get_user_model()


@pytest.fixture
def manager():
    ensure_role_groups()
    return user_in(MANAGER, "boss")


@pytest.fixture
def manager_client(manager) -> Client:
    client = Client()
    client.force_login(manager)
    return client


def _link(mail) -> str:
    """The path of the invitation link in an e-mail."""
    url = re.search(r"https?://\S+/accounts/invite/\S+/", mail.body).group(0)
    return url.split("://", 1)[1].split("/", 1)[1].join(["/", ""])


def _invite(client, mailoutbox, email="ann@acme.example", role=VENDOR, vendor=None):
    data = {"email": email, "role": role}
    if vendor is not None:
        data["vendor"] = vendor.pk
    response = client.post("/users/invite/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return User.objects.get(email=email)


def test_an_invitation_creates_the_user_and_mails_a_link_that_sets_a_password_and_logs_in(
    manager_client, manager, mailoutbox
):
    acme = VendorFactory(name="Acme", slug="acme")

    user = _invite(manager_client, mailoutbox, vendor=acme)

    assert (user.username, user.is_active, user.has_usable_password()) == ("ann", True, False)
    assert user_role(user) == VENDOR
    assert VendorMembership.objects.get(user=user).vendor == acme
    invitation = Invitation.objects.get(user=user)
    assert (invitation.invited_by, invitation.role, invitation.vendor) == (manager, VENDOR, acme)
    assert invitation.expires_at - invitation.sent_at == dt.timedelta(days=7)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["ann@acme.example"]
    assert "Your username: ann" in mailoutbox[0].body
    link = _link(mailoutbox[0])

    invitee = Client()
    page = invitee.get(link)
    assert page.status_code == 200
    assert "Choose a password" in page.content.decode()
    # Django's validators stay on.
    weak = invitee.post(link, {"new_password1": "12345678", "new_password2": "12345678"})
    assert weak.status_code == 200
    assert "too common" in weak.content.decode()

    done = invitee.post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})

    assert done.status_code == 302
    assert invitee.get("/").wsgi_request.user == user  # signed in
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert Invitation.objects.get(user=user).accepted_at is not None
    # Single use: the link is dead now.
    again = Client().get(link)
    assert again.status_code == 400
    assert "Ask your manager to resend" in again.content.decode()
    login = Client().post("/accounts/login/", {"login": "ann", "password": PASSWORD})
    assert (login.status_code, login["Location"]) == (302, "/")


def test_an_invitation_is_recorded_in_the_audit_trail(manager_client, mailoutbox):
    user = _invite(manager_client, mailoutbox, role=FINANCE)

    entry = AuditEntry.objects.get(object_type="auth.user", object_id=str(user.pk))
    assert (entry.action, entry.actor) == ("create", "boss")
    assert entry.new_values == {
        "role": FINANCE,
        "vendor": None,
        "is_active": True,
        "invited": "ann@acme.example",
    }


def test_an_expired_link_fails(manager_client, mailoutbox, monkeypatch, settings):
    settings.INVITATION_DAYS = 3
    _invite(manager_client, mailoutbox, role=FINANCE)
    link = _link(mailoutbox[0])
    real_now = InvitationTokenGenerator._now

    monkeypatch.setattr(
        InvitationTokenGenerator, "_now", lambda self: real_now(self) + dt.timedelta(days=2)
    )
    assert Client().get(link).status_code == 200  # still inside three days
    monkeypatch.setattr(
        InvitationTokenGenerator,
        "_now",
        lambda self: real_now(self) + dt.timedelta(days=3, hours=1),
    )
    expired = Client().get(link)

    assert expired.status_code == 400
    assert "Ask your manager to resend" in expired.content.decode()
    posted = Client().post(link, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    assert posted.status_code == 400
    assert not User.objects.get(email="ann@acme.example").has_usable_password()


def test_resending_kills_the_old_link(manager_client, mailoutbox):
    user = _invite(manager_client, mailoutbox, role=FINANCE)
    old = _link(mailoutbox[0])

    response = manager_client.post(f"/users/{user.pk}/resend/")

    assert response.status_code == 302
    assert len(mailoutbox) == 2
    new = _link(mailoutbox[1])
    assert new != old
    assert Client().get(old).status_code == 400
    assert Client().get(new).status_code == 200
    assert Invitation.objects.get(user=user).sent_count == 2


def test_a_link_with_a_forged_token_or_user_fails(manager_client, mailoutbox):
    _invite(manager_client, mailoutbox, role=FINANCE)
    link = _link(mailoutbox[0])
    prefix, uid, token, _ = link.rsplit("/", 3)

    assert Client().get(f"{prefix}/{uid}/{token[:-1]}x/").status_code == 400
    assert Client().get(f"{prefix}/MTIzNDU2/{token}/").status_code == 400


def test_the_vendor_is_required_for_vendor_users_and_only_for_them(manager_client):
    acme = VendorFactory(name="Acme", slug="acme")

    no_vendor = manager_client.post("/users/invite/", {"email": "a@x.example", "role": VENDOR})
    extra = manager_client.post(
        "/users/invite/", {"email": "b@x.example", "role": FINANCE, "vendor": acme.pk}
    )

    assert "Pick the vendor this user works for." in no_vendor.content.decode()
    assert "Only vendor users belong to a vendor" in extra.content.decode()
    assert not User.objects.filter(email__in=["a@x.example", "b@x.example"]).exists()


def test_an_address_that_has_an_account_is_refused_and_usernames_stay_unique(
    manager_client, mailoutbox
):
    user_in(FINANCE, "ann")  # ann@example.com, username "ann"

    taken = manager_client.post("/users/invite/", {"email": "ANN@example.com", "role": FINANCE})
    other = _invite(manager_client, mailoutbox, email="ann@acme.example", role=FINANCE)

    assert "ANN@example.com already has an account." in taken.content.decode()
    assert other.username == "ann-2"


def test_a_deactivated_users_session_and_api_token_stop_working_at_once(manager_client, manager):
    acme = VendorFactory(name="Acme", slug="acme")
    ann = user_in(VENDOR, "ann", acme)
    session = Client()
    session.force_login(ann)
    assert session.get("/vendors/acme/").status_code == 200
    key = api_token_create(user=ann, name="script").key
    api = APIClient(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/vendors/").status_code == 200

    response = manager_client.post(f"/users/{ann.pk}/deactivate/")

    assert response.status_code == 302
    ann.refresh_from_db()
    assert ann.is_active is False
    after = session.get("/vendors/acme/")
    assert after.status_code == 302
    assert after["Location"].startswith("/accounts/login/?next=")
    assert api.get("/api/v1/vendors/").status_code == 401
    token = ApiToken.objects.get(user=ann)
    assert token.revoked_at is not None and token.revoked_by == manager
    entry = AuditEntry.objects.filter(object_type="auth.user", object_id=str(ann.pk)).first()
    assert (entry.old_values, entry.new_values) == ({"is_active": True}, {"is_active": False})

    manager_client.post(f"/users/{ann.pk}/reactivate/")
    ann.refresh_from_db()
    assert ann.is_active is True
    # The old session stays ended and the old token revoked.
    assert session.get("/vendors/acme/").status_code == 302
    assert api.get("/api/v1/vendors/").status_code == 401


def test_the_last_active_manager_cannot_be_demoted_or_deactivated(manager, manager_client):
    refused = manager_client.post(f"/users/{manager.pk}/", {"role": FINANCE})

    assert refused.status_code == 200
    assert "boss is the last active manager" in refused.content.decode()
    assert user_role(User.objects.get(pk=manager.pk)) == MANAGER
    # From a shell (no acting user), deactivating them is refused too.
    with pytest.raises(ValidationError, match="boss is the last active manager"):
        services.user_deactivate(user=manager, by=None)
    assert User.objects.get(pk=manager.pk).is_active
    # A deactivated manager does not count: with the deputy gone, the boss is the last again.
    deputy = user_in(MANAGER, "deputy")
    services.user_deactivate(user=deputy, by=manager)
    with pytest.raises(ValidationError, match="last active manager"):
        services.user_change_role(user=manager, role=VENDOR, vendor=VendorFactory(), by=manager)
    # A second active manager lifts the guard.
    services.user_reactivate(user=deputy, by=manager)
    services.user_change_role(user=manager, role=FINANCE, vendor=None, by=deputy)
    assert user_role(User.objects.get(pk=manager.pk)) == FINANCE


def test_a_second_manager_may_be_demoted_and_the_change_is_audited(manager, manager_client):
    acme = VendorFactory(name="Acme", slug="acme")
    deputy = user_in(MANAGER, "deputy")

    response = manager_client.post(
        f"/users/{deputy.pk}/", {"role": VENDOR, "vendor": acme.pk}, REMOTE_ADDR="198.51.100.7"
    )

    assert response.status_code == 302
    assert user_role(User.objects.get(pk=deputy.pk)) == VENDOR
    entry = AuditEntry.objects.get(object_type="auth.user", object_id=str(deputy.pk))
    assert entry.old_values == {"role": MANAGER, "vendor": None}
    assert entry.new_values == {"role": VENDOR, "vendor": "acme"}
    assert (entry.actor, entry.ip) == ("boss", "198.51.100.7")  # who, and from where


def test_the_invitation_page_offers_single_sign_on_when_a_provider_is_set_up(
    manager_client, mailoutbox
):
    _invite(manager_client, mailoutbox, role=FINANCE)
    link = _link(mailoutbox[0])
    assert "Sign in with" not in Client().get(link).content.decode()
    SocialApp.objects.create(
        provider="openid_connect",
        provider_id="corp",
        name="Corp SSO",
        client_id="vendorscore",
        settings={"server_url": "http://127.0.0.1:9/realms/corp"},
    )

    page = Client().get(link).content.decode()

    assert 'href="/accounts/oidc/corp/login/">Sign in with Corp SSO</a>' in page
