"""Writes of accounts: invitations, roles, deactivation, lockouts (reads are in selectors)."""
