"""factory_boy factories for the domain: a London office-hours world by default."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from tickets.models import Ticket, TicketEvent
from vendors.models import (
    BusinessCalendar,
    Contract,
    OpenInterval,
    SlaPolicy,
    SlaTarget,
    Technician,
    Vendor,
)

# METRICS.md's default targets: priority -> (response minutes, resolution minutes, 24x7?).
DEFAULT_TARGETS = {
    "P1": (15, 4 * 60, True),
    "P2": (60, 8 * 60, False),
    "P3": (4 * 60, 24 * 60, False),
    "P4": (8 * 60, 40 * 60, False),
}


class VendorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Vendor
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Vendor {n}")
    slug = factory.LazyAttribute(lambda o: o.name.lower().replace(" ", "-"))
    contact_email = factory.LazyAttribute(lambda o: f"desk@{o.slug}.example")


class CalendarFactory(factory.django.DjangoModelFactory):
    """Mon-Fri 09:00-17:00 Europe/London with English bank holidays (METRICS.md's examples)."""

    class Meta:
        model = BusinessCalendar
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"London office {n}")
    time_zone = "Europe/London"
    holiday_country = "GB"
    holiday_subdivision = "ENG"

    @factory.post_generation
    def hours(obj, create, extracted, **kwargs):
        hours = extracted or [(day, dt.time(9), dt.time(17)) for day in range(5)]
        for weekday, start, end in hours:
            OpenInterval.objects.create(calendar=obj, weekday=weekday, start=start, end=end)


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SlaPolicy
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Standard SLA {n}")
    calendar = factory.SubFactory(CalendarFactory)

    @factory.post_generation
    def targets(obj, create, extracted, **kwargs):
        targets = DEFAULT_TARGETS if extracted is None else extracted
        for priority, (response, resolution, always) in targets.items():
            SlaTarget.objects.create(
                policy=obj,
                priority=priority,
                response_minutes=response,
                resolution_minutes=resolution,
                always_open=always,
            )


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Service desk {n}")
    start_date = dt.date(2025, 1, 1)
    sla_policy = factory.SubFactory(PolicyFactory)
    monthly_fee = Decimal("10000.00")
    currency = "GBP"


class TechnicianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Technician

    vendor = factory.SubFactory(VendorFactory)
    name = factory.Sequence(lambda n: f"Technician {n}")


class TicketFactory(factory.django.DjangoModelFactory):
    """A P2 ticket whose facts are not derived yet: call ticket_refresh_facts."""

    class Meta:
        model = Ticket

    source = "test"
    external_id = factory.Sequence(lambda n: f"T-{n:05d}")
    contract = factory.SubFactory(ContractFactory)
    vendor = factory.SelfAttribute("contract.vendor")
    priority = "P2"
    status = "in_progress"
    category = "Email"
    requester = "alice@example.com"
    created_at = dt.datetime(2026, 11, 16, 10, tzinfo=dt.UTC)
    response_target_minutes = 60
    resolution_target_minutes = 8 * 60
    response_due_at = factory.SelfAttribute("created_at")
    resolution_due_at = factory.SelfAttribute("created_at")


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TicketEvent

    ticket = factory.SubFactory(TicketFactory)
    at = factory.SelfAttribute("ticket.created_at")
    kind = "responded"
