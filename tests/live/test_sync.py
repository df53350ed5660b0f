"""`manage.py sync_source`: a ServiceNow source read from a stand-in instance on a local port
(tests/live/standin.py), page by page, each page committed with the source's cursor."""

from __future__ import annotations

import base64
import csv
import io
import logging
import re
from datetime import datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command

from tests.factories import ContractFactory
from tests.live.standin import NOW, PASSWORD, START, USER, Sleeps, cell, tickets
from tickets.ingest import servicenow as servicenow_export
from tickets.ingest.records import RowError, TicketRecord
from tickets.live.credentials import live_source_set_secret
from tickets.live.http import RetryPolicy
from tickets.live.servicenow_tickets import incident_record
from tickets.live.services import live_source_create_or_update
from tickets.live.sync import SyncRefused, live_source_sync
from tickets.models import ImportRun, LiveSource, Ticket

pytestmark = pytest.mark.django_db

COUNT = 300
GROUPS = ("Service Desk", "Network", "Database")  # Database is mapped to no vendor
PRIORITY_LABELS = ("1 - Critical", "2 - High", "3 - Moderate", "4 - Low", "5 - Planning")
STATES = (("1", "New"), ("2", "In Progress"), ("3", "On Hold"), ("6", "Resolved"))
STATES += (("7", "Closed"), ("8", "Canceled"))
CONTACTS = ("phone", "email", "self-service", "chat")
UPDATED = START + timedelta(days=3)  # every incident was last updated after its own times


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def full_incident(n: int) -> dict:
    """Incident n as the Table API gives it with display_value=all; two share each update
    second, so pages often end mid-second."""
    opened = START + timedelta(minutes=n)
    code, label = STATES[n // 3 % len(STATES)]
    resolved = opened + timedelta(hours=2, seconds=n) if code in ("6", "7", "8") else None
    closed = resolved + timedelta(days=1) if code == "7" else None
    group = GROUPS[n % len(GROUPS)]
    return {
        "number": cell(f"INC{n:07d}"),
        "sys_id": cell(f"{n:032x}"),
        "sys_updated_on": cell(stamp(UPDATED + timedelta(seconds=n // 2))),
        "sys_mod_count": cell(str(n % 9 + 1)),
        "opened_at": cell(stamp(opened), "01/03/2026 09:00:00"),  # display: the user's zone
        "resolved_at": cell(stamp(resolved) if resolved else ""),
        "closed_at": cell(stamp(closed) if closed else ""),
        "priority": cell(str(n % 5 + 1), PRIORITY_LABELS[n % 5]),
        "state": cell(code, label),
        "incident_state": cell(code, label),
        "assignment_group": cell(f"{GROUPS.index(group):032x}", group),
        "assigned_to": cell(f"{n % 7:032x}", f"Tech {n % 7}"),
        "caller_id": cell(f"{n % 11:032x}", f"Caller {n % 11}"),
        "contact_type": cell(CONTACTS[n % 4], CONTACTS[n % 4].title()),
        "category": cell("network", "Network"),
        "reassignment_count": cell(str(n % 3)),
        "reopen_count": cell("0"),
        "made_sla": cell("true" if n % 4 else "false"),
        "short_description": cell(f"Printer {n} is out of toner"),
    }


@pytest.fixture
def records() -> list[dict]:
    rows = [full_incident(n) for n in range(COUNT)]
    return rows[::2] + rows[1::2]  # served out of order: the stand-in sorts them


@pytest.fixture(autouse=True)
def keys(settings, monkeypatch):
    settings.SOURCE_SECRET_KEYS = [Fernet.generate_key().decode()]
    monkeypatch.setenv("VENDORSCORE_SOURCE_SECRET", PASSWORD)


@pytest.fixture
def vendors():
    return (
        ContractFactory(vendor__name="Acme Desk").vendor,
        ContractFactory(vendor__name="Netcorp").vendor,
    )


def add_source(name: str, base_url: str) -> LiveSource:
    call_command(
        "add_source",
        name,
        "--kind=servicenow",
        f"--url={base_url}",
        f"--user={USER}",
        "--map=Service Desk=acme-desk",
        "--map=Network=netcorp",
        stdout=io.StringIO(),
    )
    return LiveSource.objects.get(name=name)


@pytest.fixture
def source(base_url, stand_in, vendors) -> LiveSource:
    return add_source("acme-snow", base_url)


def sync(*args: str) -> str:
    out = io.StringIO()
    call_command("sync_source", *args, stdout=out, stderr=out)
    return out.getvalue()


def sync_quickly(source: LiveSource, **kwargs) -> ImportRun:
    """The service with retries that do not wait, and a fixed window's end."""
    policy = RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0)
    return live_source_sync(
        source=source, page_size=50, until=NOW, sleep=Sleeps(), policy=policy, **kwargs
    )


def export_csv(records: list[dict], path) -> None:
    """The same incidents as ServiceNow's incident export (one row each, final values)."""

    def when(record: dict, name: str) -> str:
        value = record[name]["value"]
        return datetime.fromisoformat(value).strftime("%d/%m/%Y %H:%M:%S") if value else "?"

    # The reader's required columns (in its order, which the rows below follow), then some more.
    columns = [
        *servicenow_export.COLUMNS,
        "made_sla",
        "caller_id",
        "contact_type",
        "category",
        "sys_mod_count",
        "reopen_count",
        "reassignment_count",
    ]
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        for r in records:
            writer.writerow(
                [
                    r["number"]["value"],
                    r["incident_state"]["display_value"],
                    when(r, "sys_updated_on"),
                    "admin",
                    when(r, "opened_at"),
                    r["priority"]["display_value"],
                    r["assignment_group"]["display_value"],
                    r["assigned_to"]["display_value"],
                    when(r, "resolved_at"),
                    when(r, "closed_at"),
                    r["made_sla"]["value"],
                    r["caller_id"]["display_value"],
                    r["contact_type"]["display_value"],
                    r["category"]["value"],
                    r["sys_mod_count"]["value"],
                    r["reopen_count"]["value"],
                    r["reassignment_count"]["value"],
                ]
            )


def test_a_synced_source_has_the_tickets_its_export_gives_through_the_file_path(
    source, records, tmp_path
):
    out = sync("acme-snow")

    run = ImportRun.objects.get(source="acme-snow")
    assert (run.status, run.rows_read, run.tickets_created, run.tickets_unmapped) == (
        "done",
        300,
        200,
        100,
    )
    assert run.unmapped == {"Database": 100}  # summed over the pages
    assert "Page 1: 37 incidents (read 37 of 300)" in out
    assert re.search(r"created\s+200\n", out)
    export_csv(records, tmp_path / "incidents.csv")
    call_command(
        "import_tickets",
        tmp_path / "incidents.csv",
        "--format=servicenow",
        "--source=file-snow",
        "--map=Service Desk=acme-desk",
        "--map=Network=netcorp",
        stdout=io.StringIO(),
    )
    synced, imported = tickets("acme-snow"), tickets("file-snow")
    assert len(synced) == 200
    assert synced == imported
    assert {row[5] for row in synced} == {
        "new",
        "in_progress",
        "on_hold",
        "resolved",
        "closed",
        "cancelled",
    }
    assert {row[4] for row in synced} == {"P1", "P2", "P3", "P4"}
    source.refresh_from_db()
    assert source.cursor == {"sys_updated_on": stamp(UPDATED + timedelta(seconds=149))}
    assert (source.last_error, source.last_run_at) == ("", run.finished_at)


def test_the_incident_s_fields_become_the_ticket_s():
    ticket = incident_record(full_incident(7), time_zone="Europe/London", row=3)

    assert isinstance(ticket, TicketRecord)
    assert (ticket.row, ticket.external_id, ticket.attribution) == (3, "INC0000007", "Network")
    assert (ticket.priority, ticket.status, ticket.technician) == ("P3", "on_hold", "Tech 0")
    assert (ticket.requester, ticket.channel, ticket.category) == ("Caller 7", "chat", "Network")
    assert ticket.created_at == START + timedelta(minutes=7)  # the UTC value, not the display
    assert (ticket.source_reassignment_count, ticket.source_sla_met) == (1, True)
    assert ticket.version == "00000008"
    assert [e.kind for e in ticket.events] == ["created", "assigned", "status_change"]


def test_an_unreadable_incident_is_a_row_error_naming_it_and_the_field():
    bad = full_incident(3) | {"priority": cell("9", "9 - Whenever")}
    early = full_incident(4) | {"resolved_at": cell("2026-02-01 00:00:00")}

    assert incident_record(bad, row=5) == RowError(
        5, "priority", "unknown priority '9'", "INC0000003"
    )
    error = incident_record(early, row=6)
    assert (error.row, error.column, error.external_id) == (6, "resolved_at", "INC0000004")
    assert "before the ticket was created" in error.reason


def test_a_second_sync_changes_nothing_and_an_update_on_the_server_shows_as_updated(
    source, records
):
    sync_quickly(source)
    before = tickets("acme-snow")

    again = sync_quickly(source)  # from the cursor: the boundary second only
    full = sync_quickly(source, full=True)

    assert (again.tickets_created, again.tickets_updated, again.rows_read) == (0, 0, 2)
    assert (full.tickets_created, full.tickets_updated, full.tickets_unchanged) == (0, 0, 200)
    assert tickets("acme-snow") == before

    moved = next(r for r in records if r["number"]["value"] == "INC0000001")  # New, Netcorp
    moved |= {
        "state": cell("7", "Closed"),
        "resolved_at": cell("2026-03-05 10:00:00"),
        "closed_at": cell("2026-03-06 10:00:00"),
        "sys_mod_count": cell("12"),
        "sys_updated_on": cell("2026-03-07 00:00:00"),
    }
    latest = sync_quickly(source)

    assert (latest.tickets_created, latest.tickets_updated) == (0, 1)
    ticket = Ticket.objects.get(source="acme-snow", external_id="INC0000001")
    assert (ticket.status, ticket.closed_at) == (
        "closed",
        datetime.fromisoformat("2026-03-06 10:00:00+00:00"),
    )
    source.refresh_from_db()
    assert source.cursor == {"sys_updated_on": "2026-03-07 00:00:00"}


def test_a_table_the_account_cannot_read_is_said_in_the_run_s_notes(source, stand_in):
    stand_in.denied = {"sys_audit"}

    run = sync_quickly(source)

    run.refresh_from_db()
    assert run.status == ImportRun.Status.DONE
    assert run.tickets_created == 200  # every incident, its events from its timestamps
    said = [n for n in run.notes if n.startswith("sys_audit: the user")]
    assert len(said) == 1  # once for the run, not once per page
    assert "synthesised" in said[0]


def test_a_run_failing_after_page_two_keeps_those_pages_and_the_next_run_completes_it(
    source, stand_in, base_url
):
    stand_in.down_from_page = 3

    failed = sync_quickly(source)

    source.refresh_from_db()
    assert failed.status == "failed"
    assert "503" in failed.failure
    assert source.last_error == failed.failure
    # Pages 1-2 (37 and 50 incidents: 0..86, two thirds of them mapped) are kept.
    assert len(tickets("acme-snow")) == len([n for n in range(87) if n % 3 != 2]) == 58
    assert source.cursor == {"sys_updated_on": stamp(UPDATED + timedelta(seconds=43))}

    stand_in.down_from_page = None
    resumed = sync_quickly(source)
    clean = add_source("clean-snow", base_url)
    sync_quickly(clean)

    source.refresh_from_db()
    assert (resumed.status, source.last_error) == ("done", "")
    # From INC0000086 (its second is the cursor's; it is read again) to the end.
    assert (resumed.rows_read, resumed.tickets_created, resumed.tickets_updated) == (214, 142, 0)
    assert [row[1:] for row in tickets("acme-snow")] == [row[1:] for row in tickets("clean-snow")]
    assert [row[0] for row in tickets("acme-snow")] == [row[0] for row in tickets("clean-snow")]


def test_wrong_credentials_fail_the_run_with_the_fix_and_write_nothing(source, caplog):
    caplog.set_level(logging.DEBUG)
    live_source_set_secret(source=source, secret="not-the-password")

    with pytest.raises(CommandError) as failure:
        sync("acme-snow")

    run = ImportRun.objects.get(source="acme-snow")
    source.refresh_from_db()
    assert run.status == "failed"
    assert f"ServiceNow refused the user '{USER}' (401 Unauthorized" in run.failure
    assert "Fix the source's credentials" in str(failure.value)
    assert (source.last_error, source.cursor) == (run.failure, {})
    assert Ticket.objects.count() == 0
    for text in (str(failure.value), run.failure, *[r.getMessage() for r in caplog.records]):
        assert "not-the-password" not in text


def test_the_secret_appears_in_no_output_message_or_log(source, stand_in, caplog):
    caplog.set_level(logging.DEBUG)
    outputs = [sync("acme-snow", "--full"), sync("acme-snow", "--since=2026-03-01")]
    stand_in.down_from_page = 2
    source.refresh_from_db()
    failed = sync_quickly(source, full=True)

    basic = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    runs = [(r.failure, r.file_name, str(r.notes)) for r in ImportRun.objects.all()]
    logged = [r.getMessage() for r in caplog.records]
    for text in (*outputs, failed.failure, *map(str, runs), *logged):
        assert PASSWORD not in text
        assert basic not in text
    assert (
        "Read incidents updated since 2026-03-01 00:00:00 UTC."
        in ImportRun.objects.filter(status="done").first().notes
    )


def test_a_source_of_a_kind_without_a_connector_is_refused_and_no_run_recorded(settings):
    # Every kind stored has a connector now (ServiceNow, Jira, Zendesk); a kind read from an
    # older or newer release than this code must still be refused before anything is read.
    source, _ = live_source_create_or_update(
        name="acme-remedy",
        kind="servicenow",
        base_url="https://acme.example.com",
        username="api@acme.example",
        secret="token",
    )
    source.kind = "remedy"

    with pytest.raises(SyncRefused, match="kind: remedy sources are not supported yet"):
        live_source_sync(source=source)
    assert ImportRun.objects.count() == 0


def test_an_unknown_source_is_named():
    with pytest.raises(CommandError, match="No live source named 'nowhere'"):
        sync("nowhere")
