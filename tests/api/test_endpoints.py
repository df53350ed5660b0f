"""Each endpoint's JSON, field by field, for rows created by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from common.periods import period_from_label
from scorecards import packs
from scorecards.models import Dispute
from tests.api.conftest import NOW, client_for, ids
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def test_a_contract_carries_its_policy_targets_tiers_and_weights(world):
    body = client_for(world.vendor_a).get(f"/api/v1/contracts/{world.a.contract.pk}/").json()

    assert (body["currency"], body["monthly_fee"], body["inhouse_monthly_cost"]) == (
        "GBP",
        "10000.00",
        "12000.00",
    )
    assert body["sla_policy"]["calendar"]["time_zone"] == "Europe/London"
    assert body["sla_policy"]["targets"][1] == {
        "priority": "P2",
        "response_minutes": 60,
        "resolution_minutes": 480,
        "always_open": False,
        "calendar_id": None,
    }
    assert body["credit_tiers"] == [
        {"metric": "resolution_sla_pct", "threshold": "95.000", "credit_pct": "5.00"}
    ]
    assert body["weights"] == [
        {"metric": "sla_compliance_pct", "weight": "60.00", "target": None, "floor": None}
    ]


def test_tickets_filter_by_priority_breach_and_creation_time(world):
    client = client_for(world.manager)
    a1 = world.a.ticket.pk

    breached = client.get("/api/v1/tickets/", {"vendor": world.a.vendor.pk, "breached": "true"})
    window = client.get(
        "/api/v1/tickets/",
        {"created_after": "2026-10-05T00:00:00Z", "created_before": "2026-10-06T00:00:00Z"},
    )
    none = client.get("/api/v1/tickets/", {"priority": "P1"})

    assert ids(breached) == [a1]
    assert sorted(ids(window)) == sorted([a1, world.b.ticket.pk])
    assert ids(none) == []
    row = breached.json()["results"][0]
    assert (row["response_met"], row["resolution_met"], row["resolution_seconds"]) == (
        True,
        False,
        40000,
    )


def test_tickets_are_cursor_paginated_newest_first(world):
    client = client_for(world.manager)

    first = client.get("/api/v1/tickets/", {"page_size": 3}).json()
    second = client.get(first["next"]).json()

    assert len(first["results"]) == 3 and len(second["results"]) == 1
    times = [r["created_at"] for r in first["results"] + second["results"]]
    assert times == sorted(times, reverse=True)
    assert "cursor=" in first["next"]


def test_a_tickets_events_come_oldest_first(world):
    ticket = world.a.ticket
    later = EventFactory(ticket=ticket, at=ticket.created_at + dt.timedelta(hours=2))
    earlier = EventFactory(ticket=ticket, at=ticket.created_at, kind="created")

    body = client_for(world.vendor_a).get(f"/api/v1/tickets/{ticket.pk}/events/").json()

    assert [e["id"] for e in body["results"]] == [earlier.pk, later.pk]
    assert body["results"][0]["kind"] == "created"


def test_a_breach_is_attributed_to_the_period_its_due_time_passed(world):
    ticket = world.a.ticket
    # Resolution due Mon 5 Oct 18:00 UTC, resolved two days later: October, week 41.
    Dispute.objects.create(
        ticket=ticket,
        target="resolution",
        reason="Customer away",
        raised_by=world.vendor_a,
        raised_at=dt.datetime(2026, 10, 8, tzinfo=dt.UTC),
    )
    client = client_for(world.vendor_a)

    body = client.get("/api/v1/breaches/", {"kind": "resolution", "period": "2026-10"}).json()
    elsewhere = client.get("/api/v1/breaches/", {"period": "2026-11"}).json()
    response_only = client.get("/api/v1/breaches/", {"kind": "response"}).json()

    [row] = body["results"]
    assert row["ticket"] == ticket.pk
    assert row["resolution"] == {
        "breached": True,
        "due_at": "2026-10-05T18:00:00Z",
        "outcome_at": "2026-10-05T18:00:00Z",
        "attributed_to": {"week": "2026-W41", "month": "2026-10", "quarter": "2026-Q4"},
        "excluded": False,
        "dispute_status": "open",
    }
    assert row["response"]["breached"] is False and row["response"]["attributed_to"] is None
    assert elsewhere["results"] == [] and response_only["results"] == []


def test_a_bad_period_label_is_a_400_naming_it(world):
    response = client_for(world.manager).get("/api/v1/breaches/", {"period": "October"})

    assert response.status_code == 400
    assert "period" in response.json()


def test_a_scorecard_carries_the_chosen_metrics_with_their_evidence(world):
    response = client_for(world.finance).get(
        "/api/v1/scorecards/",
        {
            "subject_kind": "contract",
            "subject_id": world.a.contract.pk,
            "metrics": "sla_compliance_pct,cost_per_ticket",
            "start_from": "2026-10-01",
            "start_to": "2026-10-31",
        },
    )

    [card] = response.json()["results"]
    assert {k: card[k] for k in ("subject_name", "period_label", "score", "grade")} == {
        "subject_name": "A desk",
        "period_label": "2026-10",
        "score": "84.50",
        "grade": "B",
    }
    assert card["weights"] == {"sla_compliance_pct": 0.6, "csat_pct": 0.4}
    assert card["metrics"] == {
        "sla_compliance_pct": {
            "value": "90.0000",
            "numerator": "18.0000",
            "denominator": "20.0000",
            "ci_low": "69.9031",
            "ci_high": "97.2133",
            "sample_size": 20,
            "low_sample": False,
            "excluded": 0,
            "unit": "%",
            "currency": None,
        },
        "cost_per_ticket": {
            "value": "15.00",
            "numerator": "1500.00",
            "denominator": "100.0000",
            "ci_low": None,
            "ci_high": None,
            "sample_size": 100,
            "low_sample": False,
            "excluded": 0,
            "unit": "currency",
            "currency": "GBP",
        },
    }


def test_an_unknown_metric_is_a_400_naming_the_parameter(world):
    response = client_for(world.manager).get("/api/v1/scorecards/", {"metrics": "mttr,speed"})

    assert response.status_code == 400
    assert response.json() == {"metrics": ["Unknown: speed."]}


def test_the_scorecard_list_reads_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    client = client_for(world.manager)
    # role (groups, membership) twice: permission and visibility; count, page, metric
    # values, subject names. The same 7 whatever the page holds.
    with django_assert_max_num_queries(7):
        response = client.get("/api/v1/scorecards/")
    assert response.status_code == 200


def test_service_credits_and_cost_per_ticket_read_the_stored_figures(world):
    client = client_for(world.finance)

    [credit] = client.get(
        "/api/v1/service-credits/", {"contract": world.a.contract.pk, "period": "2026-10"}
    ).json()["results"]
    [cost] = client.get(
        "/api/v1/cost-per-ticket/", {"subject_kind": "vendor", "vendor": world.a.vendor.pk}
    ).json()["results"]

    assert credit == {
        "contract": world.a.contract.pk,
        "contract_name": "A desk",
        "vendor": world.a.vendor.pk,
        "vendor_name": "Acme Support",
        "month": "2026-10-01",
        "period_label": "2026-10",
        "amount": "500.00",
        "currency": "GBP",
        "credit_pct": "5.00",
        "per_metric": {"resolution_sla_pct": "5.00"},
    }
    # METRICS.md worked example 6: 1500.00 invoiced / 100 tickets resolved = 15.00.
    assert (cost["cost_per_ticket"], cost["invoiced_amount"], cost["tickets_resolved"]) == (
        "15.00",
        "1500.00",
        100,
    )
    assert (cost["subject_name"], cost["currency"]) == ("Acme Support", "GBP")


def test_savings_compare_the_in_house_baseline_with_the_net_cost(world):
    body = (
        client_for(world.finance)
        .get("/api/v1/savings/", {"contract": world.a.contract.pk, "as_of": "2026-10"})
        .json()
    )

    [row] = body["results"]
    # One invoiced month: 12000.00 in-house - (1500.00 invoiced - 500.00 credit) = 11000.00.
    assert row["windows"][0] == {
        "months": 6,
        "first_month": "2026-05-01",
        "last_month": "2026-10-01",
        "months_invoiced": 1,
        "baseline": "12000.00",
        "invoiced": "1500.00",
        "credits": "500.00",
        "net_cost": "1000.00",
        "savings": "11000.00",
    }
    assert [w["months"] for w in row["windows"]] == [6, 12, 24]


def test_the_vendor_page_the_pack_and_the_api_show_the_same_savings(world):
    """One rule (scorecards.savings) behind all three: 12000.00 in-house - (1500.00 invoiced
    - 500.00 credit) = 11000.00 for October 2026, the only invoiced month."""
    api = (
        client_for(world.finance)
        .get("/api/v1/savings/", {"contract": world.a.contract.pk, "as_of": "2026-10"})
        .json()
    )
    assert [w["savings"] for w in api["results"][0]["windows"]] == ["11000.00"] * 3

    pack = packs.pack_for_vendor(
        vendor=world.a.vendor, period=period_from_label("2026-10"), now=NOW
    )
    assert [c.savings for c in pack.credits] == [Decimal("11000.00")]

    url = reverse("vendor", args=[world.a.vendor.slug])
    query = f"?kind=month&period=2026-10&contract={world.a.contract.pk}"
    browser = Client()
    browser.force_login(world.manager)
    page = browser.get(url + query)
    assert page.status_code == 200
    windows = page.context["costs"]["windows"]
    assert [(w["months"], w["invoiced_months"]) for w in windows] == [(6, 1), (12, 1), (24, 1)]
    assert {w["saving"] for w in windows} == {"11,000.00 GBP"}
    assert {w["saving_class"] for w in windows} == {"better"}


def test_savings_before_any_invoice_count_no_month(world):
    body = client_for(world.manager).get("/api/v1/savings/", {"as_of": "2026-09"}).json()

    assert {w["savings"] for r in body["results"] for w in r["windows"]} == {"0.00"}


def test_alerts_surveys_outages_and_action_items_show_their_fields(world):
    client = client_for(world.vendor_a)

    [alert] = client.get("/api/v1/alerts/").json()["results"]
    [survey] = client.get("/api/v1/survey-answers/").json()["results"]
    [outage] = client.get("/api/v1/outages/").json()["results"]
    [action] = client.get("/api/v1/action-items/", {"status": "open"}).json()["results"]

    assert (alert["ticket_external_id"], alert["target"], alert["threshold"]) == (
        "A-1",
        "resolution",
        "breach",
    )
    assert (survey["ticket_external_id"], survey["score"], survey["comment"]) == (
        "A-1",
        4,
        "Quick fix",
    )
    assert (outage["service"], outage["ended_at"]) == ("E-mail", "2026-10-05T11:30:00Z")
    assert (action["title"], action["owner"], action["due_on"]) == (
        "A: fix the printer queue",
        "Dana",
        "2026-11-30",
    )


def test_a_vendor_raises_a_dispute_and_a_manager_decides_it_through_the_api(world):
    vendor = client_for(world.vendor_a)
    breach = {"ticket": world.a.ticket.pk, "target": "resolution", "reason": "Customer away"}

    raised = vendor.post("/api/v1/disputes/", breach, format="json")

    assert raised.status_code == 201
    dispute = raised.json()
    assert (dispute["ticket_external_id"], dispute["target"], dispute["status"]) == (
        "A-1",
        "resolution",
        "open",
    )
    assert (dispute["vendor"], dispute["raised_by"]) == (
        world.a.vendor.pk,
        world.vendor_a.get_username(),
    )
    # Refusals name the field and the reason.
    again = vendor.post("/api/v1/disputes/", breach, format="json")
    assert again.status_code == 400
    assert again.json() == {"target": ["The resolution breach is already disputed."]}
    met = vendor.post("/api/v1/disputes/", {**breach, "target": "response"}, format="json")
    assert met.json() == {"target": ["The response target was not breached."]}
    other = vendor.post("/api/v1/disputes/", {**breach, "ticket": world.b.ticket.pk}, format="json")
    assert (other.status_code, other.json()) == (400, {"ticket": ["No such ticket."]})

    manager = client_for(world.manager)
    url = f"/api/v1/disputes/{dispute['id']}/decision/"
    decided = manager.post(url, {"decision": "accept", "note": "Agreed"}, format="json")

    assert decided.status_code == 200
    body = decided.json()
    assert (body["status"], body["decided_by"], body["decision_note"]) == (
        "accepted",
        world.manager.get_username(),
        "Agreed",
    )
    world.a.ticket.refresh_from_db()
    assert world.a.ticket.resolution_excluded is True  # out of the SLA figures from now on
    twice = manager.post(url, {"decision": "reject"}, format="json")
    assert (twice.status_code, twice.json()) == (
        400,
        {"status": ["The dispute is already accepted."]},
    )
    accepted = client_for(world.finance).get("/api/v1/disputes/", {"status": "accepted"}).json()
    assert [d["id"] for d in accepted["results"]] == [dispute["id"]]


def test_a_manager_adds_an_action_item_and_the_vendor_reports_its_progress(world):
    manager, vendor = client_for(world.manager), client_for(world.vendor_a)
    item = {
        "vendor": world.a.vendor.pk,
        "month": "2026-10",
        "title": "Publish the escalation rota",
        "owner_name": "Sam",
        "vendor_owned": True,
        "due_on": "2026-11-20",
    }

    added = manager.post("/api/v1/action-items/", item, format="json")

    assert added.status_code == 201
    body = added.json()
    assert (body["vendor"], body["raised_month"], body["status"], body["owner"]) == (
        world.a.vendor.pk,
        "2026-10-01",
        "open",
        "Sam",
    )
    refused = manager.post("/api/v1/action-items/", {**item, "month": "2026-13"}, format="json")
    assert refused.status_code == 400 and list(refused.json()) == ["month"]
    blank = manager.post("/api/v1/action-items/", {**item, "title": " "}, format="json")
    assert blank.status_code == 400 and list(blank.json()) == ["title"]

    url = f"/api/v1/action-items/{body['id']}/status/"
    done = vendor.post(url, {"status": "done", "month": "2026-10"}, format="json")
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["closed_month"]) == ("done", "2026-10-01")
    # As on the pack page: dropping is the manager's call, notes are the manager's, and an
    # item the vendor does not own is not the vendor's to move.
    dropped = vendor.post(url, {"status": "dropped"}, format="json")
    assert dropped.status_code == 403
    assert dropped.json() == {"detail": "Dropping an action item is a manager's decision."}
    noted = vendor.post(url, {"status": "in_progress", "notes": "Nearly"}, format="json")
    assert (noted.status_code, noted.json()) == (
        400,
        {"notes": ["Only managers edit an action item's notes."]},
    )
    theirs = f"/api/v1/action-items/{world.a.action.pk}/status/"
    assert vendor.post(theirs, {"status": "done"}, format="json").status_code == 403
    reopened = manager.post(url, {"status": "open", "notes": "Rota missing nights"}, format="json")
    assert reopened.status_code == 200
    assert (reopened.json()["status"], reopened.json()["closed_month"]) == ("open", None)
    assert reopened.json()["notes"] == "Rota missing nights"
