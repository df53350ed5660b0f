"""Single sign-on with OpenID Connect: which role a new SSO user gets from the provider's
claims (SSO_ROLE_CLAIM, SSO_ROLE_MAP), its provisioning, and the domains that may not use a
password (SSO_PASSWORD_OFF_DOMAINS).

allauth does the protocol (discovery, PKCE, code exchange, ID token checks); the adapter in
accounts/adapters.py calls in here. The mapping is applied once, at the first sign-in: after
that the user's role is the managers' to change on the users page, not the provider's.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from common.roles import MANAGER, STAFF_ROLES, VENDOR
from vendors.audit import Actor, acting_as, audit_record
from vendors.models import Vendor, VendorMembership


@dataclass(frozen=True)
class Grant:
    """What the claims give a new SSO user: a role, and the vendor of a vendor user."""

    role: str
    vendor: Vendor | None = None


def claims_of(sociallogin) -> dict:
    """The ID token's claims overlaid with userinfo's (some providers put groups in one only)."""
    data = sociallogin.account.extra_data or {}
    return {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}


def claim_values(claims: dict, claim: str | None = None) -> list[str]:
    value = claims.get(claim or settings.SSO_ROLE_CLAIM)
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return [str(value)]


def grant_for(values: list[str]) -> Grant | None:
    """The role the claim values map to; None (no access until a manager approves) when none
    maps, when they point to two different vendors or to a vendor and a staff role, or when
    the vendor slug names no vendor."""
    targets = {settings.SSO_ROLE_MAP[v] for v in values if v in settings.SSO_ROLE_MAP}
    if not targets:
        return None
    vendor_slugs = {slug for role, slug in targets if role == VENDOR}
    staff_roles = {role for role, _ in targets if role in STAFF_ROLES}
    if vendor_slugs:
        if staff_roles or len(vendor_slugs) > 1:
            return None  # contradictory: a person decides
        vendor = Vendor.objects.filter(slug=vendor_slugs.pop()).first()
        return Grant(VENDOR, vendor) if vendor is not None else None
    # Several staff groups: the wider role (a manager who is also in finance is a manager).
    return Grant(MANAGER if MANAGER in staff_roles else staff_roles.pop())


@transaction.atomic
def provision(user, grant: Grant | None, *, provider_id: str, values: list[str]) -> None:
    """Gives a just-created SSO user its role (and vendor), or leaves it inactive to await a
    manager's approval; either way an audit entry says what the claims gave."""
    if grant is not None:
        user.groups.add(Group.objects.get_or_create(name=grant.role)[0])
        if grant.vendor is not None:
            VendorMembership.objects.create(user=user, vendor=grant.vendor)
    if user.is_active != (grant is not None):
        user.is_active = grant is not None
        user.save(update_fields=["is_active"])
    with acting_as(Actor(label=f"sso:{provider_id}")):
        audit_record(
            instance=user,
            action="create",
            old={},
            new={
                "single_sign_on": provider_id,
                "role": grant.role if grant else "",
                "vendor": grant.vendor.slug if grant and grant.vendor else "",
                "is_active": grant is not None,
                "awaiting_approval": grant is None,
                settings.SSO_ROLE_CLAIM: values[:50],
            },
        )


def users_awaiting_approval():
    """SSO users the claims gave no role: inactive, never signed in, with a social account.
    A manager approves one by giving it a role and activating it (the users page)."""
    return (
        get_user_model()
        .objects.filter(is_active=False, last_login__isnull=True, socialaccount__isnull=False)
        .distinct()
    )


def is_awaiting_approval(user) -> bool:
    return users_awaiting_approval().filter(pk=user.pk).exists()


def email_domain(email: str | None) -> str:
    return (email or "").rpartition("@")[2].strip().lower()


def password_off(email: str | None) -> bool:
    """Whether this address's users must sign in with SSO (no password login, no reset)."""
    domain = email_domain(email)
    return bool(domain) and domain in settings.SSO_PASSWORD_OFF_DOMAINS


def password_off_for_login(login: str) -> bool:
    """The login form's check, by the address typed or the address of the username typed."""
    if not settings.SSO_PASSWORD_OFF_DOMAINS:
        return False
    if "@" in login and password_off(login):
        return True
    user = get_user_model().objects.filter(username__iexact=login).only("email").first()
    return user is not None and password_off(user.email)


def provider_names() -> list[str]:
    apps = settings.SOCIALACCOUNT_PROVIDERS.get("openid_connect", {}).get("APPS", [])
    return [app["name"] for app in apps]
