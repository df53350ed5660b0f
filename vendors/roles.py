"""The three roles of DESIGN.md as Django groups, with the admin permissions each carries."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

MANAGER, FINANCE, VENDOR = "manager", "finance", "vendor"
ROLES = (MANAGER, FINANCE, VENDOR)

_OUR_APPS = ("vendors", "tickets", "scorecards")


def ensure_role_groups(*, using: str = "default") -> dict[str, Group]:
    """Create or refresh the role groups; safe to run any number of times."""
    ours = Permission.objects.using(using).filter(content_type__app_label__in=_OUR_APPS)
    groups = {name: Group.objects.using(using).get_or_create(name=name)[0] for name in ROLES}
    groups[MANAGER].permissions.set(ours)
    groups[FINANCE].permissions.set(
        ours.filter(codename__startswith="view_")
        | ours.filter(codename__in=["add_invoice", "change_invoice"])
    )
    # Vendor users never reach the admin; their pages check vendor membership instead.
    groups[VENDOR].permissions.clear()
    return groups
