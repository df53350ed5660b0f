"""The file layer: decompression, encodings, delimiters, column checks, row numbers, grouping."""

from __future__ import annotations

import csv
import gzip
import io
import lzma
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tickets.ingest import files, streams
from tickets.ingest.records import FormatError, RowError

DATA = Path(__file__).parent / "data"
SAMPLE = b"id,name,when\r\n1,Ana,2026-11-23\r\n2,Bo,2026-11-24\r\n"


class OneWay(io.RawIOBase):
    """A non-seekable stream, like an upload read off a socket."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def rows_of(stream, name: str = "") -> tuple[list[str], list[tuple[int, list[str]]]]:
    table = files.read_csv(stream, name=name)
    return table.header, list(table.rows)


def zipped(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for member, data in members.items():
            archive.writestr(member, data)
    return out.getvalue()


EXPECTED = (
    ["id", "name", "when"],
    [(2, ["1", "Ana", "2026-11-23"]), (3, ["2", "Bo", "2026-11-24"])],
)


@pytest.mark.parametrize(
    ("packed", "name"),
    [
        (SAMPLE, "plain.csv"),
        (gzip.compress(SAMPLE), "export.csv.gz"),
        (lzma.compress(SAMPLE), "export.csv.xz"),
        (zipped({"export.csv": SAMPLE}), "export.zip"),
        (zipped({"export.csv": SAMPLE, "__MACOSX/._export.csv": b"\x00\x05"}), "mac.zip"),
        (gzip.compress(SAMPLE), ""),  # no name: recognised by its magic bytes
        (lzma.compress(SAMPLE), "upload.bin"),
        (zipped({"inner.csv.gz": gzip.compress(SAMPLE)}), "nested.zip"),
    ],
)
def test_compressed_files_open_transparently(packed: bytes, name: str) -> None:
    assert rows_of(io.BytesIO(packed), name) == EXPECTED


def test_non_seekable_streams_and_paths(tmp_path: Path) -> None:
    assert rows_of(io.BufferedReader(OneWay(zipped({"a.csv": SAMPLE}))), "a.zip") == EXPECTED
    assert rows_of(io.BufferedReader(OneWay(lzma.compress(SAMPLE)))) == EXPECTED
    path = tmp_path / "export.csv.gz"
    path.write_bytes(gzip.compress(SAMPLE))
    assert rows_of(path) == EXPECTED
    assert rows_of(str(path)) == EXPECTED


def test_zip_with_several_members_is_refused_naming_them() -> None:
    packed = zipped({"january.csv": SAMPLE, "february.csv": SAMPLE})
    with pytest.raises(FormatError, match=r"holds 2 files \(january.csv, february.csv\)"):
        streams.open_text(io.BytesIO(packed), name="both.zip")


def test_empty_zip_and_misnamed_gzip_are_refused() -> None:
    with pytest.raises(FormatError, match="empty"):
        streams.open_text(io.BytesIO(zipped({})), name="none.zip")
    with pytest.raises(FormatError, match="named like a gzip file but is not one"):
        streams.open_text(io.BytesIO(SAMPLE), name="export.csv.gz")


def test_truncated_archive_is_a_format_error() -> None:
    packed = lzma.compress(SAMPLE * 5000)
    with pytest.raises(FormatError, match="damaged or truncated"):
        rows_of(io.BytesIO(packed[: len(packed) // 2]), "cut.csv.xz")


def test_an_archive_cut_far_into_the_file_fails_at_a_row() -> None:
    lines = b"".join(b"%d,%s\n" % (i, bytes(range(65, 91))[i % 26 :] * 3) for i in range(200_000))
    packed = gzip.compress(b"id,text\n" + lines)
    table = files.read_csv(io.BytesIO(packed[: len(packed) * 9 // 10]), name="cut.csv.gz")
    with pytest.raises(FormatError, match=r"damaged or truncated \(at row \d+\)"):
        for _ in table.rows:
            pass


def test_utf8_bom_is_stripped_from_the_first_column() -> None:
    header, rows = rows_of(io.BytesIO(b"\xef\xbb\xbf" + SAMPLE))
    assert header[0] == "id"
    assert (header, rows) == EXPECTED


def test_cp1252_file_is_decoded_and_said_so() -> None:
    table = files.read_csv(DATA / "mapped_cp1252_semicolon.csv")
    assert table.header[2] == "Priorität"
    assert "Windows-1252" in table.notes[0]
    first = next(table.rows)
    assert first == (2, ["T-1", "16.11.2026 10:00", "Hoch", "Gelöst", "Müller IT"] + first[1][5:])
    assert streams.detect_encoding("Gelöst".encode("cp1252")) == "cp1252"


def test_a_stray_cp1252_byte_far_into_a_utf8_file_still_reads() -> None:
    body = b"".join(b"%d,Ana,x\n" % i for i in range(20_000))  # > the 64 KiB looked at first
    data = b"id,name,note\n" + body + "99,Zoë,".encode() + "café\n".encode("cp1252")
    _, rows = rows_of(io.BytesIO(data))
    assert rows[-1][1] == ["99", "Zoë", "café"]


def test_utf16_excel_unicode_text_reads() -> None:
    data = "id\tname\n1\tÅsa\n".encode("utf-16")  # with BOM, tab-separated: Excel's "Unicode"
    assert rows_of(io.BytesIO(data)) == (["id", "name"], [(2, ["1", "Åsa"])])


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (bytes(range(256)) * 10, "not a text file"),
        (b"\x89PNG\r\n\x1a\n" + bytes(100), "image"),
        (b"%PDF-1.7\n...", "PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "legacy Office"),
        (gzip.compress(bytes(range(256)) * 4), "not a text file"),
    ],
)
def test_a_binary_file_is_a_clear_format_error(data: bytes, reason: str) -> None:
    with pytest.raises(FormatError, match=reason):
        streams.open_text(io.BytesIO(data), name="upload.csv")


def test_an_xlsx_given_as_csv_says_it_is_a_workbook(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "name"])
    path = tmp_path / "tickets.xlsx"
    workbook.save(path)
    with pytest.raises(FormatError, match=r"Excel workbook \(.xlsx\)"):
        streams.open_text(path)


def test_empty_file_is_refused() -> None:
    with pytest.raises(FormatError, match="empty"):
        files.read_csv(io.BytesIO(b"\n\n"), name="blank.csv")


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_sniff_detects_each_delimiter(delimiter: str) -> None:
    rows = [["Issue key", "Summary", "Status"], ["HD-1", "a, b; c | d", "Open"], ["HD-2", "x", "y"]]
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    assert files.sniff_csv(out.getvalue()).delimiter == delimiter
    assert list(csv.reader(io.StringIO(out.getvalue()), files.sniff_csv(out.getvalue()))) == rows


def test_sniff_fails_clearly_without_a_delimiter() -> None:
    with pytest.raises(FormatError, match="could not detect the delimiter"):
        files.sniff_csv("just one column\nvalue\n")


def test_semicolon_file_reads_with_a_given_delimiter_too() -> None:
    data = b"a;b\n1;2,5\n"
    assert rows_of(io.BytesIO(data)) == (["a", "b"], [(2, ["1", "2,5"])])
    table = files.read_csv(io.BytesIO(data), delimiter=";")
    assert list(table.rows) == [(2, ["1", "2,5"])]


def test_check_columns_names_missing_and_unexpected() -> None:
    with pytest.raises(FormatError) as refused:
        files.check_columns(["id", "Staus", "extra"], ["id", "Status", "Priority"], ["note"])
    assert str(refused.value) == (
        "wrong columns (missing: Status, Priority; unexpected: Staus, extra)"
    )


def test_check_columns_reports_unexpected_unless_strict() -> None:
    notes = files.check_columns(["id", "note", "extra"], ["id"], ["note"])
    assert notes == ["columns not read: extra"]
    assert files.check_columns(["id", "note"], ["id"], ["note"]) == []
    with pytest.raises(FormatError, match=r"wrong columns \(unexpected: extra\)"):
        files.check_columns(["id", "extra"], ["id"], strict=True)


def test_row_numbers_are_spreadsheet_rows() -> None:
    # A quoted cell spanning two lines is one row; a blank line still counts as a row.
    data = b'id,text\n1,"two\nlines"\n\n3,after\n'
    assert rows_of(io.BytesIO(data))[1] == [(2, ["1", "two\nlines"]), (4, ["3", "after"])]


def test_a_delimiter_ending_every_line_adds_no_column() -> None:
    data = b"id;name;\n1;Ana;\n2;Bo;;\n3;Cy;x\n"
    assert rows_of(io.BytesIO(data)) == (
        ["id", "name"],
        [(2, ["1", "Ana"]), (3, ["2", "Bo"]), (4, ["3", "Cy", "x"])],  # the last is too long
    )


def test_group_rows_refuses_a_case_that_comes_back() -> None:
    rows = [
        (2, ["A", "x"]),
        (3, ["A", "y"]),
        (4, ["B", "z"]),
        (5, ["", "no id"]),
        (6, ["A", "late"]),
        (7, ["A", "later"]),
        (8, ["C", "w"]),
    ]
    out = list(files.group_rows(rows, 0, "case"))
    assert out[0] == ("A", rows[0:2])
    assert out[1] == RowError(5, "case", "empty case")
    assert out[2] == ("B", [rows[2]])
    assert isinstance(out[3], RowError) and out[3].row == 6 and out[3].external_id == "A"
    assert "appears again" in out[3].reason
    assert out[4] == ("C", [rows[6]])
    assert len(out) == 5


def test_time_parser_zones_and_formats() -> None:
    london = files.TimeParser(("%d/%m/%Y %H:%M", "iso"), "Europe/London")
    assert london("1/7/2026 09:00") == datetime(2026, 7, 1, 8, 0, tzinfo=UTC)  # BST
    assert london("1/12/2026 09:00") == datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    assert london("2026-07-01T09:00:00+02:00") == datetime(2026, 7, 1, 7, 0, tzinfo=UTC)
    assert london("2026-07-01 09:00:00 +0000") == datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        london("31/2/2026 09:00")
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        files.TimeParser(("iso",), "Mars/Olympus")


def test_xlsx_rows_keep_sheet_numbers(tmp_path: Path) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "when", "n"])
    sheet.append(["A-1", datetime(2026, 11, 23, 9, 45), 3])
    sheet.append([])
    sheet.append(["A-2", None, 4.0])
    path = tmp_path / "t.xlsx"
    workbook.save(path)
    table = files.read_xlsx(path)
    assert table.header == ["id", "when", "n"]
    assert list(table.rows) == [
        (2, ["A-1", datetime(2026, 11, 23, 9, 45), 3]),
        (4, ["A-2", None, 4]),
    ]
