"""REST API v1 for tickets.

- `bulk`: the bulk upsert (POST /api/v1/tickets/bulk) and its schema.
- `tickets`: tickets and their events, survey answers and outages.
"""
