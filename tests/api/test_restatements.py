"""GET /api/v1/restatements/: figures that changed after a closed month was reopened and
recomputed, each with its old and new value, filtered and narrowed to the caller's vendor.

Acme's November: one ticket, answered in 30 minutes (response SLA 1/1 = 100 %), is computed and
the month closed; a late import adds a ticket answered after 2 hours (P2 responds within 1), so
once reopened and recomputed tickets_resolved goes 1 -> 2 and response_sla_pct 100 -> 50.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from common.periods import Period
from common.roles import FINANCE, MANAGER, VENDOR
from scorecards.models import Restatement
from scorecards.services import period_close, period_reopen, scorecards_recompute
from tests.api.conftest import client_for, user_in
from tests.factories import ContractFactory
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_refresh_facts

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
NOVEMBER = Period.containing("month", dt.date(2026, 11, 1))
COMPUTED = dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC)
RESTATED = dt.datetime(2026, 12, 10, 9, tzinfo=dt.UTC)
URL = "/api/v1/restatements/"


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


def ticket(contract, n: int, *, created, reply, resolved) -> Ticket:
    made = Ticket(
        source="t",
        external_id=f"{contract.vendor.slug}-{n}",
        vendor=contract.vendor,
        contract=contract,
        priority="P2",
        status="resolved",
        created_at=created,
        resolved_at=resolved,
    )
    ticket_refresh_facts(
        ticket=made, events=[TicketEvent(at=reply, kind="responded")], now=RESTATED
    )
    return made


@pytest.fixture
def restated(settings):
    """Acme's November restated by a manager; Bravo has one restatement of its own."""
    settings.REPORTING_TIME_ZONE = "Europe/London"
    acme = ContractFactory(vendor__name="Acme", vendor__slug="acme")
    bravo = ContractFactory(vendor__name="Bravo", vendor__slug="bravo")
    manager = user_in(MANAGER, "boss")
    ticket(acme, 1, created=at(2, 10), reply=at(2, 10, 30), resolved=at(2, 12))
    scorecards_recompute(vendor=acme.vendor, kind="month", periods=[NOVEMBER], now=COMPUTED)
    period_close(vendor=acme.vendor, period=NOVEMBER, user=manager)
    ticket(acme, 2, created=at(3, 10), reply=at(3, 12), resolved=at(3, 12))  # a late import
    period_reopen(vendor=acme.vendor, period=NOVEMBER, user=manager)
    scorecards_recompute(vendor=acme.vendor, kind="month", periods=[NOVEMBER], now=RESTATED)
    Restatement.objects.create(
        vendor=bravo.vendor,
        subject_kind="contract",
        subject_id=bravo.pk,
        period_kind="month",
        period_start=NOVEMBER.start,
        metric="service_credit",
        old_value=Decimal("400.0000"),
        new_value=Decimal("0.0000"),
        restated_at=RESTATED - dt.timedelta(days=5),
    )
    return acme, bravo, manager


def by_figure(rows: list[dict]) -> dict[tuple[str, int, str], dict]:
    return {(r["subject_kind"], r["subject_id"], r["metric"]): r for r in rows}


def test_a_reopened_and_recomputed_month_lists_its_old_and_new_values(restated):
    acme, bravo, manager = restated
    response = client_for(manager).get(URL, {"vendor": acme.vendor_id, "page_size": 500})
    assert response.status_code == 200
    rows = by_figure(response.json()["results"])
    resolved = rows[("vendor", acme.vendor_id, "tickets_resolved")]
    assert (resolved["old_value"], resolved["new_value"]) == ("1.0000", "2.0000")
    assert resolved["vendor_name"] == resolved["subject_name"] == "Acme"
    assert (resolved["period_kind"], resolved["period_start"], resolved["period_label"]) == (
        "month",
        "2026-11-01",
        "2026-11",
    )
    assert resolved["restated_at"] == "2026-12-10T09:00:00Z"
    assert resolved["reason"].startswith("2026-11 was reopened after it was closed")
    sla = rows[("vendor", acme.vendor_id, "response_sla_pct")]
    assert (sla["old_value"], sla["new_value"], sla["unit"]) == ("100.0000", "50.0000", "%")
    assert all(r["vendor"] == acme.vendor_id for r in rows.values())
    one = client_for(manager).get(f"{URL}{resolved['id']}/")
    assert one.status_code == 200 and one.json() == resolved


