"""HTTP plumbing every live-source client shares: one httpx client per run, the retry loop.

The loop is written once here for ServiceNow, Jira and Zendesk alike: 429 waits for
`Retry-After` (seconds or an HTTP date, capped), 5xx and timeouts or dropped connections back
off exponentially up to a cap on attempts, 401/403 stop at once (retrying cannot fix
credentials and only risks locking the account). Secrets travel only in the `Authorization`
header, so no URL, message or log record built here can contain one.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

logger = logging.getLogger(__name__)

Sleep = Callable[[float], None]


class SourceError(Exception):
    """A run of a live source failed; the message is meant for the manager who set it up."""


class SourceAccessDenied(SourceError):
    """401/403: the credentials are wrong or the account lacks a permission. Never retried."""


class SourceUnavailable(SourceError):
    """The source kept failing (5xx, timeouts, 429) until the attempts ran out."""


class MalformedPage(SourceError):
    """A page that is not what the API documents (not JSON, no result list, a foreign link)."""


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    base_delay: float = 1.0  # seconds before the 2nd attempt; doubles each time
    max_delay: float = 60.0
    max_retry_after: float = 300.0  # a longer Retry-After is cut to this


DEFAULT_POLICY = RetryPolicy()


def make_client(
    *, base_url: str, username: str, password: str, timeout: float = 30.0
) -> httpx.Client:
    """One client per run: keeps the connection alive across pages; basic auth in a header."""
    return httpx.Client(
        base_url=base_url.rstrip("/"),
        auth=httpx.BasicAuth(username, password),
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        headers={"Accept": "application/json"},
        follow_redirects=False,  # a redirect could carry the Authorization header elsewhere
    )


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """`Retry-After` as seconds to wait: an integer of seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def safe_url(url: httpx.URL | str) -> str:
    """The URL without any user:password part, for messages and logs."""
    return str(httpx.URL(str(url)).copy_with(username=None, password=None))


def get_with_retries(
    client: httpx.Client,
    url: str,
    *,
    params: dict[str, Any] | None = None,
    denied: Callable[[httpx.Response], SourceAccessDenied],
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Sleep = time.sleep,
    allow: frozenset[int] = frozenset(),
) -> httpx.Response:
    """GET `url`, retrying what a retry can fix; `denied` words the 401/403 for this system.
    A status in `allow` (say 404, "no such record" where that is an answer) is returned."""
    last_problem = ""
    for attempt in range(1, policy.max_attempts + 1):
        try:
            response = client.get(url, params=params)
        except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            last_problem = f"{type(exc).__name__} ({exc})"
            wait = _backoff(policy, attempt)
        else:
            if response.status_code in allow:
                return response
            if response.status_code in (401, 403):
                raise denied(response)
            if response.status_code == 429:
                last_problem = "429 Too Many Requests"
                asked = retry_after_seconds(response.headers.get("Retry-After"))
                wait = _backoff(policy, attempt) if asked is None else asked
                wait = min(wait, policy.max_retry_after)
            elif response.status_code >= 500:
                last_problem = f"{response.status_code} {response.reason_phrase}"
                wait = _backoff(policy, attempt)
            elif response.status_code >= 400:
                raise SourceError(
                    f"{safe_url(response.url)} answered {response.status_code} "
                    f"{response.reason_phrase}: {_error_detail(response)}"
                )
            else:
                return response
        if attempt == policy.max_attempts:
            break
        logger.warning(
            "live source: %s on %s, attempt %d of %d, waiting %.1fs",
            last_problem,
            safe_url(client.base_url.join(url)),
            attempt,
            policy.max_attempts,
            wait,
        )
        sleep(wait)
    raise SourceUnavailable(
        f"{safe_url(client.base_url.join(url))} still failing after {policy.max_attempts} "
        f"attempts (last: {last_problem}); the run stopped and will resume from its cursor."
    )


def _backoff(policy: RetryPolicy, attempt: int) -> float:
    return min(policy.base_delay * 2 ** (attempt - 1), policy.max_delay)


def _error_detail(response: httpx.Response) -> str:
    """The API's own short error text, if it sent one (never echoes request headers)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        return str(error.get("message") or error.get("detail") or error)[:200]
    return str(error or body)[:200]
