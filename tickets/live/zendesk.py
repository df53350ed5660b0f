"""Zendesk Support client: the cursor-based incremental ticket export, a page at a time.

Plain arguments only (base URL, e-mail, API token, where to start), so it runs and is tested
without the `LiveSource` model; `zendesk_tickets` reads its pages as our tickets.

Choices, from Zendesk's API documentation:
- `GET /api/v2/incremental/tickets/cursor.json`: a first run (or a backfill) sends `start_time`
  (Unix seconds; tickets changed at or after it), every later request `cursor=<after_cursor>`
  of the page before. Pages are followed until `end_of_stream` is true; the last page's
  `after_cursor` is where the next run resumes, so it is the cursor committed with each page.
  The next page is asked for by its cursor, not by `after_url`, so no request ever goes to a
  host named by a response.
- `include=metric_sets,users,groups` sideloads, with each page, the tickets' metric sets (first
  reply minutes, solved_at, reopens, stations, assignment times) and the users and groups the
  page's tickets name, so one request per page gives names and metrics alike.
- The export has no upper bound (and leaves out the last minute's changes itself): a run's
  `until` does not apply; a ticket changed during the run is read again by the next one.
- It cannot filter server-side either: a source's filter (groups) is applied by the caller.
- Only admins may use the incremental export; an agent's token gets 403.
- API token authentication is basic auth as `{email}/token` with the token as password.
- Rate limit: 10 requests a minute for the incremental exports; a 429 says `Retry-After`,
  which `http.get_with_retries` waits out.
- A ticket's history is its audits, `GET /api/v2/tickets/{id}/audits.json` (one per update:
  `created_at`, `author_id`, `events` such as Create/Change of a field with `value` and
  `previous_value`, or a Comment with `public`), read with cursor pagination: `page[size]`
  (at most 100) and `page[after]` = the page before's `meta.after_cursor` while
  `meta.has_more`; `include=users` sideloads their authors (names, and roles: an end user's
  comment is no response). An archived ticket's audits come in one unpaged answer (no
  `meta`). One request per ticket (more past 100 audits), under the plan's rate limit.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
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

EXPORT_PATH = "/api/v2/incremental/tickets/cursor.json"
AUDITS_PATH = "/api/v2/tickets/{ticket_id}/audits.json"
AUDIT_PAGE_SIZE = 100  # the audits endpoint's maximum
ME_PATH = "/api/v2/users/me.json"
SIDELOADS = ("metric_sets", "users", "groups")
# The export's maximum (and default): at 10 requests a minute, fewer, larger pages go faster.
DEFAULT_PAGE_SIZE = MAX_PAGE_SIZE = 1000

REQUIRED_ACCESS = (
    "an admin's API token: Zendesk lets only admins use the incremental export "
    "(Admin Center > People > Team members: role Admin)"
)


@dataclass(frozen=True)
class Page:
    """One page of the export: its tickets, what it sideloaded, and where the next starts."""

    number: int  # 1-based within the run
    tickets: list[dict[str, Any]]
    after_cursor: str | None  # where the next page (or the next run) starts
    end_of_stream: bool
    url: str
    users: dict[int, dict[str, Any]] = field(default_factory=dict)  # by id
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)  # by id
    metric_sets: dict[int, dict[str, Any]] = field(default_factory=dict)  # by ticket_id


def token_user(username: str) -> str:
    """The basic-auth user of an API token: `{email}/token` (kept if already written so)."""
    username = username.strip()
    return username if username.endswith("/token") else f"{username}/token"


def unix_seconds(moment: datetime) -> int:
    """A datetime as the export's `start_time`; naive means UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0, int(moment.timestamp()))


def zendesk_client(
    *, base_url: str, username: str, password: str, timeout: float = 30.0
) -> httpx.Client:
    return make_client(
        base_url=base_url, username=token_user(username), password=password, timeout=timeout
    )


def fetch_tickets(
    *,
    base_url: str,
    username: str,
    password: str,
    after_cursor: str | None = None,
    start_time: datetime | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    timeout: float = 30.0,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Sleep = time.sleep,
    client: httpx.Client | None = None,
) -> Iterator[Page]:
    """Yield the export's pages: from `start_time` when given (a backfill), else from
    `after_cursor` (the stored cursor), else from the beginning (start_time 0).

    Commit each page's tickets with its `after_cursor`; a run stopped between pages resumes by
    calling this again with the last committed one. `client` (a `zendesk_client`) is used
    when given, so the caller can read the tickets' audits over the same connection.
    """
    if client is not None:
        yield from _export(client, username, after_cursor, start_time, page_size, policy, sleep)
        return
    with zendesk_client(
        base_url=base_url, username=username, password=password, timeout=timeout
    ) as own:
        yield from _export(own, username, after_cursor, start_time, page_size, policy, sleep)


def _export(
    client: httpx.Client,
    username: str,
    after_cursor: str | None,
    start_time: datetime | None,
    page_size: int,
    policy: RetryPolicy,
    sleep: Sleep,
) -> Iterator[Page]:
    denied = denied_message(username, "the incremental ticket export")
    params: dict[str, Any] = {
        "per_page": max(1, min(page_size, MAX_PAGE_SIZE)),
        "include": ",".join(SIDELOADS),
    }
    if start_time is not None or not after_cursor:
        params["start_time"] = unix_seconds(start_time) if start_time else 0
    else:
        params["cursor"] = after_cursor
    number = 0
    while True:
        response = get_with_retries(
            client, EXPORT_PATH, params=params, denied=denied, policy=policy, sleep=sleep
        )
        number += 1
        page = read_page(response, number)
        yield page
        if page.end_of_stream:
            return
        params = {k: v for k, v in params.items() if k != "start_time"}
        params["cursor"] = page.after_cursor


