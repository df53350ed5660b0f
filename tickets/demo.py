"""A believable demo world: five vendors with distinct profiles and months of their tickets.

`seed_demo_world` creates calendars, SLA policies, vendors with a contract each (weights, credit
tiers), technicians, tickets with their events and survey answers, outages, monthly invoices
and one login per role. Every ticket's facts come from the project's own derivation
(`tickets.services.ticket_apply_facts`), so the demo shows what real imports would.

The world is a pure function of (seed, tickets, months, until): one `random.Random(seed)` drives
every choice, consumed in a fixed order, and nothing reads the wall clock. Tickets are made in
creation order and written in chunks (one transaction each), so memory stays flat and a million
tickets take minutes; on PostgreSQL events and surveys go in through COPY.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import random
import time
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, reset_queries, transaction
from django.db.models import ProtectedError

from common.roles import FINANCE, MANAGER, VENDOR, ensure_role_groups
from tickets.models import Outage, SurveyResponse, Ticket, TicketEvent
from tickets.services import ClockBook, ticket_apply_facts, tickets_refresh_repeats
from vendors import sla
from vendors.metrics import SCORED, metric
from vendors.models import (
    BusinessCalendar,
    Contract,
    CreditTier,
    Invoice,
    OpenInterval,
    ScoreWeight,
    SlaPolicy,
    SlaTarget,
    Technician,
    Vendor,
    VendorMembership,
)

UTC = dt.UTC
DEMO_SOURCE = "demo"
DEMO_PASSWORD = "vendorscore-demo"
CHUNK_SIZE = 5_000
BATCH_SIZE = 1_000

# --- the cast -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """How one demo vendor behaves. `quality` is a dial in standard-normal units, at the first
    and at the last month of the range (so a vendor can improve or slip): roughly the z-score of
    its resolution compliance before escalations and reopens take their toll (2.0: ~97 % met,
    0.5: ~70 %)."""

    name: str
    slug: str
    prefix: str  # for references and technician ids
    contact_name: str
    currency: str
    calendar: str
    policy: str
    share: float  # of all tickets
    quality: tuple[float, float]
    cost_per_ticket: int  # what the fee works out to per ticket at the seeded volume
    target_cost_per_ticket: int
    inhouse_factor: float  # in-house monthly cost / fee
    technicians: int
    csat_shift: float = 0.0  # beyond what quality implies
    services: tuple[str, ...] = ("Service desk", "Remote monitoring", "Self-service portal")


PROFILES: tuple[Profile, ...] = (
    Profile(
        name="Northwind Managed IT",
        slug="northwind-managed-it",
        prefix="NW",
        contact_name="Hannah Whitfield",
        currency="GBP",
        calendar="London business hours",
        policy="Standard - London hours",
        share=0.22,
        quality=(0.6, 2.3),  # improving month over month
        cost_per_ticket=31,
        target_cost_per_ticket=35,
        inhouse_factor=1.25,
        technicians=14,
    ),
    Profile(
        name="Contoso Support Services",
        slug="contoso-support-services",
        prefix="CS",
        contact_name="Marcus Bell",
        currency="USD",
        calendar="New York extended",
        policy="Standard - New York extended",
        share=0.22,
        quality=(2.3, 0.6),  # slipping month over month
        cost_per_ticket=38,
        target_cost_per_ticket=40,
        inhouse_factor=1.2,
        technicians=15,
        services=("Service desk", "Self-service portal", "Backup service"),
    ),
    Profile(
        name="Budget Desk Ltd",
        slug="budget-desk-ltd",
        prefix="BD",
        contact_name="Gary Pratt",
        currency="GBP",
        calendar="London business hours",
        policy="Standard - London hours",
        share=0.20,
        quality=(0.55, 0.6),  # cheap but poor
        cost_per_ticket=14,
        target_cost_per_ticket=20,
        inhouse_factor=2.1,
        technicians=12,
        csat_shift=-0.3,
        services=("Service desk", "Self-service portal"),
    ),
    Profile(
        name="Premier Care Partners",
        slug="premier-care-partners",
        prefix="PC",
        contact_name="Sophie Laurent",
        currency="EUR",
        calendar="24x7 Central Europe",
        policy="Premier 24x7",
        share=0.16,
        quality=(2.5, 2.6),  # excellent but expensive
        cost_per_ticket=72,
        target_cost_per_ticket=55,
        inhouse_factor=0.95,
        technicians=13,
        csat_shift=0.1,
        services=("Service desk", "Remote monitoring", "Network operations"),
    ),
    Profile(
        name="Steady IT Services",
        slug="steady-it-services",
        prefix="ST",
        contact_name="Priya Raman",
        currency="EUR",
        calendar="London business hours",
        policy="Standard - London hours",
        share=0.20,
        quality=(1.5, 1.55),  # average
        cost_per_ticket=29,
        target_cost_per_ticket=30,
        inhouse_factor=1.3,
        technicians=14,
    ),
)
DEMO_VENDOR_SLUGS = tuple(p.slug for p in PROFILES)
VENDOR_LOGIN_SLUG = "budget-desk-ltd"

_T = dt.time
CALENDARS: dict[str, dict] = {
    "London business hours": {
        "time_zone": "Europe/London",
        "holiday_country": "GB",
        "holiday_subdivision": "ENG",
        "hours": [(d, _T(9), _T(17)) for d in range(5)],
    },
    "New York extended": {
        "time_zone": "America/New_York",
        "holiday_country": "US",
        "holiday_subdivision": "",
        # A split shift: the desk closes for lunch.
        "hours": [(d, s, e) for d in range(5) for s, e in ((_T(8), _T(12)), (_T(13), _T(18)))],
    },
    "24x7 Central Europe": {
        "time_zone": "Europe/Berlin",
        "holiday_country": "",
        "holiday_subdivision": "",
        "hours": [(d, _T(0), _T(0)) for d in range(7)],
    },
}

# (response minutes, resolution minutes) per priority; P1 runs 24x7 in every policy.
DEFAULT_TARGETS = {"P1": (15, 240), "P2": (60, 480), "P3": (240, 1440), "P4": (480, 2400)}
POLICIES: dict[str, tuple[str, dict[str, tuple[int, int]], str]] = {
    "Standard - London hours": (
        "London business hours",
        DEFAULT_TARGETS,
        "METRICS.md default targets on London office hours.",
    ),
    "Standard - New York extended": (
        "New York extended",
        DEFAULT_TARGETS,
        "METRICS.md default targets on the New York split shift.",
    ),
    "Premier 24x7": (
        "24x7 Central Europe",
        {"P1": (10, 120), "P2": (30, 240), "P3": (120, 720), "P4": (240, 1440)},
        "Round-the-clock premium service with tighter targets.",
    ),
}

CREDIT_TIERS = (
    ("resolution_sla_pct", "95", "5"),
    ("resolution_sla_pct", "90", "10"),
    ("uptime_pct", "99.9", "5"),
)

DEMO_USERS = (
    # username, is_staff, role group
    ("manager", True, MANAGER),
    ("finance", True, FINANCE),
    ("vendor", False, VENDOR),
)

PRIORITIES = ("P1", "P2", "P3", "P4")
PRIORITY_WEIGHTS = (3, 12, 55, 30)
CATEGORIES: dict[str, tuple[int, tuple[str, ...]]] = {
    "Access": (
        20,
        ("Password reset", "Account locked out", "Access to finance share", "MFA device lost"),
    ),
    "Software": (
        18,
        ("Excel crashes on open", "Install Visio", "Teams update failed", "Licence expired"),
    ),
    "Hardware": (
        16,
        ("Laptop will not boot", "Dock not detecting monitors", "Broken keyboard", "New laptop"),
    ),
    "Network": (
        14,
        ("VPN keeps dropping", "No network on 3rd floor", "Wi-Fi slow in meeting room"),
    ),
    "Email": (
        12,
        ("Mailbox full", "Outlook keeps asking for password", "Shared mailbox missing"),
    ),
    "Printing": (7, ("Printer offline", "Print jobs stuck in queue", "Toner replacement")),
    "Telephony": (6, ("Desk phone has no dial tone", "Voicemail not working")),
    "Security": (4, ("Suspicious email reported", "Antivirus alert on laptop")),
    "Onboarding": (3, ("New starter set-up", "Leaver: remove access")),
}
CHANNELS = ("portal", "email", "phone", "chat", "walk_in", "monitoring")
CHANNEL_WEIGHTS = (40, 25, 20, 10, 2, 3)
PAUSE_REASONS = ("pending_customer", "awaiting_third_party", "on_hold")
PAUSE_WEIGHTS = (60, 25, 15)

# Arrivals per local hour: a business-day hump with a lunch dip, a trickle at night.
WEEKDAY_HOURS = (0.15,) * 7 + (
    0.6,
    2.0,
    3.2,
    3.4,
    3.0,
    2.0,
    2.6,
    3.0,
    2.8,
    2.2,
    1.2,
    0.7,
    0.5,
    0.4,
    0.3,
    0.2,
    0.15,
)
WEEKEND_HOURS = (0.3,) * 8 + (0.8,) * 10 + (0.5,) * 6
WEEKEND_SHARE = 0.14  # a weekend day sees this share of a weekday's tickets

FIRST_NAMES = (  # noqa: SIM905 - names read better as prose than as 50 list items
    "Aisha Alex Amir Anna Ben Carla Chen Chloe Daniel David Elena Emma Farah Fatima George Grace "
    "Hana Harry Isla Jack James Jonas Julia Kai Kate Leo Lena Liam Lucy Maya Mateo Mia Nadia "
    "Noah Nina Olivia Omar Oscar Priya Rachel Raj Rosa Ruby Sam Sara Sofia Tom Uma Victor Yusuf "
    "Zoe"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Adams Ahmed Baker Brown Clarke Cohen Davies Dubois Evans Fischer Garcia Green Hall Hughes "
    "Jansen Jones Kaur Khan Kowalski Lee Lewis Martin Meyer Moore Murphy Nguyen Novak Okafor "
    "Patel Price Reid Roberts Rossi Schmidt Scott Shah Silva Singh Smith Taylor Turner Walker "
    "Ward Watson White Williams Wilson Wood Wright Young"
).split()

COMMENTS_GOOD = ("Quick and friendly, thanks!", "Sorted first time.", "Great service.")
COMMENTS_BAD = (
    "Took far too long.",
    "Had to chase twice.",
    "Problem came back the next day.",
    "Nobody told me what was happening.",
)


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


# --- public entry points --------------------------------------------------------------------


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
    progress: Callable[[int], None] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> DemoSummary:
    """Seeds the demo world into an empty database (see `demo_world_exists`).

    Tickets spread over `months` calendar months ending with `until`'s month, up to the end of
    `until` (UTC), which is also the "now" their facts are derived at. `progress` is called with
    the number of tickets written after each chunk.
    """
    if tickets < 0 or months < 1:
        raise ValueError("tickets must be >= 0 and months >= 1")
    started = time.perf_counter()
    rng = random.Random(seed)
    first_day = _add_months(until.replace(day=1), -(months - 1))
    now = dt.datetime.combine(until + dt.timedelta(days=1), dt.time(0), UTC)
    summary = DemoSummary(first_day=first_day, last_day=until)

    with transaction.atomic():
        cast = _create_reference_data(rng, first_day=first_day, tickets=tickets, months=months)
        summary.logins = _create_logins(cast)
        summary.outages = _create_outages(rng, cast, first_day=first_day, now=now)
        summary.invoices = _create_invoices(rng, cast, first_day=first_day, months=months)
    summary.vendors = len(cast)
    summary.technicians = sum(len(c.technicians) for c in cast)

    maker = _TicketMaker(rng, cast, start=_midnight(first_day), now=now, people=tickets)
    chunk: list[_Made] = []
    for made in maker.tickets(tickets):
        chunk.append(made)
        if len(chunk) >= chunk_size:
            _write_chunk(chunk, summary, progress)
            chunk = []
    if chunk:
        _write_chunk(chunk, summary, progress)

    summary.repeats = tickets_refresh_repeats()
    summary.seconds = time.perf_counter() - started
    return summary


# --- reference data -------------------------------------------------------------------------


@dataclass
class _Tech:
    obj: Technician
    skill: float  # added to the vendor's quality dial on this technician's tickets


@dataclass
class _Cast:
    """One vendor with what its tickets need, cached for the whole run."""

    profile: Profile
    vendor: Vendor
    contract: Contract
    zone: ZoneInfo
    technicians: list[_Tech]
    tech_cum: list[float]
    recent: deque = field(default_factory=lambda: deque(maxlen=400))  # (resolved, who, category)

    def quality(self, t: float) -> float:
        first, last = self.profile.quality
        return first + (last - first) * t


def _create_reference_data(
    rng: random.Random, *, first_day: dt.date, tickets: int, months: int
) -> list[_Cast]:
    calendars = {}
    for name, spec in CALENDARS.items():
        calendar = BusinessCalendar.objects.create(
            name=name,
            time_zone=spec["time_zone"],
            holiday_country=spec["holiday_country"],
            holiday_subdivision=spec["holiday_subdivision"],
        )
        OpenInterval.objects.bulk_create(
            OpenInterval(calendar=calendar, weekday=d, start=s, end=e) for d, s, e in spec["hours"]
        )
        calendars[name] = calendar

    policies = {}
    for name, (calendar_name, targets, description) in POLICIES.items():
        policy = SlaPolicy.objects.create(
            name=name, calendar=calendars[calendar_name], description=description
        )
        SlaTarget.objects.bulk_create(
            SlaTarget(
                policy=policy,
                priority=priority,
                response_minutes=response,
                resolution_minutes=resolution,
                always_open=priority == "P1",
            )
            for priority, (response, resolution) in targets.items()
        )
        policies[name] = policy

    names = _unique_names(rng, sum(p.technicians for p in PROFILES))
    cast = []
    for profile in PROFILES:
        vendor = Vendor.objects.create(
            name=profile.name,
            slug=profile.slug,
            contact_name=profile.contact_name,
            contact_email=f"{_dotted(profile.contact_name)}@{profile.slug}.example",
            notes="Demo vendor (seed_demo).",
        )
        # The fee follows the seeded volume, so cost per ticket looks the same at any size.
        monthly_tickets = tickets * profile.share / months
        fee = max(500, round(profile.cost_per_ticket * monthly_tickets / 100) * 100)
        contract = Contract.objects.create(
            vendor=vendor,
            name=f"{profile.name} managed service desk",
            reference=f"{profile.prefix}-MSA-{first_day.year - 1}-{rng.randrange(100, 999)}",
            start_date=_add_months(first_day, -12),
            sla_policy=policies[profile.policy],
            monthly_fee=Decimal(fee),
            currency=profile.currency,
            inhouse_monthly_cost=Decimal(round(fee * profile.inhouse_factor / 100) * 100),
            target_cost_per_ticket=Decimal(profile.target_cost_per_ticket),
        )
        ScoreWeight.objects.bulk_create(_score_weights(contract))
        CreditTier.objects.bulk_create(
            CreditTier(
                contract=contract, metric=m, threshold=Decimal(th), credit_pct=Decimal(credit)
            )
            for m, th, credit in CREDIT_TIERS
        )
        technicians = []
        for number in range(1, profile.technicians + 1):
            first, last = names.pop()
            obj = Technician(
                vendor=vendor,
                name=f"{first} {last}",
                email=f"{_dotted(first + ' ' + last)}@{profile.slug}.example",
                external_ref=f"{profile.prefix}{number:03d}",
            )
            skill = max(-0.8, min(0.8, rng.gauss(0, 0.4)))
            technicians.append(_Tech(obj, skill))
        Technician.objects.bulk_create([t.obj for t in technicians])
        weights = [rng.uniform(0.6, 1.4) for _ in technicians]
        cast.append(
            _Cast(
                profile=profile,
                vendor=vendor,
                contract=contract,
                zone=ZoneInfo(CALENDARS[profile.calendar]["time_zone"]),
                technicians=technicians,
                tech_cum=list(accumulate(weights)),
            )
        )
    return cast


def _score_weights(contract: Contract) -> Iterator[ScoreWeight]:
    """METRICS.md defaults; cost per ticket is marked against the contract's own target."""
    for code in sorted(SCORED):
        m = metric(code)
        target, floor = m.target, m.floor
        if code == "cost_per_ticket":
            target = contract.target_cost_per_ticket
            floor = 2 * target
        yield ScoreWeight(
            contract=contract, metric=code, weight=m.weight, target=target, floor=floor
        )


