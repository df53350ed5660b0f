"""Which users must have a second factor: the rule behind MFA_REQUIRED_ROLES.

allauth.mfa keeps the authenticators (TOTP, security keys, recovery codes); this module only
says whose role requires one, for the middleware that sends them to set-up.
"""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.conf import settings

from common.roles import user_role

# Recovery codes alone are not a second factor: allauth makes them only alongside another.
_SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def two_factor_required(user) -> bool:
    """True when the user's role is one of MFA_REQUIRED_ROLES (read per call, so tests and
    a settings change apply without a restart of this module)."""
    if not settings.MFA_REQUIRED_ROLES:
        return False  # no query at all in the default development set-up
    return user_role(user) in settings.MFA_REQUIRED_ROLES


def has_two_factor(user) -> bool:
    """True when the user has an authenticator app or a security key set up."""
    if not getattr(user, "is_authenticated", False):
        return False
    return Authenticator.objects.filter(user=user, type__in=_SECOND_FACTORS).exists()


def needs_two_factor_setup(user) -> bool:
    return two_factor_required(user) and not has_two_factor(user)
