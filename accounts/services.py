"""Writes of accounts: invitations, roles, deactivation, lockouts (reads are in selectors).

Every change to a user lands in the audit trail (vendors.audit) with the user as its object
and the role, vendor and active state before and after.
"""

from __future__ import annotations

import datetime as dt
import re
from importlib import import_module

from allauth.usersessions.adapter import get_adapter as usersessions_adapter
from allauth.usersessions.models import UserSession
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import Invitation
from accounts.selectors import other_active_managers, stored_role
from accounts.tokens import invitation_tokens
from common.roles import MANAGER, ROLES, VENDOR, ensure_role_groups
from vendors.audit import audit_record
from vendors.models import ApiToken, Vendor, VendorMembership

User = get_user_model()


# --- what a user is, for the audit trail ---------------------------------------------------------


def _state(user) -> dict:
    membership = VendorMembership.objects.filter(user=user).select_related("vendor").first()
    fresh = User.objects.get(pk=user.pk)  # the role as stored, not a cached one
    return {
        "role": stored_role(fresh),
        "vendor": membership.vendor.slug if membership else None,
        "is_active": fresh.is_active,
    }


def _audit(user, *, before: dict, after: dict, by, action: str = "update") -> None:
    # A change names only what changed; a creation names everything.
    changed = sorted(k for k in after if action == "create" or before.get(k) != after[k])
    audit_record(
        instance=user,
        action=action,
        old={k: before.get(k) for k in changed},
        new={k: after[k] for k in changed},
        user=by,
    )


# --- roles ---------------------------------------------------------------------------------------


def _check_role(role: str, vendor: Vendor | None) -> None:
    if role not in ROLES:
        raise ValidationError({"role": f"{role!r} is not a role: manager, finance or vendor."})
    if role == VENDOR and vendor is None:
        raise ValidationError({"vendor": "A vendor's user needs its vendor."})
    if role != VENDOR and vendor is not None:
        raise ValidationError({"vendor": "Only vendor users belong to a vendor."})


def _set_role(user, role: str, vendor: Vendor | None) -> None:
    groups = ensure_role_groups()
    user.groups.remove(*groups.values())
    user.groups.add(groups[role])
    if role == VENDOR:
        VendorMembership.objects.update_or_create(user=user, defaults={"vendor": vendor})
    else:
        VendorMembership.objects.filter(user=user).delete()
    if hasattr(user, "_vendorscore_role"):
        del user._vendorscore_role


def _refuse_if_last_manager(user, what: str) -> None:
    if stored_role(user) == MANAGER and user.is_active and not other_active_managers(user):
        raise ValidationError(
            f"{user.get_username()} is the last active manager: {what} would leave nobody to "
            "manage VendorScore. Invite or promote another manager first."
        )


@transaction.atomic
def user_change_role(*, user, role: str, vendor: Vendor | None, by) -> None:
    _check_role(role, vendor)
    user = User.objects.select_for_update().get(pk=user.pk)
    if role != MANAGER:
        _refuse_if_last_manager(user, "a change of role")
    before = _state(user)
    _set_role(user, role, vendor)
    invitation = Invitation.objects.filter(user=user, accepted_at__isnull=True).first()
    if invitation is not None:
        invitation.role, invitation.vendor = role, vendor
        invitation.save(update_fields=["role", "vendor"])
    _audit(user, before=before, after=_state(user), by=by)


# --- deactivation --------------------------------------------------------------------------------


def end_sessions(user) -> int:
    """Ends every session of the user at once: allauth's list of them, and any other stored
    session (one started before allauth tracked it); the number ended."""
    tracked = list(UserSession.objects.filter(user=user))
    usersessions_adapter().end_sessions(tracked)
    ended = len(tracked)
    if settings.SESSION_ENGINE == "django.contrib.sessions.backends.db":
        store = import_module(settings.SESSION_ENGINE).SessionStore
        user_id = str(user.pk)
        live = Session.objects.filter(expire_date__gt=timezone.now())
        for session in live.iterator():
            if store().decode(session.session_data).get("_auth_user_id") == user_id:
                session.delete()
                ended += 1
    return ended


def _revoke_tokens(user, *, by, now: dt.datetime) -> None:
    for token in ApiToken.objects.filter(user=user, revoked_at__isnull=True):
        token.revoked_at, token.revoked_by = now, by
        token.save(update_fields=["revoked_at", "revoked_by"])  # audited by vendors.audit


