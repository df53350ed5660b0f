"""The facts service on stored tickets: derivation, storage, repeats and refusals."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from tests.factories import ContractFactory, EventFactory, TicketFactory
from tickets.models import Ticket
from tickets.services import ClockBook, ticket_refresh_facts, tickets_refresh_repeats
from vendors.models import SlaTarget

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
HOUR = 3600


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


def test_refreshing_a_ticket_stores_the_facts_of_worked_example_4():
    ticket = TicketFactory(
        created_at=at(2026, 11, 16, 10),
        resolved_at=at(2026, 11, 17, 12),
        status="resolved",
    )
    for when, kind, new in [
        (at(2026, 11, 16, 10, 30), "responded", ""),
        (at(2026, 11, 16, 11), "status_change", "pending_customer"),
        (at(2026, 11, 17, 10), "status_change", "in_progress"),
        (at(2026, 11, 17, 12), "resolved", ""),
    ]:
        EventFactory(ticket=ticket, at=when, kind=kind, new_value=new)

    ticket_refresh_facts(ticket=ticket, now=at(2026, 11, 20))

    stored = Ticket.objects.get(pk=ticket.pk)
    assert stored.first_response_at == at(2026, 11, 16, 10, 30)
    assert stored.response_seconds == 30 * 60
    assert stored.response_met is True
    assert stored.resolution_seconds_raw == 10 * HOUR
    assert stored.paused_seconds == 7 * HOUR
    assert stored.resolution_seconds == 3 * HOUR
    assert stored.resolution_due_at == at(2026, 11, 17, 17)
    assert stored.resolution_met is True
    assert stored.facts_computed_at == at(2026, 11, 20)


def test_p1_runs_on_a_24x7_clock_by_default():
    ticket = TicketFactory.build(
        contract=ContractFactory(),
        priority="P1",
        created_at=at(2026, 11, 20, 23),  # Friday night
        response_target_minutes=None,
        resolution_target_minutes=None,
    )
    ticket_refresh_facts(ticket=ticket, now=at(2026, 11, 20, 23, 5))
    ticket.refresh_from_db()
    assert (ticket.response_target_minutes, ticket.resolution_target_minutes) == (15, 240)
    assert ticket.response_due_at == at(2026, 11, 20, 23, 15)
    assert ticket.resolution_due_at == at(2026, 11, 21, 3)


def test_targets_copied_onto_a_ticket_survive_a_later_policy_change():
    ticket = TicketFactory.build(
        contract=ContractFactory(), response_target_minutes=None, resolution_target_minutes=None
    )
    ticket_refresh_facts(ticket=ticket, now=at(2026, 11, 16, 10))
    SlaTarget.objects.filter(priority="P2").update(response_minutes=5)
    ticket_refresh_facts(ticket=ticket, book=ClockBook(), now=at(2026, 11, 16, 10))
    assert not Ticket.objects.filter(response_target_minutes=5).exists()
    ticket.refresh_from_db()
    assert ticket.response_target_minutes == 60
    assert ticket.response_due_at == at(2026, 11, 16, 11)


def test_a_ticket_is_a_repeat_when_its_requester_comes_back_within_seven_days():
    contract = ContractFactory()
    first = TicketFactory(
        contract=contract,
        created_at=at(2026, 11, 2, 10),
        resolved_at=at(2026, 11, 2, 12),
        status="resolved",
    )
    ticket_refresh_facts(ticket=first, now=at(2026, 11, 30))
    assert Ticket.objects.get(pk=first.pk).repeat is False

    again = TicketFactory(contract=contract, created_at=at(2026, 11, 9, 11))
    ticket_refresh_facts(ticket=again, now=at(2026, 11, 30))
    assert Ticket.objects.get(pk=first.pk).repeat is True
    assert Ticket.objects.get(pk=again.pk).repeat is False


def test_a_return_after_the_window_or_in_another_category_is_not_a_repeat():
    contract = ContractFactory()
    first = TicketFactory(
        contract=contract,
        created_at=at(2026, 11, 2, 10),
        resolved_at=at(2026, 11, 2, 12),
        status="resolved",
    )
    TicketFactory(contract=contract, created_at=at(2026, 11, 9, 12, 1))  # 7 days + 1 minute
    TicketFactory(contract=contract, created_at=at(2026, 11, 3), category="Network")
    assert tickets_refresh_repeats() == 0
    assert Ticket.objects.get(pk=first.pk).repeat is False


def test_a_reopened_ticket_is_a_repeat():
    ticket = TicketFactory(resolved_at=at(2026, 11, 16, 15), status="resolved")
    EventFactory(ticket=ticket, at=at(2026, 11, 16, 12), kind="resolved")
    EventFactory(ticket=ticket, at=at(2026, 11, 16, 13), kind="reopened")
    ticket_refresh_facts(ticket=ticket, now=at(2026, 11, 30))
    ticket.refresh_from_db()
    assert (ticket.reopen_count, ticket.repeat) == (1, True)


def test_a_naive_time_is_refused_naming_the_field():
    ticket = TicketFactory.build(
        contract=ContractFactory(), created_at=dt.datetime(2026, 11, 16, 10)
    )
    with pytest.raises(ValidationError) as err:
        ticket_refresh_facts(ticket=ticket)
    assert "created_at" in err.value.message_dict
    assert "naive" in str(err.value)


def test_a_ticket_resolved_before_it_was_created_is_refused():
    ticket = TicketFactory.build(contract=ContractFactory(), resolved_at=at(2026, 11, 15, 10))
    with pytest.raises(ValidationError) as err:
        ticket_refresh_facts(ticket=ticket)
    assert err.value.message_dict == {
        "resolved_at": ["The ticket cannot be resolved before it was created."]
    }


def test_a_policy_missing_a_priority_target_is_refused_naming_it():
    ticket = TicketFactory.build(
        contract=ContractFactory(), priority="P4", response_target_minutes=None
    )
    SlaTarget.objects.filter(priority="P4").delete()
    with pytest.raises(ValidationError) as err:
        ticket_refresh_facts(ticket=ticket)
    assert "no target for P4" in str(err.value.message_dict["targets"])


def test_the_database_refuses_a_resolution_before_creation_even_past_the_service():
    from django.db import IntegrityError

    ticket = TicketFactory()
    with pytest.raises(IntegrityError):
        Ticket.objects.filter(pk=ticket.pk).update(resolved_at=at(2026, 1, 1))


def test_saving_with_events_writes_the_ticket_and_replaces_its_events_whole():
    from tickets.models import TicketEvent

    ticket = TicketFactory.build(contract=ContractFactory(), created_at=at(2026, 11, 16, 10))
    first = [TicketEvent(at=at(2026, 11, 16, 10, 20), kind="responded")]
    ticket_refresh_facts(ticket=ticket, events=first, now=at(2026, 11, 16, 12))
    assert ticket.events.count() == 1
    assert ticket.response_met is True

    second = [
        TicketEvent(at=at(2026, 11, 16, 11, 30), kind="responded"),
        TicketEvent(at=at(2026, 11, 16, 12), kind="escalated"),
    ]
    ticket_refresh_facts(ticket=ticket, events=second, now=at(2026, 11, 16, 12))
    stored = Ticket.objects.get(pk=ticket.pk)
    assert [e.kind for e in stored.events.all()] == ["responded", "escalated"]
    assert (stored.response_met, stored.escalated) == (False, True)


def test_a_refused_ticket_writes_nothing():
    ticket = TicketFactory.build(contract=ContractFactory(), resolved_at=at(2026, 11, 1))
    with pytest.raises(ValidationError):
        ticket_refresh_facts(ticket=ticket, events=[])
    assert Ticket.objects.count() == 0
