"""Jira issues as our tickets, and the Jira (Service Management) connector the sync runs.

`issue_record` reads an issue of the Jira Cloud REST API (`search/jql` with
`expand=changelog`) as a TicketRecord whose events are the issue's real history: its status
changes (status_change, resolved, closed, reopened; an escalated event on entering an
escalated status) and its assignee changes (assigned). It uses the statuses, priorities and
attribution of the CSV export's reader (`tickets.ingest.jira`), so the API and a file give the
same ticket. Jira Service Management's own SLA verdicts (when read) give `source_sla_met`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from tickets.ingest.jira import (
    ESCALATED_STATUSES,
    PRIORITIES_MAP,
    STATUSES_MAP,
    spellings,
)
from tickets.ingest.one_row import DONE, RowProblem
from tickets.ingest.records import PRIORITIES, STATUSES, EventRecord, RowError, TicketRecord
from tickets.live.connectors import LivePage, ProbeResult, Sleep, SourceSettings
from tickets.live.jira import (
    DEFAULT_PAGE_SIZE,
    fetch_issues,
    parse_time,
    probe_source,
)

CURSOR_KEY = "updated"  # LiveSource.cursor of a Jira source: the last issue's `updated`, UTC


def issue_record(
    issue: dict[str, Any],
    *,
    row: int = 0,
    custom_fields: Mapping[str, str] | None = None,
    status_map: Mapping[str, str] | None = None,
    priority_map: Mapping[str, str] | None = None,
) -> TicketRecord | RowError:
    """A Jira issue as our ticket, or a RowError naming the issue and the field.

    `custom_fields`: our key ("team", "request_type") -> the site's field id. `row` is the
    issue's position in the run; status_map / priority_map add spellings (theirs -> ours) for
    custom workflows, as the CSV reader's options do.
    """
    key = str(issue.get("key") or "").strip()
    if not key:
        return RowError(row, "key", "the issue has no key")
    try:
        return _issue_ticket(
            issue,
            key=key,
            row=row,
            custom=custom_fields or {},
            statuses=spellings(STATUSES_MAP, status_map, STATUSES, "status_map"),
            priorities=spellings(PRIORITIES_MAP, priority_map, PRIORITIES, "priority_map"),
        )
    except RowProblem as problem:
        return RowError(row, problem.column, problem.reason, key)


def _issue_ticket(
    issue: dict[str, Any],
    *,
    key: str,
    row: int,
    custom: Mapping[str, str],
    statuses: dict[str, str],
    priorities: dict[str, str],
) -> TicketRecord:
    fields = issue["fields"]

    def status_of(name: str, field: str = "status") -> str:
        status = statuses.get(name.strip().casefold())
        if status is None:
            raise RowProblem(field, f"unknown status {name!r} (map it with status_map)")
        return status

    raw_status = _name(fields.get("status"))
    status = status_of(raw_status)
    raw_priority = _name(fields.get("priority"))
    priority = priorities.get(raw_priority.casefold())
    if priority is None:
        raise RowProblem("priority", f"unknown priority {raw_priority!r}")
    created = _time(fields, "created")
    if created is None:
        raise RowProblem("created", "the issue has no created time")
    updated = _time(fields, "updated") or created
    technician = _person(fields.get("assignee"))
    requester = _person(fields.get("reporter"))

    histories = sorted(_histories(issue), key=lambda h: (h[0], h[1]))
    status_items = [(at, actor, item) for at, _, actor, item in histories if _is(item, "status")]
    assignee_items = [
        (at, actor, item) for at, _, actor, item in histories if _is(item, "assignee")
    ]

    events = [EventRecord(created, "created", "", "new", requester, by_vendor=False)]
    if status_items:
        first = status_of(str(status_items[0][2].get("fromString") or ""), "changelog")
    else:
        # No status change recorded: created in its status, unless it is done (then it was
        # worked on and completed, as of its resolution below).
        first = "new" if status in DONE else status
    if first != "new":
        events.append(EventRecord(created, "status_change", "new", first, requester))
    first_assignee = (
        str(assignee_items[0][2].get("fromString") or "") if assignee_items else technician
    )
    if first_assignee:
        events.append(EventRecord(created, "assigned", "", first_assignee, ""))

    current, done_since, closed_since = first, None, None
    for at, _, actor, item in histories:
        at = max(at, created)
        if _is(item, "assignee"):
            new_assignee = str(item.get("toString") or "")
            if new_assignee:
                old_assignee = str(item.get("fromString") or "")
                events.append(EventRecord(at, "assigned", old_assignee, new_assignee, actor))
            continue
        if not _is(item, "status"):
            continue
        name = str(item.get("toString") or "")
        new = status_of(name, "changelog")
        if name.casefold() in ESCALATED_STATUSES:
            events.append(EventRecord(at, "escalated", current, "escalated", actor))
        if new == current:
            continue
        if current in DONE and new not in DONE:
            kind, done_since, closed_since = "reopened", None, None
        elif new in ("resolved", "closed"):
            kind = new
        else:
            kind = "status_change"
        if new in DONE and current not in DONE:
            done_since = at
        if new == "closed" and current != "closed":
            closed_since = at
        events.append(EventRecord(at, kind, current, new, actor, by_vendor=kind != "reopened"))
        current = new

    resolved_at = closed_at = None
    if status in DONE:
        resolved_at = _time(fields, "resolutiondate") or done_since or updated
        if resolved_at < created:
            raise RowProblem(
                "resolutiondate",
                f"resolved ({resolved_at:%Y-%m-%d %H:%M} UTC) before the issue was created "
                f"({created:%Y-%m-%d %H:%M} UTC)",
            )
        if status == "closed":
            # Jira has no close stamp: the move to closed, else the last update.
            closed_at = max(closed_since or updated, resolved_at)
    if current != status:
        # The history ends elsewhere than the issue (no status history, or a status renamed):
        # the issue's own status is what stands, as of its resolution or last update.
        events.extend(_closing_events(current, status, resolved_at, closed_at, updated))
    events.sort(key=lambda e: e.at)

    return TicketRecord(
        row=row,
        external_id=key,
        attribution=_attribution(fields, custom),
        priority=priority,
        status=status,
        created_at=created,
        resolved_at=resolved_at,
        closed_at=closed_at,
        version=updated.astimezone(UTC).isoformat(timespec="milliseconds"),
        technician=technician,
        category=_category(fields, custom),
        requester=requester,
        title=str(fields.get("summary") or "")[:255],
        events=events,
        source_sla_met=_sla_met(issue.get("slas")),
    )


def _closing_events(
    current: str,
    status: str,
    resolved_at: datetime | None,
    closed_at: datetime | None,
    updated: datetime,
) -> list[EventRecord]:
    """From the status the history ends in to the issue's own status."""
    if status in DONE and current not in DONE and resolved_at is not None:
        if status == "cancelled":
            return [EventRecord(resolved_at, "status_change", current, status, "")]
        done = [EventRecord(resolved_at, "resolved", current, "resolved", "")]
        if status == "closed" and closed_at is not None:
            done.append(EventRecord(closed_at, "closed", "resolved", "closed", ""))
        return done
    if current in DONE and status not in DONE:
        return [EventRecord(updated, "reopened", current, status, "", by_vendor=False)]
    if status == "closed" and closed_at is not None:
        return [EventRecord(closed_at, "closed", current, status, "")]
    return [EventRecord(updated, "status_change", current, status, "")]


