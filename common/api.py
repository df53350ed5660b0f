"""What every /api/v1/ endpoint shares: roles, pagination, fields, query parameters, exports
and who-sees-what texts (the viewset bases are in common.viewsets)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.exports import EXPORT_FORMATS, CsvRenderer, XlsxRenderer
from common.periods import Period, PeriodKind, period_from_label
from common.roles import ALL_ROLES, user_role

EXPORT_MAX_ROWS = 50_000

_SEE_OWN_VENDOR = " Managers and finance see every vendor's; a vendor's user only its own vendor's"
# Who sees what, closing an endpoint's description (the stored-figure endpoints say it briefly).
VISIBILITY = (
    f"{_SEE_OWN_VENDOR} (any other id answers 404, and a filter naming another vendor returns "
    "nothing)."
)
VISIBILITY_BRIEF = f"{_SEE_OWN_VENDOR} (a filter naming another vendor returns nothing)."


def roles_allowed(*roles: str) -> type[BasePermission]:
    """A permission class letting in only these roles (anonymous users are refused too)."""

    class RoleAllowed(BasePermission):
        message = f"Only {' or '.join(roles)} users may use this endpoint."

        def has_permission(self, request: Request, view: Any) -> bool:
            return user_role(request.user) in roles

    RoleAllowed.__name__ = f"RoleAllowed_{'_'.join(roles)}"
    return RoleAllowed


class ReadRolesWriteRoles(BasePermission):
    """Reads for `view.read_roles`, writes (POST) for `view.write_roles`."""

    message = "Your role may not do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        role = user_role(request.user)
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return role in view.read_roles
        return role in view.write_roles


class ActionRoles(BasePermission):
    """Roles per viewset action: `view.action_roles[action]`, else every role (reads, and a
    method the route does not take, which then answers 405)."""

    message = "Your role may not do this."

    def has_permission(self, request: Request, view: Any) -> bool:
        return user_role(request.user) in view.action_roles.get(view.action, ALL_ROLES)


class _StrictPageSize:
    """`page_size` a whole number from 1 to max_page_size, else a 400 naming it (DRF would
    fall back to the default size, or cap it, without a word); documented with those bounds."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        return _whole_number(raw, name=self.page_size_query_param, low=1, high=self.max_page_size)

    def check_query(self, request: Request) -> None:
        """A 400 for a malformed paging parameter, even where the answer is not paged (a
        CSV or XLSX export): common.strict calls it before filtering."""
        self.get_page_size(request)

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


def _whole_number(raw: str, *, name: str, low: int, high: int | None = None) -> int:
    """A query parameter's whole number within bounds; a 400 naming it and the bounds else."""
    if re.fullmatch(r"[0-9]{1,18}", raw) and low <= int(raw) and (high is None or int(raw) <= high):
        return int(raw)
    bounds = f"from {low} to {high}" if high is not None else f"from {low}"
    raise ValidationError({name: [f"Give a whole number {bounds}."]})


class PagePagination(_StrictPageSize, PageNumberPagination):
    """Page numbers: `page` a whole number from 1 (400 else; 404 past the last page)."""

    page_size = 50
    last_page_strings = ()  # `page` is documented as an integer: "last" is not one
    max_page = 2**31 - 1

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None):
        self.check_query(request)
        return super().paginate_queryset(queryset, request, view)

    def check_query(self, request: Request) -> None:
        super().check_query(request)
        raw = request.query_params.get(self.page_query_param)
        if raw is not None:
            _whole_number(raw, name=self.page_query_param, low=1, high=self.max_page)

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page)
        return parameters


class CreatedCursorPagination(_StrictPageSize, CursorPagination):
    """Newest first by creation time; a cursor stays stable while new tickets arrive. A
    cursor this API did not give is DRF's 404 (a cursor is opaque: no schema can tell)."""

    page_size = 50
    ordering = ("-created_at", "-id")

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                # A blank one is refused (common.strict): some non-space character.
                parameter["schema"].update(minLength=1, pattern=r"\S")
        return parameters


class MoneyField(serializers.DecimalField):
    """An amount as a decimal string with two places ("1500.00"), never a float."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 time with its offset: a time without one is refused, never guessed."""

    def to_internal_value(self, value: Any) -> dt.datetime:
        if isinstance(value, str):
            try:
                parsed = dt.datetime.fromisoformat(value.strip())
            except ValueError:
                self.fail("invalid", format="ISO 8601 with an offset, e.g. 2026-11-16T10:00+00:00")
            if parsed.tzinfo is None:
                raise serializers.ValidationError(
                    "Give the time with its offset, e.g. 2026-11-16T10:00:00+00:00."
                )
            return parsed.astimezone(dt.UTC)
        return super().to_internal_value(value)


def decimal_text(value: Any, places: int = 4) -> str | None:
    """A stored figure as a decimal string (None stays None): exact, locale-free."""
    if value is None:
        return None
    return f"{value:.{places}f}"


def money_value(value: Any) -> Decimal | None:
    """An amount to two places (None stays None)."""
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def number_cell(text: str | None) -> Decimal | None:
    """A decimal string of ours back to a number, so XLSX cells are numeric."""
    return None if text is None else Decimal(text)


def period_label(period_kind: str, start: dt.date) -> str:
    """A stored period's label: 2026-10, 2026-W43 or 2026-Q3."""
    return Period(PeriodKind(period_kind), start).label


