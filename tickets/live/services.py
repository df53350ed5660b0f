"""Writes of live sources: creating or updating one (what `manage.py add_source` calls),
pausing, re-backfilling, and testing its connection."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction

from tickets.live.connectors import ProbeResult, connector_for
from tickets.live.credentials import live_source_set_secret, live_source_set_webhook_secret
from tickets.live.http import SourceError
from tickets.live.sync import BACKFILL_KEY, SyncRefused, source_settings
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
    webhook_secret: str | None = None,
    filter: str | object = UNSET,
    time_zone: str | object = UNSET,
    interval_minutes: int | object = UNSET,
    enabled: bool | object = UNSET,
) -> tuple[LiveSource, bool]:
    """The source named `name`, created or updated (running it twice changes nothing the
    second time), and whether it was created. A new source needs a secret; an update without
    one keeps the stored secret; so for `webhook_secret`, which makes the source accept signed
    deliveries. ValidationError naming the field on a bad value."""
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
    if webhook_secret:
        live_source_set_webhook_secret(source=source, secret=webhook_secret)
    return source, created


def live_source_set_enabled(*, source: LiveSource, enabled: bool) -> LiveSource:
    """Pauses (False) or resumes (True) the source's scheduled runs; its cursor is kept."""
    source.enabled = enabled
    source.save(update_fields=["enabled", "updated_at"])
    return source


def live_source_rebackfill(*, source: LiveSource, since: datetime) -> LiveSource:
    """The next run reads everything updated since `since` again, then goes on incrementally.
    Tickets read again are the upsert's "unchanged" unless the source changed them."""
    source.cursor = {BACKFILL_KEY: since.isoformat()}
    source.save(update_fields=["cursor", "updated_at"])
    return source


def live_source_test_connection(*, source: LiveSource) -> ProbeResult:
    """What the source's account can read, asked of the system now (reads only, no tickets
    written). Every failure comes back as a line of `cannot_read`, never as an exception."""
    connector = connector_for(source.kind)
    if connector is None:
        return ProbeResult([], [f"{source.get_kind_display()} sources are not supported yet."])
    try:
        return connector.probe(source_settings(source), sleep=_no_wait)
    except SyncRefused as exc:
        return ProbeResult([], [str(exc)])
    except SourceError as exc:
        return ProbeResult([], [str(exc)])


def _no_wait(seconds: float) -> None:
    """A button press should not wait out a long Retry-After: it reports the failure instead."""
    raise SourceError(
        f"the source is busy or failing (it would mean waiting {seconds:.0f} s); try again later."
    )
