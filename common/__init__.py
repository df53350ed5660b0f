"""Shared plumbing with no domain knowledge, the lowest layer: every app may import it, it
imports none of them.

- `roles`: the three roles as Django groups, and a user's role;
- `pages`: `page_for` (the role check of every page) and the reporting calendar's today;
- `periods`: reporting weeks, months and quarters, cut in REPORTING_TIME_ZONE;
- `api`: what every /api/v1/ endpoint shares (permissions, pagination, money, exports,
  the base viewsets of the read-only vendor-scoped endpoints, errors);
- `filters`: filter pieces shared by the apps' FilterSets;
- `exports`: CSV and XLSX writing that never lets a cell start a spreadsheet formula;
- `tasks`: the delivery and retry options every Celery task shares.
"""
