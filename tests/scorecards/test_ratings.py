"""The review's ratings: refused input names its field, a closed month is frozen, each change
marks the month for recompute and lands in the audit trail; vendors' users read their own
vendor's ratings and evidence only; the pack (page, print, XLSX) shows them with the new
figures; the scorecard trends them over twelve months; the API lists them, vendor-scoped."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from scorecards import packs
from scorecards.models import ClosedPeriod, DirtyPeriod, ReviewRating
from scorecards.selectors_ratings import ratings_for_month, ratings_mean
from scorecards.services_ratings import review_ratings_save
from tests.scorecards import test_packs
from tests.scorecards.test_packs import NOW, OCT, OCTOBER, SEP, TODAY, pack_url, store
from vendors.models import AuditEntry

pytestmark = pytest.mark.django_db

# The pack tests' world (vendor A with September and October stored, vendor B, one user per
# role) and their frozen day.
world = test_packs.world
frozen_today = test_packs.frozen_today

GOOD = {
    "communication": (4, "Clear weekly summary."),
    "proactivity": (3, "One suggestion, after we asked."),
    "improvement": (5, "Two automations live."),
    "staff_development": (2, "No training reported."),
}


@pytest.fixture(autouse=True)
def ratings_today(monkeypatch):
    monkeypatch.setattr("scorecards.services_ratings.reporting_today", lambda: TODAY)


def rate(world, ratings=None, period=OCTOBER, vendor="a"):
    return review_ratings_save(
        vendor=world[vendor], period=period, ratings=ratings or GOOD, user=world["manager"]
    )


# -- the service --------------------------------------------------------------------------------


def test_a_months_ratings_are_stored_with_their_evidence_and_their_mean(world):
    rate(world)

    rows = {
        r.quality: (r.rating, r.evidence) for r in ratings_for_month(vendor=world["a"], month=OCT)
    }
    assert rows == GOOD
    # (4 + 3 + 5 + 2) / 4
    assert str(ratings_mean(ratings_for_month(vendor=world["a"], month=OCT))) == "3.50"
    assert ReviewRating.objects.get(quality="communication").rated_by == world["manager"]


@pytest.mark.parametrize(
    ("ratings", "field"),
    [
        ({"communication": (6, "")}, "communication"),
        ({"proactivity": (0, "")}, "proactivity"),
        ({"improvement": ("4.5", "")}, "improvement"),
        ({"staff_development": ("five", "")}, "staff_development"),
        ({"communication": (3, "x" * 501)}, "communication_evidence"),
        ({"communication": (None, "Evidence with no rating")}, "communication"),
        ({"cheerfulness": (5, "")}, "cheerfulness"),
    ],
)
def test_bad_ratings_are_refused_naming_the_field(world, ratings, field):
    with pytest.raises(ValidationError) as refused:
        rate(world, ratings)

    assert field in refused.value.message_dict
    assert not ReviewRating.objects.exists()


def test_a_rating_of_six_is_refused_and_nothing_of_the_form_is_saved(world):
    with pytest.raises(ValidationError) as refused:
        rate(world, {**GOOD, "communication": (6, "Great")})

    assert "1 to 5" in refused.value.message_dict["communication"][0]
    assert not ReviewRating.objects.exists()


def test_a_closed_month_refuses_changes_until_it_is_reopened(world):
    rate(world)
    closed = ClosedPeriod.objects.create(
        vendor=world["a"], period_kind="month", period_start=OCT, closed_at=NOW
    )

    with pytest.raises(ValidationError) as refused:
        rate(world, {"communication": (1, "Changed my mind")})
    assert "closed" in refused.value.message_dict["month"][0]
    assert ReviewRating.objects.get(quality="communication").rating == 4

    closed.reopened_at = NOW
    closed.save()
    rate(world, {"communication": (1, "Changed my mind")})
    assert ReviewRating.objects.get(quality="communication").rating == 1


def test_a_month_not_begun_is_refused(world):
    december = OCTOBER.next().next()
    with pytest.raises(ValidationError) as refused:
        rate(world, period=december)

    assert "month" in refused.value.message_dict


def test_each_change_marks_the_month_and_its_quarter_dirty(world):
    rate(world)

    dirty = set(DirtyPeriod.objects.values_list("period_kind", "period_start"))
    assert ("month", OCT) in dirty and ("quarter", OCT) in dirty
    assert ("month", SEP) not in dirty


def test_saving_the_same_ratings_again_changes_and_marks_nothing(world):
    rate(world)
    DirtyPeriod.objects.all().delete()
    before = list(ReviewRating.objects.values_list("pk", "rated_at"))

    rate(world)

    assert list(ReviewRating.objects.values_list("pk", "rated_at")) == before
    assert not DirtyPeriod.objects.exists()


def test_a_blank_rating_takes_the_quality_away(world):
    rate(world)
    rate(world, {"staff_development": (None, "")})

    assert set(ReviewRating.objects.values_list("quality", flat=True)) == {
        "communication",
        "proactivity",
        "improvement",
    }


# -- the pack page -------------------------------------------------------------------------------


def post_ratings(client, world, **fields):
    return client.post(pack_url(world["a"], name="pack-ratings"), fields)


def test_a_manager_rates_on_the_pack_page_and_the_change_is_in_the_audit_trail(client, world):
    client.force_login(world["manager"])
    response = post_ratings(
        client,
        world,
        communication="4",
        communication_evidence="Clear weekly summary.",
        proactivity="2",
        proactivity_evidence="",
        improvement="",
        improvement_evidence="",
        staff_development="5",
        staff_development_evidence="Three technicians certified.",
    )

    assert response.status_code == 302 and response["Location"].endswith("#ratings")
    assert dict(ReviewRating.objects.values_list("quality", "rating")) == {
        "communication": 4,
        "proactivity": 2,
        "staff_development": 5,
    }
    entries = AuditEntry.objects.filter(object_type="scorecards.reviewrating")
    assert entries.count() == 3 and {e.actor for e in entries} == {"manager"}


def test_a_refused_rating_on_the_page_says_which_field(client, world):
    client.force_login(world["manager"])
    response = post_ratings(client, world, communication="6", communication_evidence="")

    page = client.get(response["Location"]).content.decode()
    assert "Communication: Rate communication 1 to 5, not 6." in page
    assert not ReviewRating.objects.exists()


def test_the_pack_shows_the_ratings_and_their_evidence(client, world):
    rate(world)
    client.force_login(world["manager"])
    html = client.get(pack_url(world["a"])).content.decode()

    section = html[html.index('id="ratings"') :]
    assert 'data-quality="improvement"' in section
    assert "Two automations live." in section and "No training reported." in section
    assert 'action="/vendors/' in section and "Save ratings" in section


def test_the_vendors_user_reads_its_own_ratings_and_evidence_but_cannot_change_them(client, world):
    rate(world)
    rate(world, {"communication": (1, "Bravo never called back")}, vendor="b")
    store(world["b"], "vendor", world["b"].pk, OCT, "sla_compliance_pct", 90, sample_size=10)
    client.force_login(world["vendor_a"])

    html = client.get(pack_url(world["a"])).content.decode()
    assert "Clear weekly summary." in html
    assert "Save ratings" not in html and "Bravo never called back" not in html
    assert client.get(pack_url(world["b"])).status_code == 404
    assert post_ratings(client, world, communication="5").status_code == 403
    assert ReviewRating.objects.get(vendor=world["a"], quality="communication").rating == 4


def test_finance_reads_the_ratings_without_a_form(client, world):
    rate(world)
    client.force_login(world["finance"])
    html = client.get(pack_url(world["a"])).content.decode()

    assert "Clear weekly summary." in html and "Save ratings" not in html


def test_a_closed_month_shows_its_ratings_frozen_with_no_form(client, world):
    rate(world)
    ClosedPeriod.objects.create(
        vendor=world["a"], period_kind="month", period_start=OCT, closed_at=NOW
    )
    client.force_login(world["manager"])
    html = client.get(pack_url(world["a"])).content.decode()

    assert "its ratings are frozen" in html and "Save ratings" not in html


def test_the_pack_shows_the_new_figures_in_their_own_section(client, world):
    a = world["a"]
    store(a, "vendor", a.pk, OCT, "findings_overdue", 2)
    store(
        a,
        "vendor",
        a.pk,
        OCT,
        "remediation_on_time_pct",
        75,
        numerator=3,
        denominator=4,
        sample_size=4,
    )
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
    store(a, "vendor", a.pk, OCT, "review_rating", 3.5, sample_size=4)
    rate(world)

    pack = packs.pack_for_vendor(vendor=a, period=OCTOBER, now=NOW)
    beyond = {k.code: k for k in pack.beyond_kpis}
    assert beyond["remediation_on_time_pct"].value_text == "75.0 %"
    assert beyond["review_rating"].value_text == "3.50"
    assert "findings_overdue" not in {k.code for k in pack.ticket_kpis}

    client.force_login(world["finance"])
    html = client.get(pack_url(a)).content.decode()
    section = html[html.index('id="ratings"') :]
    assert 'data-metric="findings_overdue"' in section
    assert 'data-metric="delivery_on_time_pct"' in section and "50.0 %" in section


def test_the_print_pack_and_the_xlsx_carry_the_ratings(client, world):
    rate(world)
    pack = packs.pack_for_vendor(vendor=world["a"], period=OCTOBER, now=NOW)

    printed = packs.pack_print_html(pack)
    assert "Two automations live." in printed and "Save ratings" not in printed

    client.force_login(world["manager"])
    book = load_workbook(io.BytesIO(client.get(pack_url(world["a"], name="pack-xlsx")).content))
    rows = list(book["Review ratings"].iter_rows(min_row=2, values_only=True))
    assert [(r[1], r[2], r[3]) for r in rows] == [
        ("rating_communication", 4, "Clear weekly summary."),
        ("rating_proactivity", 3, "One suggestion, after we asked."),
        ("rating_improvement", 5, "Two automations live."),
        ("rating_staff_development", 2, "No training reported."),
    ]


# -- the scorecard's trend ---------------------------------------------------------------------


def test_the_scorecard_trends_the_rating_and_its_four_qualities_over_twelve_months(client, world):
    a = world["a"]
    for start, mean, com in ((SEP, 3.25, 3), (OCT, 3.5, 4)):
        store(a, "vendor", a.pk, start, "review_rating", mean, sample_size=4)
        store(a, "vendor", a.pk, start, "rating_communication", com, sample_size=1)
    client.force_login(world["vendor_a"])

    response = client.get(reverse("vendor", args=[a.slug]), {"kind": "month", "period": "2026-10"})
    chart = response.context["ratings_chart"]
    series = {trace["name"]: trace["y"] for trace in chart["data"]}

    assert list(series) == [
        "Review rating",
        "Rating: communication",
        "Rating: proactivity",
        "Rating: improvement",
        "Rating: staff development",
    ]
    assert chart["data"][0]["x"][-2:] == ["2026-09", "2026-10"] and len(chart["data"][0]["x"]) == 12
    assert series["Review rating"][-2:] == [3.25, 3.5]
    assert series["Rating: communication"][-2:] == [3.0, 4.0]
    assert series["Rating: proactivity"][-2:] == [None, None]
    assert "Review ratings, last 12 months" in response.content.decode()


def test_no_ratings_stored_means_no_ratings_chart(client, world):
    client.force_login(world["manager"])
    response = client.get(
        reverse("vendor", args=[world["a"].slug]), {"kind": "month", "period": "2026-10"}
    )

    assert response.context["ratings_chart"] is None


# -- the API -------------------------------------------------------------------------------------


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_api_lists_a_vendors_user_its_own_ratings_only(world):
    rate(world)
    rate(world, {"communication": (1, "Bravo never called back")}, vendor="b")

    mine = api(world["vendor_a"]).get("/api/v1/review-ratings/").json()["results"]
    assert {(r["vendor"], r["quality"], r["rating"]) for r in mine} == {
        (world["a"].pk, q, rating) for q, (rating, _) in GOOD.items()
    }
    other = ReviewRating.objects.get(vendor=world["b"])
    assert api(world["vendor_a"]).get(f"/api/v1/review-ratings/{other.pk}/").status_code == 404
    assert api(world["manager"]).get("/api/v1/review-ratings/").json()["count"] == 5


def test_the_api_filters_by_quality_month_and_vendor(world):
    rate(world)
    rate(world, {"communication": (2, "September")}, period=OCTOBER.previous())
    client = api(world["finance"])

    def count(**params):
        return client.get("/api/v1/review-ratings/", params).json()["count"]

    assert count(quality="communication") == 2
    assert count(month_from="2026-10-01") == 4
    assert count(month_to="2026-09-30") == 1
    assert count(vendor=world["b"].pk) == 0
    one = client.get("/api/v1/review-ratings/", {"month_to": "2026-09-30"}).json()["results"][0]
    assert one["metric"] == "rating_communication" and one["evidence"] == "September"
    assert one["month"] == "2026-09-01"
    assert client.get("/api/v1/review-ratings/", {"quality": "cheer"}).status_code == 400


def test_updated_since_gives_the_ratings_changed_since_the_last_pull(world):
    rate(world)
    ReviewRating.objects.update(rated_at=timezone.now() - dt.timedelta(days=2))
    rate(world, {"communication": (5, "Better")})
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()

    rows = api(world["finance"]).get("/api/v1/review-ratings/", {"updated_since": since}).json()
    assert [r["quality"] for r in rows["results"]] == ["communication"]
