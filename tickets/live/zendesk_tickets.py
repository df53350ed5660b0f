"""Zendesk tickets as our tickets, and the Zendesk connector the sync runs.

`ticket_record` reads a ticket of the incremental export, with its sideloaded metric set,
group and users, as a TicketRecord by the CSV export reader's own rules (tickets/ingest/
zendesk.py: statuses, priorities, channels, first reply, reopens, stations, the good/bad
rating), so the API and a file give the same tickets (`one_row.one_row_ticket`).

Its events come from the ticket's audits (`history="audits"`, the default): every audit of the
ticket is read, so a long-lived ticket keeps its whole history when a newer version replaces
the stored one (the incremental event export only covers a time window). Status and
assignment changes are read into events by the rules the ServiceNow history follows
(`tickets.ingest.servicenow.history`): created; assigned when an agent takes the ticket or it
moves to another agent or group, named "group / agent" (a group without an agent is a queue,
see `_held`); status_change, resolved, closed, reopened. The first public comment by someone
other than the requester (and not an end user), after the creating audit, is the response.
Without audits (`history="none"`, e.g. for a huge backfill, or an account refused them) the
events are synthesised from the ticket's timestamps. Either way the ticket's own fields
(priority, final status, times, rating, the metric set's counts) are the export's.

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

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tickets.ingest.one_row import RowProblem, one_row_ticket, survey_record
from tickets.ingest.records import PRIORITIES, EventRecord, RowError, TicketRecord
from tickets.ingest.servicenow import Update, history
from tickets.ingest.zendesk import (
    FIRST_REPLY,
    SATISFACTION,
    STATUSES,
    channel,
    status_and_priority,
)
from tickets.live.connectors import LivePage, ProbeResult, Sleep, SourceSettings
from tickets.live.http import (
    DEFAULT_POLICY,
    MalformedPage,
    RetryPolicy,
    SourceAccessDenied,
    SourceError,
    SourceUnavailable,
)
from tickets.live.zendesk import (
    DEFAULT_PAGE_SIZE,
    REQUIRED_ACCESS,
    Page,
    fetch_audits,
    fetch_me,
    fetch_tickets,
    unix_seconds,
    zendesk_client,
)

logger = logging.getLogger(__name__)

CURSOR_KEY = "after_cursor"  # LiveSource.cursor of a Zendesk source: the export's cursor
DELETED = "deleted"
HISTORIES = ("audits", "none")  # the connector's `history` option
HOLDER_FIELDS = ("status", "group_id", "assignee_id")


def ticket_record(
    ticket: dict[str, Any],
    *,
    metric_set: dict[str, Any] | None = None,
    users: dict[int, dict[str, Any]] | None = None,
    groups: dict[int, dict[str, Any]] | None = None,
    row: int = 0,
    default_priority: str = "",
    audits: list[dict[str, Any]] | None = None,
) -> TicketRecord | RowError:
    """A ticket of the export as our ticket, or a RowError naming the ticket and the field.

    `metric_set`, `users` and `groups` are the page's sideloads (users and groups by id);
    `row` is the ticket's position in the run (as a file's row). With `audits` (the ticket's,
    as `zendesk.fetch_audits` reads them) its events are its history; without, synthesised.
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
        record = _ticket(
            ticket,
            external_id=external_id,
            metrics=metric_set or {},
            users=users or {},
            groups=groups or {},
            row=row,
            default_priority=default_priority,
        )
        if audits:
            record.events = audit_events(
                ticket, audits, status=record.status, users=users or {}, groups=groups or {}
            )
        return record
    except RowProblem as problem:
        return RowError(row, problem.column, problem.reason, external_id)


