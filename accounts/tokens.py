"""The invitation link's token: Django's password-reset token with its own salt and lifetime.

Single use, as a reset token: it hashes the password (set by following the link) and the last
login. It also hashes how many times the invitation was sent, so "Resend invitation" kills
every link sent before.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.utils.crypto import constant_time_compare
from django.utils.http import base36_to_int


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "vendorscore.accounts.tokens.InvitationTokenGenerator"

    @property
    def timeout(self) -> dt.timedelta:
        return dt.timedelta(days=settings.INVITATION_DAYS)

    def _make_hash_value(self, user, timestamp) -> str:
        invitation = getattr(user, "invitation", None)
        sent = invitation.sent_count if invitation is not None else "none"
        return f"{super()._make_hash_value(user, timestamp)}/invitation-{sent}"

    def check_token(self, user, token) -> bool:
        # Django's check, with the invitation's lifetime instead of PASSWORD_RESET_TIMEOUT.
        if not (user and token):
            return False
        try:
            ts_b36, _ = token.split("-")
            ts = base36_to_int(ts_b36)
        except ValueError:
            return False
        if not any(
            constant_time_compare(self._make_token_with_timestamp(user, ts, secret), token)
            for secret in [self.secret, *self.secret_fallbacks]
        ):
            return False
        return self._num_seconds(self._now()) - ts <= self.timeout.total_seconds()


invitation_tokens = InvitationTokenGenerator()
