"""The Zendesk connector: the incremental ticket export read from a stand-in Zendesk on a local
port (tests/live/standin_zendesk.py), its tickets read as ours, and a Zendesk source's sync."""

from __future__ import annotations

import csv
import io
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from tests.factories import ContractFactory
from tests.live.standin import Sleeps
from tests.live.standin_zendesk import (
    AGENTS,
    EMAIL,
    GROUPS,
    START,
    TOKEN,
    ZendeskStandIn,
    json_response,
    metric_set,
    stamp,
    ticket,
    user,
)
from tickets.ingest.records import EventRecord, RowError, SurveyRecord, TicketRecord
from tickets.ingest.services import attribution_rule_set
from tickets.live.connectors import SourceSettings, connector_for
from tickets.live.http import MalformedPage, RetryPolicy, SourceAccessDenied
from tickets.live.services import (
    live_source_create_or_update,
    live_source_rebackfill,
    live_source_test_connection,
)
from tickets.live.sync import live_source_sync
from tickets.live.zendesk import EXPORT_PATH, ME_PATH, fetch_tickets, token_user
from tickets.live.zendesk_tickets import CONNECTOR, ticket_record
from tickets.models import ImportRun, LiveSource, Ticket

COUNT = 300
STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("urgent", "high", "normal", "low")
CHANNELS = ("email", "web", "voice", "chat", "api")
VIA_LABELS = {"email": "Email", "web": "Web form", "voice": "Phone call (incoming)"}
VIA_LABELS |= {"chat": "Chat", "api": "API"}
RATINGS = ("good", "bad", "offered", "unoffered")
UPDATED = START + timedelta(days=3)  # every ticket was last changed after its own times
FAST = RetryPolicy(max_attempts=2, base_delay=0.0, max_delay=0.0)


