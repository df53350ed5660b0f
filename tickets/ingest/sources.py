"""One door to every reader: a format name and its options (as saved per source) to records.

Pure, like the readers: options are a plain dict (what SourceMapping stores as JSON).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, BinaryIO

from tickets.ingest import jira, mapped, servicenow, vinst, zendesk
from tickets.ingest.mapping import Mapping
from tickets.ingest.records import RowError, TicketRecord

# The options each format takes; anything else is refused, naming what it does take.
OPTIONS: dict[str, tuple[str, ...]] = {
    "servicenow": ("time_zone",),
    "vinst": ("attribute_by",),
    "jira": ("time_zone", "time_format", "attribute_by", "status_map", "priority_map"),
    "zendesk": ("time_zone", "time_format", "attribute_by", "category_column", "default_priority"),
    "mapped": ("mapping", "time_zone"),
}
FORMATS = tuple(OPTIONS)


def check_options(format: str, options: dict[str, Any]) -> dict[str, Any]:
    """The options without empty values; ValueError naming an unknown format or option."""
    if format not in OPTIONS:
        raise ValueError(f"unknown format {format!r} (use one of {', '.join(FORMATS)})")
    options = {k: v for k, v in options.items() if v not in (None, "", {}, [])}
    unknown = sorted(set(options) - set(OPTIONS[format]))
    if unknown:
        takes = ", ".join(OPTIONS[format])
        raise ValueError(
            f"the {format} format does not take {', '.join(unknown)} (it takes {takes})"
        )
    if format == "mapped" and "mapping" in options:
        Mapping.from_dict(options["mapping"])  # ValueError naming what is wrong
    return options


def read(
    stream_or_path: BinaryIO | str | os.PathLike[str],
    *,
    format: str,
    options: dict[str, Any] | None = None,
    name: str = "",
    notes: list[str] | None = None,
) -> Iterator[TicketRecord | RowError]:
    """The records of a file in `format`. FormatError at once for a file that cannot be read
    (wrong columns, encoding, delimiter); ValueError for a bad option."""
    options = check_options(format, options or {})
    if format == "mapped":
        mapping = Mapping.from_dict(options["mapping"]) if "mapping" in options else Mapping.ours()
        if "time_zone" in options:
            mapping = replace(mapping, time_zone=options["time_zone"])
        return mapped.read(stream_or_path, mapping=mapping, name=name, notes=notes)
    reader = {
        "servicenow": servicenow.read,
        "vinst": vinst.read,
        "jira": jira.read,
        "zendesk": zendesk.read,
    }[format]
    return reader(stream_or_path, name=name, notes=notes, **options)
