"""Strict query parameters: a malformed, empty, repeated or unknown one is a 400 naming it,
never a 200 with every row (a finance job's typo must not pass unnoticed)."""

from __future__ import annotations

import pytest

from common.filters import TEXT_PATTERN
from tests.api.conftest import client_for, ids


@pytest.mark.parametrize(
    ("path", "params", "named"),
    [
        ("/api/v1/tickets/", {"resolved_before": ""}, "resolved_before"),
        ("/api/v1/tickets/", {"resolved_before": "notadate"}, "resolved_before"),
        ("/api/v1/disputes/", {"raised_from": ""}, "raised_from"),
        ("/api/v1/disputes/", {"raised_from": "notadate"}, "raised_from"),
        ("/api/v1/action-items/", {"raised_from": "notadate"}, "raised_from"),
        ("/api/v1/action-items/", {"raised_from": " "}, "raised_from"),
        ("/api/v1/tickets/", {"vendor": "abc"}, "vendor"),
        ("/api/v1/tickets/", {"vendor": "0"}, "vendor"),
        ("/api/v1/tickets/", {"breached": "maybe"}, "breached"),
        ("/api/v1/invoices/", {"contract": "0"}, "contract"),
        ("/api/v1/invoices/", {"updated_since": "yesterday"}, "updated_since"),
        ("/api/v1/scorecards/", {"period_kind": "year"}, "period_kind"),
        ("/api/v1/scorecards/", {"metrics": ""}, "metrics"),
        ("/api/v1/invoices/", {"page_size": "true"}, "page_size"),
        ("/api/v1/invoices/", {"page_size": "0"}, "page_size"),
        ("/api/v1/invoices/", {"page_size": "501"}, "page_size"),
        ("/api/v1/scorecards/", {"page_size": "51"}, "page_size"),
        ("/api/v1/invoices/", {"page": "abc"}, "page"),
        ("/api/v1/invoices/", {"page": "0"}, "page"),
        ("/api/v1/invoices/", {"page": "last"}, "page"),
        ("/api/v1/tickets/", {"page_size": "-1"}, "page_size"),
        ("/api/v1/tickets/", {"cursor": ""}, "cursor"),
        ("/api/v1/invoices/", {"page": str(2**31)}, "page"),
        ("/api/v1/tickets/", {"breached": "1"}, "breached"),
        ("/api/v1/vendors/", {"slug": ""}, "slug"),
        ("/api/v1/vendors/", {"slug": "a\x00"}, "slug"),
        ("/api/v1/scorecards/", {"period": "2026-13"}, "period"),
        ("/api/v1/breaches/", {"period": "2026-w43"}, "period"),
    ],
)
def test_a_malformed_value_is_a_400_naming_its_parameter(world, path, params, named):
    response = client_for(world.manager).get(path, params)

    assert response.status_code == 400, response.content
    assert list(response.json()) == [named]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("params", [{"page": "abc"}, {"page_size": "x"}, {"page": "0"}])
def test_an_export_refuses_malformed_paging_too(world, fmt, params):
    # An export is not paged, yet a malformed `page` must not pass unnoticed.
    response = client_for(world.manager).get("/api/v1/service-credits/", {**params, "format": fmt})

    assert response.status_code == 400
    assert list(response.json()) == list(params)  # JSON: a message is no spreadsheet cell


def test_an_export_answers_a_bad_filter_in_json(world):
    bad = '=\x01 "not a kind"'
    response = client_for(world.manager).get(
        "/api/v1/scorecards/", {"subject_kind": bad, "format": "xlsx"}
    )

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert list(response.json()) == ["subject_kind"]


@pytest.mark.parametrize(
    ("path", "typo"),
    [
        ("/api/v1/tickets/", "resolved_befor"),
        ("/api/v1/invoices/", "ordering"),
        ("/api/v1/service-credits/", "contract_id"),
        ("/api/v1/savings/", "vendr"),
        ("/api/v1/vendors/", "page_sise"),
    ],
)
def test_an_unknown_parameter_is_a_400_listing_the_accepted_ones(world, path, typo):
    response = client_for(world.manager).get(path, {typo: "1"})

    assert response.status_code == 400, response.content
    [message] = response.json()[typo]
    assert message.startswith("Unknown parameter. Accepted here: ")
    assert "page_size" in message


