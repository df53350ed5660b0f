"""The three roles of DESIGN.md as Django groups: who a user is, and what each role may do
in the admin.

Plumbing every layer needs (pages and endpoints check roles before anything else); which
vendors a role may see is the vendors app's rule (`vendors.selectors.vendors_visible_to`).
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

MANAGER, FINANCE, VENDOR = "manager", "finance", "vendor"
ROLES = (MANAGER, FINANCE, VENDOR)
ALL_ROLES = ROLES
STAFF_ROLES = (MANAGER, FINANCE)  # may compare vendors side by side

_OUR_APPS = ("vendors", "tickets", "assurance", "scorecards")


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


def user_role(user) -> str | None:
    """The user's role: manager, finance or vendor; None for anyone else (no access).

    Remembered on the user object, so a page asks the database once per request.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if not hasattr(user, "_vendorscore_role"):
        user._vendorscore_role = _role_of(user)
    return user._vendorscore_role


def _role_of(user) -> str | None:
    if user.is_superuser:
        return MANAGER
    names = {g.name for g in user.groups.all()}
    # A vendor user is confined to its vendor even if someone also put it in another group.
    # (`vendor_membership` is the vendors app's VendorMembership, reached by its related name.)
    if VENDOR in names or hasattr(user, "vendor_membership"):
        return VENDOR if hasattr(user, "vendor_membership") else None
    if MANAGER in names:
        return MANAGER
    if FINANCE in names:
        return FINANCE
    return None
