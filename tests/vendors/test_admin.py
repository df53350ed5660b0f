"""The admin refuses bad calendars and policies with a message naming what is wrong."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from tests.factories import CalendarFactory
from vendors.models import BusinessCalendar, SlaPolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(user)
    return client


def inline(prefix: str, rows: list[dict]) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        data.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return data


def calendar_form(hours: list[tuple[int, str, str]], time_zone="Europe/London") -> dict:
    rows = [{"weekday": str(d), "start": s, "end": e} for d, s, e in hours]
    return {
        "name": "Office",
        "time_zone": time_zone,
        "holiday_country": "GB",
        "holiday_subdivision": "ENG",
        **inline("open_intervals", rows),
        **inline("holidays", []),
    }


def test_a_calendar_with_split_shifts_is_saved(admin_client):
    form = calendar_form([(0, "08:00", "12:00"), (0, "13:00", "17:00")])
    response = admin_client.post("/admin/vendors/businesscalendar/add/", form)
    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get(name="Office")
    assert calendar.open_intervals.count() == 2


def test_overlapping_open_hours_are_refused_in_the_admin(admin_client):
    form = calendar_form([(0, "08:00", "12:00"), (0, "11:00", "17:00")])
    response = admin_client.post("/admin/vendors/businesscalendar/add/", form)
    assert response.status_code == 200
    assert "Open hours: weekly_hours" in response.content.decode()
    assert "overlap" in response.content.decode().lower()
    assert not BusinessCalendar.objects.exists()


def test_a_calendar_with_no_open_hours_is_refused_in_the_admin(admin_client):
    response = admin_client.post("/admin/vendors/businesscalendar/add/", calendar_form([]))
    assert response.status_code == 200
    assert "Open hours: weekly_hours" in response.content.decode()


def test_an_unknown_zone_is_refused_in_the_admin(admin_client):
    form = calendar_form([(0, "09:00", "17:00")], time_zone="Europe/Atlantis")
    response = admin_client.post("/admin/vendors/businesscalendar/add/", form)
    assert response.status_code == 200
    assert "Europe/Atlantis" in response.content.decode()


def test_a_policy_missing_a_priority_is_refused_in_the_admin(admin_client):
    calendar = CalendarFactory()
    rows = [
        {"priority": p, "response_minutes": "60", "resolution_minutes": "480"}
        for p in ("P1", "P2", "P3")
    ]
    form = {
        "name": "Gold",
        "calendar": str(calendar.pk),
        "pause_statuses": '["on_hold"]',
        "warning_minutes": "30",
        **inline("targets", rows),
    }
    response = admin_client.post("/admin/vendors/slapolicy/add/", form)
    assert response.status_code == 200
    assert "add a target for P4" in response.content.decode()
    assert not SlaPolicy.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/",
        "/admin/vendors/vendor/",
        "/admin/vendors/contract/",
        "/admin/vendors/slapolicy/add/",
        "/admin/vendors/businesscalendar/",
        "/admin/tickets/ticket/",
        "/admin/tickets/outage/",
        "/admin/vendors/invoice/",
    ],
)
def test_admin_pages_open(admin_client, url):
    assert admin_client.get(url).status_code == 200


def test_pages_need_a_login(client):
    response = client.get("/admin/vendors/vendor/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
