"""The SLA breach list and its heat map: attribution, filters, access, query counts, CSV."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from scorecards.breach_selectors import BreachQuery, breach_heatmap_counts_for_user
from scorecards.services import dispute_raise
from scorecards.views.breaches import PAGE_SIZE, neutralise
from tests.tickets.pages_world import at, make_ticket, make_world
from tickets.selectors import breach_rows_open_lateness

pytestmark = pytest.mark.django_db
BREACHES = reverse("breaches")


@pytest.fixture
def world(settings):
    settings.REPORTING_TIME_ZONE = "Europe/London"
    w = make_world()
    # Created Fri 30 Oct 16:30 (GMT), never answered and still open: the response fell due
    # Mon 2 Nov 09:30 (30 min on Friday + 30 on Monday) and the resolution Mon 2 Nov 16:30
    # (8 business hours), so both breaches belong to November, not October.
    w.open_ticket = make_ticket(w.contract_a, "A-OPEN", created=at(10, 30, 16, 30))
    # Thu 15 Oct 10:00 BST, answered at 12:00: due 11:00 local (10:00 UTC), 60 min late;
    # resolved at 12:00, well within 8 business hours.
    w.late_reply = make_ticket(
        w.contract_a, "A-BST", created=at(10, 15, 10), reply=at(10, 15, 12), resolved=at(10, 15, 12)
    )
    # Vendor B: Tue 3 Nov 10:00, answered 11:30: 30 min late.
    w.b_ticket = make_ticket(
        w.contract_b,
        "B-LATE",
        created=at(11, 3, 10),
        reply=at(11, 3, 11, 30),
        resolved=at(11, 3, 11, 30),
    )
    return w


def rows_of(response) -> list[tuple[str, str]]:
    return [(r["external_id"], r["kind"]) for r in response.context["page"].object_list]


def test_breach_is_counted_in_the_month_it_fell_due_while_the_ticket_is_still_open(client, world):
    client.force_login(world.manager)
    vendor = world.contract_a.vendor_id
    november = client.get(BREACHES, {"period": "2026-11", "vendor": vendor})
    assert november.status_code == 200
    assert rows_of(november) == [("A-OPEN", "resolution"), ("A-OPEN", "response")]
    assert [r["done_at"] for r in november.context["page"].object_list] == [None, None]
    assert "still open" in november.content.decode()

    october = client.get(BREACHES, {"period": "2026-10", "vendor": vendor})
    assert rows_of(october) == [("A-BST", "response")]


def test_heat_map_counts_breaches_by_local_weekday_and_hour(client, world):
    def counts(period_start, period_end):
        query = BreachQuery(
            start=period_start, end=period_end, vendor_id=world.contract_a.vendor_id
        )
        return breach_heatmap_counts_for_user(user=world.manager, query=query)

    # Monday (0) 09:30 and 16:30 GMT.
    assert counts(at(11, 1, 0), at(12, 1, 0)) == {(0, 9): 1, (0, 16): 1}
    # Thursday (3) 11:00 BST, which is 10:00 UTC: the local hour counts.
    assert counts(at(10, 1, 0), at(11, 1, 0)) == {(3, 11): 1}

    client.force_login(world.manager)
    page = client.get(BREACHES, {"period": "2026-11"})
    assert page.context["heatmap_total"] == 3
    assert 'class="chart-plot"' in page.content.decode()


def test_late_by_is_the_business_time_past_the_target(client, world):
    client.force_login(world.manager)
    page = client.get(BREACHES, {"period": "2026-10"})
    (row,) = page.context["page"].object_list
    assert row["late_seconds"] == 3600
    assert "1 h 00 min" in page.content.decode()
    november = client.get(BREACHES, {"period": "2026-11", "target": "response"})
    late = {r["external_id"]: r["late_seconds"] for r in november.context["page"].object_list}
    assert late["B-LATE"] == 1800
    # Still open: business time so far, which only grows; by Tue 3 Nov 10:00 it was 8.5 h
    # (see the next test), and the page marks it as so far.
    assert late["A-OPEN"] >= 30600
    assert "so far" in november.content.decode()


def test_an_open_breach_is_late_by_the_business_time_since_it_fell_due(world):
    rows = [
        {"id": world.open_ticket.pk, "kind": kind, "late_seconds": None}
        for kind in ("response", "resolution")
    ]
    final = {"id": world.late_reply.pk, "kind": "response", "late_seconds": 3600}

    breach_rows_open_lateness([*rows, final], now=at(11, 3, 10))

    # Response due Mon 2 Nov 09:30: 7 h 30 min on Monday + 1 h on Tuesday (09:00-17:00).
    # Resolution due Mon 2 Nov 16:30: 30 min on Monday + 1 h on Tuesday.
    assert [r["late_seconds"] for r in rows] == [30600, 5400]
    assert final["late_seconds"] == 3600  # a final figure is left as it is


def test_filters_narrow_the_list_by_target_priority_category_contract_and_dispute(client, world):
    client.force_login(world.manager)

    def ids(**params):
        return rows_of(client.get(BREACHES, {"period": "2026-11", **params}))

    assert ids() == [("B-LATE", "response"), ("A-OPEN", "resolution"), ("A-OPEN", "response")]
    assert ids(target="resolution") == [("A-OPEN", "resolution")]
    assert ids(priority="P1") == []
    assert ids(category="Email", contract=world.contract_b.pk) == [("B-LATE", "response")]
    assert ids(dispute="open") == []

    dispute_raise(
        ticket=world.open_ticket, target="response", reason="Customer away", user=world.vendor_a
    )
    assert ids(dispute="open") == [("A-OPEN", "response")]
    assert ids(dispute="none") == [("B-LATE", "response"), ("A-OPEN", "resolution")]
    page = client.get(BREACHES, {"period": "2026-11"})
    assert "disputed · open" in page.content.decode()


def test_anonymous_users_are_sent_to_the_login_page(client, world):
    for url in (BREACHES, reverse("disputes"), reverse("ticket", args=[world.open_ticket.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("who", "expected", "heat"),
    [
        ("manager", {"A-OPEN", "B-LATE"}, 3),
        ("finance", {"A-OPEN", "B-LATE"}, 3),
        ("vendor_a", {"A-OPEN"}, 2),
        ("vendor_b", {"B-LATE"}, 1),
    ],
)
def test_each_role_sees_the_breaches_of_the_vendors_it_may_see(client, world, who, expected, heat):
    client.force_login(getattr(world, who))
    page = client.get(BREACHES, {"period": "2026-11"})
    assert page.status_code == 200
    assert {r["external_id"] for r in page.context["page"].object_list} == expected
    assert page.context["heatmap_total"] == heat


def test_vendor_b_never_sees_vendor_as_breaches_even_when_asking_for_vendor_a(client, world):
    client.force_login(world.vendor_b)
    page = client.get(BREACHES, {"period": "2026-11"})
    assert "A-OPEN" not in page.content.decode()
    assert "Acme" not in page.content.decode()  # not even in the filters
    assert page.context["heatmap_total"] == 1
    asking = client.get(BREACHES, {"period": "2026-11", "vendor": world.contract_a.vendor_id})
    assert asking.status_code == 404
    csv_export = client.get(BREACHES, {"period": "2026-11", "format": "csv"})
    assert b"A-OPEN" not in b"".join(csv_export.streaming_content)
    # A contract of vendor A in the filter narrows to nothing rather than showing A.
    other = client.get(BREACHES, {"period": "2026-11", "contract": world.contract_a.pk})
    assert rows_of(other) == []
    assert other.context["heatmap_total"] == 0


def test_the_list_pages_with_a_fixed_page_size(client, world):
    for n in range(PAGE_SIZE + 2):  # 52 more November response breaches of vendor B
        make_ticket(
            world.contract_b,
            f"B-{n:03d}",
            created=at(11, 4, 10),
            reply=at(11, 4, 12),
            resolved=at(11, 4, 12),
            technician=False,
        )
    client.force_login(world.manager)
    first = client.get(BREACHES, {"period": "2026-11"})
    assert len(first.context["page"].object_list) == PAGE_SIZE
    assert first.context["page"].paginator.count == PAGE_SIZE + 2 + 3
    second = client.get(BREACHES, {"period": "2026-11", "page": 2})
    assert [r["external_id"] for r in second.context["page"].object_list][-3:] == [
        "B-LATE",
        "A-OPEN",
        "A-OPEN",
    ]


def _queries_for(client, django_assert_num_queries, user, count: int) -> None:
    client.force_login(user)
    with django_assert_num_queries(count):
        assert client.get(BREACHES, {"period": "2026-11"}).status_code == 200


@pytest.mark.parametrize(("who", "count"), [("manager", 26), ("vendor_b", 21)])
def test_the_breach_page_runs_a_fixed_number_of_queries_whatever_the_data(
    client, world, django_assert_num_queries, who, count
):
    user = getattr(world, who)
    # An open breach on each contract: their lateness so far reads the page's open tickets,
    # their events and each contract's calendar once, however many open breaches there are.
    make_ticket(world.contract_b, "B-OPEN", created=at(11, 4, 10))
    _queries_for(client, django_assert_num_queries, user, count)
    for n in range(12):
        make_ticket(
            world.contract_a if n % 2 else world.contract_b,
            f"MORE-{n}",
            created=at(11, 4, 10),
            category=f"Cat {n}",
        )
    _queries_for(client, django_assert_num_queries, user, count)


def test_the_csv_export_neutralises_formulas(client, world):
    make_ticket(
        world.contract_a,
        "=HYPERLINK(1)",
        created=at(11, 5, 10),
        category="@SUM(A1)",
        reply=at(11, 5, 12),
        resolved=at(11, 5, 12),
    )
    client.force_login(world.manager)
    response = client.get(BREACHES, {"period": "2026-11", "target": "response"})
    assert response.status_code == 200
    export = client.get(BREACHES, {"period": "2026-11", "target": "response", "format": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode())))
    assert rows[0][:3] == ["ticket", "source", "vendor"]
    formula = next(r for r in rows if "HYPERLINK" in r[0])
    assert formula[0] == "'=HYPERLINK(1)"
    assert formula[5] == "'@SUM(A1)"
    assert {r[0] for r in rows[1:]} == {"'=HYPERLINK(1)", "B-LATE", "A-OPEN"}


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        (None, ""),
        (3600, "3600"),
    ],
)
def test_neutralise_prefixes_cells_a_spreadsheet_would_run(value, safe):
    assert neutralise(value) == safe
