"""Deriving a ticket's row from a record, before anything is written.

`validate` finds what the database would refuse, with the column and reason, and `version_of`
is the stamp by which an unchanged ticket is recognised. `DraftBuilder.prepare` builds the
ticket's row (`Draft`) with its facts derived by `ticket_apply_facts`, its contract and its
technician (created if new); a `Work` carries it and its record on to the writers.

Rows are plain Python objects, never model instances: at a million tickets, building instances
would cost more than deriving the facts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from django.core.exceptions import ValidationError

from tickets.ingest.records import (
    CHANNELS,
    EVENT_KINDS,
    PRIORITIES,
    STATUSES,
    RowError,
    TicketRecord,
)
from tickets.models import AttributionRule, Ticket
from tickets.services import ClockBook, technicians_by_name, ticket_apply_facts
from vendors.models import Contract, Technician

_DEFAULTS = {f.attname: f.get_default() for f in Ticket._meta.concrete_fields if not f.primary_key}
# The instants whose periods a written ticket makes dirty.
INSTANTS = attrgetter(
    "created_at", "first_response_at", "resolved_at", "response_outcome_at", "resolution_outcome_at"
)
# The stored row of a ticket being updated: what an update keeps or must mark dirty.
STORED = [
    "id",
    "vendor_id",
    "priority",
    "contract_id",
    "response_target_minutes",
    "resolution_target_minutes",
    "created_at",
    "first_response_at",
    "resolved_at",
    "response_outcome_at",
    "resolution_outcome_at",
]


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


# Record fields longer than their column are refused; a longer title is cut (it is only shown)
# and a longer version stamp is hashed.
_LIMITS = {name: _max_length(Ticket, name) for name in ("external_id", "category", "requester")}
_LIMITS["technician"] = _max_length(Technician, "name")
_LIMITS["attribution"] = _max_length(AttributionRule, "value")
_TITLE = _max_length(Ticket, "title")
_VERSION = _max_length(Ticket, "source_version")


class Draft:
    """A ticket row being built, with Ticket's attribute names (what `ticket_apply_facts` and
    the writers read), at a fraction of a model instance's cost."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(_DEFAULTS)
        self.__dict__.update(values)


@dataclass
class Work:
    """A record on its way to the database."""

    record: TicketRecord
    draft: Draft
    stored: tuple | None = None  # the stored row (STORED) of a ticket being updated