def full_ticket(n: int) -> tuple[dict, dict]:
    """Ticket n and its metric set; two tickets share each second of change, so the order
    within a second is the id's."""
    created = START + timedelta(minutes=n)
    status = STATUSES[n // 3 % len(STATUSES)]  # each status in each group
    done = status in ("solved", "closed")
    solved = created + timedelta(hours=2, seconds=n) if done else None
    body = ticket(
        n + 1,
        created=created,
        updated=UPDATED + timedelta(seconds=n // 2),
        status=status,
        priority=PRIORITIES[n % len(PRIORITIES)],
        group_id=tuple(GROUPS)[n % len(GROUPS)],
        assignee_id=None if status == "new" else tuple(AGENTS)[n % len(AGENTS)],
        requester_id=301 + n % 11,
        channel=CHANNELS[n % len(CHANNELS)],
        rating=RATINGS[n % len(RATINGS)] if done else "unoffered",
    )
    metrics = metric_set(
        n + 1,
        created=created,
        reply_minutes=None if status == "new" else 10 + n % 50,
        solved=solved,
        reopens=n % 2 if done else 0,
        group_stations=1 + n % 3,
        assignee_stations=1 + n % 2,
    )
    return body, metrics


def users() -> dict[int, dict]:
    agents = {
        i: user(i, name, f"{name.split()[0].lower()}@acme.example") for i, name in AGENTS.items()
    }
    requesters = {
        301 + i: user(301 + i, f"Caller {i}", f"caller{i}@customer.example", "end-user")
        for i in range(11)
    }
    return agents | requesters


@pytest.fixture
def zendesk(httpserver) -> ZendeskStandIn:
    pairs = [full_ticket(n) for n in range(COUNT)]
    server = ZendeskStandIn(
        tickets=[t for t, _ in pairs][::-1],  # served in the export's order regardless
        metric_sets={t["id"]: m for t, m in pairs},
        users=users(),
    )
    httpserver.expect_request(EXPORT_PATH).respond_with_handler(server.export)
    httpserver.expect_request(ME_PATH).respond_with_handler(server.me)
    return server


@pytest.fixture
def zd_settings(base_url) -> SourceSettings:
    return SourceSettings(name="acme-zd", base_url=base_url, username=EMAIL, password=TOKEN)


def every_page(base_url: str, **kwargs) -> list:
    return list(
        fetch_tickets(
            base_url=base_url,
            username=EMAIL,
            password=TOKEN,
            page_size=50,
            **{"sleep": Sleeps(), "policy": FAST, **kwargs},
        )
    )


# --- the client -------------------------------------------------------------------------------


def test_the_client_pages_the_whole_export_once_through_a_429_and_a_503(zendesk, base_url):
    zendesk.faults = [
        json_response({"error": "APIRateLimitExceeded"}, 429, {"Retry-After": "7"}),
        json_response({"error": "down"}, 503),
    ]
    sleeps = Sleeps()

    pages = every_page(base_url, sleep=sleeps, policy=RetryPolicy(base_delay=1.0))

    ids = [t["id"] for page in pages for t in page.tickets]
    assert sorted(ids) == list(range(1, COUNT + 1))  # each exactly once
    assert ids == sorted(ids)  # in the order of change, ties by id
    assert [len(p.tickets) for p in pages] == [37, 50, 11, 50, 23, 37, 50, 11, 31]
    assert [p.end_of_stream for p in pages] == [False] * 8 + [True]
    assert sleeps == [7.0, 2.0]  # Retry-After as asked; then the second attempt's backoff
    first, second = (parse_qs(urlsplit(path).query) for path in zendesk.seen[2:4])
    assert first == {
        "start_time": ["0"],
        "per_page": ["50"],
        "include": ["metric_sets,users,groups"],
    }
    assert second == {
        "cursor": [pages[0].after_cursor],
        "per_page": ["50"],
        "include": ["metric_sets,users,groups"],
    }
    # The sideloads arrive with each page.
    assert set(pages[0].metric_sets) == {t["id"] for t in pages[0].tickets}
    assert {g["name"] for g in pages[0].groups.values()} == set(GROUPS.values())


def test_a_resumed_cursor_yields_only_later_changes(zendesk, base_url):
    pages = every_page(base_url)

    resumed = every_page(base_url, after_cursor=pages[2].after_cursor)
    assert [t["id"] for p in resumed for t in p.tickets] == list(range(99, COUNT + 1))

    assert every_page(base_url, after_cursor=pages[-1].after_cursor)[0].tickets == []
    changed = [t for t in zendesk.tickets if t["id"] in (5, 40)]
    for n, body in enumerate(changed):
        body["generated_timestamp"] += 86400 + n
    later = every_page(base_url, after_cursor=pages[-1].after_cursor)
    assert [t["id"] for p in later for t in p.tickets] == [5, 40]


def test_a_backfill_starts_at_its_start_time_whatever_the_cursor(zendesk, base_url):
    stored = every_page(base_url)[-1].after_cursor

    pages = every_page(base_url, after_cursor=stored, start_time=UPDATED + timedelta(seconds=140))

    assert [t["id"] for p in pages for t in p.tickets] == list(range(281, COUNT + 1))
    start = int((UPDATED + timedelta(seconds=140)).timestamp())
    asked = parse_qs(urlsplit(zendesk.seen[-len(pages)]).query)
    assert (asked["start_time"], "cursor" in asked) == ([str(start)], False)


def test_the_api_user_is_the_token_user_of_the_email():
    assert token_user("ann@acme.example") == "ann@acme.example/token"
    assert token_user(" ann@acme.example/token ") == "ann@acme.example/token"


@pytest.mark.parametrize(
    "body, problem",
    [
        ("<html>maintenance</html>", "is not JSON"),
        ({"tickets": "none"}, "no 'tickets' list"),
        ({"tickets": [], "after_cursor": "x"}, "whether it ends the stream"),
        ({"tickets": [], "end_of_stream": False}, "gives no after_cursor"),
        ({"tickets": [], "end_of_stream": True, "users": {"id": 1}}, "'users' sideload"),
    ],
)
def test_a_malformed_page_stops_the_run_naming_the_page(zendesk, base_url, body, problem):
    if isinstance(body, str):
        zendesk.faults = [json_response("", 200)]
        zendesk.faults[0].set_data(body)
    else:
        zendesk.faults = [json_response(body, 200)]

    with pytest.raises(MalformedPage) as failure:
        every_page(base_url)

    assert problem in str(failure.value)
    assert f"{base_url.rstrip('/')}{EXPORT_PATH}?" in str(failure.value)


# --- tickets ----------------------------------------------------------------------------------


def test_a_ticket_becomes_exactly_this_record():
    created = datetime(2026, 5, 4, 9, 15, tzinfo=UTC)
    solved = created + timedelta(hours=3)
    body = ticket(
        4711,
        created=created,
        updated=created + timedelta(days=1),
        status="solved",
        priority="high",
        group_id=102,
        assignee_id=202,
        requester_id=301,
        channel="voice",
        subject="VPN drops every hour",
        ticket_type="problem",
        rating="bad",
    )
    metrics = metric_set(
        4711,
        created=created,
        reply_minutes=45,
        solved=solved,
        reopens=1,
        group_stations=2,
        assignee_stations=3,
        assigned=timedelta(minutes=10),
    )

    record = ticket_record(
        body,
        metric_set=metrics,
        users=users(),
        groups={i: {"id": i, "name": n} for i, n in GROUPS.items()},
        row=7,
    )

    assert record == TicketRecord(
        row=7,
        external_id="4711",
        attribution="Network",
        priority="P2",
        status="resolved",
        created_at=created,
        resolved_at=solved,
        version=(created + timedelta(days=1)).isoformat(),
        technician="Bo Agent",
        category="problem",
        requester="caller0@customer.example",
        channel="phone",
        title="VPN drops every hour",
        events=[
            EventRecord(created, "created", "", "new", "caller0@customer.example", False),
            EventRecord(created + timedelta(minutes=10), "assigned", "", "Bo Agent", ""),
            EventRecord(created + timedelta(minutes=45), "responded", "", "", "Bo Agent"),
            EventRecord(solved, "resolved", "", "resolved", "Bo Agent"),
        ],
        source_reopen_count=1,
        source_reassignment_count=2,
        survey=SurveyRecord(score=1, answered_at=solved),
    )


def test_unreadable_and_deleted_tickets_are_row_errors_naming_them():
    created = START
    base = ticket(9, created=created, updated=created + timedelta(hours=1))

    assert ticket_record(base | {"priority": "whenever"}, row=2) == RowError(
        2, "priority", "unknown priority 'whenever'", "9"
    )
    assert ticket_record(base | {"priority": None}, row=3) == RowError(
        3, "priority", "empty priority", "9"
    )
    assert ticket_record(base | {"priority": None}, default_priority="P4").priority == "P4"
    deleted = ticket_record(base | {"status": "deleted"}, row=4)
    assert (deleted.row, deleted.column, deleted.external_id) == (4, "status", "9")
    assert deleted.reason.startswith("deleted in Zendesk: not imported")
    early = ticket_record(
        base, metric_set=metric_set(9, created=created, solved=created - timedelta(days=1))
    )
    assert (early.column, early.external_id) == ("solved_at", "9")
    assert "before the ticket was created" in early.reason
    assert ticket_record(base | {"created_at": "yesterday"}).column == "created_at"


@pytest.mark.parametrize(
    "via, ours",
    [
        ("email", "email"),
        ("web", "portal"),
        ("help_center", "portal"),
        ("voice", "phone"),
        ("chat", "chat"),
        ("native_messaging", "chat"),
        ("web_widget", "chat"),
        ("api", "other"),
        ("web_service", "other"),
        ("closed_ticket", "other"),
    ],
)
def test_the_channel_is_read_as_the_csv_reader_reads_via(via, ours):
    body = ticket(9, created=START, updated=START, channel=via)

    assert ticket_record(body).channel == ours


def test_the_filter_keeps_the_groups_named_or_numbered(zendesk, zd_settings):
    filtered = SourceSettings(**{**zd_settings.__dict__, "filter": "tier 1, 102"})

    pages = list(CONNECTOR.pages(filtered, cursor={}, since=None, page_size=50, sleep=Sleeps()))

    records = [r for p in pages for r in p.records]
    assert sum(p.read for p in pages) == COUNT  # every ticket is read, two groups of three kept
    assert len(records) == 200
    assert {r.attribution for r in records} == {"Tier 1", "Network"}
    assert [r.row for r in records][:4] == [1, 2, 4, 5]  # rows count every ticket read
    assert pages[-1].cursor == {"after_cursor": pages[-1].cursor["after_cursor"]}


def test_describe_says_where_a_run_starts():
    assert CONNECTOR.describe(cursor={}, since=None) == (
        "Read every ticket (no cursor yet, or --full)."
    )
    assert CONNECTOR.describe(cursor={"after_cursor": "MTU4"}, since=None) == (
        "Read tickets changed since the last run (export cursor MTU4)."
    )
    assert CONNECTOR.describe(cursor={"after_cursor": "MTU4"}, since=START) == (
        "Read tickets updated since 2026-03-01 08:00:00 UTC."
    )
    assert connector_for("zendesk") is CONNECTOR


def test_the_probe_reports_the_admin_and_the_export(zendesk, zd_settings):
    result = CONNECTOR.probe(zd_settings, sleep=Sleeps())

    assert result.ok
    assert result.can_read == [
        f"user: {EMAIL} is an admin",
        "tickets: the incremental export answered (first ticket #1, with its metrics)",
    ]


def test_the_probe_says_the_filter_is_applied_on_our_side(zendesk, zd_settings):
    filtered = SourceSettings(**{**zd_settings.__dict__, "filter": "Tier 1,102"})

    result = CONNECTOR.probe(filtered, sleep=Sleeps())

    assert result.can_read[-1].startswith("filter: tickets of the groups 102, tier 1 are kept;")
    assert "/api/v2/users/me.json" in zendesk.seen[0]
    assert parse_qs(urlsplit(zendesk.seen[1]).query)["per_page"] == ["1"]


def test_the_probe_of_an_agent_names_the_admin_role_it_needs(zendesk, zd_settings):
    zendesk.me_role = "agent"

    with pytest.raises(SourceAccessDenied) as denied:
        CONNECTOR.probe(zd_settings, sleep=Sleeps())

    assert "403 Forbidden" in str(denied.value)
    assert "only admins" in str(denied.value)


# --- the sync ---------------------------------------------------------------------------------

pytest_db = pytest.mark.django_db


@pytest.fixture
def keys(settings):
    settings.SOURCE_SECRET_KEYS = [Fernet.generate_key().decode()]


@pytest.fixture
def source(keys, base_url, zendesk) -> LiveSource:
    acme = ContractFactory(vendor__name="Acme Desk").vendor
    netcorp = ContractFactory(vendor__name="Netcorp").vendor
    source, created = live_source_create_or_update(
        name="acme-zd", kind="zendesk", base_url=base_url, username=EMAIL, secret=TOKEN
    )
    assert created
    attribution_rule_set(source="acme-zd", value="Tier 1", vendor=acme)
    attribution_rule_set(source="acme-zd", value="Network", vendor=netcorp)
    return source


def sync_quickly(source: LiveSource, **kwargs) -> ImportRun:
    return live_source_sync(source=source, page_size=50, sleep=Sleeps(), policy=FAST, **kwargs)


def tickets(source: str) -> list[tuple]:
    return sorted(
        Ticket.objects.filter(source=source).values_list(
            "external_id",
            "created_at",
            "resolved_at",
            "closed_at",
            "priority",
            "status",
            "vendor__slug",
            "contract_id",
        )
    )


@pytest_db
def test_a_sync_writes_the_tickets_then_only_what_changed(source, zendesk):
    first = sync_quickly(source)

    assert (first.status, first.rows_read, first.tickets_created, first.tickets_unmapped) == (
        "done",
        COUNT,
        200,
        100,
    )
    assert first.unmapped == {"Database": 100}
    assert first.notes[0] == "Read every ticket (no cursor yet, or --full)."
    synced = tickets("acme-zd")
    assert {row[5] for row in synced} == {
        "new",
        "in_progress",
        "pending_customer",
        "on_hold",
        "resolved",
        "closed",
    }
    assert {row[6] for row in synced} == {"acme-desk", "netcorp"}
    source.refresh_from_db()
    stored = source.cursor["after_cursor"]

    again = sync_quickly(source)
    assert (again.status, again.rows_read, again.tickets_created, again.tickets_updated) == (
        "done",
        0,
        0,
        0,
    )
    assert again.notes[0] == f"Read tickets changed since the last run (export cursor {stored})."
    assert tickets("acme-zd") == synced

    changed = next(t for t in zendesk.tickets if t["id"] == 2)  # open, Netcorp
    closed_at = UPDATED + timedelta(days=2)
    changed |= {"status": "closed", "updated_at": stamp(closed_at)}
    changed["generated_timestamp"] = int(closed_at.timestamp())
    zendesk.metric_sets[2]["solved_at"] = stamp(closed_at - timedelta(hours=1))
    latest = sync_quickly(source)

    assert (latest.rows_read, latest.tickets_created, latest.tickets_updated) == (1, 0, 1)
    row = Ticket.objects.get(source="acme-zd", external_id="2")
    assert (row.status, row.resolved_at, row.closed_at) == (
        "closed",
        closed_at - timedelta(hours=1),
        closed_at,
    )


@pytest_db
def test_a_full_sync_and_a_backfill_read_again_and_change_nothing(source):
    sync_quickly(source)
    before = tickets("acme-zd")

    full = sync_quickly(source, full=True)
    live_source_rebackfill(source=source, since=UPDATED + timedelta(seconds=140))
    backfill = sync_quickly(source)

    assert (full.rows_read, full.tickets_unchanged, full.tickets_updated) == (COUNT, 200, 0)
    assert (backfill.rows_read, backfill.tickets_created, backfill.tickets_updated) == (20, 0, 0)
    assert backfill.notes[0] == "Read tickets updated since 2026-03-04 08:02:20 UTC."
    assert tickets("acme-zd") == before
    source.refresh_from_db()
    assert set(source.cursor) == {"after_cursor"}


@pytest_db
def test_a_synced_source_has_the_tickets_its_csv_export_gives(source, zendesk, tmp_path):
    sync_quickly(source)
    path = tmp_path / "tickets.csv"
    export_csv(zendesk, path)

    call_command(
        "import_tickets",
        path,
        "--format=zendesk",
        "--source=file-zd",
        "--map=Tier 1=acme-desk",
        "--map=Network=netcorp",
        stdout=io.StringIO(),
    )

    assert len(tickets("acme-zd")) == 200
    assert tickets("acme-zd") == tickets("file-zd")
    synced = Ticket.objects.filter(source="acme-zd").order_by("external_id")
    imported = Ticket.objects.filter(source="file-zd").order_by("external_id")
    facts = ("channel", "technician", "requester", "source_reopen_count")
    assert [[getattr(t, f) for f in facts] for t in synced] == [
        [getattr(t, f) for f in facts] for t in imported
    ]


def export_csv(zendesk: ZendeskStandIn, path) -> None:
    """The same tickets as Zendesk's CSV export (Reporting > Export), one row each."""

    def when(text: str | None) -> str:
        return datetime.fromisoformat(text).strftime("%Y-%m-%d %H:%M:%S +0000") if text else ""

    columns = [
        "Id",
        "Status",
        "Priority",
        "Created at",
        "Updated at",
        "Group",
        "Assignee",
        "Requester email",
        "Via",
        "Ticket type",
        "Subject",
        "Initially assigned at",
        "Solved at",
        "Satisfaction Score",
        "Group stations",
        "Assignee stations",
        "Reopens",
        "First reply time in minutes",
    ]
    people = users()
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        for t in zendesk.tickets:
            m = zendesk.metric_sets[t["id"]]
            assignee = people.get(t["assignee_id"], {}).get("name", "")
            writer.writerow(
                [
                    t["id"],
                    t["status"].title(),
                    t["priority"].title(),
                    when(t["created_at"]),
                    when(t["updated_at"]),
                    GROUPS[t["group_id"]],
                    assignee,
                    people[t["requester_id"]]["email"],
                    VIA_LABELS[t["via"]["channel"]],
                    t["type"].title(),
                    t["subject"],
                    when(m["initially_assigned_at"]),
                    when(m["solved_at"]),
                    t["satisfaction_rating"]["score"].title(),
                    m["group_stations"],
                    m["assignee_stations"],
                    m["reopens"],
                    m["reply_time_in_minutes"]["calendar"] or "",
                ]
            )


@pytest_db
def test_wrong_credentials_fail_the_run_with_the_fix_and_no_retries(source, zendesk, caplog):
    caplog.set_level(logging.DEBUG)
    source, _ = live_source_create_or_update(
        name="acme-zd",
        kind="zendesk",
        base_url=source.base_url,
        username=EMAIL,
        secret="not-the-token",
    )
    sleeps = Sleeps()

    run = live_source_sync(source=source, sleep=sleeps)

    source.refresh_from_db()
    assert run.status == "failed"
    assert run.failure.startswith(f"Zendesk refused the user '{EMAIL}' (401 Unauthorized at ")
    assert "the e-mail or API token is wrong" in run.failure
    assert "nothing was retried" in run.failure
    assert (sleeps, len(zendesk.seen)) == ([], 1)
    assert source.last_error == run.failure
    assert Ticket.objects.filter(source="acme-zd").count() == 0
    for text in (run.failure, caplog.text, str(run.notes), str(source.cursor)):
        assert "not-the-token" not in text and TOKEN not in text


@pytest_db
def test_an_agent_s_token_fails_naming_the_admin_role(source, zendesk):
    zendesk.me_role = "agent"

    run = sync_quickly(source)
    probe = live_source_test_connection(source=source)

    assert run.status == "failed"
    assert "may not read the incremental ticket export (403 Forbidden" in run.failure
    assert "an admin's API token" in run.failure
    assert not probe.ok and "an admin's API token" in probe.cannot_read[0]
    assert TOKEN not in run.failure + str(probe)
