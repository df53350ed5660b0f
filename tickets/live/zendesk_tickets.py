"""Zendesk tickets as our tickets, and the Zendesk connector the sync runs.

`ticket_record` reads a ticket of the incremental export, with its sideloaded metric set,
group and users, as a TicketRecord whose events are synthesised from its timestamps by
`one_row.one_row_ticket`, by the CSV export reader's own rules (tickets/ingest/zendesk.py:
statuses, priorities, channels, first reply, reopens, stations, the good/bad rating), so the
API and a file give the same tickets.

- Attribution is the ticket's group name (the CSV reader's default `Group` column).
- The version is `updated_at`, as for the file.
- A ticket Zendesk reports as deleted (status "deleted") is a RowError saying so: it is not
  imported, and a ticket imported before keeps its last state.
- The filter: the export cannot filter server-side, so a source's filter (a comma-separated
  list of group names or ids) is applied here; tickets of other groups are read and left out.
- A ticket without a priority is a RowError, as in the CSV reader, unless the run is given
  `default_priority` (P1..P4).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from tickets.ingest.one_row import RowProblem, one_row_ticket, survey_record
from tickets.ingest.records import PRIORITIES, RowError, TicketRecord
from tickets.ingest.zendesk import FIRST_REPLY, PRIORITIES_MAP, SATISFACTION, STATUSES, channel
from tickets.live.connectors import LivePage, ProbeResult, Sleep, SourceSettings
from tickets.live.http import SourceError
from tickets.live.zendesk import (
    DEFAULT_PAGE_SIZE,
    REQUIRED_ACCESS,
    Page,
    fetch_me,
    fetch_tickets,
    unix_seconds,
)

CURSOR_KEY = "after_cursor"  # LiveSource.cursor of a Zendesk source: the export's cursor
DELETED = "deleted"


def ticket_record(
    ticket: dict[str, Any],
    *,
    metric_set: dict[str, Any] | None = None,
    users: dict[int, dict[str, Any]] | None = None,
    groups: dict[int, dict[str, Any]] | None = None,
    row: int = 0,
    default_priority: str = "",
) -> TicketRecord | RowError:
    """A ticket of the export as our ticket, or a RowError naming the ticket and the field.

    `metric_set`, `users` and `groups` are the page's sideloads (users and groups by id);
    `row` is the ticket's position in the run (as a file's row).
    """
    ticket_id = ticket.get("id")
    if ticket_id is None or str(ticket_id).strip() == "":
        return RowError(row, "id", "the ticket has no id")
    external_id = str(ticket_id)
    if str(ticket.get("status") or "").casefold() == DELETED:
        return RowError(
            row,
            "status",
            "deleted in Zendesk: not imported (a ticket imported before keeps its last state)",
            external_id,
        )
    try:
        return _ticket(
            ticket,
            external_id=external_id,
            metrics=metric_set or {},
            users=users or {},
            groups=groups or {},
            row=row,
            default_priority=default_priority,
        )
    except RowProblem as problem:
        return RowError(row, problem.column, problem.reason, external_id)


def _ticket(
    ticket: dict[str, Any],
    *,
    external_id: str,
    metrics: dict[str, Any],
    users: dict[int, dict[str, Any]],
    groups: dict[int, dict[str, Any]],
    row: int,
    default_priority: str,
) -> TicketRecord:
    raw_status = str(ticket.get("status") or "")
    status = STATUSES.get(raw_status.casefold())
    if status is None:
        raise RowProblem("status", f"unknown status {raw_status!r}")
    raw_priority = str(ticket.get("priority") or "")
    if not raw_priority and default_priority:
        priority = default_priority
    else:
        priority = PRIORITIES_MAP.get(raw_priority.casefold(), "")
        if not priority:
            reason = f"unknown priority {raw_priority!r}" if raw_priority else "empty priority"
            raise RowProblem("priority", reason)
    created = _time(ticket, "created_at")
    if created is None:
        raise RowProblem("created_at", "empty created_at")
    updated = _time(ticket, "updated_at")
    solved = _time(metrics, "solved_at")

    first_reply = None
    minutes = (metrics.get("reply_time_in_minutes") or {}).get("calendar")
    if minutes is not None:
        if not isinstance(minutes, int | float) or isinstance(minutes, bool) or minutes < 0:
            raise RowProblem(FIRST_REPLY, f"{minutes!r} is not a number of minutes")
        first_reply = created + timedelta(minutes=minutes)

    rating = str((ticket.get("satisfaction_rating") or {}).get("score") or "")
    if rating.casefold() not in SATISFACTION:
        raise RowProblem("satisfaction_rating", f"unknown satisfaction score {rating!r}")
    score = SATISFACTION[rating.casefold()]

    stations = [
        s for s in (_count(metrics, "group_stations"), _count(metrics, "assignee_stations")) if s
    ]
    requester = users.get(ticket.get("requester_id")) or {}
    return one_row_ticket(
        row=row,
        external_id=external_id,
        attribution=_name(groups, ticket.get("group_id")),
        priority=priority,
        status=status,
        created_at=created,
        updated_at=updated,
        resolved_at=solved,
        assigned_at=_time(metrics, "initially_assigned_at") or _time(metrics, "assigned_at"),
        first_response_at=first_reply,
        technician=_name(users, ticket.get("assignee_id")),
        category=str(ticket.get("type") or ""),
        requester=str(requester.get("email") or requester.get("name") or ""),
        channel=_channel(ticket),
        title=str(ticket.get("subject") or "")[:255],
        # No rating date on the ticket: dated by the solve (or last update), as in the file.
        survey=survey_record(score, solved or updated, column="satisfaction_rating"),
        source_reopen_count=_count(metrics, "reopens"),
        # As the CSV reader: stations count the first assignment as one.
        source_reassignment_count=max(max(stations) - 1, 0) if stations else None,
        columns={"resolved_at": "solved_at", "first_response_at": FIRST_REPLY},
    )


def _channel(ticket: dict[str, Any]) -> str:
    """`via.channel` (email, web, voice, help_center, native_messaging, api, ...) read by the
    CSV reader's rules for its `Via` labels, the underscores as spaces."""
    return channel(str((ticket.get("via") or {}).get("channel") or "").replace("_", " "))


