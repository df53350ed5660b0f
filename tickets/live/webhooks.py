"""Webhook deliveries of live sources: who sent them (the signature), whether they are fresh,
and whether they were received before.

A delivery is only a hint that tickets changed: it queues an incremental run of its source,
which reads the tickets from the API (tickets.apis.webhooks). Each kind signs as its system
does, with the source's webhook secret (tickets.live.credentials):

- Jira (admin webhooks with a secret): `X-Hub-Signature: sha256=<hex HMAC-SHA256(secret,
  body)>`; fresh by the body's `timestamp` (ms); its delivery id is
  `X-Atlassian-Webhook-Identifier` (the same on Jira's retries).
- Zendesk: `X-Zendesk-Webhook-Signature: base64(HMAC-SHA256(secret, timestamp + body))` with
  `X-Zendesk-Webhook-Signature-Timestamp` (ISO 8601); its delivery id is the signature.
- ServiceNow (a business rule of ours, ServiceNow has no signed webhooks):
  `X-VendorScore-Timestamp` (Unix seconds) and `X-VendorScore-Signature: sha256=<hex
  HMAC-SHA256(secret, timestamp + "." + body)>`; its delivery id is the signature.

The signature is checked first, so an unsigned request learns nothing else. Signatures are
compared in constant time. Nothing here puts the secret into a message or an exception.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction

from tickets.models import LiveSource, LiveSourceDelivery

MAX_AGE = timedelta(minutes=5)  # older (or further ahead) deliveries are refused as stale
KEEP_DELIVERIES = timedelta(days=1)  # far beyond MAX_AGE: a replay is stale long before
KEY_LENGTH = LiveSourceDelivery._meta.get_field("key").max_length

JIRA_SIGNATURE = "x-hub-signature"
JIRA_DELIVERY_ID = "x-atlassian-webhook-identifier"
ZENDESK_SIGNATURE = "x-zendesk-webhook-signature"
ZENDESK_TIMESTAMP = "x-zendesk-webhook-signature-timestamp"
OUR_SIGNATURE = "x-vendorscore-signature"
OUR_TIMESTAMP = "x-vendorscore-timestamp"


class DeliveryRefused(Exception):
    """The delivery is not accepted; `reason` is all the sender is told: "signature" or
    "stale"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Delivery:
    """A delivery whose signature and age were checked."""

    key: str  # what makes it this delivery: the sender's id, or its signature
    sent_at: datetime | None  # None only before the age check: an undated delivery is stale


def verify_delivery(
    kind: str, *, secret: str, headers: Mapping[str, str], body: bytes, now: datetime
) -> Delivery:
    """The delivery, if `secret` signed it and it was sent within MAX_AGE of `now`;
    DeliveryRefused otherwise (a kind without webhooks is refused as "signature")."""
    headers = {name.lower(): value for name, value in headers.items()}
    verify = _VERIFIERS.get(kind)
    if verify is None:
        raise DeliveryRefused("signature")
    delivery = verify(secret.encode(), headers, body)
    if delivery.sent_at is None or abs(now - delivery.sent_at) > MAX_AGE:
        raise DeliveryRefused("stale")
    return Delivery(key=delivery.key[:KEY_LENGTH], sent_at=delivery.sent_at)


def _jira(secret: bytes, headers: dict[str, str], body: bytes) -> Delivery:
    expected = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
    given = headers.get(JIRA_SIGNATURE, "")
    _check(expected, given)
    try:
        millis = json.loads(body)["timestamp"]
        sent_at = datetime.fromtimestamp(int(millis) / 1000, tz=UTC)
    except (ValueError, KeyError, TypeError, OverflowError, OSError):
        sent_at = None  # signed but undated: its freshness cannot be told
    return Delivery(key=headers.get(JIRA_DELIVERY_ID, "").strip() or given, sent_at=sent_at)


def _zendesk(secret: bytes, headers: dict[str, str], body: bytes) -> Delivery:
    stamp = headers.get(ZENDESK_TIMESTAMP, "")
    digest = hmac.new(secret, stamp.encode() + body, hashlib.sha256).digest()
    given = headers.get(ZENDESK_SIGNATURE, "")
    _check(base64.b64encode(digest).decode(), given)
    try:
        sent_at = datetime.fromisoformat(stamp)
    except ValueError:
        sent_at = None
    if sent_at is not None and sent_at.tzinfo is None:
        sent_at = None  # a time without its offset is no time
    return Delivery(key=given, sent_at=sent_at)


def _ours(secret: bytes, headers: dict[str, str], body: bytes) -> Delivery:
    stamp = headers.get(OUR_TIMESTAMP, "")
    signed = stamp.encode() + b"." + body
    expected = "sha256=" + hmac.new(secret, signed, hashlib.sha256).hexdigest()
    given = headers.get(OUR_SIGNATURE, "")
    _check(expected, given)
    try:
        sent_at = datetime.fromtimestamp(int(stamp), tz=UTC)
    except (ValueError, OverflowError, OSError):
        sent_at = None
    return Delivery(key=given, sent_at=sent_at)


def _check(expected: str, given: str) -> None:
    # compare_digest on bytes: a non-ASCII header must be refused, not raise TypeError.
    if not given or not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise DeliveryRefused("signature")


_VERIFIERS = {"jira": _jira, "zendesk": _zendesk, "servicenow": _ours}


def signed_headers(kind: str, *, secret: str, body: bytes, sent_at: datetime) -> dict[str, str]:
    """The headers the kind's sender would put on `body` sent at `sent_at` (the Jira
    timestamp travels in the body): for tests, and to check a ServiceNow business rule."""
    key = secret.encode()
    if kind == "jira":
        digest = hmac.new(key, body, hashlib.sha256).hexdigest()
        return {"X-Hub-Signature": f"sha256={digest}"}
    if kind == "zendesk":
        stamp = sent_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        digest = hmac.new(key, stamp.encode() + body, hashlib.sha256).digest()
        return {
            "X-Zendesk-Webhook-Signature": base64.b64encode(digest).decode(),
            "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        }
    stamp = str(int(sent_at.timestamp()))
    digest = hmac.new(key, stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-VendorScore-Timestamp": stamp, "X-VendorScore-Signature": f"sha256={digest}"}


# --- the delivery log ---------------------------------------------------------------------


def live_source_delivery_record(*, source: LiveSource, key: str) -> bool:
    """Records the delivery; False if the source had received it already (a replay, or the
    sender's retry of one we answered)."""
    try:
        with transaction.atomic():
            LiveSourceDelivery.objects.create(source=source, key=key)
    except IntegrityError:
        return False
    return True


def live_source_delivery_forget(*, source: LiveSource, key: str) -> None:
    """Forgets a recorded delivery whose run could not be queued, so its retry is taken."""
    LiveSourceDelivery.objects.filter(source=source, key=key).delete()


def live_source_deliveries_clear(*, now: datetime) -> int:
    """Deletes deliveries older than KEEP_DELIVERIES (a replay of one is stale anyway)."""
    deleted, _ = LiveSourceDelivery.objects.filter(received_at__lt=now - KEEP_DELIVERIES).delete()
    return deleted
