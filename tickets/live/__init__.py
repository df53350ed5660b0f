"""Live sources: pull tickets from ServiceNow, Jira Service Management and Zendesk.

A source is a `tickets.models.LiveSource`: kind, base URL, API user, encrypted secret, filter,
time zone, interval, cursor, an optional webhook secret and a run lease; its name is also the
ingest source name, so its attribution rules are those of
`tickets.ingest.services.attribution_rule_set(source=...)`.

- `connectors`: the contract every connector keeps (pages of tickets with the cursor to commit,
  where a run starts, Test connection) and the connectors by kind.
- `http`: what every connector shares: one httpx client per run, Retry-After, backoff and
  retries, the errors a manager can act on, URLs without credentials.
- `servicenow` / `servicenow_tickets`: the Table API (incidents by `sys_updated_on`, pages by
  `Link`; state history from `sys_audit`, names from `sys_user_group`/`sys_user`, verdicts from
  `task_sla`) and incidents as tickets, through the event-log reader's own history function.
- `jira` / `jira_tickets`: `/rest/api/3/search/jql` (issues by `updated`, pages by
  `nextPageToken`, the changelog, Jira Service Management's SLAs) and issues as tickets.
- `zendesk` / `zendesk_tickets`: the cursor-based incremental ticket export (metric sets
  sideloaded) and each changed ticket's audits, and tickets as ours.
- `sync`: a source's run (`manage.py sync_source`, the sources page, the schedule): each page
  upserted with `ingest_records` and committed with the cursor; the run lease; one ImportRun.
- `schedule`: which sources are due a run (Celery beat asks every minute).
- `webhooks`: verifying signed deliveries (Jira, Zendesk, a ServiceNow business rule).
- `credentials`: secrets encrypted at rest (MultiFernet over SOURCE_SECRET_KEYS), key rotation.
- `services` / `selectors`: writes (create, pause, re-backfill, Test connection) and reads
  (the sources pages) of sources.
"""
