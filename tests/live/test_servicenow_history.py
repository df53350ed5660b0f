"""ServiceNow beyond the incident table, against the stand-in instance (tests/live/standin.py):
Test connection's probe, and the incident history read from sys_audit and the SLA verdicts
from task_sla."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.live.standin import NOW, PASSWORD, START, USER, Sleeps, incident
from tests.live.uci_standin import instance, slice_csv, sys_id
from tickets.ingest import servicenow
from tickets.live.connectors import SourceSettings
from tickets.live.http import SourceAccessDenied
from tickets.live.servicenow_tickets import CONNECTOR


@pytest.fixture
def records() -> list[dict]:
    return [incident(n, START + timedelta(seconds=n)) for n in range(30)]


@pytest.fixture
def tables() -> dict[str, list[dict]]:
    return {"sys_audit": [], "task_sla": []}


def settings(base_url: str, **changes) -> SourceSettings:
    fields = {"name": "acme-snow", "base_url": base_url, "username": USER, "password": PASSWORD}
    return SourceSettings(**(fields | changes))


def test_the_probe_counts_the_incidents_the_filter_matches_and_reads_audit_and_slas(
    base_url, stand_in
):
    result = CONNECTOR.probe(settings(base_url, filter="state=2^"), sleep=Sleeps())

    assert result.can_read == [
        "incident: 30 records match the filter",
        "sys_audit: readable (state history)",
        "sys_user_group: readable (group names in the state history)",
        "sys_user: readable (technician names in the state history)",
        "task_sla: readable (SLA verdicts)",
    ]
    assert (result.cannot_read, result.ok) == ([], True)
    first = stand_in.seen[0]
    assert "sysparm_limit=1" in first and "sysparm_query=state%3D2" in first
    assert "sysparm_query=tablename%3Dincident" in stand_in.table_seen[0]


def test_the_probe_without_a_filter_says_so(base_url, stand_in):
    result = CONNECTOR.probe(settings(base_url), sleep=Sleeps())

    assert result.can_read[0] == "incident: 30 records (no filter)"


def test_an_account_that_cannot_read_audit_or_slas_is_told_what_to_grant(base_url, stand_in):
    stand_in.denied = {"sys_audit", "task_sla"}

    result = CONNECTOR.probe(settings(base_url), sleep=Sleeps())

    assert result.can_read[0] == "incident: 30 records (no filter)"
    assert [line.split(":")[0] for line in result.can_read[1:]] == ["sys_user_group", "sys_user"]
    assert not result.ok
    audit, sla = result.cannot_read
    assert audit.startswith(f"sys_audit: the user '{USER}' may not read it (403 at ")
    assert audit.endswith(
        "grant the audit_viewer role (newer releases) or a read ACL on sys_audit: "
        "state history unavailable"
    )
    assert "task_sla" in sla and "itil role" in sla and sla.endswith("SLA verdicts unavailable")
    assert all(PASSWORD not in line for line in result.cannot_read)


@pytest.mark.parametrize(("password", "status"), [("wrong", "401"), (PASSWORD, "403")])
def test_the_probe_refused_on_incident_raises_as_the_sync_does(
    base_url, stand_in, password, status
):
    if status == "403":
        stand_in.denied = {"incident"}

    with pytest.raises(SourceAccessDenied) as refused:
        CONNECTOR.probe(settings(base_url, password=password), sleep=Sleeps())

    assert f"({status}" in str(refused.value)
    assert stand_in.table_seen == []


# --- the history from sys_audit ----------------------------------------------------------------

HEADER = [
    "number",
    "incident_state",
    "active",
    "reassignment_count",
    "reopen_count",
    "sys_mod_count",
    "made_sla",
    "caller_id",
    "opened_by",
    "opened_at",
    "sys_created_by",
    "sys_created_at",
    "sys_updated_by",
    "sys_updated_at",
    "contact_type",
    "location",
    "category",
    "subcategory",
    "u_symptom",
    "cmdb_ci",
    "impact",
    "urgency",
    "priority",
    "assignment_group",
    "assigned_to",
    "knowledge",
    "u_priority_confirmation",
    "notify",
    "problem_id",
    "rfc",
    "vendor",
    "caused_by",
    "closed_code",
    "resolved_by",
    "resolved_at",
    "closed_at",
]


def log_row(number, state, mods, updated_by, updated_at, group, technician, **final) -> list:
    """A row of the UCI event log: this update's state, group and technician, and the
    incident's final values (the same on each of its rows)."""
    values = dict.fromkeys(HEADER, "?") | {
        "number": number,
        "incident_state": state,
        "sys_mod_count": str(mods),
        "sys_updated_by": updated_by,
        "sys_updated_at": updated_at,
        "assignment_group": group,
        "assigned_to": technician,
        "active": "false",
        "reassignment_count": "1",
        "reopen_count": "1",
        "made_sla": "true",
        "caller_id": "Caller 7",
        "opened_by": "Opened by  3",
        "opened_at": "1/3/2016 09:00",
        "contact_type": "Phone",
        "category": "Category 9",
        "priority": "2 - High",
        "resolved_at": "2/3/2016 16:00",
        "closed_at": "7/3/2016 17:00",
    }
    return [(values | final)[name] for name in HEADER]


