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
from tests.live.standin import Sleeps, tickets
from tests.live.standin_zendesk import (
    AGENTS,
    AUDITS_URI,
    EMAIL,
    GROUPS,
    START,
    TOKEN,
    ZendeskStandIn,
    audit,
    changed,
    comment,
    created,
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
AUDITED = "; history from each ticket's audits."  # how describe ends with history="audits"


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
    httpserver.expect_request(AUDITS_URI).respond_with_handler(server.ticket_audits)
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
        f"Read every ticket (no cursor yet, or --full){AUDITED}"
    )
    assert CONNECTOR.describe(cursor={"after_cursor": "MTU4"}, since=None) == (
        f"Read tickets changed since the last run (export cursor MTU4){AUDITED}"
    )
    assert CONNECTOR.describe(cursor={"after_cursor": "MTU4"}, since=START) == (
        f"Read tickets updated since 2026-03-01 08:00:00 UTC{AUDITED}"
    )
    assert CONNECTOR.describe(cursor={}, since=None, history="none") == (
        "Read every ticket (no cursor yet, or --full); events synthesised from the tickets' "
        "times (history none)."
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
    assert first.notes[0] == f"Read every ticket (no cursor yet, or --full){AUDITED}"
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
    assert again.notes[0] == (
        f"Read tickets changed since the last run (export cursor {stored}){AUDITED}"
    )
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
    assert backfill.notes[0] == f"Read tickets updated since 2026-03-04 08:02:20 UTC{AUDITED}"
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


# --- history from audits ----------------------------------------------------------------------

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
NAMED_GROUPS = {i: {"id": i, "name": n} for i, n in GROUPS.items()}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def handled_ticket() -> tuple[dict, dict, list[dict]]:
    """A ticket (closed, Network, Bo), its metric set and its audit trail: queued in Tier 1,
    taken by Ann, an internal note, a CC'd customer's and the requester's public comments,
    Ann's first public reply, moved to Network and Bo, pending and back, solved, closed by
    an automation (author -1)."""
    body = ticket(
        5150,
        created=T0,
        updated=at(24 * 60),
        status="closed",
        priority="high",
        group_id=102,
        assignee_id=202,
        requester_id=301,
    )
    metrics = metric_set(5150, created=T0, reply_minutes=45, solved=at(240), group_stations=2)
    opened = [created("status", "new"), created("priority", "normal"), created("group_id", 101)]
    trail = [
        audit(1, 5150, T0, 301, [*opened, comment(301, body="Printer jammed")]),
        audit(
            2,
            5150,
            at(5),
            201,
            [changed("assignee_id", 201, None), changed("status", "open", "new")],
        ),
        audit(3, 5150, at(20), 201, [comment(201, public=False, body="internal note")]),
        audit(4, 5150, at(25), 305, [comment(305, body="Me too")]),  # an end user, CC'd
        audit(5, 5150, at(30), 301, [comment(301, body="Any news?")]),
        audit(6, 5150, at(45), 201, [comment(201), changed("priority", "high", "normal")]),
        audit(7, 5150, at(50), 201, [comment(201, body="Still on it")]),
        audit(
            8, 5150, at(60), 201, [changed("group_id", 102, 101), changed("assignee_id", 202, 201)]
        ),
        audit(9, 5150, at(120), 202, [changed("status", "pending", "open")]),
        audit(10, 5150, at(180), 301, [comment(301), changed("status", "open", "pending")]),
        audit(11, 5150, at(240), 202, [changed("status", "solved", "open")]),
        audit(12, 5150, at(24 * 60), -1, [changed("status", "closed", "solved")]),
    ]
    return body, metrics, trail


def test_a_ticket_s_audits_become_exactly_these_events():
    body, metrics, trail = handled_ticket()

    record = ticket_record(
        body, metric_set=metrics, users=users(), groups=NAMED_GROUPS, row=3, audits=trail
    )

    requester = "caller0@customer.example"
    assert record.events == [
        EventRecord(T0, "created", "", "new", requester, by_vendor=False),
        EventRecord(at(5), "assigned", "", "Tier 1 / Ann Agent", "Ann Agent"),
        EventRecord(at(5), "status_change", "new", "in_progress", "Ann Agent"),
        EventRecord(at(45), "responded", "", "", "Ann Agent"),
        EventRecord(at(60), "assigned", "Tier 1 / Ann Agent", "Network / Bo Agent", "Ann Agent"),
        EventRecord(at(120), "status_change", "in_progress", "pending_customer", "Bo Agent"),
        EventRecord(at(180), "status_change", "pending_customer", "in_progress", "Caller 0"),
        EventRecord(at(240), "resolved", "in_progress", "resolved", "Bo Agent"),
        EventRecord(at(24 * 60), "closed", "resolved", "closed", ""),
    ]
    # The ticket's own fields are the export's, as without audits.
    synthesised = ticket_record(body, metric_set=metrics, users=users(), groups=NAMED_GROUPS, row=3)
    synthesised.events = record.events
    assert record == synthesised
    assert (record.priority, record.status, record.resolved_at, record.closed_at) == (
        "P2",
        "closed",
        at(240),
        at(24 * 60),
    )
    assert (record.source_reassignment_count, record.source_reopen_count) == (1, 0)


def test_a_reopened_ticket_gets_its_reopened_event_and_later_audits_wait_for_the_next_run():
    body = ticket(77, created=T0, updated=at(300), status="solved", assignee_id=203)
    holder = [created("group_id", 101), created("assignee_id", 203)]
    trail = [
        # Stamped a second before the ticket: its events still start at its creation.
        audit(1, 77, T0 - timedelta(seconds=1), 301, [created("status", "open"), *holder]),
        audit(2, 77, at(60), 203, [changed("status", "solved", "open"), comment(203)]),
        audit(3, 77, at(120), 301, [changed("status", "open", "solved"), comment(301)]),
        audit(4, 77, at(300), 203, [changed("status", "solved", "open")]),
        # After the ticket's updated_at: a change the export's page does not show yet.
        audit(5, 77, at(400), 203, [changed("status", "closed", "solved")]),
    ]

    record = ticket_record(body, users=users(), groups=NAMED_GROUPS, audits=trail)

    assert [(e.at, e.kind, e.old_value, e.new_value, e.by_vendor) for e in record.events] == [
        (T0, "created", "", "new", False),
        (T0, "assigned", "", "Tier 1 / Cy Agent", True),
        (T0, "status_change", "new", "in_progress", True),
        (at(60), "resolved", "in_progress", "resolved", True),
        (at(60), "responded", "", "", True),
        (at(120), "reopened", "resolved", "in_progress", False),
        (at(300), "resolved", "in_progress", "resolved", True),
    ]
    assert record.status == "resolved"


def test_the_response_is_the_first_public_comment_by_an_agent():
    body = ticket(78, created=T0, updated=at(90), requester_id=302)
    trail = [
        # An agent opening the ticket for a caller: the creating audit's comment is the request.
        audit(1, 78, T0, 201, [created("status", "open"), comment(201, body="Caller says")]),
        audit(2, 78, at(10), 302, [comment(302, body="Hello?")]),  # the requester
        audit(3, 78, at(20), 202, [comment(202, public=False)]),  # an internal note
        audit(4, 78, at(30), 307, [comment(307, body="Same here")]),  # an end user
        # A comment's own author counts, not the audit's (a comment made on someone's behalf).
        audit(5, 78, at(40), 303, [{"type": "Comment", "author_id": 203, "public": True}]),
        audit(6, 78, at(50), 201, [comment(201)]),
    ]

    record = ticket_record(body, users=users(), groups=NAMED_GROUPS, audits=trail)

    assert [(e.at, e.actor) for e in record.events if e.kind == "responded"] == [
        (at(40), "Cy Agent")
    ]


def test_an_unknown_status_in_an_audit_is_a_row_error_naming_it():
    body = ticket(79, created=T0, updated=at(90))
    trail = [audit(1, 79, at(10), 201, [changed("status", "escalated", "open")])]

    error = ticket_record(body, row=4, audits=trail)

    assert error == RowError(
        4, "audits", "unknown status 'escalated' in the audit of 2026-06-01 09:10 UTC", "79"
    )


@pytest.fixture
def audited(httpserver) -> ZendeskStandIn:
    """Four tickets: the handled one with its own trail (changed last), and three with plain
    trails (open, closed, closed)."""
    body, metrics, trail = handled_ticket()
    plain = [full_ticket(n) for n in (3, 15, 16)]
    server = ZendeskStandIn(
        tickets=[body] + [t for t, _ in plain],
        metric_sets={5150: metrics} | {t["id"]: m for t, m in plain},
        users=users(),
        audits={5150: trail},
    )
    httpserver.expect_request(EXPORT_PATH).respond_with_handler(server.export)
    httpserver.expect_request(AUDITS_URI).respond_with_handler(server.ticket_audits)
    return server


def read_all(settings: SourceSettings, **options) -> list:
    options = {"page_size": 50, "sleep": Sleeps(), "policy": FAST} | options
    return list(CONNECTOR.pages(settings, cursor={}, since=None, **options))


def audit_requests(server: ZendeskStandIn) -> list[tuple[int, dict]]:
    """(ticket id, query) of each audits request, in order."""
    return [
        (int(urlsplit(path).path.split("/")[4]), parse_qs(urlsplit(path).query))
        for path in server.seen
        if "/audits.json" in path
    ]


def synthesised(server: ZendeskStandIn) -> list[TicketRecord]:
    """The server's tickets as ticket_record reads them without audits, in the export's order."""
    ordered = sorted(server.tickets, key=server.position)
    return [
        ticket_record(
            t, metric_set=server.metric_sets[t["id"]], users=users(), groups=NAMED_GROUPS, row=n
        )
        for n, t in enumerate(ordered, 1)
    ]


def test_each_ticket_s_audits_are_read_page_by_page_through_a_429(audited, zd_settings):
    audited.audit_page_cut = 5  # the handled ticket's 12 audits come in 3 pages
    audited.audit_faults = [
        json_response({"error": "APIRateLimitExceeded"}, 429, {"Retry-After": "4"})
    ]
    sleeps = Sleeps()

    [page] = read_all(zd_settings, sleep=sleeps)

    body, metrics, trail = handled_ticket()
    assert page.records[-1] == ticket_record(
        body, metric_set=metrics, users=users(), groups=NAMED_GROUPS, row=4, audits=trail
    )
    assert page.records[-1].events[3] == EventRecord(at(45), "responded", "", "", "Ann Agent")
    asked = audit_requests(audited)
    assert [ticket_id for ticket_id, _ in asked] == [4, 4, 16, 17, 5150, 5150, 5150]
    assert sleeps == [4.0]  # the 429's Retry-After, then the same request again
    assert asked[4][1] == {"page[size]": ["100"], "include": ["users"]}
    assert asked[5][1]["page[after]"] and asked[6][1]["page[after]"] != asked[5][1]["page[after]"]
    # Every ticket's events come from its audits: the plain ones name the group and the agent.
    assert [e.new_value for e in page.records[0].events if e.kind == "assigned"] == [
        "Tier 1 / Ann Agent"
    ]


def test_history_none_gives_the_synthesised_records_without_reading_audits(audited, zd_settings):
    [plain] = read_all(zd_settings, history="none")

    assert audit_requests(audited) == []
    assert plain.records == synthesised(audited)

    [page] = read_all(zd_settings)
    # With audits only the events differ: the ticket's own fields are the export's.
    for with_audits, without in zip(page.records, plain.records, strict=True):
        assert with_audits.events != without.events
        with_audits.events = without.events
    assert page.records == plain.records
    with pytest.raises(ValueError, match="history must be one of audits, none"):
        read_all(zd_settings, history="changelog")


def test_audits_refused_fall_back_to_synthesised_events_for_the_run(audited, zd_settings, caplog):
    audited.audits_refused = True

    [page] = read_all(zd_settings)

    assert page.records == synthesised(audited)
    assert len(audit_requests(audited)) == 1  # given up for the rest of the run
    assert f"Zendesk user '{EMAIL}' may not read ticket audits (403 Forbidden" in caplog.text
    assert "events are synthesised from their times" in caplog.text
    assert TOKEN not in caplog.text


def test_a_ticket_whose_audits_are_gone_keeps_synthesised_events(audited, zd_settings):
    audited.audit_faults = [json_response({"error": "RecordNotFound"}, 404)]

    [page] = read_all(zd_settings)

    expected = synthesised(audited)
    assert page.records[0] == expected[0]  # ticket 4: deleted or merged since the page
    assert page.records[1].events != expected[1].events  # the others: from their audits
    assert len(audit_requests(audited)) == 4


def test_a_page_of_n_tickets_costs_one_request_and_one_per_ticket_kept(zendesk, zd_settings):
    filtered = SourceSettings(**{**zd_settings.__dict__, "filter": "Tier 1"})
    counts, before = [], 0

    for page in CONNECTOR.pages(filtered, cursor={}, since=None, page_size=50, sleep=Sleeps()):
        counts.append((page.read, len(page.records), len(zendesk.seen) - before))
        before = len(zendesk.seen)

    assert [read for read, _, _ in counts] == [37, 50, 11, 50, 23, 37, 50, 11, 31]
    assert all(requests == 1 + kept for _, kept, requests in counts)
    assert sum(kept for _, kept, _ in counts) == COUNT // 3


@pytest_db
def test_a_synced_ticket_keeps_its_whole_history_when_it_changes_later(source, zendesk):
    sync_quickly(source)
    changed = next(t for t in zendesk.tickets if t["id"] == 5)  # open, Network, Bo
    closed_at = UPDATED + timedelta(days=30)
    changed |= {"status": "closed", "updated_at": stamp(closed_at)}
    changed["generated_timestamp"] = int(closed_at.timestamp())
    zendesk.metric_sets[5]["solved_at"] = stamp(closed_at - timedelta(hours=1))

    latest = sync_quickly(source)

    assert (latest.rows_read, latest.tickets_updated) == (1, 1)
    row = Ticket.objects.get(source="acme-zd", external_id="5")
    created = START + timedelta(minutes=4)
    assert [(e.at, e.kind, e.old_value, e.new_value, e.actor) for e in row.events.all()] == [
        (created, "created", "", "new", "caller4@customer.example"),
        (created + timedelta(minutes=5), "assigned", "", "Network / Bo Agent", "Bo Agent"),
        (created + timedelta(minutes=5), "status_change", "new", "in_progress", "Bo Agent"),
        (created + timedelta(minutes=14), "responded", "", "", "Bo Agent"),
        (closed_at - timedelta(hours=1), "resolved", "in_progress", "resolved", "Bo Agent"),
        (closed_at, "closed", "resolved", "closed", "Bo Agent"),
    ]
    assert (row.status, row.resolved_at, row.closed_at) == (
        "closed",
        closed_at - timedelta(hours=1),
        closed_at,
    )


@pytest.mark.parametrize(
    "body, problem",
    [
        ({"audits": {}}, "has no 'audits' list"),
        ({"audits": [], "meta": {}}, "does not say whether more audits follow"),
        ({"audits": [], "meta": {"has_more": True}}, "gives no new after_cursor"),
    ],
)
def test_a_malformed_audits_page_stops_the_run_naming_it(audited, zd_settings, body, problem):
    audited.audit_faults = [json_response(body, 200)]

    with pytest.raises(MalformedPage) as failure:
        read_all(zd_settings)

    assert problem in str(failure.value)
    assert "/api/v2/tickets/4/audits.json?page%5Bsize%5D=100&include=users" in str(failure.value)
