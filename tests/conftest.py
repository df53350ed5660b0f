"""Shared test set-up.

Integration tests (marked `integration`) need the real PostgreSQL and Redis named by
DATABASE_URL and REDIS_URL. On a bare machine without them they are deselected, and the run
says so; CI sets VENDORSCORE_REQUIRE_SERVICES=1, and then a missing service is a failure,
never a skip.
"""

from __future__ import annotations

import os

import pytest

REQUIRE_SERVICES = os.environ.get("VENDORSCORE_REQUIRE_SERVICES") == "1"


def _services_configured() -> bool:
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        engine = settings.DATABASES["default"]["ENGINE"]
    except ImproperlyConfigured:  # run without Django (-p no:django): pure-module tests only
        return False
    on_postgres = engine.endswith("postgresql")
    return on_postgres and bool(settings.REDIS_URL)


def pytest_collection_modifyitems(config, items):
    if REQUIRE_SERVICES or _services_configured():
        return
    kept, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("integration") else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
        config._vendorscore_deselected = len(deselected)


def pytest_terminal_summary(terminalreporter, config):
    count = getattr(config, "_vendorscore_deselected", 0)
    if count:
        terminalreporter.write_line(
            f"{count} integration tests not run: set DATABASE_URL (PostgreSQL) and REDIS_URL "
            "to run them (CI does, with VENDORSCORE_REQUIRE_SERVICES=1)."
        )


@pytest.fixture
def require_services():
    """Fails (never skips) when the real services this test needs are not configured."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    assert engine.endswith("postgresql"), f"DATABASE_URL must name PostgreSQL, got {engine}"
    assert settings.REDIS_URL, "REDIS_URL must be set for integration tests"
