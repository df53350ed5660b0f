"""Writes of live sources: creating or updating one (what `manage.py add_source` calls)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from tickets.live.credentials import live_source_set_secret
from tickets.models import LiveSource

UNSET = object()  # an option not given: an update keeps the stored value


@transaction.atomic
def live_source_create_or_update(
    *,
    name: str,
    kind: str,
    base_url: str,
    username: str,
    secret: str | None = None,
    filter: str | object = UNSET,
    time_zone: str | object = UNSET,
    interval_minutes: int | object = UNSET,
    enabled: bool | object = UNSET,
) -> tuple[LiveSource, bool]:
    """The source named `name`, created or updated (running it twice changes nothing the
    second time), and whether it was created. A new source needs a secret; an update without
    one keeps the stored secret. ValidationError naming the field on a bad value."""
    name = name.strip()
    source = LiveSource.objects.select_for_update().filter(name=name).first()
    created = source is None
    if created:
        source = LiveSource(name=name)
        if not secret:
            raise ValidationError({"secret": "A new source needs its secret (password or token)."})
    source.kind = kind
    source.base_url = base_url.strip()
    source.username = username.strip()
    for field, value in (
        ("filter", filter),
        ("time_zone", time_zone),
        ("interval_minutes", interval_minutes),
        ("enabled", enabled),
    ):
        if value is not UNSET:
            setattr(source, field, value)
    # The secret is checked apart: a message about it must never quote it.
    source.full_clean(exclude=["secret", "cursor", "last_error"])
    source.save()
    if secret:
        live_source_set_secret(source=source, secret=secret)
    return source, created
