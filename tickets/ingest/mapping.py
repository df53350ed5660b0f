"""A user's column mapping, checked when it is made.

A `Mapping` says which of their columns holds each of our fields, how their priority, status
and channel values are spelt, and how their times are written; one that is wrong raises
ValueError naming what. It round-trips through a plain dict (stored per source as JSON).
`Mapping.ours()` is our own format: columns named exactly as our fields, our values, ISO 8601
times. `mapped` reads a file through a mapping.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tickets.ingest import files
from tickets.ingest.records import CHANNELS, PRIORITIES, STATUSES

# In this order: our own format's columns (mapped.OUR_COLUMNS) and a row's values are read so.
FIELDS = (
    "external_id",
    "attribution",
    "priority",
    "status",
    "created_at",
    "resolved_at",
    "closed_at",
    "updated_at",
    "technician",
    "category",
    "requester",
    "channel",
    "title",
    "first_response_at",
    "survey_score",
    "survey_answered_at",
    "sla_met",
    "fcr",
    "reopen_count",
    "reassignment_count",
    "escalated",
)
# The status is not required: many exports have none, and their resolved and closed times
# say which tickets are done (Mapping.derives_status).
REQUIRED_FIELDS = ("external_id", "attribution", "priority", "created_at")
OPTIONAL_FIELDS = tuple(f for f in FIELDS if f not in REQUIRED_FIELDS)
# Shown when a time format is refused: the common ones, in words and as the pattern.
TIME_FORMAT_EXAMPLES = ("%d/%m/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%Y-%m-%d %H:%M:%S")
TIME_FIELDS = frozenset(
    {"created_at", "resolved_at", "closed_at", "updated_at", "first_response_at"}
    | {"survey_answered_at"}
)


@dataclass
class Mapping:
    """How one source's spreadsheet maps onto our ticket fields.

    columns: our field -> their column name (REQUIRED_FIELDS must be mapped). Without a
    status column the status is derived from the resolved and closed times (derives_status).
    priorities / statuses / channels: their value -> ours (matched ignoring case and extra
    spaces); our own values are always accepted too. An unknown priority or status is a row
    error; an unknown channel reads as "other".
    time_format: "iso" or a strptime pattern such as "%d/%m/%Y %H:%M".
    time_zone: IANA zone of times written without an offset.
    delimiter: CSV delimiter, sniffed if None. sheet: XLSX worksheet, the first if None.
    default_priority: used when the priority cell is empty ("" = empty is a row error).
    survey_scale: 5 (CSAT 1..5) or 10 (NPS 0..10).
    """

    columns: dict[str, str]
    priorities: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)
    time_format: str = "iso"
    time_zone: str = "UTC"
    delimiter: str | None = None
    sheet: str | None = None
    default_priority: str = ""
    survey_scale: int = 5

    def __post_init__(self) -> None:
        problems = []
        unknown = sorted(set(self.columns) - set(FIELDS))
        if unknown:
            problems.append(f"unknown fields: {', '.join(unknown)} (use {', '.join(FIELDS)})")
        unmapped = [f for f in REQUIRED_FIELDS if not self.columns.get(f)]
        if unmapped:
            problems.append("fields that must be mapped: " + ", ".join(unmapped))
        for label, spellings, allowed in (
            ("priorities", self.priorities, PRIORITIES),
            ("statuses", self.statuses, STATUSES),
            ("channels", self.channels, CHANNELS),
        ):
            wrong = sorted({v for v in spellings.values() if v not in allowed})
            if wrong:
                problems.append(
                    f"{label} map to unknown values {', '.join(wrong)} (use {', '.join(allowed)})"
                )
        if self.default_priority and self.default_priority not in PRIORITIES:
            problems.append(f"default_priority must be one of {', '.join(PRIORITIES)}")
        if self.survey_scale not in (5, 10):
            problems.append("survey_scale must be 5 or 10 (5: CSAT 1..5, 10: NPS 0..10)")
        if self.delimiter is not None and len(self.delimiter) != 1:
            problems.append("delimiter must be one character (such as , ; | or a tab)")
        if self.time_format != "iso" and "%" not in self.time_format:
            common = ", ".join(f"{f} ({files.format_in_words(f)})" for f in TIME_FORMAT_EXAMPLES)
            problems.append(
                "time_format must be 'iso' or a strptime pattern like %d/%m/%Y %H:%M"
                f" (common ones: {common})"
            )
        try:
            files.zone(self.time_zone)
        except ValueError as exc:
            problems.append(str(exc))
        if problems:
            raise ValueError("invalid mapping: " + "; ".join(problems))

    @property
    def derives_status(self) -> bool:
        """No status column is mapped: each ticket's status comes from its times."""
        return not self.columns.get("status")

    def required_columns(self) -> list[str]:
        """The columns a file must have, in the order of FIELDS: the required fields', and the
        status column if one is mapped (a status derived from the times instead would lose the
        pauses of pending tickets, so a mapped one that is missing stops the file)."""
        return [
            self.columns[f]
            for f in FIELDS
            if f in REQUIRED_FIELDS or (f == "status" and not self.derives_status)
        ]

    def optional_columns(self) -> list[str]:
        """The other mapped columns: a file may lack them (its values are then empty)."""
        required = set(self.required_columns())
        return [c for f in OPTIONAL_FIELDS if (c := self.columns.get(f)) and c not in required]

    def to_dict(self) -> dict[str, Any]:
        """A plain, JSON-serialisable dict; Mapping.from_dict(m.to_dict()) == m."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Mapping:
        """A Mapping from a plain dict; ValueError naming what is wrong."""
        if not isinstance(data, dict):
            raise ValueError("invalid mapping: expected an object")
        known = list(cls.__dataclass_fields__)
        extra = sorted(set(data) - set(known))
        if extra:
            raise ValueError(
                f"invalid mapping: unknown keys {', '.join(extra)} (use {', '.join(known)})"
            )
        if "columns" not in data:
            raise ValueError("invalid mapping: 'columns' is required")
        for key in ("columns", "priorities", "statuses", "channels"):
            value = data.get(key, {})
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in value.items()
            ):
                raise ValueError(f"invalid mapping: {key} must map text to text")
        return cls(**{k: (dict(v) if isinstance(v, dict) else v) for k, v in data.items()})

    @classmethod
    def ours(cls) -> Mapping:
        """Our own format: every field in a column of its own name, ISO times, our values."""
        return cls(columns={f: f for f in FIELDS})
