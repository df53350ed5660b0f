"""The Jira Cloud / Jira Service Management connector against a stand-in site on a real local
HTTP port (tests/live/standin_jira.py): the client's paging, the issues' history as events,
and runs of a `kind="jira"` LiveSource through the sync."""

from __future__ import annotations

import base64
import csv
import io
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from werkzeug import Response

from tests.factories import ContractFactory
from tests.live.standin import Sleeps
from tests.live.standin_jira import (
    EMAIL,
    EMBEDDED,
    NOW,
    PATH,
    REQUEST_TYPE_FIELD,
    START,
    TEAM_FIELD,
    TOKEN,
    USER_ZONE,
    JiraStandIn,
    assignee_item,
    history,
    jira_time,
    json_response,
    person,
    status_item,
)
from tickets.ingest.records import EventRecord, RowError, TicketRecord
from tickets.ingest.services import attribution_rule_set
from tickets.live.connectors import SourceSettings, connector_for
from tickets.live.credentials import live_source_set_secret
from tickets.live.http import MalformedPage, RetryPolicy, SourceAccessDenied
from tickets.live.jira import Page, fetch_issues, issue_jql
from tickets.live.jira_tickets import CONNECTOR, issue_record
from tickets.live.services import live_source_create_or_update, live_source_test_connection
from tickets.live.sync import live_source_sync
from tickets.models import ImportRun, LiveSource, Ticket
from vendors.models import Vendor

COUNT = 120
UPDATED = START + timedelta(days=3)  # every issue was last updated after its history
PROJECTS = (  # key, name, type; Database is mapped to no vendor
    ("HELP", "Help Desk", "service_desk"),
    ("NET", "Network", "software"),
    ("DB", "Database", "software"),
)
PRIORITY_NAMES = ("Highest", "High", "Medium", "Low", "Lowest")
CUSTOM = {"team": TEAM_FIELD, "request_type": REQUEST_TYPE_FIELD}
QUICK = RetryPolicy(max_attempts=3, base_delay=1.0, max_delay=5.0)


def full_issue(n: int) -> dict:
    """Issue n: created n minutes after START, assigned, worked on; every third resolved (some
    closed, some reopened and resolved again). Three issues share each minute of `updated`."""
    key, name, kind = PROJECTS[n % 3]
    created = START + timedelta(minutes=n)
    tech = f"Tech {n % 4}"
    histories = [
        history(1, created + timedelta(minutes=5), "Dispatcher", assignee_item("", tech)),
        history(2, created + timedelta(minutes=10), tech, status_item("Open", "In Progress")),
    ]
    status, resolved = "In Progress", None
    if n % 3 == 0 or n % 5 == 0:
        resolved = created + timedelta(hours=2)
        histories.append(history(3, resolved, tech, status_item("In Progress", "Resolved")))
        status = "Resolved"
        if n % 2 == 0:
            closed = resolved + timedelta(days=1)
            histories.append(history(4, closed, "Automation", status_item("Resolved", "Closed")))
            status = "Closed"
        elif n % 5 == 0:
            back = resolved + timedelta(hours=1)
            again = back + timedelta(hours=1)
            histories.append(history(4, back, "Customer", status_item("Resolved", "Reopened")))
            histories.append(history(5, again, tech, status_item("Reopened", "Resolved")))
            resolved = again
    fields = {
        "summary": f"Printer {n} is out of toner",
        "status": {"name": status, "statusCategory": {"key": "indeterminate"}},
        "priority": {"name": PRIORITY_NAMES[n % 5], "id": str(n % 5 + 1)},
        "assignee": person(tech),
        "reporter": person(f"Customer {n % 7}"),
        "created": jira_time(created),
        "updated": jira_time(UPDATED + timedelta(seconds=20 * n)),
        "resolutiondate": jira_time(resolved) if resolved else None,
        "issuetype": {"name": "Service Request" if kind == "service_desk" else "Task"},
        "project": {"key": key, "name": name, "projectTypeKey": kind},
        "labels": [],
        "components": [],
        TEAM_FIELD: {"id": "t1", "name": "Service Desk"} if key == "HELP" else None,
        REQUEST_TYPE_FIELD: (
            {"requestType": {"id": "7", "name": "Get IT help"}} if key == "HELP" else None
        ),
    }
    issue = {
        "id": str(10000 + n),
        "key": f"{key}-{n}",
        "fields": fields,
        "changelog": {"histories": histories},
    }
    if kind == "service_desk":
        cycle = {"breached": n % 4 == 0}
        issue["slas"] = [
            {
                "id": "1",
                "name": "Time to resolution",
                "completedCycles": [cycle] if resolved else [],
                "ongoingCycle": None if resolved else {"breached": False, "paused": False},
            }
        ]
    return issue


