"""`manage.py demo_ready`, `make demo`'s set-up in one process: on a seeded and computed
database it adds nothing, and it always ends by saying where the demo runs."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings

from scorecards.models import MetricValue
from tickets.models import Ticket

pytestmark = pytest.mark.django_db(transaction=True)


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
def test_a_second_make_demo_keeps_the_world_and_its_figures_and_prints_the_logins():
    call_command(
        "seed_demo", "--tickets", "600", "--months", "3", "--until", "2026-10-31", stdout=StringIO()
    )
    call_command("recompute_scorecards", "--all", stdout=StringIO())
    tickets, figures = Ticket.objects.count(), MetricValue.objects.count()

    out = StringIO()
    call_command("demo_ready", "--url", "http://127.0.0.1:8765/", stdout=out)

    assert (Ticket.objects.count(), MetricValue.objects.count()) == (tickets, figures)
    text = out.getvalue()
    assert "VendorScore demo: http://127.0.0.1:8765/" in text
    assert f"{tickets:,} tickets" in text
    assert "login manager  password vendorscore-demo" in text
