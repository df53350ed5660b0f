"""Ticket pages (breaches, tickets, disputes, imports); the API is in tickets/urls.py."""

from __future__ import annotations

from tickets.views import breaches, imports

urlpatterns = [*breaches.urlpatterns, *imports.urlpatterns]
