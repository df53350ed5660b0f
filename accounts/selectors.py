"""Reads of accounts for the users page: a handful of queries for the whole list, never one
per user."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from allauth.mfa.models import Authenticator
from allauth.socialaccount.adapter import get_adapter as socialaccount_adapter
from allauth.socialaccount.models import SocialAccount
from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils import timezone

from accounts.models import Invitation
from common.roles import MANAGER, user_role

User = get_user_model()


def stored_role(user) -> str | None:
    """The user's role as stored, even while they are deactivated (user_role() answers None
    for an inactive user: they may do nothing, but the page still says what they were)."""
    if user.is_active:
        return user_role(user)
    user.is_active = True
    try:
        return user_role(user)
    finally:
        user.is_active = False
        user.__dict__.pop("_vendorscore_role", None)


def other_active_managers(user) -> bool:
    """Whether an active manager other than `user` exists (a superuser counts as one)."""
    managers = (
        User.objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name=MANAGER, vendor_membership__isnull=True))
        .exclude(pk=user.pk)
    )
    return managers.exists()


# --- lockouts: django-axes' records, read with the limits axes is configured with ----------------


def failure_limit() -> int:
    limit = getattr(settings, "AXES_FAILURE_LIMIT", 10)
    return limit if isinstance(limit, int) else 10  # a callable limit depends on the request


def cool_off() -> dt.timedelta | None:
    """How long a lockout lasts (None: until lifted), as axes reads AXES_COOLOFF_TIME."""
    if not hasattr(settings, "AXES_COOLOFF_TIME"):
        return dt.timedelta(minutes=15)
    try:
        return get_cool_off(None)
    except Exception:  # a callable that needs the request: axes' own default window
        return dt.timedelta(minutes=15)


def locked_out_names(now: dt.datetime | None = None) -> set[str]:
    """Usernames (or e-mails, as typed on the login page) locked out now, lower-cased."""
    attempts = AccessAttempt.objects.filter(failures_since_start__gte=failure_limit())
    window = cool_off()
    if window is not None:
        attempts = attempts.filter(attempt_time__gt=(now or timezone.now()) - window)
    return {name.lower() for name in attempts.values_list("username", flat=True) if name}


# --- the users page ------------------------------------------------------------------------------


@dataclass
class UserRow:
    user: object
    role: str | None
    vendor: object | None
    two_factor: bool
    sso_providers: list[str] = field(default_factory=list)
    has_password: bool = False
    invitation: Invitation | None = None  # only while it waits to be accepted
    locked_out: bool = False

    @property
    def invitation_expired(self) -> bool:
        return self.invitation is not None and self.invitation.expires_at <= timezone.now()


def users_for_page(now: dt.datetime | None = None) -> list[UserRow]:
    users = list(
        User.objects.select_related("vendor_membership__vendor", "invitation")
        .prefetch_related("groups")
        .order_by("username")
    )
    # A second factor is a TOTP app or a security key; recovery codes only back them up.
    factors = Authenticator.objects.exclude(type=Authenticator.Type.RECOVERY_CODES)
    with_2fa = set(factors.values_list("user_id", flat=True).distinct())
    sso: dict[int, list[str]] = defaultdict(list)
    for user_id, provider in SocialAccount.objects.values_list("user_id", "provider"):
        sso[user_id].append(provider)
    locked = locked_out_names(now)
    rows = []
    for user in users:
        membership = getattr(user, "vendor_membership", None)
        invitation = getattr(user, "invitation", None)
        rows.append(
            UserRow(
                user=user,
                role=stored_role(user),
                vendor=membership.vendor if membership else None,
                two_factor=user.pk in with_2fa,
                sso_providers=sorted(set(sso.get(user.pk, []))),
                has_password=user.has_usable_password(),
                invitation=invitation if invitation and invitation.pending else None,
                locked_out=user.username.lower() in locked
                or bool(user.email and user.email.lower() in locked),
            )
        )
    return rows


def user_for_page(user_id: int):
    return get_object_or_404(User.objects.select_related("vendor_membership__vendor"), pk=user_id)


def sso_login_links(request) -> list[tuple[str, str]]:
    """(name, login URL) of each configured single sign-on provider, for the invitation page."""
    links = []
    try:
        providers = socialaccount_adapter().list_providers(request)
    except Exception:  # a provider set up wrongly must not break the invitation page
        return []
    for provider in providers:
        try:
            links.append((provider.name, provider.get_login_url(request)))
        except Exception:
            continue
    return links
