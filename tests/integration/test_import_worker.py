"""A file uploaded through the import page is imported by a real Celery worker (Redis,
PostgreSQL), and the page's progress endpoint follows it until the report is in."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from common.roles import MANAGER
from tests.factories import ContractFactory
from tests.integration.conftest import start_worker, stop_worker
from tickets.ingest.services import attribution_rule_set
from tickets.models import ImportRun, Ticket

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("require_services")]
DATA = Path(__file__).resolve().parents[1] / "ingest" / "data"


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def worker(transactional_db, media):
    process = start_worker(MEDIA_ROOT=str(media))  # the worker reads the web's uploads
    try:
        yield process
    finally:
        stop_worker(process)


def test_an_upload_is_imported_by_the_worker_while_the_page_polls_its_progress(
    client, worker, media
):
    acme, globex = ContractFactory(vendor__name="Acme"), ContractFactory(vendor__name="Globex")
    attribution_rule_set(source="acme-jira", value="Acme Support", vendor=acme.vendor)
    attribution_rule_set(source="acme-jira", value="Globex Desk", vendor=globex.vendor)
    manager = get_user_model().objects.create_user("manager", password="pw-123456")
    manager.groups.add(Group.objects.get_or_create(name=MANAGER)[0])
    client.force_login(manager)

    def import_through_the_page() -> tuple[ImportRun, list[dict]]:
        upload = SimpleUploadedFile("jira_export.csv", (DATA / "jira_export.csv").read_bytes())
        response = client.post(
            reverse("import-new"),
            {"file": upload, "format": "jira", "source": "acme-jira", "time_zone": "Europe/London"},
        )
        run = ImportRun.objects.latest("pk")
        assert response["Location"] == reverse("import-preview", args=[run.pk])
        response = client.post(reverse("import-preview", args=[run.pk]), {"action": "start"})
        assert response["Location"] == reverse("import-detail", args=[run.pk])
        polls = []
        deadline = time.monotonic() + 120
        while True:
            data = client.get(reverse("import-progress", args=[run.pk])).json()
            polls.append(data)
            if data["finished"]:
                break
            assert time.monotonic() < deadline, f"the import never finished: {data}"
            time.sleep(0.1)
        run.refresh_from_db()
        return run, polls

    run, polls = import_through_the_page()
    assert polls[-1]["status"] == "done" and polls[-1]["percent"] == 100.0
    assert polls[-1]["counts"]["tickets_created"] == 8
    assert (run.status, run.rows_read, run.tickets_created, run.tickets_rejected) == (
        "done",
        8,
        8,
        0,
    )
    assert Ticket.objects.filter(source="acme-jira").count() == 8
    assert not any((media / "imports").iterdir())  # the upload is deleted after the run
    report = client.get(reverse("import-detail", args=[run.pk]))
    assert report.context["finished"] is True

    again, polls = import_through_the_page()
    assert (again.tickets_created, again.tickets_updated, again.tickets_unchanged) == (0, 0, 8)


def test_a_recompute_started_from_its_page_is_followed_to_the_end_by_its_progress(client, worker):
    from django.core.cache import cache

    cache.clear()
    acme = ContractFactory(vendor__name="Acme")
    ContractFactory(vendor__name="Globex")
    manager = get_user_model().objects.create_user("manager", password="pw-123456")
    manager.groups.add(Group.objects.get_or_create(name=MANAGER)[0])
    client.force_login(manager)

    response = client.post(reverse("recompute"), {"scope": "all", "vendor": str(acme.vendor_id)})
    assert response["Location"] == reverse("recompute")
    (run,) = client.get(reverse("recompute")).context["runs"]
    deadline = time.monotonic() + 120
    while True:
        data = client.get(reverse("recompute-progress", args=[run["id"]])).json()
        if data["finished"]:
            break
        assert time.monotonic() < deadline, f"the recompute never finished: {data}"
        time.sleep(0.1)
    assert data["counts"] == {"done": 1, "failed": 0, "total": 1}
    assert data["vendors"][0]["state"] == "done"
