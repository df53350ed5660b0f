"""Sign-in events into the audit trail, with the time and the client's address: log in, log
out, failed logins, lockouts (django-axes) and two-factor changes (allauth.mfa).

Receivers, because these events happen inside Django's, axes' and allauth's own flows; each
one only hands the event to `record_sign_in_event`. A failed login keeps what was typed as the
login, never the password.
"""

from __future__ import annotations

from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.utils import timezone

from accounts.lockout import canonical_username
from common.clients import client_ip
from vendors.models import AuditEntry

NOT_SIGNED_IN = "(not signed in)"


def record_sign_in_event(*, request, action: str, user=None, login: str = "", new=None):
    """One audit entry about a user account; `login` names it when no user matched."""
    label = user.get_username() if user is not None else login
    # The user is the actor only of what it did signed in; a failure or lockout is by whoever
    # typed the login, and names the account as the object.
    by_the_user = action in _BY_THE_USER and user is not None
    return AuditEntry.objects.create(
        at=timezone.now(),
        user=user if by_the_user else None,
        actor=(label if by_the_user else NOT_SIGNED_IN)[:150],
        object_type=get_user_model()._meta.label_lower,
        object_id=str(user.pk) if user is not None else "",
        object_repr=label[:200],
        action=action,
        new_values=new or {},
        ip=client_ip(request) if request is not None else None,
    )


_BY_THE_USER = {
    AuditEntry.Action.LOGIN,
    AuditEntry.Action.LOGOUT,
    AuditEntry.Action.MFA_ADDED,
    AuditEntry.Action.MFA_REMOVED,
    AuditEntry.Action.MFA_RESET,
}


def _user_named(username: str | None):
    if not username:
        return None
    return get_user_model()._default_manager.filter(username=username).first()


def _logged_in(sender, request, user, **kwargs) -> None:
    record_sign_in_event(request=request, action=AuditEntry.Action.LOGIN, user=user)


def _logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:  # a logout without a session has nobody to record
        record_sign_in_event(request=request, action=AuditEntry.Action.LOGOUT, user=user)


def _login_failed(sender, credentials, request=None, **kwargs) -> None:
    # axes' receiver runs first; a refusal it turned into a lockout is recorded as that.
    if getattr(request, "axes_locked_out", False):
        return
    typed = credentials.get("username") or credentials.get("email") or ""
    username = canonical_username(request, credentials)
    record_sign_in_event(
        request=request,
        action=AuditEntry.Action.LOGIN_FAILED,
        user=_user_named(username),
        login=str(typed),
        new={"login": str(typed)[:150]},
    )


def _locked_out(sender, request, username=None, ip_address=None, **kwargs) -> None:
    record_sign_in_event(
        request=request,
        action=AuditEntry.Action.LOCKED_OUT,
        user=_user_named(username),
        login=username or "",
        new={
            "login": (username or "")[:150],
            "failures": getattr(request, "axes_failures_since_start", None),
        },
    )


def _mfa_event(action: str):
    def receiver(sender, request, user, authenticator, **kwargs) -> None:
        record_sign_in_event(
            request=request, action=action, user=user, new={"type": authenticator.type}
        )

    return receiver


_mfa_added = _mfa_event(AuditEntry.Action.MFA_ADDED)
_mfa_removed = _mfa_event(AuditEntry.Action.MFA_REMOVED)
_mfa_reset = _mfa_event(AuditEntry.Action.MFA_RESET)


def connect() -> None:
    """Called from AccountsConfig.ready()."""
    user_logged_in.connect(_logged_in, dispatch_uid="accounts_audit_login")
    user_logged_out.connect(_logged_out, dispatch_uid="accounts_audit_logout")
    user_login_failed.connect(_login_failed, dispatch_uid="accounts_audit_login_failed")
    user_locked_out.connect(_locked_out, dispatch_uid="accounts_audit_locked_out")
    authenticator_added.connect(_mfa_added, dispatch_uid="accounts_audit_mfa_added")
    authenticator_removed.connect(_mfa_removed, dispatch_uid="accounts_audit_mfa_removed")
    authenticator_reset.connect(_mfa_reset, dispatch_uid="accounts_audit_mfa_reset")
