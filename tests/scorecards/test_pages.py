"""Portfolio, vendor scorecard, team and technician pages: access, the numbers they show (the
stored figures written here by hand) and a query count that does not grow with the data."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from common.roles import FINANCE, MANAGER, VENDOR, ensure_role_groups
from scorecards.models import MetricValue, Scorecard
from tests.factories import ContractFactory, TechnicianFactory, TicketFactory, VendorFactory
from vendors.models import CreditTier, VendorMembership

pytestmark = pytest.mark.django_db

OCT, SEP = dt.date(2026, 10, 1), dt.date(2026, 9, 1)
Q = "?kind=month&period=2026-10"
TARGETS = {
    "sla_compliance_pct": {"target": 95.0, "floor": 70.0},
    "csat_pct": {"target": 90.0, "floor": 60.0},
    "fcr_pct": {"target": 75.0, "floor": 40.0},
    "mttr": {"target": 4.0, "floor": 24.0},
    "reopen_pct": {"target": 3.0, "floor": 15.0},
    "escalation_pct": {"target": 10.0, "floor": 35.0},
    "cost_per_ticket": {"target": 20.0, "floor": 40.0},
}


def store(vendor, kind, subject_id, start, metric, value, **fields) -> MetricValue:
    return MetricValue.objects.create(
        vendor=vendor,
        subject_kind=kind,
        subject_id=subject_id,
        period_kind="month",
        period_start=start,
        metric=metric,
        value=None if value is None else Decimal(str(value)),
        computed_at=timezone.now(),
        **fields,
    )


def card(vendor, kind, subject_id, start, score, grade) -> Scorecard:
    return Scorecard.objects.create(
        vendor=vendor,
        subject_kind=kind,
        subject_id=subject_id,
        period_kind="month",
        period_start=start,
        score=Decimal(str(score)),
        grade=grade,
        weights={"sla_compliance_pct": 0.3},
        targets=TARGETS,
        computed_at=timezone.now(),
    )


def make_user(username, role, vendor=None):
    groups = ensure_role_groups()
    user = get_user_model().objects.create_user(username, password="pw")
    user.groups.add(groups[role])
    if vendor is not None:
        VendorMembership.objects.create(user=user, vendor=vendor)
    return user


@pytest.fixture
def world():
    """Vendor A (one contract, two technicians) with October and September figures stored;
    vendor B with one technician and nothing stored."""
    a = VendorFactory(name="Acme Desk")
    b = VendorFactory(name="Bravo Support")
    contract = ContractFactory(vendor=a, currency="GBP")
    ContractFactory(vendor=b)
    CreditTier.objects.create(
        contract=contract,
        metric="resolution_sla_pct",
        threshold=Decimal("92"),
        credit_pct=Decimal("5"),
    )
    ann = TechnicianFactory(vendor=a, name="Ann Able")
    bob = TechnicianFactory(vendor=a, name="Bob Brief")
    TechnicianFactory(vendor=b, name="Cy Other")
    v = "vendor"
    store(
        a,
        v,
        a.pk,
        OCT,
        "sla_compliance_pct",
        93.5,
        numerator=187,
        denominator=200,
        sample_size=200,
        ci_low=Decimal("89.2"),
        ci_high=Decimal("96.2"),
    )
    store(
        a, v, a.pk, SEP, "sla_compliance_pct", 90.0, numerator=180, denominator=200, sample_size=200
    )
    store(a, v, a.pk, OCT, "response_sla_pct", 96.0, numerator=96, denominator=100, sample_size=100)
    store(
        a, v, a.pk, OCT, "resolution_sla_pct", 91.0, numerator=91, denominator=100, sample_size=100
    )
    store(
        a,
        v,
        a.pk,
        OCT,
        "csat_pct",
        80.0,
        numerator=8,
        denominator=10,
        sample_size=10,
        low_sample=True,
    )
    store(a, v, a.pk, OCT, "mttr", 3.5, numerator=350, denominator=100, sample_size=100)
    store(a, v, a.pk, SEP, "mttr", 5.0, numerator=500, denominator=100, sample_size=100)
    store(
        a,
        v,
        a.pk,
        OCT,
        "cost_per_ticket",
        15.0,
        numerator=1500,
        denominator=100,
        sample_size=100,
        detail={"currency": "GBP"},
    )
    store(a, v, a.pk, OCT, "service_credit", 500.0, detail={"currency": "GBP", "pct": "5"})
    store(a, v, a.pk, OCT, "tickets_resolved", 100, sample_size=100)
    card(a, v, a.pk, OCT, 84.3, "B")
    card(a, v, a.pk, SEP, 80.1, "B")
    t = "technician"
    store(a, t, ann.pk, OCT, "tickets_resolved", 40, sample_size=40)
    store(
        a, t, ann.pk, OCT, "sla_compliance_pct", 97.5, numerator=78, denominator=80, sample_size=80
    )
    card(a, t, ann.pk, OCT, 91.0, "A")
    store(a, t, bob.pk, OCT, "tickets_resolved", 3, sample_size=3, low_sample=True)
    store(
        a,
        t,
        bob.pk,
        OCT,
        "sla_compliance_pct",
        50.0,
        numerator=3,
        denominator=6,
        sample_size=6,
        low_sample=True,
    )
    card(a, t, bob.pk, OCT, 40.0, "F")
    return {"a": a, "b": b, "contract": contract, "ann": ann, "bob": bob}


@pytest.fixture
def users(world):
    return {
        "manager": make_user("mia", MANAGER),
        "finance": make_user("fin", FINANCE),
        "vendor_a": make_user("ana", VENDOR, world["a"]),
        "vendor_b": make_user("ben", VENDOR, world["b"]),
    }


def get(client, user, url):
    client.force_login(user)
    return client.get(url)


# --- access -------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "finance"])
def test_managers_and_finance_see_every_vendor_in_the_portfolio(client, users, world, who):
    response = get(client, users[who], reverse("portfolio") + Q)
    assert response.status_code == 200
    names = [r.vendor.name for r in response.context["rows"]]
    assert names == ["Acme Desk", "Bravo Support"]


@pytest.mark.parametrize("who", ["vendor_a", "vendor_b"])
def test_a_vendor_user_gets_403_on_the_portfolio(client, users, who):
    assert get(client, users[who], reverse("portfolio")).status_code == 403


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, world):
    response = client.get(reverse("vendor", args=[world["a"].slug]))
    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


@pytest.mark.parametrize("who", ["manager", "finance", "vendor_a"])
def test_vendor_team_and_technician_pages_open_for_whoever_may_see_the_vendor(
    client, users, world, who
):
    a = world["a"]
    for url in (
        reverse("vendor", args=[a.slug]),
        reverse("team", args=[a.slug]),
        reverse("technician", args=[a.slug, world["ann"].pk]),
    ):
        assert get(client, users[who], url + Q).status_code == 200, url


def test_vendor_user_gets_404_for_another_vendors_pages(client, users, world):
    a = world["a"]
    for url in (
        reverse("vendor", args=[a.slug]),
        reverse("team", args=[a.slug]),
        reverse("technician", args=[a.slug, world["ann"].pk]),
    ):
        assert get(client, users["vendor_b"], url).status_code == 404, url


def test_a_technician_of_another_vendor_is_404_under_your_own_vendor(client, users, world):
    other = world["b"].technicians.get()
    url = reverse("technician", args=[world["a"].slug, other.pk])
    assert get(client, users["vendor_a"], url).status_code == 404
    assert get(client, users["manager"], url).status_code == 404


# --- what the vendor page shows -----------------------------------------------------------------


def test_vendor_page_tiles_show_the_stored_figures_against_target_and_last_month(
    client, users, world
):
    response = get(client, users["manager"], reverse("vendor", args=[world["a"].slug]) + Q)
    tiles = {t.code: t for t in response.context["tiles"]}

    sla = tiles["sla_compliance_pct"]
    assert (sla.display, sla.target_display, sla.sample_size) == ("93.5 %", "95.0 %", 200)
    assert (sla.status, sla.status_word) == ("missed", "✗ missed")
    assert (sla.delta_display, sla.delta_word) == ("+3.5 pts", "better")
    assert sla.evidence == "187 of 200"

    mttr = tiles["mttr"]  # lower is better: 3.5 h against 4 h is met, down from 5 h is better
    assert (mttr.display, mttr.status, mttr.delta_word) == ("3.5 h", "met", "better")
    assert mttr.delta_display == "−1.5 h"

    # The resolution target is the contract's credit line (92), not a scoring target.
    assert tiles["resolution_sla_pct"].target_display == "92.0 %"
    assert tiles["resolution_sla_pct"].status == "missed"
    assert tiles["csat_pct"].status_word == "low sample"
    assert tiles["cost_per_ticket"].display == "15.00 GBP"
    assert tiles["service_credit"].display == "500.00 GBP"

    html = response.content.decode()
    assert "93.5 %" in html and "target 95.0 %" in html and "n = 200" in html
    assert "All response and resolution outcomes final in the period" in html  # definition
    assert 'class="grade grade-B"' in html and "84.3" in html
    assert response.context["score_tile"]["delta"] == "+4.2 points"


def test_contract_filter_switches_the_vendor_page_to_the_contracts_scorecard(client, users, world):
    a, contract = world["a"], world["contract"]
    store(
        a,
        "contract",
        contract.pk,
        OCT,
        "sla_compliance_pct",
        88.0,
        numerator=88,
        denominator=100,
        sample_size=100,
    )
    url = reverse("vendor", args=[a.slug]) + Q + f"&contract={contract.pk}"
    response = get(client, users["manager"], url)
    tiles = {t.code: t for t in response.context["tiles"]}
    assert tiles["sla_compliance_pct"].display == "88.0 %"
    assert response.context["contract"] == contract


def test_trend_chart_carries_the_target_line_as_json(client, users, world):
    response = get(client, users["manager"], reverse("vendor", args=[world["a"].slug]) + Q)
    chart = next(c for c in response.context["trend_charts"] if c["code"] == "sla_compliance_pct")
    spec = chart["figure"]
    series, target = spec["data"]
    assert series["y"][-2:] == [90.0, 93.5]
    assert target["name"] == "Target" and list(target["y"]) == [95.0, 95.0]
    assert spec["layout"]["shapes"][0]["y0"] == 95.0
    assert 'data-figure="fig-' in response.content.decode()


def test_breaches_by_priority_count_the_periods_outcomes(client, users, world):
    a, contract = world["a"], world["contract"]
    when = dt.datetime(2026, 10, 7, 12, tzinfo=dt.UTC)
    TicketFactory(contract=contract, priority="P1", response_met=False, response_outcome_at=when)
    TicketFactory(contract=contract, priority="P1", response_met=True, response_outcome_at=when)
    TicketFactory(
        contract=contract,
        priority="P3",
        resolution_met=False,
        resolution_outcome_at=when,
        category="Network",
    )
    # Outside October, and an accepted dispute: neither counts.
    TicketFactory(
        contract=contract,
        priority="P1",
        response_met=False,
        response_outcome_at=dt.datetime(2026, 9, 30, 12, tzinfo=dt.UTC),
    )
    TicketFactory(
        contract=contract,
        priority="P1",
        response_met=False,
        response_outcome_at=when,
        response_excluded=True,
    )
    response = get(client, users["manager"], reverse("vendor", args=[a.slug]) + Q)
    rows = {r["priority"]: r for r in response.context["priority_rows"]}
    assert (rows["P1"]["response"], rows["P1"]["response_outcomes"]) == (1, 2)
    assert rows["P1"]["response_pct"] == "50.0 %"
    assert rows["P3"]["resolution"] == 1
    assert response.context["categories"] == ["Email", "Network"]

    filtered = get(client, users["manager"], reverse("vendor", args=[a.slug]) + Q + "&priority=P3")
    assert [r["priority"] for r in filtered.context["priority_rows"]] == ["P3"]
    assert "the priority and category filters apply to breach counts" in filtered.content.decode()


def test_portfolio_shows_breaches_from_the_stored_rates_and_the_score_history(client, users, world):
    response = get(client, users["finance"], reverse("portfolio") + Q)
    row = response.context["rows"][0]
    # Response 96 of 100 met, resolution 91 of 100: 13 breaches of 200 outcomes.
    assert (row.breaches, row.outcomes) == (13, 200)
    assert (row.score, row.grade, row.score_delta) == (84.3, "B", "+4.2 points")
    assert row.tiles["cost_per_ticket"].target_display == "20.00 GBP"
    spec = response.context["history"]
    acme = next(t for t in spec["data"] if t["name"] == "Acme Desk")
    assert acme["y"][-2:] == [80.1, 84.3]
    assert len(acme["x"]) == 24
    assert '<svg class="spark"' in response.content.decode()


# --- team and technician ------------------------------------------------------------------------


def test_team_ranks_only_technicians_with_enough_tickets(client, users, world):
    response = get(client, users["manager"], reverse("team", args=[world["a"].slug]) + Q)
    rows = {r.name: r for r in response.context["team"].rows}
    assert rows["Ann Able"].rank == 1
    assert rows["Bob Brief"].rank is None and not rows["Bob Brief"].ranked
    # The team median leaves Bob's low-sample 50 % out.
    assert response.context["team"].medians["sla_compliance_pct"] == 97.5
    assert "unranked" in response.content.decode()


def test_technician_page_compares_with_the_team_median_and_does_not_rank_low_samples(
    client, users, world
):
    a = world["a"]
    bob = get(client, users["manager"], reverse("technician", args=[a.slug, world["bob"].pk]) + Q)
    sla = next(c for c in bob.context["comparisons"] if c.tile.code == "sla_compliance_pct")
    assert (sla.tile.display, sla.tile.sample_size) == ("50.0 %", 6)
    assert (sla.median, sla.vs_median, sla.vs_class) == ("97.5 %", "−47.5 pts", "worse")
    assert sla.rank == "not ranked (low sample)"

    ann = get(client, users["manager"], reverse("technician", args=[a.slug, world["ann"].pk]) + Q)
    sla = next(c for c in ann.context["comparisons"] if c.tile.code == "sla_compliance_pct")
    assert sla.rank == "1 of 1"
    chart = next(d for d in ann.context["distributions"] if d["code"] == "sla_compliance_pct")
    names = [t["name"] for t in chart["figure"]["data"]]
    assert names == ["SLA compliance", "Team median", "Ann Able"]


# --- queries ------------------------------------------------------------------------------------


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _add_technicians(world, count):
    a = world["a"]
    for i in range(count):
        tech = TechnicianFactory(vendor=a, name=f"Extra {i:02d}")
        store(a, "technician", tech.pk, OCT, "tickets_resolved", 20 + i, sample_size=20 + i)
        store(
            a,
            "technician",
            tech.pk,
            OCT,
            "sla_compliance_pct",
            80 + i / 2,
            numerator=80,
            denominator=100,
            sample_size=100,
        )
        card(a, "technician", tech.pk, OCT, 70 + i, "C")


def test_page_queries_do_not_grow_with_the_number_of_technicians(client, users, world):
    client.force_login(users["manager"])
    a = world["a"]
    urls = [
        reverse("portfolio") + Q,
        reverse("vendor", args=[a.slug]) + Q,
        reverse("team", args=[a.slug]) + Q,
        reverse("technician", args=[a.slug, world["ann"].pk]) + Q,
    ]
    before = [_queries(client, u) for u in urls]  # two technicians
    _add_technicians(world, 18)  # twenty
    after = [_queries(client, u) for u in urls]
    assert before == after


# The vendor page's 21st reads the reference bands; the portfolio's 16th the trend's scores
# alone (whole scorecards only for the period and the one before).
@pytest.mark.parametrize(
    ("name", "limit"), [("portfolio", 16), ("vendor", 21), ("team", 12), ("technician", 14)]
)
def test_each_page_answers_in_a_pinned_number_of_queries(
    client, users, world, django_assert_max_num_queries, name, limit
):
    _add_technicians(world, 5)
    a = world["a"]
    args = {
        "portfolio": [],
        "vendor": [a.slug],
        "team": [a.slug],
        "technician": [a.slug, world["ann"].pk],
    }[name]
    client.force_login(users["manager"])
    with django_assert_max_num_queries(limit):
        assert client.get(reverse(name, args=args) + Q + "&priority=P1").status_code == 200
