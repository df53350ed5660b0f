"""allauth adapters: how VendorScore bends allauth's defaults."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Nobody signs themselves up: a manager invites each user with a role.
        return False
