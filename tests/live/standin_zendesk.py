"""A stand-in Zendesk Support for tests, served on a real local port by pytest-httpserver.

It implements what the cursor-based incremental ticket export documents: basic auth with an
API token (`{email}/token` : token), `start_time` (Unix seconds) on a first request and
`cursor` (an earlier page's `after_cursor`) afterwards, `per_page`, pages in order of the
tickets' last change with `after_cursor`, `after_url` and `end_of_stream`, and the
`metric_sets`, `users` and `groups` sideloads of `include`. Pages vary in size (as the export's
own pages do), and it can be told to fail first (`faults`). `/api/v2/users/me.json` answers
the API user, or an anonymous one without credentials.

`/api/v2/tickets/{id}/audits.json` serves a ticket's audits with cursor pagination as Zendesk
documents it (`page[size]` up to 100, `page[after]`, `meta.has_more` / `after_cursor`,
`links.next`, and with `include=users` the users the audits name): the ticket's own trail
where a test gives one (`audits`), else a plain trail made from the ticket and its metric set
(`plain_trail`). It can serve fewer a page than asked (`audit_page_cut`), fail first
(`audit_faults`) or refuse them all (`audits_refused`).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from werkzeug import Request, Response

from tickets.live.zendesk import AUDIT_PAGE_SIZE, EXPORT_PATH

AUDITS_URI = re.compile(r"^/api/v2/tickets/(\d+)/audits\.json$")

EMAIL = "integrations@acme.example"
TOKEN = "zd-T0ken-6dG2kq9Pz8wXyLrA4nBv"
START = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)
PAGE_CUTS = (37, 50, 11, 50, 23)  # the stand-in serves at most these many, in turn
GROUPS = {101: "Tier 1", 102: "Network", 103: "Database"}  # Database is mapped to no vendor
AGENTS = {201: "Ann Agent", 202: "Bo Agent", 203: "Cy Agent"}


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def seconds(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp())


def json_response(body: object, status: int, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status, headers, content_type="application/json")


def user(user_id: int, name: str, email: str, role: str = "agent") -> dict:
    return {"id": user_id, "name": name, "email": email, "role": role}


def encode(position: tuple[int, int]) -> str:
    return base64.urlsafe_b64encode(f"{position[0]}|{position[1]}".encode()).decode()


def decode(cursor: str) -> tuple[int, int]:
    stamp_text, ticket_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|")
    return int(stamp_text), int(ticket_id)


@dataclass
class ZendeskStandIn:
    """The instance's tickets, their metric sets (by ticket id) and its users."""

    tickets: list[dict]
    metric_sets: dict[int, dict] = field(default_factory=dict)
    users: dict[int, dict] = field(default_factory=dict)
    groups: dict[int, str] = field(default_factory=lambda: dict(GROUPS))
    me_role: str = "admin"
    faults: list[Response] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    served: int = 0
    audits: dict[int, list[dict]] = field(default_factory=dict)  # a ticket's own trail
    audit_page_cut: int = AUDIT_PAGE_SIZE
    audit_faults: list[Response] = field(default_factory=list)
    audits_refused: bool = False

    def authorised(self, request: Request) -> bool:
        expected = "Basic " + base64.b64encode(f"{EMAIL}/token:{TOKEN}".encode()).decode()
        return request.headers.get("Authorization") == expected

    def export(self, request: Request) -> Response:
        self.seen.append(request.full_path)
        if self.faults:
            return self.faults.pop(0)
        if not self.authorised(request):
            return json_response({"error": "Couldn't authenticate you"}, 401)
        if self.me_role != "admin":
            return json_response({"error": "Forbidden", "description": "admins only"}, 403)
        args = request.args
        ordered = sorted(self.tickets, key=self.position)
        if "cursor" in args:
            after = decode(args["cursor"])
            rows = [t for t in ordered if self.position(t) > after]
        else:
            start = int(args["start_time"])
            rows = [t for t in ordered if self.position(t)[0] >= start]
            after = (start, -1)
        size = min(int(args.get("per_page", 1000)), PAGE_CUTS[self.served % len(PAGE_CUTS)])
        self.served += 1
        page, rest = rows[:size], rows[size:]
        if page:
            after = self.position(page[-1])
        cursor = encode(after)
        body: dict = {
            "tickets": page,
            "after_cursor": cursor,
            "after_url": f"{request.host_url.rstrip('/')}{EXPORT_PATH}?"
            + urlencode({"cursor": cursor}),
            "before_cursor": None,
            "before_url": None,
            "end_of_stream": not rest,
        }
        include = set(filter(None, args.get("include", "").split(",")))
        if "metric_sets" in include:
            body["metric_sets"] = [
                self.metric_sets[t["id"]] for t in page if t["id"] in self.metric_sets
            ]
        if "users" in include:
            ids = {t.get(k) for t in page for k in ("assignee_id", "requester_id")}
            body["users"] = [self.users[i] for i in sorted(ids - {None}) if i in self.users]
        if "groups" in include:
            ids = {t.get("group_id") for t in page} - {None}
            body["groups"] = [{"id": i, "name": self.groups[i]} for i in sorted(ids)]
        return json_response(body, 200)

    def ticket_audits(self, request: Request) -> Response:
        self.seen.append(request.full_path)
        if self.audit_faults:
            return self.audit_faults.pop(0)
        if not self.authorised(request):
            return json_response({"error": "Couldn't authenticate you"}, 401)
        if self.audits_refused:
            return json_response({"error": "Forbidden", "description": "no access"}, 403)
        ticket_id = int(AUDITS_URI.match(request.path).group(1))
        found = next((t for t in self.tickets if t["id"] == ticket_id), None)
        if found is None:
            return json_response({"error": "RecordNotFound", "description": "Not found"}, 404)
        trail = self.audits.get(ticket_id) or plain_trail(found, self.metric_sets.get(ticket_id))
        size = int(request.args.get("page[size]", AUDIT_PAGE_SIZE))
        if not 1 <= size <= AUDIT_PAGE_SIZE:
            return json_response({"error": "InvalidPaginationParameter"}, 400)
        cursor = request.args.get("page[after]")
        start = int(base64.urlsafe_b64decode(cursor)) if cursor else 0
        page = trail[start : start + min(size, self.audit_page_cut)]
        end = start + len(page)
        after = base64.urlsafe_b64encode(str(end).encode()).decode()
        more = end < len(trail)
        base = f"{request.host_url.rstrip('/')}{request.path}"
        body: dict = {
            "audits": page,
            "meta": {"has_more": more, "after_cursor": after, "before_cursor": None},
            "links": {
                "prev": None,
                "next": f"{base}?" + urlencode({"page[size]": size, "page[after]": after})
                if more
                else None,
            },
        }
        if "users" in request.args.get("include", "").split(","):
            named = {a["author_id"] for a in page}
            for event in (e for a in page for e in a["events"]):
                if "author_id" in event:
                    named.add(event["author_id"])
                if event.get("field_name") == "assignee_id" and event.get("value"):
                    named.add(int(event["value"]))
            body["users"] = [self.users[i] for i in sorted(named) if i in self.users]
        return json_response(body, 200)

    def me(self, request: Request) -> Response:
        self.seen.append(request.full_path)
        if not self.authorised(request):
            anonymous = {"id": None, "name": "Anonymous user", "email": None, "role": "end-user"}
            return json_response({"user": anonymous}, 200)
        return json_response({"user": user(1, "Integrations", EMAIL, self.me_role)}, 200)

    @staticmethod
    def position(ticket: dict) -> tuple[int, int]:
        # The export's order: the ticket's last change (generated_timestamp), then its id.
        return ticket["generated_timestamp"], ticket["id"]