class DraftBuilder:
    """Builds the rows of one run's tickets, reading what they share once per run: the SLA
    policies' clocks, the contracts and the vendors' technicians.

    `reject` receives the RowError of a record whose facts cannot be derived.
    """

    def __init__(
        self, *, source: str, now: dt.datetime, reject: Callable[[RowError], None]
    ) -> None:
        self.source, self.now, self.reject = source, now, reject
        self.book = ClockBook()
        self.contracts: dict[int, Contract] = {}
        self.technicians: dict[int, dict[str, int]] = {}  # vendor -> name -> id
        self.target_minutes: dict[tuple[int, str], tuple[int, int]] = {}

    def prepare(
        self, record: TicketRecord, vendor_id: int, contract_id: int, *, stored: tuple | None = None
    ) -> Work | None:
        """The ticket's row with its facts derived; None (and a RowError) if they cannot be."""
        contract = self.contract(contract_id)
        # Draft(**values), built as one dict: a million rows on a large import.
        draft = Draft.__new__(Draft)
        draft.__dict__ = row = _DEFAULTS.copy()
        row.update(
            source=self.source,
            external_id=record.external_id,
            source_version=version_of(record),
            vendor_id=vendor_id,
            contract_id=contract_id,
            contract=contract,
            technician_id=self.technician(vendor_id, record.technician),
            priority=record.priority,
            category=record.category,
            requester=record.requester,
            channel=record.channel,
            status=record.status,
            title=record.title[:_TITLE],
            created_at=record.created_at,
            resolved_at=record.resolved_at,
            closed_at=record.closed_at,
            response_target_minutes=None,
            resolution_target_minutes=None,
            source_sla_met=record.source_sla_met,
            source_fcr=record.source_fcr,
            source_reopen_count=record.source_reopen_count,
            source_reassignment_count=record.source_reassignment_count,
        )
        if stored is not None:
            draft.id = stored[0]
            # Targets were copied when the ticket was created; they stay unless the ticket
            # moved to another priority or contract, whose targets then apply.
            if stored[2:4] == (record.priority, contract_id):
                draft.response_target_minutes, draft.resolution_target_minutes = stored[4:6]
        try:
            if draft.response_target_minutes is None or draft.resolution_target_minutes is None:
                # What ticket_apply_facts would copy, read once per contract and priority.
                targets = self.target_minutes.get((contract_id, record.priority))
                if targets is None:
                    targets = self.targets(contract, record.priority)
                draft.response_target_minutes, draft.resolution_target_minutes = targets
            ticket_apply_facts(
                draft,  # type: ignore[arg-type]
                record.events,  # type: ignore[arg-type]
                book=self.book,
                now=self.now,
                # Earlier assignees are matched to known technicians, never created: an
                # assignment may name a group or team rather than a person.
                technicians=self.known(vendor_id).get,
            )
        except ValidationError as exc:
            # The contract's SLA policy lacks a target: every ticket of it is refused alike.
            reason = "; ".join(exc.messages)
            self.reject(RowError(record.row, "contract", reason, record.external_id))
            return None
        except (ValueError, OverflowError) as exc:
            self.reject(
                RowError(record.row, "", f"cannot derive its facts: {exc}", record.external_id)
            )
            return None
        return Work(record, draft, stored)

    def targets(self, contract: Contract, priority: str) -> tuple[int, int]:
        """(response, resolution) minutes of the contract's policy for the priority, as
        ClockBook.copy_targets copies them; ValidationError if the policy lacks the target."""
        key = (contract.pk, priority)
        targets = self.target_minutes.get(key)
        if targets is None:
            response, resolution, _ = self.book.targets(contract.sla_policy_id)[priority]
            targets = self.target_minutes[key] = (response, resolution)
        return targets

    def contract(self, contract_id: int) -> Contract:
        contract = self.contracts.get(contract_id)
        if contract is None:
            contract = self.contracts[contract_id] = Contract.objects.get(pk=contract_id)
        return contract

    def known(self, vendor_id: int) -> dict[str, int]:
        """The vendor's technicians by name, read once per run and grown as it creates them.
        The source's name is the technician's external_ref; a name typed by hand in the admin
        matches too, and the source's wins where both exist."""
        known = self.technicians.get(vendor_id)
        if known is None:
            known = self.technicians[vendor_id] = technicians_by_name(vendor_id)
        return known

    def technician(self, vendor_id: int, name: str) -> int | None:
        """The vendor's technician known by this name in the source, created if new."""
        name = name.strip()
        if not name:
            return None
        known = self.known(vendor_id)
        pk = known.get(name)
        if pk is None:
            # Another import may create the same technician at the same moment.
            Technician.objects.bulk_create(
                [Technician(vendor_id=vendor_id, name=name, external_ref=name)],
                ignore_conflicts=True,
            )
            pk = known[name] = Technician.objects.get(vendor_id=vendor_id, name=name).pk
        return pk


# --- checks ------------------------------------------------------------------------------------


def version_of(record: TicketRecord) -> str:
    """The source's version stamp; for a source without one, a fingerprint of the ticket, so an
    unchanged row is still recognised as unchanged."""
    version = record.version
    if version and len(version) <= _VERSION:
        return version
    if version:
        return "sha1:" + hashlib.sha1(version.encode()).hexdigest()
    content = repr([getattr(record, name) for name in _FINGERPRINT])
    return "sha1:" + hashlib.sha1(content.encode()).hexdigest()


_FINGERPRINT = [
    name for name in TicketRecord.__dataclass_fields__ if name not in ("row", "last_row")
]


def _aware(at: Any) -> bool:
    if at.__class__ is dt.datetime and at.tzinfo.__class__ is dt.timezone:
        return True  # a fixed offset (what readers give): no utcoffset() call needed
    return isinstance(at, dt.datetime) and at.tzinfo is not None and at.utcoffset() is not None


_PRIORITIES, _STATUSES = frozenset(PRIORITIES), frozenset(STATUSES)
_CHANNELS, _EVENT_KINDS = frozenset(CHANNELS), frozenset(EVENT_KINDS)
_ID_LIMIT, _CATEGORY_LIMIT, _REQUESTER_LIMIT, _TECHNICIAN_LIMIT, _ATTRIBUTION_LIMIT = (
    _LIMITS[name] for name in ("external_id", "category", "requester", "technician", "attribution")
)
_DATETIME, _FIXED_OFFSET = dt.datetime, dt.timezone


