"""Ticket pages (breaches, tickets, disputes, imports, survey links); API: config/api_urls.py."""

from __future__ import annotations

from tickets.views import breaches, imports, survey

urlpatterns = [*breaches.urlpatterns, *imports.urlpatterns, *survey.urlpatterns]