@pytest.fixture
def issues() -> list[dict]:
    rows = [full_issue(n) for n in range(COUNT)]
    return rows[1::2] + rows[::2]  # served out of order: the stand-in sorts them


@pytest.fixture
def jira(httpserver, issues) -> JiraStandIn:
    server = JiraStandIn(issues)
    httpserver.expect_request(PATH).respond_with_handler(server)
    return server


@pytest.fixture
def base_url(httpserver) -> str:
    return httpserver.url_for("/")


def run(base_url: str, *, sleep=None, **kwargs) -> list[Page]:
    return list(
        fetch_issues(
            base_url=base_url,
            username=kwargs.pop("username", EMAIL),
            password=kwargs.pop("password", TOKEN),
            time_zone=USER_ZONE,
            page_size=50,
            until=NOW,
            sleep=Sleeps() if sleep is None else sleep,
            policy=QUICK,
            **kwargs,
        )
    )


def keys(pages: list[Page]) -> list[str]:
    return [issue["key"] for page in pages for issue in page.issues]


def searches(jira: JiraStandIn) -> list[dict]:
    return [
        parse_qs(urlsplit(path).query)
        for path in jira.seen
        if path.startswith("/rest/api/3/search/jql")
    ]


# --- the client --------------------------------------------------------------------------------


def test_the_client_pages_every_issue_exactly_once_with_its_whole_history(base_url, jira):
    pages = run(base_url)

    assert keys(pages) == [f"{PROJECTS[n % 3][0]}-{n}" for n in range(COUNT)]
    assert [len(p.issues) for p in pages] == [37, 50, 11, 22]
    assert [p.number for p in pages] == [1, 2, 3, 4]
    assert pages[-1].cursor == UPDATED + timedelta(seconds=20 * (COUNT - 1))
    full = {i["key"]: i["changelog"]["histories"] for i in jira.issues}
    for issue in (issue for page in pages for issue in page.issues):
        assert issue["changelog"]["histories"] == full[issue["key"]]
    # Issues with more histories than the search embeds were paged from the changelog API.
    cut = sorted(k for k, h in full.items() if len(h) > EMBEDDED)
    asked = sorted({p.split("/")[5] for p in jira.seen if p.startswith("/rest/api/3/issue/")})
    assert asked == cut and len(cut) == 40  # the closed and the reopened ones
    assert pages[0].custom_fields == CUSTOM
    # The tokens were followed: each page after the first asked with the one before's token.
    tokens = [s.get("nextPageToken") for s in searches(jira)]
    assert tokens[0] is None and all(tokens[1:])


def test_the_jql_carries_the_filter_and_the_window_in_the_user_s_time_zone(base_url, jira):
    since = UPDATED + timedelta(seconds=20 * 100 + 7)  # 08:33:27 UTC: 09:33 in Berlin

    pages = run(base_url, since=since, filter="project = HELP ORDER BY created DESC")

    asked = searches(jira)[0]
    assert asked["jql"] == [
        '(project = HELP) AND updated >= "2026-03-04 09:33" AND updated <= "2026-12-01 01:00" '
        "ORDER BY updated ASC, key ASC"
    ]
    assert asked["expand"] == ["changelog"]
    assert asked["maxResults"] == ["50"]
    assert {"summary", "status", "priority", "assignee", "updated", TEAM_FIELD} <= set(
        asked["fields"][0].split(",")
    )
    # From the start of the minute (a small overlap): issue 99 (08:33:00 UTC) is read again.
    assert keys(pages) == [f"HELP-{n}" for n in range(99, COUNT, 3)]