def test_filters_narrow_by_contract_metric_period_and_updated_since(restated):
    acme, bravo, manager = restated
    client = client_for(user_in(FINANCE, "finance"))

    def metrics(**params) -> list[tuple]:
        response = client.get(URL, {**params, "page_size": 500})
        assert response.status_code == 200, response.content
        return sorted({(r["vendor"], r["metric"]) for r in response.json()["results"]})

    assert metrics(contract=bravo.pk) == [(bravo.vendor_id, "service_credit")]
    assert metrics(metric="tickets_resolved") == [(acme.vendor_id, "tickets_resolved")]
    assert metrics(updated_since="2026-12-06T00:00:00+00:00") == metrics(vendor=acme.vendor_id)
    assert metrics(updated_since="2026-12-11T00:00:00Z") == []
    assert metrics(period="2026-10") == []
    assert len(metrics(period="2026-11", period_kind="month")) > 2
    assert client.get(URL, {"updated_since": "yesterday"}).status_code == 400
    for label in ("2026-13", "2026-1", "2026-q3", "2025-W53", " 2026-10", "2026-10\n", "1899-12"):
        refused = client.get(URL, {"period": label})
        assert refused.status_code == 400 and "period" in refused.json(), label
    assert client.get(URL, {"period": "2026-W53"}).status_code == 200  # 2026 has 53 weeks
    assert client.get(URL, {"updated_since": "2026-12-06T00:00:00"}).status_code == 400


def test_a_vendor_user_sees_only_its_own_vendors_restatements(restated):
    acme, bravo, manager = restated
    client = client_for(user_in(VENDOR, "bravo-user", bravo.vendor))
    response = client.get(URL, {"page_size": 500})
    [only] = response.json()["results"]
    assert (only["vendor"], only["subject_name"], only["currency"]) == (
        bravo.vendor_id,
        bravo.name,
        bravo.currency,
    )
    assert (only["old_value"], only["new_value"]) == ("400.0000", "0.0000")
    assert client.get(URL, {"vendor": acme.vendor_id}).json()["results"] == []
    acme_row = Restatement.objects.filter(vendor=acme.vendor).first()
    assert client.get(f"{URL}{acme_row.pk}/").status_code == 404


def test_restatements_as_csv(restated):
    acme, bravo, manager = restated
    response = client_for(manager).get(URL, {"format": "csv", "vendor": bravo.vendor_id})
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8")[1:])))
    assert rows[0][:4] == ["id", "vendor", "vendor_name", "subject_kind"]
    record = dict(zip(rows[0], rows[1], strict=True))
    assert (record["metric"], record["old_value"], record["new_value"]) == (
        "service_credit",
        "400.0000",
        "0.0000",
    )


def test_an_unchanged_pull_is_a_304_and_a_new_restatement_a_200_with_a_new_etag(restated):
    acme, bravo, manager = restated
    client = client_for(user_in(FINANCE, "finance"))
    first = client.get(URL, {"updated_since": "2026-12-01T00:00:00Z"})
    etag, modified = first["ETag"], first["Last-Modified"]
    assert modified == "Thu, 10 Dec 2026 09:00:00 GMT"

    again = client.get(URL, {"updated_since": "2026-12-01T00:00:00Z"}, HTTP_IF_NONE_MATCH=etag)
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)
    assert again["Last-Modified"] == modified
    since = client.get(
        URL, {"updated_since": "2026-12-01T00:00:00Z"}, HTTP_IF_MODIFIED_SINCE=modified
    )
    assert since.status_code == 304

    Restatement.objects.create(
        vendor=bravo.vendor,
        subject_kind="vendor",
        subject_id=bravo.vendor_id,
        period_kind="month",
        period_start=NOVEMBER.start,
        metric="tickets_resolved",
        old_value=Decimal(3),
        new_value=Decimal(4),
        restated_at=RESTATED + dt.timedelta(hours=1),
    )
    changed = client.get(URL, {"updated_since": "2026-12-01T00:00:00Z"}, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed["Last-Modified"] == "Thu, 10 Dec 2026 10:00:00 GMT"
    assert changed.json()["results"][0]["metric"] == "tickets_resolved"
    newer = client.get(
        URL, {"updated_since": "2026-12-01T00:00:00Z"}, HTTP_IF_MODIFIED_SINCE=modified
    )
    assert newer.status_code == 200
