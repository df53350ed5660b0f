"""Sessions: the idle timeout, and ending one's other sessions ("log out everywhere")."""

from __future__ import annotations

import datetime as dt

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-42"


@pytest.fixture
def user():
    return get_user_model().objects.create_user("analyst", "analyst@example.com", PASSWORD)


def signed_in(user) -> Client:
    client = Client()
    response = client.post(reverse("account_login"), {"login": "analyst", "password": PASSWORD})
    assert response.status_code == 302
    return client


def session_row(client: Client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def is_signed_in(client: Client) -> bool:
    # A page any signed-in user reaches: 200 signed in, a redirect to log in otherwise.
    response = client.get(reverse("password_change"))
    return response.status_code == 200


def test_the_idle_timeout_defaults_to_eight_hours(settings):
    assert settings.SESSION_IDLE_HOURS == 8
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.ACCOUNT_SESSION_REMEMBER is False


def test_a_session_idle_longer_than_the_timeout_is_logged_out(user):
    client = signed_in(user)
    assert is_signed_in(client)

    # The last request was more than eight hours ago: its expiry has passed.
    Session.objects.filter(pk=session_row(client).pk).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )

    assert not is_signed_in(client)
    response = client.get(reverse("password_change"))
    assert response["Location"].startswith(reverse("account_login"))


def test_an_active_session_is_renewed_by_each_request(user):
    client = signed_in(user)
    soon = timezone.now() + dt.timedelta(minutes=5)
    Session.objects.filter(pk=session_row(client).pk).update(expire_date=soon)

    assert is_signed_in(client)

    renewed = session_row(client).expire_date
    assert renewed > timezone.now() + dt.timedelta(hours=7, minutes=59)


def test_ending_the_other_sessions_logs_the_other_client_out(user):
    office, laptop = signed_in(user), signed_in(user)
    assert UserSession.objects.filter(user=user).count() == 2

    page = office.get(reverse("usersessions_list"))
    assert page.status_code == 200
    response = office.post(reverse("usersessions_list"))

    assert response.status_code == 302
    assert not is_signed_in(laptop)
    assert is_signed_in(office)
    assert UserSession.objects.filter(user=user).count() == 1
