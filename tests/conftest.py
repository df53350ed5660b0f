"""Shared test set-up.

Integration tests (marked `integration`) need the real PostgreSQL and Redis named by
DATABASE_URL and REDIS_URL. On a bare machine without them they are deselected, and the run
says so; CI sets VENDORSCORE_REQUIRE_SERVICES=1, and then a missing service is a failure,
never a skip.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REQUIRE_SERVICES = os.environ.get("VENDORSCORE_REQUIRE_SERVICES") == "1"
# The real ticket logs live in shared/data beside the checkout (CI has them there).
SHARED_DATA = Path(
    os.environ.get("VENDORSCORE_SHARED_DATA")
    or Path(__file__).resolve().parents[2] / "shared" / "data"
)


def chromium_path() -> str | None:
    """Debian's Chromium, which the browser tests drive and review packs print with."""
    return (
        os.environ.get("CHROMIUM_PATH")
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


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
    # In CI nothing is deselected: a missing service or data file fails its tests.
    if REQUIRE_SERVICES:
        return
    skip_services = not _services_configured()
    skip_data = not SHARED_DATA.is_dir()
    skip_browser = chromium_path() is None
    kept, deselected = [], []
    for item in items:
        needs_services = item.get_closest_marker("integration") and skip_services
        needs_data = item.get_closest_marker("realdata") and skip_data
        needs_browser = item.get_closest_marker("browser") and skip_browser
        (deselected if needs_services or needs_data or needs_browser else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept
        config._vendorscore_deselected = len(deselected)


def pytest_terminal_summary(terminalreporter, config):
    count = getattr(config, "_vendorscore_deselected", 0)
    if count:
        terminalreporter.write_line(
            f"{count} tests not run: integration tests need DATABASE_URL (PostgreSQL) and "
            f"REDIS_URL, real-data tests need {SHARED_DATA}, browser tests need Debian's "
            "chromium (CI has all three and sets VENDORSCORE_REQUIRE_SERVICES=1, so there they "
            "fail rather than go missing)."
        )


@pytest.fixture
def require_services():
    """Fails (never skips) when the real services this test needs are not configured."""
    from django.conf import settings

    engine = settings.DATABASES["default"]["ENGINE"]
    assert engine.endswith("postgresql"), f"DATABASE_URL must name PostgreSQL, got {engine}"
    assert settings.REDIS_URL, "REDIS_URL must be set for integration tests"


@pytest.fixture(autouse=True)
def tasks_run_in_process(request):
    """Unit tests run Celery tasks in-process even when REDIS_URL names a broker; only the
    integration tests talk to a real worker."""
    if request.node.get_closest_marker("integration"):
        yield
        return
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous
