"""REST API v1 on stored figures, review packs and SLA breaches; every queryset comes from
`scorecards.selectors_api`, which starts from the vendors the user may see.

- `scorecards`: scorecards with their chosen metrics' figures.
- `money`: service credits, cost per ticket and savings.
- `review`: the review packs' action items.
- `breaches`: breach alerts, breached tickets and disputes of breaches.
"""
