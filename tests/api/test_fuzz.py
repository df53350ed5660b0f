"""Fuzzes every operation of /api/schema/ in-process as a manager: no answer may be a 5xx.

Runs in the normal suite (SQLite and PostgreSQL) with a bounded number of valid and invalid
examples per operation, so the whole run stays well under two minutes on two cores.
(schemathesis' lazy pytest integration does not run on pytest 9 yet, so each operation's
strategy is driven by Hypothesis directly.)
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from common.roles import MANAGER
from config.wsgi import application
from tests.api.conftest import user_in

EXAMPLES_PER_OPERATION = 10  # for each of the valid and the invalid inputs
CSRF = "f" * 32  # DRF checks the CSRF cookie against the header for session POSTs


@pytest.fixture
def manager_app(world):
    """The site as a manager's browser sees it: every request carries the manager's session.

    (The WSGI test client keeps its own cookie jar and drops a Cookie header, so the session
    goes into the WSGI environ here.)"""
    client = Client()
    client.force_login(user_in(MANAGER, "fuzzer"))
    cookie = f"sessionid={client.cookies['sessionid'].value}; csrftoken={CSRF}"

    def logged_in(environ, start_response):
        environ["HTTP_COOKIE"] = cookie
        environ["HTTP_X_CSRFTOKEN"] = CSRF
        return application(environ, start_response)

    # As Django's test client does: a request's end must not close the test's connection
    # (it holds the test transaction, and on PostgreSQL closing it loses everything).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield logged_in
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.mark.django_db
def test_no_operation_answers_with_a_server_error(manager_app):
    schema = schemathesis.openapi.from_wsgi("/api/schema/", manager_app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20

    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=EXAMPLES_PER_OPERATION,
                deadline=None,
                derandomize=True,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def fuzz(case):
                case.call_and_validate(checks=[not_a_server_error])

            try:
                fuzz()
            except Exception as exc:  # collect them all, then fail once with every one
                failures.append(f"{operation.label} ({mode.value}): {str(exc)[:2000]}")

    assert not failures, "\n\n".join(failures)
