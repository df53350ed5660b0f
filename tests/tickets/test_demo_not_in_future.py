"""A demo seeded part-way through a day holds nothing after the moment it was seeded."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Max
from django.test import override_settings

from tickets.demo.world import seed_demo_world
from tickets.models import Outage, SurveyResponse, Ticket, TicketEvent
from vendors.models import Invoice

UTC = dt.UTC
FAST_HASHING = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
TICKET_TIMES = (
    "created_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "response_outcome_at",
    "resolution_outcome_at",
)


def latest_moments() -> dict[str, dt.datetime | None]:
    """The latest stored time of every fact that happened (due times are deadlines, not facts)."""
    moments = Ticket.objects.aggregate(**{name: Max(name) for name in TICKET_TIMES})
    moments["event"] = TicketEvent.objects.aggregate(m=Max("at"))["m"]
    moments["survey"] = SurveyResponse.objects.aggregate(m=Max("answered_at"))["m"]
    moments["outage_start"] = Outage.objects.aggregate(m=Max("started_at"))["m"]
    moments["outage_end"] = Outage.objects.aggregate(m=Max("ended_at"))["m"]
    return moments


@pytest.mark.django_db
def test_a_demo_seeded_at_four_in_the_morning_ends_at_four_in_the_morning():
    seeded_at = dt.datetime(2026, 10, 14, 4, 0, tzinfo=dt.UTC)
    with FAST_HASHING:
        seed_demo_world(
            seed=42, tickets=2000, months=1, until=seeded_at.date(), seeded_at=seeded_at
        )

    later = {name: at for name, at in latest_moments().items() if at and at >= seeded_at}
    assert later == {}
    # The hours gone by of the seeding day are there, not left empty.
    today = Ticket.objects.filter(created_at__date=seeded_at.date())
    assert today.count() > 0
    assert Ticket.objects.filter(created_at__date=seeded_at.date() - dt.timedelta(days=1)).count()
    assert today.aggregate(m=Max("created_at"))["m"] < seeded_at
    assert Invoice.objects.aggregate(m=Max("issued_on"))["m"] <= seeded_at.date()


@pytest.mark.django_db
def test_seed_demo_without_until_stops_at_the_moment_it_runs():
    with FAST_HASHING:
        call_command("seed_demo", "--tickets", "400", "--months", "1", stdout=StringIO())
    finished = dt.datetime.now(dt.UTC)

    moments = latest_moments()
    moments["facts_computed_at"] = Ticket.objects.aggregate(m=Max("facts_computed_at"))["m"]
    assert moments["created_at"] is not None
    later = {name: at for name, at in moments.items() if at and at > finished}
    assert later == {}


@pytest.mark.django_db
def test_an_until_in_the_past_still_fills_its_whole_last_day():
    with FAST_HASHING:
        seed_demo_world(
            seed=42,
            tickets=600,
            months=1,
            until=dt.date(2026, 10, 31),
            seeded_at=dt.datetime(2026, 12, 7, 4, tzinfo=dt.UTC),
        )
    last = Ticket.objects.aggregate(m=Max("created_at"))["m"]
    assert dt.datetime(2026, 10, 31, 12, tzinfo=UTC) < last < dt.datetime(2026, 11, 1, tzinfo=UTC)
