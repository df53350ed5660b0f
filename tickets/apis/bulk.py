"""REST API v1: the bulk upsert of tickets (POST /api/v1/tickets/bulk), up to 1,000 tickets
with their events and survey answers, upserted by (source, external_id) through the same
ingest as file imports; and its OpenAPI schema."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_serializer, extend_schema_view
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from common.api import AwareDateTimeField
from common.roles import MANAGER
from tickets.ingest.records import (
    CHANNELS,
    EVENT_KINDS,
    PRIORITIES,
    STATUSES,
    EventRecord,
    RowError,
    SurveyRecord,
    TicketRecord,
)
from tickets.ingest.upsert import ERROR, UNMAPPED, AttributedRecord, ItemResult, ingest_records
from tickets.models import ImportFormat, ImportRun, Ticket
from vendors.models import Contract

MAX_TICKETS = 1000


class IsManager(BasePermission):
    """Writes are for managers (and superusers); finance and vendors only read."""

    message = "Only managers may import tickets."

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(
            user.is_superuser or (user.is_active and user.groups.filter(name=MANAGER).exists())
        )


class TicketBulkApi(APIView):
    """Up to 1,000 tickets with their events, upserted by (source, external_id).

    Each ticket names its vendor either through `attribution` (the source's group, mapped by
    the source's attribution rules) or directly with `vendor` (slug) and `contract` (id).
    The answer lists every ticket's result: created, updated, unchanged or error.
    """

    permission_classes = [IsAuthenticated, IsManager]
    # Tickets are nested objects: only JSON carries them (a form post is a 415, as documented).
    parser_classes = [JSONParser]

    class InputSerializer(serializers.Serializer):
        source = serializers.CharField(max_length=Ticket._meta.get_field("source").max_length)
        tickets = serializers.ListField(child=serializers.DictField(), allow_empty=False)

        def validate_tickets(self, value: list) -> list:
            if len(value) > MAX_TICKETS:
                raise serializers.ValidationError(
                    f"At most {MAX_TICKETS:,} tickets per request; this one has {len(value):,}. "
                    "Send them in several requests."
                )
            return value

    class EventSerializer(serializers.Serializer):
        at = AwareDateTimeField()
        kind = serializers.ChoiceField(choices=EVENT_KINDS)
        old_value = serializers.CharField(required=False, allow_blank=True, default="")
        new_value = serializers.CharField(required=False, allow_blank=True, default="")
        actor = serializers.CharField(required=False, allow_blank=True, default="")
        by_vendor = serializers.BooleanField(required=False, default=True)

    class SurveySerializer(serializers.Serializer):
        score = serializers.IntegerField(min_value=0, max_value=10)
        answered_at = AwareDateTimeField()
        scale = serializers.ChoiceField(choices=[5, 10], required=False, default=5)
        comment = serializers.CharField(required=False, allow_blank=True, default="")

    class TicketSerializer(serializers.Serializer):
        external_id = serializers.CharField(max_length=120)
        attribution = serializers.CharField(required=False, allow_blank=True, max_length=200)
        vendor = serializers.SlugField(required=False)
        contract = serializers.IntegerField(required=False)
        version = serializers.CharField(required=False, allow_blank=True, default="")
        priority = serializers.ChoiceField(choices=PRIORITIES)
        status = serializers.ChoiceField(choices=STATUSES)
        created_at = AwareDateTimeField()
        resolved_at = AwareDateTimeField(required=False, allow_null=True, default=None)
        closed_at = AwareDateTimeField(required=False, allow_null=True, default=None)
        technician = serializers.CharField(required=False, allow_blank=True, default="")
        category = serializers.CharField(required=False, allow_blank=True, default="")
        requester = serializers.CharField(required=False, allow_blank=True, default="")
        channel = serializers.ChoiceField(choices=CHANNELS, required=False, default="other")
        title = serializers.CharField(required=False, allow_blank=True, default="")
        events = serializers.ListField(required=False, default=list)
        survey = serializers.DictField(required=False, allow_null=True, default=None)
        source_sla_met = serializers.BooleanField(required=False, allow_null=True, default=None)
        source_fcr = serializers.BooleanField(required=False, allow_null=True, default=None)
        source_reopen_count = serializers.IntegerField(
            required=False, allow_null=True, min_value=0, default=None
        )
        source_reassignment_count = serializers.IntegerField(
            required=False, allow_null=True, min_value=0, default=None
        )

        def validate_events(self, value: list) -> list:
            events = TicketBulkApi.EventSerializer(data=value, many=True)
            events.is_valid(raise_exception=True)
            return events.validated_data

        def validate_survey(self, value: dict | None) -> dict | None:
            if value is None:
                return None
            survey = TicketBulkApi.SurveySerializer(data=value)
            survey.is_valid(raise_exception=True)
            return survey.validated_data

        def validate(self, data: dict) -> dict:
            by_rule, by_vendor = "attribution" in data, "vendor" in data
            if by_rule == by_vendor:
                raise serializers.ValidationError(
                    "Give either attribution (mapped by the source's rules) or vendor and contract."
                )
            if by_vendor and "contract" not in data:
                raise serializers.ValidationError({"contract": "Give the contract's id."})
            return data

    class OutputSerializer(serializers.Serializer):
        external_id = serializers.CharField()
        result = serializers.CharField()
        errors = serializers.ListField(child=serializers.DictField())

    def post(self, request: Request) -> Response:
        envelope = self.InputSerializer(data=request.data)
        envelope.is_valid(raise_exception=True)
        source = envelope.validated_data["source"]
        items = envelope.validated_data["tickets"]

        contracts = _Contracts()
        records: list[TicketRecord | RowError] = []
        for position, item in enumerate(items, 1):
            ticket = self.TicketSerializer(data=item)
            # NUL is refused by every field, but a refused value is echoed in the row's
            # error, which PostgreSQL cannot store (JSON or text): drop it there.
            external_id = _no_nul(str(item.get("external_id", "")))[:120]
            if not ticket.is_valid():
                records.append(_row_error(position, external_id, ticket.errors))
                continue
            data = ticket.validated_data
            target = None
            if "vendor" in data:
                target = contracts.get(data["vendor"], data["contract"])
                if target is None:
                    reason = f"vendor {data['vendor']!r} has no contract {data['contract']}"
                    records.append(RowError(position, "contract", reason, external_id))
                    continue
            records.append(_record(position, data, target))

        run = ImportRun.objects.create(
            source=source, format=ImportFormat.API, created_by=request.user
        )
        results: list[ItemResult] = []
        ingest_records(records, source=source, run=run, results=results, header_rows=0)

        by_row = {r.row: r for r in results}
        out = []
        for position, item in enumerate(items, 1):
            result = by_row[position]
            errors = [{"column": e["column"], "reason": e["reason"]} for e in result.errors]
            outcome = ERROR if result.result == UNMAPPED else result.result
            out.append(
                {
                    "external_id": _no_nul(str(item.get("external_id", ""))),
                    "result": outcome,
                    "errors": errors,
                }
            )
        body = {
            "run": run.pk,
            "created": run.tickets_created,
            "updated": run.tickets_updated,
            "unchanged": run.tickets_unchanged,
            "errors": run.tickets_rejected + run.tickets_unmapped,
            "results": self.OutputSerializer(out, many=True).data,
        }
        return Response(body, status=status.HTTP_200_OK)


class _Contracts:
    """(vendor id, contract id) by vendor slug and contract id, looked up once per request."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, int], tuple[int, int] | None] = {}

    def get(self, slug: str, contract_id: int) -> tuple[int, int] | None:
        key = (slug, contract_id)
        if key not in self._found:
            contract = (
                Contract.objects.filter(pk=contract_id, vendor__slug=slug)
                .values_list("vendor_id", "pk")
                .first()
            )
            self._found[key] = contract
        return self._found[key]


def _row_error(position: int, external_id: str, errors: dict) -> RowError:
    """One RowError for an item, naming its first field and every problem."""
    problems = []
    for name, messages in _flatten(errors):
        problems.append(f"{name}: {' '.join(messages)}" if name else " ".join(messages))
    first = next((name for name, _ in _flatten(errors)), "")
    return RowError(position, first, _no_nul("; ".join(problems)), external_id)


def _no_nul(text: str) -> str:
    return text.replace("\x00", "")


def _flatten(errors: Any, prefix: str = "") -> list[tuple[str, list[str]]]:
    """DRF's nested error structure as (dotted field name, messages)."""
    if isinstance(errors, dict):
        out = []
        for key, value in errors.items():
            if isinstance(key, int) or str(key).isdigit():  # a list's item: events[0]
                out += _flatten(value, f"{prefix}[{key}]")
            elif key == "non_field_errors":
                out += _flatten(value, prefix)
            else:
                out += _flatten(value, f"{prefix}.{key}".lstrip("."))
        return out
    if isinstance(errors, list) and errors and not all(isinstance(e, str) for e in errors):
        out = []
        for index, value in enumerate(errors):
            if value:
                out += _flatten(value, f"{prefix}[{index}]")
        return out
    return [(prefix, [str(e) for e in errors])]


def _record(position: int, data: dict, target: tuple[int, int] | None) -> TicketRecord:
    events = [
        EventRecord(
            at=e["at"],
            kind=e["kind"],
            old_value=e["old_value"],
            new_value=e["new_value"],
            actor=e["actor"],
            by_vendor=e["by_vendor"],
        )
        for e in data["events"]
    ]
    survey = data["survey"]
    values = {
        "row": position,
        "external_id": data["external_id"],
        "attribution": data.get("attribution", ""),
        "priority": data["priority"],
        "status": data["status"],
        "created_at": data["created_at"],
        "resolved_at": data["resolved_at"],
        "closed_at": data["closed_at"],
        "version": data["version"],
        "technician": data["technician"],
        "category": data["category"],
        "requester": data["requester"],
        "channel": data["channel"],
        "title": data["title"],
        "events": events,
        "source_sla_met": data["source_sla_met"],
        "source_fcr": data["source_fcr"],
        "source_reopen_count": data["source_reopen_count"],
        "source_reassignment_count": data["source_reassignment_count"],
        "survey": SurveyRecord(**survey) if survey else None,
    }
    if target is None:
        return TicketRecord(**values)
    return AttributedRecord(**values, vendor_id=target[0], contract_id=target[1])


# --- the bulk upsert's schema: the nested serializers under names of their own ----------------

extend_schema_serializer(component_name="BulkTicketEvent")(TicketBulkApi.EventSerializer)
extend_schema_serializer(component_name="BulkTicketSurvey")(TicketBulkApi.SurveySerializer)
extend_schema_serializer(component_name="BulkTicketResult")(TicketBulkApi.OutputSerializer)


@extend_schema_serializer(component_name="BulkTicket")
class BulkTicketDoc(TicketBulkApi.TicketSerializer):
    events = TicketBulkApi.EventSerializer(many=True, required=False)
    survey = TicketBulkApi.SurveySerializer(required=False, allow_null=True)


@extend_schema_serializer(component_name="BulkTicketsRequest")
class BulkRequestDoc(serializers.Serializer):
    source = serializers.CharField(max_length=80, help_text="The source's name, e.g. acme-api.")
    tickets = serializers.ListField(
        child=BulkTicketDoc(),
        min_length=1,
        max_length=MAX_TICKETS,
        help_text=f"1 to {MAX_TICKETS:,} tickets.",
    )


@extend_schema_serializer(component_name="BulkTicketsResponse")
class BulkResponseDoc(serializers.Serializer):
    run = serializers.IntegerField(help_text="The import run's id.")
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    errors = serializers.IntegerField(help_text="Tickets refused or not mapped to a vendor.")
    results = TicketBulkApi.OutputSerializer(many=True)


extend_schema_view(
    post=extend_schema(
        summary="Upsert tickets in bulk",
        description="Managers only. Up to 1,000 tickets with their events, upserted by "
        "(source, external_id); each names its vendor through `attribution` (the source's "
        "rules) or `vendor` (slug) and `contract` (id). The answer lists each ticket's result: "
        "created, updated, unchanged or error.",
        request=BulkRequestDoc,
        responses={200: BulkResponseDoc},
    )
)(TicketBulkApi)
