"""Jira Cloud / Jira Service Management REST client: issues updated in a window, a page at a time.

Plain arguments only (base URL, user, API token, filter, time zone, window), so it runs and is
tested without the `LiveSource` model; `jira_tickets` reads the issues as tickets.

Choices, from the Jira Cloud platform and Service Management REST documentation:
- Issues come from `GET /rest/api/3/search/jql` (the offset search is gone): pages follow
  `nextPageToken` until `isLast`; there is no total. `fields` is explicit (the default is ids
  only) and `expand=changelog` embeds each issue's history.
- The JQL is the source's filter AND `updated >= "<from>"` AND `updated <= "<until>"`, ordered
  by `updated`, then `key`. JQL dates have minute resolution and are read in the API user's
  own time zone, so both bounds are written in the source's time zone (which must be the
  user's: `probe` checks it) and floored to the minute: a run re-reads the last minute of the
  one before, and the upsert finds those issues unchanged.
- The window ends a minute before the run starts, so an issue updated during the run leaves
  the results rather than moving within them.
- An embedded changelog can be cut short (`total` > the histories it holds); such an issue's
  whole history is then paged from `GET /rest/api/3/issue/{key}/changelog` (`startAt`,
  `values`, `isLast`).
- Jira Service Management's own SLA verdicts come from
  `GET /rest/servicedeskapi/request/{key}/sla` (`values[].completedCycles[].breached`,
  `values[].ongoingCycle.breached`), read for issues of service projects only
  (`projectTypeKey` "service_desk"; option `slas`). A 404 there means the issue is not a
  customer request (no verdict); a 403 means the user is not an agent of that service
  project: the run goes on without verdicts, as `probe` reports.
- Basic auth is the Atlassian account's email and an API token.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tickets.ingest import files
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

SEARCH_PATH = "/rest/api/3/search/jql"
COUNT_PATH = "/rest/api/3/search/approximate-count"
CHANGELOG_PATH = "/rest/api/3/issue/{key}/changelog"
FIELDS_PATH = "/rest/api/3/field"
MYSELF_PATH = "/rest/api/3/myself"
SLA_PATH = "/rest/servicedeskapi/request/{key}/sla"

JQL_TIME_FORMAT = "%Y-%m-%d %H:%M"
CLOCK_MARGIN = timedelta(minutes=1)
DEFAULT_PAGE_SIZE = 100  # the search's cap for pages with fields and changelogs
CHANGELOG_PAGE_SIZE = 100
SERVICE_PROJECT = "service_desk"  # projectTypeKey of a Jira Service Management project

ISSUE_FIELDS = (
    "summary",
    "status",
    "priority",
    "assignee",
    "reporter",
    "created",
    "updated",
    "resolutiondate",
    "issuetype",
    "project",
    "labels",
    "components",
)
# Custom fields looked up by name (their ids differ from site to site): name -> our key.
NAMED_FIELDS = {"team": "team", "request type": "request_type"}

BROWSE = "the 'Browse projects' permission on the projects its filter covers"
AGENT = "a Jira Service Management agent (licensed) of the service projects"


@dataclass(frozen=True)
class Page:
    """One page of issues (changelogs complete, SLAs attached) and the cursor after it."""

    number: int  # 1-based within the run
    issues: list[dict[str, Any]]
    cursor: datetime | None  # the last issue's `updated` (UTC); None on an empty page
    url: str
    custom_fields: dict[str, str] = field(default_factory=dict)  # our key -> Jira field id


def parse_time(text: str) -> datetime:
    """Jira's `2026-03-01T08:00:00.000+0000` as an aware datetime."""
    return datetime.fromisoformat(text)


