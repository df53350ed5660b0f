"""Fixtures of the live-source tests: the stand-in ServiceNow on a local port.

`stand_in` serves the test module's own `records` fixture (tests/live/standin.py)."""

from __future__ import annotations

import pytest

from tests.live.standin import StandIn
from tickets.live.servicenow import TABLE_PATH


@pytest.fixture
def stand_in(httpserver, records) -> StandIn:
    server = StandIn(records)
    httpserver.expect_request(TABLE_PATH).respond_with_handler(server)
    return server


@pytest.fixture
def base_url(httpserver) -> str:
    return httpserver.url_for("/")
