"""The OpenAPI schema's truth about answers: every operation lists the errors it really gives,
in the API's one error shape, and the CSV and XLSX forms of the finance lists.

`document_errors_and_exports` is a drf-spectacular postprocessing hook (SPECTACULAR_SETTINGS
"POSTPROCESSING_HOOKS"). It runs on the finished schema, with the generator's views at hand, so
it sees what a per-view decorator cannot: every operation, whether the view exports, and the
path parameters drf-spectacular could not type from a model.
"""

from __future__ import annotations

import re
from typing import Any

from common.api import EXPORT_MAX_ROWS, ExportMixin
from common.exports import CsvRenderer, XlsxRenderer

ERROR = "Error"
FIELD_ERRORS = "FieldErrors"
CSV = CsvRenderer.media_type
XLSX = XlsxRenderer.media_type

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Every error but a 400: one sentence saying what went wrong.",
    "properties": {"detail": {"type": "string", "example": "Not found."}},
    "required": ["detail"],
}
FIELD_ERRORS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A 400: messages by the name of the body field or query parameter they are "
    "about; `detail` (or `non_field_errors`) holds messages about the request as a whole. An "
    "item of a list in the body has its own messages by field, in the item's position.",
    "minProperties": 1,
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
            {"type": "object"},
        ]
    },
    "example": {"vendor": ["Enter a whole number."]},
}

RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before the next request is let in.",
        "schema": {"type": "integer", "minimum": 0},
        "required": True,
    }
}

# Why each status happens, as the operation's response description says it.
WHY = {
    "400": "The body or a query parameter is invalid: the answer names each one and why.",
    "401": "The bearer token is unknown, revoked or expired (`WWW-Authenticate` says the scheme).",
    "403": "Not signed in (no credentials), your role may not do this, or a session's write "
    "came without its CSRF token.",
    "404": "Nothing with this id that you may see.",
    "404_page": "The page is past the last one.",
    "404_cursor": "The cursor is not one this list gave: follow `next`.",
    "404_format": "`format` names none of json, csv, xlsx.",
    "415": "The body's Content-Type is none of the documented ones.",
    "429": "Too many requests for this token (or session): wait `Retry-After` seconds.",
}

_PATH_ID = re.compile(r"^(id|pk|[a-z_]+_id)$")


def document_errors_and_exports(result: dict, generator: Any, **kwargs: Any) -> dict:
    """Adds the error components and each operation's error answers, types the path ids and
    describes the CSV and XLSX answers of the export lists."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas[ERROR] = ERROR_SCHEMA
    schemas[FIELD_ERRORS] = FIELD_ERRORS_SCHEMA
    for component in schemas.values():
        _require_a_digit_in_decimals(component)
    views = _views_by_operation(generator)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            view = views.get((path, method.upper()))
            tables = _offers_tables(operation)
            _type_path_ids(operation)
            _add_errors(operation)
            if _is_export_list(view):
                _describe_exports(operation, _export_columns(view))
            elif tables:
                _describe_object_tables(operation)
    return result


# drf-spectacular's pattern for a decimal string, which an empty string or "-" also matches.
_LAX_DECIMAL = re.compile(r"^\^-\?\\d\{0,(\d+)\}\(\?:\\\.\\d\{0,(\d+)\}\)\?\$$")


def _require_a_digit_in_decimals(node: Any) -> None:
    """A decimal string's pattern as DRF parses it: at least one digit ("" is refused)."""
    if isinstance(node, dict):
        lax = _LAX_DECIMAL.match(str(node.get("pattern", "")))
        if node.get("format") == "decimal" and lax:
            whole, places = lax.groups()
            node["pattern"] = rf"^-?(?:\d{{1,{whole}}}(?:\.\d{{0,{places}}})?|\.\d{{1,{places}}})$"
        for value in node.values():
            _require_a_digit_in_decimals(value)
    elif isinstance(node, list):
        for value in node:
            _require_a_digit_in_decimals(value)


def _views_by_operation(generator: Any) -> dict[tuple[str, str], Any]:
    """(path, METHOD) -> the view drf-spectacular built for that operation."""
    generator._initialise_endpoints()
    return {
        (path, method.upper()): view
        for path, _regex, method, view in generator._get_paths_and_endpoints()
    }


def _offers_tables(operation: dict) -> bool:
    """Whether the view renders CSV and XLSX (then its errors come in them too)."""
    return any(CSV in answer.get("content", {}) for answer in operation["responses"].values())


