"""Webhook deliveries of live sources (POST /api/sources/<id>/webhook/): each kind's signature,
staleness and replay, through the real endpoint, with tasks run in-process: a good delivery
runs the source (the stand-in ServiceNow's incidents become tickets), a refused one runs
nothing, and the webhook secret is in no answer and no log line."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from tests.factories import ContractFactory
from tests.live.standin import PASSWORD, START, USER, cell
from tickets.live.credentials import (
    live_source_secret,
    live_source_webhook_secret,
    live_sources_rotate_keys,
)
from tickets.live.webhooks import (
    MAX_AGE,
    DeliveryRefused,
    live_source_deliveries_clear,
    signed_headers,
    verify_delivery,
)
from tickets.models import ImportRun, LiveSource, LiveSourceDelivery, Ticket

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "whsec-Th3-w3bhook-S1gning-secret"
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def incident_at(n: int) -> dict:
    opened = START + timedelta(hours=n)
    return {
        "number": cell(f"INC{n:07d}"),
        "sys_id": cell(f"{n:032x}"),
        "sys_updated_on": cell(stamp(opened + timedelta(hours=1))),
        "sys_mod_count": cell("2"),
        "opened_at": cell(stamp(opened)),
        "priority": cell("3", "3 - Moderate"),
        "state": cell("2", "In Progress"),
        "assignment_group": cell("a" * 32, "Service Desk"),
    }


@pytest.fixture
def records() -> list[dict]:
    return [incident_at(n) for n in range(1, 4)]


@pytest.fixture(autouse=True)
def keys(settings, monkeypatch):
    settings.SOURCE_SECRET_KEYS = [Fernet.generate_key().decode()]
    monkeypatch.setenv("VENDORSCORE_SOURCE_SECRET", PASSWORD)
    cache.clear()  # the "run queued" marks of an earlier test's sources


@pytest.fixture
def vendor():
    return ContractFactory(vendor__name="Acme Desk").vendor


def add_source(name: str, kind: str, base_url: str, tmp_path) -> LiveSource:
    secret_file = tmp_path / f"{name}.webhook"
    secret_file.write_text(WEBHOOK_SECRET + "\n")
    out = io.StringIO()
    call_command(
        "add_source",
        name,
        f"--kind={kind}",
        f"--url={base_url}",
        f"--user={USER}",
        f"--webhook-secret-file={secret_file}",
        "--map=Service Desk=acme-desk",
        stdout=out,
    )
    source = LiveSource.objects.get(name=name)
    assert "webhook secret stored" in out.getvalue()
    assert f"Webhook URL: /api/sources/{source.pk}/webhook/" in out.getvalue()
    assert WEBHOOK_SECRET not in out.getvalue()
    return source


@pytest.fixture
def snow(base_url, stand_in, vendor, tmp_path) -> LiveSource:
    return add_source("acme-snow", "servicenow", base_url, tmp_path)


@pytest.fixture
def refusing_api(httpserver):
    """Every API request refused (401), so a Jira or Zendesk run ends at its first request;
    the requests it made show a run happened."""
    httpserver.expect_request(re.compile(".*")).respond_with_json({"error": "no"}, status=401)
    return httpserver


def body_of(kind: str, sent_at: datetime) -> bytes:
    if kind == "jira":
        millis = int(sent_at.timestamp() * 1000)
        event = {"timestamp": millis, "webhookEvent": "jira:issue_updated", "issue": {"key": "S-1"}}
    elif kind == "zendesk":
        event = {"type": "zen:event-type:ticket.status_changed", "detail": {"id": "35436"}}
    else:
        event = {"table": "incident", "number": "INC0000001"}
    return json.dumps(event).encode()


def deliver(source: LiveSource, *, sent_at=None, secret=WEBHOOK_SECRET, body=None, **extra):
    """POSTs a delivery as the source's system would sign it; the answer."""
    sent_at = sent_at or timezone.now()
    body = body if body is not None else body_of(source.kind, sent_at)
    headers = signed_headers(source.kind, secret=secret, body=body, sent_at=sent_at) | extra
    # As a sender would: no CSRF token, no session.
    return Client(enforce_csrf_checks=True).post(
        f"/api/sources/{source.pk}/webhook/",
        data=body,
        content_type="application/json",
        headers=headers,
    )


