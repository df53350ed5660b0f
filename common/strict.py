"""Strict query parameters: a list answers what was asked, or a 400 saying what was wrong.

A finance job with a typo (`resolved_befor=`), an empty value (`resolved_before=`) or a
repeated parameter would otherwise get every row with a 200 and never know. The accepted names
of an endpoint are the ones its OpenAPI schema documents: its FilterSet's filters, its
paginator's parameters and the parameters its extend_schema adds (`format`, `metrics`, ...).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.serializers import BaseSerializer

# DRF's own: `format` picks a renderer (an unknown one answers 404, never the wrong data).
ALWAYS_ACCEPTED = frozenset({"format"})

_accepted_cache: dict[tuple[type, str, str], frozenset[str]] = {}


class StrictFilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend (a malformed value is a 400 naming its filter) refusing, before
    it filters, a parameter the endpoint does not take, an empty value and a repeated one."""

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        try:
            refuse_unaccepted_parameters(request, view, self.filter_names(view, queryset))
            paginator = getattr(view, "paginator", None)
            if getattr(view, "action", "list") == "list" and hasattr(paginator, "check_query"):
                paginator.check_query(request)  # an export is not paged, yet `page=abc` is a 400
            return super().filter_queryset(request, queryset, view)
        except ValidationError:
            # The 400 is JSON even when a CSV or XLSX export was asked for: its messages
            # quote the bad input, which a spreadsheet cell may not hold.
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
            raise

    def filter_names(self, view: Any, queryset: QuerySet) -> frozenset[str]:
        filterset_class = self.get_filterset_class(view, queryset)
        return frozenset(filterset_class.base_filters) if filterset_class else frozenset()


def refuse_unaccepted_parameters(request: Request, view: Any, filter_names: frozenset) -> None:
    """A 400 naming each query parameter that is unknown here, empty or given twice."""
    params = request.query_params
    if not params:
        return
    accepted = filter_names | accepted_parameters(view, request.method)
    errors: dict[str, list[str]] = {}
    for name in params:
        values = params.getlist(name)
        if name not in accepted:
            listed = ", ".join(sorted(accepted)) or "none"
            errors[name] = [f"Unknown parameter. Accepted here: {listed}."]
        elif len(values) > 1:
            errors[name] = ["Give this parameter once."]
        elif not values[0].strip():
            errors[name] = ["Give a value, or leave the parameter out."]
    if errors:
        raise ValidationError(errors)


def accepted_parameters(view: Any, method: str) -> frozenset[str]:
    """The query parameters besides the FilterSet's the endpoint documents: its paginator's
    (on a list) and its extend_schema's. Cached per view class, action and method."""
    action = getattr(view, "action", None) or method.lower()
    key = (type(view), action, method)
    if key not in _accepted_cache:
        names = set(ALWAYS_ACCEPTED)
        paginator = getattr(view, "paginator", None)
        if paginator is not None and action == "list":
            names |= {p["name"] for p in paginator.get_schema_operation_parameters(view)}
        names |= _schema_query_names(view, action, method)
        _accepted_cache[key] = frozenset(names)
    return _accepted_cache[key]


def _schema_query_names(view: Any, action: str, method: str) -> set[str]:
    """The query parameters extend_schema(parameters=...) documents on this action."""
    handler = getattr(view, action, None)
    schema_class = getattr(handler, "kwargs", {}).get("schema")
    schema = schema_class() if schema_class is not None else view.schema
    schema.view = view
    schema.method = method.upper()
    names = set()
    for parameter in schema.get_override_parameters():
        if isinstance(parameter, OpenApiParameter):
            if parameter.location == OpenApiParameter.QUERY:
                names.add(parameter.name)
        elif isinstance(parameter, BaseSerializer) or (
            isinstance(parameter, type) and issubclass(parameter, BaseSerializer)
        ):
            serializer = parameter() if isinstance(parameter, type) else parameter
            names |= set(serializer.fields)
    return names
