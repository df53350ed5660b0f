"""POST /api/v1/tickets/bulk: managers upsert up to 1,000 tickets and get a result for each."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from common.roles import FINANCE, MANAGER
from tests.factories import ContractFactory
from tickets.models import AttributionRule, ImportRun, SurveyResponse, Ticket, TicketEvent

pytestmark = pytest.mark.django_db
URL = "/api/v1/tickets/bulk"
SOURCE = "acme-api"


def user_in(role: str | None, name: str):
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw-123456")
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    return user


@pytest.fixture
def manager():
    client = APIClient()
    client.force_authenticate(user_in(MANAGER, "manager"))
    return client


@pytest.fixture
def contract():
    contract = ContractFactory()
    AttributionRule.objects.create(
        source=SOURCE, value="Acme Support", vendor=contract.vendor, contract=contract
    )
    return contract


def ticket(external_id: str = "API-1", **changes) -> dict:
    """Worked example 1 of METRICS.md: a P2 created Fri 16:30, first response Mon 09:45."""
    data = {
        "external_id": external_id,
        "attribution": "Acme Support",
        "version": "3",
        "priority": "P2",
        "status": "resolved",
        "created_at": "2026-11-20T16:30:00+00:00",
        "resolved_at": "2026-11-23T11:00:00Z",
        "technician": "Alice Tech",
        "category": "Printer",
        "requester": "bob@customer.example",
        "events": [
            {"at": "2026-11-20T16:30:00+00:00", "kind": "created", "by_vendor": False},
            {"at": "2026-11-23T09:45:00+00:00", "kind": "responded", "actor": "Alice Tech"},
            {"at": "2026-11-23T11:00:00+00:00", "kind": "resolved", "new_value": "resolved"},
        ],
        "survey": {"score": 5, "answered_at": "2026-11-23T12:00:00+00:00"},
    }
    data.update(changes)
    return data


def test_a_manager_creates_tickets_and_gets_a_result_for_each(manager, contract):
    response = manager.post(
        URL, {"source": SOURCE, "tickets": [ticket("API-1"), ticket("API-2")]}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["results"] == [
        {"external_id": "API-1", "result": "created", "errors": []},
        {"external_id": "API-2", "result": "created", "errors": []},
    ]
    assert (body["created"], body["updated"], body["unchanged"], body["errors"]) == (2, 0, 0, 0)
    stored = Ticket.objects.get(external_id="API-1")
    assert (stored.source, stored.vendor, stored.contract) == (SOURCE, contract.vendor, contract)
    assert (stored.response_seconds, stored.response_met) == (75 * 60, False)
    assert TicketEvent.objects.filter(ticket=stored).count() == 3
    assert SurveyResponse.objects.get(ticket=stored).score == 5
    run = ImportRun.objects.get(pk=body["run"])
    assert (run.format, run.created_by.username, run.tickets_created) == ("api", "manager", 2)


def test_posting_the_same_tickets_again_is_unchanged_and_a_new_version_updates(manager, contract):
    manager.post(URL, {"source": SOURCE, "tickets": [ticket()]}, format="json")
    same = manager.post(URL, {"source": SOURCE, "tickets": [ticket()]}, format="json").json()
    assert same["results"][0]["result"] == "unchanged"

    newer = ticket(version="4", events=[{"at": "2026-11-20T16:40:00+00:00", "kind": "responded"}])
    body = manager.post(URL, {"source": SOURCE, "tickets": [newer]}, format="json").json()
    assert body["results"][0]["result"] == "updated"
    stored = Ticket.objects.get()
    assert [e.kind for e in stored.events.all()] == ["responded"]
    assert (stored.response_seconds, stored.response_met) == (10 * 60, True)


def test_bad_items_get_their_errors_and_the_others_are_written(manager, contract):
    items = [
        ticket("API-1"),
        ticket("API-2", priority="P7"),
        ticket("API-3", created_at="2026-11-20T16:30:00"),  # no offset
        ticket("API-4", resolved_at="2026-11-01T10:00:00+00:00"),
        ticket("API-5", attribution="Group 56"),
        ticket("API-6", events=[{"at": "2026-11-21T10:00:00+00:00", "kind": "teleported"}]),
    ]

    body = manager.post(URL, {"source": SOURCE, "tickets": items}, format="json").json()

    results = {r["external_id"]: r for r in body["results"]}
    assert [r["result"] for r in body["results"]] == [
        "created",
        "error",
        "error",
        "error",
        "error",
        "error",
    ]
    assert results["API-2"]["errors"] == [
        {"column": "priority", "reason": 'priority: "P7" is not a valid choice.'}
    ]
    assert results["API-3"]["errors"][0]["column"] == "created_at"
    assert "offset" in results["API-3"]["errors"][0]["reason"]
    assert results["API-4"]["errors"] == [
        {
            "column": "resolved_at",
            "reason": "resolved (2026-11-01 10:00 UTC) before the ticket was created "
            "(2026-11-20 16:30 UTC)",
        }
    ]
    assert results["API-5"]["errors"] == [
        {"column": "attribution", "reason": "no attribution rule maps 'Group 56' to a vendor"}
    ]
    assert results["API-6"]["errors"][0]["column"] == "events[0].kind"
    assert list(Ticket.objects.values_list("external_id", flat=True)) == ["API-1"]
    run = ImportRun.objects.get(pk=body["run"])
    assert (run.tickets_rejected, run.tickets_unmapped, run.unmapped) == (4, 1, {"Group 56": 1})


def test_a_ticket_may_name_its_vendor_and_contract_directly(manager, contract):
    other = ContractFactory()
    item = ticket(vendor=other.vendor.slug, contract=other.pk)
    del item["attribution"]
    body = manager.post(URL, {"source": SOURCE, "tickets": [item]}, format="json").json()
    assert body["results"][0]["result"] == "created"
    assert Ticket.objects.get().contract == other


def test_a_contract_of_another_vendor_is_refused(manager, contract):
    other = ContractFactory()
    item = ticket(vendor=contract.vendor.slug, contract=other.pk)
    del item["attribution"]
    body = manager.post(URL, {"source": SOURCE, "tickets": [item]}, format="json").json()
    assert body["results"][0] == {
        "external_id": "API-1",
        "result": "error",
        "errors": [
            {
                "column": "contract",
                "reason": f"vendor {contract.vendor.slug!r} has no contract {other.pk}",
            }
        ],
    }


def test_more_than_a_thousand_tickets_are_refused_naming_the_limit(manager, contract):
    items = [ticket(f"API-{n}") for n in range(1_001)]
    response = manager.post(URL, {"source": SOURCE, "tickets": items}, format="json")
    assert response.status_code == 400
    assert "At most 1,000 tickets per request" in response.json()["tickets"][0]
    assert not Ticket.objects.exists()


def test_a_thousand_tickets_are_accepted(manager, contract):
    items = [ticket(f"API-{n}") for n in range(1_000)]
    response = manager.post(URL, {"source": SOURCE, "tickets": items}, format="json")
    assert response.status_code == 200
    assert response.json()["created"] == 1_000


def test_a_request_without_a_source_is_refused(manager, contract):
    response = manager.post(URL, {"tickets": [ticket()]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"source": ["This field is required."]}


@pytest.mark.parametrize("role", [FINANCE, "vendor", None])
def test_only_managers_may_post(role, contract):
    client = APIClient()
    client.force_authenticate(user_in(role, "someone"))
    response = client.post(URL, {"source": SOURCE, "tickets": [ticket()]}, format="json")
    assert response.status_code == 403
    assert not Ticket.objects.exists()


def test_a_superuser_may_post(contract):
    client = APIClient()
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(root)
    response = client.post(URL, {"source": SOURCE, "tickets": [ticket()]}, format="json")
    assert response.status_code == 200


def test_an_anonymous_request_is_refused(contract):
    response = APIClient().post(URL, {"source": SOURCE, "tickets": [ticket()]}, format="json")
    assert response.status_code == 403
    assert not Ticket.objects.exists()
