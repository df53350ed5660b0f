"""Writes for tickets: deriving and storing their facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from functools import cache
from operator import attrgetter

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from tickets import facts as fx
from tickets.models import Ticket, TicketEvent
from vendors import sla
from vendors.models import Priority, SlaPolicy, Technician
from vendors.signals import vendor_figures_changed

FACT_COLUMNS = [
    "first_response_at",
    "response_due_at",
    "resolution_due_at",
    "response_seconds",
    "resolution_seconds",
    "resolution_seconds_raw",
    "paused_seconds",
    "response_met",
    "resolution_met",
    "response_outcome_at",
    "resolution_outcome_at",
    "reopen_count",
    "escalated",
    "reassignment_count",
    "reply_count",
    "first_contact_resolution",
    "repeat",
    "facts_computed_at",
]


class ClockBook:
    """Builds each policy's clocks once per run; calendars with public holidays are costly."""

    def __init__(self) -> None:
        self._calendars: dict[int, sla.BusinessCalendar] = {}
        self._policies: dict[int, SlaPolicy] = {}
        self._clocks: dict[tuple, fx.Clocks] = {}

    def policy(self, policy_id: int) -> SlaPolicy:
        if policy_id not in self._policies:
            self._policies[policy_id] = SlaPolicy.objects.select_related("calendar").get(
                pk=policy_id
            )
        return self._policies[policy_id]

    def calendar(self, calendar) -> sla.BusinessCalendar:
        if calendar.pk not in self._calendars:
            self._calendars[calendar.pk] = calendar.to_clock()
        return self._calendars[calendar.pk]

    def targets(self, policy_id: int) -> dict[str, tuple[int, int, sla.BusinessCalendar]]:
        """priority -> (response minutes, resolution minutes, calendar)."""
        policy = self.policy(policy_id)
        cache = getattr(policy, "_clock_targets", None)
        if cache is None:
            cache = {}
            for target in policy.targets.select_related("calendar"):
                if target.always_open:
                    calendar = sla.BusinessCalendar.always_open(policy.calendar.time_zone)
                else:
                    calendar = self.calendar(target.calendar or policy.calendar)
                cache[target.priority] = (
                    target.response_minutes,
                    target.resolution_minutes,
                    calendar,
                )
            missing = [p for p in Priority.values if p not in cache]
            if missing:
                reason = f"SLA policy {policy.name!r} has no target for {', '.join(missing)}."
                raise ValidationError({"targets": reason})
            policy._clock_targets = cache
        return cache

    def clocks(self, ticket: Ticket) -> fx.Clocks:
        policy_id = ticket.contract.sla_policy_id
        key = (
            policy_id,
            ticket.priority,
            ticket.response_target_minutes,
            ticket.resolution_target_minutes,
        )
        clocks = self._clocks.get(key)  # an import asks a million times for a few clocks
        if clocks is None:
            _, _, calendar = self.targets(policy_id)[ticket.priority]
            clocks = self._clocks[key] = fx.Clocks(
                response_calendar=calendar,
                resolution_calendar=calendar,
                response_target_seconds=ticket.response_target_minutes * 60,
                resolution_target_seconds=ticket.resolution_target_minutes * 60,
                pause_statuses=frozenset(self.policy(policy_id).pause_statuses),
            )
        return clocks

    def copy_targets(self, ticket: Ticket) -> None:
        """Targets are copied when a ticket is created, so later policy edits keep history."""
        response, resolution, _ = self.targets(ticket.contract.sla_policy_id)[ticket.priority]
        ticket.response_target_minutes = response
        ticket.resolution_target_minutes = resolution


def ticket_validate(ticket: Ticket) -> None:
    """Refuses naive times and impossible orders, naming the field."""
    for name in ("created_at", "first_response_at", "resolved_at", "closed_at"):
        value = getattr(ticket, name)
        if value is not None and timezone.is_naive(value):
            raise ValidationError({name: "The time has no time zone (naive datetime)."})
    ticket.clean()


