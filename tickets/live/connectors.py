"""What every live-source connector gives the sync, and the connectors by kind.

A connector reads one system's API (ServiceNow, Jira, Zendesk) and hands the sync pages of
records already read as our tickets (`TicketRecord`, or `RowError` for a record it cannot
read), each page with the cursor to commit with it. The sync (`tickets.live.sync`) writes a
page's tickets through the one upsert and stores its cursor in the same transaction, so a
connector never touches the database. Connectors take plain settings (`SourceSettings`), so
they run and are tested without the `LiveSource` model.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from tickets.ingest.records import RowError, TicketRecord

Sleep = Callable[[float], None]

# kind (LiveSourceKind value) -> the module whose CONNECTOR reads it; imported when first used.
CONNECTOR_MODULES = {
    "servicenow": "tickets.live.servicenow_tickets",
    "jira": "tickets.live.jira_tickets",
    "zendesk": "tickets.live.zendesk_tickets",
}


@dataclass(frozen=True)
class SourceSettings:
    """What a connector needs of a source; the password is the decrypted secret."""

    name: str
    base_url: str
    username: str
    password: str = field(repr=False)
    filter: str = ""
    time_zone: str = "UTC"


@dataclass(frozen=True)
class LivePage:
    """One page of a run: its records read as tickets, and the cursor to commit with them."""

    number: int  # 1-based within the run
    records: list[TicketRecord | RowError]
    read: int  # the API records the page held
    cursor: dict[str, Any] | None  # merged into LiveSource.cursor; None leaves it as it is
    total: int | None = None  # records the run will read, where the API says
    url: str = ""  # the page's URL, without credentials
    cursor_text: str = ""  # the cursor as a person reads it, for progress lines
    notes: tuple[str, ...] = ()  # remarks for the run's report ("sys_audit refused: ...")


@dataclass(frozen=True)
class ProbeResult:
    """What "Test connection" found: what the account can read, and what it cannot."""

    can_read: list[str]  # one line each, e.g. "incident: 24,918 records match the filter"
    cannot_read: list[str]  # one line each, naming the permission to grant

    @property
    def ok(self) -> bool:
        return not self.cannot_read


class Connector(Protocol):
    noun: str  # what the system calls a ticket, plural: "incidents", "issues", "tickets"

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
        """Pages of records updated since `since` (when given) or else after `cursor` (the
        stored state; `{}` for everything), oldest first, up to `until` (default: now less
        the system's margin). Rows are numbered from 1 across the run. Raises
        tickets.live.http.SourceError (or a subclass) when the source fails."""
        ...

    def describe(self, *, cursor: dict[str, Any], since: datetime | None, **options: Any) -> str:
        """Where a run starts (and how, given the run's options), for its report: "Read
        incidents updated since ... UTC"."""
        ...

    def probe(self, settings: SourceSettings, *, sleep: Sleep = time.sleep) -> ProbeResult:
        """Reads a record or a count from each API the sync uses (never writes); raises
        SourceAccessDenied only when the main list itself is refused."""
        ...


def connector_for(kind: str) -> Connector | None:
    """The connector of a source kind, or None for a kind with none yet."""
    module = CONNECTOR_MODULES.get(kind)
    if module is None:
        return None
    try:
        return importlib.import_module(module).CONNECTOR
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return None
        raise