def audit_events(
    ticket: dict[str, Any],
    audits: list[dict[str, Any]],
    *,
    status: str,
    users: dict[int, dict[str, Any]],
    groups: dict[int, dict[str, Any]],
) -> list[EventRecord]:
    """The ticket's events from its audits, in time order and never before its creation.

    Audits after the ticket's `updated_at` (changes made after the export's page was cut) are
    left for the next run, which reads that newer version; the ticket's own status, group and
    assignee as of `updated_at` close the history, so the events end where the ticket does.
    """
    created = _time(ticket, "created_at")
    updated = max(_time(ticket, "updated_at") or created, created)
    requester = users.get(ticket.get("requester_id")) or {}
    opener = str(requester.get("email") or requester.get("name") or "")
    # Zendesk lists audits oldest first; a stable sort keeps its order within a second.
    trail = sorted(((_audit_time(a, created), a) for a in audits), key=lambda item: item[0])
    trail = [(at, audit) for at, audit in trail if at <= updated]
    holder: dict[str, Any] = {}
    updates: list[Update] = []
    responded: EventRecord | None = None
    for number, (at, audit) in enumerate(trail):
        changed = _changes(audit)
        if "status" in changed:
            raw = str(changed["status"] or "")
            if raw.casefold() not in STATUSES:
                when = f"{at:%Y-%m-%d %H:%M} UTC"
                raise RowProblem("audits", f"unknown status {raw!r} in the audit of {when}")
        holder |= changed
        updates.append(
            Update(
                at,
                _actor(users, _id(audit.get("author_id"))),
                *_held(holder.get("group_id"), holder.get("assignee_id"), users, groups),
                STATUSES[str(changed["status"]).casefold()] if "status" in changed else None,
            )
        )
        if responded is None and number > 0:  # the first audit's comment is the request
            author = _agent_comment(audit, ticket.get("requester_id"), users)
            if author is not None:
                responded = EventRecord(max(at, created), "responded", "", "", author)
    final = _held(ticket.get("group_id"), ticket.get("assignee_id"), users, groups)
    updates.append(Update(updated, "", *final, status))
    events = history(created, opener, updates, resolved=None, closed=None).events
    if responded is not None:
        events.append(responded)
    events.sort(key=lambda e: e.at)  # stable: same-instant events keep their order
    return events


def _held(group_id: Any, assignee_id: Any, users, groups) -> tuple[str, str]:
    """(group, agent) holding the ticket, for `history`'s "group / agent" assignments.

    A group without an agent is a queue, not an assignment: its group is left out, so an
    agent taking the ticket from the queue is its first assignment, not a reassignment (as
    Zendesk's group and assignee stations count them), and the events name agents, as the
    synthesised ones do. A group change while an agent holds the ticket is a reassignment."""
    agent = _name(users, _id(assignee_id))
    return (_name(groups, _id(group_id)) if agent else "", agent)


def _audit_time(audit: dict[str, Any], created: datetime) -> datetime:
    try:
        return _time(audit, "created_at") or created
    except RowProblem as problem:
        raise RowProblem("audits", f"an audit's {problem.reason}") from None


def _changes(audit: dict[str, Any]) -> dict[str, Any]:
    """The status, group and assignee an audit set (Create or Change events), by field."""
    changed: dict[str, Any] = {}
    for event in audit.get("events") or []:
        if not isinstance(event, dict) or event.get("type") not in ("Create", "Change"):
            continue
        field = event.get("field_name")
        if field in HOLDER_FIELDS:
            changed[field] = event.get("value")
    return changed


def _agent_comment(
    audit: dict[str, Any], requester_id: Any, users: dict[int, dict[str, Any]]
) -> str | None:
    """The author's name of the audit's first public comment by an agent, else None: not by
    the requester, and not by a user Zendesk says is an end user (a CC'd customer)."""
    for event in audit.get("events") or []:
        if not isinstance(event, dict) or event.get("type") != "Comment":
            continue
        if event.get("public") is not True:
            continue
        author = _id(event.get("author_id") or audit.get("author_id"))
        if author is None or author == _id(requester_id):
            continue
        if (users.get(author) or {}).get("role") == "end-user":
            continue
        return _actor(users, author)
    return None


def _actor(users: dict[int, dict[str, Any]], author: Any) -> str:
    """Who made an audit; Zendesk itself (triggers, automations) is author -1: no one."""
    if isinstance(author, int) and author < 0:
        return ""
    return _name(users, author)


