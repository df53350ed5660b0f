"""/api/v1/deliverables/: every role reads, vendor-scoped; managers push (create, upsert by
reference, change, re-plan); finance and vendor users are refused; a refusal names the field in
the one error shape."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from assurance.models import Deliverable
from assurance.services_delivery import deliverable_create
from tests.api import conftest as api_conftest
from tests.api.conftest import client_for, ids

pytestmark = pytest.mark.django_db

URL = "/api/v1/deliverables/"
world = api_conftest.world  # the two-vendor world of the API tests, as a fixture here too


@pytest.fixture
def delivered(world):
    """Vendor A: worked example 8's late one and an overdue one; vendor B: one on time."""
    a, b = world.a, world.b
    return {
        "a_late": deliverable_create(
            vendor=a.vendor,
            contract=a.contract,
            title="A pilot",
            reference="A-1",
            planned_on=dt.date(2026, 3, 17),
            delivered_on=dt.date(2026, 3, 23),
        ),
        "a_overdue": deliverable_create(
            vendor=a.vendor, title="A roll-out", planned_on=dt.date(2026, 3, 25)
        ),
        "b_on_time": deliverable_create(
            vendor=b.vendor,
            title="B report",
            planned_on=dt.date(2026, 3, 10),
            delivered_on=dt.date(2026, 3, 9),
        ),
    }


def test_managers_and_finance_read_every_vendors_deliverables(world, delivered):
    for user in (world.manager, world.finance):
        response = client_for(user).get(URL)

        assert response.status_code == 200
        assert sorted(ids(response)) == sorted(d.pk for d in delivered.values())


def test_a_vendor_user_never_sees_another_vendors_deliverables(world, delivered):
    b = client_for(world.vendor_b)

    assert ids(b.get(URL)) == [delivered["b_on_time"].pk]
    assert ids(b.get(URL, {"vendor": world.a.vendor.pk})) == []
    assert b.get(f"{URL}{delivered['a_late'].pk}/").status_code == 404
    rows = list(csv.reader(io.StringIO(b.get(URL, {"format": "csv"}).content.decode("utf-8-sig"))))
    assert [r[rows[0].index("title")] for r in rows[1:]] == ["B report"]


def test_a_row_carries_its_status_and_slip_as_the_page_shows_them(world, delivered):
    response = client_for(world.vendor_a).get(f"{URL}{delivered['a_late'].pk}/")

    row = response.json()
    assert (row["status"], row["slip_business_days"]) == ("late", 4)
    assert (row["vendor"], row["contract"], row["reference"]) == (
        world.a.vendor.pk,
        world.a.contract.pk,
        "A-1",
    )


def test_filters_narrow_by_lateness_and_contract(world, delivered):
    manager = client_for(world.manager)

    assert sorted(ids(manager.get(URL, {"late": "true"}))) == sorted(
        [delivered["a_late"].pk, delivered["a_overdue"].pk]
    )
    assert ids(manager.get(URL, {"overdue": "true"})) == [delivered["a_overdue"].pk]
    assert ids(manager.get(URL, {"late": "false"})) == [delivered["b_on_time"].pk]
    assert ids(manager.get(URL, {"contract": world.a.contract.pk})) == [delivered["a_late"].pk]
    assert manager.get(URL, {"late": "maybe"}).json() == {"late": ["Give true or false."]}


def test_a_manager_pushes_one_and_pushing_its_reference_again_updates_it(world):
    manager = client_for(world.manager)
    body = {
        "vendor": world.a.vendor.pk,
        "contract": world.a.contract.pk,
        "reference": "JIRA-42",
        "title": "Cut-over",
        "planned_on": "2026-03-17",
    }

    created = manager.post(URL, body, format="json")
    again = manager.post(URL, {**body, "delivered_on": "2026-03-23"}, format="json")

    assert (created.status_code, again.status_code) == (201, 200)
    assert created.json()["id"] == again.json()["id"]
    assert (again.json()["status"], again.json()["slip_business_days"]) == ("late", 4)
    assert Deliverable.objects.get().delivered_on == dt.date(2026, 3, 23)


def test_a_push_is_refused_naming_the_field(world, delivered):
    manager = client_for(world.manager)
    base = {"vendor": world.a.vendor.pk, "title": "Cut-over", "planned_on": "2026-03-17"}

    future = manager.post(URL, {**base, "delivered_on": "2099-01-01"}, format="json")
    missing = manager.post(URL, {"vendor": world.a.vendor.pk, "title": "X"}, format="json")
    other = manager.post(URL, {**base, "contract": world.b.contract.pk}, format="json")

    assert future.status_code == 400
    assert list(future.json()) == ["delivered_on"]
    assert missing.json() == {"planned_on": ["This field is required."]}
    assert list(other.json()) == ["contract"]


def test_a_manager_changes_one_by_id_and_replans_it(world, delivered):
    manager = client_for(world.manager)
    d = delivered["a_overdue"]

    patched = manager.patch(f"{URL}{d.pk}/", {"notes": "Waiting on licences"}, format="json")
    replanned = manager.post(
        f"{URL}{d.pk}/replan/",
        {"replanned_on": "2026-04-08", "reason": "Licences late"},
        format="json",
    )
    put = manager.put(
        f"{URL}{d.pk}/",
        {
            "contract": None,
            "reference": "A-2",
            "title": "A roll-out",
            "kind": "milestone",
            "planned_on": "2026-03-25",
            "delivered_on": "2026-04-01",
            "notes": "",
        },
        format="json",
    )

    assert patched.status_code == 200 and patched.json()["notes"] == "Waiting on licences"
    assert replanned.json()["replanned_on"] == "2026-04-08"
    assert replanned.json()["replanned_by"] == "manager"
    assert put.status_code == 200
    assert (put.json()["reference"], put.json()["delivered_on"]) == ("A-2", "2026-04-01")
    assert put.json()["planned_on"] == "2026-03-25"  # the plan the figures judge by


@pytest.mark.parametrize("who", ["finance", "vendor_a"])
def test_finance_and_vendor_users_may_not_push(world, delivered, who):
    client = client_for(getattr(world, who))
    d = delivered["a_overdue"]
    body = {"vendor": world.a.vendor.pk, "title": "X", "planned_on": "2026-03-17"}

    assert client.post(URL, body, format="json").status_code == 403
    assert client.patch(f"{URL}{d.pk}/", {"notes": "x"}, format="json").status_code == 403
    assert (
        client.post(
            f"{URL}{d.pk}/replan/", {"replanned_on": "2026-04-08", "reason": "x"}, format="json"
        ).status_code
        == 403
    )
    assert Deliverable.objects.count() == 3


def test_an_export_never_carries_a_formula_and_updated_since_narrows(world, delivered):
    deliverable_create(vendor=world.a.vendor, title="=HYPERLINK(1)", planned_on=dt.date(2026, 3, 2))
    manager = client_for(world.manager)

    exported = manager.get(URL, {"format": "csv", "vendor": world.a.vendor.pk})
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    titles = [r[rows[0].index("title")] for r in rows[1:]]
    assert "'=HYPERLINK(1)" in titles
    assert ids(manager.get(URL, {"updated_since": "2999-01-01T00:00:00+00:00"})) == []
