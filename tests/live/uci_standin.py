"""The UCI incident event log (../shared/data/uci-incident-event-log) as a ServiceNow instance
holds it, for the stand-in (tests/live/standin.py) to serve over the Table API.

The log has a row per update of an incident, with the incident's final values copied onto
every row. An instance holds instead:
- `incident`: one record per incident, its final values (the last row's), as the Table API
  gives them with `sysparm_display_value=all`: choices as code and label, references (groups,
  users) as sys_id and name, date-times' values in UTC;
- `sys_audit`: one row per changed field per update (incident_state and state, as the instance
  keeps both; assignment_group and assigned_to as sys_ids), `record_checkpoint` the update's
  position (0: the insert, whose rows have no oldvalue), `user` the updater's user name;
- `sys_user_group` / `sys_user`: the names behind those sys_ids; `sys_choice`: the state labels;
- `task_sla`: one SLA per incident whose made_sla is known, breached when it was not made.

The log's times are local `d/m/yyyy HH:MM` without a zone: they are read in `time_zone` by the
same parser the file import uses, so the API's UTC values are what the import makes of them.
"""

from __future__ import annotations

import csv
import hashlib
import io
import lzma
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import SHARED_DATA
from tests.live.standin import cell
from tickets.ingest import files
from tickets.ingest.servicenow import _fast_time

UCI_LOG = SHARED_DATA / "uci-incident-event-log/incident_event_log.csv.xz"
# The log comes from a Brazilian company's instance (University of São Paulo's study): its
# local times are read as São Paulo's, whose DST (until 2019) both sides then handle alike.
TIME_ZONE = "America/Sao_Paulo"

# The state codes: ServiceNow's own for New..Closed and the legacy incident_state choices
# (3 Awaiting Problem, 4 Awaiting User Info, 5 Awaiting Evidence); Awaiting Vendor is a custom
# choice, so its label comes from sys_choice. -100 is the log's "no state recorded".
STATE_CODES = {
    "New": "1",
    "Active": "2",
    "Awaiting Problem": "3",
    "Awaiting User Info": "4",
    "Awaiting Evidence": "5",
    "Resolved": "6",
    "Closed": "7",
    "Awaiting Vendor": "10",
    "-100": "-100",
}
AUDITED = ("incident_state", "state", "assignment_group", "assigned_to")


def sys_id(kind: str, name: str) -> str:
    return hashlib.md5(f"{kind}:{name}".encode()).hexdigest()  # noqa: S324 (an id, not a secret)


@dataclass
class Instance:
    incidents: list[dict] = field(default_factory=list)
    tables: dict[str, list[dict]] = field(default_factory=dict)
    rows: int = 0  # log rows read


def log_rows(path: Path = UCI_LOG) -> tuple[list[str], list[list[str]]]:
    with lzma.open(path, "rt", encoding="utf-8", newline="") as stream:
        reader = csv.reader(stream)
        header = next(reader)
        return header, list(reader)


def incidents_of(rows: list[list[str]], number_at: int) -> Iterator[list[list[str]]]:
    """The log's rows, an incident's consecutive rows at a time."""
    group: list[list[str]] = []
    for row in rows:
        if group and row[number_at] != group[0][number_at]:
            yield group
            group = []
        group.append(row)
    if group:
        yield group