def _time(item: dict[str, Any], name: str) -> datetime | None:
    text = str(item.get(name) or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise RowProblem(name, f"{text!r} is not an ISO 8601 time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _count(item: dict[str, Any], name: str) -> int | None:
    value = item.get(name)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise RowProblem(name, f"{value!r} is not a count")
    return value


def _name(items: dict[int, dict[str, Any]], key: Any) -> str:
    """A sideloaded group's or user's name; its id when the page did not sideload it."""
    if key is None:
        return ""
    return str((items.get(key) or {}).get("name") or key)


def group_filter(text: str) -> frozenset[str]:
    """The source's filter as the group names and ids it keeps (empty: every ticket)."""
    return frozenset(part.strip().casefold() for part in text.split(",") if part.strip())


def kept(ticket: dict[str, Any], groups: dict[int, dict[str, Any]], wanted: frozenset[str]):
    if not wanted:
        return True
    group_id = ticket.get("group_id")
    if group_id is None:
        return False
    name = str((groups.get(group_id) or {}).get("name") or "")
    return str(group_id).casefold() in wanted or name.casefold() in wanted


class ZendeskConnector:
    noun = "tickets"

    def pages(
        self,
        settings: SourceSettings,
        *,
        cursor: dict[str, Any],
        since: datetime | None,
        until: datetime | None = None,
        page_size: int | None = None,
        sleep: Sleep = time.sleep,
        default_priority: str = "",
        **options: Any,
    ) -> Iterator[LivePage]:
        """The export's pages as tickets. `until` does not apply: the export has no upper
        bound (see tickets.live.zendesk). The filter is applied here, on our side."""
        if default_priority and default_priority not in PRIORITIES:
            raise ValueError(f"default_priority must be one of {', '.join(PRIORITIES)}")
        wanted = group_filter(settings.filter)
        row = 0
        for page in fetch_tickets(
            base_url=settings.base_url,
            username=settings.username,
            password=settings.password,
            after_cursor=None if since is not None else (cursor or {}).get(CURSOR_KEY),
            start_time=since,
            page_size=page_size or DEFAULT_PAGE_SIZE,
            sleep=sleep,
            **options,
        ):
            records = [
                _record(ticket, page, number, default_priority)
                for number, ticket in enumerate(page.tickets, row + 1)
                if kept(ticket, page.groups, wanted)
            ]
            row += len(page.tickets)
            yield LivePage(
                number=page.number,
                records=records,
                read=len(page.tickets),
                cursor={CURSOR_KEY: page.after_cursor} if page.after_cursor else None,
                url=page.url,
                cursor_text=f"export cursor {page.after_cursor}" if page.after_cursor else "",
            )

    def describe(self, *, cursor: dict[str, Any], since: datetime | None) -> str:
        if since is not None:
            start = datetime.fromtimestamp(unix_seconds(since), UTC)
            return f"Read tickets updated since {start:%Y-%m-%d %H:%M:%S} UTC."
        stored = (cursor or {}).get(CURSOR_KEY)
        if stored:
            return f"Read tickets changed since the last run (export cursor {stored})."
        return "Read every ticket (no cursor yet, or --full)."

    def probe(self, settings: SourceSettings, *, sleep: Sleep = time.sleep) -> ProbeResult:
        """Who the API user is (an admin?) and one ticket of the export."""
        can, cannot = [], []
        login = {
            "base_url": settings.base_url,
            "username": settings.username,
            "password": settings.password,
            "sleep": sleep,
        }
        try:
            me = fetch_me(**login)
        except SourceError as exc:  # the export below says whether the credentials work
            cannot.append(f"user: {exc}")
        else:
            role = str(me.get("role") or "")
            if me.get("id") is None:
                cannot.append(
                    "user: Zendesk answered as an anonymous user: the e-mail or API token is "
                    "not accepted."
                )
            elif role != "admin":
                cannot.append(
                    f"user: {me.get('email') or settings.username} has the role "
                    f"'{role or 'unknown'}'; the sync needs {REQUIRED_ACCESS}."
                )
            else:
                can.append(f"user: {me.get('email') or settings.username} is an admin")
        pages = fetch_tickets(**login, page_size=1)
        try:
            page = next(pages)
        finally:
            pages.close()  # closes the client: one page is all a probe reads
        can.append(f"tickets: the incremental export answered ({_first(page)})")
        if settings.filter.strip():
            groups = ", ".join(sorted(group_filter(settings.filter)))
            can.append(
                f"filter: tickets of the groups {groups} are kept; the export cannot filter, "
                "so every ticket is read and the others are left out here"
            )
        return ProbeResult(can, cannot)


def _first(page: Page) -> str:
    if not page.tickets:
        return "no tickets yet"
    ticket = page.tickets[0]
    metrics = "with" if ticket.get("id") in page.metric_sets else "without"
    return f"first ticket #{ticket.get('id')}, {metrics} its metrics"


def _record(ticket: dict[str, Any], page: Page, row: int, default_priority: str):
    return ticket_record(
        ticket,
        metric_set=page.metric_sets.get(ticket.get("id")),
        users=page.users,
        groups=page.groups,
        row=row,
        default_priority=default_priority,
    )


CONNECTOR = ZendeskConnector()
