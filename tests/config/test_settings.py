"""Settings come from the environment; a bad value stops start-up naming the variable.

Each case loads config.settings in a fresh interpreter, as a real start-up would.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_settings(code: str = "", **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS"))}
    base.update(env)
    script = f"import django; django.setup(); from django.conf import settings as s; {code}"
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_embedded_defaults_are_sqlite_and_eager_tasks():
    run = load_settings(
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.DEBUG)"
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["django.db.backends.sqlite3", "True", "True"]


def test_database_and_redis_urls_choose_postgresql_and_a_real_broker():
    run = load_settings(
        "print(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], "
        "s.CELERY_BROKER_URL, s.CELERY_TASK_ALWAYS_EAGER)",
        DATABASE_URL="postgres://u:p@db.example:5432/vs",
        REDIS_URL="redis://cache.example:6379/2",
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [
        "django.db.backends.postgresql",
        "vs",
        "redis://cache.example:6379/2",
        "False",
    ]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "maybe"}, "DEBUG='maybe' is not a boolean"),
        ({"DEBUG": "false"}, "SECRET_KEY must be set when DEBUG is off"),
        ({"EMAIL_PORT": "twenty-five"}, "EMAIL_PORT='twenty-five' is not a whole number"),
        ({"REPORTING_TIME_ZONE": "Mars/Olympus"}, "REPORTING_TIME_ZONE='Mars/Olympus' is not"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL='localhost:6379' must start with redis://"),
        ({"DATABASE_URL": "mongodb://x/y"}, "DATABASE_URL"),
        ({"MIN_SAMPLE_VENDOR": "0"}, "MIN_SAMPLE_VENDOR=0 must be at least 1"),
    ],
)
def test_a_malformed_variable_stops_start_up_naming_it(env, message):
    run = load_settings(**env)
    assert run.returncode != 0
    assert "ImproperlyConfigured" in run.stderr
    assert message in run.stderr


def test_a_secret_can_be_read_from_a_file(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    run = load_settings(
        "print(s.SECRET_KEY)", DEBUG="false", SECRET_KEY_FILE=str(secret), ALLOWED_HOSTS="x"
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "from-a-file"


def test_production_settings_pass_the_deploy_check():
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS"))},
        "DEBUG": "false",
        "SECRET_KEY": "a-long-random-production-secret-" + "x" * 40,
        "ALLOWED_HOSTS": "vendorscore.example.com",
    }
    run = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "no issues" in run.stdout
