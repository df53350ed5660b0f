"""ServiceNow Table API client: `incident` records updated since a cursor, a page at a time.

Plain arguments only (base URL, user, password, filter, since), so it runs and is tested without
the `LiveSource` model; the sync wires it to the model and the upsert.

Choices, from the Table API documentation:
- `sysparm_display_value=all`: every field comes as `{"value": ..., "display_value": ...}`, so a
  reference (assignment_group, assigned_to, caller_id) gives both its sys_id and its name, and a
  choice (state, priority) both its code and its label. Date-times' `value` is the stored UTC
  value in the internal format `YYYY-MM-DD HH:MM:SS` (the `display_value` is in the API user's
  time zone), so the cursor is read from `value`.
- A date-time written as plain text in `sysparm_query` is compared as UTC (only
  `javascript:gs.dateGenerate(...)` is taken in the user's zone), so the cursor goes in as UTC.
- Paging follows the `Link` header's `rel="next"` URL; `X-Total-Count` gives the total.
- The query is bounded above by the run's start less a minute (`sys_updated_on<=`): records
  updated during the run then only ever leave the result set, never reorder it. A record leaving
  shifts the offsets of the rest, which would skip one; the total dropping says so, and the run
  re-queries from its cursor instead of following the stale link (the upsert absorbs repeats).
- The cursor after a page is its last `sys_updated_on`; the next run (or a re-query) starts at
  `>=` that second again, so records sharing the boundary second are read twice, never missed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tickets.live.http import (
    DEFAULT_POLICY,
    MalformedPage,
    RetryPolicy,
    Sleep,
    SourceAccessDenied,
    get_with_retries,
    make_client,
    safe_url,
)

TABLE_PATH = "/api/now/table/incident"
AUDIT_TABLE = "sys_audit"
SLA_TABLE = "task_sla"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
# The window's upper bound trails our clock a little, so a small skew against the instance's
# clock cannot let a record updated during the run stay inside the window and reorder it.
CLOCK_MARGIN = timedelta(minutes=1)
DEFAULT_PAGE_SIZE = 500  # the documented default is 10,000; smaller pages commit more often

INCIDENT_FIELDS = (
    "number",
    "sys_id",
    "sys_updated_on",
    "sys_updated_by",
    "sys_created_on",
    "sys_mod_count",
    "opened_at",
    "opened_by",
    "resolved_at",
    "closed_at",
    "active",
    "priority",
    "impact",
    "urgency",
    "severity",
    "state",
    "incident_state",
    "assignment_group",
    "assigned_to",
    "caller_id",
    "category",
    "subcategory",
    "contact_type",
    "location",
    "cmdb_ci",
    "reassignment_count",
    "reopen_count",
    "made_sla",
    "knowledge",
    "close_code",
    "short_description",
)

# Roles that let an API user read what the sync needs (named in the 403 message).
REQUIRED_READ_ACCESS = (
    "the itil role (read on incident and task_sla), or a custom role with read ACLs on "
    "incident, sys_audit and task_sla"
)
# What to grant for each table the sync reads besides incident (probe and run notes say it).
TABLE_ACCESS = {
    AUDIT_TABLE: "the audit_viewer role (newer releases) or a read ACL on sys_audit",
    SLA_TABLE: "the itil role or a read ACL on task_sla",
    "sys_user_group": "the itil role or a read ACL on sys_user_group",
    "sys_user": "the itil role or a read ACL on sys_user",
    "sys_choice": "a read ACL on sys_choice",
}
# sys_audit's fields for an incident's history: one row per changed field per update.
AUDIT_FIELDS = (
    "documentkey",
    "fieldname",
    "oldvalue",
    "newvalue",
    "user",
    "sys_created_on",
    "record_checkpoint",
)
HISTORY_FIELDS = ("incident_state", "state", "assignment_group", "assigned_to")


@dataclass(frozen=True)
class Page:
    """One page of incidents and the cursor to commit with them."""

    number: int  # 1-based within the run
    records: list[dict[str, Any]]
    cursor: datetime | None  # last record's sys_updated_on (UTC); None on an empty page
    total: int | None  # X-Total-Count: records in the run's query, if the instance sent it
    url: str


def format_time(moment: datetime) -> str:
    """A datetime as the Table API's UTC internal format; naive means UTC already."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime(TIME_FORMAT)