def test_the_accepted_names_are_the_documented_ones(world):
    response = client_for(world.manager).get("/api/v1/invoices/", {"nope": "1"})

    accepted = response.json()["nope"][0].removeprefix("Unknown parameter. Accepted here: ")
    assert accepted.rstrip(".").split(", ") == [
        "contract",
        "format",
        "page",
        "page_size",
        "period_from",
        "period_to",
        "updated_since",
        "vendor",
    ]


def test_a_parameter_given_twice_is_a_400(world):
    a, b = world.a.vendor.pk, world.b.vendor.pk
    response = client_for(world.manager).get(f"/api/v1/invoices/?vendor={a}&vendor={b}")

    assert response.status_code == 400
    assert response.json() == {"vendor": ["Give this parameter once."]}


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/invoices/", {"page": "2"}),
        ("/api/v1/invoices/", {"page": str(2**31 - 1)}),
        ("/api/v1/tickets/", {"cursor": "notacursor"}),
    ],
)
def test_a_page_past_the_last_or_an_unknown_cursor_stays_a_404(world, path, params):
    response = client_for(world.manager).get(path, params)

    assert response.status_code == 404
    assert "detail" in response.json()


def test_an_unknown_parameter_on_one_object_is_a_400_too(world):
    invoice = world.a.invoice
    response = client_for(world.manager).get(f"/api/v1/invoices/{invoice.pk}/", {"x": "1"})

    assert response.status_code == 400
    assert list(response.json()) == ["x"]


def test_valid_parameters_still_filter(world):
    client = client_for(world.manager)
    a = world.a

    by_vendor = client.get("/api/v1/invoices/", {"vendor": a.vendor.pk, "page_size": "500"})
    by_page = client.get("/api/v1/invoices/", {"page": "1", "page_size": "1"})
    csv = client.get("/api/v1/invoices/", {"vendor": a.vendor.pk, "format": "csv"})
    cards = client.get(
        "/api/v1/scorecards/", {"metrics": "mttr", "page_size": "50", "vendor": a.vendor.pk}
    )
    october = client.get("/api/v1/service-credits/", {"period": "2026-10", "vendor": a.vendor.pk})
    breached = client.get("/api/v1/tickets/", {"breached": "true", "vendor": a.vendor.pk})

    assert ids(by_vendor) == [a.invoice.pk]
    assert by_page.json()["count"] == 2 and len(by_page.json()["results"]) == 1
    assert csv.status_code == 200 and csv.content.decode().count("\n") == 2
    assert [c["subject_id"] for c in cards.json()["results"]] == [a.vendor.pk]
    assert [r["contract"] for r in october.json()["results"]] == [a.contract.pk]
    assert ids(breached) == [a.ticket.pk]


def test_the_schema_documents_ids_and_page_sizes_as_enforced(world):
    schema = client_for(world.manager).get("/api/schema/", {"format": "json"}).json()
    params = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/v1/tickets/"]["get"]["parameters"]
    }
    invoices = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/v1/invoices/"]["get"]["parameters"]
    }

    assert params["vendor"] == {
        "type": "integer",
        "format": "int64",
        "minimum": 1,
        "maximum": 2**63 - 1,
    }
    assert params["page_size"] == {"type": "integer", "minimum": 1, "maximum": 500}
    assert invoices["page"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}
    assert params["cursor"] == {"type": "string", "minLength": 1, "pattern": r"\S"}
    assert invoices["updated_since"] == {"type": "string", "format": "date-time"}
    assert params["breached"] == {"type": "boolean"}
    assert params["source"] == {"type": "string", "minLength": 1, "pattern": TEXT_PATTERN}