def _unique_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    pairs = [(f, s) for f in FIRST_NAMES for s in LAST_NAMES]
    rng.shuffle(pairs)
    return pairs[:count]


def _create_logins(cast: list[_Cast]) -> list[tuple[str, str]]:
    groups = ensure_role_groups()
    vendor = next(c.vendor for c in cast if c.profile.slug == VENDOR_LOGIN_SLUG)
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
    logins = []
    users = get_user_model().objects
    for username, is_staff, role in DEMO_USERS:
        # A leftover demo login (say, from a database whose vendors were deleted by hand) is
        # reset rather than tripping over the unique username.
        user = users.filter(username=username).first() or users.model(username=username)
        user.email = f"{username}@demo.vendorscore.example"
        user.first_name, user.last_name = "Demo", role.title()
        user.is_staff, user.is_superuser, user.is_active = is_staff, False, True
        user.password = password
        user.save()
        user.groups.set([groups[role]])
        if role == VENDOR:
            VendorMembership.objects.update_or_create(user=user, defaults={"vendor": vendor})
        logins.append((username, role))
    return logins


def _create_outages(rng: random.Random, cast: list[_Cast], *, first_day, now) -> int:
    outages = []
    for c in cast:
        month = first_day
        while (start := _midnight(month)) < now:
            end = min(_midnight(_add_months(month, 1)), now)
            t = _progress(start, _midnight(first_day), now)
            g = _goodness(c.quality(t))
            # Unplanned, vendor-caused: poorer vendors fail more often and for longer.
            count = 0 if rng.random() < 0.2 + 0.55 * g else 1 + (rng.random() < 0.4 - 0.3 * g)
            for _ in range(count):
                minutes = min(720, max(3, rng.lognormvariate(math.log(95 - 83 * g), 0.7)))
                outages.append(
                    _outage(rng, c, start, end, minutes, "Unplanned outage", caused=True)
                )
            # Now and then a third party (a carrier, a cloud provider) is to blame.
            if rng.random() < 0.12:
                minutes = rng.uniform(20, 180)
                outages.append(_outage(rng, c, start, end, minutes, "Carrier outage", caused=False))
            # Monthly maintenance window: the first Sunday, 02:00 local.
            sunday = month + dt.timedelta(days=(6 - month.weekday()) % 7)
            began = dt.datetime.combine(sunday, dt.time(2), c.zone).astimezone(UTC)
            ended = began + dt.timedelta(minutes=rng.choice((120, 180, 240)))
            if ended < now:
                outages.append(
                    Outage(
                        vendor=c.vendor,
                        contract=c.contract,
                        service=c.profile.services[0],
                        started_at=began,
                        ended_at=ended,
                        vendor_caused=True,
                        scheduled_maintenance=True,
                        description="Scheduled maintenance window",
                    )
                )
            month = _add_months(month, 1)
    outages = [o for o in outages if o is not None]
    Outage.objects.bulk_create(outages, batch_size=BATCH_SIZE)
    return len(outages)