def _name(value: Any) -> str:
    """A named object's name (status, priority, issue type, component): `{"name": ...}`."""
    if isinstance(value, dict):
        return str(value.get("name") or value.get("value") or value.get("title") or "").strip()
    return str(value or "").strip()


def _person(value: Any) -> str:
    return str(value.get("displayName") or "").strip() if isinstance(value, dict) else ""


def _time(fields: dict[str, Any], name: str) -> datetime | None:
    text = str(fields.get(name) or "").strip()
    if not text:
        return None
    try:
        moment = parse_time(text)
    except ValueError:
        raise RowProblem(name, f"{text!r} is not like 2026-03-01T08:00:00.000+0000") from None
    if moment.tzinfo is None:
        raise RowProblem(name, f"{text!r} has no time zone offset")
    return moment


def _histories(issue: dict[str, Any]) -> Iterator[tuple[datetime, int, str, dict[str, Any]]]:
    """(when, history id, who, item) of every changelog item, in the log's order."""
    changelog = issue.get("changelog") or {}
    for history in changelog.get("histories") or ():
        text = str(history.get("created") or "")
        try:
            at = parse_time(text)
        except ValueError:
            raise RowProblem("changelog", f"a change at {text!r} has no readable time") from None
        ident = int(history["id"]) if str(history.get("id", "")).isdigit() else 0
        actor = _person(history.get("author"))
        for item in history.get("items") or ():
            if isinstance(item, dict):
                yield at, ident, actor, item