def _id(value: Any) -> Any:
    """A Zendesk id as the sideloads key it (an int); audits give some values as text."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value if value != "" else None


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
    status, priority = status_and_priority(
        str(ticket.get("status") or ""),
        str(ticket.get("priority") or ""),
        default_priority=default_priority,
        columns=("status", "priority"),
    )
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
        history: str = "audits",
        **options: Any,
    ) -> Iterator[LivePage]:
        """The export's pages as tickets. `until` does not apply: the export has no upper
        bound (see tickets.live.zendesk). The filter is applied here, on our side.

        `history="audits"` reads each kept ticket's audits for its events (one more request
        per ticket, over the same connection); `history="none"` synthesises them."""
        if default_priority and default_priority not in PRIORITIES:
            raise ValueError(f"default_priority must be one of {', '.join(PRIORITIES)}")
        if history not in HISTORIES:
            raise ValueError(f"history must be one of {', '.join(HISTORIES)}")
        wanted = group_filter(settings.filter)
        row = 0
        with zendesk_client(
            base_url=settings.base_url,
            username=settings.username,
            password=settings.password,
            timeout=options.get("timeout", 30.0),
        ) as client:
            reads = AuditReads(
                client,
                settings.username,
                on=history == "audits",
                policy=options.get("policy", DEFAULT_POLICY),
                sleep=sleep,
            )
            for page in fetch_tickets(
                base_url=settings.base_url,
                username=settings.username,
                password=settings.password,
                after_cursor=None if since is not None else (cursor or {}).get(CURSOR_KEY),
                start_time=since,
                page_size=page_size or DEFAULT_PAGE_SIZE,
                sleep=sleep,
                client=client,
                **options,
            ):
                records = [
                    reads.record(ticket, page, number, default_priority)
                    for number, ticket in enumerate(page.tickets, row + 1)
                    if kept(ticket, page.groups, wanted)
                ]
                row += len(page.tickets)
                yield _live_page(
                    number=page.number,
                    records=records,
                    read=len(page.tickets),
                    cursor={CURSOR_KEY: page.after_cursor} if page.after_cursor else None,
                    url=page.url,
                    cursor_text=f"export cursor {page.after_cursor}" if page.after_cursor else "",
                    notes=reads.take_notes(),
                )

    def describe(
        self,
        *,
        cursor: dict[str, Any],
        since: datetime | None,
        history: str = "audits",
        **options: Any,
    ) -> str:
        events = (
            "history from each ticket's audits"
            if history == "audits"
            else "events synthesised from the tickets' times (history none)"
        )
        if since is not None:
            start = datetime.fromtimestamp(unix_seconds(since), UTC)
            return f"Read tickets updated since {start:%Y-%m-%d %H:%M:%S} UTC; {events}."
        stored = (cursor or {}).get(CURSOR_KEY)
        if stored:
            return f"Read tickets changed since the last run (export cursor {stored}); {events}."
        return f"Read every ticket (no cursor yet, or --full); {events}."

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


def _live_page(*, notes: list[str], **fields: Any) -> LivePage:
    """The page, its notes logged as well as carried to the run's report."""
    for note in notes:
        logger.warning("Zendesk source: %s", note)
    return LivePage(notes=tuple(notes), **fields)


class AuditReads:
    """Reads each ticket's audits for its events, over the run's client.

    A 401/403 on audits gives them up for the rest of the run, with a note: the tickets'
    events are then synthesised. A ticket whose audits are gone (404: deleted or merged since
    the export's page) keeps synthesised events; a source that keeps failing stops the run,
    which resumes from its last committed page.
    """

    def __init__(
        self,
        client: httpx.Client,
        username: str,
        *,
        on: bool,
        policy: RetryPolicy,
        sleep: Sleep,
    ) -> None:
        self.client, self.username, self.on = client, username, on
        self.policy, self.sleep = policy, sleep
        self.notes: list[str] = []
        # Over the run: audits name people and groups no longer on the ticket (by id).
        self.users: dict[int, dict[str, Any]] = {}
        self.groups: dict[int, dict[str, Any]] = {}

    def take_notes(self) -> list[str]:
        notes, self.notes = self.notes, []
        return notes

    def record(self, ticket: dict[str, Any], page: Page, row: int, default_priority: str):
        record = _record(ticket, page, row, default_priority)
        if not self.on or not isinstance(record, TicketRecord):
            return record  # a deleted or unreadable ticket needs no history
        try:
            trail = fetch_audits(
                self.client,
                ticket["id"],
                username=self.username,
                policy=self.policy,
                sleep=self.sleep,
            )
        except SourceAccessDenied as exc:
            self.on = False
            self.notes.append(
                f"{exc} The tickets' events are synthesised from their times (no status "
                "history) for the rest of this run."
            )
            return record
        except (SourceUnavailable, MalformedPage):
            raise
        except SourceError as exc:
            logger.warning(
                "Zendesk source: ticket %s keeps synthesised events: %s", record.external_id, exc
            )
            return record
        self.users |= trail.users | page.users
        self.groups |= page.groups
        return ticket_record(
            ticket,
            metric_set=page.metric_sets.get(ticket.get("id")),
            users=self.users,
            groups=self.groups,
            row=row,
            default_priority=default_priority,
            audits=trail.audits,
        )


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