def ticket(
    ticket_id: int,
    *,
    updated: datetime,
    created: datetime,
    status: str = "open",
    priority: str | None = "normal",
    group_id: int | None = 101,
    assignee_id: int | None = 201,
    requester_id: int = 301,
    channel: str = "email",
    subject: str = "",
    ticket_type: str | None = "incident",
    rating: str = "unoffered",
) -> dict:
    """A ticket as the export gives it (the fields the connector reads, and a few more)."""
    return {
        "id": ticket_id,
        "url": f"https://acme.zendesk.com/api/v2/tickets/{ticket_id}.json",
        "created_at": stamp(created),
        "updated_at": stamp(updated),
        "generated_timestamp": int(updated.timestamp()),
        "type": ticket_type,
        "subject": subject or f"Printer {ticket_id} is out of toner",
        "priority": priority,
        "status": status,
        "requester_id": requester_id,
        "submitter_id": requester_id,
        "assignee_id": assignee_id,
        "group_id": group_id,
        "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
        "satisfaction_rating": {"score": rating},
        "tags": [],
    }


def metric_set(
    ticket_id: int,
    *,
    created: datetime,
    reply_minutes: int | None = 30,
    solved: datetime | None = None,
    reopens: int = 0,
    group_stations: int = 1,
    assignee_stations: int = 1,
    assigned: timedelta = timedelta(minutes=5),
) -> dict:
    """A metric set as the `metric_sets` sideload gives it."""
    at = stamp(created + assigned)
    return {
        "id": 90000 + ticket_id,
        "ticket_id": ticket_id,
        "created_at": stamp(created),
        "updated_at": stamp(created),
        "group_stations": group_stations,
        "assignee_stations": assignee_stations,
        "reopens": reopens,
        "replies": 1 if reply_minutes is not None else 0,
        "assigned_at": at,
        "initially_assigned_at": at,
        "solved_at": stamp(solved) if solved else None,
        "reply_time_in_minutes": {"calendar": reply_minutes, "business": reply_minutes},
        "first_resolution_time_in_minutes": {"calendar": None, "business": None},
        "full_resolution_time_in_minutes": {"calendar": None, "business": None},
    }