FORMAT_PARAMETER = OpenApiParameter(
    "format",
    OpenApiTypes.STR,
    enum=["json", *EXPORT_FORMATS],
    description="`csv` or `xlsx` download the whole filtered list (up to "
    f"{EXPORT_MAX_ROWS:,} rows) as one table instead of a JSON page. No cell starts a "
    "formula: text beginning with = + - @ tab or CR gets a leading apostrophe. XLSX numbers "
    "are numeric cells.",
)

FINANCE_RENDERERS = [JSONRenderer, CsvRenderer, XlsxRenderer]


class ExportMixin:
    """`?format=csv|xlsx` on a list: the whole filtered queryset as one flat table.

    The view defines `export_name` and `export_table(items) -> (columns, rows)` where items are
    the filtered objects (or rows) of the list, and `page_data(page)` where a JSON page is more
    than its serializer's.
    """

    renderer_classes = FINANCE_RENDERERS
    export_name = "export"
    # The header row, for the schema (else it asks export_table for no rows).
    export_columns: tuple[str, ...] = ()

    def handle_exception(self, exc: Exception) -> Response:
        # An error is JSON whatever format was asked for: one error shape for the whole API,
        # and a client reading a CSV never takes an error table for data.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        if self.is_export():
            return self.export_response(queryset)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(self.page_data(page))

    def page_data(self, page: list) -> Any:
        """A page's items in the JSON answer (default: through the view's serializer)."""
        return self.get_serializer(page, many=True).data

    def is_export(self) -> bool:
        renderer = getattr(self.request, "accepted_renderer", None)
        return getattr(renderer, "format", None) in EXPORT_FORMATS

    def export_response(self, items: Any) -> Response:
        items = list(items[: EXPORT_MAX_ROWS + 1])
        if len(items) > EXPORT_MAX_ROWS:
            raise ValidationError(
                {"format": [f"More than {EXPORT_MAX_ROWS:,} rows: narrow the filters."]}
            )
        columns, rows = self.export_table(items)
        fmt = self.request.accepted_renderer.format
        response = Response({"columns": columns, "rows": rows})
        response["Content-Disposition"] = f'attachment; filename="{self.export_name}.{fmt}"'
        return response


def read_schema(
    *,
    listing: tuple[str, str],
    one: tuple[str, str],
    visibility: str = VISIBILITY,
    **actions: Any,
) -> Callable[[type], type]:
    """The OpenAPI docs of a list-and-retrieve viewset: the list's and one object's (summary,
    description), each description closed by who sees what; `actions` documents the
    viewset's other actions (extend_schema(...) by action name)."""
    return extend_schema_view(
        list=extend_schema(summary=listing[0], description=listing[1] + visibility),
        retrieve=extend_schema(summary=one[0], description=one[1] + visibility),
        **actions,
    )


def list_schema(
    summary: str, description: str, *parameters: OpenApiParameter
) -> Callable[[type], type]:
    """The OpenAPI docs of a list-only viewset: its summary and description, and the query
    parameters it reads besides its FilterSet's (FORMAT_PARAMETER for an export)."""
    return extend_schema_view(
        list=extend_schema(
            summary=summary, description=description, parameters=list(parameters) or None
        )
    )


def write_schema(
    summary: str, description: str, *, body: type, answer: type, status: int = 201
) -> Any:
    """The OpenAPI docs of a write: the body's serializer, and what a success answers."""
    return extend_schema(
        summary=summary, description=description, request=body, responses={status: answer}
    )


def valid_input(serializer_class: type[serializers.Serializer], request: Request) -> Any:
    """The request's body as `serializer_class` validates it; else a 400 naming the fields."""
    given = serializer_class(data=request.data)
    given.is_valid(raise_exception=True)
    return given.validated_data


_COMMA_LIST = re.compile(r"^[a-z0-9_]+(,[a-z0-9_]+)*$")


def comma_list(raw: str | None, *, allowed: set[str] | frozenset[str], name: str) -> list[str]:
    """A `a,b,c` query parameter as a list of known names; 400 naming the parameter else."""
    if raw is None:
        return []
    if not _COMMA_LIST.match(raw):
        raise ValidationError({name: ["Give names separated by commas, e.g. mttr,fcr_pct."]})
    names = raw.split(",")
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        raise ValidationError({name: [f"Unknown: {', '.join(unknown)}."]})
    return list(dict.fromkeys(names))


def period_param(label: str, *, name: str) -> Period:
    """A period named by its label in the query parameter `name`; a 400 naming it else."""
    try:
        return period_from_label(label)
    except ValueError as exc:
        raise ValidationError({name: [str(exc)]}) from None


def not_found() -> Http404:
    return Http404("Not found.")


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, with a service's Django ValidationError answered as a 400 naming the
    fields (see field_errors()) rather than a 500."""
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(field_errors(exc))
    response = drf_exception_handler(exc, context)
    if response is not None and response.status_code == 400:
        response.data = _as_field_errors(response.data)
    return response


def _as_field_errors(data: Any) -> dict[str, Any]:
    """Every 400 in one shape (common.schema's FieldErrors): messages by name, each a list.
    A bare message or list (ValidationError("..."), a JSON parse error) goes under "detail"."""
    if not isinstance(data, dict):
        return {"detail": data if isinstance(data, list) else [data]}
    return {name: [v] if isinstance(v, str) else v for name, v in data.items()}


def field_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as DRF's 400 body: messages by field ("detail" for the
    whole object)."""
    if hasattr(exc, "error_dict"):
        return {
            ("detail" if k == "__all__" else k): [str(m) for e in v for m in e.messages]
            for k, v in exc.error_dict.items()
        }
    return {"detail": exc.messages}
