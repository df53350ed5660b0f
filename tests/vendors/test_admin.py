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


def test_a_ticket_added_in_the_admin_gets_its_facts_from_its_events(admin_client):
    from tests.factories import ContractFactory
    from tickets.models import Ticket

    contract = ContractFactory()
    form = {
        "source": "manual",
        "external_id": "M-1",
        "vendor": str(contract.vendor_id),
        "contract": str(contract.pk),
        "priority": "P2",
        "channel": "phone",
        "status": "resolved",
        # Times are entered in TIME_ZONE (UTC); 2026-11-20 16:30 UTC is 16:30 in London.
        "created_at_0": "2026-11-20",
        "created_at_1": "16:30:00",
        "resolved_at_0": "2026-11-23",
        "resolved_at_1": "10:00:00",
        **inline(
            "events",
            [
                {
                    "at_0": "2026-11-23",
                    "at_1": "09:45:00",
                    "seq": "0",
                    "kind": "responded",
                    "by_vendor": "on",
                },
            ],
        ),
        **inline("surveys", []),
    }
    response = admin_client.post("/admin/tickets/ticket/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    ticket = Ticket.objects.get(external_id="M-1")
    assert ticket.response_seconds == 75 * 60
    assert ticket.response_met is False
    assert ticket.resolution_met is True  # 8 business hours: due Mon 15:30


def test_a_ticket_resolved_before_it_was_created_is_refused_in_the_admin(admin_client):
    from tests.factories import ContractFactory
    from tickets.models import Ticket

    contract = ContractFactory()
    form = {
        "source": "manual",
        "external_id": "M-2",
        "vendor": str(contract.vendor_id),
        "contract": str(contract.pk),
        "priority": "P2",
        "channel": "phone",
        "status": "resolved",
        "created_at_0": "2026-11-20",
        "created_at_1": "16:30:00",
        "resolved_at_0": "2026-11-19",
        "resolved_at_1": "10:00:00",
        **inline("events", []),
        **inline("surveys", []),
    }
    response = admin_client.post("/admin/tickets/ticket/add/", form)
    assert response.status_code == 200
    assert "The ticket cannot be resolved before it was created." in response.content.decode()
    assert not Ticket.objects.exists()