def audit(audit_id: int, ticket_id: int, at: datetime, author_id: int, events: list[dict]) -> dict:
    """An audit as Zendesk lists it: one update of the ticket and what it changed."""
    return {
        "id": audit_id,
        "ticket_id": ticket_id,
        "created_at": stamp(at),
        "author_id": author_id,
        "metadata": {"system": {}, "custom": {}},
        "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
        "events": [{"id": audit_id * 10 + n} | e for n, e in enumerate(events)],
    }


def created(name: str, value) -> dict:
    return {"type": "Create", "field_name": name, "value": _text(value)}


def changed(name: str, value, previous) -> dict:
    return {
        "type": "Change",
        "field_name": name,
        "value": _text(value),
        "previous_value": _text(previous),
    }


def comment(author_id: int, *, public: bool = True, body: str = "Thanks") -> dict:
    return {"type": "Comment", "author_id": author_id, "public": public, "body": body}


def _text(value):
    # Zendesk's audits give ids as text ("201"), as they give every field's value.
    return str(value) if isinstance(value, int) else value


def plain_trail(ticket: dict, metrics: dict | None) -> list[dict]:
    """The audits a ticket without a trail of its own gets: created (new, in its group, the
    requester's public comment); taken by its agent and opened at the initial assignment; the
    agent's first public reply; solved at solved_at; then its final status at updated_at."""
    metrics = metrics or {}
    ticket_id, requester, agent = ticket["id"], ticket["requester_id"], ticket["assignee_id"]
    made = datetime.fromisoformat(ticket["created_at"])
    updated = datetime.fromisoformat(ticket["updated_at"])
    start = [created("status", "new"), created("priority", ticket["priority"])]
    start += [created("group_id", ticket["group_id"]), comment(requester, body="Help")]
    trail = [audit(ticket_id * 100, ticket_id, made, requester, start)]
    final = ticket["status"]
    status = "new"

    def add(at: datetime, author: int, events: list[dict]) -> None:
        trail.append(audit(ticket_id * 100 + len(trail), ticket_id, at, author, events))

    if final != "new":
        first = metrics.get("initially_assigned_at") or ticket["created_at"]
        assigned = datetime.fromisoformat(first)
        opened = [changed("status", "open", "new")]
        if agent is not None:
            opened.insert(0, changed("assignee_id", agent, None))
        add(assigned, agent or requester, opened)
        status = "open"
    minutes = (metrics.get("reply_time_in_minutes") or {}).get("calendar")
    if minutes is not None and agent is not None:
        add(made + timedelta(minutes=minutes), agent, [comment(agent, body="On it")])
    if metrics.get("solved_at") and final in ("solved", "closed"):
        solved = datetime.fromisoformat(metrics["solved_at"])
        add(solved, agent or requester, [changed("status", "solved", status)])
        status = "solved"
    if final != status:
        add(updated, agent or requester, [changed("status", final, status)])
    return trail
