"""A stand-in Jira Cloud site (with Jira Service Management) for tests, served on a real local
port by pytest-httpserver.

It implements what the REST documentation says a run uses: basic auth (email and API token);
`GET /rest/api/3/search/jql` with the JQL our client writes (`(project = X) AND updated >=
"..." AND updated <= "..."` read in the user's time zone, `ORDER BY updated ASC, key ASC`),
`fields`, `expand=changelog`, `maxResults`, and opaque `nextPageToken`s until `isLast`;
pages of varying size (at most PAGE_CUTS in turn, as a site may cut a page short); embedded
changelogs cut to EMBEDDED histories with their `total`, the rest paged from
`/rest/api/3/issue/{key}/changelog` (`startAt`, `maxResults`, `values`, `isLast`);
`/rest/servicedeskapi/request/{key}/sla` for issues of service projects (404 for others);
`/rest/api/3/field`, `/rest/api/3/myself` and `POST /rest/api/3/search/approximate-count`.
It can be told to fail first (`faults`: responses served before anything else).
"""

from __future__ import annotations

import base64
import copy
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from werkzeug import Request, Response

EMAIL = "vendorscore@acme.example"
TOKEN = "ATATT3xFfGF0-t0ken-Secret"
USER_ZONE = "Europe/Berlin"  # the API user's profile time zone: JQL dates are read in it
START = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
PAGE_CUTS = (37, 50, 11, 50, 23)
EMBEDDED = 3  # histories embedded in a search result; the rest only via the changelog API
CHANGELOG_CUT = 2  # histories per changelog page, whatever maxResults asks
TEAM_FIELD = "customfield_10001"
REQUEST_TYPE_FIELD = "customfield_10010"
PATH = re.compile(r"^/rest/.*")


def jira_time(moment: datetime) -> str:
    """As Jira writes times: `2026-03-01T09:00:00.000+0100` (here in the user's zone)."""
    local = moment.astimezone(ZoneInfo(USER_ZONE))
    return (
        local.strftime("%Y-%m-%dT%H:%M:%S.")
        + f"{local.microsecond // 1000:03d}"
        + (local.strftime("%z"))
    )


def person(name: str) -> dict:
    return {"accountId": name.lower().replace(" ", "-"), "displayName": name, "active": True}


def status_item(old: str, new: str) -> dict:
    return {
        "field": "status",
        "fieldtype": "jira",
        "fieldId": "status",
        "from": "1",
        "fromString": old,
        "to": "3",
        "toString": new,
    }


def assignee_item(old: str, new: str) -> dict:
    return {
        "field": "assignee",
        "fieldtype": "jira",
        "fieldId": "assignee",
        "from": old.lower() or None,
        "fromString": old or None,
        "to": new.lower() or None,
        "toString": new or None,
    }


def history(n: int, at: datetime, who: str, *items: dict) -> dict:
    return {"id": str(n), "author": person(who), "created": jira_time(at), "items": list(items)}


def json_response(body: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status, headers, content_type="application/json")


def _when(text: str) -> datetime:
    return datetime.fromisoformat(text)


