"""The OpenAPI schema at /api/schema/ is valid OpenAPI 3 and describes every endpoint; the
docs page is served from our own static files."""

from __future__ import annotations

import pytest
import schemathesis
from drf_spectacular.validation import validate_schema

from common.roles import MANAGER
from tests.api.conftest import client_for, user_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client():
    return client_for(user_in(MANAGER, "schema-reader"))


def test_the_schema_is_valid_openapi_3(manager_client):
    response = manager_client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)  # the OpenAPI 3 JSON schema, bundled with drf-spectacular
    loaded = schemathesis.openapi.from_dict(schema)
    operations = {(op.ok().method.upper(), op.ok().path) for op in loaded.get_all_operations()}
    assert ("POST", "/api/v1/invoices/") in operations
    assert ("GET", "/api/v1/scorecards/") in operations
    assert ("GET", "/api/v1/tickets/{ticket_id}/events/") in operations


def test_the_schema_documents_money_and_visibility(manager_client):
    schema = manager_client.get("/api/schema/", {"format": "json"}).json()

    credits = schema["paths"]["/api/v1/service-credits/"]["get"]
    assert "vendor's user only its own vendor" in credits["description"]
    assert "format" in {p["name"] for p in credits["parameters"]}
    amount = schema["components"]["schemas"]["ServiceCreditOut"]["properties"]["amount"]
    assert (amount["type"], amount["format"]) == ("string", "decimal")


def test_anonymous_callers_get_no_schema(db):
    assert client_for(None).get("/api/schema/").status_code in (401, 403)


def test_the_docs_page_loads_swagger_from_our_static_files(manager_client):
    page = manager_client.get("/api/docs/")
    script = manager_client.get("/api/docs/", {"script": ""})

    html = page.content.decode()
    assert page.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "<script>" not in html
    assert script.status_code == 200 and b"SwaggerUIBundle" in script.content
