"""REST API v1 on deliverables: read by every role (a vendor's user its own vendor's), each
with its status and slip in business days as the delivery page shows them; managers push them
from a project tool: POST creates (or, with a reference the vendor already has, updates that
deliverable), PUT and PATCH change one by id, POST .../replan/ keeps an agreed new date."""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from assurance.models import Deliverable, DeliverableKind
from assurance.selectors_delivery import (
    STATUS_LABELS,
    deliverables_for_api,
    delivery_rows_of,
    late_q,
    overdue_q,
)
from assurance.services_delivery import (
    deliverable_create,
    deliverable_replan,
    deliverable_update,
    deliverable_upsert,
)
from common.api import (
    FORMAT_PARAMETER,
    VISIBILITY,
    ActionRoles,
    ExportMixin,
    valid_input,
)
from common.filters import ContractIdFilters, TextFilter, TrueFalseFilter, UpdatedSinceFilter
from common.pages import reporting_today
from common.roles import MANAGER
from common.viewsets import VisibleReadViewSet
from vendors.models import Contract
from vendors.selectors import vendors_visible_to


class DeliverableFilter(ContractIdFilters):
    reference = TextFilter(help_text="The project tool's id.")
    kind = filters.ChoiceFilter(choices=DeliverableKind.choices)
    late = TrueFalseFilter(
        method="filter_late",
        help_text="true: overdue (not delivered, past its planned date) or delivered after its "
        "planned date; false: neither.",
    )
    overdue = TrueFalseFilter(
        method="filter_overdue",
        help_text="true: not delivered and past its planned date today; false: the others.",
    )
    planned_from = filters.DateFilter(
        field_name="planned_on", lookup_expr="gte", help_text="Planned on or after this day."
    )
    planned_to = filters.DateFilter(
        field_name="planned_on", lookup_expr="lte", help_text="Planned on or before this day."
    )
    delivered_from = filters.DateFilter(
        field_name="delivered_on", lookup_expr="gte", help_text="Delivered on or after this day."
    )
    delivered_to = filters.DateFilter(
        field_name="delivered_on", lookup_expr="lte", help_text="Delivered on or before this day."
    )
    updated_since = UpdatedSinceFilter(
        method=None,
        field_name="updated_at",
        lookup_expr="gte",
        help_text="Only deliverables recorded or changed at or after this time (ISO 8601 with "
        "its offset, e.g. 2026-11-16T10:00:00+00:00).",
    )

    class Meta:
        model = Deliverable
        fields = ["vendor", "contract", "reference", "kind"]

    def filter_late(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        late = late_q(reporting_today())
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_overdue(self, queryset: QuerySet, name: str, value: bool | None) -> QuerySet:
        if value is None:
            return queryset
        overdue = overdue_q(reporting_today())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)


STATUS_HELP = "overdue, late (delivered late), due or on_time (delivered on or before the plan)."


class DeliverableOut(serializers.Serializer):
    id = serializers.IntegerField()
    vendor = serializers.IntegerField(help_text="Vendor id.")
    vendor_name = serializers.CharField()
    contract = serializers.IntegerField(allow_null=True, help_text="Contract id.")
    contract_name = serializers.CharField(allow_null=True)
    reference = serializers.CharField(help_text="The project tool's id ('' if none).")
    title = serializers.CharField()
    kind = serializers.ChoiceField(choices=DeliverableKind.choices)
    planned_on = serializers.DateField(help_text="The promised date; on-time is judged by it.")
    replanned_on = serializers.DateField(allow_null=True, help_text="An agreed new date.")
    replanned_reason = serializers.CharField()
    replanned_by = serializers.CharField(allow_null=True, help_text="Who kept the new date.")
    replanned_at = serializers.DateTimeField(allow_null=True)
    delivered_on = serializers.DateField(allow_null=True)
    status = serializers.ChoiceField(choices=list(STATUS_LABELS), help_text=STATUS_HELP)
    slip_business_days = serializers.IntegerField(
        help_text="Business days after the planned date up to the delivery (up to today for "
        "one overdue); 0 when not late."
    )
    notes = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


COLUMNS = tuple(DeliverableOut().fields)


class DeliverableIn(serializers.Serializer):
    vendor = serializers.IntegerField(min_value=1, help_text="Vendor id.")
    contract = serializers.IntegerField(
        min_value=1,
        required=False,
        allow_null=True,
        default=None,
        help_text="Contract id, one of the vendor's.",
    )
    reference = serializers.CharField(
        max_length=80,
        required=False,
        allow_blank=True,
        default="",
        help_text="The project tool's id: a deliverable of the vendor with it is updated.",
    )
    title = serializers.CharField(max_length=300)
    kind = serializers.ChoiceField(
        choices=DeliverableKind.choices, required=False, default=DeliverableKind.MILESTONE
    )
    planned_on = serializers.DateField()
    delivered_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Not in the future."
    )
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class DeliverableChangeIn(serializers.Serializer):
    """A deliverable's fields but its vendor (PUT gives them all, PATCH some)."""

    contract = serializers.IntegerField(min_value=1, allow_null=True, help_text="Contract id.")
    reference = serializers.CharField(max_length=80, allow_blank=True)
    title = serializers.CharField(max_length=300)
    kind = serializers.ChoiceField(choices=DeliverableKind.choices)
    planned_on = serializers.DateField(
        help_text="A correction of the plan (a re-plan is kept apart: POST .../replan/)."
    )
    delivered_on = serializers.DateField(allow_null=True, help_text="Not in the future.")
    notes = serializers.CharField(allow_blank=True)


