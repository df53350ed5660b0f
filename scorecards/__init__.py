"""Figures: computed, scored, stored and shown. The top layer: uses `tickets`, `vendors` and
`common`; nothing imports it but `config`, which wires it.

A figure, in one hop each:
- defined: METRICS.md, and its code, unit and direction in `vendors.metrics`;
- computed: `compute/` (daily sums, distributions, formulas, per vendor), scored by `scoring`
  (Wilson, marks, grades, credits), recomputed by `services` (`scorecards_recompute_vendor`,
  dirty periods, closes, restatements, what-if) and `tasks` (nightly, per vendor);
- stored: `models` (MetricValue, Scorecard; DirtyPeriod, ClosedPeriod, Restatement);
- shown: `views/` (portfolio, vendor_scorecard, team, breaches, packs, recompute, bands) with
  `charts` (Plotly) and `selectors`; the review pack in `packs/`;
- served: `apis/` (scorecards, money: credits, cost per ticket and savings; breaches: alerts,
  disputes, breaches; review: action items; ratings) with `filters` and `selectors_api`.

Also here: disputes of breaches (`services`, `breach_selectors`), breach alerts (`alerts`),
savings (`savings`), recompute runs behind the recompute page (`recompute_runs`), the first-run
checklist of the set-up index (`first_run`, `views/first_run.py`); the review's ratings and
reference bands (`services_ratings`, `selectors_ratings`); the `seed_demo` command with the
demo's ratings and bands (`demo_ratings`).
"""