def _is_export_list(view: Any) -> bool:
    return isinstance(view, ExportMixin) and getattr(view, "action", None) == "list"


def _export_columns(view: Any) -> list[str]:
    """The export's header row: the view's `export_columns`, else what `export_table` gives for
    no rows (empty when the table needs the request to know its columns)."""
    if view.export_columns:
        return list(view.export_columns)
    try:
        columns, _rows = view.export_table([])
    except Exception:  # a table that needs the request's parameters: no header to show
        return []
    return [str(c) for c in columns]


def _type_path_ids(operation: dict) -> None:
    """Every id in a path is a positive whole number (a route's `[0-9]+` left it a string)."""
    for parameter in operation.get("parameters", []):
        if parameter.get("in") == "path" and _PATH_ID.match(parameter["name"]):
            parameter["schema"] = {"type": "integer", "minimum": 1}


def _add_errors(operation: dict) -> None:
    responses = operation.setdefault("responses", {})
    parameters = operation.get("parameters", [])
    has_path = any(p.get("in") == "path" for p in parameters)
    query_names = {p["name"] for p in parameters if p.get("in") == "query"}
    paging = next((name for name in ("page", "cursor") if name in query_names), None)
    has_format = "format" in query_names
    has_body = "requestBody" in operation

    statuses = []
    if query_names or has_body:
        statuses.append("400")
    statuses += ["401", "403"]
    if has_path or paging or has_format:
        statuses.append("404")
    if has_body:
        statuses.append("415")
    statuses.append("429")

    for status in statuses:
        if status in responses:
            continue
        why = _why_404(has_path, paging, has_format) if status == "404" else WHY[status]
        component = FIELD_ERRORS if status == "400" else ERROR
        response: dict[str, Any] = {
            "description": why,
            "content": _error_content(component),
        }
        if status == "429":
            response["headers"] = RETRY_AFTER
        responses[status] = response


def _why_404(has_path: bool, paging: str | None, has_format: bool) -> str:
    reasons = [WHY["404"]] if has_path else []
    if paging:
        reasons.append(WHY[f"404_{paging}"])
    if has_format:
        reasons.append(WHY["404_format"])
    return " Or: ".join(reasons)


def _error_content(component: str) -> dict:
    # Errors are JSON even to `?format=csv|xlsx` (common.api.ExportMixin.handle_exception).
    return {"application/json": {"schema": _ref(component)}}


def _describe_exports(operation: dict, columns: list[str]) -> None:
    ok = operation.get("responses", {}).get("200")
    if not ok:
        return
    header = ",".join(columns)
    columns_text = (
        f"Columns, in this order: {', '.join(f'`{c}`' for c in columns)}."
        if columns
        else "Columns: the fields of the JSON answer's items, flattened."
    )
    csv_schema: dict[str, Any] = {
        "type": "string",
        "description": "`?format=csv`: UTF-8 with a byte-order mark, CRLF line ends, a header "
        f"row then one row per item (up to {EXPORT_MAX_ROWS:,}). {columns_text} Empty cells are "
        "nulls; a text cell that would start a formula gets a leading apostrophe.",
    }
    if columns:
        csv_schema["example"] = f"{header}\r\n"
    ok.setdefault("content", {})[CSV] = {"schema": csv_schema}
    ok["content"][XLSX] = {
        "schema": {
            "type": "string",
            "format": "binary",
            "description": "`?format=xlsx`: one worksheet, a header row then one row per item; "
            f"numbers are numeric cells. {columns_text}",
        }
    }
    ok.setdefault("headers", {})["Content-Disposition"] = {
        "description": 'With `?format=csv|xlsx`: `attachment; filename="<list>.<format>"`.',
        "schema": {"type": "string"},
    }
    ok["description"] = ok.get("description") or (
        "A JSON page; with `?format=csv` or `?format=xlsx` the whole filtered list as a table."
    )


def _describe_object_tables(operation: dict) -> None:
    """One object of a finance list asked for as `?format=csv|xlsx`: a small table of its
    fields, not the JSON object drf-spectacular assumes for every renderer."""
    for answer in operation["responses"].values():
        content = answer.get("content", {})
        if CSV in content and "$ref" in content[CSV].get("schema", {}):
            content[CSV] = {
                "schema": {
                    "type": "string",
                    "description": "The object as a two-column table (field, value); use JSON.",
                }
            }
            content[XLSX] = {"schema": {"type": "string", "format": "binary"}}


def _ref(component: str) -> dict:
    return {"$ref": f"#/components/schemas/{component}"}
