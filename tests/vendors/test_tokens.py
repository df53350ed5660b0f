"""API tokens: created and named on the API tokens page, shown once, stored as a hash,
used as `Authorization: Bearer <key>`, revocable, confined like their user, rate-limited."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from common.roles import ensure_role_groups
from tests.factories import VendorFactory
from vendors.models import ApiToken, VendorMembership
from vendors.services import api_token_create, api_token_revoke

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.vendors.token_urls")]

PROBE = "/api/v1/probe/vendors"
BULK = "/api/v1/tickets/bulk"


def make_user(username: str, role: str, vendor=None):
    user = get_user_model().objects.create_user(username, password="pw-123456")
    user.groups.add(ensure_role_groups()[role])
    if vendor is not None:
        VendorMembership.objects.create(user=user, vendor=vendor)
    return user


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def vendor_a():
    return VendorFactory(name="Acme IT", slug="acme-it")


@pytest.fixture
def vendor_b():
    return VendorFactory(name="Bravo Support", slug="bravo-support")


@pytest.fixture
def manager():
    return make_user("manager", "manager")


@pytest.fixture
def finance():
    return make_user("finance", "finance")


@pytest.fixture
def vendor_a_user(vendor_a):
    return make_user("alice", "vendor", vendor_a)


@pytest.fixture
def vendor_b_user(vendor_b):
    return make_user("bob", "vendor", vendor_b)


def bearer(key: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


# The page


def test_creating_a_token_on_the_page_shows_its_key_once_and_stores_only_its_hash(client, finance):
    client.force_login(finance)
    response = client.post(reverse("api-tokens"), {"name": "ERP monthly pull"})
    assert response.status_code == 201
    token = ApiToken.objects.get(user=finance)
    key = response.context["created"].key
    assert key.startswith("vs_") and len(key) > 40
    assert key in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    # Only the SHA-256 and the first 11 characters are stored; the key itself nowhere.
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert token.prefix == key[:11]
    assert token.name == "ERP monthly pull"
    stored = ApiToken.objects.filter(pk=token.pk).values().get()
    assert key not in [str(v) for v in stored.values()]
    # The list shows the token by name and prefix, never the key again.
    page = client.get(reverse("api-tokens")).content.decode()
    assert "ERP monthly pull" in page and f"{token.prefix}…" in page
    assert key not in page


def test_a_token_needs_a_name(client, finance):
    client.force_login(finance)
    response = client.post(reverse("api-tokens"), {"name": "  "})
    assert response.status_code == 200
    assert not ApiToken.objects.exists()


def test_a_token_can_be_created_to_expire(client, finance):
    client.force_login(finance)
    before = timezone.now()
    client.post(reverse("api-tokens"), {"name": "Quarterly", "expires_in_days": "90"})
    token = ApiToken.objects.get()
    assert before + dt.timedelta(days=90) <= token.expires_at
    assert token.expires_at <= timezone.now() + dt.timedelta(days=90)


@pytest.mark.parametrize("who", ["manager", "finance", "vendor_a_user"])
def test_every_role_may_open_the_tokens_page(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("api-tokens")).status_code == 200


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("api-tokens"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_page_lists_only_your_own_tokens_unless_you_manage(
    client, finance, vendor_a_user, manager
):
    api_token_create(user=finance, name="finance-script")
    api_token_create(user=vendor_a_user, name="alice-script")
    client.force_login(vendor_a_user)
    page = client.get(reverse("api-tokens")).content.decode()
    assert "alice-script" in page and "finance-script" not in page
    client.force_login(manager)
    page = client.get(reverse("api-tokens")).content.decode()
    assert "alice-script" in page and "finance-script" in page


def test_the_tokens_page_costs_the_same_with_many_tokens(
    client, manager, finance, django_assert_max_num_queries
):
    for i in range(30):
        api_token_create(user=finance if i % 2 else manager, name=f"script {i}")
    client.force_login(manager)
    # session, user, membership, groups (read three times by the role checks), nav vendors,
    # own tokens, others' count and page: ten, however many tokens there are.
    with django_assert_max_num_queries(11):
        assert client.get(reverse("api-tokens")).status_code == 200


def test_revoking_your_token_on_the_page_stops_it_at_once(client, finance):
    created = api_token_create(user=finance, name="old script")
    client.force_login(finance)
    response = client.post(reverse("api-token-revoke", args=[created.token.pk]))
    assert response.status_code == 302
    created.token.refresh_from_db()
    assert created.token.revoked_at is not None
    assert created.token.revoked_by == finance
    client.logout()
    refused = client.get(PROBE, **bearer(created.key))
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    assert refused["WWW-Authenticate"].startswith("Bearer")


def test_you_cannot_revoke_another_users_token(client, finance, vendor_a_user):
    theirs = api_token_create(user=finance, name="finance-script")
    client.force_login(vendor_a_user)
    response = client.post(reverse("api-token-revoke", args=[theirs.token.pk]))
    assert response.status_code == 404
    theirs.token.refresh_from_db()
    assert theirs.token.revoked_at is None


def test_a_manager_may_revoke_anyones_token(client, manager, finance):
    theirs = api_token_create(user=finance, name="finance-script")
    client.force_login(manager)
    assert client.post(reverse("api-token-revoke", args=[theirs.token.pk])).status_code == 302
    theirs.token.refresh_from_db()
    assert theirs.token.revoked_by == manager


def test_revoking_needs_a_post(client, finance):
    created = api_token_create(user=finance, name="script")
    client.force_login(finance)
    assert client.get(reverse("api-token-revoke", args=[created.token.pk])).status_code == 405


# Authentication


def test_a_bearer_token_authenticates_as_its_user(client, finance, vendor_a, vendor_b):
    created = api_token_create(user=finance, name="script")
    response = client.get(PROBE, **bearer(created.key))
    assert response.status_code == 200
    assert response.json() == {"user": "finance", "vendors": ["acme-it", "bravo-support"]}


def test_a_bearer_token_works_on_the_ticket_bulk_endpoint(client, manager):
    created = api_token_create(user=manager, name="integration")
    body = {"source": "test", "tickets": []}
    response = client.post(BULK, body, content_type="application/json", **bearer(created.key))
    # Authenticated and allowed (no CSRF token needed with a bearer key); the empty list is
    # then refused by the endpoint's own validation.
    assert response.status_code == 400
    assert "tickets" in response.json()


def test_a_vendor_users_token_sees_only_its_vendor(client, vendor_a_user, vendor_b):
    created = api_token_create(user=vendor_a_user, name="alice-script")
    response = client.get(PROBE, **bearer(created.key))
    assert response.json()["vendors"] == ["acme-it"]


def test_a_vendor_users_token_may_not_import_tickets(client, vendor_a_user):
    created = api_token_create(user=vendor_a_user, name="alice-script")
    body = {"source": "test", "tickets": [{}]}
    response = client.post(BULK, body, content_type="application/json", **bearer(created.key))
    assert response.status_code == 403


def test_an_unknown_key_is_refused_with_401(client, finance):
    api_token_create(user=finance, name="script")
    response = client.get(PROBE, **bearer("vs_not-a-real-key"))
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_an_expired_token_is_refused_with_401_saying_so(client, finance):
    created = api_token_create(
        user=finance,
        name="script",
        expires_in_days=30,
        now=timezone.now() - dt.timedelta(days=31),
    )
    response = client.get(PROBE, **bearer(created.key))
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_deactivated_users_token_is_refused(client, finance):
    created = api_token_create(user=finance, name="script")
    finance.is_active = False
    finance.save()
    assert client.get(PROBE, **bearer(created.key)).status_code == 401


def test_a_malformed_authorization_header_is_refused(client):
    response = client.get(PROBE, HTTP_AUTHORIZATION="Bearer two parts")
    assert response.status_code == 401


def test_a_request_without_credentials_is_still_refused_with_403(client):
    assert client.get(PROBE).status_code == 403


def test_the_last_use_is_recorded_at_most_once_a_minute(client, finance):
    created = api_token_create(user=finance, name="script")
    assert created.token.last_used_at is None
    client.get(PROBE, **bearer(created.key), REMOTE_ADDR="203.0.113.7")
    token = ApiToken.objects.get()
    first_use = token.last_used_at
    assert first_use is not None
    assert token.last_used_ip == "203.0.113.7"
    client.get(PROBE, **bearer(created.key), REMOTE_ADDR="203.0.113.8")
    token.refresh_from_db()
    assert (token.last_used_at, token.last_used_ip) == (first_use, "203.0.113.7")
    # A minute later the next use is written again.
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - dt.timedelta(minutes=2))
    client.get(PROBE, **bearer(created.key), REMOTE_ADDR="203.0.113.8")
    token.refresh_from_db()
    assert token.last_used_ip == "203.0.113.8"


def test_the_service_refuses_revoking_another_users_token_with_404(finance, vendor_a_user):
    from django.http import Http404

    theirs = api_token_create(user=finance, name="script")
    with pytest.raises(Http404):
        api_token_revoke(user=vendor_a_user, token_id=theirs.token.pk)


# Rate limits


def _rates(rate: str) -> dict:
    return {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": rate}}


def test_a_token_over_its_rate_gets_429_with_retry_after(client, finance):
    created = api_token_create(user=finance, name="script")
    with override_settings(REST_FRAMEWORK=_rates("3/min")):
        answers = [client.get(PROBE, **bearer(created.key)).status_code for _ in range(4)]
        assert answers == [200, 200, 200, 429]
        limited = client.get(PROBE, **bearer(created.key))
        assert limited.status_code == 429
        assert 0 < int(limited["Retry-After"]) <= 60


def test_each_token_has_its_own_allowance(client, finance):
    first = api_token_create(user=finance, name="first")
    second = api_token_create(user=finance, name="second")
    with override_settings(REST_FRAMEWORK=_rates("2/min")):
        for _ in range(2):
            assert client.get(PROBE, **bearer(first.key)).status_code == 200
        assert client.get(PROBE, **bearer(first.key)).status_code == 429
        assert client.get(PROBE, **bearer(second.key)).status_code == 200


def test_a_session_is_limited_per_user(client, finance):
    client.force_login(finance)
    with override_settings(REST_FRAMEWORK=_rates("2/min")):
        assert [client.get(PROBE).status_code for _ in range(3)] == [200, 200, 429]
