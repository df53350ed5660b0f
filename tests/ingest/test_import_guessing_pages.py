"""The mapping page with the shared guesser (issue #13): a foreign export (day-first local
times, a team and an agent column, no status column) gets its columns, time format and
values guessed with reasons, asks when its dates read both ways, maps its teams to an
existing and to a new vendor, and imports exactly the right tickets."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from tests.factories import ContractFactory
from tests.ingest.test_import_pages import start, upload
from tickets.ingest.services_guided import key_of
from tickets.models import AttributionRule, ImportRun, Ticket
from vendors.models import Contract, Vendor

pytestmark = pytest.mark.django_db

HEADER = (
    "Incident Number,Opened,Resolved,Closed,Assignment Group,Assigned To,Urgency,"
    "Short Description\n"
)
FOREIGN = (
    HEADER + "INC1001,03/11/2026 09:15,03/11/2026 11:00,04/11/2026 09:00,Service Desk EU,Anna,"
    "Critical,Printer\n"
    "INC1002,13/11/2026 14:05,,,Service Desk EU,Ben,High,VPN\n"
    "INC1003,20/11/2026 08:00,21/11/2026 10:30,,Network Team,Carla,Low,Switch\n"
    "INC1004,25/11/2026 16:45,,,Network Team,,Medium,Wifi\n"
    "INC1005,26/11/2026 10:00,,,Field Ops,Dora,High,Laptop\n"
).encode()
# No day above 12: the dates read day first as well as month first.
AMBIGUOUS = (
    HEADER + "INC2001,03/11/2026 09:15,05/11/2026 10:00,,Network Team,Anna,High,Printer\n"
    "INC2002,04/10/2026 14:05,,,Network Team,Ben,Low,VPN\n"
).encode()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def manager(client):
    from common.roles import MANAGER
    from tests.ingest.test_import_pages import user_in

    client.force_login(user_in(MANAGER, "mia"))
    return client


@pytest.fixture
def network():
    """An existing vendor named like one of the file's teams, with its one contract."""
    return ContractFactory(vendor__name="Network Team")


def upload_foreign(client, content: bytes = FOREIGN) -> ImportRun:
    response = client.post(
        reverse("import-new"),
        {"file": upload("helpdesk.csv", content), "format": "mapped", "source": "helpdesk"},
    )
    run = ImportRun.objects.latest("pk")
    assert response["Location"] == reverse("import-mapping", args=[run.pk])
    return run