def validate(record: TicketRecord) -> RowError | None:
    """What the database would refuse, found before it does, with the column and reason."""
    try:
        if _nothing_wrong(record):
            return None
    except (TypeError, AttributeError):  # a value of an unexpected type: _first_error names it
        pass
    return _first_error(record)


def _nothing_wrong(record: TicketRecord) -> bool:
    """validate's checks told without messages, in _first_error's order: a record with nothing
    wrong, the common case of a million-ticket import. Times other than a fixed offset's are
    left to _first_error."""
    created = record.created_at
    if not (
        record.external_id
        and len(record.external_id) <= _ID_LIMIT
        and len(record.category) <= _CATEGORY_LIMIT
        and len(record.requester) <= _REQUESTER_LIMIT
        and len(record.technician) <= _TECHNICIAN_LIMIT
        and len(record.attribution) <= _ATTRIBUTION_LIMIT
        and record.priority in _PRIORITIES
        and record.status in _STATUSES
        and record.channel in _CHANNELS
        and created.__class__ is _DATETIME
        and created.tzinfo.__class__ is _FIXED_OFFSET
    ):
        return False
    for at in (record.resolved_at, record.closed_at):
        if at is not None and not (
            at.__class__ is _DATETIME and at.tzinfo.__class__ is _FIXED_OFFSET and at >= created
        ):
            return False
    for event in record.events:
        at = event.at
        if not (
            event.kind in _EVENT_KINDS
            and at.__class__ is _DATETIME
            and at.tzinfo.__class__ is _FIXED_OFFSET
            and at >= created
        ):
            return False
    reopens, reassignments = record.source_reopen_count, record.source_reassignment_count
    if (reopens is not None and reopens < 0) or (reassignments is not None and reassignments < 0):
        return False
    survey = record.survey
    if survey is None:
        return True
    at = survey.answered_at
    return (
        survey.scale in (5, 10)
        and (1 if survey.scale == 5 else 0) <= survey.score <= survey.scale
        and at.__class__ is _DATETIME
        and at.tzinfo.__class__ is _FIXED_OFFSET
        and at >= created
    )


def _first_error(record: TicketRecord) -> RowError | None:
    """validate's checks one by one, with their messages."""

    def error(column: str, reason: str) -> RowError:
        return RowError(record.row, column, reason, record.external_id)

    if not record.external_id:
        return error("external_id", "empty ticket id")
    for name, limit in _LIMITS.items():
        if len(getattr(record, name)) > limit:
            return error(name, f"{name} is longer than {limit} characters")
    if record.priority not in PRIORITIES:
        return error("priority", f"unknown priority {record.priority!r}")
    if record.status not in STATUSES:
        return error("status", f"unknown status {record.status!r}")
    if record.channel not in CHANNELS:
        return error("channel", f"unknown channel {record.channel!r}")
    created = record.created_at
    if not _aware(created):
        return error("created_at", "the time has no time zone (naive datetime)")
    for name in ("resolved_at", "closed_at"):
        at = getattr(record, name)
        if at is None:
            continue
        if not _aware(at):
            return error(name, "the time has no time zone (naive datetime)")
        if at < created:
            label = name.removesuffix("_at")
            return error(
                name,
                f"{label} ({at:%Y-%m-%d %H:%M} UTC) before the ticket was created "
                f"({created:%Y-%m-%d %H:%M} UTC)",
            )
    for index, event in enumerate(record.events):
        if event.kind not in EVENT_KINDS:
            return error("events", f"event {index + 1}: unknown kind {event.kind!r}")
        if not _aware(event.at):
            return error("events", f"event {index + 1}: the time has no time zone")
        if event.at < created:
            return error(
                "events",
                f"event {index + 1} ({event.kind}, {event.at:%Y-%m-%d %H:%M} UTC) is before the "
                "ticket was created",
            )
    for name in ("source_reopen_count", "source_reassignment_count"):
        value = getattr(record, name)
        if value is not None and value < 0:
            return error(name, f"{name} is negative")
    survey = record.survey
    if survey is not None:
        low = 1 if survey.scale == 5 else 0
        if survey.scale not in (5, 10):
            return error("survey", "the survey scale is 5 (CSAT 1..5) or 10 (NPS 0..10)")
        if not low <= survey.score <= survey.scale:
            return error("survey", f"survey score {survey.score} is outside {low}..{survey.scale}")
        if not _aware(survey.answered_at):
            return error("survey", "the survey time has no time zone")
        if survey.answered_at < created:
            return error("survey", "the survey was answered before the ticket was created")
    return None
