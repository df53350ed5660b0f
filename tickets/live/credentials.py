"""A live source's secrets, encrypted at rest with MultiFernet: the API secret (password or
token) the connectors send, and the webhook secret its deliveries are signed with.

The keys are settings.SOURCE_SECRET_KEYS (the environment's SOURCE_SECRET_KEYS): the first
encrypts, every one decrypts, so a new key goes first and `rotate_source_keys` re-encrypts
what the old ones wrote. Nothing here puts a secret into a message, log line or exception.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError

from tickets.models import LiveSource

NO_KEYS = (
    "SOURCE_SECRET_KEYS is not set, so live sources cannot store secrets: set it to one or "
    "more comma-separated Fernet keys (Fernet.generate_key()) and restart."
)


class SecretUnreadable(Exception):
    """The stored secret decrypts with none of the keys (a key was removed too early)."""


def _fernet() -> MultiFernet:
    keys = list(getattr(settings, "SOURCE_SECRET_KEYS", None) or [])
    if not keys:
        raise ImproperlyConfigured(NO_KEYS)
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(plain: str) -> str:
    """The Fernet token of `plain`, under the first key."""
    return _fernet().encrypt(plain.encode()).decode()


def decrypt(token: str) -> str:
    """The plain secret; SecretUnreadable when no key opens the token."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnreadable(
            "the stored secret decrypts with none of SOURCE_SECRET_KEYS; set it again"
        ) from None


def live_source_set_secret(*, source: LiveSource, secret: str) -> None:
    """Stores the secret encrypted; ValidationError naming `secret` when empty or when no key
    is configured (said then, not at start-up, so installs without live sources start)."""
    _store(source, "secret", secret, empty="The secret (password or API token) is empty.")


def live_source_secret(source: LiveSource) -> str:
    """The plain secret, for the connectors' requests only; never display or log it."""
    if not source.secret:
        raise SecretUnreadable(f"source {source.name!r} has no secret stored; set one")
    return decrypt(source.secret)


def live_source_set_webhook_secret(*, source: LiveSource, secret: str) -> None:
    """Stores the secret the source signs its webhook deliveries with, encrypted; a source
    with one accepts deliveries (tickets.apis.webhooks). ValidationError as for the API
    secret, naming `webhook_secret`."""
    _store(source, "webhook_secret", secret, empty="The webhook secret is empty.")


def _store(source: LiveSource, field: str, secret: str, *, empty: str) -> None:
    if not secret or not secret.strip():
        raise ValidationError({field: empty})
    try:
        token = encrypt(secret.strip())
    except ImproperlyConfigured as exc:
        raise ValidationError({field: str(exc)}) from None
    setattr(source, field, token)
    source.save(update_fields=[field, "updated_at"])


def live_source_webhook_secret(source: LiveSource) -> str:
    """The plain webhook secret, to check a delivery's signature only; never display or log it."""
    if not source.webhook_secret:
        raise SecretUnreadable(f"source {source.name!r} has no webhook secret stored; set one")
    return decrypt(source.webhook_secret)


ENCRYPTED_FIELDS = ("secret", "webhook_secret")


def live_sources_rotate_keys() -> int:
    """Re-encrypts every stored secret (API and webhook) under the first key; the count of
    sources rewritten. Stops before writing anything if one of them decrypts with none of
    the keys."""
    fernet = _fernet()
    rotated = []
    stored = LiveSource.objects.exclude(secret="", webhook_secret="")
    for source in stored.only("pk", "name", *ENCRYPTED_FIELDS):
        for field in ENCRYPTED_FIELDS:
            token = getattr(source, field)
            if not token:
                continue
            try:
                setattr(source, field, fernet.rotate(token.encode()).decode())
            except InvalidToken:
                which = "webhook secret" if field == "webhook_secret" else "secret"
                raise SecretUnreadable(
                    f"source {source.name!r}: its {which} decrypts with none of "
                    "SOURCE_SECRET_KEYS (keep the old key until rotation has run)"
                ) from None
        rotated.append(source)
    LiveSource.objects.bulk_update(rotated, list(ENCRYPTED_FIELDS))
    return len(rotated)