def answer(response) -> tuple[int, str]:
    return response.status_code, response.json()["detail"]


# --- ServiceNow: our business rule's signature; the run reads the stand-in -------------------


def test_a_signed_servicenow_delivery_queues_a_run_and_the_incidents_become_tickets(snow, stand_in):
    response = deliver(snow)

    assert answer(response) == (202, "accepted")
    assert not response.cookies  # no session, no CSRF cookie
    run = ImportRun.objects.get(source="acme-snow")
    assert (run.status, run.tickets_created) == ("done", 3)
    synced = Ticket.objects.filter(source="acme-snow").values_list("external_id", flat=True)
    assert sorted(synced) == [
        "INC0000001",
        "INC0000002",
        "INC0000003",
    ]
    assert LiveSourceDelivery.objects.filter(source=snow).count() == 1


def test_a_bad_signature_is_refused_and_nothing_runs(snow, stand_in):
    body = body_of("servicenow", timezone.now())
    wrong_secret = deliver(snow, secret="not-the-secret")
    tampered = deliver(
        snow,
        body=body + b" ",
        **signed_headers("servicenow", secret=WEBHOOK_SECRET, body=body, sent_at=timezone.now()),
    )
    unsigned = Client().post(
        f"/api/sources/{snow.pk}/webhook/", data=body, content_type="application/json"
    )

    assert [answer(r) for r in (wrong_secret, tampered, unsigned)] == [(401, "signature")] * 3
    assert stand_in.seen == []
    assert not ImportRun.objects.exists()
    assert not LiveSourceDelivery.objects.exists()


def test_a_stale_delivery_is_refused_even_well_signed(snow, stand_in):
    old = deliver(snow, sent_at=timezone.now() - MAX_AGE - timedelta(seconds=5))
    ahead = deliver(snow, sent_at=timezone.now() + MAX_AGE + timedelta(seconds=30))

    assert [answer(old), answer(ahead)] == [(401, "stale"), (401, "stale")]
    assert stand_in.seen == []
    assert not ImportRun.objects.exists()


def test_the_same_delivery_again_is_answered_already_received_and_runs_nothing(snow, stand_in):
    sent_at = timezone.now()
    body = body_of("servicenow", sent_at)
    headers = signed_headers("servicenow", secret=WEBHOOK_SECRET, body=body, sent_at=sent_at)

    first = deliver(snow, sent_at=sent_at, body=body, **headers)
    again = deliver(snow, sent_at=sent_at, body=body, **headers)

    assert [answer(first), answer(again)] == [(202, "accepted"), (200, "already received")]
    assert ImportRun.objects.filter(source="acme-snow").count() == 1


def test_a_paused_source_a_source_without_a_webhook_secret_or_none_at_all_is_not_found(
    snow, stand_in
):
    other = LiveSource.objects.create(
        name="no-hooks", kind="servicenow", base_url="https://acme.example", username="api"
    )
    gone = LiveSource(pk=snow.pk + 100, kind="servicenow")
    LiveSource.objects.filter(pk=snow.pk).update(enabled=False)

    answers = [answer(deliver(s)) for s in (snow, other, gone)]

    assert answers == [(404, "Not found.")] * 3
    assert stand_in.seen == []
    assert Client().get(f"/api/sources/{snow.pk}/webhook/").status_code == 405


# --- Jira and Zendesk: their own signatures; the run reaches their API ------------------------


@pytest.mark.parametrize("kind", ["jira", "zendesk"])
def test_each_kind_accepts_its_own_signature_and_the_run_reads_its_api(
    kind, refusing_api, base_url, vendor, tmp_path
):
    source = add_source(f"acme-{kind}", kind, base_url, tmp_path)

    assert answer(deliver(source)) == (202, "accepted")

    run = ImportRun.objects.get(source=f"acme-{kind}")
    assert run.status == "failed"  # the stand-in refuses every request: the run got there
    assert len(refusing_api.log) >= 1


