"""What every accounts test starts from: fast password hashing (some tests make dozens of
accounts), two-factor required of nobody unless the test says so, and an empty cache (allauth
keeps its per-address login counts and used codes there)."""

from __future__ import annotations

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MFA_REQUIRED_ROLES = []
    cache.clear()
    yield
    cache.clear()
