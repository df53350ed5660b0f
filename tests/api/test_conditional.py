"""Conditional GETs on every list and detail built on common.viewsets: an ETag that changes
whenever the answer would (a row added, changed or deleted, another user, query or format),
304 with no body for an unchanged pull, and the 304 keeping its ETag."""

from __future__ import annotations

import pytest

from common.roles import VENDOR
from scorecards.models import MetricValue
from tests.api.conftest import client_for, user_in
from tests.factories import VendorFactory

pytestmark = pytest.mark.django_db

VENDORS = "/api/v1/vendors/"
CREDITS = "/api/v1/service-credits/"


def etag_of(client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, response.content[:300]
    return response["ETag"]


def test_an_unchanged_list_is_a_304_without_a_body_keeping_its_etag(world):
    client = client_for(world.manager)
    first = client.get(VENDORS)
    etag = first["ETag"]
    assert etag.startswith('"') and len(etag) == 42  # strong: the JSON bytes, hashed
    assert "private" in first["Cache-Control"] and "no-cache" in first["Cache-Control"]

    again = client.get(VENDORS, HTTP_IF_NONE_MATCH=etag)
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)
    listed = client.get(VENDORS, HTTP_IF_NONE_MATCH=f'"other", {etag}')
    assert listed.status_code == 304
    assert client.get(VENDORS, HTTP_IF_NONE_MATCH='"stale"').status_code == 200


def test_a_detail_answer_has_its_own_etag_and_304(world):
    client = client_for(world.manager)
    url = f"{VENDORS}{world.a.vendor.pk}/"
    etag = etag_of(client, url)
    assert etag != etag_of(client, f"{VENDORS}{world.b.vendor.pk}/")
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    world.a.vendor.contact_name = "Robin"
    world.a.vendor.save()
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed.json()["contact_name"] == "Robin"
    assert changed["ETag"] != etag


def test_a_new_a_changed_and_a_deleted_row_each_change_the_etag(world):
    client = client_for(world.manager)
    before = etag_of(client, VENDORS)
    added = VendorFactory(name="Zeta")
    with_new = etag_of(client, VENDORS)
    assert with_new != before
    added.name = "Zeta Support"
    added.save()
    renamed = etag_of(client, VENDORS)
    assert renamed not in (before, with_new)
    added.delete()
    assert etag_of(client, VENDORS) == before  # the same answer as before: the same tag


def test_another_user_query_or_format_has_another_etag(world):
    manager, finance = client_for(world.manager), client_for(world.finance)
    # Manager and finance read the same list: still each its own tag.
    assert etag_of(manager, CREDITS) != etag_of(finance, CREDITS)
    assert manager.get(CREDITS, HTTP_IF_NONE_MATCH=etag_of(finance, CREDITS)).status_code == 200
    vendor_user = client_for(world.vendor_a)
    assert etag_of(vendor_user, CREDITS) != etag_of(manager, CREDITS)
    tags = {
        etag_of(manager, CREDITS),
        etag_of(manager, CREDITS, vendor=world.a.vendor.pk),
        etag_of(manager, CREDITS, page_size=1),
        etag_of(manager, CREDITS, format="csv"),
        etag_of(manager, CREDITS, format="xlsx"),
    }
    assert len(tags) == 5


def test_a_changed_figure_changes_the_etag_of_its_csv(world):
    client = client_for(world.finance)
    etag = etag_of(client, CREDITS, format="csv")
    assert not etag.startswith("W/")
    unchanged = client.get(CREDITS, {"format": "csv"}, HTTP_IF_NONE_MATCH=etag)
    # The 304 keeps the answer's Vary (its form depends on Accept, not only on ?format).
    assert unchanged.status_code == 304 and "Accept" in unchanged["Vary"]
    MetricValue.objects.filter(metric="service_credit", vendor=world.a.vendor).update(value=750)
    changed = client.get(CREDITS, {"format": "csv"}, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert "750.00" in changed.content.decode()


def test_an_xlsx_has_a_weak_etag_that_still_gives_a_304(world):
    client = client_for(world.finance)
    etag = etag_of(client, CREDITS, format="xlsx")
    assert etag.startswith('W/"')
    # The file embeds the time it was written; the tag hashes the table it holds.
    assert etag_of(client, CREDITS, format="xlsx") == etag
    again = client.get(CREDITS, {"format": "xlsx"}, HTTP_IF_NONE_MATCH=etag)
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)


def test_errors_have_no_etag_and_ignore_if_none_match(world):
    client = client_for(world.vendor_a)
    missing = client.get(f"{VENDORS}{world.b.vendor.pk}/", HTTP_IF_NONE_MATCH="*")
    assert missing.status_code == 404 and not missing.has_header("ETag")
    refused = client.get(CREDITS, {"vendor": "x"}, HTTP_IF_NONE_MATCH="*")
    assert refused.status_code == 400 and not refused.has_header("ETag")
    outsider = client_for(user_in(VENDOR, "no-vendor"))
    assert not outsider.get(VENDORS).has_header("ETag")


def test_a_list_without_a_timestamp_has_no_last_modified(world):
    response = client_for(world.manager).get(VENDORS)
    assert response.status_code == 200 and not response.has_header("Last-Modified")


def test_the_schema_documents_the_conditional_headers_and_the_304(world):
    from drf_spectacular.generators import SchemaGenerator

    from common.conditional import document_conditional_gets

    generator = SchemaGenerator()
    schema = document_conditional_gets(generator.get_schema(public=True), generator)
    restatements = schema["paths"]["/api/v1/restatements/"]["get"]
    headers = {p["name"] for p in restatements["parameters"] if p["in"] == "header"}
    assert headers == {"If-None-Match", "If-Modified-Since"}
    assert {"ETag", "Last-Modified"} <= set(restatements["responses"]["200"]["headers"])
    assert set(restatements["responses"]["304"]["headers"]) == {"ETag", "Last-Modified"}
    vendor = schema["paths"]["/api/v1/vendors/{id}/"]["get"]
    assert set(vendor["responses"]["304"]["headers"]) == {"ETag"}
    assert "304" not in schema["paths"]["/api/v1/tickets/bulk"]["post"]["responses"]


def test_a_head_request_has_the_same_etag_and_its_304(world):
    client = client_for(world.finance)
    etag = etag_of(client, CREDITS)
    head = client.head(CREDITS)
    assert (head.status_code, head["ETag"]) == (200, etag)
    assert client.head(CREDITS, HTTP_IF_NONE_MATCH=etag).status_code == 304
