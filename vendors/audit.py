"""The audit trail's capture: who is acting, and which saves and deletes are recorded.

The style here is writes in services, not signals. The audit trail is the exception on
purpose: contracts, policies, calendars, weights and tiers change through the admin (forms and
inlines), through services and through the API, and the model signals are the one hook that
sees all three without every writer having to remember to call `audit_record`. The receivers
only diff values and hand them to `audit_record` (the one write, at the end of this module).
Each app registers its own audited models with `track()` from its AppConfig.ready().

`QuerySet.update()` and `bulk_create()` send no signals; the code that uses them on an audited
model (none today except the automatic period close) calls `audit_record` itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.signals import post_delete, post_save, pre_save
from django.http import HttpRequest
from django.utils import timezone

from common.clients import client_ip
from vendors.models import AuditEntry

SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who is acting now: a request (its user is read when a change is recorded, so a user
    authenticated later by DRF's token authentication is seen too), or a named process."""

    request: HttpRequest | None = None
    label: str = ""

    def user(self):
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated:
            return user
        return None


_actor: ContextVar[Actor | None] = ContextVar("vendorscore_audit_actor", default=None)


def current_actor() -> Actor | None:
    return _actor.get()


@contextlib.contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    token = _actor.set(actor)
    try:
        yield
    finally:
        _actor.reset(token)


class AuditActorMiddleware:
    """Makes the request's user the actor of every change made while it is handled."""

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        with acting_as(Actor(request=request)):
            return self.get_response(request)


# Celery: a scheduled or queued task acts as "system"; a task run eagerly inside a request
# keeps the request's user.
_task_tokens: dict[str, object] = {}


def _task_started(task_id: str | None = None, **kwargs) -> None:
    if current_actor() is None and task_id:
        _task_tokens[task_id] = _actor.set(Actor(label=SYSTEM))


def _task_finished(task_id: str | None = None, **kwargs) -> None:
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        with contextlib.suppress(ValueError):  # set in another context: nothing to undo
            _actor.reset(token)


@dataclass(frozen=True)
class Tracked:
    """Which fields of a model are audited, and when a save counts as a change worth a row."""

    exclude: frozenset[str] = frozenset()
    # A change is recorded only if one of these fields changed (empty: any field).
    only_if_changed: frozenset[str] = frozenset()
    # Creations and deletions are recorded unless this says otherwise.
    record_create: Callable[[models.Model], bool] = lambda instance: True
    # Fields naming who acted (a dispute's decider): the actor when no request is around,
    # e.g. a service called from a task or the shell.
    user_fields: tuple[str, ...] = ()

    def acting_user(self, instance: models.Model):
        for name in self.user_fields:
            if getattr(instance, f"{name}_id", None) is not None:
                return getattr(instance, name)
        return None


TRACKED: dict[type[models.Model], Tracked] = {}


def object_type(model: type[models.Model]) -> str:
    return model._meta.label_lower


def tracked_types() -> list[tuple[str, str]]:
    """(object type, readable name) of every audited model, for the audit page's filter."""
    return sorted((object_type(m), str(m._meta.verbose_name).capitalize()) for m in TRACKED)


def track(model: type[models.Model], spec: Tracked | None = None) -> None:
    """Audits `model`'s saves and deletes from now on; each app registers its own models
    from its AppConfig.ready() (so this app never imports a higher one)."""
    TRACKED[model] = spec or Tracked()
    uid = f"audit-{object_type(model)}"
    pre_save.connect(_before_save, sender=model, dispatch_uid=f"{uid}-pre")
    post_save.connect(_after_save, sender=model, dispatch_uid=f"{uid}-post")
    post_delete.connect(_after_delete, sender=model, dispatch_uid=f"{uid}-delete")


