"""Ticket endpoints, included under api/v1/."""

from __future__ import annotations

from django.urls import path

from tickets.apis import TicketBulkApi

app_name = "tickets"

urlpatterns = [
    path("tickets/bulk", TicketBulkApi.as_view(), name="bulk"),
]
