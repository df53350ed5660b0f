"""Mapped CSV/XLSX reader: the Mapping's dict form, our own format, a user's mapping, XLSX."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tickets.ingest import mapped, zendesk
from tickets.ingest.mapping import Mapping
from tickets.ingest.records import EventRecord, FormatError, RowError, SurveyRecord, TicketRecord

DATA = Path(__file__).parent / "data"

GERMAN = Mapping(
    columns={
        "external_id": "Ticket-Nr",
        "created_at": "Erstellt",
        "priority": "Priorität",
        "status": "Status",
        "attribution": "Dienstleister",
        "resolved_at": "Gelöst",
        "technician": "Techniker",
        "channel": "Kanal",
        "survey_score": "Zufriedenheit",
        "title": "Betreff",
    },
    priorities={"Kritisch": "P1", "Hoch": "P2", "Mittel": "P3", "Niedrig": "P4"},
    statuses={"Offen": "new", "In Bearbeitung": "in_progress", "Gelöst": "resolved"},
    channels={"Telefon": "phone", "E-Mail": "email"},
    time_format="%d.%m.%Y %H:%M",
    time_zone="Europe/Berlin",
)


def test_mapping_round_trips_through_json() -> None:
    stored = json.dumps(GERMAN.to_dict())
    assert Mapping.from_dict(json.loads(stored)) == GERMAN
    assert Mapping.from_dict(Mapping.ours().to_dict()) == Mapping.ours()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "red"}, "unknown keys colour"),
        ({"columns": {"external_id": "id"}}, "must be mapped: attribution, priority, created_at"),
        ({"columns": {**GERMAN.columns, "mood": "x"}}, "unknown fields: mood"),
        ({"priorities": {"Hoch": "P9"}}, "priorities map to unknown values P9"),
        ({"statuses": {"Offen": "open"}}, "statuses map to unknown values open"),
        ({"time_zone": "Europe/Atlantis"}, "unknown time zone 'Europe/Atlantis'"),
        ({"time_format": "dd.mm.yyyy"}, "time_format must be 'iso' or a strptime pattern"),
        ({"survey_scale": 7}, "survey_scale must be 5 or 10"),
        ({"columns": ["external_id"]}, "columns must map text to text"),
    ],
)
def test_invalid_mappings_are_refused_naming_the_problem(change: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Mapping.from_dict({**GERMAN.to_dict(), **change})


def test_our_own_format_is_the_identity_mapping() -> None:
    ours = Mapping.ours()
    assert list(ours.columns) == list(mapped.OUR_COLUMNS)
    assert all(field == column for field, column in ours.columns.items())
    assert (ours.time_format, ours.time_zone) == ("iso", "UTC")


def test_our_format_round_trips_what_a_row_can_hold() -> None:
    source = [
        r
        for r in zendesk.read(DATA / "zendesk_export.csv", default_priority="P3")
        if isinstance(r, TicketRecord)
    ]
    out = io.StringIO(newline="")
    assert mapped.write_ours(source, out) == 8
    packed = gzip.compress(out.getvalue().encode())
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("ours.csv", out.getvalue())
    from_zip = list(mapped.read(io.BytesIO(archive.getvalue()), mapping=Mapping.ours()))
    assert [t.external_id for t in from_zip] == [t.external_id for t in source]
    notes: list[str] = []
    back = list(
        mapped.read(io.BytesIO(packed), mapping=Mapping.ours(), name="ours.csv.gz", notes=notes)
    )
    assert notes == []
    assert len(back) == 8 and all(isinstance(t, TicketRecord) for t in back)
    for before, after in zip(source, back, strict=True):
        for field in (
            "external_id",
            "attribution",
            "priority",
            "status",
            "created_at",
            "resolved_at",
            "closed_at",
            "technician",
            "category",
            "requester",
            "channel",
            "title",
            "survey",
            "source_fcr",
            "source_reopen_count",
            "source_reassignment_count",
        ):
            assert getattr(after, field) == getattr(before, field), (before.external_id, field)
        responded = [e.at for e in before.events if e.kind == "responded"]
        assert [e.at for e in after.events if e.kind == "responded"] == responded
    assert mapped.our_row(back[0]) == mapped.our_row(source[0])


def test_a_users_mapping_over_a_cp1252_semicolon_file() -> None:
    notes: list[str] = []
    records = list(mapped.read(DATA / "mapped_cp1252_semicolon.csv", mapping=GERMAN, notes=notes))
    assert notes == ["the file is not UTF-8; it was read as Windows-1252"]
    first, second, bad_priority, bad_time = records
    assert first == TicketRecord(
        row=2,
        external_id="T-1",
        attribution="Müller IT",
        priority="P2",
        status="resolved",
        created_at=datetime(2026, 11, 16, 9, 0, tzinfo=UTC),  # 10:00 in Berlin (CET)
        resolved_at=datetime(2026, 11, 16, 13, 30, tzinfo=UTC),
        technician="Jürgen",
        channel="phone",
        title="Drucker im 2. Stock",
        events=[
            EventRecord(datetime(2026, 11, 16, 9, 0, tzinfo=UTC), "created", "", "new", "", False),
            EventRecord(datetime(2026, 11, 16, 9, 0, tzinfo=UTC), "assigned", "", "Jürgen", ""),
            EventRecord(
                datetime(2026, 11, 16, 13, 30, tzinfo=UTC), "resolved", "", "resolved", "Jürgen"
            ),
        ],
        survey=SurveyRecord(score=4, answered_at=datetime(2026, 11, 16, 13, 30, tzinfo=UTC)),
    )
    assert (second.status, second.channel, second.technician) == ("in_progress", "email", "Renée")
    assert second.created_at == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)  # CEST
    assert second.title == "Zugang für „Projekt Ä“"
    assert bad_priority == RowError(
        4,
        "Priorität",
        "unknown priority 'Dringend': use one of P1 (or Kritisch), P2 (or Hoch), P3 (or Mittel), "
        "P4 (or Niedrig), or map 'Dringend' to one of them",
        "T-3",
    )
    assert bad_time == RowError(
        5,
        "Erstellt",
        "cannot read the time '17.11.2026 25:00' (expected %d.%m.%Y %H:%M): day-first, "
        "24-hour clock, like 31.12.2026 23:59",
        "T-4",
    )


def test_missing_mapped_columns_are_refused_at_once() -> None:
    data = b"id,opened,prio\nA,2026-01-01T10:00:00Z,P1\n"
    with pytest.raises(FormatError) as refused:
        mapped.read(io.BytesIO(data), mapping=Mapping.ours())
    assert str(refused.value) == (
        "wrong columns (missing: external_id, attribution, priority, status, created_at; "
        "unexpected: id, opened, prio)"
    )


def test_a_minimal_file_in_our_format() -> None:
    data = (
        b"external_id,attribution,priority,status,created_at,resolved_at\n"
        b"A-1,Acme,P2,resolved,2026-11-23T09:00:00+01:00,2026-11-23T10:00:00Z\n"
        b",Acme,P2,new,2026-11-23T09:00:00Z,\n"
        b"A-3,Acme,P2,resolved,2026-11-23T09:00:00Z,\n"
        b"A-4,Acme,p3,NEW,2026-11-23T09:00:00Z,\n"
    )
    notes: list[str] = []
    records = list(mapped.read(io.BytesIO(data), mapping=Mapping.ours(), notes=notes))
    assert notes[0].startswith("mapped columns not in the file: closed_at, updated_at")
    assert records[0].created_at == datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    assert records[0].resolved_at == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert records[1] == RowError(3, "external_id", "empty ticket id")
    assert records[2] == RowError(
        4, "resolved_at", "the ticket is resolved but has no resolution time", "A-3"
    )
    assert (records[3].priority, records[3].status) == ("P3", "new")  # any case


def test_xlsx_with_typed_cells(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Tickets"
    sheet.append(["Ref", "Opened", "Prio", "State", "Supplier", "Resolved", "SLA met"])
    sheet.append(
        [1001, datetime(2026, 11, 23, 9, 45), "High", "Done", "Acme", "2026-11-23 11:00", True]
    )
    sheet.append([1002, "2026-11-24 08:00", "Low", "Open", "Acme"])
    sheet.append([1003, datetime(2026, 11, 23, 9, 45), "Whatever", "Open", "Acme"])
    path = tmp_path / "tickets.xlsx"
    workbook.save(path)
    mapping = Mapping(
        columns={
            "external_id": "Ref",
            "created_at": "Opened",
            "priority": "Prio",
            "status": "State",
            "attribution": "Supplier",
            "resolved_at": "Resolved",
            "sla_met": "SLA met",
        },
        priorities={"High": "P2", "Low": "P4"},
        statuses={"Done": "resolved", "Open": "new"},
        time_zone="Europe/London",
        time_format="%Y-%m-%d %H:%M",
        sheet="Tickets",
    )
    for source in (path, io.BytesIO(path.read_bytes())):
        done, still_open, error = mapped.read(source, mapping=mapping, name="tickets.xlsx")
        assert done.external_id == "1001"  # a number cell, read as its digits
        assert done.created_at == datetime(2026, 11, 23, 9, 45, tzinfo=UTC)
        assert done.status == "resolved" and done.source_sla_met is True
        assert done.resolved_at == datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # a text cell
        assert still_open.created_at == datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
        assert error == RowError(
            4,
            "Prio",
            "unknown priority 'Whatever': use one of P1, P2 (or High), P3, P4 (or Low), "
            "or map 'Whatever' to one of them",
            "1003",
        )
    # Recognised as a workbook without its name, and a zipped CSV is not taken for one.
    unnamed = list(mapped.read(io.BytesIO(path.read_bytes()), mapping=mapping))
    assert [r.external_id for r in unnamed] == ["1001", "1002", "1003"]
    with pytest.raises(FormatError, match="no sheet 'Sheet9'"):
        mapping.sheet = "Sheet9"
        mapped.read(path, mapping=mapping)
