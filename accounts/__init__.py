"""Accounts and sign-in: who may log in, and how.

Sits above `vendors` (a vendor user's membership, API tokens, the audit trail) and below
`tickets` and `scorecards`, which never need it. Built on django-allauth (login, two-factor,
single sign-on) and django-axes (failed logins and lockouts), not on hand-written auth.
"""