def jql_time(moment: datetime, time_zone: str) -> str:
    """A moment as JQL reads it: minute resolution, in the API user's time zone, floored."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(files.zone(time_zone)).strftime(JQL_TIME_FORMAT)


_ORDER_BY = re.compile(r"\s+order\s+by\s+.*$", re.IGNORECASE | re.DOTALL)


def issue_jql(
    *, filter: str, since: datetime | None, until: datetime, time_zone: str, order: bool = True
) -> str:
    """The source's filter (its own ORDER BY dropped) AND the window, oldest update first."""
    own = _ORDER_BY.sub("", " " + filter.strip()).strip()
    parts = [f"({own})"] if own else []
    if since is not None:
        parts.append(f'updated >= "{jql_time(since, time_zone)}"')
    parts.append(f'updated <= "{jql_time(until, time_zone)}"')
    jql = " AND ".join(parts)
    return jql + " ORDER BY updated ASC, key ASC" if order else jql


def fetch_issues(
    *,
    base_url: str,
    username: str,
    password: str,
    filter: str = "",
    time_zone: str = "UTC",
    since: datetime | None = None,
    until: datetime | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    slas: bool = True,
    team_field: str | None = None,
    timeout: float = 30.0,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Sleep = time.sleep,
) -> Iterator[Page]:
    """Yield pages of issues updated at or after `since` (everything when None) up to `until`
    (default: a minute ago), oldest first; each issue's `changelog.histories` complete and, for
    service projects when `slas`, its SLA records under `"slas"` (None: no verdict to read).

    `team_field`: the id of the field tickets are attributed by (default: the field named
    "Team", if the site has one, else the project). Commit each page's issues with its cursor.
    """
    until = until or datetime.now(UTC) - CLOCK_MARGIN
    with make_client(
        base_url=base_url, username=username, password=password, timeout=timeout
    ) as client:
        reader = _Reader(client, username=username, policy=policy, sleep=sleep)
        custom = reader.custom_fields()
        if team_field:
            custom["team"] = team_field
        params: dict[str, Any] = {
            "jql": issue_jql(filter=filter, since=since, until=until, time_zone=time_zone),
            "fields": ",".join((*ISSUE_FIELDS, *custom.values())),
            "expand": "changelog",
            "maxResults": page_size,
        }
        number = 0
        cursor = since
        tokens: set[str] = set()
        read_slas = slas
        while True:
            response = reader.get(SEARCH_PATH, params)
            issues, token, last = _search_page(response)
            number += 1
            for issue in issues:
                reader.complete_changelog(issue)
                if read_slas and _is_service_request(issue):
                    read_slas = reader.attach_slas(issue)
            if issues:
                cursor = _cursor(issues[-1], response)
            yield Page(
                number=number,
                issues=issues,
                cursor=cursor if issues else None,
                url=safe_url(response.url),
                custom_fields=dict(custom),
            )
            if last or not token:
                return
            # A page may come back short, even empty, with more to follow; a token served
            # twice would loop for ever.
            if token in tokens:
                raise MalformedPage(
                    f"The page {safe_url(response.url)} gives a nextPageToken it gave before."
                )
            tokens.add(token)
            params = {**params, "nextPageToken": token}


# The SLA endpoint answers 404 for an issue that is not a customer request: no verdict.
NOT_A_REQUEST = frozenset({404})


