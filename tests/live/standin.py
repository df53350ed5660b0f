"""A stand-in ServiceNow instance for tests, served on a real local port by pytest-httpserver.

It implements what the Table API documents: basic auth, `sysparm_query` with
`sys_updated_on>=`/`<=`, `=`, `!=`, `IN` and `ORDERBY`, `sysparm_limit`/`sysparm_offset` paging with
`Link` headers (`rel="next"`), `X-Total-Count`, `sysparm_display_value=all` cells. It serves
pages of varying size (as an instance may cut a page short), can be told to fail first
(`faults`), or to answer 503 to every incident page from a given one on (`down_from_page`).

Besides `incident` (`records`) it serves any other table given in `tables` (name -> records,
cells or plain strings as the instance stores them), and answers 403 for a table in `denied`,
as an account without its read ACL gets.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlencode

from werkzeug import Request, Response

from tickets.live.servicenow import TABLE_PATH, table_path
from tickets.models import Ticket

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


def value_of(row: dict, name: str) -> str:
    """A field's stored value, whether the record holds display_value=all cells or strings."""
    cell = row.get(name, "")
    return str(cell.get("value", "")) if isinstance(cell, dict) else str(cell)


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
    tables: dict[str, list[dict]] = field(default_factory=dict)  # other tables, by name
    denied: set[str] = field(default_factory=set)  # tables this account may not read
    table_seen: list[str] = field(default_factory=list)  # requests for the other tables
    page_cuts: tuple[int, ...] = PAGE_CUTS
    # A large instance (the UCI log) keeps its answers to a query and indexes its tables by the
    # fields asked for with IN; only for records that do not change during the test.
    frozen: bool = False
    _answers: dict[str, list[dict]] = field(default_factory=dict, repr=False)
    _indexes: dict[tuple[str, str], dict[str, list[dict]]] = field(default_factory=dict, repr=False)

    def __call__(self, request: Request) -> Response:
        table = request.path.rsplit("/", 1)[-1]
        (self.seen if table == "incident" else self.table_seen).append(request.full_path)
        if self.faults:
            return self.faults.pop(0)
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if request.headers.get("Authorization") != expected:
            return json_response({"error": {"message": "User Not Authenticated"}}, 401)
        if table in self.denied:
            message = "Operation Failed: ACL Exception Record not found"
            return json_response({"error": {"message": message}}, 403)
        if table != "incident":
            return self.other_table(request, table)
        args = request.args
        offset = int(args.get("sysparm_offset", 0))
        if "sysparm_offset" not in args:
            self.offsets = []  # a first page: a new run (or a re-query)
        if offset not in self.offsets:
            self.offsets.append(offset)
        page_number = self.offsets.index(offset) + 1
        if self.down_from_page is not None and page_number >= self.down_from_page:
            return Response("down", 503)
        encoded = args.get("sysparm_query", "")
        if self.frozen:
            rows = self._answers.get(encoded) or self._answers.setdefault(
                encoded, self.query(encoded)
            )
        else:
            rows = self.query(encoded)
        limit = int(args.get("sysparm_limit", 10000))
        size = min(limit, self.page_cuts[self.served % len(self.page_cuts)])
        self.served += 1
        page = rows[offset : offset + size]
        headers = {"X-Total-Count": str(len(rows))}
        if offset + len(page) < len(rows):
            next_args = dict(args.items()) | {"sysparm_offset": offset + len(page)}
            url = f"{request.host_url.rstrip('/')}{TABLE_PATH}?{urlencode(next_args)}"
            headers["Link"] = f'<{url}>;rel="next"'
        return json_response({"result": page}, 200, headers)

    def other_table(self, request: Request, table: str) -> Response:
        """Any other table: the query, plain offset paging (full pages), the count."""
        args = request.args
        rows = self.query(args.get("sysparm_query", ""), self._candidates(table, args))
        offset = int(args.get("sysparm_offset", 0))
        limit = int(args.get("sysparm_limit", 10000))
        page = rows[offset : offset + limit]
        fields = [f for f in args.get("sysparm_fields", "").split(",") if f]
        if fields:
            page = [{f: r[f] for f in fields if f in r} for r in page]
        headers = {"X-Total-Count": str(len(rows))}
        if offset + len(page) < len(rows):
            next_args = dict(args.items()) | {"sysparm_offset": offset + len(page)}
            url = f"{request.host_url.rstrip('/')}{table_path(table)}?{urlencode(next_args)}"
            headers["Link"] = f'<{url}>;rel="next"'
        return json_response({"result": page}, 200, headers)

    def _candidates(self, table: str, args) -> list[dict]:
        """The table's records, or (frozen) those its first `fieldIN...` term names."""
        records = self.tables.get(table, [])
        first = next((p for p in args.get("sysparm_query", "").split("^") if "IN" in p), "")
        if not self.frozen or "=" in first or not first:
            return records
        name, values = first.split("IN", 1)
        index = self._indexes.get((table, name))
        if index is None:
            index = self._indexes[(table, name)] = {}
            for row in records:
                index.setdefault(value_of(row, name), []).append(row)
        return [row for value in dict.fromkeys(values.split(",")) for row in index.get(value, [])]

    def query(self, encoded: str, records: list[dict] | None = None) -> list[dict]:
        rows = list(self.records if records is None else records)
        order: list[str] = []
        for part in filter(None, encoded.split("^")):
            if part.startswith("ORDERBY"):
                order.append(part.removeprefix("ORDERBY"))
            elif ">=" in part:
                name, value = part.split(">=")
                rows = [r for r in rows if value_of(r, name) >= value]
            elif "!=" in part:
                name, value = part.split("!=")
                rows = [r for r in rows if value_of(r, name) != value]
            elif "<=" in part:
                name, value = part.split("<=")
                rows = [r for r in rows if value_of(r, name) <= value]
            elif "IN" in part and "=" not in part:
                name, values = part.split("IN", 1)
                wanted = set(values.split(","))
                rows = [r for r in rows if value_of(r, name) in wanted]
            elif "=" in part:
                name, value = part.split("=")
                rows = [r for r in rows if value_of(r, name) == value]
        return sorted(rows, key=lambda r: tuple(_sort_key(value_of(r, n)) for n in order))


def _sort_key(value: str) -> tuple[int, int | str]:
    """As the instance orders an integer field (record_checkpoint) numerically."""
    return (0, int(value)) if value.isdigit() else (1, value)


class Sleeps(list):
    """A sleep that only records how long it was asked to wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def tickets(source: str) -> list[tuple]:
    """A source's stored tickets, the fields a file import and a sync must agree on."""
    return sorted(
        Ticket.objects.filter(source=source).values_list(
            "external_id",
            "created_at",
            "resolved_at",
            "closed_at",
            "priority",
            "status",
            "vendor__slug",
            "contract_id",
        )
    )
