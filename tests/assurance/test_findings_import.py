"""Importing a scanner's findings list into an audit: columns guessed and confirmed, severities
spelt many ways, each bad row named by row, field and reason while the good rows are kept, and
the same file imported twice changing nothing the second time."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook

from assurance import ingest
from assurance.models import Finding
from tests.assurance import findings_world
from tests.assurance.findings_world import audit_of, client_of, upload
from vendors.models import AuditEntry

pytestmark = pytest.mark.django_db

# The shared fixtures, taken by assignment (an import would read as unused, then redefined).
frozen_today = findings_world.frozen_today
media = findings_world.media
world = findings_world.world

SCAN = (
    "Plugin ID,Name,Risk,First Found,Due Date,Description\n"
    "N-1,Admin panel exposed,Critical,2026-03-01,,Reachable from the internet\n"  # row 2
    "N-2,TLS 1.0 enabled,HIGH,2026-03-03,2026-03-20,\n"  # row 3
    "N-3,Old jQuery,4,2026-03-04,,\n"  # row 4: level 4 is critical
    "N-4,Weak SSH MAC,crit,2026-03-05,,\n"  # row 5
    "N-5,Banner disclosure,Info,2026-03-05,,\n"  # row 6: informational
    "N-6,Odd one,banana,2026-03-05,,\n"  # row 7: unknown severity
    "N-7,,Low,2026-03-05,,\n"  # row 8: no title
    "N-8,Bad date,Low,05/03/2026,,\n"  # row 9: not ISO
    "N-9,Due early,Medium,2026-03-05,2026-03-01,\n"  # row 10: due before raised
    "N-2,TLS 1.0 again,High,2026-03-03,,\n"  # row 11: reference repeated
)
MAPPING = ingest.FindingsMapping(
    columns={
        "reference": "Plugin ID",
        "title": "Name",
        "severity": "Risk",
        "raised_on": "First Found",
        "due_on": "Due Date",
        "description": "Description",
    }
)


def run(audit, content: str = SCAN, mapping=MAPPING):
    table = ingest.read_table(io.BytesIO(content.encode()), name="scan.csv")
    return ingest.findings_import(audit=audit, table=table, mapping=mapping)


@pytest.mark.parametrize(
    ("spelt", "ours"),
    [
        ("Critical", "critical"),
        ("HIGH", "high"),
        ("4", "critical"),
        ("crit", "critical"),
        ("moderate", "medium"),
        ("P1", "critical"),
        ("Sev 4", "low"),
        ("9.8", "critical"),
        ("5.3", "medium"),
        ("2 - Medium", "medium"),
        (3, "high"),  # a number cell of a spreadsheet
    ],
)
def test_severity_spellings(spelt, ours):
    assert ingest.parse_severity(spelt) == ours


def test_the_columns_of_a_scanners_export_are_guessed():
    header = ["Plugin ID", "Host", "Name", "Risk", "Due Date", "First Found", "Description"]

    assert ingest.guess_columns(header) == MAPPING.columns


def test_bad_rows_are_named_and_the_good_ones_kept(world):
    audit = audit_of(world.a, contract=world.contract_a)

    report = run(audit)

    assert (report.created, report.updated, report.unchanged) == (4, 0, 0)
    assert [str(p) for p in report.problems] == [
        "row 6, severity (column “Risk”): “Info” is informational: nothing to remediate, so not "
        "imported",
        "row 7, severity (column “Risk”): unknown severity “banana” (use critical, high, medium or "
        "low, P1-P4, a level 1-5 where higher is worse, or a CVSS score like 9.8)",
        "row 8, title (column “Name”): no title given",
        "row 9, raised on (column “First Found”): “05/03/2026” is not a date like 2026-12-31",
        "row 10, due on (column “Due Date”): The finding is due before it was raised.",
        "row 11, reference (column “Plugin ID”): N-2 is already on row 3 of this file",
    ]
    found = {f.reference: (f.severity, f.raised_on, f.due_on) for f in Finding.objects.all()}
    assert found == {
        "N-1": ("critical", dt.date(2026, 3, 1), dt.date(2026, 3, 6)),  # Acme: 5 days
        "N-2": ("high", dt.date(2026, 3, 3), dt.date(2026, 3, 20)),  # as the file says
        "N-3": ("critical", dt.date(2026, 3, 4), dt.date(2026, 3, 9)),
        "N-4": ("critical", dt.date(2026, 3, 5), dt.date(2026, 3, 10)),
    }


def test_the_same_file_twice_changes_nothing_and_a_changed_row_updates_by_reference(world):
    audit = audit_of(world.a)
    run(audit)
    trail = AuditEntry.objects.count()

    again = run(audit)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert AuditEntry.objects.count() == trail  # no write at all
    changed = run(audit, SCAN.replace("N-2,TLS 1.0 enabled,HIGH", "N-2,TLS 1.0 enabled,Medium"))
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 3)
    assert Finding.objects.get(reference="N-2").severity == "medium"
    assert Finding.objects.count() == 4


def test_rows_without_a_reference_match_by_title_and_day_within_the_audit(world):
    audit = audit_of(world.a)
    content = "Title,Severity,Raised\nOpen share,high,2026-03-02\nGuest wifi,low,2026-03-02\n"
    mapping = ingest.FindingsMapping(
        columns={"title": "Title", "severity": "Severity", "raised_on": "Raised"}
    )

    first, second = run(audit, content, mapping), run(audit, content, mapping)

    assert (first.created, second.created, second.unchanged) == (2, 0, 2)


def test_a_reference_of_another_audit_of_the_vendor_is_a_row_error(world):
    run(audit_of(world.a))
    later = audit_of(world.a, held_on=dt.date(2026, 4, 1))

    report = run(
        later, "Plugin ID,Name,Risk,First Found\nN-1,Admin panel exposed,Critical,2026-03-01\n"
    )

    assert report.created == 0
    assert "N-1 is a finding of another audit of this vendor" in str(report.problems[0])


def test_a_mapping_without_the_severity_column_is_refused():
    with pytest.raises(ValueError, match="choose the column of: Severity"):
        ingest.FindingsMapping(columns={"title": "Name", "raised_on": "First Found"})


def test_an_xlsx_with_date_cells_and_numbers_imports(world):
    book = Workbook()
    sheet = book.active
    sheet.append(["ID", "Title", "Severity", "Date found"])
    sheet.append([101, "SMBv1 enabled", 4, dt.datetime(2026, 3, 2)])
    sheet.append([102, "Self-signed certificate", "Low", dt.datetime(2026, 3, 2)])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    table = ingest.read_table(data, name="scan.xlsx")
    mapping = ingest.FindingsMapping(columns=ingest.guess_columns(table.header))

    report = ingest.findings_import(audit=audit_of(world.a), table=table, mapping=mapping)

    assert (report.created, report.problems) == (2, [])
    assert Finding.objects.get(reference="101").severity == "critical"


def test_the_import_pages_upload_then_map_then_report(world):
    audit = audit_of(world.a)
    manager = client_of(world.manager)

    uploaded = manager.post(
        f"/audits/{audit.pk}/import/", {"file": upload("scan.csv", SCAN.encode())}
    )
    mapping_page = manager.get(f"/audits/{audit.pk}/import/map/")
    form = {f"col_{f}": c for f, c in MAPPING.columns.items()} | {"date_format": "iso"}
    done = manager.post(f"/audits/{audit.pk}/import/map/", form)
    again_page = manager.get(f"/audits/{audit.pk}/import/map/")

    assert uploaded.status_code == 302 and uploaded["Location"] == f"/audits/{audit.pk}/import/map/"
    assert mapping_page.status_code == 200
    assert '<option value="Risk" selected>Risk</option>' in mapping_page.content.decode()
    body = done.content.decode()
    assert "4 added, 0 updated, 0 unchanged; 6 row problems." in body
    assert "no title given" in body
    assert Finding.objects.count() == 4
    # The upload is gone once imported: the mapping page sends back to the upload.
    assert again_page.status_code == 302 and again_page["Location"] == f"/audits/{audit.pk}/import/"


def test_the_upload_page_refuses_a_file_that_is_not_a_table(world):
    audit = audit_of(world.a)

    response = client_of(world.manager).post(
        f"/audits/{audit.pk}/import/", {"file": upload("scan.pdf", b"%PDF-1.4")}
    )

    assert response.status_code == 200
    assert "Upload the findings list as a CSV or XLSX file." in response.content.decode()
