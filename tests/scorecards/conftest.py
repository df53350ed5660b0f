"""Shared by the recompute tests: a contract on METRICS.md's default policy, reported in London."""

import pytest

from tests.factories import ContractFactory


@pytest.fixture
def contract(settings):
    settings.REPORTING_TIME_ZONE = "Europe/London"
    return ContractFactory()