def _outage(rng, c: _Cast, start, end, minutes: float, what: str, *, caused: bool):
    span = int((end - start).total_seconds())
    began = start + dt.timedelta(seconds=rng.randrange(max(span, 1)))
    ended = began + dt.timedelta(seconds=int(minutes * 60))
    if ended >= end:
        return None  # would still be running: the demo keeps only finished outages
    service = rng.choice(c.profile.services)
    return Outage(
        vendor=c.vendor,
        contract=c.contract,
        service=service,
        started_at=began,
        ended_at=ended,
        vendor_caused=caused,
        description=f"{what}: {service.lower()}",
    )


def _create_invoices(rng: random.Random, cast: list[_Cast], *, first_day, months: int) -> int:
    """One invoice per vendor per month, billed in advance in the contract's currency; some
    months carry out-of-scope extras."""
    invoices = []
    for c in cast:
        fee = c.contract.monthly_fee
        for i in range(months):
            start = _add_months(first_day, i)
            extras = Decimal(0)
            if rng.random() < 0.25:
                extras = (fee * Decimal(str(round(rng.uniform(0.02, 0.08), 3)))).quantize(
                    Decimal("0.01")
                )
            invoices.append(
                Invoice(
                    vendor=c.vendor,
                    contract=c.contract,
                    period_start=start,
                    period_end=_add_months(start, 1) - dt.timedelta(days=1),
                    amount=fee + extras,
                    currency=c.contract.currency,
                    reference=f"INV-{c.profile.prefix}-{start:%Y%m}",
                    issued_on=start,
                )
            )
    Invoice.objects.bulk_create(invoices, batch_size=BATCH_SIZE)
    return len(invoices)


