"""CSV and XLSX renderers for the finance endpoints (`?format=csv`, `?format=xlsx`).

Both take the flat table an endpoint builds for export: `{"columns": [...], "rows": [[...]]}`.
No cell may start a formula in a spreadsheet: any text beginning with `=`, `+`, `-`, `@`, a tab
or a carriage return gets a leading apostrophe. Numbers (int, Decimal, float) are our own
figures, never text a user typed, so they stay numbers: numeric cells in XLSX.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from rest_framework.renderers import BaseRenderer

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """The text a spreadsheet shows as text: a would-be formula (or DDE payload) gets a
    leading apostrophe (OWASP CSV injection). Every CSV and XLSX we write goes through this."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def cell_value(value: Any) -> Any:
    """A cell for XLSX: numbers as numbers, booleans as booleans, everything else as text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal | float):
        return value
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    # Control characters cannot be stored in a worksheet (openpyxl refuses the whole file).
    return neutralise(ILLEGAL_CHARACTERS_RE.sub("", str(value)))


def cell_text(value: Any) -> str:
    """A cell for CSV: the same rules as XLSX, written as text."""
    value = cell_value(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _table(data: Any) -> tuple[list[str], list[list[Any]]]:
    if isinstance(data, dict) and "columns" in data and "rows" in data:
        return list(data["columns"]), list(data["rows"])
    # Errors never come here (they are JSON); anything else is one cell.
    return ["message"], [[data]]


class CsvRenderer(BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type=None, renderer_context=None) -> bytes:
        columns, rows = _table(data)
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([cell_text(c) for c in columns])
        for row in rows:
            writer.writerow([cell_text(v) for v in row])
        # A byte-order mark so that Excel opens the UTF-8 file with the right characters.
        return ("\ufeff" + out.getvalue()).encode("utf-8")


class XlsxRenderer(BaseRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data: Any, accepted_media_type=None, renderer_context=None) -> bytes:
        from openpyxl import Workbook

        columns, rows = _table(data)
        book = Workbook(write_only=True)
        sheet = book.create_sheet("data")
        sheet.append([cell_value(c) for c in columns])
        for row in rows:
            sheet.append([cell_value(v) for v in row])
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()


EXPORT_FORMATS = ("csv", "xlsx")
