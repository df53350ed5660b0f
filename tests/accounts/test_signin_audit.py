"""Sign-in events in the audit trail, with the time and the client's address."""

from __future__ import annotations

import json
import time

import pytest
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from common.roles import MANAGER
from vendors.models import AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-42"


@pytest.fixture
def manager():
    user = get_user_model().objects.create_user("manager", "boss@example.com", PASSWORD)
    user.groups.add(Group.objects.get_or_create(name=MANAGER)[0])
    return user


def login(client, name: str, password: str, **extra):
    return client.post(reverse("account_login"), {"login": name, "password": password}, **extra)


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


def test_a_login_and_logout_are_recorded_with_the_address(client, manager):
    before = timezone.now()
    assert login(client, "manager", PASSWORD).status_code == 302
    client.post(reverse("account_logout"))

    (logged_in,) = entries("login")
    (logged_out,) = entries("logout")
    for entry in (logged_in, logged_out):
        assert entry.user == manager
        assert entry.actor == "manager"
        assert entry.object_type == "auth.user"
        assert entry.object_id == str(manager.pk)
        assert entry.ip == "127.0.0.1"
        assert entry.at >= before


def test_a_failed_login_keeps_the_login_typed_never_the_password(client, manager):
    login(client, "boss@example.com", "Secret-Guess-1", REMOTE_ADDR="198.51.100.4")
    login(client, "ghost", "Secret-Guess-2", REMOTE_ADDR="198.51.100.4")

    known, unknown = entries("login_failed")
    assert (known.object_id, known.object_repr) == (str(manager.pk), "manager")
    assert known.new_values == {"login": "boss@example.com"}
    assert (unknown.object_id, unknown.object_repr) == ("", "ghost")
    assert unknown.new_values == {"login": "ghost"}
    for entry in (known, unknown):
        assert entry.ip == "198.51.100.4"
        assert entry.user is None  # nobody was signed in: the account is the object
        assert entry.actor == "(not signed in)"
    stored = json.dumps([[e.old_values, e.new_values, e.object_repr] for e in (known, unknown)])
    assert "Secret-Guess" not in stored


def test_a_lockout_is_recorded_with_the_address(client, manager):
    for n in range(10):
        login(client, "manager", f"wrong-{n}", REMOTE_ADDR="203.0.113.20")
    login(client, "manager", PASSWORD, REMOTE_ADDR="203.0.113.20")

    # Nine failures, then the tenth locks; the refused right password is a lockout again.
    assert len(entries("login_failed")) == 9
    locked = entries("locked_out")
    assert len(locked) == 2
    assert locked[0].object_id == str(manager.pk)
    assert locked[0].new_values == {"login": "manager", "failures": 10}
    assert {e.ip for e in locked} == {"203.0.113.20"}
    assert not entries("login")


def test_the_address_comes_from_the_trusted_header_only_when_configured(client, manager, settings):
    login(client, "manager", PASSWORD, HTTP_X_REAL_IP="192.0.2.55")
    client.post(reverse("account_logout"))
    settings.TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    login(client, "manager", PASSWORD, HTTP_X_REAL_IP="192.0.2.55")

    assert [e.ip for e in entries("login")] == ["127.0.0.1", "192.0.2.55"]


def test_the_audit_page_shows_sign_in_events_and_their_address(client, manager):
    login(client, "ghost", "nope", REMOTE_ADDR="198.51.100.9")
    login(client, "manager", PASSWORD)

    page = client.get(reverse("audit"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Failed login" in html
    assert "Logged in" in html
    assert "198.51.100.9" in html
    assert "(not signed in)" in html


def test_adding_and_removing_a_second_factor_is_recorded(
    client, manager, django_capture_on_commit_callbacks
):
    login(client, "manager", PASSWORD, REMOTE_ADDR="198.51.100.30")
    client.post(
        reverse("account_reauthenticate"),
        {"password": PASSWORD, "next": reverse("mfa_activate_totp")},
        REMOTE_ADDR="198.51.100.30",
    )
    client.get(reverse("mfa_activate_totp"), REMOTE_ADDR="198.51.100.30")
    secret = client.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))

    # allauth sends its signals once the transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        activated = client.post(
            reverse("mfa_activate_totp"), {"code": code}, REMOTE_ADDR="198.51.100.30"
        )
    assert activated.status_code == 302
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("mfa_deactivate_totp"), REMOTE_ADDR="198.51.100.30")

    # TOTP, and the recovery codes allauth makes with it.
    added = entries("mfa_added")
    assert [e.new_values["type"] for e in added] == ["totp", "recovery_codes"]
    assert {(e.user, e.ip) for e in added} == {(manager, "198.51.100.30")}
    assert "totp" in {e.new_values["type"] for e in entries("mfa_removed")}
