"""Computes every METRICS.md figure of one vendor, its contracts and technicians, in SQL.

For one period kind and a run of periods, each family of figures is one GROUP BY query at the
finest grain (period x contract x technician) whose rows are summed up to the three subjects;
only percentiles, which do not add up, get a query per subject kind. So the cost is a fixed
number of queries per vendor and period kind, and no Python loop ever visits a ticket.

A technician's response figures (responses, response times, response outcomes) are grouped by
who held the ticket when it was answered (`response_technician`, else `technician`), the rest
by `technician`, the ticket's resolver (METRICS.md, Attribution). Vendor and contract sums do
not depend on the technician, so they are the same either way.

What is stored follows the tickets: a technician with no ticket in a period has no figures
for it, and a vendor or contract only the counts that say "no tickets" and the backlog carried
through (besides figures from outages and records beyond tickets).

Modules, from the entry point down:

- `vendor`: `compute_vendor`, the entry point: sums the daily totals into periods and
  subjects, adds backlog, uptime, invoices and business days, and scores every subject.
- `daily`: `daily_totals`, the additive sums per (local day, contract, technician); on
  PostgreSQL from one temporary copy of the vendor's tickets, which also feeds each period
  kind's percentiles and backlog ages.
- `snapshot`: the same on SQLite, from one read of the vendor's tickets into Python.
- `distributions`: medians, 90th percentiles and backlog ages, the figures that do not add
  up, through the ORM (SQLite included) and in SQL on PostgreSQL.
- `formulas`: figures, scores and service credits from those sums; pure math, no Django.
- `results`: what a computation takes and returns (subject kinds, `Figure`, `Result`,
  `Overrides`); plain data, no Django.
"""
