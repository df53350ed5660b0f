"""The vendor scorecard's security, delivery and review tiles: shown where a figure is stored,
with the formula, the sample size and the evidence of rates; audits done judged against the
audits due; links to the vendor's findings and deliverables; nothing of it on a week."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.scorecards import test_packs
from tests.scorecards.test_packs import OCT, SEP, store
from vendors.metrics import METRICS

pytestmark = pytest.mark.django_db

world = test_packs.world  # vendor A with September and October stored, vendor B, the users
frozen_today = test_packs.frozen_today


def scorecard(client, world, user="vendor_a", **params):
    client.force_login(world[user])
    params = params or {"kind": "month", "period": "2026-10"}
    return client.get(reverse("vendor", args=[world["a"].slug]), params)


def tile(html: str, code: str) -> str:
    start = html.index(f'data-metric="{code}"')
    return html[start : html.index("</details>", start)]


@pytest.fixture
def beyond(world):
    a = world["a"]
    for start, critical, on_time in ((SEP, 1, 50), (OCT, 0, 75)):
        store(a, "vendor", a.pk, start, "findings_open_critical", critical)
        store(
            a,
            "vendor",
            a.pk,
            start,
            "remediation_on_time_pct",
            on_time,
            numerator=on_time // 25,
            denominator=4,
            sample_size=4,
        )
    store(a, "vendor", a.pk, OCT, "findings_overdue", 2)
    store(a, "vendor", a.pk, OCT, "time_to_remediate_p50", 12, sample_size=4)
    store(a, "vendor", a.pk, OCT, "audits_done", 0)
    store(a, "vendor", a.pk, OCT, "audits_due", 1)
    store(
        a,
        "vendor",
        a.pk,
        OCT,
        "delivery_on_time_pct",
        50,
        numerator=1,
        denominator=2,
        sample_size=2,
    )
    store(a, "vendor", a.pk, OCT, "delivery_slip_p50", 4, sample_size=1)
    store(a, "vendor", a.pk, OCT, "review_rating", 3.5, sample_size=4)
    return a


def test_the_stored_new_figures_get_tiles_with_formula_sample_and_evidence(client, world, beyond):
    html = scorecard(client, world).content.decode()

    remediation = tile(html, "remediation_on_time_pct")
    assert "75.0 %" in remediation and "n = 4" in remediation and "(3 of 4)" in remediation
    assert METRICS["remediation_on_time_pct"].formula in remediation
    # Default target 100 %: missed; better than September's 50 %.
    assert "target 100.0 %" in remediation and "✗ missed" in remediation
    assert "+25.0 pts" in remediation and "better" in remediation
    delivery = tile(html, "delivery_on_time_pct")
    assert "50.0 %" in delivery and "(1 of 2)" in delivery and "target 95.0 %" in delivery
    critical = tile(html, "findings_open_critical")
    assert "prev. 1 " in critical and "better" in critical
    assert "target 0\n" in tile(html, "findings_overdue")
    assert "3.50" in tile(html, "review_rating") and "target 4.5" in tile(html, "review_rating")


def test_audits_done_are_judged_against_the_audits_the_cadence_asks_for(client, world, beyond):
    audits = tile(scorecard(client, world).content.decode(), "audits_done")

    assert "target 1 due (the contract&#x27;s cadence)" in audits and "✗ missed" in audits


def test_figures_not_stored_get_no_tile(client, world, beyond):
    html = scorecard(client, world).content.decode()

    assert 'data-metric="deliverables_overdue"' not in html
    assert 'data-metric="findings_open_high"' not in html
    groups = [g["name"] for g in scorecard(client, world).context["beyond_groups"]]
    assert groups == ["Security", "Delivery", "Review"]


def test_a_vendor_with_no_such_records_is_told_so(client, world):
    html = scorecard(client, world).content.decode()

    assert "No security audits, deliverables or review ratings are stored for 2026-10." in html


def test_a_week_shows_no_security_or_delivery_section(client, world, beyond):
    response = scorecard(client, world, kind="week", period="2026-W43")

    assert response.status_code == 200
    assert "Security, delivery and the review" not in response.content.decode()


def test_the_section_links_to_the_vendors_findings_and_deliverables(client, world, beyond):
    html = scorecard(client, world, user="manager").content.decode()
    for path in ("findings", "deliverables"):
        assert f'href="/vendors/{world["a"].slug}/{path}/"' in html


def test_another_vendors_user_sees_none_of_it(client, world, beyond):
    assert scorecard(client, world, user="vendor_b").status_code == 404