@dataclass
class JiraStandIn:
    issues: list[dict]  # as GET /issue gives them, with the whole changelog; "slas" apart
    faults: list[Response] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    served: int = 0
    fields: list[dict] = field(
        default_factory=lambda: [
            {"id": "summary", "name": "Summary", "custom": False},
            {"id": TEAM_FIELD, "name": "Team", "custom": True},
            {"id": REQUEST_TYPE_FIELD, "name": "Request Type", "custom": True},
        ]
    )
    agents: bool = True  # False: the user is no agent, SLAs answer 403

    def __call__(self, request: Request) -> Response:
        self.seen.append(request.full_path)
        if self.faults:
            return self.faults.pop(0)
        expected = "Basic " + base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return Response("Client must be authenticated to access this resource.", 401)
        path = request.path
        if path == "/rest/api/3/search/jql":
            return self.search(request)
        if path == "/rest/api/3/search/approximate-count" and request.method == "POST":
            jql = (request.get_json() or {}).get("jql", "")
            return json_response({"count": len(self.query(jql))})
        if path == "/rest/api/3/myself":
            return json_response({**person("VendorScore API"), "timeZone": USER_ZONE})
        if path == "/rest/api/3/field":
            return json_response(self.fields)
        if match := re.fullmatch(r"/rest/api/3/issue/([A-Z]+-\d+)/changelog", path):
            return self.changelog(request, match.group(1))
        if match := re.fullmatch(r"/rest/servicedeskapi/request/([A-Z]+-\d+)/sla", path):
            return self.slas(match.group(1))
        return json_response({"errorMessages": ["Not found"]}, 404)

    def issue(self, key: str) -> dict | None:
        return next((i for i in self.issues if i["key"] == key), None)

    def search(self, request: Request) -> Response:
        args = request.args
        if args.get("expand") != "changelog" or not args.get("fields"):
            return json_response({"errorMessages": ["the client must ask for fields"]}, 400)
        rows = self.query(args.get("jql", ""))
        offset = 0
        if token := args.get("nextPageToken"):
            offset = int(base64.b64decode(token).decode().removeprefix("offset:"))
        size = min(int(args.get("maxResults", 50)), PAGE_CUTS[self.served % len(PAGE_CUTS)])
        self.served += 1
        wanted = set(args["fields"].split(","))
        page = [self.searched(issue, wanted) for issue in rows[offset : offset + size]]
        last = offset + len(page) >= len(rows)
        body: dict = {"issues": page, "isLast": last}
        if not last:
            body["nextPageToken"] = base64.b64encode(f"offset:{offset + len(page)}".encode())
            body["nextPageToken"] = body["nextPageToken"].decode()
        return json_response(body)

    def searched(self, issue: dict, wanted: set[str]) -> dict:
        histories = issue.get("changelog", {}).get("histories", [])
        return {
            "id": issue["id"],
            "key": issue["key"],
            "fields": {k: copy.deepcopy(v) for k, v in issue["fields"].items() if k in wanted},
            "changelog": {
                "startAt": 0,
                "maxResults": EMBEDDED,
                "total": len(histories),
                "histories": copy.deepcopy(histories[:EMBEDDED]),
            },
        }

    def changelog(self, request: Request, key: str) -> Response:
        issue = self.issue(key)
        if issue is None:
            return json_response({"errorMessages": ["Issue does not exist"]}, 404)
        histories = issue.get("changelog", {}).get("histories", [])
        start = int(request.args.get("startAt", 0))
        size = min(int(request.args.get("maxResults", 100)), CHANGELOG_CUT)
        values = histories[start : start + size]
        return json_response(
            {
                "startAt": start,
                "maxResults": size,
                "total": len(histories),
                "isLast": start + len(values) >= len(histories),
                "values": copy.deepcopy(values),
            }
        )

    def slas(self, key: str) -> Response:
        issue = self.issue(key)
        project = (issue or {}).get("fields", {}).get("project", {})
        if issue is None or project.get("projectTypeKey") != "service_desk":
            return json_response({"errorMessage": "The request could not be found."}, 404)
        if not self.agents:
            return json_response({"errorMessage": "You are not an agent of this project."}, 403)
        values = issue.get("slas", [])
        return json_response(
            {"size": len(values), "start": 0, "limit": 50, "isLastPage": True, "values": values}
        )

    def query(self, jql: str) -> list[dict]:
        """Our client's JQL: `(project = X)`, `updated >=`/`<=` "yyyy-MM-dd HH:mm" in the
        user's zone (minute resolution), ORDER BY updated, key."""
        where, _, order = jql.partition(" ORDER BY ")
        rows = list(self.issues)
        zone = ZoneInfo(USER_ZONE)
        for part in filter(None, (p.strip() for p in where.split(" AND "))):
            part = part.strip("()")
            if match := re.fullmatch(r'updated (>=|<=) "(\d{4}-\d\d-\d\d \d\d:\d\d)"', part):
                bound = datetime.strptime(match.group(2), "%Y-%m-%d %H:%M").replace(tzinfo=zone)
                if match.group(1) == ">=":
                    rows = [r for r in rows if _when(r["fields"]["updated"]) >= bound]
                else:
                    rows = [r for r in rows if _when(r["fields"]["updated"]) <= bound]
            elif match := re.fullmatch(r"project = (\w+)", part):
                rows = [r for r in rows if r["fields"]["project"]["key"] == match.group(1)]
            else:
                raise ValueError(f"the stand-in cannot read the JQL clause {part!r}")
        if order and order.strip() != "updated ASC, key ASC":
            raise ValueError(f"unexpected ORDER BY {order!r}")
        return sorted(rows, key=lambda r: (_when(r["fields"]["updated"]), *_key_order(r["key"])))


def _key_order(key: str) -> tuple[str, int]:
    project, _, number = key.partition("-")
    return project, int(number)
