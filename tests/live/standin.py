"""A stand-in ServiceNow instance for tests, served on a real local port by pytest-httpserver.

It implements what the Table API documents: basic auth, `sysparm_query` with
`sys_updated_on>=`/`<=`, `=` and `ORDERBY`, `sysparm_limit`/`sysparm_offset` paging with `Link`
headers (`rel="next"`), `X-Total-Count`, `sysparm_display_value=all` cells. It serves pages of
varying size (as an instance may cut a page short), can be told to fail first (`faults`), or
to answer 503 to every page from a given one on (`down_from_page`).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

from werkzeug import Request, Response

from tickets.live.servicenow import TABLE_PATH

USER = "vendorscore.api"
PASSWORD = "s3cret-Pa55word!"
START = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)
NOW = datetime(2026, 12, 1, tzinfo=UTC)
PAGE_CUTS = (37, 50, 11, 50, 23)  # the stand-in serves at most these many, in turn


def cell(value: str, display: str | None = None) -> dict:
    return {"value": value, "display_value": value if display is None else display}


def incident(n: int, updated: datetime) -> dict:
    stamp = updated.strftime("%Y-%m-%d %H:%M:%S")
    return {
        "number": cell(f"INC{n:07d}"),
        "sys_id": cell(f"{n:032x}"),
        "sys_updated_on": cell(stamp),
        "assignment_group": cell("a" * 32, "Service Desk"),
        "state": cell("2", "In Progress"),
    }


def json_response(body: object, status: int, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status, headers, content_type="application/json")


@dataclass
class StandIn:
    records: list[dict]
    faults: list[Response] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    served: int = 0
    down_from_page: int | None = None  # every request for this page of a run on: 503
    offsets: list[int] = field(default_factory=list)  # the current run's pages, by offset

    def __call__(self, request: Request) -> Response:
        self.seen.append(request.full_path)
        if self.faults:
            return self.faults.pop(0)
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return json_response({"error": {"message": "User Not Authenticated"}}, 401)
        args = request.args
        offset = int(args.get("sysparm_offset", 0))
        if "sysparm_offset" not in args:
            self.offsets = []  # a first page: a new run (or a re-query)
        if offset not in self.offsets:
            self.offsets.append(offset)
        page_number = self.offsets.index(offset) + 1
        if self.down_from_page is not None and page_number >= self.down_from_page:
            return Response("down", 503)
        rows = self.query(args.get("sysparm_query", ""))
        limit = int(args.get("sysparm_limit", 10000))
        size = min(limit, PAGE_CUTS[self.served % len(PAGE_CUTS)])
        self.served += 1
        page = rows[offset : offset + size]
        headers = {"X-Total-Count": str(len(rows))}
        if offset + len(page) < len(rows):
            next_args = dict(args.items()) | {"sysparm_offset": offset + len(page)}
            url = f"{request.host_url.rstrip('/')}{TABLE_PATH}?{urlencode(next_args)}"
            headers["Link"] = f'<{url}>;rel="next"'
        return json_response({"result": page}, 200, headers)

    def query(self, encoded: str) -> list[dict]:
        rows = list(self.records)
        order: list[str] = []
        for part in filter(None, encoded.split("^")):
            if part.startswith("ORDERBY"):
                order.append(part.removeprefix("ORDERBY"))
            elif ">=" in part:
                name, value = part.split(">=")
                rows = [r for r in rows if r[name]["value"] >= value]
            elif "<=" in part:
                name, value = part.split("<=")
                rows = [r for r in rows if r[name]["value"] <= value]
            elif "=" in part:
                name, value = part.split("=")
                rows = [r for r in rows if r.get(name, {}).get("value") == value]
        return sorted(rows, key=lambda r: tuple(r[name]["value"] for name in order))


class Sleeps(list):
    """A sleep that only records how long it was asked to wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
