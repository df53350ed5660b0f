"""The sources pages (tickets/views/sources.py): a manager's view of each live source, its
runs and unmapped groups, its settings form and buttons, read against a stand-in ServiceNow
on a local port (tests/live/standin.py)."""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from django.urls import reverse
from django.utils import timezone

from tests.factories import ContractFactory
from tests.live.standin import PASSWORD, USER, cell
from tests.vendors.test_audit import make_user
from tickets.live.credentials import live_source_webhook_secret
from tickets.live.services import live_source_create_or_update
from tickets.live.sync import BACKFILL_KEY, live_source_sync
from tickets.models import AttributionRule, ImportRun, LiveSource, Ticket
from vendors.models import AuditEntry

pytestmark = pytest.mark.django_db

GROUPS = ("Service Desk", "Network")  # Network is mapped to no vendor until the page maps it
OPENED = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def incident_row(n: int, group: str, *, opened: datetime = OPENED) -> dict:
    """Incident n of `group` as the Table API gives it (display_value=all), resolved after
    two hours; one `priority` cell it cannot read when n is 13 (a row error)."""
    at = opened + timedelta(hours=n)
    resolved = at + timedelta(hours=2)

    def stamp(moment: datetime) -> str:
        return moment.strftime("%Y-%m-%d %H:%M:%S")

    return {
        "number": cell(f"INC{n:07d}"),
        "sys_id": cell(f"{n:032x}"),
        "sys_updated_on": cell(stamp(resolved + timedelta(minutes=5))),
        "sys_mod_count": cell("3"),
        "opened_at": cell(stamp(at)),
        "resolved_at": cell(stamp(resolved)),
        "closed_at": cell(""),
        "priority": cell("9" if n == 13 else "3", "3 - Moderate"),
        "state": cell("6", "Resolved"),
        "assignment_group": cell(f"{GROUPS.index(group):032x}", group),
        "assigned_to": cell(f"{n % 3:032x}", f"Tech {n % 3}"),
        "contact_type": cell("email", "Email"),
        "short_description": cell(f"Laptop {n} will not start"),
    }


@pytest.fixture
def records() -> list[dict]:
    # 13 of the Service Desk (INC0000013 a row error), 7 of the Network
    return [incident_row(n, GROUPS[0] if n < 12 or n == 13 else GROUPS[1]) for n in range(20)]


@pytest.fixture(autouse=True)
def keys(settings):
    settings.SOURCE_SECRET_KEYS = [Fernet.generate_key().decode()]


@pytest.fixture
def contracts():
    return (
        ContractFactory(vendor__name="Acme Desk", vendor__slug="acme-desk", name="Desk 2026"),
        ContractFactory(vendor__name="Netcorp", vendor__slug="netcorp", name="Network 2026"),
    )


@pytest.fixture
def manager(client):
    user = make_user("manager", "manager", is_staff=True)
    client.force_login(user)
    return user


@pytest.fixture
def source(base_url, stand_in, contracts) -> LiveSource:
    source, _ = live_source_create_or_update(
        name="acme-snow", kind="servicenow", base_url=base_url, username=USER, secret=PASSWORD
    )
    AttributionRule.objects.create(
        source="acme-snow", value="Service Desk", vendor=contracts[0].vendor, contract=contracts[0]
    )
    return source


def text_of(response) -> str:
    """The page's text without tags, spaces collapsed."""
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_list_and_detail_show_a_synced_source_with_its_run_numbers(client, manager, source):
    run = live_source_sync(source=source)
    assert (run.status, run.rows_read, run.tickets_created, run.tickets_rejected) == (
        "done",
        20,
        12,
        1,
    )
    assert (run.tickets_unmapped, run.unmapped) == (7, {"Network": 7})

    listing = client.get(reverse("live-sources"))
    assert listing.status_code == 200
    text = text_of(listing)
    assert "acme-snow" in text and "ServiceNow" in text and source.base_url in text
    assert "✓ healthy" in text
    assert "20 read · 12 created · 0 updated · 0 unchanged · 1 row error · 7 unmapped" in text
    next_run = (source_after(source).last_run_at + timedelta(minutes=15)).strftime("%Y-%m-%d %H:%M")
    assert next_run in text
    # The cursor in words: the newest update read.
    assert "Read incidents updated since 2026-05-05 05:05:00 UTC" in text

    detail = client.get(reverse("live-source", args=[source.pk]))
    text = text_of(detail)
    row = re.search(rf'<tr data-run="{run.pk}">(.*?)</tr>', detail.content.decode(), re.S)
    cells = [c.strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]
    assert [re.sub(r"<[^>]+>", "", c).strip() for c in cells[2:8]] == [
        "20",
        "12",
        "0",
        "0",
        "1",
        "7",
    ]
    assert reverse("import-detail", args=[run.pk]) in detail.content.decode()
    assert "INC0000013: priority:" in text  # the row error, named
    assert re.search(r"Network\s*</td>\s*<td class=\"num\">7</td>", detail.content.decode())
    assert "stored, not shown" in text


