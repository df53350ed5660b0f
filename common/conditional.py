"""Conditional GETs for the read endpoints: `ETag` / `If-None-Match` and `Last-Modified` /
`If-Modified-Since`, so a finance job pulling an unchanged list gets a 304 with no body.

The ETag is a hash of the answer itself, after rendering: whatever changes what the caller
would read (a row added, changed or deleted, a renamed vendor, another page, filter or format)
changes it, with no per-endpoint rule to forget. It also hashes the caller's id and the media
type, so one user's tag never validates another user's answer. JSON and CSV get a strong tag
(the bytes are the same, byte for byte); XLSX a weak one (W/"..."), hashed from the table it
holds, as the file embeds the time it was written.

Last-Modified is the newest of a timestamp column (`last_modified_field` on the view) over the
whole filtered list, or the one object. It moves when a row is added or restated, but not when
a row is deleted or a name elsewhere changes, and HTTP dates have whole seconds: If-None-Match
is the exact check (and, when both are sent, the only one read, as RFC 9110 says).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from django.db.models import Max, QuerySet
from django.http import HttpResponseBase
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

CONDITIONAL_METHODS = ("GET", "HEAD")


def answer_etag(request: Request, response: Response) -> str:
    """The ETag of a rendered answer (quoted; W/ for a binary format)."""
    digest = hashlib.sha256()
    digest.update(f"{getattr(request.user, 'pk', None)}\n{response['Content-Type']}\n".encode())
    renderer = getattr(response, "accepted_renderer", None)
    if getattr(renderer, "render_style", "text") == "binary":
        # The file's bytes vary with the time it was written: hash what it holds instead.
        digest.update(json.dumps(response.data, cls=JSONEncoder, sort_keys=True).encode())
        return f'W/"{digest.hexdigest()[:40]}"'
    digest.update(response.content)
    return f'"{digest.hexdigest()[:40]}"'


def newest(queryset: QuerySet, field: str) -> dt.datetime | None:
    """The newest `field` of the rows (None for none): one aggregate query, unordered."""
    return queryset.order_by().aggregate(newest=Max(field))["newest"]


def conditional_answer(
    request: Request, response: Response, *, last_modified: dt.datetime | None = None
) -> HttpResponseBase:
    """`response` (a 2xx to a GET or HEAD) with its ETag and Last-Modified set, or a 304 keeping
    those headers when the caller's copy is still current."""
    if request.method not in CONDITIONAL_METHODS or not 200 <= response.status_code < 300:
        return response
    response.render()
    etag = answer_etag(request, response)
    response["ETag"] = etag
    # Private: an answer depends on who asks. no-cache: a client revalidates every time (a
    # 304 is cheap), so no pull ever reads a stale copy.
    patch_cache_control(response, private=True, no_cache=True)
    timestamp = None
    if last_modified is not None:
        # Whole seconds, as HTTP dates have (a later change in the same second still changes
        # the ETag).
        timestamp = int(last_modified.timestamp())
        response["Last-Modified"] = http_date(timestamp)
    return get_conditional_response(
        request._request, etag=etag, last_modified=timestamp, response=response
    )


class ConditionalMixin:
    """ETag and Last-Modified on a viewset's list and retrieve answers, 304 when unchanged.

    `last_modified_field` names a timestamp column of the listed model (computed_at,
    restated_at, updated_at, ...) that moves whenever a row's content does; without one the
    answer has an ETag only.
    """

    last_modified_field: str | None = None
    conditional_actions = ("list", "retrieve")

    def finalize_response(
        self, request: Request, response: Any, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        response = super().finalize_response(request, response, *args, **kwargs)
        if (
            getattr(self, "action", None) not in self.conditional_actions
            or request.method not in CONDITIONAL_METHODS
            or not isinstance(response, Response)
            or not 200 <= response.status_code < 300
        ):
            return response
        return conditional_answer(request, response, last_modified=self.answer_last_modified())

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        # Kept for answer_last_modified: the filters validate a form per call, and the
        # list's rows and its date are read from the same filtered rows.
        self._filtered = super().filter_queryset(queryset)
        return self._filtered

    def answer_last_modified(self) -> dt.datetime | None:
        """The newest `last_modified_field` of what the answer shows: the filtered list (all
        its pages, so a row added on page 1 moves page 2's date too), or the one object."""
        field = self.last_modified_field
        if not field:
            return None
        queryset = getattr(self, "_filtered", None)
        if queryset is None:
            queryset = self.filter_queryset(self.get_queryset())
        if self.action == "retrieve":
            lookup = self.lookup_url_kwarg or self.lookup_field
            queryset = queryset.filter(**{self.lookup_field: self.kwargs[lookup]})
        return newest(queryset, field)


# --- the schema -----------------------------------------------------------------------------

_ETAG_HEADER = {
    "description": "A tag of this exact answer (the caller's, with its query and format): send "
    "it back as If-None-Match to get a 304 while nothing changed. Strong for JSON and CSV, "
    'weak (W/"...") for XLSX.',
    "schema": {"type": "string"},
    "required": True,
}
_LAST_MODIFIED_HEADER = {
    "description": "The newest change among the rows of the whole list (or the object), as an "
    "HTTP date; absent when there is none. If-None-Match is the exact check.",
    "schema": {"type": "string"},
}


def document_conditional_gets(result: dict, generator: Any, **kwargs: Any) -> dict:
    """A drf-spectacular postprocessing hook: every list and detail GET of a ConditionalMixin
    view documents If-None-Match (and If-Modified-Since where it has a Last-Modified), the
    ETag (and Last-Modified) of its 200, and its 304."""
    generator._initialise_endpoints()
    views = {
        (path, method.upper()): view
        for path, _regex, method, view in generator._get_paths_and_endpoints()
    }
    for path, operations in result.get("paths", {}).items():
        operation = operations.get("get")
        view = views.get((path, "GET"))
        if operation is None or not isinstance(view, ConditionalMixin):
            continue
        if getattr(view, "action", None) not in view.conditional_actions:
            continue
        _document(operation, dated=bool(view.last_modified_field))
    return result


def _document(operation: dict, *, dated: bool) -> None:
    parameters = operation.setdefault("parameters", [])
    if any(p.get("name") == "If-None-Match" for p in parameters):
        return  # documented already (the hook ran twice)
    parameters.append(
        {
            "in": "header",
            "name": "If-None-Match",
            "schema": {"type": "string"},
            "description": "The ETag of the copy you hold (or several, separated by commas): "
            "304 with no body while the answer is unchanged.",
        }
    )
    headers = {"ETag": _ETAG_HEADER}
    if dated:
        parameters.append(
            {
                "in": "header",
                "name": "If-Modified-Since",
                "schema": {"type": "string"},
                "description": "An HTTP date (the Last-Modified you were given): 304 while no "
                "row changed since. Ignored when If-None-Match is sent.",
            }
        )
        headers["Last-Modified"] = _LAST_MODIFIED_HEADER
    responses = operation.setdefault("responses", {})
    if "200" in responses:
        responses["200"].setdefault("headers", {}).update(headers)
    responses["304"] = {
        "description": "Not modified: your copy (If-None-Match, or If-Modified-Since) is still "
        "the answer. No body; the ETag (and Last-Modified) are sent again.",
        "headers": headers,
    }