def slice_csv(header: list[str], rows: list[list[str]]) -> str:
    """Rows of the log as a CSV file of its own (the import's side of a comparison)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def instance(header: list[str], rows: list[list[str]], *, time_zone: str = TIME_ZONE) -> Instance:
    """The instance holding these rows of the log."""
    col = {name: i for i, name in enumerate(header)}
    parse = files.TimeParser(("%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S"), time_zone, fast=_fast_time)

    def utc(text: str) -> str:
        return "" if text in ("", "?") else parse(text).strftime("%Y-%m-%d %H:%M:%S")

    held = Instance(rows=len(rows))
    audit: list[dict] = []
    slas: list[dict] = []
    groups: set[str] = set()
    users: set[str] = set()

    def value(name: str, row: list[str]) -> str:
        return "" if row[col[name]] == "?" else row[col[name]]

    for updates in incidents_of(rows, col["number"]):
        last = updates[-1]
        key = sys_id("incident", value("number", last))
        held.incidents.append(_incident(lambda name, row=last: value(name, row), key, utc))
        groups.update(value("assignment_group", r) for r in updates)
        users.update(value("assigned_to", r) for r in updates)
        if value("made_sla", last) in ("true", "false"):
            breached = "false" if value("made_sla", last) == "true" else "true"
            slas.append({"task": key, "has_breached": breached, "stage": "completed"})
        before = dict.fromkeys(AUDITED, "")
        for checkpoint, row in enumerate(updates):
            now = _audited(value("incident_state", row), *(value(n, row) for n in AUDITED[2:]))
            for name in AUDITED:
                if now[name] != before[name]:
                    audit.append(
                        {
                            "tablename": "incident",
                            "documentkey": key,
                            "fieldname": name,
                            "oldvalue": before[name],
                            "newvalue": now[name],
                            "user": value("sys_updated_by", row),
                            "sys_created_on": utc(value("sys_updated_at", row)),
                            "record_checkpoint": str(checkpoint),
                        }
                    )
            before = now
    groups.discard("")
    users.discard("")
    held.tables = {
        "sys_audit": audit,
        "task_sla": slas,
        "sys_user_group": [{"sys_id": sys_id("group", g), "name": g} for g in sorted(groups)],
        "sys_user": [{"sys_id": sys_id("user", u), "name": u} for u in sorted(users)],
        "sys_choice": [
            {
                "name": "incident",
                "element": element,
                "value": code,
                "label": label,
                "inactive": "false",
            }
            for element in ("incident_state", "state")
            for label, code in STATE_CODES.items()
            if code != "-100"
        ],
    }
    return held


def _audited(label: str, group: str, technician: str) -> dict[str, str]:
    """The audited fields' stored values after an update: codes and sys_ids."""
    state = STATE_CODES[label] if label else ""
    return {
        "incident_state": state,
        "state": state,
        "assignment_group": sys_id("group", group) if group else "",
        "assigned_to": sys_id("user", technician) if technician else "",
    }


def _incident(value, key: str, utc) -> dict:
    def reference(name: str, kind: str) -> dict:
        return cell(sys_id(kind, value(name)), value(name)) if value(name) else cell("")

    state = value("incident_state")
    priority = value("priority")
    contact = value("contact_type")
    return {
        "number": cell(value("number")),
        "sys_id": cell(key),
        "sys_updated_on": cell(utc(value("sys_updated_at"))),
        "sys_updated_by": cell(value("sys_updated_by")),
        "sys_created_on": cell(utc(value("sys_created_at")) or utc(value("opened_at"))),
        "sys_mod_count": cell(value("sys_mod_count")),
        "opened_at": cell(utc(value("opened_at"))),
        "opened_by": reference("opened_by", "user"),
        "resolved_at": cell(utc(value("resolved_at"))),
        "closed_at": cell(utc(value("closed_at"))),
        "active": cell(value("active")),
        "priority": cell(priority.split(" ")[0], priority),
        "state": cell(STATE_CODES[state], state),
        "incident_state": cell(STATE_CODES[state], state),
        "assignment_group": reference("assignment_group", "group"),
        "assigned_to": reference("assigned_to", "user"),
        "caller_id": reference("caller_id", "user"),
        "category": cell(value("category")),
        "contact_type": cell(contact.lower(), contact),
        "reassignment_count": cell(value("reassignment_count")),
        "reopen_count": cell(value("reopen_count")),
        "made_sla": cell(value("made_sla")),
        "short_description": cell(""),
    }