def test_a_429_and_a_503_are_waited_out_and_nothing_is_read_twice(base_url, jira):
    jira.faults = [
        Response("slow down", 429, {"Retry-After": "7"}),
        Response("unavailable", 503),
    ]
    sleeps = Sleeps()

    pages = run(base_url, sleep=sleeps)

    assert sleeps == [7.0, 2.0]
    assert len(keys(pages)) == len(set(keys(pages))) == COUNT


def test_wrong_credentials_name_the_user_and_are_not_retried(base_url, jira):
    with pytest.raises(SourceAccessDenied) as denied:
        run(base_url, password="not-the-token")

    message = str(denied.value)
    assert f"Jira refused the user '{EMAIL}' (401 Unauthorized" in message
    assert "API token" in message and "not-the-token" not in message
    assert len(jira.seen) == 1


def test_a_forbidden_search_names_the_permission(httpserver, base_url):
    httpserver.expect_request(PATH).respond_with_data("Forbidden", status=403)

    with pytest.raises(SourceAccessDenied, match="'Browse projects' permission"):
        run(base_url)


def test_a_malformed_page_is_named(httpserver, base_url, jira):
    jira.faults = [json_response([]), json_response({"issues": "none", "isLast": True})]

    with pytest.raises(MalformedPage, match=r"The page http://localhost:\d+/rest/api/3/search"):
        run(base_url)


# --- issues as tickets -------------------------------------------------------------------------


def hand_made() -> dict:
    """HELP-7: opened, assigned, worked on, handed over, resolved, reopened by the customer,
    resolved again and closed; its changelog out of order, as pages may give it."""
    t = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    histories = [
        history(10, t + timedelta(hours=1), "Ann", status_item("Open", "In Progress")),
        history(11, t + timedelta(hours=2), "Ann", assignee_item("Ann", "Bob")),
        history(
            12, t + timedelta(hours=3), "Bob", status_item("In Progress", "Waiting for customer")
        ),
        history(13, t + timedelta(hours=4), "Bob", status_item("Waiting for customer", "Resolved")),
        history(14, t + timedelta(hours=5), "Carol", status_item("Resolved", "Reopened")),
        history(15, t + timedelta(hours=6), "Bob", status_item("Reopened", "Done")),
        history(16, t + timedelta(days=2), "Automation", status_item("Done", "Closed")),
        history(9, t + timedelta(minutes=5), "Lead", assignee_item("", "Ann")),
    ]
    fields = {
        "summary": "VPN drops every hour",
        "status": {"name": "Closed"},
        "priority": {"name": "High"},
        "assignee": person("Bob"),
        "reporter": person("Carol"),
        "created": "2026-03-02T10:00:00.000+0100",
        "updated": "2026-03-04T10:00:00.123+0100",
        "resolutiondate": "2026-03-02T16:00:00.000+0100",
        "issuetype": {"name": "Incident"},
        "project": {"key": "HELP", "name": "Help Desk", "projectTypeKey": "service_desk"},
        "components": [{"name": "VPN"}],
        TEAM_FIELD: {"id": "t9", "name": "Service Desk"},
    }
    slas = [
        {"name": "Time to first response", "completedCycles": [{"breached": False}]},
        {"name": "Time to resolution", "completedCycles": [{"breached": False}]},
    ]
    return {"key": "HELP-7", "fields": fields, "changelog": {"histories": histories}, "slas": slas}


