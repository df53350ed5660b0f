"""Lists across every vendor (a manager's or finance's): the same rows as before they were
made to use the indexes, and still only its own vendor's rows for a vendor's user.

The ticket and breach lists bound the vendor without a subquery for staff, the breach list
also by the created_at its outcome window implies, and the breach page by the ids its
filters allow (an array on PostgreSQL, which the (vendor, outcome) indexes can answer).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from scorecards.breach_selectors import BreachQuery, breach_rows_for_user
from tests.api.conftest import client_for
from tests.factories import TechnicianFactory, TicketFactory
from tickets.selectors_api import tickets_for_api

pytestmark = pytest.mark.django_db

OCT_START = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
NOV_START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _breached_response(side, external_id: str, *, created: dt.datetime, due: dt.datetime):
    return TicketFactory(
        contract=side.contract,
        external_id=external_id,
        created_at=created,
        response_due_at=due,
        resolution_due_at=due + dt.timedelta(hours=8),
        response_met=False,
        response_outcome_at=due,
    )


@pytest.fixture
def edges(world, settings):
    """Vendor B's breaches at the edges of October (UTC): one whose ticket was created in
    September, one created in the last minutes of October, and one due in November."""
    settings.REPORTING_TIME_ZONE = "UTC"
    b = world.b
    return {
        "from_september": _breached_response(
            b, "B-SEP", created=OCT_START - dt.timedelta(hours=2), due=OCT_START
        ),
        "last_minutes": _breached_response(
            b,
            "B-LAST",
            created=NOV_START - dt.timedelta(minutes=10),
            due=NOV_START - dt.timedelta(seconds=1),
        ),
        "november": _breached_response(
            b, "B-NOV", created=NOV_START - dt.timedelta(minutes=5), due=NOV_START
        ),
    }


@pytest.mark.parametrize(
    ("who", "sides"),
    [("manager", "ab"), ("finance", "ab"), ("vendor_a", "a"), ("vendor_b", "b")],
)
def test_each_role_lists_the_tickets_of_the_vendors_it_may_see_newest_first(world, who, sides):
    client = client_for(getattr(world, who))
    body = client.get("/api/v1/tickets/", {"page_size": 50}).json()

    vendors = {getattr(world, side).vendor.pk for side in sides}
    times = [row["created_at"] for row in body["results"]]
    assert {row["vendor"] for row in body["results"]} == vendors
    assert len(body["results"]) == 2 * len(sides)
    assert times == sorted(times, reverse=True)


def test_the_technician_filter_lists_exactly_that_technicians_tickets_newest_first(world):
    b = world.b
    later = TicketFactory(
        contract=b.contract,
        technician=b.technician,
        created_at=b.ticket.created_at + dt.timedelta(days=2),
    )
    TicketFactory(contract=b.contract, created_at=later.created_at + dt.timedelta(days=1))
    idle = TechnicianFactory(vendor=b.vendor, name="B idle")

    def listed(user, technician) -> list[int]:
        response = client_for(user).get("/api/v1/tickets/", {"technician": technician.pk})
        return [row["id"] for row in response.json()["results"]]

    # Up to and including the technician's latest ticket, not the untaken one after it.
    assert listed(world.manager, b.technician) == [later.pk, b.ticket.pk]
    assert listed(world.vendor_b, b.technician) == [later.pk, b.ticket.pk]
    assert listed(world.vendor_a, b.technician) == []  # another vendor's technician
    assert listed(world.manager, idle) == []  # no ticket at all


def test_a_vendor_user_cannot_read_another_vendors_ticket_by_id(world):
    assert (
        client_for(world.vendor_a).get(f"/api/v1/tickets/{world.b.ticket.pk}/").status_code == 404
    )
    assert client_for(world.manager).get(f"/api/v1/tickets/{world.b.ticket.pk}/").status_code == 200


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("manager", {"A-1", "B-1", "B-SEP", "B-LAST"}),
        ("finance", {"A-1", "B-1", "B-SEP", "B-LAST"}),
        ("vendor_a", {"A-1"}),
        ("vendor_b", {"B-1", "B-SEP", "B-LAST"}),
    ],
)
def test_breaches_due_in_a_period_are_listed_whenever_their_ticket_was_created(
    world, edges, who, expected
):
    client = client_for(getattr(world, who))

    period = client.get("/api/v1/breaches/", {"period": "2026-10", "page_size": 50})
    window = client.get(
        "/api/v1/breaches/",
        {"due_after": "2026-10-01T00:00:00Z", "due_before": "2026-11-01T00:00:00Z"},
    )

    assert {row["external_id"] for row in period.json()["results"]} == expected
    assert {row["external_id"] for row in window.json()["results"]} == expected


def test_a_breach_window_ending_before_a_ticket_was_created_leaves_it_out(world, edges):
    client = client_for(world.manager)

    body = client.get("/api/v1/breaches/", {"due_before": "2026-10-31T23:55:00Z"}).json()

    listed = {row["external_id"] for row in body["results"]}
    assert "B-SEP" in listed and "A-1" in listed
    assert "B-LAST" not in listed and "B-NOV" not in listed


@pytest.mark.parametrize(
    ("who", "contract_side", "expected"),
    [
        ("manager", "a", {"A-1"}),
        ("manager", "b", {"B-1", "B-SEP", "B-LAST"}),
        ("vendor_b", "b", {"B-1", "B-SEP", "B-LAST"}),
        ("vendor_b", "a", set()),  # another vendor's contract narrows to nothing
    ],
)
def test_the_breach_list_for_a_contract_holds_that_contracts_breaches_only(
    world, edges, who, contract_side, expected
):
    query = BreachQuery(
        start=OCT_START,
        end=NOV_START,
        contract_id=getattr(world, contract_side).contract.pk,
    )

    rows = breach_rows_for_user(user=getattr(world, who), query=query)

    assert {r["external_id"] for r in rows} == expected
    assert rows.count() == len(expected)


def test_a_managers_ticket_list_reads_no_vendor_subquery(world):
    sql = str(tickets_for_api(user=world.manager).query)
    assert "vendors_vendor" not in sql
    vendor_sql = str(tickets_for_api(user=world.vendor_a).query)
    assert f'"vendor_id" = {world.a.vendor.pk}' in vendor_sql


def test_the_breach_vendor_bound_is_an_array_on_postgresql_and_a_subquery_elsewhere(world):
    query = BreachQuery(start=OCT_START, end=NOV_START)

    sql = str(breach_rows_for_user(user=world.manager, query=query).query)

    # PostgreSQL's array is what its (vendor, outcome) indexes can take as a condition.
    bound = "= ANY(ARRAY(SELECT" if connection.vendor == "postgresql" else "IN (SELECT"
    assert f'"tickets_ticket"."vendor_id" {bound}' in sql
