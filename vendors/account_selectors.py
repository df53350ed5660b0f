"""Reads for the account pages: API tokens and the audit trail.

(Kept beside vendors/selectors.py, whose single concern is which vendors a user may see.)
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils.text import capfirst

from vendors.models import ApiToken, AuditEntry

OWN_TOKENS_SHOWN = 100


def api_tokens_for(*, user) -> list[ApiToken]:
    """The user's own tokens, newest first (a user has a handful; capped all the same)."""
    return list(ApiToken.objects.filter(user=user)[:OWN_TOKENS_SHOWN])


def api_tokens_of_others(*, user) -> QuerySet[ApiToken]:
    """Every other user's tokens, for a manager's overview (paginated by the page)."""
    return ApiToken.objects.exclude(user=user).select_related("user", "revoked_by")


def audit_entries(
    *, object_type: str | None = None, object_id: str | None = None, user_id: int | None = None
) -> QuerySet[AuditEntry]:
    """The audit trail newest first, narrowed by object type (and id) and acting user;
    each filter has its own index, so a page costs the same however long the trail grows."""
    entries = AuditEntry.objects.all()
    if object_type:
        entries = entries.filter(object_type=object_type)
        if object_id:
            entries = entries.filter(object_id=object_id)
    if user_id:
        entries = entries.filter(user_id=user_id)
    return entries.order_by("-at", "-id")


def audit_actors() -> QuerySet:
    """Users who appear in the trail, for the page's user filter."""
    return (
        get_user_model()
        .objects.filter(pk__in=AuditEntry.objects.filter(user__isnull=False).values("user_id"))
        .order_by("username")
        .only("pk", "username")
    )


@dataclass(frozen=True)
class FieldChange:
    field: str  # the field's name, as stored
    label: str  # its verbose name, as the admin shows it
    old: object  # the values as a reader wants them: names for ids, labels for choices
    new: object


def audit_changes_for_page(entries: Iterable[AuditEntry]) -> dict[int, list[FieldChange]]:
    """Each entry's changed fields (entry id -> changes, in field order), labelled and with
    readable values: a related object by its name (one query per related model on the
    page), a choice by its label, a flag as yes/no."""
    entries = list(entries)
    fields = {entry.pk: _fields(entry) for entry in entries}
    wanted: dict[type[models.Model], set] = defaultdict(set)
    for entry in entries:
        for name, field in fields[entry.pk]:
            if field is not None and field.is_relation:
                for value in (entry.old_values.get(name), entry.new_values.get(name)):
                    if value is not None:
                        wanted[field.related_model].add(value)
    names = {
        model: {pk: str(obj) for pk, obj in model._base_manager.in_bulk(list(ids)).items()}
        for model, ids in wanted.items()
    }
    return {
        entry.pk: [
            FieldChange(
                name,
                _label(field, name),
                _readable(field, entry.old_values.get(name), names),
                _readable(field, entry.new_values.get(name), names),
            )
            for name, field in fields[entry.pk]
        ]
        for entry in entries
    }


def _fields(entry: AuditEntry) -> list[tuple[str, models.Field | None]]:
    """(stored name, model field or None if gone since) of the entry's values, in order."""
    stored = list(entry.old_values) + [k for k in entry.new_values if k not in entry.old_values]
    return [(name, _field(entry, name)) for name in stored]


def _field(entry: AuditEntry, name: str) -> models.Field | None:
    """The model field behind a stored name; None if the model or field is gone since."""
    try:
        return apps.get_model(entry.object_type)._meta.get_field(name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None


def _label(field: models.Field | None, name: str) -> str:
    return capfirst(field.verbose_name) if field is not None else name


def _readable(field: models.Field | None, value, names: dict) -> object:
    if value is None or field is None:
        return value
    if field.is_relation:
        name = names.get(field.related_model, {}).get(_pk(field, value))
        return f"{name} (#{value})" if name is not None else f"#{value} (since deleted)"
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(field, models.BooleanField):
        return "yes" if value else "no"
    return value


def _pk(field: models.Field, value):
    """The stored id as the related model's primary key type (JSON keeps ints as ints)."""
    try:
        return field.related_model._meta.pk.to_python(value)
    except ValidationError:
        return value
