"""Production security: a content security policy on every page that forbids inline scripts
(while the admin, the charts and the API docs still work), and hardened production settings."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from common.roles import ensure_role_groups
from tests.config.test_settings import load_settings

EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'", "'unsafe-inline'"],
    "img-src": ["'self'", "data:", "blob:"],
    "font-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
}
# A <script> that runs code but has no src: what the policy forbids. JSON data blocks
# (type="application/json") are not run, so they are allowed.
INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.I)


def policy_of(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.fixture
def manager(db):
    user = get_user_model().objects.create_user("manager", password="pw-123456", is_staff=True)
    user.groups.add(ensure_role_groups()["manager"])
    return user


def test_a_page_carries_the_content_security_policy(client, db):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    assert policy_of(response) == EXPECTED_POLICY


def test_pages_and_the_admin_use_no_inline_scripts_or_handlers(client, manager):
    client.force_login(manager)
    urls = [
        reverse("api-tokens"),
        reverse("audit"),
        reverse("admin:index"),
        reverse("admin:vendors_contract_add"),
        reverse("admin:vendors_businesscalendar_add"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "script-src 'self'" in response["Content-Security-Policy"], url
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), (url, INLINE_SCRIPT.search(html).group(0))
        assert not INLINE_HANDLER.search(html), (url, INLINE_HANDLER.search(html).group(0))


def test_the_login_page_has_no_inline_script(client, db):
    html = client.get(reverse("account_login")).content.decode()
    assert not INLINE_SCRIPT.search(html)


def test_the_api_docs_load_their_start_up_script_from_a_url(client, manager):
    url = reverse("api-docs")
    client.force_login(manager)
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html)
    # The Swagger UI's own start-up code comes from the split view's ?script URL.
    script = re.search(r'<script src="([^"]*\bscript=[^"]*)"', html)
    assert script, html
    init = client.get(script.group(1).replace("&amp;", "&"))
    assert init.status_code == 200
    assert init["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in init.content.decode()


def test_pages_may_not_be_framed(client, db):
    response = client.get(reverse("account_login"))
    assert response["X-Frame-Options"] == "DENY"
    assert policy_of(response)["frame-ancestors"] == ["'none'"]


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "a-long-random-production-secret-" + "y" * 40,
    "ALLOWED_HOSTS": "example.com",
}


def test_production_cookies_are_secure_and_https_is_enforced():
    run = load_settings(
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_CONTENT_TYPE_NOSNIFF, s.X_FRAME_OPTIONS)",
        **PRODUCTION,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [
        "True",
        "True",
        "True",
        "True",
        "31536000",
        "True",
        "True",
        "DENY",
    ]


def test_the_api_rate_comes_from_the_environment():
    run = load_settings(
        "print(s.API_RATE_PER_TOKEN, s.REST_FRAMEWORK['DEFAULT_THROTTLE_RATES']['token'])",
        API_RATE_PER_TOKEN="120/hour",
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["120/hour", "120/hour"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"API_RATE_PER_TOKEN": "lots"}, "API_RATE_PER_TOKEN='lots' is not a rate"),
        ({"SITE_URL": "vendorscore.example.com"}, "SITE_URL='vendorscore.example.com' must"),
        ({"SURVEY_LINK_MAX_AGE_DAYS": "0"}, "SURVEY_LINK_MAX_AGE_DAYS=0 must be at least 1"),
    ],
)
def test_a_malformed_security_setting_stops_start_up(env, message):
    run = load_settings(**env)
    assert run.returncode != 0
    assert message in run.stderr
