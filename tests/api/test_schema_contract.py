"""The schema tells the truth about answers: every operation documents the errors it gives in
the API's one error shape, path ids are positive integers, operationIds suit code generators,
the finance lists describe their CSV and XLSX forms, and real error bodies match the schema."""

from __future__ import annotations

import csv
import io
import re

import jsonschema
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.test import override_settings

from common.roles import MANAGER
from tests.api.conftest import client_for, user_in

pytestmark = pytest.mark.django_db

CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_LISTS = [
    "/api/v1/scorecards/",
    "/api/v1/service-credits/",
    "/api/v1/cost-per-ticket/",
    "/api/v1/savings/",
    "/api/v1/invoices/",
]


@pytest.fixture
def schema(db) -> dict:
    manager = client_for(user_in(MANAGER, "schema-reader"))
    response = manager.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


@pytest.fixture(autouse=True)
def fresh_throttle_counts():
    cache.clear()
    yield
    cache.clear()


def operations(schema: dict):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method.upper(), operation


def error_schema(schema: dict, path: str, method: str, status: int) -> dict:
    """The JSON schema the operation documents for this error status, its $ref resolved."""
    answer = schema["paths"][path][method.lower()]["responses"][str(status)]
    ref = answer["content"]["application/json"]["schema"]["$ref"]
    return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]


def test_spectacular_validates_the_schema_without_a_warning(tmp_path):
    out = tmp_path / "schema.yaml"

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))

    assert "/api/v1/service-credits/" in out.read_text()


def test_every_operation_documents_its_errors_in_the_one_error_shape(schema):
    missing = []
    for path, method, operation in operations(schema):
        params = operation.get("parameters", [])
        expected = {"401", "403", "429"}
        if any(p["in"] == "query" for p in params) or "requestBody" in operation:
            expected.add("400")
        if any(p["in"] == "path" or p["name"] in ("page", "cursor", "format") for p in params):
            expected.add("404")
        for status in sorted(expected):
            answer = operation["responses"].get(status)
            if answer is None:
                missing.append(f"{method} {path} {status}")
                continue
            ref = answer["content"]["application/json"]["schema"]["$ref"]
            component = "FieldErrors" if status == "400" else "Error"
            assert ref == f"#/components/schemas/{component}", (method, path, status)
        retry_after = operation["responses"]["429"]["headers"]["Retry-After"]
        assert retry_after["schema"] == {"type": "integer", "minimum": 0}

    assert missing == []
    assert schema["components"]["schemas"]["Error"]["required"] == ["detail"]


def test_lists_document_404_for_a_page_past_the_last_and_details_for_an_unknown_id(schema):
    responses = schema["paths"]["/api/v1/vendors/"]["get"]["responses"]
    detail = schema["paths"]["/api/v1/vendors/{id}/"]["get"]["responses"]

    assert responses["404"]["description"] == "The page is past the last one."
    assert "400" in responses and "400" not in detail
    assert detail["404"]["description"] == "Nothing with this id that you may see."


def test_a_cursor_this_list_did_not_give_is_a_documented_404(schema, world):
    response = client_for(world.manager).get("/api/v1/tickets/", {"cursor": "nonsense"})
    documented = schema["paths"]["/api/v1/tickets/"]["get"]["responses"]["404"]

    assert response.status_code == 404
    assert documented["description"] == "The cursor is not one this list gave: follow `next`."
    jsonschema.validate(response.json(), error_schema(schema, "/api/v1/tickets/", "GET", 404))


def test_every_path_parameter_is_a_positive_integer(schema):
    path_params = [
        (path, p["name"], p["schema"])
        for path, _method, operation in operations(schema)
        for p in operation.get("parameters", [])
        if p["in"] == "path"
    ]

    assert ("/api/v1/tickets/{ticket_id}/events/", "ticket_id") in {
        (path, name) for path, name, _ in path_params
    }
    assert {str(s) for _, _, s in path_params} == {str({"type": "integer", "minimum": 1})}


def test_operation_ids_are_unique_snake_case_names(schema):
    names = [operation["operationId"] for _, _, operation in operations(schema)]

    assert len(names) == len(set(names))
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name) for name in names), names
    assert {"vendors_list", "vendors_retrieve", "service_credits_list", "invoices_create"} <= set(
        names
    )


def test_decimal_strings_are_documented_as_drf_parses_them(schema):
    amount = schema["components"]["schemas"]["InvoiceInRequest"]["properties"]["amount"]
    pattern = re.compile(amount["pattern"])

    assert [bool(pattern.search(t)) for t in ("1500.00", "-0.5", ".5", "7")] == [True] * 4
    assert [bool(pattern.search(t)) for t in ("", "-", "1.234", "1" * 13)] == [False] * 4


