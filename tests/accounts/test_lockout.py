"""Failed logins and lockouts through the real login page: django-axes per account, allauth's
failed-login limit per address, and the client's address from the trusted header only."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.contrib.auth import get_user_model
from django.db.models import F
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-42"


@pytest.fixture
def manager():
    return get_user_model().objects.create_user("manager", "boss@example.com", PASSWORD)


def login(client, name: str, password: str, **extra):
    return client.post(reverse("account_login"), {"login": name, "password": password}, **extra)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def fail_ten_times(client, name: str = "manager") -> list[int]:
    return [login(client, name, f"wrong-{n}").status_code for n in range(10)]


def test_settings_match_the_issue(settings):
    assert settings.AXES_FAILURE_LIMIT == 10
    assert settings.AXES_COOLOFF_TIME * 60 == 15  # hours, as axes reads a float
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]
    # allauth's own failed-login limit counts per address only, so it never refuses before axes.
    assert settings.ACCOUNT_RATE_LIMITS["login_failed"] == "20/15m/ip"


def test_ten_wrong_passwords_then_the_right_one_is_refused(client, manager):
    codes = fail_ten_times(client)
    # Nine ordinary refusals on the login page; the tenth failure locks the account.
    assert codes == [200] * 9 + [429]

    response = login(client, "manager", PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    page = response.content.decode()
    assert "Too many failed logins" in page
    assert "Try again in 15 minutes" in page
    assert "Ask a manager to lift the lockout" in page
    assert 'href="/static/css/vendorscore.css"' in page  # the site's own look
    assert not logged_in(client)


def test_username_and_email_count_as_one_account(client, manager):
    for n in range(5):
        login(client, "manager", f"wrong-{n}")
    for n in range(5):
        login(client, "BOSS@example.com", f"wrong-{n}")

    assert login(client, "boss@example.com", PASSWORD).status_code == 429
    assert login(client, "manager", PASSWORD).status_code == 429
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"manager"}


def test_after_the_cool_off_the_right_password_works(client, manager):
    fail_ten_times(client)
    assert login(client, "manager", PASSWORD).status_code == 429

    AccessAttempt.objects.update(attempt_time=F("attempt_time") - dt.timedelta(minutes=16))
    response = login(client, "manager", PASSWORD)

    assert response.status_code == 302
    assert logged_in(client)


def test_once_lifted_the_right_password_works(client, manager):
    fail_ten_times(client)

    assert axes_reset(username="manager") == 1
    response = login(client, "manager", PASSWORD)

    assert response.status_code == 302
    assert logged_in(client)


def test_a_lockout_is_per_account_not_per_address(client, manager):
    get_user_model().objects.create_user("finance", "fin@example.com", PASSWORD)
    fail_ten_times(client)

    # A colleague at the same address still logs in.
    assert login(client, "finance", PASSWORD).status_code == 302


def test_a_password_sprayed_over_30_usernames_from_one_address_is_stopped(client):
    users = get_user_model().objects
    for n in range(29):
        users.create_user(f"user{n:02}", f"user{n:02}@example.com", PASSWORD)
    # The 30th account has the sprayed password: the one the attacker hopes to find.
    users.create_user("victim", "victim@example.com", "Summer2026!")
    usernames = [f"user{n:02}" for n in range(29)] + ["victim"]

    responses = [login(client, name, "Summer2026!") for name in usernames]
    refused = ["Too many failed login attempts" in r.content.decode() for r in responses]

    # 20 failures per address per 15 minutes; after that every try is refused unchecked,
    # the victim's right password included.
    assert refused == [False] * 20 + [True] * 10
    assert responses[-1].status_code == 200
    assert not logged_in(client)
    # Another address is not affected; nor was any single account locked.
    assert login(client, "victim", "Summer2026!", REMOTE_ADDR="198.51.100.7").status_code == 302
    assert not AccessAttempt.objects.filter(failures_since_start__gte=10).exists()


def test_a_forwarded_address_counts_only_from_the_configured_header(client, manager, settings):
    login(client, "manager", "wrong", HTTP_X_REAL_IP="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["127.0.0.1"]

    AccessAttempt.objects.all().delete()
    settings.TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    login(client, "manager", "wrong", HTTP_X_REAL_IP="203.0.113.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.9"]


def test_allauths_address_limit_follows_the_trusted_header(client, settings):
    settings.TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "3/15m/ip"}
    get_user_model().objects.create_user("finance", "fin@example.com", PASSWORD)
    for n in range(3):
        login(client, f"nobody{n}", "x", HTTP_X_REAL_IP="203.0.113.9")

    blocked = login(client, "finance", PASSWORD, HTTP_X_REAL_IP="203.0.113.9")
    other = login(client, "finance", PASSWORD, HTTP_X_REAL_IP="203.0.113.10")

    assert "Too many failed login attempts" in blocked.content.decode()
    assert other.status_code == 302


def test_the_api_takes_no_passwords(settings):
    # Tokens are made on the site; the API authenticates by token or session only, so there is
    # no API password endpoint for a lockout to guard.
    assert settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "vendors.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ]
