"""Deliverable writes: what is refused (naming the field), what the audit trail keeps, and the
months the figures are told to recompute."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from assurance.models import Deliverable
from assurance.services_delivery import (
    deliverable_create,
    deliverable_deliver,
    deliverable_replan,
    deliverable_update,
    deliverable_upsert,
)
from common.roles import MANAGER
from scorecards.models import DirtyPeriod
from tests.api.conftest import user_in
from tests.factories import ContractFactory, VendorFactory
from vendors.models import AuditEntry

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 4, 1)


@pytest.fixture
def vendor():
    return VendorFactory(name="Acme Support", slug="acme")


def refusal(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def test_a_delivery_date_in_the_future_is_refused_naming_delivered_on(vendor):
    errors = refusal(
        lambda: deliverable_create(
            vendor=vendor,
            title="Go-live",
            planned_on=dt.date(2026, 3, 10),
            delivered_on=dt.date(2026, 4, 2),
            today=TODAY,
        )
    )

    assert list(errors) == ["delivered_on"]
    assert "2026-04-02 is in the future" in errors["delivered_on"][0]
    assert not Deliverable.objects.exists()


def test_a_missing_planned_date_is_refused_naming_planned_on(vendor):
    errors = refusal(
        lambda: deliverable_create(vendor=vendor, title="Go-live", planned_on=None, today=TODAY)
    )

    assert errors == {"planned_on": ["Give the planned date."]}


def test_a_contract_of_another_vendor_is_refused_naming_contract(vendor):
    other = ContractFactory(vendor=VendorFactory(name="Bravo"), name="Bravo desk")

    errors = refusal(
        lambda: deliverable_create(
            vendor=vendor, title="Go-live", planned_on=dt.date(2026, 3, 10), contract=other
        )
    )

    assert errors == {
        "contract": ["The contract “Bravo / Bravo desk” is not one of this vendor's."]
    }


def test_an_early_delivery_is_fine(vendor):
    d = deliverable_create(
        vendor=vendor,
        title="Design",
        planned_on=dt.date(2026, 3, 10),
        delivered_on=dt.date(2026, 3, 9),
        today=TODAY,
    )

    assert d.delivered_on == dt.date(2026, 3, 9)


def test_a_reference_is_unique_per_vendor(vendor):
    deliverable_create(vendor=vendor, title="A", planned_on=TODAY, reference="PRJ-1")
    deliverable_create(
        vendor=VendorFactory(name="Bravo"), title="B", planned_on=TODAY, reference="PRJ-1"
    )

    errors = refusal(
        lambda: deliverable_create(vendor=vendor, title="C", planned_on=TODAY, reference="PRJ-1")
    )
    assert list(errors) == ["reference"]


def test_a_replan_keeps_who_when_and_why_and_leaves_the_plan(vendor):
    manager = user_in(MANAGER, "manager")
    d = deliverable_create(vendor=vendor, title="Go-live", planned_on=dt.date(2026, 3, 17))
    at = dt.datetime(2026, 3, 12, 10, tzinfo=dt.UTC)

    deliverable_replan(
        deliverable=d,
        replanned_on=dt.date(2026, 3, 24),
        reason="Supplier hardware late",
        user=manager,
        now=at,
    )

    d.refresh_from_db()
    assert (d.planned_on, d.replanned_on) == (dt.date(2026, 3, 17), dt.date(2026, 3, 24))
    assert (d.replanned_by, d.replanned_at, d.replanned_reason) == (
        manager,
        at,
        "Supplier hardware late",
    )


def test_a_replan_may_bring_the_date_forward_but_needs_a_reason_and_a_new_date(vendor):
    d = deliverable_create(vendor=vendor, title="Go-live", planned_on=dt.date(2026, 3, 17))

    errors = refusal(
        lambda: deliverable_replan(
            deliverable=d, replanned_on=dt.date(2026, 3, 17), reason="", user=None
        )
    )
    assert set(errors) == {"replanned_on", "replanned_reason"}

    deliverable_replan(
        deliverable=d, replanned_on=dt.date(2026, 3, 13), reason="Team freed up", user=None
    )
    assert d.replanned_on == dt.date(2026, 3, 13)


def test_a_delivered_deliverable_is_not_replanned(vendor):
    d = deliverable_create(
        vendor=vendor,
        title="Go-live",
        planned_on=dt.date(2026, 3, 17),
        delivered_on=dt.date(2026, 3, 23),
    )

    errors = refusal(
        lambda: deliverable_replan(
            deliverable=d, replanned_on=dt.date(2026, 3, 30), reason="Late", user=None
        )
    )
    assert list(errors) == ["replanned_on"]


def test_recording_a_delivery_needs_its_date(vendor):
    d = deliverable_create(vendor=vendor, title="Go-live", planned_on=dt.date(2026, 3, 17))

    assert refusal(lambda: deliverable_deliver(deliverable=d, delivered_on=None)) == {
        "delivered_on": ["Give the day it was delivered."]
    }


def test_a_write_marks_every_month_from_its_earliest_date_dirty(vendor):
    d = deliverable_create(vendor=vendor, title="Go-live", planned_on=dt.date(2026, 3, 17))
    DirtyPeriod.objects.all().delete()

    deliverable_update(deliverable=d, planned_on=dt.date(2026, 1, 20))

    months = set(
        DirtyPeriod.objects.filter(vendor=vendor, period_kind="month").values_list(
            "period_start", flat=True
        )
    )
    assert {dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)} <= months


def test_an_upsert_by_reference_twice_changes_nothing_the_second_time(vendor):
    values = {"title": "Go-live", "planned_on": dt.date(2026, 3, 17)}
    first, created = deliverable_upsert(vendor=vendor, reference="PRJ-7", **values)
    entries = AuditEntry.objects.count()

    again, created_again = deliverable_upsert(vendor=vendor, reference="PRJ-7", **values)

    assert (created, created_again, again.pk) == (True, False, first.pk)
    assert Deliverable.objects.count() == 1
    assert AuditEntry.objects.count() == entries


def test_the_audit_trail_keeps_create_replan_and_delivery_with_the_managers_name(vendor):
    manager = user_in(MANAGER, "manager")
    client = Client()
    client.force_login(manager)

    client.post(
        "/vendors/acme/deliverables/new/",
        {"title": "Go-live", "kind": "milestone", "planned_on": "2026-03-17"},
    )
    d = Deliverable.objects.get()
    client.post(
        f"/vendors/acme/deliverables/{d.pk}/replan/",
        {"replanned_on": "2026-03-24", "replanned_reason": "Supplier hardware late"},
    )
    client.post(f"/vendors/acme/deliverables/{d.pk}/deliver/", {"delivered_on": "2026-03-23"})

    entries = AuditEntry.objects.filter(
        object_type="assurance.deliverable", object_id=str(d.pk)
    ).order_by("id")
    assert [(e.action, e.user, e.actor) for e in entries] == [
        ("create", manager, "manager"),
        ("update", manager, "manager"),
        ("update", manager, "manager"),
    ]
    created, replanned, delivered = entries
    assert created.new_values["planned_on"] == "2026-03-17"
    assert replanned.new_values["replanned_on"] == "2026-03-24"
    assert replanned.new_values["replanned_reason"] == "Supplier hardware late"
    assert delivered.old_values["delivered_on"] is None
    assert delivered.new_values["delivered_on"] == "2026-03-23"