def read_page(response: httpx.Response, number: int) -> Page:
    """A page as the export documents it, or MalformedPage naming it."""
    where = safe_url(response.url)
    body = _json_object(response, where)
    tickets = body.get("tickets")
    if not isinstance(tickets, list) or not all(isinstance(t, dict) for t in tickets):
        raise MalformedPage(f"The page {where} has no 'tickets' list of tickets.")
    end = body.get("end_of_stream")
    if not isinstance(end, bool):
        raise MalformedPage(f"The page {where} does not say whether it ends the stream.")
    after = body.get("after_cursor")
    if after is not None and not isinstance(after, str):
        raise MalformedPage(f"The page {where} has an after_cursor that is not text.")
    if not end and not after:
        raise MalformedPage(f"The page {where} says more follows but gives no after_cursor.")
    return Page(
        number=number,
        tickets=tickets,
        after_cursor=after or None,
        end_of_stream=end,
        url=where,
        users=_by(body, "users", "id", where),
        groups=_by(body, "groups", "id", where),
        metric_sets=_by(body, "metric_sets", "ticket_id", where),
    )


def _by(body: dict[str, Any], name: str, key: str, where: str) -> dict[int, dict[str, Any]]:
    items = body.get(name) or []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise MalformedPage(f"The page {where} has a '{name}' sideload that is not a list.")
    return {item[key]: item for item in items if item.get(key) is not None}


@dataclass(frozen=True)
class Audits:
    """Every audit of one ticket, oldest first as Zendesk lists them, and the users the
    answers sideloaded (if any), by id."""

    audits: list[dict[str, Any]]
    users: dict[int, dict[str, Any]]


def fetch_audits(
    client: httpx.Client,
    ticket_id: int,
    *,
    username: str,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Sleep = time.sleep,
) -> Audits:
    """All of a ticket's audits, page after page (cursor pagination, 100 a page), with the
    users they name sideloaded (`include=users`: authors who are no longer on the ticket).

    The next page is asked for by `meta.after_cursor`, not by `links.next`, so no request goes
    to a host named by a response. Raises SourceAccessDenied on 401/403, and SourceError on a
    ticket Zendesk no longer has (404: deleted or merged since the export's page)."""
    path = AUDITS_PATH.format(ticket_id=int(ticket_id))
    denied = denied_message(username, "ticket audits")
    params: dict[str, Any] = {"page[size]": AUDIT_PAGE_SIZE, "include": "users"}
    audits: list[dict[str, Any]] = []
    users: dict[int, dict[str, Any]] = {}
    while True:
        response = get_with_retries(
            client, path, params=params, denied=denied, policy=policy, sleep=sleep
        )
        where = safe_url(response.url)
        body = _json_object(response, where)
        page = body.get("audits")
        if not isinstance(page, list) or not all(isinstance(a, dict) for a in page):
            raise MalformedPage(f"The page {where} has no 'audits' list of audits.")
        audits += page
        users |= _by(body, "users", "id", where)
        meta = body.get("meta")
        if meta is None:  # an archived ticket's audits: one answer, unpaged
            break
        if not isinstance(meta, dict) or not isinstance(meta.get("has_more"), bool):
            raise MalformedPage(f"The page {where} does not say whether more audits follow.")
        if not meta["has_more"]:
            break
        after = meta.get("after_cursor")
        if not isinstance(after, str) or not after or after == params.get("page[after]"):
            raise MalformedPage(
                f"The page {where} says more audits follow but gives no new after_cursor."
            )
        params = {**params, "page[after]": after}
    return Audits(audits=audits, users=users)


def _json_object(response: httpx.Response, where: str) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError as exc:
        raise MalformedPage(f"The page {where} is not JSON ({exc}).") from exc
    if not isinstance(body, dict):
        raise MalformedPage(f"The page {where} is not a JSON object.")
    return body


def fetch_me(
    *,
    base_url: str,
    username: str,
    password: str,
    timeout: float = 30.0,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Sleep = time.sleep,
) -> dict[str, Any]:
    """The API user as Zendesk sees it (`/api/v2/users/me.json`): id, name, email, role.
    Zendesk answers an unauthenticated request with an anonymous user (no id)."""
    with zendesk_client(
        base_url=base_url, username=username, password=password, timeout=timeout
    ) as client:
        response = get_with_retries(
            client,
            ME_PATH,
            denied=denied_message(username, "its own user record"),
            policy=policy,
            sleep=sleep,
        )
    where = safe_url(response.url)
    try:
        user = response.json().get("user")
    except (ValueError, AttributeError) as exc:
        raise MalformedPage(f"The page {where} is not a JSON object.") from exc
    if not isinstance(user, dict):
        raise MalformedPage(f"The page {where} has no 'user'.")
    return user


def denied_message(username: str, what: str):
    email = username.strip().removesuffix("/token")

    def denied(response: httpx.Response) -> SourceAccessDenied:
        if response.status_code == 401:
            return SourceAccessDenied(
                f"Zendesk refused the user '{email}' (401 Unauthorized at "
                f"{safe_url(response.url)}): the e-mail or API token is wrong, the token was "
                "deleted, or token access is off (Admin Center > Apps and integrations > APIs "
                "> Zendesk API). Fix the source's credentials; nothing was retried."
            )
        return SourceAccessDenied(
            f"Zendesk user '{email}' may not read {what} (403 Forbidden at "
            f"{safe_url(response.url)}). The sync needs {REQUIRED_ACCESS}; nothing was retried."
        )

    return denied
