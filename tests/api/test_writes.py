"""POST /api/v1/invoices/ (managers and finance) and /api/v1/survey-answers/ (managers)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from scorecards.models import DirtyPeriod
from tests.api.conftest import client_for
from tests.factories import TicketFactory
from tickets.models import SurveyResponse
from vendors.models import Invoice

pytestmark = pytest.mark.django_db
INVOICES = "/api/v1/invoices/"
SURVEYS = "/api/v1/survey-answers/"


def test_finance_records_an_invoice_and_its_month_is_marked_for_recompute(world):
    response = client_for(world.finance).post(
        INVOICES,
        {
            "contract": world.a.contract.pk,
            "period_start": "2026-11-01",
            "amount": "1234.50",
            "reference": "INV-11",
        },
        format="json",
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert {k: body[k] for k in ("vendor", "period_end", "amount", "currency")} == {
        "vendor": world.a.vendor.pk,
        "period_end": "2026-11-30",
        "amount": "1234.50",
        "currency": "GBP",
    }
    assert Invoice.objects.get(pk=body["id"]).amount == Decimal("1234.50")
    assert DirtyPeriod.objects.filter(
        vendor=world.a.vendor, period_kind="month", period_start=dt.date(2026, 11, 1)
    ).exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"contract": 999999}, "contract"),
        ({"period_start": "2026-11-15"}, "period_start"),
        ({"period_end": "2026-10-31"}, "period_end"),
        ({"amount": "-1.00"}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"currency": "EUR"}, "currency"),
        ({"currency": "euro"}, "currency"),
        ({"reference": "A-INV-10", "period_start": "2026-10-01"}, "reference"),
    ],
)
def test_an_invalid_invoice_is_a_400_naming_the_field(world, changes, field):
    data = {"contract": world.a.contract.pk, "period_start": "2026-11-01", "amount": "10.00"}
    data.update(changes)

    response = client_for(world.manager).post(INVOICES, data, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_finance_bills_any_vendors_contract_in_that_contracts_currency(world):
    response = client_for(world.finance).post(
        INVOICES,
        {"contract": world.b.contract.pk, "period_start": "2026-11-01", "amount": "1.00"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["currency"] == "EUR"


def test_a_manager_posts_a_survey_answer_once_by_source_and_external_id(world):
    ticket = TicketFactory(contract=world.a.contract, external_id="A-9", status="resolved")
    client = client_for(world.manager)
    answer = {"source": "test", "external_id": "A-9", "score": 5, "comment": "Great"}

    first = client.post(SURVEYS, {**answer, "answered_at": "2026-11-17T09:00:00+00:00"})
    second = client.post(SURVEYS, {"ticket": ticket.pk, "score": 1}, format="json")

    assert first.status_code == 201, first.json()
    assert (first.json()["ticket"], first.json()["score"], first.json()["vendor"]) == (
        ticket.pk,
        5,
        world.a.vendor.pk,
    )
    assert second.status_code == 400
    assert list(second.json()) == ["ticket"]
    assert SurveyResponse.objects.filter(ticket=ticket).count() == 1
    assert DirtyPeriod.objects.filter(
        vendor=world.a.vendor, period_kind="month", period_start=dt.date(2026, 11, 1)
    ).exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"score": 5}, "ticket"),
        ({"ticket": 999999, "score": 5}, "ticket"),
        ({"source": "test", "score": 5}, "external_id"),
        ({"ticket": "T", "score": 5}, "ticket"),
        ({"score": 6, "ticket": 1}, "score"),
        ({"score": 0, "ticket": 1}, "score"),
        ({"score": 4, "ticket": 1, "answered_at": "2026-11-17T09:00:00"}, "answered_at"),
        ({"score": 4, "ticket": 1, "answered_at": "2020-01-01T00:00:00Z"}, "answered_at"),
    ],
)
def test_an_invalid_survey_answer_is_a_400_naming_the_field(world, data, field):
    ticket = TicketFactory(contract=world.a.contract, external_id="A-8")
    if data.get("ticket") == 1:
        data = {**data, "ticket": ticket.pk}

    response = client_for(world.manager).post(SURVEYS, data, format="json")

    assert response.status_code == 400
    assert list(response.json()) == [field]
