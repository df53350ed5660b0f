"""Fixtures of the live-source tests: the stand-in ServiceNow on a local port.

`stand_in` serves the test module's own `records` fixture (tests/live/standin.py) as the
incident table, and its `tables` fixture (name -> records; none unless a module gives them) as
the instance's other tables."""

from __future__ import annotations

import re

import pytest

from tests.live.standin import StandIn


@pytest.fixture
def tables() -> dict[str, list[dict]]:
    return {}


@pytest.fixture
def stand_in(httpserver, records, tables) -> StandIn:
    server = StandIn(records, tables=tables)
    httpserver.expect_request(re.compile(r"^/api/now/table/\w+$")).respond_with_handler(server)
    return server


@pytest.fixture
def base_url(httpserver) -> str:
    return httpserver.url_for("/")
