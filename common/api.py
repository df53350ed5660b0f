"""What every /api/v1/ endpoint shares: roles, pagination, money fields and exports."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.permissions import BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from common.exports import EXPORT_FORMATS, CsvRenderer, XlsxRenderer
from common.roles import ALL_ROLES, user_role

EXPORT_MAX_ROWS = 50_000


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


class PagePagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class CreatedCursorPagination(CursorPagination):
    """Newest first by creation time; a cursor stays stable while new tickets arrive."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("-created_at", "-id")


class MoneyField(serializers.DecimalField):
    """An amount as a decimal string with two places ("1500.00"), never a float."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 14)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("coerce_to_string", True)
        super().__init__(**kwargs)


def decimal_text(value: Any, places: int = 4) -> str | None:
    """A stored figure as a decimal string (None stays None): exact, locale-free."""
    if value is None:
        return None
    return f"{value:.{places}f}"


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
    the filtered objects (or rows) of the list.
    """

    renderer_classes = FINANCE_RENDERERS
    export_name = "export"

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


_COMMA_LIST = re.compile(r"^[a-z0-9_]+(,[a-z0-9_]+)*$")


def comma_list(raw: str | None, *, allowed: set[str] | frozenset[str], name: str) -> list[str]:
    """A `a,b,c` query parameter as a list of known names; 400 naming the parameter else."""
    if not raw:
        return []
    if not _COMMA_LIST.match(raw):
        raise ValidationError({name: ["Give names separated by commas, e.g. mttr,fcr_pct."]})
    names = raw.split(",")
    unknown = sorted(set(names) - set(allowed))
    if unknown:
        raise ValidationError({name: [f"Unknown: {', '.join(unknown)}."]})
    return list(dict.fromkeys(names))


def not_found() -> Http404:
    return Http404("Not found.")


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, with a service's Django ValidationError answered as a 400 naming the
    fields (see field_errors()) rather than a 500."""
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(field_errors(exc))
    return drf_exception_handler(exc, context)


def field_errors(exc: DjangoValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as DRF's 400 body: messages by field ("detail" for the
    whole object)."""
    if hasattr(exc, "error_dict"):
        return {
            ("detail" if k == "__all__" else k): [str(m) for e in v for m in e.messages]
            for k, v in exc.error_dict.items()
        }
    return {"detail": exc.messages}
