"""Writes for vendors: API tokens and the audit trail."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone

from vendors.audit import SYSTEM, audit_record, current_actor
from vendors.models import ApiToken, AuditEntry
from vendors.selectors import user_may_manage

TOKEN_SCHEME = "vs_"  # makes a leaked key recognisable to secret scanners and to people
PREFIX_LENGTH = len(TOKEN_SCHEME) + 8
MAX_ACTIVE_TOKENS = 50


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    key: str  # shown to its owner once, never stored


def api_token_create(
    *, user, name: str, expires_in_days: int | None = None, now: dt.datetime | None = None
) -> NewToken:
    """A new token for `user`; the plain key is returned here and never again."""
    name = name.strip()
    if not name:
        raise ValidationError({"name": "Name the token after what will use it."})
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise ValidationError({"name": "Keep the name under 100 characters."})
    if expires_in_days is not None and expires_in_days < 1:
        raise ValidationError({"expires_in_days": "A token lasts at least one day."})
    now = now or timezone.now()
    active = ApiToken.objects.filter(user=user, revoked_at__isnull=True).exclude(
        expires_at__lte=now
    )
    if active.count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            {"name": f"You have {MAX_ACTIVE_TOKENS} active tokens; revoke one you no longer use."}
        )
    key = TOKEN_SCHEME + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=key[:PREFIX_LENGTH],
        key_hash=api_token_hash(key),
        created_at=now,
        expires_at=now + dt.timedelta(days=expires_in_days) if expires_in_days else None,
    )
    return NewToken(token=token, key=key)


def api_token_revoke(*, user, token_id: int, now: dt.datetime | None = None) -> ApiToken:
    """Revokes one of the user's own tokens (a manager may revoke anyone's); another user's
    token is a 404, so its id reveals nothing."""
    tokens = ApiToken.objects.all() if user_may_manage(user) else ApiToken.objects.filter(user=user)
    try:
        token = tokens.get(pk=token_id)
    except ApiToken.DoesNotExist:
        raise Http404("No such token.") from None
    if token.revoked_at is None:
        token.revoked_at, token.revoked_by = now or timezone.now(), user
        token.save(update_fields=["revoked_at", "revoked_by"])
    return token


def api_token_touch(*, token: ApiToken, ip: str | None, now: dt.datetime | None = None) -> None:
    """Records a token's last use, at most once a minute so busy scripts do not write on
    every request (an update, so it sends no signal and is not audited)."""
    now = now or timezone.now()
    if token.last_used_at and now - token.last_used_at < dt.timedelta(minutes=1):
        return
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip)
    token.last_used_at, token.last_used_ip = now, ip


def audit_record_created(*, instances, user=None, label: str = SYSTEM) -> list[AuditEntry]:
    """Entries for rows written by `bulk_create`, which sends no signals (the nightly
    automatic period close)."""
    from vendors import audit

    entries = []
    for instance in instances:
        spec = audit.TRACKED.get(type(instance)) or audit.Tracked()
        with audit.acting_as(current_actor() or audit.Actor(label=label)):
            entries.append(
                audit_record(
                    instance=instance,
                    action="create",
                    old={},
                    new=audit.field_values(instance, spec),
                    user=user,
                )
            )
    return entries