class ReplanIn(serializers.Serializer):
    replanned_on = serializers.DateField(help_text="The new date both sides agreed.")
    reason = serializers.CharField(max_length=300, help_text="Why the date moved.")


def _write(summary: str, description: str, body: type, responses: dict) -> Any:
    return extend_schema(
        summary=summary, description=description, request=body, responses=responses
    )


@extend_schema_view(
    list=extend_schema(
        summary="List deliverables",
        description="Deliverables with their planned, agreed re-planned and actual dates, status "
        "and slip in business days, oldest plan first. `late`, `overdue`, date ranges and "
        "`updated_since` narrow it; `?format=csv|xlsx` downloads it." + VISIBILITY,
        parameters=[FORMAT_PARAMETER],
    ),
    retrieve=extend_schema(
        summary="One deliverable",
        description="A deliverable with its status and slip." + VISIBILITY,
    ),
    create=_write(
        "Push a deliverable",
        "Managers create a deliverable of a vendor; with a `reference` the vendor already has, "
        "that deliverable is updated instead (200), so a project tool may push the same one "
        "again. A 400 names the field at fault (a delivery date in the future, a contract of "
        "another vendor, a vendor you may not see).",
        DeliverableIn,
        {201: DeliverableOut, 200: DeliverableOut},
    ),
    update=_write(
        "Change a deliverable",
        "Managers change every field of a deliverable but its vendor.",
        DeliverableChangeIn,
        {200: DeliverableOut},
    ),
    partial_update=_write(
        "Change some fields of a deliverable",
        "Managers change the fields given (e.g. `delivered_on` to record the delivery).",
        DeliverableChangeIn,
        {200: DeliverableOut},
    ),
    replan=_write(
        "Re-plan a deliverable",
        "Managers keep a new date both sides agreed, with who, when and why. On-time is still "
        "judged against the planned date. A delivered deliverable is not re-planned.",
        ReplanIn,
        {200: DeliverableOut},
    ),
)
class DeliverableViewSet(ExportMixin, VisibleReadViewSet):
    last_modified_field = "updated_at"
    serializer_class = DeliverableOut
    permission_classes = [ActionRoles]
    action_roles = {
        "create": (MANAGER,),
        "update": (MANAGER,),
        "partial_update": (MANAGER,),
        "replan": (MANAGER,),
    }
    filterset_class = DeliverableFilter
    visible_to = staticmethod(deliverables_for_api)
    lookup_value_regex = "[0-9]+"
    export_name = "deliverables"
    export_columns = COLUMNS

    def _rows(self, items: list[Deliverable]) -> list[dict[str, Any]]:
        rows = delivery_rows_of(list(items), today=reporting_today())
        return [
            {
                "id": d.pk,
                "vendor": d.vendor_id,
                "vendor_name": d.vendor.name,
                "contract": d.contract_id,
                "contract_name": d.contract.name if d.contract_id else None,
                "reference": d.reference,
                "title": d.title,
                "kind": d.kind,
                "planned_on": d.planned_on,
                "replanned_on": d.replanned_on,
                "replanned_reason": d.replanned_reason,
                "replanned_by": d.replanned_by.get_username() if d.replanned_by_id else None,
                "replanned_at": d.replanned_at,
                "delivered_on": d.delivered_on,
                "status": row.status,
                "slip_business_days": row.slip,
                "notes": d.notes,
                "created_at": d.created_at,
                "updated_at": d.updated_at,
            }
            for row in rows
            for d in (row.deliverable,)
        ]

    def page_data(self, page: list[Deliverable]) -> Any:
        return DeliverableOut(self._rows(page), many=True).data

    def export_table(self, items: list[Deliverable]):
        return list(COLUMNS), [[r[c] for c in COLUMNS] for r in self._rows(items)]

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return Response(self._one(self.get_object()))

    def _one(self, deliverable: Deliverable) -> Any:
        fresh = self.get_queryset().get(pk=deliverable.pk)
        return DeliverableOut(self._rows([fresh])[0]).data

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = dict(valid_input(DeliverableIn, request))
        vendor = vendors_visible_to(request.user).filter(pk=data.pop("vendor")).first()
        if vendor is None:
            raise ValidationError({"vendor": ["No such vendor."]})
        data["contract"] = _contract(data["contract"])
        # A refusal by the service is a 400 naming its fields (common.api.exception_handler).
        if data["reference"]:
            deliverable, created = deliverable_upsert(vendor=vendor, **data)
        else:
            deliverable, created = deliverable_create(vendor=vendor, **data), True
        answer = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self._one(deliverable), status=answer)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        deliverable = self.get_object()
        partial = kwargs.get("partial", False)
        given = DeliverableChangeIn(data=request.data, partial=partial)
        given.is_valid(raise_exception=True)
        changes = dict(given.validated_data)
        if "contract" in changes:
            changes["contract"] = _contract(changes["contract"])
        deliverable_update(deliverable=deliverable, **changes)
        return Response(self._one(deliverable))

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.update(request, *args, partial=True, **kwargs)

    @action(detail=True, methods=["post"], url_path="replan", url_name="replan")
    def replan(self, request: Request, pk: str | None = None) -> Response:
        deliverable = self.get_object()
        data = valid_input(ReplanIn, request)
        deliverable_replan(
            deliverable=deliverable,
            replanned_on=data["replanned_on"],
            reason=data["reason"],
            user=request.user,
        )
        return Response(self._one(deliverable))


def _contract(contract_id: int | None) -> Contract | None:
    """The contract named, for the service to check it is the vendor's; a 400 if none."""
    if contract_id is None:
        return None
    contract = Contract.objects.filter(pk=contract_id).first()
    if contract is None:
        raise ValidationError({"contract": ["No such contract."]})
    return contract