def _jsonable(field: models.Field, value):
    """The value as JSON, written the same way whether it came from the instance or the
    database (Decimal("20") and the stored 20.00 are one value, not a change)."""
    if value is not None and isinstance(field, models.DecimalField):
        value = Decimal(value).quantize(Decimal(1).scaleb(-field.decimal_places))
    if isinstance(field, models.FileField):  # the stored file's name, as the database has it
        value = str(value or "")
    # Decimals, dates and times become the strings DjangoJSONEncoder writes; JSON fields stay.
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def field_values(instance: models.Model, spec: Tracked) -> dict:
    """The audited fields' values; a foreign key by its id, under the field's name."""
    return {
        f.name: _jsonable(f, f.value_from_object(instance))
        for f in instance._meta.concrete_fields
        if not f.primary_key and f.name not in spec.exclude
    }


def _stored_values(model: type[models.Model], pk, spec: Tracked) -> dict | None:
    fields = [
        f for f in model._meta.concrete_fields if not f.primary_key and f.name not in spec.exclude
    ]
    row = model._base_manager.filter(pk=pk).values(*[f.attname for f in fields]).first()
    if row is None:
        return None
    return {f.name: _jsonable(f, row[f.attname]) for f in fields}


def _before_save(sender, instance, raw: bool = False, **kwargs) -> None:
    spec = TRACKED.get(sender)
    if spec is None or raw:
        return
    # Read the row as stored rather than trusting the instance's own copy: the instance may
    # have been loaded long ago, with deferred fields, or built by hand with a known pk.
    instance._audit_before = _stored_values(sender, instance.pk, spec) if instance.pk else None


def _after_save(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    spec = TRACKED.get(sender)
    if spec is None or raw:
        return
    before = getattr(instance, "_audit_before", None)
    instance._audit_before = None
    after = field_values(instance, spec)
    user = _request_user() or spec.acting_user(instance)
    if created or before is None:
        if spec.record_create(instance):
            audit_record(instance=instance, action="create", old={}, new=after, user=user)
        return
    changed = {k for k in after if before.get(k) != after[k]}
    if not changed or (spec.only_if_changed and not changed & spec.only_if_changed):
        return
    audit_record(
        instance=instance,
        action="update",
        old={k: before.get(k) for k in sorted(changed)},
        new={k: after[k] for k in sorted(changed)},
        user=user,
    )


def _request_user():
    actor = current_actor()
    return actor.user() if actor is not None else None


def _after_delete(sender, instance, **kwargs) -> None:
    spec = TRACKED.get(sender)
    if spec is None:
        return
    audit_record(instance=instance, action="delete", old=field_values(instance, spec), new={})


def connect() -> None:
    """Called once from VendorsConfig.ready(): the vendors app's own audited models."""
    from celery.signals import task_postrun, task_prerun

    from vendors import models as v

    for model in (
        v.Vendor,
        v.Contract,
        v.SlaPolicy,
        v.SlaTarget,
        v.BusinessCalendar,
        v.OpenInterval,
        v.Holiday,
        v.ScoreWeight,
        v.CreditTier,
    ):
        track(model)
    # Creating and revoking keys; the throttled last-use writes are updates, never saves.
    track(
        v.ApiToken,
        Tracked(
            exclude=frozenset({"key_hash", "last_used_at", "last_used_ip"}),
            user_fields=("revoked_by", "user"),
        ),
    )
    task_prerun.connect(_task_started, dispatch_uid="audit-task-started", weak=False)
    task_postrun.connect(_task_finished, dispatch_uid="audit-task-finished", weak=False)


def audit_record(
    *,
    instance: models.Model,
    action: str,
    old: dict,
    new: dict,
    user=None,
    now: dt.datetime | None = None,
) -> AuditEntry:
    """Writes one audit entry; the actor is `user`, else whoever is acting now (the request's
    user, or "system" in a scheduled task), else unknown (a shell or a command). A change made
    through a request also records the client's address."""
    actor = current_actor()
    request = actor.request if actor is not None else None
    if user is None and actor is not None:
        user = actor.user()
    if user is not None:
        label = user.get_username()
    else:
        label = actor.label if actor is not None and actor.label else ""
    return AuditEntry.objects.create(
        at=now or timezone.now(),
        user=user,
        actor=label[:150],
        object_type=object_type(type(instance)),
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        action=action,
        old_values=old,
        new_values=new,
        ip=client_ip(request) if request is not None else None,
    )