def source_after(source: LiveSource) -> LiveSource:
    return LiveSource.objects.get(pk=source.pk)


def test_states_read_as_a_person_says_them(client, manager, source):
    assert "never run" in text_of(client.get(reverse("live-sources")))
    assert ">now<" in client.get(reverse("live-sources")).content.decode()

    LiveSource.objects.filter(pk=source.pk).update(
        last_run_at=timezone.now(), last_error="ServiceNow refused the user: check its roles"
    )
    text = text_of(client.get(reverse("live-sources")))
    assert "✗ failing" in text and "ServiceNow refused the user: check its roles" in text

    LiveSource.objects.filter(pk=source.pk).update(
        lease_owner="abc", lease_until=timezone.now() + timedelta(minutes=5)
    )
    assert "… running" in text_of(client.get(reverse("live-sources")))

    LiveSource.objects.filter(pk=source.pk).update(lease_owner="", enabled=False)
    text = text_of(client.get(reverse("live-sources")))
    assert "❚❚ paused" in text


def test_mapping_a_group_sets_the_rule_and_the_next_run_writes_its_tickets(
    client, manager, source, contracts
):
    live_source_sync(source=source)
    assert Ticket.objects.filter(source="acme-snow").count() == 12
    detail = client.get(reverse("live-source", args=[source.pk])).content.decode()
    assert f'<option value="{contracts[1].pk}">Netcorp — Network 2026</option>' in detail

    response = client.post(
        reverse("live-source-map", args=[source.pk]),
        {"value": "Network", "contract": contracts[1].pk},
    )
    assert response.status_code == 302
    rule = AttributionRule.objects.get(source="acme-snow", value="Network")
    assert (rule.vendor, rule.contract) == (contracts[1].vendor, contracts[1])
    assert set(source_after(source).cursor) == {BACKFILL_KEY}  # it reads everything again
    page = client.get(reverse("live-source", args=[source.pk]))
    assert "now maps to Netcorp (Network 2026)" in text_of(page)
    assert 'data-group="Network"' not in page.content.decode()  # mapped: no longer offered

    run = client.post(reverse("live-source-run", args=[source.pk]))
    assert run.status_code == 302
    second = ImportRun.objects.filter(source="acme-snow").order_by("-pk").first()
    assert (second.rows_read, second.tickets_created, second.tickets_unchanged) == (20, 7, 12)
    assert second.tickets_unmapped == 0
    on_vendor = Ticket.objects.filter(source="acme-snow", vendor=contracts[1].vendor)
    assert on_vendor.count() == 7
    assert "BACKFILL" not in json.dumps(source_after(source).cursor).upper()