def ticket_apply_facts(
    ticket: Ticket,
    events: Iterable[TicketEvent] | Iterable[fx.Event],
    *,
    book: ClockBook,
    now: dt.datetime | None = None,
    technicians: Callable[[str], int | None] | None = None,
) -> fx.TicketFacts:
    """Derives the ticket's facts from its events and sets them on the instance (no save).

    `ticket` may be any object with Ticket's attribute names (the importer passes plain rows)
    and `events` model rows or anything read like fx.Event (the importer's EventRecords).
    `technicians` finds the vendor's technician known by a name (None if none is), to name
    who held the ticket when it was answered (by default the vendor's technicians are read
    when needed); when the assignment names nobody known, that is the ticket's technician.

    `first_response_at` is itself derived, so a source's own first-reply time reaches it as a
    `responded` event, never through the column.
    """
    now = now or timezone.now()
    if ticket.response_target_minutes is None or ticket.resolution_target_minutes is None:
        book.copy_targets(ticket)
    # Positional, in field order: keywords cost three times as much, a million times over.
    times = fx.TicketTimes(
        ticket.created_at,  # created_at
        ticket.status,  # status
        None,  # first_response_at: derived from the events, never read from the column
        ticket.resolved_at,  # resolved_at
        ticket.source_fcr,  # source_fcr
        ticket.source_reopen_count,  # source_reopen_count
        ticket.source_reassignment_count,  # source_reassignment_count
    )
    # Model rows are converted; the importer's plain records already read as fx.Event does.
    events = [_event(e) if isinstance(e, TicketEvent) else e for e in events]
    derived = fx.derive_facts(times, events, book.clocks(ticket), now=now)
    values = zip(_DERIVED_COLUMNS, _derived_values(derived), strict=True)
    if _sets_plainly(ticket.__class__):
        ticket.__dict__.update(values)  # what the setattr calls would do, at a third the cost
    else:
        for name, value in values:
            setattr(ticket, name, value)
    ticket.response_technician_id = _response_technician(ticket, derived, technicians)
    # A reopen makes a repeat; a later ticket of the same requester may also (see below).
    ticket.repeat = ticket.repeat or derived.reopen_count > 0
    ticket.facts_computed_at = now
    return derived


_DERIVED_COLUMNS = [name for name in FACT_COLUMNS if name in fx.TicketFacts.__dataclass_fields__]
_derived_values = attrgetter(*_DERIVED_COLUMNS)


@cache
def _sets_plainly(cls: type) -> bool:
    """Whether setting the derived columns on an instance of `cls` just writes its __dict__:
    no __setattr__ of its own, an instance __dict__ and no data descriptor (property, slot)
    of those names. True of Ticket (its fields' descriptors only read) and of import rows."""
    if cls.__setattr__ is not object.__setattr__ or not cls.__dictoffset__:
        return False
    for name in _DERIVED_COLUMNS:
        for klass in cls.__mro__:
            if name in klass.__dict__:
                kind = type(klass.__dict__[name])
                if hasattr(kind, "__set__") or hasattr(kind, "__delete__"):
                    return False
                break
    return True


def _response_technician(ticket, derived: fx.TicketFacts, technicians) -> int | None:
    if derived.first_response_at is None:
        return None  # an unanswered ticket's response breach is its current holder's
    if derived.response_assignee:
        if technicians is None:
            technicians = technicians_by_name(ticket.vendor_id).get
        for name in fx.assignee_names(derived.response_assignee):
            pk = technicians(name)
            if pk is not None:
                return pk
    return ticket.technician_id


def technicians_by_name(vendor_id: int) -> dict[str, int]:
    """The vendor's technicians by the names a source may use: their name, and their
    external_ref (the source's own name for them), which wins where both match."""
    known: dict[str, int] = {}
    for pk, name, ref in Technician.objects.filter(vendor_id=vendor_id).values_list(
        "pk", "name", "external_ref"
    ):
        known.setdefault(name, pk)
        if ref:
            known[ref] = pk
    return known


def _event(e: TicketEvent) -> fx.Event:
    return fx.Event(e.at, e.kind, e.old_value, e.new_value, e.actor, e.by_vendor)


@transaction.atomic
def ticket_refresh_facts(
    *,
    ticket: Ticket,
    events: Iterable[TicketEvent] | None = None,
    book: ClockBook | None = None,
    now: dt.datetime | None = None,
) -> fx.TicketFacts:
    """Validates, derives and stores one ticket's facts, and the repeat flags it affects.

    With `events`, the ticket (new or stored) is saved with exactly those events, replacing
    any it had: a ticket is written whole or not at all. Without, its stored events are read.
    """
    ticket_validate(ticket)
    if events is not None:
        events = list(events)
    elif ticket.pk:
        events = list(ticket.events.all())
    else:
        events = []
    derived = ticket_apply_facts(ticket, events, book=book or ClockBook(), now=now)
    ticket.full_clean(
        exclude=[*FACT_COLUMNS, "vendor", "contract", "technician", "response_technician"]
    )
    ticket.save()
    if events and any(e.pk is None or e.ticket_id != ticket.pk for e in events):
        ticket.events.all().delete()
        for event in events:
            event.pk, event.ticket = None, ticket
        TicketEvent.objects.bulk_create(events)
    tickets_refresh_repeats(ticket_ids=[ticket.pk])
    ticket.refresh_from_db(fields=["repeat"])
    return derived