def test_an_issue_s_history_becomes_its_events():
    ticket = issue_record(hand_made(), row=4, custom_fields=CUSTOM)

    t = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert isinstance(ticket, TicketRecord)
    assert (ticket.row, ticket.external_id, ticket.attribution) == (4, "HELP-7", "Service Desk")
    assert (ticket.priority, ticket.status, ticket.technician) == ("P2", "closed", "Bob")
    assert (ticket.requester, ticket.category, ticket.title) == (
        "Carol",
        "VPN",
        "VPN drops every hour",
    )
    assert ticket.created_at == t
    assert ticket.resolved_at == t + timedelta(hours=6)  # resolutiondate
    assert ticket.closed_at == t + timedelta(days=2)  # the move to Closed
    assert ticket.version == "2026-03-04T09:00:00.123+00:00"
    assert ticket.source_sla_met is True
    assert ticket.events == [
        EventRecord(t, "created", "", "new", "Carol", by_vendor=False),
        EventRecord(t + timedelta(minutes=5), "assigned", "", "Ann", "Lead"),
        EventRecord(t + timedelta(hours=1), "status_change", "new", "in_progress", "Ann"),
        EventRecord(t + timedelta(hours=2), "assigned", "Ann", "Bob", "Ann"),
        EventRecord(
            t + timedelta(hours=3), "status_change", "in_progress", "pending_customer", "Bob"
        ),
        EventRecord(t + timedelta(hours=4), "resolved", "pending_customer", "resolved", "Bob"),
        EventRecord(t + timedelta(hours=5), "reopened", "resolved", "in_progress", "Carol", False),
        EventRecord(t + timedelta(hours=6), "resolved", "in_progress", "resolved", "Bob"),
        EventRecord(t + timedelta(days=2), "closed", "resolved", "closed", "Automation"),
    ]


def test_the_sla_verdict_is_jira_service_management_s_own():
    breached = hand_made()
    breached["slas"][1]["completedCycles"].append({"breached": True})
    running = hand_made() | {"slas": [{"ongoingCycle": {"breached": False}}]}
    late = hand_made() | {"slas": [{"ongoingCycle": {"breached": True}}]}

    assert issue_record(breached).source_sla_met is False
    assert issue_record(running).source_sla_met is None  # nothing decided yet
    assert issue_record(late).source_sla_met is False
    assert issue_record(hand_made() | {"slas": None}).source_sla_met is None


def test_without_a_team_an_issue_is_attributed_to_its_project_as_the_csv_reader_does():
    issue = hand_made()
    issue["fields"][TEAM_FIELD] = None

    assert issue_record(issue, custom_fields=CUSTOM).attribution == "Help Desk"
    assert issue_record(hand_made()).attribution == "Help Desk"  # the site has no Team field


def test_an_unreadable_issue_is_a_row_error_naming_it_and_the_field():
    unknown = hand_made()
    unknown["fields"]["status"] = {"name": "Parked"}
    early = hand_made()
    early["fields"]["resolutiondate"] = "2026-03-01T00:00:00.000+0000"
    no_priority = hand_made()
    no_priority["fields"]["priority"] = None

    assert issue_record(unknown, row=5) == RowError(
        5, "status", "unknown status 'Parked' (map it with status_map)", "HELP-7"
    )
    assert issue_record(unknown, status_map={"Parked": "on_hold"}).status == "on_hold"
    error = issue_record(early, row=6)
    assert (error.row, error.column, error.external_id) == (6, "resolutiondate", "HELP-7")
    assert "before the issue was created" in error.reason
    assert issue_record(no_priority, row=7) == RowError(
        7, "priority", "unknown priority ''", "HELP-7"
    )
    assert issue_record({"fields": {}}, row=8) == RowError(8, "key", "the issue has no key")


def test_describe_says_where_the_run_starts():
    assert CONNECTOR.describe(cursor={}, since=None) == (
        "Read every issue the filter matches (no cursor yet, or --full)."
    )
    assert CONNECTOR.describe(cursor={"updated": "2026-03-04T12:33:20.000+00:00"}, since=None) == (
        "Read issues updated since 2026-03-04 12:33 UTC (from the start of that minute: JQL "
        "dates have no seconds)."
    )
    assert connector_for("jira") is CONNECTOR
    assert issue_jql(filter="", since=None, until=NOW, time_zone="UTC", order=False) == (
        'updated <= "2026-12-01 00:00"'
    )


# --- runs of a Jira source ---------------------------------------------------------------------


