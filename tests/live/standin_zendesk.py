"""A stand-in Zendesk Support for tests, served on a real local port by pytest-httpserver.

It implements what the cursor-based incremental ticket export documents: basic auth with an
API token (`{email}/token` : token), `start_time` (Unix seconds) on a first request and
`cursor` (an earlier page's `after_cursor`) afterwards, `per_page`, pages in order of the
tickets' last change with `after_cursor`, `after_url` and `end_of_stream`, and the
`metric_sets`, `users` and `groups` sideloads of `include`. Pages vary in size (as the export's
own pages do), and it can be told to fail first (`faults`). `/api/v2/users/me.json` answers
the API user, or an anonymous one without credentials.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from werkzeug import Request, Response

from tickets.live.zendesk import EXPORT_PATH

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
