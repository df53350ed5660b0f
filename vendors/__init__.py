"""Who and what was promised: the lowest domain layer (it imports only `common`).

- `models`: Vendor, Contract (fees, baseline, score weights, credit tiers), SlaPolicy with its
  per-priority SlaTarget, BusinessCalendar with OpenInterval and Holiday, Technician, Invoice,
  VendorMembership (a vendor's users), ApiToken, AuditEntry; and the ticket vocabulary SLA
  policies name (Priority, TicketStatus).
- `sla`: the SLA business-time clock, pure Python (no Django).
- `metrics`: the metric registry, every METRICS.md figure's code, unit and direction, which
  contracts' weights and credit tiers name.
- `selectors`: `vendors_visible_to`, the one rule of who may see which vendor; other reads.
- `services`, `services_api`: writes (API tokens; invoices from the API).
- `audit`: the audit trail (each app registers its audited models with `audit.track`).
- `signals`: `vendor_figures_changed`, how tickets and invoices tell scorecards what changed.
- `auth`: API token authentication and rate limits.
- pages (`views`, `urls`: API tokens, audit trail), API (`apis`, `filters`, `selectors_api`),
  admin (`admin`, `audit_admin`; the vendor admin page is tickets' as it shows attribution
  rules), `context_processors` (the navigation every page's layout needs).
"""