@pytest.fixture
def keys_set(settings):
    settings.SOURCE_SECRET_KEYS = [Fernet.generate_key().decode()]


@pytest.fixture
def source(db, keys_set, base_url, jira) -> LiveSource:
    acme = ContractFactory(vendor__name="Acme Desk").vendor
    netcorp = ContractFactory(vendor__name="Netcorp").vendor
    source, _ = live_source_create_or_update(
        name="acme-jira",
        kind="jira",
        base_url=base_url,
        username=EMAIL,
        secret=TOKEN,
        time_zone=USER_ZONE,
    )
    attribution_rule_set(source="acme-jira", value="Service Desk", vendor=acme)
    attribution_rule_set(source="acme-jira", value="Network", vendor=netcorp)
    return source


def sync_quickly(source: LiveSource, **kwargs) -> ImportRun:
    return live_source_sync(
        source=source, page_size=50, until=NOW, sleep=Sleeps(), policy=QUICK, **kwargs
    )


def stored(source: str = "acme-jira") -> list[tuple]:
    return sorted(
        Ticket.objects.filter(source=source).values_list(
            "external_id", "status", "priority", "vendor__slug", "resolved_at", "source_sla_met"
        )
    )


@pytest.mark.django_db
def test_a_sync_writes_the_tickets_and_a_second_changes_nothing(source, jira):
    first = sync_quickly(source)

    assert (first.status, first.rows_read, first.tickets_created) == ("done", COUNT, 80)
    assert (first.tickets_unmapped, first.unmapped) == (40, {"Database": 40})
    source.refresh_from_db()
    last = UPDATED + timedelta(seconds=20 * (COUNT - 1))
    assert source.cursor == {"updated": last.isoformat(timespec="milliseconds")}
    assert source.last_error == ""
    assert first.notes == ["Read every issue the filter matches (no cursor yet, or --full)."]
    tickets = Ticket.objects.filter(source="acme-jira")
    assert {t.vendor.slug for t in tickets} == {"acme-desk", "netcorp"}
    assert {t.status for t in tickets} == {"in_progress", "resolved", "closed"}
    help_0 = tickets.get(external_id="HELP-0")
    assert (help_0.status, help_0.priority) == ("closed", "P1")
    assert [e.kind for e in help_0.events.order_by("at", "pk")] == [
        "created",
        "assigned",
        "status_change",
        "resolved",
        "closed",
    ]
    before = stored()

    again = sync_quickly(source)  # from the cursor's minute: the last three issues again
    full = sync_quickly(source, full=True)

    assert (again.rows_read, again.tickets_created, again.tickets_updated) == (3, 0, 0)
    assert (full.tickets_created, full.tickets_updated, full.tickets_unchanged) == (0, 0, 80)
    assert stored() == before


@pytest.mark.django_db
def test_an_issue_updated_on_the_server_shows_up_updated_on_the_next_run(source, jira):
    sync_quickly(source)
    issue = next(i for i in jira.issues if i["key"] == "NET-1")
    moved = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    issue["fields"] |= {
        "status": {"name": "Resolved"},
        "resolutiondate": jira_time(moved),
        "updated": jira_time(moved + timedelta(seconds=30)),
    }
    issue["changelog"]["histories"].append(
        history(3, moved, "Tech 1", status_item("In Progress", "Resolved"))
    )

    latest = sync_quickly(source)

    # NET-1, and the three issues of the last run's last minute again (unchanged).
    assert (latest.rows_read, latest.tickets_created, latest.tickets_updated) == (4, 0, 1)
    assert latest.tickets_unchanged == 2  # DB-118 is mapped to no vendor
    ticket = Ticket.objects.get(source="acme-jira", external_id="NET-1")
    assert (ticket.status, ticket.resolved_at) == ("resolved", moved)
    source.refresh_from_db()
    assert source.cursor == {"updated": "2026-03-10T09:00:30.000+00:00"}
    asked = searches(jira)[-1]["jql"][0]
    assert asked.startswith('updated >= "2026-03-04 09:39" AND updated <= "2026-12-01 01:00"')