class _Reader:
    """The run's GETs, with the 401/403 wording."""

    def __init__(self, client: httpx.Client, *, username: str, policy: RetryPolicy, sleep: Sleep):
        self.client, self.username, self.policy, self.sleep = client, username, policy, sleep

    def get(
        self,
        path: str,
        params: dict[str, Any] | None = None,
        *,
        denied=None,
        allow: frozenset[int] = frozenset(),
    ):
        return get_with_retries(
            self.client,
            path,
            params=params,
            denied=denied or denied_message(self.username),
            policy=self.policy,
            sleep=self.sleep,
            allow=allow,
        )

    def custom_fields(self) -> dict[str, str]:
        """Ids of the custom fields read by name (Team, Request type) on this site."""
        response = self.get(FIELDS_PATH)
        body = _json(response)
        if not isinstance(body, list):
            raise MalformedPage(f"The page {safe_url(response.url)} is not a list of fields.")
        found: dict[str, str] = {}
        for item in body:
            if not isinstance(item, dict) or not item.get("custom"):
                continue
            key = NAMED_FIELDS.get(str(item.get("name", "")).strip().casefold())
            if key and key not in found and item.get("id"):
                found[key] = str(item["id"])
        return found

    def complete_changelog(self, issue: dict[str, Any]) -> None:
        """Replaces a cut-short embedded changelog with the whole history, paged."""
        changelog = issue.get("changelog")
        if not isinstance(changelog, dict):
            changelog = issue["changelog"] = {"histories": [], "total": None}
        histories = changelog.get("histories")
        if not isinstance(histories, list):
            raise MalformedPage(f"Issue {issue.get('key')}'s changelog has no 'histories' list.")
        total = changelog.get("total")
        if not isinstance(total, int) or total <= len(histories):
            return
        path = CHANGELOG_PATH.format(key=issue["key"])
        every: list[dict[str, Any]] = []
        while True:
            response = self.get(path, {"startAt": len(every), "maxResults": CHANGELOG_PAGE_SIZE})
            body = _json(response)
            values = body.get("values") if isinstance(body, dict) else None
            if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
                raise MalformedPage(f"The page {safe_url(response.url)} has no 'values' list.")
            every.extend(values)
            if body.get("isLast", True) or not values:
                break
        changelog.update(histories=every, total=len(every), startAt=0, maxResults=len(every))

    def attach_slas(self, issue: dict[str, Any]) -> bool:
        """The request's SLA records under issue["slas"] (None when it is not a request).
        False when the user may not read SLAs: the run reads no more of them."""
        issue["slas"] = None
        try:
            response = self.get(
                SLA_PATH.format(key=issue["key"]),
                {"limit": 50},
                denied=lambda response: _SlaDenied(str(response.status_code)),
                allow=NOT_A_REQUEST,
            )
        except _SlaDenied:
            return False
        if response.status_code == 404:
            return True  # not a customer request (no request type): no verdict
        body = _json(response)
        values = body.get("values") if isinstance(body, dict) else None
        if not isinstance(values, list):
            raise MalformedPage(f"The page {safe_url(response.url)} has no 'values' list.")
        issue["slas"] = values
        return True


class _SlaDenied(SourceAccessDenied):
    """The SLA records of a request were refused: the user is no agent of its project."""


def denied_message(username: str):
    def denied(response: httpx.Response) -> SourceAccessDenied:
        if response.status_code == 401:
            return SourceAccessDenied(
                f"Jira refused the user '{username}' (401 Unauthorized at "
                f"{safe_url(response.url)}): the email or API token is wrong, the token was "
                "revoked or expired, or the account is deactivated. Make a new API token at "
                "id.atlassian.com (Security > API tokens) and update the source; nothing was "
                "retried."
            )
        return SourceAccessDenied(
            f"Jira user '{username}' may not read this (403 Forbidden at "
            f"{safe_url(response.url)}). Ask a Jira admin to grant it {BROWSE} (and, for SLA "
            f"verdicts, make it {AGENT}); nothing was retried."
        )

    return denied


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError as exc:
        raise MalformedPage(f"The page {safe_url(response.url)} is not JSON ({exc}).") from exc


def _search_page(response: httpx.Response) -> tuple[list[dict[str, Any]], str | None, bool]:
    where = safe_url(response.url)
    body = _json(response)
    issues = body.get("issues") if isinstance(body, dict) else None
    if not isinstance(issues, list) or not all(
        isinstance(i, dict) and i.get("key") and isinstance(i.get("fields"), dict) for i in issues
    ):
        raise MalformedPage(f"The page {where} has no 'issues' list of issues with fields.")
    token = body.get("nextPageToken")
    if token is not None and not isinstance(token, str):
        raise MalformedPage(f"The page {where} has a nextPageToken that is not text.")
    last = body.get("isLast")
    if last is None:
        last = token is None
    return issues, token, bool(last)


