"""The demo world's reference data: calendars, SLA policies, vendors with a contract each
(weights, credit tiers) and their technicians, then each vendor's outages and monthly invoices.
`Cast` holds one vendor with what its tickets need."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import accumulate
from zoneinfo import ZoneInfo

from tickets.demo.arithmetic import UTC, add_months, clamp, goodness, midnight
from tickets.demo.profiles import (
    CALENDARS,
    CREDIT_TIERS,
    FIRST_NAMES,
    LAST_NAMES,
    POLICIES,
    PROFILES,
    Profile,
)
from tickets.demo.writer import BATCH_SIZE
from tickets.models import Outage
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
)


@dataclass
class _Tech:
    obj: Technician
    skill: float  # added to the vendor's quality dial on this technician's tickets


@dataclass
class Cast:
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


def create_reference_data(
    rng: random.Random, *, first_day: dt.date, tickets: int, months: int
) -> list[Cast]:
    """Creates the calendars, policies, vendors, contracts and technicians; returns the cast."""
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
            start_date=add_months(first_day, -12),
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
            Cast(
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


def create_outages(
    rng: random.Random, cast: list[Cast], *, first_day: dt.date, now: dt.datetime
) -> int:
    """Each vendor's finished outages, month by month: its own failures, now and then a third
    party's, and a monthly maintenance window."""
    outages = []
    for c in cast:
        month = first_day
        while (start := midnight(month)) < now:
            end = min(midnight(add_months(month, 1)), now)
            t = _progress(start, midnight(first_day), now)
            g = goodness(c.quality(t))
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
            month = add_months(month, 1)
    outages = [o for o in outages if o is not None]
    Outage.objects.bulk_create(outages, batch_size=BATCH_SIZE)
    return len(outages)


def _outage(rng, c: Cast, start, end, minutes: float, what: str, *, caused: bool):
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


def create_invoices(
    rng: random.Random, cast: list[Cast], *, first_day: dt.date, months: int
) -> int:
    """One invoice per vendor per month, billed in advance in the contract's currency; some
    months carry out-of-scope extras."""
    invoices = []
    for c in cast:
        fee = c.contract.monthly_fee
        for i in range(months):
            start = add_months(first_day, i)
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
                    period_end=add_months(start, 1) - dt.timedelta(days=1),
                    amount=fee + extras,
                    currency=c.contract.currency,
                    reference=f"INV-{c.profile.prefix}-{start:%Y%m}",
                    issued_on=start,
                )
            )
    Invoice.objects.bulk_create(invoices, batch_size=BATCH_SIZE)
    return len(invoices)


def _dotted(name: str) -> str:
    return name.lower().replace(" ", ".")


def _progress(at: dt.datetime, start: dt.datetime, end: dt.datetime) -> float:
    return clamp((at - start).total_seconds() / max((end - start).total_seconds(), 1), 0, 1)
