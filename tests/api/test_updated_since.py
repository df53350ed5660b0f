"""`updated_since` on finance's figure lists: exactly the rows computed, restated or closed at
or after the time given, so a pull fetches what changed since the last one."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from scorecards.filters import SavingsFilter
from scorecards.models import ClosedPeriod, MetricValue, Restatement, Scorecard
from tests.api.conftest import NOW, OCT, client_for, ids
from vendors.models import Contract

HOUR = dt.timedelta(hours=1)


def since(at: dt.datetime) -> dict:
    return {"updated_since": at.isoformat()}


def _figure(side, metric: str, kind: str = "contract") -> MetricValue:
    subject_id = side.contract.pk if kind == "contract" else side.vendor.pk
    return MetricValue.objects.get(
        subject_kind=kind, subject_id=subject_id, metric=metric, period_start=OCT
    )


def _restate(side, metric: str, at: dt.datetime, kind: str = "contract") -> None:
    subject_id = side.contract.pk if kind == "contract" else side.vendor.pk
    Restatement.objects.create(
        vendor=side.vendor,
        subject_kind=kind,
        subject_id=subject_id,
        period_kind="month",
        period_start=OCT,
        metric=metric,
        old_value=Decimal(500),
        new_value=Decimal(400),
        restated_at=at,
    )


def credit_contracts(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["contract"] for row in response.json()["results"]]


def test_service_credits_since_a_time_are_the_ones_recomputed_or_restated_since(world):
    client = client_for(world.finance)
    MetricValue.objects.filter(pk=_figure(world.b, "service_credit").pk).update(
        computed_at=NOW + 2 * HOUR
    )
    _restate(world.a, "service_credit", NOW + 3 * HOUR)
    _restate(world.b, "csat_pct", NOW + 5 * HOUR)  # another figure: not B's credit

    everything = client.get("/api/v1/service-credits/", since(NOW))
    after_both = client.get("/api/v1/service-credits/", since(NOW + HOUR))
    after_recompute = client.get(
        "/api/v1/service-credits/", since(NOW + 150 * dt.timedelta(minutes=1))
    )
    after_all = client.get("/api/v1/service-credits/", since(NOW + 4 * HOUR))

    assert sorted(credit_contracts(everything)) == sorted(
        [world.a.contract.pk, world.b.contract.pk]
    )
    assert sorted(credit_contracts(after_both)) == sorted(
        [world.a.contract.pk, world.b.contract.pk]
    )
    assert credit_contracts(after_recompute) == [world.a.contract.pk]
    assert credit_contracts(after_all) == []


def test_cost_per_ticket_since_includes_a_period_closed_since(world):
    client = client_for(world.manager)
    ClosedPeriod.objects.create(
        vendor=world.a.vendor, period_kind="month", period_start=OCT, closed_at=NOW + 2 * HOUR
    )

    rows = client.get("/api/v1/cost-per-ticket/", since(NOW + HOUR)).json()["results"]
    later = client.get("/api/v1/cost-per-ticket/", since(NOW + 3 * HOUR)).json()["results"]

    assert [(r["subject_kind"], r["subject_id"]) for r in rows] == [
        ("contract", world.a.contract.pk)
    ]
    assert later == []


def test_scorecards_since_are_the_cards_computed_or_with_a_figure_restated_since(world):
    client = client_for(world.manager)
    Scorecard.objects.filter(subject_kind="vendor", subject_id=world.a.vendor.pk).update(
        computed_at=NOW + 2 * HOUR
    )
    _restate(world.b, "csat_pct", NOW + 3 * HOUR, kind="vendor")

    cards = client.get("/api/v1/scorecards/", since(NOW + HOUR)).json()["results"]
    later = client.get("/api/v1/scorecards/", since(NOW + 150 * dt.timedelta(minutes=1)))

    assert sorted(c["subject_id"] for c in cards) == sorted([world.a.vendor.pk, world.b.vendor.pk])
    assert [c["subject_id"] for c in later.json()["results"]] == [world.b.vendor.pk]


def test_a_vendor_user_gets_only_its_own_changes(world):
    MetricValue.objects.filter(metric="service_credit").update(computed_at=NOW + 2 * HOUR)

    rows = client_for(world.vendor_a).get("/api/v1/service-credits/", since(NOW + HOUR))

    assert credit_contracts(rows) == [world.a.contract.pk]


def test_invoices_since_are_the_ones_recorded_or_changed_since(world):
    client = client_for(world.finance)
    before = timezone.now()
    invoice = world.b.invoice
    invoice.amount = Decimal("1600.00")
    invoice.save()

    changed = client.get("/api/v1/invoices/", since(before))
    all_of_them = client.get("/api/v1/invoices/", since(before - HOUR))

    assert ids(changed) == [invoice.pk]
    assert sorted(ids(all_of_them)) == sorted([world.a.invoice.pk, invoice.pk])


def test_savings_since_are_the_contracts_with_an_invoice_or_credit_changed_since(world):
    before = timezone.now()
    world.a.invoice.save()
    MetricValue.objects.filter(pk=_figure(world.b, "service_credit").pk).update(
        computed_at=before + HOUR
    )

    def contracts(at: dt.datetime) -> list[int]:
        found = SavingsFilter({"updated_since": at.isoformat()}, queryset=Contract.objects.all()).qs
        return sorted(found.values_list("pk", flat=True))

    assert contracts(before) == sorted([world.a.contract.pk, world.b.contract.pk])
    assert contracts(before + 2 * HOUR) == []


@pytest.mark.parametrize(
    "value",
    ["", "2026-11-05", "2026-11-05T12:00:00", "yesterday", "2026-13-01T00:00:00+00:00"],
)
def test_a_malformed_or_offsetless_time_is_a_400(world, value):
    response = client_for(world.manager).get("/api/v1/service-credits/", {"updated_since": value})

    assert response.status_code == 400
    assert list(response.json()) == ["updated_since"]
