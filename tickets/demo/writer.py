"""Writes the demo's tickets fast, a chunk per transaction: tickets through bulk_create on
PostgreSQL and as plain rows elsewhere, their events and survey answers as plain rows (COPY on
PostgreSQL, executemany elsewhere). What the
generator hands over (a `MadeTicket` with its `Event`s) is shaped here, as the rows are written."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import NamedTuple

from django.db import connection, reset_queries, transaction

from tickets.models import SurveyResponse, Ticket, TicketEvent

BATCH_SIZE = 1_000


class Event(NamedTuple):
    """One event, with TicketEvent's attribute names: `ticket_apply_facts` reads it as it reads
    a model row, and COPY writes it without building a model instance per event."""

    at: dt.datetime
    kind: str
    old_value: str = ""
    new_value: str = ""
    actor: str = ""
    by_vendor: bool = True


class MadeTicket(NamedTuple):
    ticket: Ticket
    events: list[Event]
    survey: tuple[int, str, dt.datetime] | None  # score, comment, answered at


EVENT_COLUMNS = ("ticket_id", "at", "seq", "kind", "old_value", "new_value", "actor", "by_vendor")
SURVEY_COLUMNS = ("ticket_id", "score", "scale", "comment", "answered_at")


def write_chunk(chunk: list[MadeTicket]) -> tuple[int, int]:
    """Stores a chunk of tickets with their events and survey answers in one transaction;
    returns how many (events, surveys) it wrote."""
    with transaction.atomic():
        _insert_tickets([m.ticket for m in chunk])
        events, surveys = [], []
        for m in chunk:
            pk = m.ticket.pk
            events.extend((pk, e.at, seq, *e[1:]) for seq, e in enumerate(m.events))
            if m.survey is not None:
                score, comment, answered = m.survey
                surveys.append((pk, score, 5, comment, answered))
        _insert(TicketEvent, EVENT_COLUMNS, events)
        _insert(SurveyResponse, SURVEY_COLUMNS, surveys)
    reset_queries()  # with DEBUG on, Django keeps every query: keep memory flat
    return len(events), len(surveys)


_TICKET_COLUMNS = [f.attname for f in Ticket._meta.concrete_fields if not f.primary_key]


def _insert_tickets(tickets: list[Ticket]) -> None:
    """The tickets, each given its id. On SQLite as plain rows with ids numbered on from the
    table's highest, inside the chunk's transaction (SQLite lets one writer in at a time):
    preparing every field of every instance was half of `make demo`'s seeding."""
    if connection.vendor == "postgresql":
        Ticket.objects.bulk_create(tickets, batch_size=BATCH_SIZE)
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {Ticket._meta.db_table}")
        first = cursor.fetchone()[0] + 1
    rows = []
    for pk, ticket in enumerate(tickets, start=first):
        ticket.pk = pk
        ticket._state.adding, ticket._state.db = False, connection.alias
        rows.append((pk, *(getattr(ticket, name) for name in _TICKET_COLUMNS)))
    _insert(Ticket, ["id", *_TICKET_COLUMNS], rows)


def _insert(model, columns: Sequence[str], rows: list[tuple]) -> None:
    """Many plain rows without a model instance each: COPY on PostgreSQL, executemany
    elsewhere (bulk_create spends most of its time building and preparing instances)."""
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    fields = [model._meta.get_field(c) for c in columns]
    names = ", ".join(quote(f.column) for f in fields)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        # Strings, numbers and booleans go to the driver as they are; times need the
        # backend's adaptation (SQLite stores naive UTC text).
        times = [i for i, f in enumerate(fields) if f.get_internal_type() == "DateTimeField"]
        adapt = connection.ops.adapt_datetimefield_value
        if times:
            rows = [list(row) for row in rows]
            for row in rows:
                for i in times:
                    row[i] = adapt(row[i])
        marks = ", ".join(["%s"] * len(fields))
        cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
