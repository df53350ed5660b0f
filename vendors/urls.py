"""Vendors' pages: API tokens (every role), the audit trail and the set-up pages (managers).
Each area's module in vendors/views/ lists its own patterns."""

from __future__ import annotations

from vendors.views import account, setup_sla, setup_vendors

urlpatterns = [*account.urlpatterns, *setup_vendors.urlpatterns, *setup_sla.urlpatterns]
