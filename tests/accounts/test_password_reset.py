"""Password reset by e-mail and password change, through Django's views and our pages."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

pytestmark = pytest.mark.django_db

OLD = "Old-Password-81"
NEW = "Brand-New-Secret-93"
LINK = re.compile(r"http://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def user():
    return get_user_model().objects.create_user("analyst", "analyst@example.com", OLD)


def ask_reset(client, email: str):
    return client.post(reverse("password_reset"), {"email": email})


def link_in(mail) -> str:
    return LINK.search(mail.body).group(1)


def set_password(client, link: str, password: str = NEW):
    """Opens the e-mailed link (Django moves the token into the session) and sets a password."""
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    if not form_page.context["validlink"]:
        return form_page
    return client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": password, "new_password2": password},
    )


def test_the_reset_pages_are_in_the_sites_look(client):
    page = client.get(reverse("password_reset"))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Reset your password" in html
    assert 'href="/static/css/vendorscore.css"' in html
    assert 'name="email"' in html


def test_the_emailed_link_works_once_then_fails(client, user, mailoutbox):
    response = ask_reset(client, "analyst@example.com")

    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["analyst@example.com"]
    assert mail.subject == "VendorScore: reset your password"
    assert "works once, within an hour" in mail.body
    link = link_in(mail)

    done = set_password(client, link)
    assert done.status_code == 302
    assert done["Location"] == reverse("password_reset_complete")
    user.refresh_from_db()
    assert user.check_password(NEW)
    assert "Password set" in client.get(done["Location"]).content.decode()

    reused = set_password(client, link, "Another-Secret-77")
    assert reused.context["validlink"] is False
    assert "This link no longer works" in reused.content.decode()
    user.refresh_from_db()
    assert user.check_password(NEW)


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, user, mailoutbox):
    known = ask_reset(client, "analyst@example.com")
    unknown = ask_reset(client, "nobody@example.com")

    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [m.to for m in mailoutbox] == [["analyst@example.com"]]
    done = client.get(unknown["Location"]).content.decode()
    assert "If an account uses that address" in done


def test_the_link_expires(client, user, mailoutbox, settings):
    settings.PASSWORD_RESET_TIMEOUT = 1
    ask_reset(client, "analyst@example.com")
    time.sleep(2.1)

    response = set_password(client, link_in(mailoutbox[0]))

    assert response.context["validlink"] is False
    user.refresh_from_db()
    assert user.check_password(OLD)


def test_the_reset_timeout_is_an_hour(settings):
    assert settings.PASSWORD_RESET_TIMEOUT == 3600


def test_password_validators_stay_on(client, user, mailoutbox):
    ask_reset(client, "analyst@example.com")

    response = set_password(client, link_in(mailoutbox[0]), "12345678")

    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(OLD)


def test_a_signed_in_user_changes_the_password(client, user):
    client.force_login(user)
    assert client.get(reverse("password_change")).status_code == 200

    wrong = client.post(
        reverse("password_change"),
        {"old_password": "not-it", "new_password1": NEW, "new_password2": NEW},
    )
    assert wrong.status_code == 200
    assert "Your old password was entered incorrectly" in wrong.content.decode()

    response = client.post(
        reverse("password_change"),
        {"old_password": OLD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("password_change_done")
    user.refresh_from_db()
    assert user.check_password(NEW)
    # The session survives the change (Django updates its hash).
    assert "Password changed" in client.get(response["Location"]).content.decode()


def test_password_change_needs_a_login(client):
    response = client.get(reverse("password_change"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
