"""Which technician a figure belongs to (METRICS.md, Attribution): resolution figures to the
technician who resolved the ticket, response figures to the one it was assigned to when the
response happened.

Worked by hand. Calendar Mon-Fri 09:00-17:00 London, P2 (response 60 min, resolution 8 h):

| ticket | created   | assigned         | first response               | resolved          |
| T1     | 2 Nov 10:00 | Alice            | 10:30 by Alice (30 min)      | 14:00 by Alice (4 h) |
| T2     | 3 Nov 10:00 | Alice, Bob 11:00 | 10:45 by Alice (45 min)      | 15:00 by Bob (5 h)   |
| T3     | 4 Nov 10:00 | Bob              | 11:30 by Bob (90 min, late)  | 12:00 by Bob (2 h)   |

A ticket's `technician` is its assignee as the source last reported it: Bob for T2.

Alice: resolved T1 -> 1 resolved, mttr 4 h; responded T1 and T2 -> 2 responses, mean 37.5
min, response SLA 2/2.
Bob: resolved T2 and T3 -> 2 resolved, mttr (5 + 2) / 2 = 3.5 h, resolution SLA 2/2;
responded T3 only -> 1 response, 90 min, response SLA 0/1.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from common.periods import Period
from scorecards.models import MetricValue
from scorecards.services import scorecards_recompute
from tests.factories import ContractFactory, TechnicianFactory
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_refresh_facts

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
NOVEMBER = Period.containing("month", dt.date(2026, 11, 1))
NOW = dt.datetime(2026, 12, 10, 9, tzinfo=LONDON)


def at(day, hour, minute=0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def team(settings):
    settings.REPORTING_TIME_ZONE = "Europe/London"
    contract = ContractFactory()
    alice = TechnicianFactory(vendor=contract.vendor, name="Alice")
    bob = TechnicianFactory(vendor=contract.vendor, name="Bob")

    def ticket(n, technician, day, events, resolved):
        t = Ticket(
            source="hand",
            external_id=f"T{n}",
            vendor=contract.vendor,
            contract=contract,
            technician=technician,
            priority="P2",
            status="resolved",
            created_at=at(day, 10),
            resolved_at=resolved,
        )
        evs = [
            TicketEvent(at=when, kind=kind, new_value=new, actor=actor)
            for when, kind, new, actor in events
        ]
        ticket_refresh_facts(ticket=t, events=evs, now=NOW)

    ticket(
        1,
        alice,
        2,
        [(at(2, 10), "assigned", "Alice", ""), (at(2, 10, 30), "responded", "", "Alice")],
        at(2, 14),
    )
    ticket(
        2,
        bob,
        3,
        [
            (at(3, 10), "assigned", "Alice", ""),
            (at(3, 10, 45), "responded", "", "Alice"),
            (at(3, 11), "assigned", "Bob", ""),
        ],
        at(3, 15),
    )
    ticket(
        3,
        bob,
        4,
        [(at(4, 10), "assigned", "Bob", ""), (at(4, 11, 30), "responded", "", "Bob")],
        at(4, 12),
    )
    scorecards_recompute(vendor=contract.vendor, kind="month", periods=[NOVEMBER], now=NOW)
    return {"alice": alice, "bob": bob}


def figures(technician) -> dict[str, MetricValue]:
    rows = MetricValue.objects.filter(
        subject_kind="technician",
        subject_id=technician.pk,
        period_kind="month",
        period_start=NOVEMBER.start,
    )
    return {m.metric: m for m in rows}


def evidence(f: MetricValue) -> tuple:
    return (f.numerator, f.denominator)


def test_resolution_figures_belong_to_the_technician_who_resolved(team):
    alice, bob = figures(team["alice"]), figures(team["bob"])
    assert (alice["tickets_resolved"].value, bob["tickets_resolved"].value) == (1, 2)
    assert float(alice["mttr"].value) == 4
    assert float(bob["mttr"].value) == 3.5
    assert evidence(alice["resolution_sla_pct"]) == (1, 1)
    assert evidence(bob["resolution_sla_pct"]) == (2, 2)
    assert float(alice["resolution_time_p50"].value) == 4
    assert float(bob["resolution_time_p50"].value) == 3.5


def test_response_figures_belong_to_the_technician_assigned_when_the_response_happened(team):
    alice, bob = figures(team["alice"]), figures(team["bob"])
    assert float(alice["response_time_mean"].value) == 37.5
    assert evidence(alice["response_sla_pct"]) == (2, 2)
    assert float(bob["response_time_mean"].value) == 90
    assert evidence(bob["response_sla_pct"]) == (0, 1)
