"""The import pages: upload, mapping, preview, start, progress and report, for managers only.

Tasks run in-process here (no REDIS_URL, or the autouse fixture), and the Start button queues
the task with transaction.on_commit, so the tests run the captured callbacks.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from common.roles import FINANCE, MANAGER, VENDOR
from tests.factories import ContractFactory
from tickets.ingest import services
from tickets.ingest.services import attribution_rule_set
from tickets.models import ImportRun, SourceMapping, Ticket
from vendors.models import VendorMembership

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"

GERMAN_FORM = {
    "col_external_id": "Ticket-Nr",
    "col_created_at": "Erstellt",
    "col_priority": "Priorität",
    "col_status": "Status",
    "col_attribution": "Dienstleister",
    "col_resolved_at": "Gelöst",
    "col_technician": "Techniker",
    "col_channel": "Kanal",
    "col_survey_score": "Zufriedenheit",
    "col_title": "Betreff",
    "priority_P1": "Kritisch",
    "priority_P2": "Hoch",
    "priority_P3": "Mittel",
    "priority_P4": "Niedrig",
    "status_new": "Offen",
    "status_in_progress": "In Bearbeitung",
    "status_resolved": "Gelöst",
    "channel_phone": "Telefon",
    "channel_email": "E-Mail",
    "time_format": "%d.%m.%Y %H:%M",
    "time_zone": "Europe/Berlin",
    "delimiter": "",
    "sheet": "",
    "default_priority": "",
    "survey_scale": "5",
}


def user_in(role: str, name: str, vendor=None):
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw-123456")
    user.groups.add(Group.objects.get_or_create(name=role)[0])
    if vendor is not None:
        VendorMembership.objects.create(user=user, vendor=vendor)
    return user


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def world():
    """Acme and Globex, each with a contract; the Jira export's teams are mapped to them."""
    acme, globex = ContractFactory(vendor__name="Acme"), ContractFactory(vendor__name="Globex")
    attribution_rule_set(source="acme-jira", value="Acme Support", vendor=acme.vendor)
    attribution_rule_set(source="acme-jira", value="Globex Desk", vendor=globex.vendor)
    return acme, globex


@pytest.fixture
def manager(client, world):
    client.force_login(user_in(MANAGER, "manager"))
    return client


def upload(name: str, content: bytes | None = None) -> SimpleUploadedFile:
    if content is None:
        content = (DATA / name).read_bytes()
    return SimpleUploadedFile(name, content, content_type="text/csv")


def post_upload(client, name: str, content: bytes | None = None, **fields):
    data = {"format": "jira", "source": "acme-jira", "time_zone": "Europe/London", **fields}
    return client.post(reverse("import-new"), {"file": upload(name, content), **data})


def stored_uploads(media: Path) -> list[str]:
    folder = media / "imports"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def start(client, run: ImportRun, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("import-preview", args=[run.pk]), {"action": "start"})
    assert response.status_code == 302
    assert response["Location"] == reverse("import-detail", args=[run.pk])
    run.refresh_from_db()
    return run


# --- access --------------------------------------------------------------------------------


@pytest.fixture
def a_run(world):
    return ImportRun.objects.create(source="acme-jira", format="jira", status="done")


@pytest.mark.parametrize(
    "name", ["imports", "import-new", "import-detail", "import-progress", "import-errors"]
)
def test_finance_and_both_vendor_users_get_403_on_every_import_page(client, a_run, world, name):
    acme, globex = world
    args = [] if name in ("imports", "import-new") else [a_run.pk]
    for user in (
        user_in(FINANCE, "finance"),
        user_in(VENDOR, "vendor-a", vendor=acme.vendor),
        user_in(VENDOR, "vendor-b", vendor=globex.vendor),
    ):
        client.force_login(user)
        assert client.get(reverse(name, args=args)).status_code == 403
    client.force_login(user_in(MANAGER, "manager"))
    assert client.get(reverse(name, args=args)).status_code == 200


