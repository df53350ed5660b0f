"""REST API v1 on SLA breaches: alerts that an open ticket's target is due soon or breached,
the tickets with a breached target (with the periods each breach counts in), and vendors'
disputes of breaches, which vendors' users raise and managers decide, as on the pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import (
    VISIBILITY_BRIEF,
    ActionRoles,
    CreatedCursorPagination,
    list_schema,
    read_schema,
    valid_input,
    write_schema,
)
from common.periods import Period, PeriodKind
from common.roles import MANAGER, VENDOR
from common.viewsets import VisibleListViewSet, VisibleReadViewSet
from scorecards import selectors_api
from scorecards.filters import AlertFilter, BreachFilter, DisputeFilter
from scorecards.models import Alert, Dispute, SlaTargetKind
from scorecards.services import dispute_decide, dispute_raise
from tickets import selectors_api as tickets_api
from tickets.models import Ticket

# --- alerts -------------------------------------------------------------------------------------


class AlertOut(serializers.ModelSerializer):
    ticket = serializers.IntegerField(source="ticket_id", help_text="Ticket id.")
    ticket_external_id = serializers.CharField(source="ticket.external_id")
    vendor = serializers.IntegerField(source="vendor_id", help_text="Vendor id.")

    class Meta:
        model = Alert
        fields = [
            "id",
            "ticket",
            "ticket_external_id",
            "vendor",
            "target",
            "threshold",
            "due_at",
            "created_at",
            "emailed_at",
            "acknowledged_at",
        ]


@read_schema(
    listing=(
        "List breach alerts",
        "Warnings that an open ticket's target is due soon or breached, newest first.",
    ),
    one=("One alert", "An alert."),
    visibility=VISIBILITY_BRIEF,
)
class AlertViewSet(VisibleReadViewSet):
    serializer_class = AlertOut
    filterset_class = AlertFilter
    visible_to = staticmethod(selectors_api.alerts_for_api)
    lookup_value_regex = "[0-9]+"


# --- disputes -----------------------------------------------------------------------------------


class DisputeOut(serializers.ModelSerializer):
    ticket = serializers.IntegerField(source="ticket_id", help_text="Ticket id.")
    ticket_external_id = serializers.CharField(source="ticket.external_id")
    vendor = serializers.IntegerField(source="ticket.vendor_id", help_text="Vendor id.")
    raised_by = serializers.CharField(source="raised_by.get_username")
    decided_by = serializers.SerializerMethodField()

    class Meta:
        model = Dispute
        fields = [
            "id",
            "ticket",
            "ticket_external_id",
            "vendor",
            "target",
            "status",
            "reason",
            "raised_by",
            "raised_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]

    def get_decided_by(self, dispute: Dispute) -> str | None:
        return dispute.decided_by.get_username() if dispute.decided_by else None


class DisputeIn(serializers.Serializer):
    ticket = serializers.IntegerField(
        min_value=1, help_text="Id of the ticket whose breach is disputed."
    )
    target = serializers.ChoiceField(choices=SlaTargetKind.choices)
    reason = serializers.CharField(help_text="Why the breach was not the vendor's fault.")


class DecisionIn(serializers.Serializer):
    decision = serializers.ChoiceField(
        choices=["accept", "reject"],
        help_text="accept: the breach is excluded from the SLA figures; reject: it keeps counting.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


@read_schema(
    listing=("List disputes", "Vendors' disputes of SLA breaches, newest first."),
    one=("One dispute", "A dispute."),
    visibility=VISIBILITY_BRIEF,
    create=write_schema(
        "Raise a dispute",
        "A vendor's user contests a breach of one of its vendor's tickets; the "
        "breach keeps counting until a manager accepts. One live dispute per breach.",
        body=DisputeIn,
        answer=DisputeOut,
    ),
    decision=write_schema(
        "Decide a dispute",
        "A manager accepts an open dispute (the breach is excluded from the SLA "
        "figures at the next recompute) or rejects it (it keeps counting).",
        body=DecisionIn,
        answer=DisputeOut,
        status=200,
    ),
)
class DisputeViewSet(mixins.CreateModelMixin, VisibleReadViewSet):
    """Reads for every role; vendors' users raise, managers decide, as on the pages."""

    serializer_class = DisputeOut
    permission_classes = [ActionRoles]
    action_roles = {"create": (VENDOR,), "decision": (MANAGER,)}
    filterset_class = DisputeFilter
    visible_to = staticmethod(selectors_api.disputes_for_api)
    lookup_value_regex = "[0-9]+"

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = valid_input(DisputeIn, request)
        ticket = tickets_api.ticket_get_visible(user=request.user, ticket_id=data["ticket"])
        if ticket is None:
            raise ValidationError({"ticket": ["No such ticket."]})
        # A refusal by the service is a 400 naming its fields (common.api.exception_handler).
        dispute = dispute_raise(
            ticket=ticket, target=data["target"], reason=data["reason"], user=request.user
        )
        return Response(self.visible_data(dispute), status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def decision(self, request: Request, pk: str | None = None) -> Response:
        dispute = self.get_object()
        data = valid_input(DecisionIn, request)
        dispute_decide(
            dispute=dispute,
            accept=data["decision"] == "accept",
            note=data["note"],
            user=request.user,
        )
        return Response(self.visible_data(dispute))


# --- breaches (tickets with a breached target, and their disputes) ---


class BreachPeriodsOut(serializers.Serializer):
    week = serializers.CharField(help_text="e.g. 2026-W48")
    month = serializers.CharField(help_text="e.g. 2026-11")
    quarter = serializers.CharField(help_text="e.g. 2026-Q4")


class BreachTargetOut(serializers.Serializer):
    breached = serializers.BooleanField()
    due_at = serializers.DateTimeField()
    outcome_at = serializers.DateTimeField(
        allow_null=True, help_text="When the outcome became final (the due time if breached)."
    )
    attributed_to = BreachPeriodsOut(
        allow_null=True,
        help_text="The periods the breach counts in: those in which its due time passed, "
        "in the reporting time zone (METRICS.md, attribution). Null when not breached.",
    )
    excluded = serializers.BooleanField(help_text="A manager accepted a dispute of it.")
    dispute_status = serializers.CharField(
        allow_null=True, help_text="The latest dispute's status: open, accepted or rejected."
    )


class BreachOut(serializers.Serializer):
    ticket = serializers.IntegerField(source="pk", help_text="Ticket id.")
    source = serializers.CharField()
    external_id = serializers.CharField()
    vendor = serializers.IntegerField(source="vendor_id")
    contract = serializers.IntegerField(source="contract_id")
    priority = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    response = serializers.SerializerMethodField()
    resolution = serializers.SerializerMethodField()

    @extend_schema_field(BreachTargetOut)
    def get_response(self, ticket: Ticket) -> dict:
        return _breach_target(ticket, "response")

    @extend_schema_field(BreachTargetOut)
    def get_resolution(self, ticket: Ticket) -> dict:
        return _breach_target(ticket, "resolution")


def _breach_target(ticket: Ticket, kind: str) -> dict:
    breached = getattr(ticket, f"{kind}_met") is False
    outcome_at = getattr(ticket, f"{kind}_outcome_at")
    attributed = None
    if breached and outcome_at is not None:
        zone = settings.REPORTING_TIME_ZONE
        attributed = {k.value: Period.at(k, outcome_at, zone).label for k in PeriodKind}
    disputes = [d for d in ticket.disputes.all() if d.target == kind]
    return {
        "breached": breached,
        "due_at": getattr(ticket, f"{kind}_due_at"),
        "outcome_at": outcome_at,
        "attributed_to": attributed,
        "excluded": getattr(ticket, f"{kind}_excluded"),
        "dispute_status": disputes[0].status if disputes else None,
    }


@list_schema(
    "List SLA breaches",
    "Tickets with a breached response or resolution target, newest first, "
    "cursor-paginated; each target with its due time, when it became final and the periods "
    "it is attributed to (the due time's period, even while the ticket is open)."
    + VISIBILITY_BRIEF,
)
class BreachViewSet(VisibleListViewSet):
    serializer_class = BreachOut
    pagination_class = CreatedCursorPagination
    filterset_class = BreachFilter
    visible_to = staticmethod(selectors_api.breaches_for_api)
