"""The ServiceNow Table API client against a stand-in instance on a real local HTTP port
(tests/live/standin.py; its `stand_in` and `base_url` fixtures are in conftest.py)."""

from __future__ import annotations

import base64
import logging
import socket
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug import Request, Response

from tests.live.standin import NOW, PASSWORD, START, USER, Sleeps, incident
from tests.live.standin import json_response as _json
from tickets.live.http import (
    MalformedPage,
    RetryPolicy,
    SourceAccessDenied,
    SourceUnavailable,
    retry_after_seconds,
)
from tickets.live.servicenow import TABLE_PATH, Page, fetch_incidents, field_display, field_value


@pytest.fixture
def records() -> list[dict]:
    # 300 incidents, two per second so pages often end mid-second; served out of order.
    rows = [incident(n, START + timedelta(seconds=n // 2)) for n in range(300)]
    return rows[::2] + rows[1::2]


def run(base_url: str, *, since: datetime | None = None, sleep=None, **kwargs) -> list[Page]:
    return list(
        fetch_incidents(
            base_url=base_url,
            username=kwargs.pop("username", USER),
            password=kwargs.pop("password", PASSWORD),
            since=since,
            page_size=50,
            until=NOW,
            sleep=Sleeps() if sleep is None else sleep,
            policy=RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=5.0),
            **kwargs,
        )
    )


def numbers(pages: list[Page]) -> list[str]:
    return [field_value(r, "number") for page in pages for r in page.records]


def test_a_backfill_returns_every_record_once_in_update_order_across_pages(base_url, stand_in):
    pages = run(base_url)

    assert numbers(pages) == [f"INC{n:07d}" for n in range(300)]
    assert [len(p.records) for p in pages][:5] == [37, 50, 11, 50, 23]
    assert len(pages) == 9
    assert {p.total for p in pages} == {300}
    assert field_display(pages[0].records[0], "assignment_group") == "Service Desk"
    assert field_value(pages[0].records[0], "assignment_group") == "a" * 32


def test_the_cursor_after_each_page_is_its_last_records_update_time(base_url, stand_in):
    pages = run(base_url)

    for page in pages:
        last = page.records[-1]["sys_updated_on"]["value"]
        assert page.cursor == datetime.strptime(last, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    assert pages[-1].cursor == START + timedelta(seconds=149)


def test_the_first_request_asks_for_the_documented_parameters(base_url, stand_in):
    run(base_url, since=START, filter="active=true^")

    first = stand_in.seen[0]
    assert "sysparm_limit=50" in first
    assert "sysparm_display_value=all" in first
    assert "sysparm_exclude_reference_link=true" in first
    assert "sysparm_fields=number%2Csys_id%2Csys_updated_on" in first
    query = stand_in.seen[0].split("sysparm_query=")[1].split("&")[0]
    assert query == (
        "active%3Dtrue%5Esys_updated_on%3E%3D2026-03-01+08%3A00%3A00%5E"
        "sys_updated_on%3C%3D2026-12-01+00%3A00%3A00%5EORDERBYsys_updated_on%5EORDERBYsys_id"
    )


def test_a_second_run_from_the_cursor_returns_the_boundary_repeats_and_newer_records(
    base_url, stand_in, records
):
    cursor = run(base_url)[-1].cursor
    records.append(incident(300, START + timedelta(seconds=400)))
    records.append(incident(301, START + timedelta(seconds=401)))

    again = run(base_url, since=cursor)

    # INC0000298 and INC0000299 share the cursor's second: read again, absorbed by the upsert.
    assert numbers(again) == ["INC0000298", "INC0000299", "INC0000300", "INC0000301"]
    assert again[-1].cursor == START + timedelta(seconds=401)


def test_a_run_with_nothing_new_yields_one_empty_page_without_a_cursor(base_url, stand_in):
    pages = run(base_url, since=START + timedelta(days=1))

    assert [(p.records, p.cursor, p.total) for p in pages] == [([], None, 0)]


def test_a_record_updated_during_the_run_makes_it_requery_from_the_cursor_not_skip(
    base_url, stand_in, records
):
    pages = fetch_incidents(
        base_url=base_url, username=USER, password=PASSWORD, page_size=50, until=NOW
    )
    first = next(pages)
    # INC0000005 (already read) is updated now, after the run's window: the offsets shift.
    moved = next(r for r in records if r["number"]["value"] == "INC0000005")
    moved["sys_updated_on"]["value"] = "2026-12-05 00:00:00"
    rest = list(pages)

    read = numbers([first, *rest])
    assert sum("sysparm_offset" not in path for path in stand_in.seen) == 2  # it re-queried
    assert sorted(set(read)) == [f"INC{n:07d}" for n in range(300)]
    assert len(read) - len(set(read)) <= 2  # only the boundary second is read twice


def test_a_429_waits_the_retry_after_seconds_then_succeeds(base_url, stand_in):
    stand_in.faults.append(_json({"error": {"message": "Rate limit"}}, 429, {"Retry-After": "7"}))
    sleeps = Sleeps()

    pages = run(base_url, sleep=sleeps)

    assert sleeps == [7.0]
    assert len(numbers(pages)) == 300


def test_a_429_retry_after_as_an_http_date_and_a_too_long_wait_is_capped():
    now = datetime(2026, 12, 1, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Tue, 01 Dec 2026 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("soon", now=now) is None


def test_a_huge_retry_after_is_cut_to_the_cap(base_url, stand_in):
    stand_in.faults.append(_json({}, 429, {"Retry-After": "86400"}))
    sleeps = Sleeps()

    run(base_url, sleep=sleeps)

    assert sleeps == [300.0]


def test_a_503_once_is_retried_after_a_backoff(base_url, stand_in):
    stand_in.faults.append(Response("down", 503))
    sleeps = Sleeps()

    pages = run(base_url, sleep=sleeps)

    assert sleeps == [1.0]
    assert len(numbers(pages)) == 300


def test_a_503_forever_gives_up_after_the_cap_with_a_clear_error(base_url, stand_in):
    stand_in.faults.extend(Response("down", 503) for _ in range(10))
    sleeps = Sleeps()

    with pytest.raises(SourceUnavailable) as failure:
        run(base_url, sleep=sleeps)

    assert len(stand_in.seen) == 4
    assert sleeps == [1.0, 2.0, 4.0]
    assert "still failing after 4 attempts (last: 503 SERVICE UNAVAILABLE)" in str(failure.value)
    assert TABLE_PATH in str(failure.value)


def test_a_refused_connection_is_retried_with_backoff_then_gives_up():
    with socket.socket() as probe:  # a port nothing listens on: every attempt is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sleeps = Sleeps()

    with pytest.raises(SourceUnavailable, match="ConnectError"):
        run(f"http://127.0.0.1:{port}/", sleep=sleeps)

    assert sleeps == [1.0, 2.0, 4.0]


def test_wrong_credentials_stop_at_once_naming_the_user(base_url, stand_in):
    with pytest.raises(SourceAccessDenied) as failure:
        run(base_url, password="wrong")

    assert len(stand_in.seen) == 1
    message = str(failure.value)
    assert f"refused the user '{USER}' (401" in message
    assert "user name or password is wrong" in message


def test_a_user_without_read_access_stops_at_once_naming_the_roles_to_grant(base_url, stand_in):
    stand_in.faults.append(_json({"error": {"message": "User Not Authorized"}}, 403))

    with pytest.raises(SourceAccessDenied) as failure:
        run(base_url)

    assert len(stand_in.seen) == 1
    message = str(failure.value)
    assert f"user '{USER}' may not read the incident table (403" in message
    assert "itil role" in message
    assert "incident, sys_audit and task_sla" in message


def test_a_page_that_is_not_json_fails_naming_the_page(base_url, stand_in):
    stand_in.faults.append(Response("<html>Instance hibernating</html>", 200))

    with pytest.raises(MalformedPage) as failure:
        run(base_url)

    assert "is not JSON" in str(failure.value)
    assert f"{base_url.rstrip('/')}{TABLE_PATH}?sysparm_query=" in str(failure.value)


def test_a_page_without_a_result_list_fails_naming_the_page(base_url, stand_in):
    stand_in.faults.append(_json({"records": []}, 200))

    with pytest.raises(MalformedPage, match=r"has no 'result' list"):
        run(base_url)


def test_a_next_link_to_another_host_is_refused(base_url, httpserver):
    def handler(request: Request) -> Response:
        link = '<https://evil.example.com/api/now/table/incident?sysparm_offset=1>;rel="next"'
        return _json({"result": [incident(1, START)]}, 200, {"Link": link})

    httpserver.expect_request(TABLE_PATH).respond_with_handler(handler)

    with pytest.raises(MalformedPage, match="evil.example.com"):
        run(base_url)


def test_the_password_appears_in_no_error_or_log_record(base_url, stand_in, caplog):
    caplog.set_level(logging.DEBUG)
    messages = []
    stand_in.faults.extend([Response("down", 503), _json({}, 429, {"Retry-After": "1"})])
    run(base_url)
    stand_in.faults.extend(Response("down", 503) for _ in range(4))
    for failing in (
        lambda: run(base_url),
        lambda: run(base_url, password=PASSWORD + "x"),
    ):
        with pytest.raises(Exception) as failure:
            failing()
        messages.append(str(failure.value))
    stand_in.faults.append(_json({}, 403))
    with pytest.raises(SourceAccessDenied) as failure:
        run(base_url)
    messages.append(str(failure.value))

    logged = [r.getMessage() for r in caplog.records]
    assert any("attempt 1 of 4" in line for line in logged)
    for text in messages + logged:
        assert PASSWORD not in text
        assert base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode() not in text