def test_anonymous_visitors_are_sent_to_the_login_page(client, a_run):
    response = client.get(reverse("import-detail", args=[a_run.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_vendor_user_cannot_upload_a_file(client, world, media):
    client.force_login(user_in(VENDOR, "vendor-a", vendor=world[0].vendor))
    assert post_upload(client, "jira_export.csv").status_code == 403
    assert ImportRun.objects.count() == 0
    assert stored_uploads(media) == []


# --- upload, preview, start, report --------------------------------------------------------


def test_a_jira_export_goes_from_upload_to_preview_to_report(
    manager, media, django_capture_on_commit_callbacks
):
    response = post_upload(manager, "jira_export.csv")
    run = ImportRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import-preview", args=[run.pk])
    assert (run.status, run.source, run.format, run.file_name, run.created_by.username) == (
        "pending",
        "acme-jira",
        "jira",
        "jira_export.csv",
        "manager",
    )
    assert run.options == {"time_zone": "Europe/London"}
    (stored,) = stored_uploads(media)
    assert stored.endswith(".csv") and stored != "jira_export.csv"  # a generated name
    assert run.upload == f"imports/{stored}"

    preview = manager.get(reverse("import-preview", args=[run.pk]))
    page = preview.content.decode()
    assert preview.context["rows"][0]["ticket"].external_id == "HD-101"
    assert len(preview.context["rows"]) == 8  # the whole export: 8 issues
    assert "Acme Support → Acme" in page
    assert 'value="start"' in page
    assert Ticket.objects.count() == 0  # nothing written by a preview

    run = start(manager, run, django_capture_on_commit_callbacks)
    # rows_total is counted from line ends for the bar: one quoted cell spans two lines.
    assert (run.status, run.rows_read, run.rows_total) == ("done", 8, 9)
    assert (run.tickets_created, run.tickets_updated, run.tickets_unchanged) == (8, 0, 0)
    assert (run.tickets_rejected, run.tickets_unmapped) == (0, 0)
    assert Ticket.objects.filter(source="acme-jira").count() == 8
    assert stored_uploads(media) == []  # deleted after the run
    assert SourceMapping.objects.get(source="acme-jira").options == {"time_zone": "Europe/London"}

    report = manager.get(reverse("import-detail", args=[run.pk]))
    assert report.context["finished"] is True
    html = report.content.decode()
    assert "Rows read" in html and "data-progress-url" not in html  # no bar once done


def test_the_same_file_imported_twice_reports_everything_unchanged(
    manager, django_capture_on_commit_callbacks
):
    for _ in range(2):
        post_upload(manager, "jira_export.csv")
        start(manager, ImportRun.objects.latest("pk"), django_capture_on_commit_callbacks)
    first, second = ImportRun.objects.order_by("pk")
    assert (first.tickets_created, first.tickets_unchanged) == (8, 0)
    assert (second.tickets_created, second.tickets_updated, second.tickets_unchanged) == (0, 0, 8)
    html = manager.get(reverse("import-detail", args=[second.pk])).content.decode()
    assert '<div class="label">Unchanged</div><div class="value">8</div>' in html
    assert Ticket.objects.count() == 8


def test_a_second_click_on_start_queues_nothing_more(manager, django_capture_on_commit_callbacks):
    post_upload(manager, "jira_export.csv")
    run = start(manager, ImportRun.objects.get(), django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = manager.post(reverse("import-preview", args=[run.pk]), {"action": "start"})
    assert response["Location"] == reverse("import-detail", args=[run.pk])
    assert callbacks == []
    assert ImportRun.objects.count() == 1


def test_rejected_rows_and_unmapped_values_are_reported_with_a_link_to_map_them(
    manager, django_capture_on_commit_callbacks
):
    # jira_bad.csv: six refused rows, one good ticket of a team ("Acme Support") that is mapped.
    bad = (DATA / "jira_bad.csv").read_bytes().replace(b"Acme Support", b"Helpdesk East")
    post_upload(manager, "jira_bad.csv", bad)
    run = start(manager, ImportRun.objects.get(), django_capture_on_commit_callbacks)
    assert (run.tickets_created, run.tickets_rejected, run.tickets_unmapped) == (0, 6, 1)
    assert run.unmapped == {"Helpdesk East": 1}
    assert [(e["row"], e["column"]) for e in run.errors] == [
        (2, "Status"),
        (3, "Created"),
        (4, "Resolved"),
        (5, "Issue key"),
        (6, "Priority"),
        (8, ""),
    ]
    response = manager.get(reverse("import-detail", args=[run.pk]))
    html = response.content.decode()
    assert "unknown priority &#x27;Urgentish&#x27;" in html
    assert response.context["unmapped"] == [
        {
            "value": "Helpdesk East",
            "count": 1,
            "map_url": "/admin/tickets/attributionrule/add/?source=acme-jira&value=Helpdesk+East",
        }
    ]
    assert reverse("import-errors", args=[run.pk]) in html


def test_the_rejected_rows_csv_neutralises_formulas(manager, a_run):
    a_run.errors = [
        {"row": 2, "column": "Summary", "reason": '=HYPERLINK("x")', "external_id": "+1"},
        {"row": 3, "column": "@col", "reason": "-2 fields", "external_id": "\tHD-9"},
        {"row": 4, "column": "", "reason": "plain", "external_id": "\rHD-10"},
    ]
    a_run.save()
    response = manager.get(reverse("import-errors", args=[a_run.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f'filename="import-{a_run.pk}-rejected.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["row", "column", "reason", "external_id"],
        ["2", "Summary", '\'=HYPERLINK("x")', "'+1"],
        ["3", "'@col", "'-2 fields", "'\tHD-9"],
        ["4", "", "plain", "'\rHD-10"],
    ]


# --- bad input: named, and nothing written -------------------------------------------------


def assert_nothing_written(media: Path) -> None:
    assert ImportRun.objects.count() == 0
    assert Ticket.objects.count() == 0
    assert stored_uploads(media) == []


def test_a_file_of_the_wrong_type_is_refused_by_name(manager, media):
    response = post_upload(manager, "report.pdf", b"%PDF-1.4 not a csv")
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == [
        "report.pdf is not a file the importer reads (.pdf); upload one of "
        ".csv, .tsv, .txt, .xlsx, .gz, .xz, .zip."
    ]
    assert_nothing_written(media)


def test_a_pdf_renamed_to_csv_is_refused_for_what_it_is(manager, media):
    response = post_upload(manager, "tickets.csv", b"%PDF-1.4 not a csv at all\n")
    assert response.context["form"].errors["file"] == [
        "tickets.csv: tickets.csv cannot be read as CSV: it is a PDF document"
    ]
    assert_nothing_written(media)


def test_an_empty_file_is_refused(manager, media):
    response = post_upload(manager, "tickets.csv", b"")
    assert response.context["form"].errors["file"] == ["The submitted file is empty."]
    assert_nothing_written(media)


def test_a_header_without_rows_is_refused(manager, media):
    header = (DATA / "jira_export.csv").read_bytes().splitlines()[0] + b"\n"
    response = post_upload(manager, "tickets.csv", header)
    assert response.context["form"].errors["file"] == [
        "tickets.csv: tickets.csv has a header but no data rows"
    ]
    assert_nothing_written(media)


def test_missing_columns_are_refused_at_once_naming_them(manager, media):
    data = b"Issue key,Summary,Stat\nHD-1,x,Open\n"
    response = post_upload(manager, "jira.csv", data, attribute_by="Summary")
    assert response.context["form"].errors["file"] == [
        "jira.csv: wrong columns (missing: Status, Priority, Created, Updated; unexpected: Stat)"
    ]
    assert_nothing_written(media)


def test_a_file_over_the_size_limit_is_refused(manager, media, settings):
    settings.IMPORT_MAX_UPLOAD_MB = 0
    response = post_upload(manager, "jira_export.csv")
    assert response.context["form"].errors["file"] == [
        "jira_export.csv is 0 MB; the limit is 0 MB."
    ]
    assert_nothing_written(media)


def test_an_unknown_time_zone_is_named(manager, media):
    response = post_upload(manager, "jira_export.csv", time_zone="Mars/Olympus")
    assert "Mars/Olympus" in str(response.context["form"].errors["time_zone"])
    assert_nothing_written(media)


# --- the mapped format: a mapping step, saved per source -----------------------------------


@pytest.fixture
def mueller(world):
    contract = ContractFactory(vendor__name="Mueller")
    attribution_rule_set(source="mueller", value="Müller IT", vendor=contract.vendor)
    return contract


def upload_mapped(client):
    response = client.post(
        reverse("import-new"),
        {"file": upload("mapped_cp1252_semicolon.csv"), "format": "mapped", "source": "mueller"},
    )
    run = ImportRun.objects.latest("pk")
    assert response["Location"] == reverse("import-mapping", args=[run.pk])
    return run


def test_a_mapping_that_leaves_a_required_field_unmapped_is_refused_naming_it(
    manager, mueller, media
):
    run = upload_mapped(manager)
    page = manager.get(reverse("import-mapping", args=[run.pk]))
    assert page.context["columns"][:3] == ["Ticket-Nr", "Erstellt", "Priorität"]
    response = manager.post(
        reverse("import-mapping", args=[run.pk]), {**GERMAN_FORM, "col_attribution": ""}
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "invalid mapping: fields that must be mapped: attribution"
    ]
    run.refresh_from_db()
    assert run.options == {}
    assert not SourceMapping.objects.exists()
    assert Ticket.objects.count() == 0


def test_a_mapping_naming_a_column_the_file_lacks_is_refused(manager, mueller):
    run = upload_mapped(manager)
    response = manager.post(
        reverse("import-mapping", args=[run.pk]), {**GERMAN_FORM, "col_external_id": "Nr"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["col_external_id"] == [
        "Select a valid choice. Nr is not one of the available choices."
    ]
    run.refresh_from_db()
    assert run.options == {}


def test_a_mapped_file_imports_through_its_mapping_which_is_then_offered_again(
    manager, mueller, media, django_capture_on_commit_callbacks
):
    run = upload_mapped(manager)
    page = manager.get(reverse("import-mapping", args=[run.pk]))
    groups = {group: seen for group, _, seen in page.context["spelling_groups"]}
    # The shared guesser prefills the German columns (issue #13; before, only "Status",
    # named like one of our fields, was prefilled and sampled).
    assert page.context["form"].initial["col_status"] == "Status"
    assert page.context["form"].initial["col_priority"] == "Priorität"
    assert groups == {
        "priority": ["Dringend", "Hoch", "Mittel", "Niedrig"],
        "status": ["Gelöst", "In Bearbeitung", "Offen"],
        "channel": ["E-Mail", "Telefon"],
    }
    response = manager.post(reverse("import-mapping", args=[run.pk]), GERMAN_FORM)
    assert response["Location"] == reverse("import-preview", args=[run.pk])

    preview = manager.get(reverse("import-preview", args=[run.pk]))
    rows = preview.context["rows"]
    assert [r["ticket"].external_id if "ticket" in r else r["error"].row for r in rows] == [
        "T-1",
        "T-2",
        4,
        5,
    ]
    assert rows[0]["ticket"].created_at == dt.datetime(2026, 11, 16, 9, 0, tzinfo=dt.UTC)
    assert "the file is not UTF-8; it was read as Windows-1252" in preview.context["preview"].notes

    run = start(manager, run, django_capture_on_commit_callbacks)
    assert (run.status, run.tickets_created, run.tickets_rejected) == ("done", 2, 2)
    saved = SourceMapping.objects.get(source="mueller")
    assert saved.format == "mapped"
    assert saved.options["mapping"]["columns"]["external_id"] == "Ticket-Nr"
    assert saved.options["mapping"]["priorities"]["Hoch"] == "P2"

    # Next month: the mapping step comes prefilled with what was saved.
    again = upload_mapped(manager)
    form = manager.get(reverse("import-mapping", args=[again.pk])).context["form"]
    assert form.initial["col_external_id"] == "Ticket-Nr"
    assert form.initial["priority_P2"] == "Hoch"
    assert form.initial["time_zone"] == "Europe/Berlin"
    page = manager.get(reverse("import-mapping", args=[again.pk]))
    groups = {group: seen for group, _, seen in page.context["spelling_groups"]}
    assert groups["priority"] == ["Dringend", "Hoch", "Mittel", "Niedrig"]


# --- progress, discard, the list -----------------------------------------------------------


def test_the_progress_endpoint_says_how_far_a_running_import_is(manager, a_run):
    a_run.status, a_run.rows_total, a_run.rows_read, a_run.tickets_created = (
        "running",
        400,
        100,
        90,
    )
    a_run.save()
    data = manager.get(reverse("import-progress", args=[a_run.pk])).json()
    assert data == {
        "status": "running",
        "finished": False,
        "percent": 25.0,
        "message": "Importing: 100 of about 400 rows read.",
        "counts": {
            "rows_read": 100,
            "tickets_created": 90,
            "tickets_updated": 0,
            "tickets_unchanged": 0,
            "tickets_rejected": 0,
            "tickets_unmapped": 0,
        },
    }
    page = manager.get(reverse("import-detail", args=[a_run.pk])).content.decode()
    assert f'data-progress-url="{reverse("import-progress", args=[a_run.pk])}"' in page
    assert "js/progress.js" in page and "<script>" not in page


def test_a_finished_import_reports_done_at_full_progress(manager, a_run):
    data = manager.get(reverse("import-progress", args=[a_run.pk])).json()
    assert (data["finished"], data["percent"], data["status"]) == (True, 100.0, "done")


def test_discarding_an_upload_deletes_the_run_and_its_file(manager, media):
    post_upload(manager, "jira_export.csv")
    run = ImportRun.objects.get()
    response = manager.post(reverse("import-preview", args=[run.pk]), {"action": "discard"})
    assert response["Location"] == reverse("imports")
    assert_nothing_written(media)


def test_the_list_shows_runs_newest_first_in_pages_of_25(manager):
    for n in range(30):
        ImportRun.objects.create(source=f"s{n:02}", format="jira", status="done")
    first = manager.get(reverse("imports"))
    sources = [r.source for r in first.context["page"].object_list]
    assert sources[:2] == ["s29", "s28"] and len(sources) == 25
    second = manager.get(reverse("imports"), {"page": 2})
    assert [r.source for r in second.context["page"].object_list] == [
        "s04",
        "s03",
        "s02",
        "s01",
        "s00",
    ]


# --- query counts stay flat ----------------------------------------------------------------


def test_the_list_page_runs_a_fixed_number_of_queries(manager, django_assert_max_num_queries):
    for n in range(40):
        ImportRun.objects.create(source=f"s{n}", format="jira", status="done")
    # Session, user, role (3 lookups: page, layout, vendor menu), the menu, count, one page.
    with django_assert_max_num_queries(10):
        assert manager.get(reverse("imports")).status_code == 200


def test_the_report_and_progress_run_a_fixed_number_of_queries(
    manager, a_run, django_assert_max_num_queries
):
    a_run.errors = [
        {"row": n, "column": "x", "reason": "bad", "external_id": ""} for n in range(1000)
    ]
    a_run.unmapped = {f"team {n}": n for n in range(500)}
    a_run.save()
    with django_assert_max_num_queries(9):
        assert manager.get(reverse("import-detail", args=[a_run.pk])).status_code == 200
    # 5, and the session's save that keeps its idle timeout going (a savepoint around it).
    with django_assert_max_num_queries(8):
        assert manager.get(reverse("import-progress", args=[a_run.pk])).status_code == 200


# --- the service: running a run again is safe ----------------------------------------------


def test_executing_a_finished_run_again_changes_nothing(
    manager, django_capture_on_commit_callbacks
):
    post_upload(manager, "jira_export.csv")
    run = start(manager, ImportRun.objects.get(), django_capture_on_commit_callbacks)
    again = services.import_run_execute(run_id=run.pk)
    assert (again.status, again.tickets_created, again.finished_at) == (
        "done",
        8,
        run.finished_at,
    )


def test_a_run_whose_worker_died_starts_over_and_counts_what_was_written_as_unchanged(
    manager, media
):
    post_upload(manager, "jira_export.csv")
    run = ImportRun.objects.get()
    services.import_run_execute(run_id=run.pk)  # the first attempt writes everything...
    # ...and its worker dies before it can finish: the run still says running, file in place.
    (media / run.upload).write_bytes((DATA / "jira_export.csv").read_bytes())
    ImportRun.objects.filter(pk=run.pk).update(status="running", tickets_created=3)
    redelivered = services.import_run_execute(run_id=run.pk)
    assert (redelivered.status, redelivered.tickets_created) == ("done", 0)
    assert (redelivered.tickets_unchanged, redelivered.rows_read) == (8, 8)
    assert Ticket.objects.count() == 8


# --- uploads nobody starts are cleared -----------------------------------------------------


def test_uploads_nobody_starts_are_deleted_after_the_keep_time_saying_why(manager, media, settings):
    settings.IMPORT_UPLOAD_KEEP_HOURS = 72
    for _ in range(3):
        post_upload(manager, "jira_export.csv")
    abandoned, queued, recent = ImportRun.objects.order_by("pk")
    now = abandoned.created_at + dt.timedelta(hours=73)
    # Queued 73 hours ago and still waiting for a worker: Start was clicked, so it stays.
    ImportRun.objects.filter(pk=queued.pk).update(queued_at=abandoned.created_at)
    ImportRun.objects.filter(pk=recent.pk).update(created_at=now - dt.timedelta(hours=71))
    folder = media / "imports"
    held = {run.pk: Path(media / run.upload) for run in (abandoned, queued, recent)}
    # A file no run holds (its request died after storing it), and one just being uploaded.
    old_orphan, new_orphan = folder / "orphan-old.csv", folder / "orphan-new.csv"
    for orphan, hours in ((old_orphan, 80), (new_orphan, 1)):
        orphan.write_bytes(b"Issue key\n")
        mtime = (now - dt.timedelta(hours=hours)).timestamp()
        os.utime(orphan, (mtime, mtime))

    deleted = services.import_uploads_clear_abandoned(now=now)

    assert deleted == 2
    assert not held[abandoned.pk].exists() and not old_orphan.exists()
    assert held[queued.pk].exists() and held[recent.pk].exists() and new_orphan.exists()
    abandoned.refresh_from_db()
    assert (abandoned.status, abandoned.upload, abandoned.finished_at) == ("failed", "", now)
    assert abandoned.failure == (
        "Not started within 3 days of the upload, so the file was deleted; "
        "upload it again to import it."
    )
    page = manager.get(reverse("import-detail", args=[abandoned.pk]))
    assert "Not started within 3 days of the upload" in page.content.decode()
    assert services.import_uploads_clear_abandoned(now=now) == 0  # safe to run twice


def test_the_clean_up_runs_daily_from_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["clear-abandoned-uploads"]
    assert entry["task"] == "tickets.tasks.clear_abandoned_uploads"
    from tickets.tasks import clear_abandoned_uploads

    assert clear_abandoned_uploads.delay().get(timeout=30) == 0
