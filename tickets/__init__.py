"""What happened: tickets, their events and facts, and how they get in. Uses `vendors` (and
`common`) and never imports `scorecards`: it sends what changed as the signal
`vendor_figures_changed` (vendors/signals.py), and scorecards marks those periods dirty.

- `models`: Ticket (with its derived SLA facts), TicketEvent, SurveyResponse, Outage,
  AttributionRule, SourceMapping, ImportRun.
- `facts`: METRICS.md's ticket facts (response, resolution, pauses, FCR, reopens, repeats),
  pure Python; `services` derives and stores them with the SLA clock (`vendors.sla`).
- `ingest/`: one reader per source format and the one upsert every way in shares (files, the
  import page and command, `POST /api/v1/tickets/bulk`); see its own docstring.
- `selectors`: one ticket as the ticket page shows it (timeline, pauses, both clocks).
- `demo/`: the demo world's tickets (`seed_demo`, a scorecards command, seeds the rest).
- pages (`views/`: imports, survey links; `page_urls`), API (`apis/`: bulk upsert, tickets,
  events, survey answers, outages; `filters`, `selectors_api`), `admin`, `tasks`, commands
  (`import_tickets`, `demo_banner`). The breach, ticket and dispute pages and the
  breach endpoint are the scorecards': they show disputes.
"""