def test_a_manager_adds_a_source_and_the_secret_never_shows(client, manager, base_url, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "Sup3r-s3cret-T0ken"
    form = {
        "name": "acme-snow",
        "kind": "servicenow",
        "base_url": base_url,
        "username": USER,
        "secret": secret,
        "filter": "active=true",
        "time_zone": "Europe/London",
        "interval_minutes": "30",
    }
    refused = client.post(reverse("live-source-new"), {**form, "interval_minutes": "2"})
    assert refused.status_code == 200
    assert "Interval (minutes): Ensure this value is greater than or equal to 5." in text_of(
        refused
    )
    assert secret not in refused.content.decode()
    refused = client.post(reverse("live-source-new"), {**form, "time_zone": "Mars/Olympus"})
    assert re.search(r"Time zone: .*Mars/Olympus", text_of(refused))
    assert secret not in refused.content.decode()
    refused = client.post(reverse("live-source-new"), {**form, "secret": ""})
    assert "Secret: A new source needs its secret" in text_of(refused)
    assert not LiveSource.objects.exists()

    added = client.post(reverse("live-source-new"), form, follow=True)
    source = LiveSource.objects.get()
    assert (source.name, source.filter, source.time_zone, source.interval_minutes) == (
        "acme-snow",
        "active=true",
        "Europe/London",
        30,
    )
    assert "Source “acme-snow” added" in text_of(added)
    again = client.post(reverse("live-source-new"), form)
    assert "Name: A source named “acme-snow” exists already." in text_of(again)

    edit = client.get(reverse("live-source-edit", args=[source.pk]))
    assert "Stored, not shown" in text_of(edit)
    assert 'name="secret"' in edit.content.decode()
    # An edit without a secret keeps the stored one; the name cannot change.
    stored = source.secret
    client.post(
        reverse("live-source-edit", args=[source.pk]),
        {**form, "name": "renamed", "secret": "", "interval_minutes": "60"},
    )
    source.refresh_from_db()
    assert (source.name, source.interval_minutes, source.secret) == ("acme-snow", 60, stored)
    refused = client.post(
        reverse("live-source-edit", args=[source.pk]), {**form, "base_url": "ftp://nope"}
    )
    assert "URL: " in text_of(refused)
    # A webhook secret makes the page give the URL to register; it is never shown either.
    hook_secret = "H00k-s1gning-S3cret"
    before = text_of(client.get(reverse("live-source", args=[source.pk])))
    assert "none: runs every 60 minutes only" in before
    client.post(
        reverse("live-source-edit", args=[source.pk]),
        {**form, "secret": "", "webhook_secret": hook_secret, "interval_minutes": "60"},
    )
    source.refresh_from_db()
    assert source.secret == stored and live_source_webhook_secret(source) == hook_secret
    detail = client.get(reverse("live-source", args=[source.pk]))
    webhook = rf"POST http://testserver/api/sources/{source.pk}/webhook/ ?, secret stored"
    assert re.search(webhook, text_of(detail))
    assert hook_secret not in detail.content.decode()
    assert (
        hook_secret
        not in client.get(reverse("live-source-edit", args=[source.pk])).content.decode()
    )

    pages = [client.get(reverse(n, args=a)) for n, a in (("live-sources", []),)]
    pages += [client.get(reverse("live-source", args=[source.pk])), edit, refused, added]
    entries = AuditEntry.objects.filter(object_type="tickets.livesource")
    assert entries.count() >= 2 and all(e.user == manager for e in entries)
    audit = json.dumps([[e.object_repr, e.old_values, e.new_values] for e in entries])
    for text in [*(p.content.decode() for p in pages), audit, caplog.text]:
        assert secret not in text
        assert stored not in text
        assert hook_secret not in text and source.webhook_secret not in text


def test_the_buttons_pause_resume_rebackfill_and_test(client, manager, source, stand_in):
    client.post(reverse("live-source-pause", args=[source.pk]))
    assert source_after(source).enabled is False
    client.post(reverse("live-source-resume", args=[source.pk]))
    assert source_after(source).enabled is True

    refused = client.post(reverse("live-source-rebackfill", args=[source.pk]), {"since": "x"})
    assert "Read again from: Enter a valid date." in text_of(refused)
    client.post(reverse("live-source-rebackfill", args=[source.pk]), {"since": "2026-05-01"})
    assert source_after(source).cursor == {BACKFILL_KEY: "2026-05-01T00:00:00+00:00"}
    page = client.get(reverse("live-source", args=[source.pk]))
    assert "Re-backfill pending: Read incidents updated since 2026-05-01 00:00:00 UTC" in (
        text_of(page)
    )

    tested = client.post(reverse("live-source-test", args=[source.pk]))
    assert tested.status_code == 200
    assert "✓ incident: 20 records (no filter)" in text_of(tested)
    assert "Cannot read" not in text_of(tested)
    stand_in.denied = {"sys_audit"}
    tested = client.post(reverse("live-source-test", args=[source.pk]))
    cannot = re.search(r'<ul class="cannot-read">(.*?)</ul>', tested.content.decode(), re.S)
    assert "sys_audit" in cannot.group(1) and "state history unavailable" in cannot.group(1)
    assert PASSWORD not in tested.content.decode()
    assert not ImportRun.objects.exists()  # a test reads, never writes

    assert client.get(reverse("live-source-run", args=[source.pk])).status_code == 405


@pytest.mark.parametrize("role", ["finance", "vendor"])
def test_others_are_refused(client, source, role, contracts):
    vendor = contracts[0].vendor if role == "vendor" else None
    client.force_login(make_user("someone", role, vendor))
    for name, args in (
        ("live-sources", []),
        ("live-source-new", []),
        ("live-source", [source.pk]),
        ("live-source-edit", [source.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 403
    for name in ("live-source-run", "live-source-pause", "live-source-map", "live-source-test"):
        assert client.post(reverse(name, args=[source.pk])).status_code == 403
    assert source_after(source).enabled is True
    assert not ImportRun.objects.exists()
    client.logout()
    response = client.get(reverse("live-sources"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_each_source_url_answers_a_manager_as_the_access_table_says(client, manager, contracts):
    """The answers tests/test_access.py lists: GET then an empty POST, for a source that has
    no secret stored (so Test connection and Run now refuse without asking the network)."""
    source = LiveSource.objects.create(
        name="no-secret", kind="servicenow", base_url="http://127.0.0.1:9/", username="api"
    )
    expected = {
        "live-sources": (200, 405),
        "live-source-new": (200, 200),
        "live-source": (200, 405),
        "live-source-edit": (200, 200),
        "live-source-test": (405, 200),
        "live-source-run": (405, 302),
        "live-source-pause": (405, 302),
        "live-source-resume": (405, 302),
        "live-source-rebackfill": (405, 200),
        "live-source-map": (405, 302),
    }
    answers = {}
    for name in expected:
        args = [] if name in ("live-sources", "live-source-new") else [source.pk]
        url = reverse(name, args=args)
        answers[name] = (client.get(url).status_code, client.post(url).status_code)
    assert answers == expected
    tested = client.post(reverse("live-source-test", args=[source.pk]))
    assert "secret:" in text_of(tested)  # refused: no secret stored
    assert not ImportRun.objects.exists()