@transaction.atomic
def user_deactivate(*, user, by, now: dt.datetime | None = None) -> None:
    """Deactivates the user: their sessions end and their API tokens are revoked at once."""
    user = User.objects.select_for_update().get(pk=user.pk)
    if by is not None and user.pk == by.pk:
        raise ValidationError("You cannot deactivate yourself; ask another manager.")
    _refuse_if_last_manager(user, "deactivating them")
    before = _state(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    _revoke_tokens(user, by=by, now=now or timezone.now())
    end_sessions(user)
    _audit(user, before=before, after=_state(user), by=by)


@transaction.atomic
def user_reactivate(*, user, by) -> None:
    user = User.objects.select_for_update().get(pk=user.pk)
    before = _state(user)
    user.is_active = True
    user.save(update_fields=["is_active"])
    _audit(user, before=before, after=_state(user), by=by)


# --- lockouts ------------------------------------------------------------------------------------


def lockout_lift(*, user, by) -> int:
    """Makes django-axes forget the user's failed logins (by username and by e-mail, the two
    names the login form takes); the number of records removed."""
    removed = axes_reset(username=user.get_username())
    if user.email:
        removed += axes_reset(username=user.email)
    audit_record(
        instance=user, action="update", old={"locked_out": True}, new={"locked_out": False}, user=by
    )
    return removed


# --- invitations ---------------------------------------------------------------------------------


def _username_from(email: str) -> str:
    stem = re.sub(r"[^\w.+-]", "", email.split("@")[0].lower())[:140] or "user"
    name, n = stem, 1
    while User.objects.filter(username__iexact=name).exists():
        n += 1
        name = f"{stem}-{n}"
    return name


def invitation_link(user) -> str:
    path = reverse(
        "invitation-accept",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_tokens.make_token(user),
        },
    )
    return settings.SITE_URL + path


def _send(invitation: Invitation) -> None:
    context = {
        "invitation": invitation,
        "user": invitation.user,
        "link": invitation_link(invitation.user),
        "invited_by": invitation.invited_by,
        "days": settings.INVITATION_DAYS,
    }
    subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
    body = render_to_string("accounts/email/invitation_body.txt", context)
    send_mail(subject, body, None, [invitation.user.email])


@transaction.atomic
def invite_user(
    *, email: str, role: str, vendor: Vendor | None, by, now: dt.datetime | None = None
) -> Invitation:
    """A new user with the role (and vendor), no password yet, and an e-mailed link to set one."""
    email = email.strip()
    _check_role(role, vendor)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": f"{email} already has an account."})
    now = now or timezone.now()
    user = User.objects.create_user(_username_from(email), email)  # unusable password
    _set_role(user, role, vendor)
    invitation = Invitation.objects.create(
        user=user,
        invited_by=by,
        role=role,
        vendor=vendor,
        sent_at=now,
        expires_at=now + dt.timedelta(days=settings.INVITATION_DAYS),
    )
    _audit(user, before={}, after={**_state(user), "invited": email}, by=by, action="create")
    _send(invitation)  # last: a failed send rolls the invitation back, to be tried again
    return invitation


@transaction.atomic
def invitation_resend(*, user, by, now: dt.datetime | None = None) -> Invitation:
    """Sends a new link; the ones sent before stop working."""
    invitation = Invitation.objects.select_for_update().filter(user=user).first()
    if invitation is None or invitation.accepted_at is not None:
        raise ValidationError(f"{user.get_username()} has no invitation waiting to be accepted.")
    if not user.is_active:
        raise ValidationError(f"{user.get_username()} is deactivated; reactivate them first.")
    now = now or timezone.now()
    invitation.sent_count += 1
    invitation.sent_at = now
    invitation.expires_at = now + dt.timedelta(days=settings.INVITATION_DAYS)
    invitation.save(update_fields=["sent_count", "sent_at", "expires_at"])
    user.invitation = invitation  # the token hashes the new count
    audit_record(
        instance=user,
        action="update",
        old={"invitation_sent": invitation.sent_count - 1},
        new={"invitation_sent": invitation.sent_count},
        user=by,
    )
    _send(invitation)  # last: a failed send rolls the invitation back, to be tried again
    return invitation


@transaction.atomic
def invitation_accept(*, user, password_form, now: dt.datetime | None = None):
    """Sets the invitee's password (a valid SetPasswordForm for them): the link dies with it."""
    user = password_form.save()
    Invitation.objects.filter(user=user, accepted_at__isnull=True).update(
        accepted_at=now or timezone.now()
    )
    audit_record(
        instance=user, action="update", old={"invited": True}, new={"invited": False}, user=user
    )
    return user