def parse_time(text: str) -> datetime:
    return datetime.strptime(text, TIME_FORMAT).replace(tzinfo=UTC)


def field_value(record: dict[str, Any], name: str) -> str:
    """A field's stored value (sys_id, choice code, UTC time) under display_value=all."""
    cell = record.get(name)
    return str(cell.get("value") or "") if isinstance(cell, dict) else str(cell or "")


def field_display(record: dict[str, Any], name: str) -> str:
    """A field's display value (group or user name, choice label)."""
    cell = record.get(name)
    return str(cell.get("display_value") or "") if isinstance(cell, dict) else str(cell or "")


def incident_query(*, filter: str, since: datetime | None, until: datetime) -> str:
    """The encoded query: the source's filter, the time window, oldest update first."""
    parts = [filter.strip().strip("^")] if filter.strip() else []
    if since is not None:
        parts.append(f"sys_updated_on>={format_time(since)}")
    parts.append(f"sys_updated_on<={format_time(until)}")
    # sys_id breaks ties within a second so offsets stay stable from page to page.
    parts.append("ORDERBYsys_updated_on^ORDERBYsys_id")
    return "^".join(parts)


def fetch_incidents(
    *,
    base_url: str,
    username: str,
    password: str,
    filter: str = "",
    since: datetime | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    fields: Sequence[str] = INCIDENT_FIELDS,
    timeout: float = 30.0,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Sleep = time.sleep,
    until: datetime | None = None,
) -> Iterator[Page]:
    """Yield pages of incidents updated at or after `since` (everything when None), oldest first,
    up to `until` (default: a minute ago; later updates are the next run's).

    Commit each page's records and its `cursor` together; a run stopped between pages resumes by
    calling this again with `since` = the last committed cursor.
    """
    until = until or datetime.now(UTC) - CLOCK_MARGIN
    with make_client(
        base_url=base_url, username=username, password=password, timeout=timeout
    ) as client:
        origin = client.base_url
        denied = _denied_message(username)
        cursor = since
        url: str = TABLE_PATH
        params: dict[str, Any] | None = _first_params(filter, cursor, until, page_size, fields)
        first_total: int | None = None
        number = 0
        while True:
            response = get_with_retries(
                client, url, params=params, denied=denied, policy=policy, sleep=sleep
            )
            records = _records(response)
            total = _total(response)
            if first_total is None:
                first_total = total
            elif total is not None and total < first_total:
                # A record left the window (updated during the run): offsets shifted, so this
                # page may have skipped one. Re-ask from the cursor; the repeats are harmless.
                first_total = None
                url = TABLE_PATH
                params = _first_params(filter, cursor, until, page_size, fields)
                continue
            number += 1
            if records:
                cursor = _cursor(records, response)
            yield Page(
                number=number,
                records=records,
                cursor=cursor if records else None,
                total=total,
                url=safe_url(response.url),
            )
            next_url = response.links.get("next", {}).get("url")
            if not records or not next_url:
                return
            url, params = _same_origin(next_url, origin, response), None


def _first_params(
    filter: str,
    since: datetime | None,
    until: datetime,
    page_size: int,
    fields: Sequence[str],
) -> dict[str, Any]:
    return {
        "sysparm_query": incident_query(filter=filter, since=since, until=until),
        "sysparm_fields": ",".join(fields),
        "sysparm_limit": page_size,
        "sysparm_display_value": "all",
        "sysparm_exclude_reference_link": "true",
    }


def _denied_message(username: str):
    def denied(response: httpx.Response) -> SourceAccessDenied:
        if response.status_code == 401:
            return SourceAccessDenied(
                f"ServiceNow refused the user '{username}' (401 Unauthorized at "
                f"{safe_url(response.url)}): the user name or password is wrong, or the "
                "account is locked or inactive. Fix the source's credentials; nothing was "
                "retried."
            )
        return SourceAccessDenied(
            f"ServiceNow user '{username}' may not read the incident table (403 Forbidden at "
            f"{safe_url(response.url)}). Ask a ServiceNow admin to grant it "
            f"{REQUIRED_READ_ACCESS}; nothing was retried."
        )

    return denied


