"""Ticket pages (imports, live sources, survey links); API: config/api_urls.py. The breach,
ticket and dispute pages are the scorecards' (scorecards/views/breaches.py): they show disputes."""

from __future__ import annotations

from tickets.views import imports, sources, survey

urlpatterns = [*imports.urlpatterns, *sources.urlpatterns, *survey.urlpatterns]