@pytest.mark.parametrize("kind", ["jira", "zendesk"])
def test_each_kind_refuses_a_bad_signature_a_stale_delivery_and_a_replay(
    kind, refusing_api, base_url, vendor, tmp_path
):
    source = add_source(f"acme-{kind}", kind, base_url, tmp_path)
    sent_at = timezone.now()
    body = body_of(kind, sent_at)
    good = signed_headers(kind, secret=WEBHOOK_SECRET, body=body, sent_at=sent_at)
    if kind == "jira":
        good["X-Atlassian-Webhook-Identifier"] = "9f1c3e2a-delivery-1"

    forged = deliver(source, secret="not-the-secret")
    stale = deliver(source, sent_at=sent_at - MAX_AGE - timedelta(minutes=1))
    assert [answer(forged), answer(stale)] == [(401, "signature"), (401, "stale")]
    assert refusing_api.log == []

    assert answer(deliver(source, body=body, **good)) == (202, "accepted")
    assert answer(deliver(source, body=body, **good)) == (200, "already received")
    assert ImportRun.objects.filter(source=f"acme-{kind}").count() == 1


def test_jira_s_retry_of_a_delivery_is_known_by_its_identifier(
    refusing_api, base_url, vendor, tmp_path
):
    source = add_source("acme-jira", "jira", base_url, tmp_path)
    first = deliver(source, **{"X-Atlassian-Webhook-Identifier": "delivery-7"})
    # Jira's retry: the same delivery id (its body and signature may differ).
    retry = deliver(
        source,
        sent_at=timezone.now() + timedelta(seconds=1),
        **{"X-Atlassian-Webhook-Identifier": "delivery-7", "X-Atlassian-Webhook-Retry": "1"},
    )

    assert [answer(first), answer(retry)] == [(202, "accepted"), (200, "already received")]
    assert list(LiveSourceDelivery.objects.values_list("key", flat=True)) == ["delivery-7"]


# --- the secret ---------------------------------------------------------------------------------


def test_the_webhook_secret_is_stored_encrypted_and_in_no_answer_or_log_line(
    snow, stand_in, caplog
):
    caplog.set_level(logging.DEBUG)
    responses = [
        deliver(snow),
        deliver(snow, secret="not-the-secret"),
        deliver(snow, sent_at=timezone.now() - timedelta(hours=1)),
    ]

    stored = LiveSource.objects.values_list("webhook_secret", flat=True).get(pk=snow.pk)
    assert WEBHOOK_SECRET not in stored
    assert live_source_webhook_secret(LiveSource.objects.get(pk=snow.pk)) == WEBHOOK_SECRET
    assert [r.status_code for r in responses] == [202, 401, 401]
    for response in responses:
        assert WEBHOOK_SECRET not in response.content.decode()
    assert "refused: signature" in caplog.text and "refused: stale" in caplog.text
    assert WEBHOOK_SECRET not in caplog.text
    assert WEBHOOK_SECRET not in repr(snow)


def test_add_source_sets_the_webhook_secret_on_an_update_and_keeps_the_api_secret(
    snow, base_url, tmp_path, monkeypatch
):
    monkeypatch.delenv("VENDORSCORE_SOURCE_SECRET")
    new_secret = tmp_path / "rotated"
    new_secret.write_text("a-new-webhook-secret")
    empty = tmp_path / "empty"
    empty.write_text("  \n")
    args = ["acme-snow", "--kind=servicenow", f"--url={base_url}", f"--user={USER}"]

    call_command("add_source", *args, f"--webhook-secret-file={new_secret}", stdout=io.StringIO())
    with pytest.raises(CommandError, match="--webhook-secret-file .*: the file is empty"):
        call_command("add_source", *args, f"--webhook-secret-file={empty}", stdout=io.StringIO())

    source = LiveSource.objects.get(pk=snow.pk)
    assert live_source_webhook_secret(source) == "a-new-webhook-secret"
    assert live_source_secret(source) == PASSWORD
    assert answer(deliver(source)) == (401, "signature")  # signed with the old secret
    assert answer(deliver(source, secret="a-new-webhook-secret")) == (202, "accepted")


