"""Set-up pages for managers: SLA policies (from templates) with targets; business calendars."""

from __future__ import annotations

urlpatterns: list = []