def _cursor(issue: dict[str, Any], response: httpx.Response) -> datetime:
    text = str(issue["fields"].get("updated") or "")
    try:
        return parse_time(text).astimezone(UTC)
    except ValueError as exc:
        raise MalformedPage(
            f"The page {safe_url(response.url)} ends with issue {issue['key']} whose updated "
            f"{text!r} is not an ISO time like 2026-03-01T08:00:00.000+0000."
        ) from exc


def _is_service_request(issue: dict[str, Any]) -> bool:
    project = issue["fields"].get("project")
    return isinstance(project, dict) and project.get("projectTypeKey") == SERVICE_PROJECT


# --- Test connection --------------------------------------------------------------------------


def probe_source(
    *,
    base_url: str,
    username: str,
    password: str,
    filter: str = "",
    time_zone: str = "UTC",
    fields: Sequence[str] = ISSUE_FIELDS,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Sleep = time.sleep,
    now: datetime | None = None,
) -> tuple[list[str], list[str]]:
    """(what the user can read, what it cannot) of the APIs a run uses; reads only.
    SourceAccessDenied when the user or the issue search itself is refused."""
    can: list[str] = []
    cannot: list[str] = []
    now = now or datetime.now(UTC)
    with make_client(base_url=base_url, username=username, password=password) as client:
        reader = _Reader(client, username=username, policy=policy, sleep=sleep)
        me = _json(reader.get(MYSELF_PATH))
        me = me if isinstance(me, dict) else {}
        name = me.get("displayName") or username
        can.append(f"user: signed in as {name}")
        theirs = str(me.get("timeZone") or "")
        if theirs and theirs != time_zone:
            cannot.append(
                f"time zone: Jira reads the filter's dates in the user's time zone {theirs}, "
                f"but the source is set to {time_zone}; set the source's time zone to {theirs}"
            )
        jql = issue_jql(filter=filter, since=None, until=now, time_zone=time_zone)
        response = reader.get(
            SEARCH_PATH,
            {"jql": jql, "fields": ",".join(fields), "maxResults": 1, "expand": "changelog"},
        )
        issues, _, _ = _search_page(response)
        count = _approximate_count(
            client,
            jql=issue_jql(filter=filter, since=None, until=now, time_zone=time_zone, order=False),
        )
        if not issues:
            can.append("issues: the filter matches no issue the user can see")
            return can, cannot
        issue = issues[0]
        counted = (
            f"about {count:,} issues match the filter"
            if count is not None
            else ("issues match the filter (no count given)")
        )
        can.append(f"issues: {counted}; read {issue['key']}")
        try:
            reader.get(CHANGELOG_PATH.format(key=issue["key"]), {"maxResults": 1})
        except SourceAccessDenied:
            cannot.append(f"history: the changelog of {issue['key']} is refused; grant {BROWSE}")
        else:
            can.append(f"history: the changelog of {issue['key']}")
        if _is_service_request(issue):
            _probe_slas(reader, issue["key"], can, cannot)
        else:
            can.append("SLAs: not read (the first issue is not in a service project)")
    return can, cannot


def _probe_slas(reader: _Reader, key: str, can: list[str], cannot: list[str]) -> None:
    try:
        response = reader.get(
            SLA_PATH.format(key=key),
            {"limit": 1},
            denied=lambda response: _SlaDenied(str(response.status_code)),
            allow=NOT_A_REQUEST,
        )
    except _SlaDenied:
        cannot.append(f"SLAs: the SLAs of {key} are refused; make the user {AGENT}")
        return
    if response.status_code == 404:
        can.append(f"SLAs: {key} is not a customer request (no SLAs to read)")
    else:
        can.append(f"SLAs: the SLA records of {key}")


def _approximate_count(client: httpx.Client, *, jql: str) -> int | None:
    """`POST /search/approximate-count` (a read despite the verb); None if not given."""
    try:
        response = client.post(COUNT_PATH, json={"jql": jql})
    except httpx.HTTPError:
        return None
    if response.status_code != 200:
        return None
    try:
        count = response.json().get("count")
    except (ValueError, AttributeError):
        return None
    return count if isinstance(count, int) else None
