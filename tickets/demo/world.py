"""The demo world's entry points: seed it into an empty database, tell whether one exists, flush
it. Seeding creates the reference data and logins in one transaction, then writes the tickets
in chunks."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import ProtectedError

from tickets.demo.arithmetic import UTC, add_months, midnight
from tickets.demo.generator import TicketMaker
from tickets.demo.logins import DEMO_USERS, create_logins
from tickets.demo.profiles import CALENDARS, DEMO_VENDOR_SLUGS, POLICIES
from tickets.demo.reference import create_invoices, create_outages, create_reference_data
from tickets.demo.writer import MadeTicket, write_chunk
from tickets.models import Outage, SurveyResponse, Ticket, TicketEvent
from tickets.services import tickets_refresh_repeats
from vendors.models import BusinessCalendar, Invoice, SlaPolicy, Vendor

CHUNK_SIZE = 5_000


@dataclass
class DemoSummary:
    vendors: int = 0
    technicians: int = 0
    tickets: int = 0
    events: int = 0
    surveys: int = 0
    outages: int = 0
    invoices: int = 0
    repeats: int = 0
    seconds: float = 0.0
    first_day: dt.date | None = None
    last_day: dt.date | None = None
    logins: list[tuple[str, str]] = field(default_factory=list)  # (username, role)


def demo_world_exists() -> bool:
    """Any vendor at all counts: the demo never seeds over someone's data."""
    return Vendor.objects.exists()


@transaction.atomic
def demo_flush() -> int:
    """Deletes the demo world (its vendors and everything under them, its calendars and policies,
    the demo logins); other data stays. Returns the number of tickets removed."""
    demo_vendors = Vendor.objects.filter(slug__in=DEMO_VENDOR_SLUGS)
    vendor_ids = list(demo_vendors.values_list("pk", flat=True))
    # Events and surveys in one statement each; tickets then in slices, so the ORM's cascade
    # (which loads the rows it deletes) handles anything else pointing at them with flat memory.
    TicketEvent.objects.filter(ticket__vendor_id__in=vendor_ids).delete()
    SurveyResponse.objects.filter(ticket__vendor_id__in=vendor_ids).delete()
    tickets = Ticket.objects.filter(vendor_id__in=vendor_ids)
    removed = 0
    while ids := list(tickets.values_list("pk", flat=True)[:10_000]):
        Ticket.objects.filter(pk__in=ids).delete()
        removed += len(ids)
    Outage.objects.filter(vendor_id__in=vendor_ids).delete()
    Invoice.objects.filter(vendor_id__in=vendor_ids).delete()
    Vendor.objects.filter(pk__in=vendor_ids).delete()
    get_user_model().objects.filter(username__in=[u for u, _, _ in DEMO_USERS]).delete()
    # Policies and calendars go unless something outside the demo still uses them.
    for model, names in ((SlaPolicy, POLICIES), (BusinessCalendar, CALENDARS)):
        for name in names:
            with contextlib.suppress(ProtectedError):
                model.objects.filter(name=name).delete()
    return removed


def seed_demo_world(
    *,
    seed: int,
    tickets: int,
    months: int,
    until: dt.date,
    seeded_at: dt.datetime | None = None,
    progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> DemoSummary:
    """Seeds the demo world into an empty database (see `demo_world_exists`).

    Tickets spread over `months` calendar months ending with `until`'s month, up to the end of
    `until` (UTC), which is also the "now" their facts are derived at; when `seeded_at` comes
    earlier (a demo seeded today), it is "now" instead, so nothing in the demo lies after the
    moment it was seeded. `progress` is called with the number of tickets written after each
    chunk.
    """
    if tickets < 0 or months < 1:
        raise ValueError("tickets must be >= 0 and months >= 1")
    started = time.perf_counter()
    rng = random.Random(seed)
    first_day = add_months(until.replace(day=1), -(months - 1))
    now = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0), UTC)
    if seeded_at is not None:
        now = min(now, seeded_at.astimezone(UTC))
    summary = DemoSummary(first_day=first_day, last_day=until)

    with transaction.atomic():
        cast = create_reference_data(rng, first_day=first_day, tickets=tickets, months=months)
        summary.logins = create_logins(cast)
        summary.outages = create_outages(rng, cast, first_day=first_day, now=now)
        summary.invoices = create_invoices(rng, cast, first_day=first_day, months=months)
    summary.vendors = len(cast)
    summary.technicians = sum(len(c.technicians) for c in cast)

    maker = TicketMaker(rng, cast, start=midnight(first_day), now=now, people=tickets)
    chunk: list[MadeTicket] = []
    for made in maker.tickets(tickets):
        chunk.append(made)
        if len(chunk) >= chunk_size:
            _write(chunk, summary, progress)
            chunk = []
    if chunk:
        _write(chunk, summary, progress)

    summary.repeats = tickets_refresh_repeats()
    summary.seconds = time.perf_counter() - started
    return summary


def _write(
    chunk: list[MadeTicket], summary: DemoSummary, progress: Callable[[int], None] | None
) -> None:
    events, surveys = write_chunk(chunk)
    summary.tickets += len(chunk)
    summary.events += events
    summary.surveys += surveys
    if progress is not None:
        progress(len(chunk))
