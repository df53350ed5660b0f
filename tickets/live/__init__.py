"""Live sources: pull tickets from ServiceNow, Jira Service Management and Zendesk.

A source is a `tickets.models.LiveSource`: kind, base URL, API user, encrypted secret, filter,
time zone, interval and cursor; its name is also the ingest source name, so its attribution
rules are those of `tickets.ingest.services.attribution_rule_set(source=...)`.

- `credentials`: the secret encrypted at rest (MultiFernet over SOURCE_SECRET_KEYS), set,
  read (by connectors only) and key rotation (`manage.py rotate_source_keys`).
- `services`: creating and updating a source (`manage.py add_source`).
- `http`: what every connector shares: one httpx client per run, Retry-After, backoff and retries,
  the errors a manager can act on, URLs without credentials.
- `servicenow`: the ServiceNow Table API client (incidents by `sys_updated_on`, pages by `Link`).
- `sync`: a source's run (`manage.py sync_source`): incidents as tickets, each page upserted
  with `ingest_records` and committed with the source's cursor; one ImportRun per run.
"""
