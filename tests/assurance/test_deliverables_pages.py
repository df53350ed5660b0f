"""The delivery page: worked example 8 (METRICS.md) late first with its slip, who may open and
change what, and the forms' refusals naming their field."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from assurance.models import Deliverable
from assurance.services_delivery import deliverable_create
from common.roles import FINANCE, MANAGER, VENDOR
from tests.api.conftest import user_in
from tests.factories import ContractFactory, VendorFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 4, 1)  # Wed, the day after worked example 8's month


@pytest.fixture(autouse=True)
def today(monkeypatch):
    monkeypatch.setattr("assurance.views.deliverables.reporting_today", lambda: TODAY)


@pytest.fixture
def acme():
    vendor = VendorFactory(name="Acme Support", slug="acme")
    # Mon-Fri 09:00-17:00 Europe/London with English bank holidays (the examples' calendar).
    ContractFactory(vendor=vendor, name="Acme desk")
    return vendor


@pytest.fixture
def example_8(acme):
    """Worked example 8: on time (planned Tue 10, delivered Mon 9 March), late (planned Tue 17,
    delivered Mon 23 March: 4 business days) and overdue (planned Wed 25 March)."""
    made = {}
    for title, planned, delivered in (
        ("Design sign-off", dt.date(2026, 3, 10), dt.date(2026, 3, 9)),
        ("Pilot go-live", dt.date(2026, 3, 17), dt.date(2026, 3, 23)),
        ("Full roll-out", dt.date(2026, 3, 25), None),
    ):
        made[title] = deliverable_create(
            vendor=acme, title=title, planned_on=planned, delivered_on=delivered
        )
    return made


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def rows(html: str) -> list[tuple[str, str, str]]:
    """(title, status, slip) of each row of the deliverables table, in its order."""
    body = html.split('<table class="data deliverables">', 1)[1].split("</table>", 1)[0]
    found = []
    for row in re.findall(r'<tr class="status-[a-z_]+">(.*?)</tr>', body, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        title = re.sub(r"<[^>]+>", "", cells[0].split("<br>")[0]).strip()
        status, slip = (" ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in cells[1:3])
        found.append((title, status, slip))
    return found


def test_example_8_lists_the_overdue_one_first_then_the_late_one_with_slip_4(example_8):
    response = client_of(user_in(MANAGER, "manager")).get("/vendors/acme/deliverables/")

    assert response.status_code == 200
    assert rows(response.content.decode()) == [
        # Overdue since Wed 25 March: Thu 26, Fri 27, Mon 30, Tue 31 March, Wed 1 April so far.
        ("Full roll-out", "Overdue", "5 so far"),
        ("Pilot go-live", "Delivered late", "4"),
        ("Design sign-off", "Delivered on time early", "–"),
    ]


def test_a_replanned_date_is_shown_but_the_slip_counts_from_the_plan(acme):
    manager = user_in(MANAGER, "manager")
    d = deliverable_create(vendor=acme, title="Pilot go-live", planned_on=dt.date(2026, 3, 17))
    client = client_of(manager)
    client.post(
        f"/vendors/acme/deliverables/{d.pk}/replan/",
        {"replanned_on": "2026-03-20", "replanned_reason": "Agreed at the weekly call"},
    )
    client.post(f"/vendors/acme/deliverables/{d.pk}/deliver/", {"delivered_on": "2026-03-23"})

    html = client.get("/vendors/acme/deliverables/").content.decode()

    assert rows(html)[0][1:] == ("Delivered late", "4")
    assert "Fri 20 Mar 2026" in html and "Agreed at the weekly call" in html
    assert "agreed by manager" in html


def test_a_vendor_user_reads_its_own_list_without_edit_links_and_never_another_vendors(example_8):
    VendorFactory(name="Bravo", slug="bravo")
    own = client_of(user_in(VENDOR, "vendor-a", Deliverable.objects.first().vendor))

    page = own.get("/vendors/acme/deliverables/")
    assert page.status_code == 200
    assert "Pilot go-live" in page.content.decode()
    assert "Add a deliverable" not in page.content.decode()
    assert "/deliverables/new/" not in page.content.decode()
    assert own.get("/vendors/bravo/deliverables/").status_code == 404
    d = example_8["Full roll-out"]
    assert own.post(f"/vendors/acme/deliverables/{d.pk}/deliver/", {}).status_code == 403
    assert own.get(f"/vendors/acme/deliverables/{d.pk}/").status_code == 403


def test_finance_reads_the_list_but_may_not_add(example_8):
    finance = client_of(user_in(FINANCE, "finance"))

    assert finance.get("/vendors/acme/deliverables/").status_code == 200
    assert finance.get("/vendors/acme/deliverables/new/").status_code == 403


def test_a_manager_adds_one_and_a_missing_planned_date_is_named(acme):
    client = client_of(user_in(MANAGER, "manager"))

    refused = client.post(
        "/vendors/acme/deliverables/new/", {"title": "Go-live", "kind": "milestone"}
    )
    assert refused.status_code == 200
    assert "Planned on: Give the planned date." in refused.content.decode()

    done = client.post(
        "/vendors/acme/deliverables/new/",
        {"title": "Go-live", "kind": "milestone", "planned_on": "2026-03-17"},
    )
    assert done.status_code == 302
    assert Deliverable.objects.get().planned_on == dt.date(2026, 3, 17)


def test_a_delivery_in_the_future_is_refused_beside_its_field(example_8):
    d = example_8["Full roll-out"]
    client = client_of(user_in(MANAGER, "manager"))

    response = client.post(
        f"/vendors/acme/deliverables/{d.pk}/deliver/", {"delivered_on": "2099-01-01"}
    )

    assert response.status_code == 200
    assert "Delivered on: 2099-01-01 is in the future" in response.content.decode()
    d.refresh_from_db()
    assert d.delivered_on is None


def test_another_vendors_deliverable_under_this_vendors_address_is_a_404(example_8):
    bravo = VendorFactory(name="Bravo", slug="bravo")
    theirs = deliverable_create(vendor=bravo, title="Theirs", planned_on=dt.date(2026, 3, 2))
    client = client_of(user_in(MANAGER, "manager"))

    assert client.get(f"/vendors/acme/deliverables/{theirs.pk}/").status_code == 404
    assert client.post(f"/vendors/acme/deliverables/{theirs.pk}/delete/").status_code == 404
    assert Deliverable.objects.filter(pk=theirs.pk).exists()


def test_a_manager_deletes_one(example_8):
    d = example_8["Design sign-off"]

    response = client_of(user_in(MANAGER, "manager")).post(
        f"/vendors/acme/deliverables/{d.pk}/delete/"
    )

    assert response.status_code == 302
    assert not Deliverable.objects.filter(pk=d.pk).exists()
