"""CSV and XLSX downloads of the finance endpoints, checked cell by cell."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from common.exports import cell_text, neutralise
from tests.api.conftest import client_for

pytestmark = pytest.mark.django_db


def csv_rows(response) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def xlsx_rows(response) -> list[tuple]:
    book = load_workbook(io.BytesIO(response.content))
    return list(book.active.iter_rows(values_only=True))


@pytest.mark.parametrize("text", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_every_formula_start_gets_an_apostrophe(text):
    assert neutralise(text) == "'" + text
    assert cell_text(text) == "'" + text


def test_plain_text_and_our_numbers_are_left_alone():
    assert neutralise("Acme") == "Acme"
    assert (cell_text(Decimal("-5.00")), cell_text(None)) == ("-5.00", "")


def test_service_credits_as_csv_neutralise_a_formula_vendor_name(world):
    response = client_for(world.finance).get(
        "/api/v1/service-credits/", {"format": "csv", "period": "2026-10"}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="service-credits.csv"' in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header == [
        "contract",
        "contract_name",
        "vendor",
        "vendor_name",
        "month",
        "period_label",
        "amount",
        "currency",
        "credit_pct",
        "per_metric",
    ]
    by_name = {r[3]: r for r in rows}
    assert by_name["Acme Support"] == [
        str(world.a.contract.pk),
        "A desk",
        str(world.a.vendor.pk),
        "Acme Support",
        "2026-10-01",
        "2026-10",
        "500.00",
        "GBP",
        "5.00",
        "resolution_sla_pct 5.00%",
    ]
    assert by_name['\'=HYPERLINK("x")'][6:8] == ["500.00", "EUR"]


def test_cost_per_ticket_as_xlsx_has_numeric_cells_and_no_formula(world):
    response = client_for(world.finance).get(
        "/api/v1/cost-per-ticket/", {"format": "xlsx", "subject_kind": "vendor"}
    )

    assert response.status_code == 200
    header, *rows = xlsx_rows(response)
    assert header[:4] == ("subject_kind", "subject_id", "subject_name", "vendor")
    by_name = {r[2]: dict(zip(header, r, strict=True)) for r in rows}
    acme = by_name["Acme Support"]
    assert (acme["cost_per_ticket"], acme["invoiced_amount"], acme["tickets_resolved"]) == (
        15,
        1500,
        100,
    )
    assert isinstance(acme["cost_per_ticket"], int | float)
    assert acme["currency"] == "GBP" and acme["low_sample"] is False
    evil = by_name['\'=HYPERLINK("x")']
    assert evil["vendor_name"] == '\'=HYPERLINK("x")'
    book = load_workbook(io.BytesIO(response.content))
    assert all(c.data_type != "f" for row in book.active.iter_rows() for c in row)


def test_scorecards_as_csv_have_one_row_per_metric(world):
    response = client_for(world.manager).get(
        "/api/v1/scorecards/",
        {"format": "csv", "vendor": world.a.vendor.pk, "metrics": "sla_compliance_pct"},
    )

    header, *rows = csv_rows(response)
    assert rows == [
        [
            "vendor",
            str(world.a.vendor.pk),
            "Acme Support",
            str(world.a.vendor.pk),
            "month",
            "2026-10-01",
            "2026-10",
            "84.50",
            "B",
            "sla_compliance_pct",
            "90.0000",
            "18.0000",
            "20.0000",
            "69.9031",
            "97.2133",
            "20",
            "false",
            "0",
            "%",
            "",
        ]
    ]
    assert header[9] == "metric"


def test_savings_and_invoices_download_as_xlsx(world):
    client = client_for(world.finance)

    savings = xlsx_rows(client.get("/api/v1/savings/", {"format": "xlsx", "as_of": "2026-10"}))
    invoices = xlsx_rows(client.get("/api/v1/invoices/", {"format": "xlsx"}))

    header, *rows = savings
    acme_6 = next(dict(zip(header, r, strict=True)) for r in rows if r[1] == "A desk")
    assert (acme_6["months"], acme_6["baseline"], acme_6["net_cost"], acme_6["savings"]) == (
        6,
        12000,
        1000,
        11000,
    )
    assert len(rows) == 6  # two contracts x three windows
    header, *rows = invoices
    assert {r[header.index("vendor_name")] for r in rows} == {"Acme Support", '\'=HYPERLINK("x")'}


def test_a_format_the_endpoint_does_not_offer_is_a_404(world):
    response = client_for(world.manager).get("/api/v1/tickets/", {"format": "csv"})

    assert response.status_code == 404
