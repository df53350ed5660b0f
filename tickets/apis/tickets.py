"""REST API v1: tickets with their SLA facts, a ticket's events, survey answers (which
managers also record) and outages. Reads go through `tickets.selectors_api`, which starts from
the vendors the user may see. Breaches, with their disputes, are the scorecards'."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import (
    AwareDateTimeField,
    CreatedCursorPagination,
    ReadRolesWriteRoles,
    list_schema,
    read_schema,
    valid_input,
    write_schema,
)
from common.roles import ALL_ROLES, MANAGER
from common.viewsets import VisibleListViewSet, VisibleReadViewSet
from tickets import selectors_api
from tickets.filters import OutageFilter, SurveyFilter, TicketFilter
from tickets.models import Outage, SurveyResponse, Ticket, TicketEvent
from tickets.services import survey_answer_record


class TicketOut(serializers.ModelSerializer):
    vendor = serializers.IntegerField(source="vendor_id", help_text="Vendor id.")
    contract = serializers.IntegerField(source="contract_id", help_text="Contract id.")
    technician = serializers.IntegerField(
        source="technician_id", allow_null=True, help_text="Technician id."
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "source",
            "external_id",
            "vendor",
            "contract",
            "technician",
            "priority",
            "category",
            "channel",
            "status",
            "title",
            "created_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "response_target_minutes",
            "resolution_target_minutes",
            "response_due_at",
            "resolution_due_at",
            "response_seconds",
            "resolution_seconds",
            "resolution_seconds_raw",
            "paused_seconds",
            "response_met",
            "resolution_met",
            "response_excluded",
            "resolution_excluded",
            "reopen_count",
            "escalated",
            "reassignment_count",
            "first_contact_resolution",
            "repeat",
        ]


@read_schema(
    listing=(
        "List tickets",
        "Tickets with their SLA facts (METRICS.md), newest first, cursor-paginated. "
        "`response_met`/`resolution_met` are null while pending.",
    ),
    one=("One ticket", "A ticket."),
)
class TicketViewSet(VisibleReadViewSet):
    serializer_class = TicketOut
    pagination_class = CreatedCursorPagination
    filterset_class = TicketFilter
    visible_to = staticmethod(selectors_api.tickets_for_api)
    lookup_value_regex = "[0-9]+"


class TicketEventOut(serializers.ModelSerializer):
    ticket = serializers.IntegerField(source="ticket_id", help_text="Ticket id.")

    class Meta:
        model = TicketEvent
        fields = [
            "id",
            "ticket",
            "at",
            "seq",
            "kind",
            "old_value",
            "new_value",
            "actor",
            "by_vendor",
        ]


class EventCursorPagination(CreatedCursorPagination):
    ordering = ("at", "seq", "id")


@list_schema(
    "A ticket's events",
    "The ticket's event timeline, oldest first, cursor-paginated. 404 for a "
    "ticket the user may not see.",
)
class TicketEventViewSet(VisibleListViewSet):
    serializer_class = TicketEventOut
    pagination_class = EventCursorPagination
    queryset = TicketEvent.objects.none()  # for the schema; get_queryset narrows per user

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return TicketEvent.objects.none()
        ticket = selectors_api.ticket_get_visible(
            user=self.request.user, ticket_id=self.kwargs["ticket_id"]
        )
        if ticket is None:
            raise Http404("No such ticket.")
        return selectors_api.ticket_events_for_api(ticket=ticket)


class SurveyOut(serializers.ModelSerializer):
    ticket = serializers.IntegerField(source="ticket_id", help_text="Ticket id.")
    ticket_source = serializers.CharField(source="ticket.source")
    ticket_external_id = serializers.CharField(source="ticket.external_id")
    vendor = serializers.IntegerField(source="ticket.vendor_id", help_text="Vendor id.")

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "ticket",
            "ticket_source",
            "ticket_external_id",
            "vendor",
            "score",
            "scale",
            "comment",
            "answered_at",
        ]


class SurveyIn(serializers.Serializer):
    ticket = serializers.IntegerField(
        required=False, min_value=1, help_text="Ticket id (or give source and external_id)."
    )
    source = serializers.CharField(required=False, max_length=80)
    external_id = serializers.CharField(required=False, max_length=120)
    score = serializers.IntegerField(min_value=1, max_value=5, help_text="1 (bad) .. 5 (good).")
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    answered_at = AwareDateTimeField(
        required=False, help_text="With its offset; default: now. Not before the ticket."
    )

    def validate(self, data: dict) -> dict:
        by_id = "ticket" in data
        by_source = "source" in data or "external_id" in data
        if by_id == by_source:
            raise serializers.ValidationError(
                {"ticket": "Give the ticket's id, or its source and external_id (not both)."}
            )
        if by_source and not (data.get("source") and data.get("external_id")):
            missing = "external_id" if data.get("source") else "source"
            raise serializers.ValidationError({missing: "Give both source and external_id."})
        return data


@read_schema(
    listing=("List survey answers", "Customer survey answers, newest first."),
    one=("One survey answer", "An answer."),
    create=write_schema(
        "Record a survey answer",
        "Managers (and integrations with a manager's token) post a ticket's CSAT "
        "answer, 1..5. One answer per ticket: a second one is a 400 naming `ticket`. Every "
        "400 names the field at fault.",
        body=SurveyIn,
        answer=SurveyOut,
    ),
)
class SurveyViewSet(mixins.CreateModelMixin, VisibleReadViewSet):
    serializer_class = SurveyOut
    permission_classes = [ReadRolesWriteRoles]
    read_roles = ALL_ROLES
    write_roles = (MANAGER,)
    filterset_class = SurveyFilter
    visible_to = staticmethod(selectors_api.surveys_for_api)
    lookup_value_regex = "[0-9]+"

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = valid_input(SurveyIn, request)
        if "ticket" in data:
            ticket = selectors_api.ticket_get_visible(user=request.user, ticket_id=data["ticket"])
        else:
            ticket = selectors_api.ticket_find_visible(
                user=request.user, source=data["source"], external_id=data["external_id"]
            )
        if ticket is None:
            raise ValidationError({"ticket": ["No such ticket."]})
        try:
            answer = survey_answer_record(
                ticket=ticket,
                score=data["score"],
                comment=data["comment"],
                answered_at=data.get("answered_at"),
            )
        except DjangoValidationError as exc:
            errors = getattr(exc, "message_dict", {"ticket": exc.messages})
            raise ValidationError(errors) from None
        return Response(SurveyOut(answer).data, status=status.HTTP_201_CREATED)


class OutageOut(serializers.ModelSerializer):
    vendor = serializers.IntegerField(source="vendor_id", help_text="Vendor id.")
    contract = serializers.IntegerField(source="contract_id", allow_null=True)

    class Meta:
        model = Outage
        fields = [
            "id",
            "vendor",
            "contract",
            "service",
            "started_at",
            "ended_at",
            "vendor_caused",
            "scheduled_maintenance",
            "description",
        ]


@read_schema(
    listing=(
        "List outages",
        "Service outages (uptime_pct counts vendor-caused ones outside scheduled maintenance).",
    ),
    one=("One outage", "An outage."),
)
class OutageViewSet(VisibleReadViewSet):
    serializer_class = OutageOut
    filterset_class = OutageFilter
    visible_to = staticmethod(selectors_api.outages_for_api)
    lookup_value_regex = "[0-9]+"