# --- tickets --------------------------------------------------------------------------------


class _Ev(NamedTuple):
    """One event, with TicketEvent's attribute names: `ticket_apply_facts` reads it as it reads
    a model row, and COPY writes it without building a model instance per event."""

    at: dt.datetime
    kind: str
    old_value: str = ""
    new_value: str = ""
    actor: str = ""
    by_vendor: bool = True


class _Made(NamedTuple):
    ticket: Ticket
    events: list[_Ev]
    survey: tuple[int, str, dt.datetime] | None  # score, comment, answered at


SIG_RESPONSE = 0.8  # lognormal spread of response times
SIG_RESOLUTION = 0.9  # and of resolution times


class _TicketMaker:
    def __init__(self, rng: random.Random, cast: list[_Cast], *, start, now, people: int) -> None:
        self.rng = rng
        self.cast = cast
        self.start, self.now = start, now
        self.span = (now - start).total_seconds()
        self.book = ClockBook()
        # priority -> (response minutes, resolution minutes, clock) per vendor, built once.
        self.targets = {c.vendor.pk: self.book.targets(c.contract.sla_policy_id) for c in cast}
        # Technicians by name per vendor, so a hand-over's facts name who answered without a
        # query per ticket.
        self.technician_ids = {
            c.vendor.pk: {t.obj.name: t.obj.pk for t in c.technicians} for c in cast
        }
        # The business calendar's holidays (P2 runs on it), for quieter arrivals.
        self.holidays = {pk: targets["P2"][2].holidays for pk, targets in self.targets.items()}
        self.priority_cum = list(accumulate(PRIORITY_WEIGHTS))
        self.categories = list(CATEGORIES)
        self.category_cum = list(accumulate(w for w, _ in CATEGORIES.values()))
        self.channel_cum = list(accumulate(CHANNEL_WEIGHTS))
        self.pause_cum = list(accumulate(PAUSE_WEIGHTS))
        self.weekday_cum = list(accumulate(WEEKDAY_HOURS))
        self.weekend_cum = list(accumulate(WEEKEND_HOURS))
        self.repeat_window = dt.timedelta(days=settings.REPEAT_WINDOW_DAYS)
        self.people = self._people(max(300, min(60_000, people // 15)))

    def _people(self, count: int) -> list[str]:
        """A few thousand requesters (about one per 15 tickets), as e-mail addresses."""
        pairs = [f"{f}.{s}".lower() for f in FIRST_NAMES for s in LAST_NAMES]
        self.rng.shuffle(pairs)
        return [
            f"{pairs[i % len(pairs)]}{'' if i < len(pairs) else i // len(pairs)}@corp.example"
            for i in range(count)
        ]

    @staticmethod
    def _pick(cum: Sequence[float], rng: random.Random) -> int:
        return bisect_right(cum, rng.random() * cum[-1])

    # Arrivals: a count per day (weekdays busier, volume growing a little), then times of day.

    def _busy(self, c: _Cast, day: dt.date) -> float:
        """How busy the vendor's customers are on `day`: weekends and public holidays of its
        calendar are quiet."""
        quiet = day.weekday() >= 5 or day in self.holidays[c.vendor.pk]
        return WEEKEND_SHARE if quiet else 1.0

    def tickets(self, total: int) -> Iterator[_Made]:
        rng = self.rng
        first = self.start.date()
        days = [first + dt.timedelta(days=i) for i in range((self.now - self.start).days)]
        # Per day, the vendors' shares of that day's tickets, and the day's share of all.
        mixes = [
            list(accumulate(c.profile.share * self._busy(c, day) for c in self.cast))
            for day in days
        ]
        growth = 0.2 / max(len(days) - 1, 1)
        weights = [
            mix[-1] * (0.9 + growth * i) * rng.uniform(0.85, 1.15) for i, mix in enumerate(mixes)
        ]
        cum = list(accumulate(weights))
        number, done = 0, 0
        for i, day in enumerate(days):
            upto = total if i == len(days) - 1 else round(total * cum[i] / cum[-1])
            count, done = upto - done, upto
            picks = [self.cast[self._pick(mixes[i], rng)] for _ in range(count)]
            arrivals = sorted((self._arrival(day, c), k) for k, c in enumerate(picks))
            for created, k in arrivals:
                number += 1
                yield self._ticket(number, created, picks[k])

    def _arrival(self, day: dt.date, c: _Cast) -> dt.datetime:
        """A time on `day`, local to the vendor's desk, peaking in office hours."""
        rng = self.rng
        cum = self.weekday_cum if self._busy(c, day) == 1.0 else self.weekend_cum
        for _ in range(10):
            hour = self._pick(cum, rng)
            local = dt.datetime(
                day.year,
                day.month,
                day.day,
                hour,
                rng.randrange(60),
                rng.randrange(60),
                tzinfo=c.zone,
            )
            created = local.astimezone(UTC)
            # The local day straddles UTC days: keep inside [start, now).
            if self.start <= created < self.now:
                return created
        return min(max(created, self.start), self.now - dt.timedelta(seconds=1))

    def _requester(self, c: _Cast, created: dt.datetime, g: float) -> tuple[str, str | None]:
        """Who asks; sometimes the same person again, in the same category, soon after their
        last ticket was resolved (a repeat). Returns (requester, category or None)."""
        rng = self.rng
        if c.recent and rng.random() < 0.015 + 0.04 * (1 - g):
            for _ in range(4):
                resolved, who, category = c.recent[rng.randrange(len(c.recent))]
                if resolved < created <= resolved + self.repeat_window:
                    return who, category
        # Skewed: a few people raise many tickets.
        return self.people[int(len(self.people) * rng.random() ** 1.7)], None

    def _ticket(self, number: int, created: dt.datetime, c: _Cast) -> _Made:
        rng, now, add = self.rng, self.now, sla.add_business_seconds
        t = (created - self.start).total_seconds() / self.span
        tech = c.technicians[self._pick(c.tech_cum, rng)]
        # One dial shapes every aspect of a ticket: the vendor's quality this month plus the
        # technician's skill; `g` is the same on a 0..1 scale for rates.
        z = c.quality(t) + tech.skill
        g = _goodness(z)
        priority = PRIORITIES[self._pick(self.priority_cum, rng)]
        response_minutes, resolution_minutes, clock = self.targets[c.vendor.pk][priority]
        requester, category = self._requester(c, created, g)
        category = category or self.categories[self._pick(self.category_cum, rng)]
        title = rng.choice(CATEGORIES[category][1])
        if priority == "P1" and rng.random() < 0.4:
            channel = "monitoring"
        else:
            channel = CHANNELS[self._pick(self.channel_cum, rng)]

        # Durations are drawn in business seconds, so a night or a weekend is waited out.
        response_target = response_minutes * 60
        mu = math.log(response_target) - SIG_RESPONSE * (z + 0.3)
        response = int(_clamp(rng.lognormvariate(mu, SIG_RESPONSE), 30, 20 * response_target))
        responded = add(clock, created, response)
        gap = int((responded - created).total_seconds())
        assigned = created + dt.timedelta(seconds=min(rng.randint(5, 300), max(1, gap // 2)))
        working = responded + dt.timedelta(seconds=rng.randint(0, 240))

        escalated = rng.random() < 0.05 + 0.19 * (1 - g) + (0.08 if priority == "P1" else 0)
        stalled = rng.random() < 0.002 + 0.01 * (1 - g)
        target = resolution_minutes * 60
        work = rng.lognormvariate(math.log(target) - SIG_RESOLUTION * z, SIG_RESOLUTION)
        if escalated:
            work *= rng.lognormvariate(math.log(1.7), 0.3)
        if stalled:
            work *= rng.uniform(3, 10)
        work = int(_clamp(work, response + 900, 12 * target))

        def during(share: float) -> dt.datetime:
            """A moment of the work, `share` of the way through it in business time, so
            that hand-overs and replies happen while the desk is open."""
            lead = response + 241  # business seconds, enough to be after `working`
            return add(clock, created, lead + int((work - lead) * share))

        name = tech.obj.name
        events = [
            _Ev(created, "created", "", "new", requester, False),
            _Ev(assigned, "assigned", "", name, "Dispatch"),
            _Ev(responded, "responded", "", "", name),
            _Ev(working, "status_change", "assigned", "in_progress", name),
        ]
        pauses = []
        if rng.random() < 0.10 + 0.04 * (1 - g):
            # A pause while work is under way; the resolution moves out by its business time.
            reason = PAUSE_REASONS[self._pick(self.pause_cum, rng)]
            began = during(rng.uniform(0.15, 0.75))
            length = _clamp(rng.lognormvariate(math.log(5 * 3600), 1.0), 600, 10 * 86_400)
            ended = began + dt.timedelta(seconds=int(length))
            pauses.append((began, ended))
            if reason == "on_hold":
                events.append(_Ev(began, "paused", "in_progress", "on_hold", name))
                events.append(_Ev(ended, "resumed", "on_hold", "in_progress", name))
            else:
                by_customer = reason == "pending_customer"
                events.append(_Ev(began, "status_change", "in_progress", reason, name))
                events.append(
                    _Ev(
                        ended,
                        "status_change",
                        reason,
                        "in_progress",
                        requester if by_customer else name,
                        not by_customer,
                    )
                )
        # The pause started before the work was done, so this lands after it ends.
        resolved = add(clock, created, work, pauses)
        handover = None
        if escalated:
            at = during(rng.uniform(0.1, 0.5))
            events.append(_Ev(at, "escalated", "L1", "L2", name))
            handover = at + dt.timedelta(seconds=60) if rng.random() < 0.45 else None
        elif rng.random() < 0.03 + 0.12 * (1 - g):
            handover = during(rng.uniform(0.05, 0.6))
        final = tech
        if handover is not None:
            while final is tech:
                final = c.technicians[self._pick(c.tech_cum, rng)]
            events.append(_Ev(handover, "assigned", name, final.obj.name, "Dispatch"))
        if rng.random() < 0.08 + 0.30 * (1 - g):
            # Back-and-forth with the requester: more than one reply spoils first contact.
            for _ in range(rng.randint(1, 3)):
                events.append(_Ev(during(rng.random()), "responded", "", "", name))
        events.append(_Ev(resolved, "resolved", "in_progress", "resolved", final.obj.name))
        if rng.random() < 0.01 + 0.09 * (1 - g):
            wait = _clamp(rng.lognormvariate(math.log(20 * 3600), 0.8), 600, 4 * 86_400)
            reopened = resolved + dt.timedelta(seconds=int(wait))
            more = int(_clamp(rng.lognormvariate(math.log(0.3 * target), 0.8), 600, 3 * target))
            resolved = add(clock, reopened, more)
            events.append(_Ev(reopened, "reopened", "resolved", "in_progress", requester, False))
            events.append(_Ev(resolved, "resolved", "in_progress", "resolved", final.obj.name))
        wait = _clamp(rng.lognormvariate(math.log(2 * 86_400), 0.5), 3600, 5 * 86_400)
        closed = resolved + dt.timedelta(seconds=int(wait))
        events.append(_Ev(closed, "closed", "resolved", "closed", "Auto-close", False))

        # What had happened by `now`: later events are cut, which leaves the ticket open.
        events.sort(key=lambda e: e.at)  # stable: same-instant events keep their order
        if closed >= now:
            events = [e for e in events if e.at < now]
        status, resolved_at, closed_at, technician = "new", None, None, tech.obj
        for e in events:
            kind = e.kind
            if kind == "assigned":
                status = "assigned" if status == "new" else status
                technician = final.obj if e.new_value == final.obj.name else tech.obj
            elif kind in ("status_change", "paused", "resumed"):
                status = e.new_value
            elif kind == "resolved":
                status, resolved_at = "resolved", e.at
            elif kind == "reopened":
                status, resolved_at = "in_progress", None
            elif kind == "closed":
                status, closed_at = "closed", e.at

        ticket = Ticket(
            source=DEMO_SOURCE,
            external_id=f"DEMO-{number:06d}",
            source_version="1",
            vendor=c.vendor,
            contract=c.contract,
            technician=technician,
            priority=priority,
            category=category,
            requester=requester,
            channel=channel,
            status=status,
            title=title,
            created_at=created,
            first_response_at=responded if responded < now else None,
            resolved_at=resolved_at,
            closed_at=closed_at,
            response_target_minutes=response_minutes,
            resolution_target_minutes=resolution_minutes,
        )
        ticket_apply_facts(
            ticket,
            events,
            book=self.book,
            now=now,
            technicians=self.technician_ids[c.vendor.pk].get,
        )

        survey = None
        if resolved_at is not None:
            c.recent.append((resolved_at, requester, category))
            if rng.random() < 0.25 + 0.08 * g:
                delay = _clamp(rng.lognormvariate(math.log(5 * 3600), 1.0), 120, 7 * 86_400)
                answered = resolved_at + dt.timedelta(seconds=int(delay))
                mean = 3.6 + 1.2 * g + c.profile.csat_shift
                mean -= 0.6 if ticket.resolution_met is False else 0
                mean -= 0.6 if ticket.reopen_count else 0
                score = int(_clamp(round(rng.gauss(mean, 0.8)), 1, 5))
                comment = ""
                if rng.random() < 0.3:
                    comment = rng.choice(COMMENTS_GOOD if score >= 4 else COMMENTS_BAD)
                if answered < now:
                    survey = (score, comment, answered)
        return _Made(ticket, events, survey)


# --- writing --------------------------------------------------------------------------------

EVENT_COLUMNS = ("ticket_id", "at", "seq", "kind", "old_value", "new_value", "actor", "by_vendor")
SURVEY_COLUMNS = ("ticket_id", "score", "scale", "comment", "answered_at")


def _write_chunk(
    chunk: list[_Made], summary: DemoSummary, progress: Callable[[int], None] | None
) -> None:
    with transaction.atomic():
        Ticket.objects.bulk_create([m.ticket for m in chunk], batch_size=BATCH_SIZE)
        events, surveys = [], []
        for m in chunk:
            pk = m.ticket.pk
            events.extend((pk, e.at, seq, *e[1:]) for seq, e in enumerate(m.events))
            if m.survey is not None:
                score, comment, answered = m.survey
                surveys.append((pk, score, 5, comment, answered))
        _insert(TicketEvent, EVENT_COLUMNS, events)
        _insert(SurveyResponse, SURVEY_COLUMNS, surveys)
    summary.tickets += len(chunk)
    summary.events += len(events)
    summary.surveys += len(surveys)
    reset_queries()  # with DEBUG on, Django keeps every query: keep memory flat
    if progress is not None:
        progress(len(chunk))


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


# --- small helpers --------------------------------------------------------------------------


def _dotted(name: str) -> str:
    return name.lower().replace(" ", ".")


def _clamp(value: float, low: float, high: float) -> float:
    return low if value < low else high if value > high else value


def _goodness(z: float) -> float:
    """The quality dial on 0 (poor, z 0.4) .. 1 (excellent, z 2.2)."""
    return _clamp((z - 0.4) / 1.8, 0.0, 1.0)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), UTC)


def _progress(at: dt.datetime, start: dt.datetime, end: dt.datetime) -> float:
    return _clamp((at - start).total_seconds() / max((end - start).total_seconds(), 1), 0, 1)