def _records(response: httpx.Response) -> list[dict[str, Any]]:
    where = safe_url(response.url)
    try:
        body = response.json()
    except ValueError as exc:
        raise MalformedPage(f"The page {where} is not JSON ({exc}).") from exc
    result = body.get("result") if isinstance(body, dict) else None
    if not isinstance(result, list) or not all(isinstance(r, dict) for r in result):
        raise MalformedPage(f"The page {where} has no 'result' list of records.")
    return result


def _cursor(records: list[dict[str, Any]], response: httpx.Response) -> datetime:
    text = field_value(records[-1], "sys_updated_on")
    try:
        return parse_time(text)
    except ValueError as exc:
        raise MalformedPage(
            f"The page {safe_url(response.url)} ends with a record whose sys_updated_on "
            f"{text!r} is not 'YYYY-MM-DD HH:MM:SS'."
        ) from exc


def _total(response: httpx.Response) -> int | None:
    value = response.headers.get("X-Total-Count", "")
    return int(value) if value.strip().isdigit() else None


def _same_origin(next_url: str, origin: httpx.URL, response: httpx.Response) -> str:
    """The next page must be on the same instance: the client would send it our credentials."""
    target = httpx.URL(next_url)
    if target.is_relative_url:
        return next_url
    if (target.scheme, target.host, target.port) != (origin.scheme, origin.host, origin.port):
        raise MalformedPage(
            f"The page {safe_url(response.url)} links its next page to another host "
            f"({target.host}); refusing to send the credentials there."
        )
    return str(target)


def table_path(table: str) -> str:
    return f"/api/now/table/{table}"


def fetch_table(
    client: httpx.Client,
    table: str,
    *,
    query: str,
    fields: Sequence[str],
    denied: Callable[[httpx.Response], SourceAccessDenied],
    page_size: int = DEFAULT_PAGE_SIZE,
    display_value: str = "false",
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Sleep = time.sleep,
) -> list[dict[str, Any]]:
    """Every record of `table` matching `query`, following the `Link` pages: for the small
    per-page reads (an incident page's audit rows, SLAs, names), which no run cursor tracks."""
    origin = client.base_url
    url: str = table_path(table)
    params: dict[str, Any] | None = {
        "sysparm_query": query,
        "sysparm_fields": ",".join(fields),
        "sysparm_limit": page_size,
        "sysparm_display_value": display_value,
        "sysparm_exclude_reference_link": "true",
    }
    rows: list[dict[str, Any]] = []
    while True:
        response = get_with_retries(
            client, url, params=params, denied=denied, policy=policy, sleep=sleep
        )
        records = _records(response)
        rows.extend(records)
        next_url = response.links.get("next", {}).get("url")
        if not records or not next_url:
            return rows
        url, params = _same_origin(next_url, origin, response), None


def first_record(
    client: httpx.Client,
    table: str,
    *,
    query: str,
    denied: Callable[[httpx.Response], SourceAccessDenied],
    fields: Sequence[str] = ("sys_id",),
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Sleep = time.sleep,
) -> tuple[list[dict[str, Any]], int | None]:
    """One record of `table` matching `query` and the instance's count of all that match."""
    params = {
        "sysparm_query": query,
        "sysparm_fields": ",".join(fields),
        "sysparm_limit": 1,
        "sysparm_exclude_reference_link": "true",
    }
    response = get_with_retries(
        client, table_path(table), params=params, denied=denied, policy=policy, sleep=sleep
    )
    return _records(response), _total(response)


def incident_denied(username: str) -> Callable[[httpx.Response], SourceAccessDenied]:
    """How a 401/403 on the incident table is worded (the sync's and the probe's)."""
    return _denied_message(username)


def table_denied(table: str, username: str) -> Callable[[httpx.Response], SourceAccessDenied]:
    """A 401/403 on a table besides incident: what to grant, and what is missing without it."""

    def denied(response: httpx.Response) -> SourceAccessDenied:
        return SourceAccessDenied(
            f"{table}: the user '{username}' may not read it ({response.status_code} at "
            f"{safe_url(response.url)}); grant {TABLE_ACCESS.get(table, 'a read ACL on ' + table)}"
        )

    return denied
