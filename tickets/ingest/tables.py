"""The ticket, event and survey tables as an import reads and writes them (`TicketTables`).

On PostgreSQL rows go in by binary COPY: `copy_data` formats a batch on the reading thread (new
tickets given their ids from the table's sequence first) and `write_rows` only sends it, so the
writer thread holds the GIL for moments only. Elsewhere (SQLite) they go in by executemany, times
adapted as the backend stores them. Either way as plain rows, never a model instance each.

Where the connection may turn PostgreSQL's per-row foreign-key triggers off for its own writes,
a batch's references are checked as sets instead (`check_references`), in its transaction.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass
from operator import attrgetter

from django.db import IntegrityError, connection
from psycopg import Copy
from psycopg.copy import FileWriter

from tickets.ingest.derive import Draft, Work
from tickets.models import SurveyResponse, Ticket, TicketEvent
from vendors.models import Contract, Technician, Vendor

_TICKET_FIELDS = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
TICKET_COLUMNS = [f.attname for f in _TICKET_FIELDS]
# A manager's accepted dispute is ours, not the source's: an update leaves it alone.
_KEPT_ON_UPDATE = {"source", "external_id", "response_excluded", "resolution_excluded"}
UPDATE_COLUMNS = [c for c in TICKET_COLUMNS if c not in _KEPT_ON_UPDATE]
EVENT_COLUMNS = ["ticket_id", "at", "seq", "kind", "old_value", "new_value", "actor", "by_vendor"]
SURVEY_COLUMNS = ["ticket_id", "score", "scale", "comment", "answered_at"]
_ticket_row = attrgetter(*TICKET_COLUMNS)
_update_row = attrgetter(*UPDATE_COLUMNS, "id")
_EVENT_TEXT = TicketEvent._meta.get_field("actor").max_length


class TicketTables:
    """The SQL of one run: the batch's lookup, and its rows written by COPY or executemany."""

    def __init__(self, *, source: str, postgres: bool) -> None:
        self.source, self.postgres = source, postgres
        self._sequence: str | None = None  # the ticket id sequence (PostgreSQL)
        self._set_based: bool | None = None  # whether write_rows checks references as sets

    def lookup(self, external_ids: list[str]) -> Iterable[tuple]:
        """(external id, id, version, vendor, contract) of the stored tickets among these."""
        columns = ("external_id", "id", "source_version", "vendor_id", "contract_id")
        if not self.postgres:
            return Ticket.objects.filter(
                source=self.source, external_id__in=external_ids
            ).values_list(*columns)
        # One array parameter: planning an IN list of 2,000 parameters costs more than the
        # index lookups themselves.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM {_table(Ticket)} "
                "WHERE source = %s AND external_id = ANY(%s)",
                [self.source, external_ids],
            )
            return cursor.fetchall()

    def write_rows(self, work: list[Work], data: CopyData | None = None) -> None:
        """The batch's tickets with their events and survey answers (with `data`, as copy_data()
        formatted them), in the caller's transaction.

        Where the connection may (`set_based_checks`), PostgreSQL's per-row foreign-key triggers
        are off for these writes and `check_references` checks the batch's references as sets,
        in the same transaction: IntegrityError (a DatabaseError) if one is missing.
        """
        if not (self.postgres and self.set_based_checks()):
            self._write_rows(work, data)
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('session_replication_role'), "
                "set_config('session_replication_role', 'replica', true)"
            )
            role = cursor.fetchone()[0]
            self._write_rows(work, data)
            cursor.execute("SELECT set_config('session_replication_role', %s, true)", [role])
            self.check_references(cursor, work)

    def set_based_checks(self) -> bool:
        """Whether the connection may turn the per-row foreign-key triggers off for its own
        writes (session_replication_role: a superuser, or granted SET on it, PostgreSQL 15+)."""
        if self._set_based is None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT current_setting('is_superuser') = 'on', "
                    "current_setting('server_version_num')::int"
                )
                allowed, version = cursor.fetchone()
                if not allowed and version >= 150000:
                    cursor.execute(
                        "SELECT has_parameter_privilege('session_replication_role', 'SET')"
                    )
                    allowed = cursor.fetchone()[0]
            self._set_based = bool(allowed)
        return self._set_based

    def check_references(self, cursor, work: list[Work]) -> None:
        """The checks of the foreign keys whose triggers were off, once per batch and value
        rather than once per row: every vendor, contract and technician the tickets name
        exists, and is locked against deletion (FOR KEY SHARE, as the triggers lock it) until
        the transaction ends; every ticket the events and survey answers name is one of the
        batch's, inserted or updated (so locked) by this transaction."""
        drafts = [w.draft for w in work]
        referenced = [
            (Vendor, {d.vendor_id for d in drafts}),
            (Contract, {d.contract_id for d in drafts}),
            (Technician, {t for d in drafts for t in (d.technician_id, d.response_technician_id)}),
            (Ticket, {d.id for d in drafts}),
        ]
        for model, ids in referenced:
            ids.discard(None)
            if not ids:
                continue
            lock = "" if model is Ticket else " FOR KEY SHARE"  # the batch's tickets: locked
            # In id order, as concurrent batches then take their locks in one order.
            cursor.execute(
                f"SELECT count(*) FROM (SELECT 1 FROM {_table(model)} WHERE id = ANY(%s) "
                f"ORDER BY id{lock}) AS found",
                [sorted(ids)],
            )
            found = cursor.fetchone()[0]
            if found != len(ids):
                name = model._meta.verbose_name
                raise IntegrityError(
                    f"{len(ids) - found} of the batch's {len(ids)} {name} references do not exist"
                )

    def _write_rows(self, work: list[Work], data: CopyData | None = None) -> None:
        new = [w for w in work if w.stored is None]
        changed = [w for w in work if w.stored is not None]
        if data is not None:
            self.send(Ticket, ["id", *TICKET_COLUMNS], data.tickets)
        elif new:
            self.insert_tickets([w.draft for w in new])
        if changed:
            table = _table(Ticket)
            quote = connection.ops.quote_name
            sets = ", ".join(f"{quote(c)} = %s" for c in UPDATE_COLUMNS)
            rows = [
                self._adapt(Ticket, UPDATE_COLUMNS + ["id"], _update_row(w.draft)) for w in changed
            ]
            with connection.cursor() as cursor:
                cursor.executemany(f"UPDATE {table} SET {sets} WHERE id = %s", rows)
            ids = [w.draft.id for w in changed]
            TicketEvent.objects.filter(ticket_id__in=ids).delete()
            # An answer goes when the source brings another or the ticket is open again; one
            # given through the survey link or the API is not otherwise the source's to drop.
            SurveyResponse.objects.filter(
                ticket_id__in=[
                    w.draft.id
                    for w in changed
                    if w.record.survey is not None or w.draft.resolved_at is None
                ]
            ).delete()
        if data is not None:
            self.send(TicketEvent, EVENT_COLUMNS, data.events)
            self.send(SurveyResponse, SURVEY_COLUMNS, data.surveys)
            return
        events, surveys = self.child_rows(work)
        self.insert(TicketEvent, EVENT_COLUMNS, events)
        self.insert(SurveyResponse, SURVEY_COLUMNS, surveys)

    def child_rows(self, work: list[Work]) -> tuple[list[tuple], list[tuple]]:
        """The rows of the tickets' events and survey answers."""
        events, surveys = [], []
        for w in work:
            pk = w.draft.id
            events.extend(
                (
                    pk,
                    e.at,
                    seq,
                    e.kind,
                    e.old_value[:_EVENT_TEXT],
                    e.new_value[:_EVENT_TEXT],
                    e.actor[:_EVENT_TEXT],
                    e.by_vendor,
                )
                for seq, e in enumerate(w.record.events)
            )
            s = w.record.survey
            if s is not None:
                surveys.append((pk, s.score, s.scale, s.comment, s.answered_at))
        return events, surveys

    def copy_data(self, work: list[Work]) -> CopyData:
        """The batch's rows as binary COPY data, new tickets given their ids first."""
        drafts = [w.draft for w in work if w.stored is None]
        self.assign_ids(drafts)
        events, surveys = self.child_rows(work)
        return CopyData(
            tickets=self.format(Ticket, ["id", *TICKET_COLUMNS], map(_new_ticket_row, drafts)),
            events=self.format(TicketEvent, EVENT_COLUMNS, events),
            surveys=self.format(SurveyResponse, SURVEY_COLUMNS, surveys),
        )

    def format(self, model, columns: list[str], rows: Iterable[tuple]) -> bytes:
        """Rows as PostgreSQL's binary COPY format, without a round trip to the server."""
        out = io.BytesIO()
        with (
            connection.cursor() as cursor,
            Copy(cursor.cursor, binary=True, writer=FileWriter(out)) as copy,
        ):
            copy.set_types(_pg_types(model, tuple(columns)))
            for row in rows:
                copy.write_row(row)
        return out.getvalue()

    def send(self, model, columns: list[str], data: bytes) -> None:
        """COPY data formatted by format() into the model's table."""
        if len(data) <= len(_EMPTY_BINARY_COPY):
            return  # no rows
        sql = f"COPY {_table(model)} ({self._names(model, columns)}) FROM STDIN (FORMAT BINARY)"
        # The raw cursor's errors become Django's, for the upsert's savepoints.
        with (
            connection.cursor() as cursor,
            connection.wrap_database_errors,
            cursor.cursor.copy(sql) as copy,
        ):
            copy.write(data)

    def assign_ids(self, drafts: list[Draft]) -> None:
        """Ids from the table's sequence (PostgreSQL), so events can be written with them in
        the same pass."""
        if not drafts:
            return
        with connection.cursor() as cursor:
            # The sequence by name, found once: pg_get_serial_sequence() in the select list
            # runs per row and costs ten times the nextval() calls themselves.
            cursor.execute(
                "SELECT nextval(%s::regclass) FROM generate_series(1, %s)",
                [self.ticket_sequence(), len(drafts)],
            )
            for draft, (pk,) in zip(drafts, cursor.fetchall(), strict=True):
                draft.id = pk

    def insert_tickets(self, drafts: list[Draft]) -> None:
        if self.postgres:
            self.assign_ids(drafts)
            self.insert(Ticket, ["id", *TICKET_COLUMNS], [_new_ticket_row(d) for d in drafts])
            return
        self.insert(Ticket, TICKET_COLUMNS, [_ticket_row(d) for d in drafts])
        ids = dict(
            Ticket.objects.filter(
                source=self.source, external_id__in=[d.external_id for d in drafts]
            ).values_list("external_id", "id")
        )
        for draft in drafts:
            draft.id = ids[draft.external_id]

    def ticket_sequence(self) -> str:
        if self._sequence is None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Ticket._meta.db_table])
                self._sequence = cursor.fetchone()[0]
        return self._sequence

    def insert(self, model, columns: list[str], rows: list[tuple]) -> None:
        """Plain rows without a model instance each: binary COPY on PostgreSQL, executemany
        elsewhere."""
        if not rows:
            return
        names = self._names(model, columns)
        table = _table(model)
        with connection.cursor() as cursor:
            if self.postgres:
                sql = f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)"
                # The raw cursor's errors become Django's, for the upsert's savepoints.
                with connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
                    copy.set_types(_pg_types(model, tuple(columns)))
                    for row in rows:
                        copy.write_row(row)
                return
            rows = [self._adapt(model, columns, row) for row in rows]
            marks = ", ".join(["%s"] * len(columns))
            cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)

    @staticmethod
    def _names(model, columns: list[str]) -> str:
        quote = connection.ops.quote_name
        return ", ".join(quote(model._meta.get_field(c).column) for c in columns)

    def _adapt(self, model, columns: list[str], row: tuple) -> tuple:
        """Times as the backend stores them (SQLite: naive UTC text); PostgreSQL takes them as
        they are."""
        if self.postgres:
            return row
        adapt = connection.ops.adapt_datetimefield_value
        return tuple(adapt(v) if isinstance(v, dt.datetime) else v for v in row)

    def analyze(self) -> None:
        """Refreshes the planner's statistics of the tickets and their events."""
        with connection.cursor() as cursor:
            for model in (Ticket, TicketEvent):
                cursor.execute(f"ANALYZE {_table(model)}")


@dataclass
class CopyData:
    """A batch's new tickets, events and survey answers in binary COPY format."""

    tickets: bytes
    events: bytes
    surveys: bytes


_EMPTY_BINARY_COPY = b"PGCOPY\n\xff\r\n\x00" + bytes(8) + b"\xff\xff"  # signature, trailer


def _new_ticket_row(draft: Draft) -> tuple:
    return (draft.id, *_ticket_row(draft))


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


_PG_TYPES = {
    "varchar": "text",
    "text": "text",
    "timestamp with time zone": "timestamptz",
    "boolean": "bool",
    "integer": "int4",
    "smallint": "int2",
    "bigint": "int8",
    "double precision": "float8",
}
_pg_type_cache: dict[tuple, list[str]] = {}


def _pg_types(model, columns: tuple[str, ...]) -> list[str]:
    """The binary COPY types of the columns (varchar(80) -> text, ...)."""
    key = (model, columns)
    if key not in _pg_type_cache:
        types = []
        for name in columns:
            db_type = model._meta.get_field(name).db_type(connection)
            types.append(_PG_TYPES[db_type.split("(")[0]])
        _pg_type_cache[key] = types
    return _pg_type_cache[key]
