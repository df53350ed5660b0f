"""Importing a project tool's export: columns found by name or named by the manager, bad rows
reported with row, field and reason while the good rows are kept, and a second import of the
same file changing nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import Workbook

from assurance.models import Deliverable
from common.roles import FINANCE, MANAGER
from tests.api.conftest import user_in
from tests.factories import ContractFactory, VendorFactory
from vendors.models import AuditEntry

pytestmark = pytest.mark.django_db

URL = "/vendors/acme/deliverables/import/"

# A Jira-like export: its own header names, day-first dates, one bad row of each kind.
EXPORT = """Key;Summary;Issue Type;Baseline Finish;Actual Finish;Contract;Notes
PRJ-1;Design sign-off;Milestone;10/03/2026;09/03/2026;Acme desk;
PRJ-2;Pilot go-live;Change;17/03/2026;23/03/2026;;two days of testing lost
PRJ-3;Full roll-out;Epic;25/03/2026;;;
PRJ-4;Training;Report;;;;no plan yet
PRJ-5;Handover;Milestone;31/03/2026;01/01/2099;;
;Orphan;Milestone;31/03/2026;;;
PRJ-7;Wrong contract;Milestone;31/03/2026;;Bravo desk;
PRJ-8;Bad date;Milestone;2026-03-31;;;
PRJ-2;Pilot go-live again;Change;17/03/2026;;;
"""


@pytest.fixture
def manager_client():
    acme = VendorFactory(name="Acme Support", slug="acme")
    ContractFactory(vendor=acme, name="Acme desk")
    ContractFactory(vendor=VendorFactory(name="Bravo", slug="bravo"), name="Bravo desk")
    client = Client()
    client.force_login(user_in(MANAGER, "manager"))
    return client


def upload(client, content: bytes, name: str = "export.csv", **fields):
    data = {"file": SimpleUploadedFile(name, content), "date_format": "%d/%m/%Y", **fields}
    return client.post(URL, data)


def issues(response) -> list[tuple[int, str, str]]:
    return [(i.row, i.field, i.reason) for i in response.context["report"].issues]


def test_bad_rows_are_reported_with_row_field_and_reason_and_good_rows_kept(manager_client):
    response = upload(manager_client, EXPORT.encode())

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert issues(response) == [
        (5, "planned_on", "empty: give the planned date"),
        (6, "delivered_on", "2099-01-01 is in the future: record a delivery once it is made."),
        (7, "reference", "empty: each row needs the project tool's id"),
        (8, "contract", "“Bravo desk” is none of this vendor's contracts"),
        (9, "planned_on", "“2026-03-31” is not a date written 17/03/2026 (day first)"),
        (10, "reference", "row 3 has it too"),
    ]
    kept = {d.reference: d for d in Deliverable.objects.all()}
    assert sorted(kept) == ["PRJ-1", "PRJ-2", "PRJ-3"]
    assert kept["PRJ-1"].contract.name == "Acme desk"
    assert (kept["PRJ-2"].kind, kept["PRJ-2"].planned_on, kept["PRJ-2"].delivered_on) == (
        "change",
        dt.date(2026, 3, 17),
        dt.date(2026, 3, 23),
    )
    assert kept["PRJ-3"].kind == "other"  # an Epic is none of ours
    assert "kinds read as “other”: Epic" in report.notes
    page = response.content.decode()
    assert "row 3 has it too" in page and "Baseline Finish" in page


def test_importing_the_same_file_twice_changes_nothing(manager_client):
    upload(manager_client, EXPORT.encode())
    entries = AuditEntry.objects.filter(object_type="assurance.deliverable").count()

    again = upload(manager_client, EXPORT.encode())

    report = again.context["report"]
    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert Deliverable.objects.count() == 3
    assert AuditEntry.objects.filter(object_type="assurance.deliverable").count() == entries


def test_a_later_export_updates_by_reference_and_keeps_an_agreed_replan(manager_client):
    upload(manager_client, EXPORT.encode())
    later = (
        "Key;Summary;Baseline Finish;Revised date;Reason;Actual Finish\n"
        "PRJ-3;Full roll-out;25/03/2026;08/04/2026;Waiting for licences;\n"
    )

    report = upload(manager_client, later.encode()).context["report"]

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    d = Deliverable.objects.get(reference="PRJ-3")
    assert (d.planned_on, d.replanned_on, d.replanned_reason) == (
        dt.date(2026, 3, 25),
        dt.date(2026, 4, 8),
        "Waiting for licences",
    )
    assert d.replanned_by.username == "manager"


def test_columns_named_by_the_manager_win_over_guesses(manager_client):
    export = "Ticket;Name;Target;Done\nX-1;Report Q1;2026-03-31;2026-03-30\n"

    response = upload(
        manager_client,
        export.encode(),
        date_format="iso",
        col_reference="Ticket",
        col_planned_on="Target",
        col_delivered_on="Done",
    )

    assert response.context["report"].created == 1
    d = Deliverable.objects.get()
    assert (d.reference, d.title, d.delivered_on) == ("X-1", "Report Q1", dt.date(2026, 3, 30))


def test_a_file_without_a_planned_date_column_is_refused_listing_its_columns(manager_client):
    response = upload(manager_client, b"Key;Summary;Owner\nPRJ-1;Design;Ann\n")

    assert response.context["report"] is None
    errors = response.context["form"].errors["file"]
    assert errors == [
        "no column found for planned_on (the file's columns: “Key”, “Summary”, “Owner”)"
    ]
    assert not Deliverable.objects.exists()


def test_an_xlsx_export_with_date_cells_is_read(manager_client):
    book = Workbook()
    sheet = book.active
    sheet.append(["Reference", "Title", "Planned on", "Delivered on"])
    sheet.append(["PRJ-9", "Cut-over", dt.datetime(2026, 3, 17), dt.datetime(2026, 3, 23)])
    buffer = io.BytesIO()
    book.save(buffer)

    response = upload(manager_client, buffer.getvalue(), name="plan.xlsx")

    assert response.context["report"].created == 1
    d = Deliverable.objects.get()
    assert (d.planned_on, d.delivered_on) == (dt.date(2026, 3, 17), dt.date(2026, 3, 23))


def test_only_managers_import(manager_client):
    finance = Client()
    finance.force_login(user_in(FINANCE, "finance"))

    assert finance.get(URL).status_code == 403
    assert manager_client.get(URL).status_code == 200
