"""Shared plumbing with no domain knowledge, the lowest layer: every app may import it, it
imports none of them.

- `roles`: the three roles as Django groups, and a user's role;
- `pages`: `page_for` (the role check of every page) and the reporting calendar's today;
- `periods`: reporting weeks, months and quarters, cut in REPORTING_TIME_ZONE;
- `api`: what every /api/v1/ endpoint shares (permissions, pagination, money, exports,
  schema helpers, errors); `viewsets`: the bases of the read-only endpoints listing what a
  user may see;
- `filters`: filter pieces shared by the apps' FilterSets;
- `exports`: CSV and XLSX writing that never lets a cell start a spreadsheet formula;
- `tasks`: the delivery and retry options every Celery task shares;
- `views`: the health probe and the home page's redirect by role.
"""
