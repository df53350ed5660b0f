"""The one-click survey: a resolved ticket's signed, expiring link takes one answer (1..5 and
an optional comment) without a login; later, expired, tampered or premature answers get a
clear page and record nothing."""

from __future__ import annotations

import datetime as dt
import time
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings

from scorecards.models import DirtyPeriod
from tests.factories import TicketFactory
from tickets.models import SurveyResponse
from tickets.services import survey_link_for

pytestmark = pytest.mark.django_db

RESOLVED = dt.datetime(2026, 11, 16, 15, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def relative_links(settings):
    # Site-relative links, whatever SITE_URL the environment gives (one test sets its own).
    settings.SITE_URL = ""


@pytest.fixture
def ticket():
    return TicketFactory(
        external_id="INC-1042",
        title="Printer on floor 3 jams",
        status="resolved",
        resolved_at=RESOLVED,
    )


def test_a_resolved_ticket_gets_a_link_under_survey(ticket):
    link = survey_link_for(ticket)
    assert link.startswith("/survey/") and link.endswith("/")
    assert link.count(":") == 2  # pk:timestamp:signature


def test_the_link_is_absolute_when_the_site_url_is_set(ticket, settings):
    settings.SITE_URL = "https://vendorscore.example.com"
    assert survey_link_for(ticket).startswith("https://vendorscore.example.com/survey/")


def test_an_unresolved_ticket_has_no_link():
    with pytest.raises(ValidationError):
        survey_link_for(TicketFactory(status="in_progress"))


def test_the_link_opens_the_question_without_a_login(client, ticket):
    response = client.get(survey_link_for(ticket))
    assert response.status_code == 200
    page = response.content.decode()
    assert "INC-1042" in page and "Printer on floor 3 jams" in page
    for score in range(1, 6):
        assert f'name="score" value="{score}"' in page
    # Opening the link records nothing: mail scanners follow links too.
    assert not SurveyResponse.objects.exists()


def test_one_click_records_the_answer_and_marks_its_period_for_recompute(client, ticket):
    response = client.post(survey_link_for(ticket), {"score": "4", "comment": " Quick fix "})
    assert response.status_code == 200
    assert "4 of 5" in response.content.decode()
    answer = SurveyResponse.objects.get(ticket=ticket)
    assert (answer.score, answer.scale, answer.comment) == (4, 5, "Quick fix")
    month = answer.answered_at.date().replace(day=1)
    assert DirtyPeriod.objects.filter(
        vendor=ticket.vendor, period_kind="month", period_start=month
    ).exists()


def test_a_second_answer_is_refused_with_a_friendly_page(client, ticket):
    link = survey_link_for(ticket)
    client.post(link, {"score": "5"})
    again = client.post(link, {"score": "1", "comment": "changed my mind"})
    assert again.status_code == 409
    assert "already answered" in again.content.decode()
    assert list(SurveyResponse.objects.values_list("score", flat=True)) == [5]
    # Opening the link again says the same.
    assert client.get(link).status_code == 409


def test_a_ticket_answered_through_an_import_takes_no_second_answer(client, ticket):
    SurveyResponse.objects.create(ticket=ticket, score=3, answered_at=RESOLVED)
    response = client.post(survey_link_for(ticket), {"score": "5"})
    assert response.status_code == 409
    assert SurveyResponse.objects.count() == 1


def test_a_tampered_link_is_refused(client, ticket):
    link = survey_link_for(ticket)
    other = TicketFactory(status="resolved", resolved_at=RESOLVED)
    pk, rest = link.removeprefix("/survey/").split(":", 1)
    forged = f"/survey/{other.pk}:{rest}"
    for url in (forged, link[:-3] + "xx/"):
        response = client.post(url, {"score": "1"})
        assert response.status_code == 400
        assert "not valid" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_an_expired_link_is_refused(client, ticket):
    signed_at = time.time() - 31 * 86400
    with mock.patch("django.core.signing.time.time", return_value=signed_at):
        link = survey_link_for(ticket)
    response = client.post(link, {"score": "5"})
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_link_a_day_inside_its_age_still_works(client, ticket):
    signed_at = time.time() - 29 * 86400
    with mock.patch("django.core.signing.time.time", return_value=signed_at):
        link = survey_link_for(ticket)
    assert client.post(link, {"score": "5"}).status_code == 200


@override_settings(SURVEY_LINK_MAX_AGE_DAYS=7)
def test_the_age_limit_is_a_setting(client, ticket):
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 8 * 86400):
        link = survey_link_for(ticket)
    assert client.get(link).status_code == 410


def test_a_link_for_a_ticket_reopened_since_is_refused(client, ticket):
    link = survey_link_for(ticket)
    ticket.status, ticket.resolved_at = "in_progress", None
    ticket.save()
    response = client.post(link, {"score": "2"})
    assert response.status_code == 409
    assert "not resolved" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_score_outside_1_to_5_records_nothing(client, ticket):
    link = survey_link_for(ticket)
    for score in ("0", "6", "five", ""):
        response = client.post(link, {"score": score})
        assert response.status_code == 400
    assert not SurveyResponse.objects.exists()


def test_a_deleted_tickets_link_says_so(client, ticket):
    link = survey_link_for(ticket)
    ticket.delete()
    response = client.get(link)
    assert response.status_code == 410
    assert "no longer exists" in response.content.decode()


def test_the_survey_page_has_no_inline_script(client, ticket):
    response = client.get(survey_link_for(ticket))
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "<script>" not in response.content.decode()
