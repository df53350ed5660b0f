"""Reads for the account pages: API tokens and the audit trail.

(Kept beside vendors/selectors.py, whose single concern is which vendors a user may see.)
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import QuerySet

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
    field: str
    old: object
    new: object


def audit_changes(entry: AuditEntry) -> list[FieldChange]:
    """The entry's fields with their old and new values, in field order."""
    names = list(entry.old_values) + [k for k in entry.new_values if k not in entry.old_values]
    return [
        FieldChange(name, entry.old_values.get(name), entry.new_values.get(name)) for name in names
    ]