# INC1 waits on a vendor (a custom state, labelled by sys_choice), moves through groups, is
# resolved, reopened by the caller and resolved again; its update at 10:30 changes nothing
# audited. INC2 goes through state -100 (none recorded).
LOG = [
    log_row("INC1", "New", 0, "Updated by 1", "1/3/2016 09:05", "Group 1", "?"),
    log_row("INC1", "Active", 1, "Updated by 2", "1/3/2016 09:40", "Group 1", "Resolver 6"),
    log_row("INC1", "Active", 2, "Updated by 2", "1/3/2016 10:30", "Group 1", "Resolver 6"),
    log_row("INC1", "Awaiting Vendor", 3, "Updated by 2", "1/3/2016 11:00", "Group 3", "?"),
    log_row("INC1", "Awaiting Vendor", 4, "Updated by 2", "1/3/2016 11:05", "Group 2", "?"),
    log_row("INC1", "Active", 5, "Updated by 5", "1/3/2016 14:00", "Group 2", "Resolver 8"),
    log_row("INC1", "Resolved", 6, "Updated by 5", "1/3/2016 15:00", "Group 2", "Resolver 8"),
    log_row("INC1", "Active", 7, "Caller 7", "2/3/2016 08:00", "Group 2", "Resolver 8"),
    log_row("INC1", "Resolved", 8, "Updated by 5", "2/3/2016 16:00", "Group 2", "Resolver 8"),
    log_row("INC1", "Closed", 9, "system", "7/3/2016 17:00", "Group 2", "Resolver 8"),
    log_row(
        "INC2",
        "New",
        0,
        "Updated by 1",
        "3/3/2016 09:05",
        "Group 1",
        "?",
        **{
            "opened_at": "3/3/2016 09:00",
            "resolved_at": "?",
            "closed_at": "?",
            "made_sla": "false",
        },
    ),
    log_row(
        "INC2",
        "-100",
        1,
        "Updated by 1",
        "3/3/2016 09:10",
        "Group 1",
        "Resolver 4",
        **{
            "opened_at": "3/3/2016 09:00",
            "resolved_at": "?",
            "closed_at": "?",
            "made_sla": "false",
        },
    ),
    log_row(
        "INC2",
        "Awaiting User Info",
        2,
        "Updated by 2",
        "3/3/2016 09:20",
        "Group 1",
        "Resolver 4",
        **{
            "opened_at": "3/3/2016 09:00",
            "resolved_at": "?",
            "closed_at": "?",
            "made_sla": "false",
        },
    ),
]

LOG_ZONE = "Europe/London"


def log_file() -> io.BytesIO:
    return io.BytesIO(slice_csv(HEADER, LOG).encode())


def by_number(records) -> dict:
    """Records by incident, their row (the file's line, the API's position) aside."""
    return {r.external_id: replace(r, row=0) for r in records}


def read_pages(base_url: str, **changes) -> list:
    return list(
        CONNECTOR.pages(
            settings(base_url, time_zone=LOG_ZONE, **changes),
            cursor={},
            since=None,
            until=NOW,
            sleep=Sleeps(),
        )
    )


