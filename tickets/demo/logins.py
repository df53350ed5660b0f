"""The demo logins: one user per role, the vendor user a member of one demo vendor."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from common.roles import FINANCE, MANAGER, VENDOR, ensure_role_groups
from tickets.demo.reference import Cast
from vendors.models import VendorMembership

DEMO_PASSWORD = "vendorscore-demo"
VENDOR_LOGIN_SLUG = "budget-desk-ltd"

DEMO_USERS = (
    # username, is_staff, role group
    ("manager", True, MANAGER),
    ("finance", True, FINANCE),
    ("vendor", False, VENDOR),
)


def create_logins(cast: list[Cast]) -> list[tuple[str, str]]:
    """One login per role (see `DEMO_USERS`); returns (username, role) pairs."""
    groups = ensure_role_groups()
    vendor = next(c.vendor for c in cast if c.profile.slug == VENDOR_LOGIN_SLUG)
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
    logins = []
    users = get_user_model().objects
    for username, is_staff, role in DEMO_USERS:
        # A leftover demo login (say, from a database whose vendors were deleted by hand) is
        # reset rather than tripping over the unique username.
        user = users.filter(username=username).first() or users.model(username=username)
        user.email = f"{username}@demo.vendorscore.example"
        user.first_name, user.last_name = "Demo", role.title()
        user.is_staff, user.is_superuser, user.is_active = is_staff, False, True
        user.password = password
        user.save()
        user.groups.set([groups[role]])
        if role == VENDOR:
            VendorMembership.objects.update_or_create(user=user, defaults={"vendor": vendor})
        logins.append((username, role))
    return logins