@pytest.mark.django_db
def test_sla_verdicts_are_stored_and_a_user_who_is_no_agent_syncs_without_them(
    source, jira, base_url
):
    sync_quickly(source)
    verdicts = dict(
        Ticket.objects.filter(source="acme-jira", external_id__startswith="HELP").values_list(
            "external_id", "source_sla_met"
        )
    )
    assert verdicts["HELP-0"] is False  # breached (n % 4 == 0)
    assert verdicts["HELP-3"] is True
    assert verdicts["HELP-21"] is True
    assert verdicts["HELP-6"] is True
    assert verdicts["HELP-24"] is False
    assert verdicts["HELP-9"] is True
    assert verdicts["HELP-12"] is False
    assert verdicts["HELP-15"] is True
    assert verdicts["HELP-30"] is True

    jira.agents = False
    before = len(jira.seen)
    pages = run(base_url)
    sla_asks = [p for p in jira.seen[before:] if "/servicedeskapi/" in p]
    assert len(sla_asks) == 1  # refused once: the run reads no more SLAs
    assert all(i.get("slas") is None for page in pages for i in page.issues)
    assert len(keys(pages)) == COUNT


@pytest.mark.django_db
def test_wrong_credentials_fail_the_run_with_the_fix_and_no_retries(source, jira, caplog):
    caplog.set_level(logging.DEBUG)
    live_source_set_secret(source=source, secret="not-the-token")

    run_ = sync_quickly(source)

    source.refresh_from_db()
    assert run_.status == "failed"
    assert f"Jira refused the user '{EMAIL}' (401 Unauthorized" in run_.failure
    assert "Make a new API token" in run_.failure
    assert (source.last_error, source.cursor) == (run_.failure, {})
    assert len(jira.seen) == 1  # nothing retried
    assert Ticket.objects.count() == 0
    basic = base64.b64encode(f"{EMAIL}:not-the-token".encode()).decode()
    for text in (run_.failure, str(run_.notes), *[r.getMessage() for r in caplog.records]):
        assert "not-the-token" not in text and basic not in text


@pytest.mark.django_db
def test_the_secret_appears_in_no_message_or_log(source, jira, caplog):
    caplog.set_level(logging.DEBUG)
    jira.faults = [Response("slow down", 429, {"Retry-After": "1"}), Response("down", 503)]
    done = sync_quickly(source)
    jira.faults = [Response("down", 503)] * 3
    failed = sync_quickly(source, full=True)

    assert (done.status, failed.status) == ("done", "failed")
    assert "still failing after 3 attempts" in failed.failure
    basic = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    runs = [(r.failure, r.file_name, str(r.notes)) for r in ImportRun.objects.all()]
    for text in (*map(str, runs), *[r.getMessage() for r in caplog.records]):
        assert TOKEN not in text and basic not in text


@pytest.mark.django_db
def test_test_connection_says_what_the_user_can_and_cannot_read(source, jira):
    result = live_source_test_connection(source=source)

    assert result.can_read == [
        "user: signed in as VendorScore API",
        "issues: about 120 issues match the filter; read HELP-0",
        "history: the changelog of HELP-0",
        "SLAs: the SLA records of HELP-0",
    ]
    assert result.cannot_read == [] and result.ok

    jira.agents = False
    source.time_zone = "UTC"
    source.save()
    result = live_source_test_connection(source=source)
    assert result.cannot_read == [
        f"time zone: Jira reads the filter's dates in the user's time zone {USER_ZONE}, but "
        f"the source is set to UTC; set the source's time zone to {USER_ZONE}",
        "SLAs: the SLAs of HELP-0 are refused; make the user a Jira Service Management agent "
        "(licensed) of the service projects",
    ]


