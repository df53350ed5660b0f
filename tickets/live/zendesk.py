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
) -> Iterator[Page]:
    """Yield the export's pages: from `start_time` when given (a backfill), else from
    `after_cursor` (the stored cursor), else from the beginning (start_time 0).

    Commit each page's tickets with its `after_cursor`; a run stopped between pages resumes by
    calling this again with the last committed one.
    """
    with zendesk_client(
        base_url=base_url, username=username, password=password, timeout=timeout
    ) as client:
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
    try:
        body = response.json()
    except ValueError as exc:
        raise MalformedPage(f"The page {where} is not JSON ({exc}).") from exc
    if not isinstance(body, dict):
        raise MalformedPage(f"The page {where} is not a JSON object.")
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
