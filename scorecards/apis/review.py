"""REST API v1 on the monthly review packs' action items: listed for every role; managers add
them, and managers and the owning vendor's users move their status, under the same rule as
the pack page."""

from __future__ import annotations

from typing import Any

from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from common.api import VISIBILITY_BRIEF, ActionRoles, read_schema, valid_input, write_schema
from common.pages import reporting_today
from common.periods import Period
from common.roles import MANAGER, VENDOR, user_role
from common.viewsets import VisibleReadViewSet
from scorecards import packs, selectors_api
from scorecards.filters import ActionItemFilter
from scorecards.models import ActionItem
from vendors.selectors import vendors_visible_to


class ActionItemOut(serializers.ModelSerializer):
    vendor = serializers.IntegerField(source="vendor_id", help_text="Vendor id.")
    meeting = serializers.IntegerField(source="meeting_id", help_text="Review meeting id.")
    owner = serializers.CharField(source="owner_label", help_text="Who owns it.")

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "vendor",
            "meeting",
            "raised_month",
            "title",
            "owner",
            "vendor_owned",
            "due_on",
            "status",
            "closed_month",
            "notes",
            "created_at",
            "updated_at",
        ]


class ActionItemIn(serializers.Serializer):
    vendor = serializers.IntegerField(min_value=1, help_text="Vendor id.")
    month = serializers.RegexField(
        r"^[1-9]\d{3}-(0[1-9]|1[0-2])$", help_text="The review meeting's month, YYYY-MM."
    )
    title = serializers.CharField(max_length=300)
    owner_name = serializers.CharField(required=False, allow_blank=True, default="")
    vendor_owned = serializers.BooleanField(
        required=False, default=False, help_text="The vendor owns it, so its users may update it."
    )
    due_on = serializers.DateField(required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class ActionStatusIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=ActionItem.Status.choices)
    month = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="The pack (YYYY-MM) it was reviewed in; done or dropped closes it there "
        "(default: the last complete month).",
    )
    notes = serializers.CharField(
        required=False, allow_null=True, default=None, help_text="Managers only."
    )


@read_schema(
    listing=(
        "List review-pack action items",
        "Action items agreed at monthly review meetings, newest month first.",
    ),
    one=("One action item", "An action item."),
    visibility=VISIBILITY_BRIEF,
    create=write_schema(
        "Add an action item",
        "Managers add an item to a month's review meeting (made if need be).",
        body=ActionItemIn,
        answer=ActionItemOut,
    ),
    set_status=write_schema(
        "Move an action item to a status",
        "Managers move any item; a vendor's user only items its vendor owns, and "
        "never to dropped (that is the manager's call), as on the pack page.",
        body=ActionStatusIn,
        answer=ActionItemOut,
        status=200,
    ),
)
class ActionItemViewSet(mixins.CreateModelMixin, VisibleReadViewSet):
    last_modified_field = "updated_at"
    serializer_class = ActionItemOut
    permission_classes = [ActionRoles]
    action_roles = {"create": (MANAGER,), "set_status": (MANAGER, VENDOR)}
    filterset_class = ActionItemFilter
    visible_to = staticmethod(selectors_api.action_items_for_api)
    lookup_value_regex = "[0-9]+"

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = dict(valid_input(ActionItemIn, request))
        vendor = vendors_visible_to(request.user).filter(pk=data.pop("vendor")).first()
        if vendor is None:
            raise ValidationError({"vendor": ["No such vendor."]})
        period = _pack_month(data.pop("month"))
        item = packs.action_item_add(vendor=vendor, period=period, user=request.user, **data)
        return Response(self.visible_data(item), status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"], url_path="status", url_name="status")
    def set_status(self, request: Request, pk: str | None = None) -> Response:
        item = self.get_object()
        data = valid_input(ActionStatusIn, request)
        role = user_role(request.user)
        packs.action_item_check_may_set(item=item, role=role, status=data["status"])
        if data["notes"] is not None and role != MANAGER:
            raise ValidationError({"notes": ["Only managers edit an action item's notes."]})
        period = _pack_month(data["month"]) if data["month"] else None
        packs.action_item_set_status(
            item=item, status=data["status"], user=request.user, period=period, notes=data["notes"]
        )
        return Response(self.visible_data(item))


def _pack_month(label: str) -> Period:
    """A review meeting's month; a 400 naming `month` if it is not one or has not begun."""
    try:
        return packs.pack_month_from_label(label, today=reporting_today())
    except packs.PackUnavailable as exc:
        raise ValidationError({"month": [exc.message]}) from None