def test_the_connector_reads_settings_and_numbers_rows_across_pages(base_url, jira):
    settings = SourceSettings(
        name="acme-jira", base_url=base_url, username=EMAIL, password=TOKEN, time_zone=USER_ZONE
    )

    pages = list(
        CONNECTOR.pages(settings, cursor={}, since=None, until=NOW, page_size=50, sleep=Sleeps())
    )

    assert [p.read for p in pages] == [37, 50, 11, 22]
    assert [r.row for r in pages[1].records][:2] == [38, 39]
    assert all(isinstance(r, TicketRecord) for p in pages for r in p.records)
    assert pages[0].cursor == {"updated": "2026-03-04T08:12:00.000+00:00"}
    assert pages[0].cursor_text == "2026-03-04 08:12:00 UTC"
    assert repr(settings).count(TOKEN) == 0


def test_an_empty_page_with_a_token_is_followed_but_a_token_given_twice_is_refused(base_url, jira):
    empty = {"issues": [], "nextPageToken": "b2Zmc2V0OjA=", "isLast": False}  # offset:0
    jira.faults = [json_response(jira.fields), json_response(empty)]

    assert len(keys(run(base_url))) == COUNT

    jira.faults = [json_response(jira.fields), json_response(empty), json_response(empty)]
    with pytest.raises(MalformedPage, match="gives a nextPageToken it gave before"):
        run(base_url)


def export_csv(issues: list[dict], path) -> None:
    """The same issues as Jira's "Export > CSV (all fields)" gives them (final values only),
    times in the user's zone."""

    def when(text: str | None) -> str:
        if not text:
            return ""
        return (
            datetime.fromisoformat(text).astimezone(ZoneInfo(USER_ZONE)).strftime("%Y-%m-%d %H:%M")
        )

    columns = ["Issue key", "Summary", "Status", "Priority", "Created", "Updated", "Resolved"]
    columns += ["Assignee", "Reporter", "Custom field (Team)", "Project name", "Issue Type"]
    columns += ["Custom field (Customer Request Type)"]
    with open(path, "w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(columns)
        for issue in issues:
            f = issue["fields"]
            writer.writerow(
                [
                    issue["key"],
                    f["summary"],
                    f["status"]["name"],
                    f["priority"]["name"],
                    when(f["created"]),
                    when(f["updated"]),
                    when(f["resolutiondate"]),
                    f["assignee"]["displayName"],
                    f["reporter"]["displayName"],
                    f[TEAM_FIELD]["name"],
                    f["project"]["name"],
                    f["issuetype"]["name"],
                    f[REQUEST_TYPE_FIELD]["requestType"]["name"],
                ]
            )


@pytest.mark.django_db
def test_the_api_and_the_csv_export_give_the_same_tickets(source, jira, tmp_path):
    source.filter = "project = HELP"
    source.save()
    sync_quickly(source)
    help_issues = [i for i in jira.issues if i["key"].startswith("HELP-")]
    export_csv(help_issues, tmp_path / "issues.csv")
    acme = Vendor.objects.get(slug="acme-desk")
    attribution_rule_set(source="file-jira", value="Service Desk", vendor=acme)
    call_command(
        "import_tickets",
        tmp_path / "issues.csv",
        "--format=jira",
        "--source=file-jira",
        f"--time-zone={USER_ZONE}",
        stdout=io.StringIO(),
    )

    def compared(name: str) -> list[tuple]:
        return sorted(
            Ticket.objects.filter(source=name).values_list(
                "external_id",
                "status",
                "priority",
                "vendor__slug",
                "created_at",
                "resolved_at",
                "technician__name",
                "category",
                "requester",
            )
        )

    synced = compared("acme-jira")
    assert len(synced) == 40
    assert synced == compared("file-jira")


def test_an_issue_without_status_history_is_resolved_at_its_resolution_date():
    issue = hand_made()
    issue["changelog"] = {"histories": [], "total": 0}
    issue["fields"]["status"] = {"name": "Done"}

    ticket = issue_record(issue)

    t = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert (ticket.status, ticket.resolved_at, ticket.closed_at) == (
        "resolved",
        t + timedelta(hours=6),
        None,
    )
    assert ticket.events == [
        EventRecord(t, "created", "", "new", "Carol", by_vendor=False),
        EventRecord(t, "assigned", "", "Bob", ""),
        EventRecord(t + timedelta(hours=6), "resolved", "new", "resolved", ""),
    ]
