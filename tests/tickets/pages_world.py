"""The world of the breach and ticket page tests: two vendors, four users, hand-timed tickets.

Calendar Mon-Fri 09:00-17:00 Europe/London (the factories' default); reporting zone London.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from common.roles import FINANCE, MANAGER, VENDOR, ensure_role_groups
from tests.factories import ContractFactory, TechnicianFactory, VendorFactory
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_refresh_facts
from vendors.models import VendorMembership

LONDON = ZoneInfo("Europe/London")
NOW = dt.datetime(2026, 12, 10, 9, tzinfo=LONDON)


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LONDON)


@dataclass
class World:
    contract_a: object
    contract_b: object
    manager: object
    finance: object
    vendor_a: object  # a user of vendor A
    vendor_b: object  # a user of vendor B


def make_world() -> World:
    groups = ensure_role_groups()
    User = get_user_model()

    def user(name: str, role: str, vendor=None):
        u = User.objects.create_user(name)  # force_login: no password to hash
        u.groups.add(groups[role])
        if vendor is not None:
            VendorMembership.objects.create(user=u, vendor=vendor)
        return u

    contract_a = ContractFactory(vendor=VendorFactory(name="Acme Desk"), name="Acme desk")
    contract_b = ContractFactory(vendor=VendorFactory(name="Bravo IT"), name="Bravo desk")
    return World(
        contract_a=contract_a,
        contract_b=contract_b,
        manager=user("boss", MANAGER),
        finance=user("counter", FINANCE),
        vendor_a=user("acme-user", VENDOR, contract_a.vendor),
        vendor_b=user("bravo-user", VENDOR, contract_b.vendor),
    )


def make_ticket(
    contract,
    external_id: str,
    *,
    created: dt.datetime,
    reply: dt.datetime | None = None,
    resolved: dt.datetime | None = None,
    events: list[TicketEvent] | None = None,
    category: str = "Email",
    priority: str = "P2",
    technician: bool = True,
    now: dt.datetime = NOW,
    **fields,
) -> Ticket:
    ticket = Ticket(
        source="test",
        external_id=external_id,
        vendor=contract.vendor,
        contract=contract,
        technician=TechnicianFactory(vendor=contract.vendor, name=f"Tech {external_id}")
        if technician
        else None,
        priority=priority,
        category=category,
        requester="alice@example.com",
        status="resolved" if resolved else "in_progress",
        created_at=created,
        resolved_at=resolved,
        **fields,
    )
    events = list(events or [])
    if reply:
        events.append(TicketEvent(at=reply, kind="responded", actor="Tech"))
    ticket_refresh_facts(ticket=ticket, events=events, now=now)
    return ticket
