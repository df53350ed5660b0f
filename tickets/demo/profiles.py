"""The demo vendors' profiles and what their contracts run on: business calendars, SLA policies
with their targets and credit tiers, and the names technicians and requesters are made from.
Plain data; `tickets.demo.reference` turns it into rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


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

# Technicians are named from these, and requesters get e-mail addresses made of them.
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
