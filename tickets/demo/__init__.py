"""A believable demo world: five vendors with distinct profiles and months of their tickets.

`seed_demo_world` creates calendars, SLA policies, vendors with a contract each (weights, credit
tiers), technicians, tickets with their events and survey answers, outages, monthly invoices
and one login per role. Every ticket's facts come from the project's own derivation
(`tickets.services.ticket_apply_facts`), so the demo shows what real imports would.

The world is a pure function of (seed, tickets, months, until, and the moment of seeding when
`until` is today): one `random.Random(seed)` drives every choice, consumed in a fixed order, and
only `manage.py seed_demo` reads the wall clock. Tickets are made in creation order and written
in chunks (one transaction each), so memory stays flat and a million tickets take minutes; on
PostgreSQL events and surveys go in through COPY.

Modules, callers import from them directly:
- `world`: the entry points, `seed_demo_world`, `demo_world_exists`, `demo_flush`.
- `profiles`: the vendors' profiles, calendars, SLA policies and credit tiers, as plain data.
- `reference`: turns the profiles into vendors, contracts and technicians, with their outages
  and invoices.
- `logins`: one demo login per role.
- `generator`: the tickets, their events and survey answers.
- `writer`: stores the tickets in chunks, COPY on PostgreSQL.
- `arithmetic`: small pure helpers the others share.
"""