def accepted(form, **changes) -> dict:
    """What a browser submits when the user accepts the page as it is, with some changes."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        data[name] = "" if value is None else value
    return data | changes


def test_a_foreign_export_gets_its_columns_guessed_with_reasons_labels_and_samples(
    manager, network
):
    run = upload_foreign(manager)
    page = manager.get(reverse("import-mapping", args=[run.pk]))
    initial = page.context["form"].initial
    assert {f: initial.get(f"col_{f}") for f in ("external_id", "attribution", "priority")} == {
        "external_id": "Incident Number",
        "attribution": "Assignment Group",
        "priority": "Urgency",
    }
    assert (initial["col_created_at"], initial["col_technician"]) == ("Opened", "Assigned To")
    assert "col_status" not in initial
    rows = {r["name"]: r for r in page.context["field_rows"]}
    assert rows["external_id"]["guess"].reason == (
        "header 'Incident Number' means the ticket number"
    )
    assert rows["created_at"]["samples"] == [
        "03/11/2026 09:15",
        "13/11/2026 14:05",
        "20/11/2026 08:00",
    ]
    assert rows["external_id"]["field"].label == "Ticket number"
    html = page.content.decode()
    assert "<b>Ticket number</b>" in html and "<code>external_id</code>" not in html
    assert "header &#x27;Urgency&#x27; may mean the priority" in html
    # The time format is detected and offered in words; no status column is said so.
    assert initial["time_format"] == "%d/%m/%Y %H:%M"
    assert "day first, 24-hour: 31/12/2026 23:05" in html
    assert page.context["status_derived"] is True
    assert "status will be derived from its resolved and closed times" in html


def test_the_files_priorities_are_listed_with_row_counts_and_suggestions(manager, network):
    run = upload_foreign(manager)
    form = manager.get(reverse("import-mapping", args=[run.pk])).context["form"]
    listed = [(seen.value, seen.rows, field.value()) for seen, field in form.value_rows["priority"]]
    assert listed == [
        ("High", 2, "P2"),
        ("Critical", 1, "P1"),
        ("Low", 1, "P4"),
        ("Medium", 1, "P3"),
    ]
    teams = [(team, count, field.value()) for team, count, field, _ in form.team_rows]
    assert teams == [
        ("Network Team", 2, f"c{network.pk}"),  # a vendor of that name: pre-selected
        ("Service Desk EU", 2, None),
        ("Field Ops", 1, None),
    ]


def test_dates_that_read_both_ways_are_asked_not_guessed(manager, network):
    run = upload_foreign(manager, AMBIGUOUS)
    page = manager.get(reverse("import-mapping", args=[run.pk]))
    assert page.context["time_question"] is True
    assert page.context["form"].initial["time_format"] == ""
    html = page.content.decode()
    assert "could be day first or month first" in html
    assert "<code>03/11/2026 09:15</code>" in html
    # Accepting the page as it is is refused, saying what is accepted.
    response = manager.post(
        reverse("import-mapping", args=[run.pk]), accepted(page.context["form"])
    )
    assert response.context["form"].errors["time_format"] == [
        "Choose how the times are written (accepted: ISO 8601, day first, month first, with or "
        "without seconds, 12 or 24 hours), or give a strptime pattern."
    ]
    run.refresh_from_db()
    assert run.options == {}
    # Answered month first: 3 November becomes 11 March.
    response = manager.post(
        reverse("import-mapping", args=[run.pk]),
        accepted(page.context["form"], time_format="%m/%d/%Y %H:%M"),
    )
    assert response["Location"] == reverse("import-preview", args=[run.pk])
    preview = manager.get(reverse("import-preview", args=[run.pk]))
    first = preview.context["rows"][0]["ticket"]
    assert first.created_at == dt.datetime(2026, 3, 11, 9, 15, tzinfo=dt.UTC)


def test_a_foreign_export_maps_its_teams_and_imports_exactly_the_right_tickets(
    manager, network, django_capture_on_commit_callbacks
):
    run = upload_foreign(manager)
    form = manager.get(reverse("import-mapping", args=[run.pk])).context["form"]
    desk = key_of("Service Desk EU")
    data = accepted(
        form,
        time_zone="Europe/Berlin",
        **{f"team_{desk}": "new", f"newname_{desk}": "Desk Partners"},
    )
    response = manager.post(reverse("import-mapping", args=[run.pk]), data)
    assert response["Location"] == reverse("import-preview", args=[run.pk])

    partners = Vendor.objects.get(name="Desk Partners")
    contract = Contract.objects.get(vendor=partners)
    assert contract.sla_policy.name == "METRICS.md defaults"
    assert contract.start_date == dt.date(2026, 11, 1)  # the month of the first ticket
    rules = {r.value: r.contract for r in AttributionRule.objects.filter(source="helpdesk")}
    assert rules == {"Network Team": network, "Service Desk EU": contract}

    preview = manager.get(reverse("import-preview", args=[run.pk]))
    html = preview.content.decode()
    assert "each ticket&#x27;s status is derived from its resolved and closed times" in html
    first = preview.context["rows"][0]
    assert (first["ticket"].priority, first["ticket"].status) == ("P1", "closed")
    assert first["created_local"] == "2026-11-03 09:15"
    assert first["ticket"].created_at == dt.datetime(2026, 11, 3, 8, 15, tzinfo=dt.UTC)
    assert str(first["target"]).startswith("Desk Partners")
    assert "Created (Europe/Berlin)" in html

    run = start(manager, run, django_capture_on_commit_callbacks)
    assert (run.status, run.tickets_created, run.tickets_unmapped) == ("done", 4, 1)
    assert run.unmapped == {"Field Ops": 1}
    stored = {
        t.external_id: (t.priority, t.status, t.vendor.name, t.created_at, t.resolved_at)
        for t in Ticket.objects.select_related("vendor")
    }
    utc = dt.UTC
    assert stored == {
        "INC1001": (
            "P1",
            "closed",
            "Desk Partners",
            dt.datetime(2026, 11, 3, 8, 15, tzinfo=utc),
            dt.datetime(2026, 11, 3, 10, 0, tzinfo=utc),
        ),
        "INC1002": (
            "P2",
            "assigned",
            "Desk Partners",
            dt.datetime(2026, 11, 13, 13, 5, tzinfo=utc),
            None,
        ),
        "INC1003": (
            "P4",
            "resolved",
            "Network Team",
            dt.datetime(2026, 11, 20, 7, 0, tzinfo=utc),
            dt.datetime(2026, 11, 21, 9, 30, tzinfo=utc),
        ),
        "INC1004": (
            "P3",
            "new",
            "Network Team",
            dt.datetime(2026, 11, 25, 15, 45, tzinfo=utc),
            None,
        ),
    }
    assert Ticket.objects.get(external_id="INC1001").closed_at == dt.datetime(
        2026, 11, 4, 8, 0, tzinfo=utc
    )


def test_a_new_vendor_without_a_name_is_refused_and_nothing_is_written(manager, network):
    run = upload_foreign(manager)
    form = manager.get(reverse("import-mapping", args=[run.pk])).context["form"]
    desk = key_of("Service Desk EU")
    data = accepted(form, **{f"team_{desk}": "new", f"newname_{desk}": " "})
    response = manager.post(reverse("import-mapping", args=[run.pk]), data)
    assert response.context["form"].errors[f"newname_{desk}"] == [
        "Name the new vendor for 'Service Desk EU'."
    ]
    run.refresh_from_db()
    assert run.options == {}
    assert not AttributionRule.objects.exists()
    assert Vendor.objects.count() == 1


def test_a_new_vendor_whose_name_is_taken_is_refused_on_its_team_and_nothing_is_written(
    manager, network
):
    run = upload_foreign(manager)
    form = manager.get(reverse("import-mapping", args=[run.pk])).context["form"]
    desk, ops = key_of("Service Desk EU"), key_of("Field Ops")
    data = accepted(
        form,
        **{
            f"team_{desk}": "new",
            f"newname_{desk}": "Desk Partners",
            f"team_{ops}": "new",
            f"newname_{ops}": "Network Team",
        },
    )
    response = manager.post(reverse("import-mapping", args=[run.pk]), data)
    errors = response.context["form"].errors[f"team_{ops}"]
    assert len(errors) == 1 and errors[0].startswith("Field Ops: ")
    run.refresh_from_db()
    assert run.options == {}
    assert not AttributionRule.objects.exists()
    assert list(Vendor.objects.values_list("name", flat=True)) == ["Network Team"]