class TestHistory:
    @pytest.fixture
    def held(self):
        return instance(HEADER, LOG, time_zone=LOG_ZONE)

    @pytest.fixture
    def records(self, held) -> list[dict]:
        return held.incidents

    @pytest.fixture
    def tables(self, held) -> dict[str, list[dict]]:
        return held.tables

    def test_the_audit_history_gives_the_events_the_event_log_file_gives(self, base_url, stand_in):
        pages = read_pages(base_url)

        synced = by_number(r for page in pages for r in page.records)
        from_file = by_number(servicenow.read(log_file(), time_zone=LOG_ZONE))
        assert synced == from_file
        first = synced["INC1"]
        assert [(e.kind, e.old_value, e.new_value, e.actor) for e in first.events] == [
            ("created", "", "new", "Opened by  3"),
            ("assigned", "", "Group 1", "Updated by 1"),
            ("status_change", "new", "in_progress", "Updated by 2"),
            ("assigned", "Group 1 / Resolver 6", "Group 3", "Updated by 2"),
            ("status_change", "in_progress", "awaiting_third_party", "Updated by 2"),
            ("assigned", "Group 3", "Group 2", "Updated by 2"),
            ("status_change", "awaiting_third_party", "in_progress", "Updated by 5"),
            ("resolved", "in_progress", "resolved", "Updated by 5"),
            ("reopened", "resolved", "in_progress", "Caller 7"),
            ("resolved", "in_progress", "resolved", "Updated by 5"),
            ("closed", "resolved", "closed", "system"),
        ]
        second = synced["INC2"]
        assert (second.status, second.resolved_at, second.source_sla_met) == (
            "pending_customer",
            None,
            False,
        )

    def test_one_audit_query_per_page_names_its_incidents_and_the_four_fields(
        self, base_url, stand_in
    ):
        read_pages(base_url)

        audit = [p for p in stand_in.table_seen if p.startswith("/api/now/table/sys_audit")]
        assert len(audit) == 1
        query = parse_qs(urlsplit(audit[0]).query)["sysparm_query"][0]
        ids = ",".join(sys_id("incident", n) for n in ("INC2", "INC1"))  # in update order
        assert query == (
            f"tablename=incident^documentkeyIN{ids}"
            "^fieldnameINincident_state,state,assignment_group,assigned_to"
            "^ORDERBYsys_created_on^ORDERBYrecord_checkpoint"
        )
        looked_up = {p.split("?")[0].rsplit("/", 1)[1] for p in stand_in.table_seen}
        assert looked_up == {"sys_audit", "sys_user_group", "sys_user", "sys_choice", "task_sla"}

    def test_an_incident_whose_insert_was_not_audited_starts_from_the_old_values(
        self, base_url, stand_in, tables
    ):
        tables["sys_audit"] = [r for r in tables["sys_audit"] if r["record_checkpoint"] != "0"]

        first = by_number(read_pages(base_url)[0].records)["INC1"]

        # The first audited update (09:40) names no group: it had not changed, so Group 1
        # (the oldvalue of its first change) held the incident since it was opened.
        assert [(e.kind, e.new_value) for e in first.events[:3]] == [
            ("created", "new"),
            ("assigned", "Group 1"),
            ("status_change", "in_progress"),
        ]
        assert first.events[1].at == first.created_at

    def test_the_task_sla_verdict_wins_over_made_sla(self, base_url, stand_in, tables):
        tables["task_sla"] = [
            {"task": sys_id("incident", "INC1"), "has_breached": "false", "stage": "completed"},
            {"task": sys_id("incident", "INC1"), "has_breached": "true", "stage": "completed"},
            {"task": sys_id("incident", "INC2"), "has_breached": "true", "stage": "cancelled"},
        ]

        read = by_number(read_pages(base_url)[0].records)
        first, second = read["INC1"], read["INC2"]

        assert first.source_sla_met is False  # one of its two SLAs breached (made_sla: true)
        assert second.source_sla_met is False  # a cancelled SLA says nothing: made_sla's

    def test_without_sys_audit_the_events_are_synthesised_and_the_run_told_why(
        self, base_url, stand_in, caplog
    ):
        stand_in.denied = {"sys_audit"}

        pages = read_pages(base_url)

        first = by_number(pages[0].records)["INC1"]
        assert [e.kind for e in first.events] == ["created", "assigned", "resolved", "closed"]
        note = f"sys_audit: the user '{USER}' may not read it (403 at "
        assert any(
            note in r.getMessage() and "synthesised" in r.getMessage() for r in caplog.records
        )
        assert any(note in n for n in pages[0].notes)

    def test_without_the_group_names_the_history_is_not_guessed(self, base_url, stand_in):
        stand_in.denied = {"sys_user_group"}

        first = by_number(read_pages(base_url)[0].records)["INC1"]

        assert [e.kind for e in first.events] == ["created", "assigned", "resolved", "closed"]
        assert first.attribution == "Group 2"