def tickets_refresh_repeats(*, ticket_ids: Iterable[int] | None = None) -> int:
    """Sets `repeat` for the given tickets and their requesters' other tickets, in SQL.

    A ticket is a repeat if it was reopened, or if its requester opened another ticket in the
    same category within REPEAT_WINDOW_DAYS after its resolution. Returns rows changed.
    """
    scope = Ticket.objects.exclude(requester="").exclude(category="")
    if ticket_ids is not None:
        keys = Ticket.objects.filter(pk__in=list(ticket_ids)).values("requester", "category")
        scope = scope.filter(
            Exists(keys.filter(requester=OuterRef("requester"), category=OuterRef("category")))
        )
    window = dt.timedelta(days=settings.REPEAT_WINDOW_DAYS)
    follow_up = Ticket.objects.filter(
        requester=OuterRef("requester"),
        category=OuterRef("category"),
        created_at__gt=OuterRef("resolved_at"),
        created_at__lte=OuterRef("resolved_at") + window,
    ).exclude(pk=OuterRef("pk"))
    is_repeat = Q(reopen_count__gt=0) | Q(resolved_at__isnull=False, has_follow_up=True)
    annotated = scope.annotate(has_follow_up=Exists(follow_up))
    changed = annotated.filter(is_repeat, repeat=False).update(repeat=True)
    changed += annotated.filter(~is_repeat, repeat=True).update(repeat=False)
    return changed


# == One-click survey links (signed, expiring; no login) ==

SURVEY_SALT = "vendorscore.tickets.survey-link"
SURVEY_SCORES = range(1, 6)
ALREADY_ANSWERED = "This ticket already has a survey answer; only the first one counts."


class SurveyLinkRefused(Exception):
    """Why a survey link cannot take an answer; `reason` picks the page the requester sees."""

    def __init__(self, reason: str, ticket: Ticket | None = None) -> None:
        super().__init__(reason)
        self.reason = reason  # invalid | expired | unknown | unresolved | answered
        self.ticket = ticket


def _survey_signer():
    from django.core.signing import TimestampSigner

    return TimestampSigner(salt=SURVEY_SALT)


def survey_link_for(ticket: Ticket) -> str:
    """The ticket's survey link (absolute when SITE_URL is set), valid for
    SURVEY_LINK_MAX_AGE_DAYS; only a resolved ticket has one."""
    from django.urls import reverse

    if ticket.resolved_at is None:
        raise ValidationError({"resolved_at": "Only a resolved ticket can be surveyed."})
    token = _survey_signer().sign(str(ticket.pk))
    return f"{settings.SITE_URL}{reverse('survey', args=[token])}"


def survey_ticket_for_link(token: str) -> Ticket:
    """The ticket a survey link names, or SurveyLinkRefused saying why not."""
    from django.core.signing import BadSignature, SignatureExpired

    from tickets.models import DONE_STATUSES, SurveyResponse

    try:
        raw = _survey_signer().unsign(
            token, max_age=dt.timedelta(days=settings.SURVEY_LINK_MAX_AGE_DAYS)
        )
    except SignatureExpired:
        raise SurveyLinkRefused("expired") from None
    except BadSignature:
        raise SurveyLinkRefused("invalid") from None
    ticket = (
        Ticket.objects.select_related("vendor").filter(pk=int(raw)).first()
        if raw.isdigit()
        else None
    )
    if ticket is None:
        raise SurveyLinkRefused("unknown")
    if ticket.resolved_at is None or ticket.status not in DONE_STATUSES:
        raise SurveyLinkRefused("unresolved", ticket)
    if SurveyResponse.objects.filter(ticket=ticket).exists():
        raise SurveyLinkRefused("answered", ticket)
    return ticket


@transaction.atomic
def survey_answer_record(
    *, ticket: Ticket, score: int, comment: str = "", answered_at: dt.datetime | None = None
):
    """Records a ticket's one CSAT answer (1..5) and marks the period it falls in for recompute.

    Used by the survey link and the API. A second answer is refused (ValidationError on
    `ticket`), also when two arrive at once: the ticket's row is locked while we check.
    """
    from tickets.models import SurveyResponse

    if score not in SURVEY_SCORES:
        raise ValidationError({"score": "Pick a score from 1 to 5."})
    Ticket.objects.select_for_update().filter(pk=ticket.pk).first()
    if SurveyResponse.objects.filter(ticket=ticket).exists():
        raise ValidationError({"ticket": ALREADY_ANSWERED})
    answer = SurveyResponse(
        ticket=ticket,
        score=score,
        scale=5,
        comment=comment.strip()[:2000],
        answered_at=answered_at or timezone.now(),
    )
    answer.full_clean()
    answer.save()
    vendor_figures_changed.send(
        sender=SurveyResponse, vendor_id=ticket.vendor_id, instants=[answer.answered_at]
    )
    return answer


@transaction.atomic
def survey_link_answer_record(
    *, token: str, score: int, comment: str = "", now: dt.datetime | None = None
):
    """Stores the one answer a survey link may give, or SurveyLinkRefused saying why not."""
    ticket = survey_ticket_for_link(token)
    try:
        return survey_answer_record(ticket=ticket, score=score, comment=comment, answered_at=now)
    except ValidationError as exc:
        if "ticket" in exc.message_dict:
            raise SurveyLinkRefused("answered", ticket) from None
        raise