def _is(item: dict[str, Any], name: str) -> bool:
    return item.get("fieldId") == name or str(item.get("field", "")).casefold() == name


def _attribution(fields: dict[str, Any], custom: Mapping[str, str]) -> str:
    """As the CSV reader's default: the Team field if the site has one set, else the project."""
    team = custom.get("team")
    if team and fields.get(team):
        return _name(fields[team])
    project = fields.get("project")
    if isinstance(project, dict):
        return str(project.get("name") or project.get("key") or "")
    return ""


def _category(fields: dict[str, Any], custom: Mapping[str, str]) -> str:
    """As the CSV reader: the request type, else the components, else the issue type."""
    request_type = fields.get(custom.get("request_type", ""))
    if isinstance(request_type, dict):
        name = _name(request_type.get("requestType"))
        if name:
            return name
    components = ", ".join(filter(None, (_name(c) for c in fields.get("components") or ())))
    return components or _name(fields.get("issuetype"))


def _sla_met(slas: Any) -> bool | None:
    """Jira Service Management's verdict: False if any cycle of any SLA breached, True if
    some cycle completed and none breached, None while nothing is decided (or not read)."""
    if not isinstance(slas, list):
        return None
    completed = False
    for sla in slas:
        if not isinstance(sla, dict):
            continue
        cycles = list(sla.get("completedCycles") or ())
        completed = completed or bool(cycles)
        ongoing = sla.get("ongoingCycle")
        if isinstance(ongoing, dict):
            cycles.append(ongoing)
        if any(isinstance(c, dict) and c.get("breached") is True for c in cycles):
            return False
    return True if completed else None


class JiraConnector:
    noun = "issues"

    def pages(
        self,
        settings: SourceSettings,
        *,
        cursor: dict[str, Any],
        since: datetime | None,
        until: datetime | None = None,
        page_size: int | None = None,
        sleep: Sleep = time.sleep,
        **options: Any,
    ) -> Iterator[LivePage]:
        """Options: `slas` (read Service Management SLA verdicts, default True),
        `team_field`, `status_map`, `priority_map`, and the client's `policy`, `timeout`."""
        start = since if since is not None else _stored(cursor)
        maps = {name: options.pop(name, None) for name in ("status_map", "priority_map")}
        row = 0
        for page in fetch_issues(
            base_url=settings.base_url,
            username=settings.username,
            password=settings.password,
            filter=settings.filter,
            time_zone=settings.time_zone,
            since=start,
            until=until,
            page_size=page_size or DEFAULT_PAGE_SIZE,
            sleep=sleep,
            **options,
        ):
            records = [
                issue_record(issue, row=row, custom_fields=page.custom_fields, **maps)
                for row, issue in enumerate(page.issues, row + 1)
            ]
            row += len(page.issues)
            stamp = format_cursor(page.cursor) if page.cursor else ""
            yield LivePage(
                number=page.number,
                records=records,
                read=len(page.issues),
                cursor={CURSOR_KEY: stamp} if page.cursor else None,
                url=page.url,
                cursor_text=f"{page.cursor:%Y-%m-%d %H:%M:%S} UTC" if page.cursor else "",
            )

    def describe(self, *, cursor: dict[str, Any], since: datetime | None, **options: Any) -> str:
        start = since if since is not None else _stored(cursor)
        if start is None:
            return "Read every issue the filter matches (no cursor yet, or --full)."
        if start.tzinfo is None:
            start = start.replace(tzinfo=UTC)
        return (
            f"Read issues updated since {start.astimezone(UTC):%Y-%m-%d %H:%M} UTC "
            "(from the start of that minute: JQL dates have no seconds)."
        )

    def probe(self, settings: SourceSettings, *, sleep: Sleep = time.sleep) -> ProbeResult:
        can, cannot = probe_source(
            base_url=settings.base_url,
            username=settings.username,
            password=settings.password,
            filter=settings.filter,
            time_zone=settings.time_zone,
            sleep=sleep,
        )
        return ProbeResult(can, cannot)


def format_cursor(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def _stored(cursor: dict[str, Any]) -> datetime | None:
    text = (cursor or {}).get(CURSOR_KEY)
    return datetime.fromisoformat(text) if text else None


CONNECTOR = JiraConnector()