def test_key_rotation_re_encrypts_the_webhook_secret_too(snow, settings):
    old_key = settings.SOURCE_SECRET_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.SOURCE_SECRET_KEYS = [new_key, old_key]

    assert live_sources_rotate_keys() == 1

    settings.SOURCE_SECRET_KEYS = [new_key]  # the old key removed
    source = LiveSource.objects.get(pk=snow.pk)
    assert live_source_webhook_secret(source) == WEBHOOK_SECRET
    assert live_source_secret(source) == PASSWORD


# --- verifying, without the endpoint ------------------------------------------------------------


@pytest.mark.parametrize("kind", ["jira", "zendesk", "servicenow"])
def test_verify_delivery_accepts_the_signed_body_only(kind):
    body = body_of(kind, NOW)
    headers = signed_headers(kind, secret=WEBHOOK_SECRET, body=body, sent_at=NOW)
    lowered = {name.lower(): value for name, value in headers.items()}

    delivery = verify_delivery(kind, secret=WEBHOOK_SECRET, headers=lowered, body=body, now=NOW)

    assert delivery.sent_at == NOW
    for secret, signed_body, now in (
        ("other", body, NOW),
        (WEBHOOK_SECRET, body.replace(b"}", b', "x": 1}'), NOW),
        (WEBHOOK_SECRET, body, NOW + MAX_AGE + timedelta(seconds=1)),
    ):
        with pytest.raises(DeliveryRefused):
            verify_delivery(kind, secret=secret, headers=headers, body=signed_body, now=now)


def test_verify_delivery_refuses_what_it_cannot_read_without_raising_anything_else():
    body = body_of("servicenow", NOW)
    bad_headers = [
        {},
        {"X-VendorScore-Timestamp": "soon", "X-VendorScore-Signature": "sha256=00"},
        {"X-VendorScore-Timestamp": "1", "X-VendorScore-Signature": "sha256=é"},
    ]
    for headers in bad_headers:
        with pytest.raises(DeliveryRefused) as refused:
            verify_delivery("servicenow", secret="s", headers=headers, body=body, now=NOW)
        assert refused.value.reason == "signature"
    # Signed, but with no time it can be read by: stale.
    undated = json.dumps({"webhookEvent": "jira:issue_updated"}).encode()
    headers = signed_headers("jira", secret="s", body=undated, sent_at=NOW)
    with pytest.raises(DeliveryRefused) as refused:
        verify_delivery("jira", secret="s", headers=headers, body=undated, now=NOW)
    assert refused.value.reason == "stale"
    with pytest.raises(DeliveryRefused):
        verify_delivery("freshdesk", secret="s", headers={}, body=body, now=NOW)


def test_zendesk_signs_the_timestamp_then_the_body_as_its_documentation_says():
    # base64(HMAC-SHA256(secret, TIMESTAMP + BODY)), worked out here independently.
    body, when = b'{"say": "hello"}', "2026-12-01T12:00:00Z"
    signature = base64.b64encode(
        hmac.new(b"zd-secret", when.encode() + body, hashlib.sha256).digest()
    ).decode()
    headers = {
        "X-Zendesk-Webhook-Signature": signature,
        "X-Zendesk-Webhook-Signature-Timestamp": when,
    }

    delivery = verify_delivery("zendesk", secret="zd-secret", headers=headers, body=body, now=NOW)

    assert (delivery.key, delivery.sent_at) == (signature, NOW)


def test_old_deliveries_are_cleared_after_a_day(snow):
    kept = LiveSourceDelivery.objects.create(source=snow, key="recent")
    old = LiveSourceDelivery.objects.create(source=snow, key="old")
    LiveSourceDelivery.objects.filter(pk=old.pk).update(
        received_at=timezone.now() - timedelta(days=1, minutes=1)
    )

    assert live_source_deliveries_clear(now=timezone.now()) == 1
    assert list(LiveSourceDelivery.objects.values_list("pk", flat=True)) == [kept.pk]