@pytest.mark.parametrize("path", EXPORT_LISTS)
def test_export_lists_describe_their_csv_and_xlsx_answers(schema, path):
    ok = schema["paths"][path]["get"]["responses"]["200"]["content"]

    assert ok["application/json"]["schema"]["$ref"].startswith("#/components/schemas/Paginated")
    assert ok[CSV]["schema"]["type"] == "string"
    assert "header row" in ok[CSV]["schema"]["description"]
    assert ok[XLSX]["schema"] == {**ok[XLSX]["schema"], "type": "string", "format": "binary"}


def test_one_object_of_a_finance_list_as_csv_is_documented_as_text_not_json(schema):
    ok = schema["paths"]["/api/v1/invoices/{id}/"]["get"]["responses"]["200"]["content"]
    not_found = schema["paths"]["/api/v1/invoices/{id}/"]["get"]["responses"]["404"]["content"]

    assert ok["application/json"]["schema"] == {"$ref": "#/components/schemas/InvoiceOut"}
    assert ok[CSV]["schema"]["type"] == "string"
    assert ok[XLSX]["schema"] == {"type": "string", "format": "binary"}
    assert set(not_found) == {"application/json"}  # errors are JSON whatever the format


def test_the_documented_csv_header_is_the_one_the_export_writes(schema, world):
    documented = schema["paths"]["/api/v1/service-credits/"]["get"]["responses"]["200"]
    example = documented["content"][CSV]["schema"]["example"]

    response = client_for(world.finance).get("/api/v1/service-credits/", {"format": "csv"})

    assert response.status_code == 200
    written = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert written == example.strip().split(",")
    assert written[:3] == ["contract", "contract_name", "vendor"]


# --- real error bodies match what the schema documents ------------------------------------------


def test_a_404_body_matches_the_error_schema(schema, world):
    response = client_for(world.vendor_a).get(f"/api/v1/vendors/{world.b.vendor.pk}/")

    assert response.status_code == 404
    jsonschema.validate(response.json(), error_schema(schema, "/api/v1/vendors/{id}/", "GET", 404))


def test_a_page_out_of_range_is_a_documented_404(schema, world):
    response = client_for(world.manager).get("/api/v1/vendors/", {"page": 99})

    assert response.status_code == 404
    jsonschema.validate(response.json(), error_schema(schema, "/api/v1/vendors/", "GET", 404))


def test_a_vendor_user_on_a_manager_only_write_gets_the_documented_403(schema, world):
    response = client_for(world.vendor_a).post(
        "/api/v1/action-items/", {"title": "Call back"}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "Your role may not do this."}
    jsonschema.validate(response.json(), error_schema(schema, "/api/v1/action-items/", "POST", 403))


def test_an_unknown_token_gets_the_documented_401(schema, world):
    response = client_for(None).get("/api/v1/vendors/", HTTP_AUTHORIZATION="Bearer nope")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    jsonschema.validate(response.json(), error_schema(schema, "/api/v1/vendors/", "GET", 401))


def test_an_unknown_format_is_a_documented_404_even_on_a_write(schema, world):
    response = client_for(world.finance).post(
        "/api/v1/invoices/?format=pdf", {"amount": "1.00"}, format="json"
    )

    assert response.status_code == 404
    documented = schema["paths"]["/api/v1/invoices/"]["post"]["responses"]["404"]
    assert "`format` names none of json, csv, xlsx." in documented["description"]
    jsonschema.validate(response.json(), error_schema(schema, "/api/v1/invoices/", "POST", 404))


def test_a_400_names_the_fields_in_the_documented_shape(schema, world):
    body = {"contract": world.a.contract.pk, "period_start": "2026-11-01", "amount": "lots"}

    response = client_for(world.manager).post("/api/v1/invoices/", body, format="json")

    assert response.status_code == 400
    assert response.json() == {"amount": ["A valid number is required."]}
    jsonschema.validate(response.json(), error_schema(schema, "/api/v1/invoices/", "POST", 400))


def test_a_body_that_is_not_json_is_a_400_with_its_message_under_detail(schema, world):
    response = client_for(world.manager).post(
        "/api/v1/invoices/", "{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert list(response.json()) == ["detail"]
    assert response.json()["detail"][0].startswith("JSON parse error")
    jsonschema.validate(response.json(), error_schema(schema, "/api/v1/invoices/", "POST", 400))


def test_a_429_carries_retry_after_and_the_documented_body(schema, world):
    rates = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"token": "2/min"}}
    client = client_for(world.finance)
    with override_settings(REST_FRAMEWORK=rates):
        answers = [client.get("/api/v1/vendors/") for _ in range(3)]

    assert [a.status_code for a in answers] == [200, 200, 429]
    limited = answers[-1]
    assert 0 < int(limited["Retry-After"]) <= 60
    assert limited.json()["detail"].startswith("Request was throttled.")
    jsonschema.validate(limited.json(), error_schema(schema, "/api/v1/vendors/", "GET", 429))
