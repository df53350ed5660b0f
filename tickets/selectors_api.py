"""Reads for the REST API about tickets, their events, surveys and outages.

Each one starts from the vendors the user may see (`vendors.selectors`), so a filter applied
later only narrows it; ticket lists are cursor-paginated newest first, over the (vendor,
created_at) index for one vendor and the (created_at, id) index across all of them.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tickets.models import Outage, SurveyResponse, Ticket, TicketEvent
from vendors.selectors import vendor_ids_visible_to, vendor_scope_q

BREACHED = Q(response_met=False) | Q(resolution_met=False)


def tickets_for_api(*, user) -> QuerySet[Ticket]:
    # No vendor subquery for managers and finance: with one, the newest-first page of all
    # vendors' tickets could not walk the created_at index and read the whole table.
    return Ticket.objects.filter(vendor_scope_q(user))


def ticket_get_visible(*, user, ticket_id: int) -> Ticket | None:
    return tickets_for_api(user=user).filter(pk=ticket_id).first()


def ticket_find_visible(*, user, source: str, external_id: str) -> Ticket | None:
    return tickets_for_api(user=user).filter(source=source, external_id=external_id).first()


def ticket_events_for_api(*, ticket: Ticket) -> QuerySet[TicketEvent]:
    return TicketEvent.objects.filter(ticket=ticket)


def surveys_for_api(*, user) -> QuerySet[SurveyResponse]:
    return (
        SurveyResponse.objects.filter(ticket__vendor_id__in=vendor_ids_visible_to(user))
        .select_related("ticket")
        .order_by("-answered_at", "-pk")
    )


def outages_for_api(*, user) -> QuerySet[Outage]:
    return Outage.objects.filter(vendor_id__in=vendor_ids_visible_to(user)).order_by(
        "-started_at", "-pk"
    )
