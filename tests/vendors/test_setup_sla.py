"""The SLA set-up pages: managers create policies from templates (METRICS.md's defaults, 24x7,
business hours) and edit their targets and pause statuses; they create business calendars with
a weekly grid, explicit and public holidays, and see the next holidays the SLA clock skips.
Every refusal names the field; every change is in the audit trail with the manager as actor."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from common.roles import ensure_role_groups
from tests.factories import CalendarFactory, PolicyFactory, VendorFactory
from vendors import sla_templates
from vendors.models import (
    AuditEntry,
    BusinessCalendar,
    Holiday,
    OpenInterval,
    SlaPolicy,
    VendorMembership,
)
from vendors.selectors_sla import calendar_next_holidays, weekly_summary

pytestmark = pytest.mark.django_db


def make_user(username: str, role: str, vendor=None):
    user = get_user_model().objects.create_user(username, password="pw-123456")
    user.groups.add(ensure_role_groups()[role])
    if vendor is not None:
        VendorMembership.objects.create(user=user, vendor=vendor)
    return user


@pytest.fixture
def manager():
    return make_user("manager", "manager")


@pytest.fixture
def client_as(client, manager):
    client.force_login(manager)
    return client


def targets_of(policy: SlaPolicy) -> dict[str, tuple]:
    return {
        t.priority: (t.response_minutes, t.resolution_minutes, t.always_open, t.calendar_id)
        for t in policy.targets.all()
    }


def policy_post(template: str, **overrides) -> dict:
    """The new-policy page's form as a manager sends it, from the template's own values."""
    t = sla_templates.TEMPLATES[template]
    data = {
        "template": template,
        "name": f"{t.label} policy",
        "description": t.description,
        "calendar": "",
        "warning_minutes": str(t.warning_minutes),
        "pause_statuses": list(t.pause_statuses),
    }
    for target in t.targets:
        data[f"{target.priority}-response_minutes"] = str(target.response_minutes)
        data[f"{target.priority}-resolution_minutes"] = str(target.resolution_minutes)
        if target.always_open:
            data[f"{target.priority}-always_open"] = "on"
        data[f"{target.priority}-calendar"] = ""
    data.update(overrides)
    return data


def edit_post(policy: SlaPolicy, **overrides) -> dict:
    data = {
        "name": policy.name,
        "description": policy.description,
        "calendar": str(policy.calendar_id),
        "warning_minutes": str(policy.warning_minutes),
        "pause_statuses": list(policy.pause_statuses),
    }
    for t in policy.targets.all():
        data[f"{t.priority}-response_minutes"] = str(t.response_minutes)
        data[f"{t.priority}-resolution_minutes"] = str(t.resolution_minutes)
        if t.always_open:
            data[f"{t.priority}-always_open"] = "on"
        data[f"{t.priority}-calendar"] = str(t.calendar_id or "")
    data.update(overrides)
    return data


def field_errors(response, form: str = "form") -> dict[str, list[str]]:
    return {k: list(v) for k, v in response.context[form].errors.items()}


def target_errors(response, priority: str) -> dict[str, list[str]]:
    forms = dict(response.context["targets"])
    return {k: list(v) for k, v in forms[priority].errors.items()}


# --- policies from templates -------------------------------------------------------------------

# METRICS.md: P1 15 min / 4 h (24x7), P2 1 h / 8 h, P3 4 h / 3 days (24 business hours),
# P4 8 h / 5 days (40 business hours), in minutes.
METRICS_MINUTES = {"P1": (15, 240), "P2": (60, 480), "P3": (240, 1440), "P4": (480, 2400)}


def test_a_manager_creates_a_policy_from_metrics_defaults_with_its_calendar(client_as):
    page = client_as.get(reverse("setup-policy-new"))
    assert page.status_code == 200
    assert page.context["form"].initial["pause_statuses"] == [
        "pending_customer",
        "on_hold",
        "awaiting_third_party",
    ]

    response = client_as.post(reverse("setup-policy-new"), policy_post("metrics"))

    assert response.status_code == 302
    policy = SlaPolicy.objects.get(name="METRICS.md defaults policy")
    assert targets_of(policy) == {
        "P1": (15, 240, True, None),
        "P2": (60, 480, False, None),
        "P3": (240, 1440, False, None),
        "P4": (480, 2400, False, None),
    }
    assert policy.pause_statuses == ["pending_customer", "on_hold", "awaiting_third_party"]
    assert policy.warning_minutes == 30
    # No calendar existed, so the template's came with it: METRICS.md's example calendar.
    calendar = policy.calendar
    assert (calendar.name, calendar.time_zone) == ("London business hours", "Europe/London")
    assert (calendar.holiday_country, calendar.holiday_subdivision) == ("GB", "ENG")
    assert weekly_summary(calendar.open_intervals.all()) == "Mon-Fri 09:00-17:00"


def test_a_policy_from_the_24x7_template_runs_every_priority_round_the_clock(client_as):
    response = client_as.post(reverse("setup-policy-new"), policy_post("24x7"))

    assert response.status_code == 302
    policy = SlaPolicy.objects.get(name="24x7 policy")
    assert {p: t[:2] for p, t in targets_of(policy).items()} == METRICS_MINUTES
    assert policy.calendar.name == "24x7 UTC"
    assert policy.calendar.to_clock().is_24x7


def test_a_policy_from_the_business_hours_template_runs_p1_in_office_hours_too(client_as):
    CalendarFactory(name="London business hours")  # exists already: the page offers it
    page = client_as.get(reverse("setup-policy-new") + "?template=business-hours")
    calendar = page.context["form"].initial["calendar"]
    assert calendar.name == "London business hours"

    response = client_as.post(
        reverse("setup-policy-new"),
        policy_post("business-hours", calendar=str(calendar.pk)),
    )

    assert response.status_code == 302
    policy = SlaPolicy.objects.get(name="Business hours policy")
    assert targets_of(policy) == {p: (*m, False, None) for p, m in METRICS_MINUTES.items()}
    assert policy.calendar == calendar
    assert BusinessCalendar.objects.count() == 1


def test_every_template_holds_metrics_md_minutes():
    for template in sla_templates.TEMPLATES.values():
        minutes = {t.priority: (t.response_minutes, t.resolution_minutes) for t in template.targets}
        assert minutes == METRICS_MINUTES, template.key


def test_a_manager_edits_targets_and_pause_statuses_and_the_audit_names_the_manager(
    client_as, manager
):
    policy = PolicyFactory(name="Standard")
    AuditEntry.objects.all().delete()
    data = edit_post(
        policy,
        **{
            "P2-response_minutes": "30",
            "P2-resolution_minutes": "360",
            "pause_statuses": ["pending_customer"],
            "warning_minutes": "45",
        },
    )

    response = client_as.post(reverse("setup-policy-edit", args=[policy.pk]), data)

    assert response.status_code == 302
    policy.refresh_from_db()
    assert targets_of(policy)["P2"] == (30, 360, False, None)
    assert targets_of(policy)["P1"] == (15, 240, True, None)
    assert policy.pause_statuses == ["pending_customer"]
    assert policy.warning_minutes == 45
    target_entry = AuditEntry.objects.get(object_type="vendors.slatarget")
    assert target_entry.user == manager and target_entry.actor == "manager"
    assert target_entry.old_values == {"resolution_minutes": 480, "response_minutes": 60}
    assert target_entry.new_values == {"resolution_minutes": 360, "response_minutes": 30}
    policy_entry = AuditEntry.objects.get(object_type="vendors.slapolicy")
    assert policy_entry.actor == "manager"
    assert policy_entry.new_values == {
        "pause_statuses": ["pending_customer"],
        "warning_minutes": 45,
    }


def test_creating_a_policy_is_audited_with_the_manager_as_actor(client_as):
    client_as.post(reverse("setup-policy-new"), policy_post("metrics"))

    actors = set(AuditEntry.objects.values_list("object_type", "action", "actor"))
    assert ("vendors.slapolicy", "create", "manager") in actors
    assert ("vendors.slatarget", "create", "manager") in actors
    assert ("vendors.businesscalendar", "create", "manager") in actors
    assert ("vendors.openinterval", "create", "manager") in actors


def test_a_resolution_target_shorter_than_the_response_is_refused_on_its_field(client_as):
    policy = PolicyFactory(name="Standard")
    data = edit_post(policy, **{"P3-resolution_minutes": "120"})

    response = client_as.post(reverse("setup-policy-edit", args=[policy.pk]), data)

    assert response.status_code == 200
    assert target_errors(response, "P3") == {
        "resolution_minutes": ["P3: The resolution target is shorter than the response target."]
    }
    assert targets_of(SlaPolicy.objects.get(pk=policy.pk))["P3"][:2] == (240, 1440)


def test_a_closing_pause_status_is_refused_and_nothing_is_written(client_as):
    response = client_as.post(
        reverse("setup-policy-new"),
        policy_post("metrics", pause_statuses=["on_hold", "resolved"]),
    )

    assert response.status_code == 200
    assert field_errors(response) == {
        "pause_statuses": ["A resolved or closed status cannot pause."]
    }
    # The template's calendar was not left behind either.
    assert not SlaPolicy.objects.exists()
    assert not BusinessCalendar.objects.exists()


def test_a_24x7_target_naming_a_calendar_and_a_taken_name_are_refused_naming_each_field(
    client_as,
):
    other = CalendarFactory(name="Other")
    PolicyFactory(name="Taken", calendar=other)
    data = policy_post(
        "metrics", name="Taken", calendar=str(other.pk), **{"P1-calendar": str(other.pk)}
    )

    response = client_as.post(reverse("setup-policy-new"), data)

    assert field_errors(response) == {"name": ["SLA policy with this Name already exists."]}
    assert target_errors(response, "P1") == {
        "calendar": ["P1: A 24x7 target cannot also name a calendar."]
    }


def test_a_missing_target_value_is_refused_on_its_field(client_as):
    response = client_as.post(
        reverse("setup-policy-new"), policy_post("metrics", **{"P4-response_minutes": ""})
    )

    assert target_errors(response, "P4") == {"response_minutes": ["This field is required."]}
    assert not SlaPolicy.objects.exists()


# --- calendars ---------------------------------------------------------------------------------


def calendar_post(**overrides) -> dict:
    data = {
        "name": "London split shift",
        "time_zone": "Europe/London",
        "holiday_country": "gb",
        "holiday_subdivision": "eng",
        "holidays": "2026-12-24 Christmas Eve",
        **{f"hours_{d}": "08:00-12:00, 13:00-17:00" for d in range(5)},
        "hours_5": "09:00-13:00",
        "hours_6": "",
    }
    data.update(overrides)
    return data


def test_a_manager_creates_a_split_shift_calendar_with_explicit_and_public_holidays(client_as):
    response = client_as.post(reverse("setup-calendar-new"), calendar_post())

    calendar = BusinessCalendar.objects.get(name="London split shift")
    assert response.status_code == 302
    assert response["Location"] == reverse("setup-calendar-edit", args=[calendar.pk])
    assert (calendar.holiday_country, calendar.holiday_subdivision) == ("GB", "ENG")
    assert list(calendar.open_intervals.values_list("weekday", "start", "end")) == [
        *(
            (d, s, e)
            for d in range(5)
            for s, e in ((dt.time(8), dt.time(12)), (dt.time(13), dt.time(17)))
        ),
        (5, dt.time(9), dt.time(13)),
    ]
    assert list(calendar.holidays.values_list("date", "name")) == [
        (dt.date(2026, 12, 24), "Christmas Eve")
    ]
    assert (
        weekly_summary(calendar.open_intervals.all())
        == "Mon-Fri 08:00-12:00, 13:00-17:00; Sat 09:00-13:00"
    )


# From 1 December 2026 on the calendar above: its own Christmas Eve, then English bank holidays.
NEXT_TEN = [
    ("2026-12-24", "Christmas Eve", "explicit", True),
    ("2026-12-25", "Christmas Day", "public", True),
    ("2026-12-26", "Boxing Day", "public", True),  # a Saturday: the desk opens Saturdays
    ("2026-12-28", "Boxing Day (observed)", "public", True),
    ("2027-01-01", "New Year's Day", "public", True),
    ("2027-03-26", "Good Friday", "public", True),
    ("2027-03-29", "Easter Monday", "public", True),
    ("2027-05-03", "May Day", "public", True),
    ("2027-05-31", "Spring Bank Holiday", "public", True),
    ("2027-08-30", "Late Summer Bank Holiday", "public", True),
]


def test_the_calendar_page_shows_the_next_ten_holidays_the_clock_skips(client_as):
    client_as.post(reverse("setup-calendar-new"), calendar_post())
    calendar = BusinessCalendar.objects.get(name="London split shift")

    response = client_as.get(
        reverse("setup-calendar-edit", args=[calendar.pk]) + "?from=2026-12-01"
    )

    shown = [
        (h.date.isoformat(), h.name, h.source, h.open_that_day)
        for h in response.context["upcoming"]
    ]
    assert shown == NEXT_TEN
    assert "Boxing Day (observed)" in response.content.decode()
    # The same dates the SLA clock skips.
    clock = calendar.to_clock()
    assert all(dt.date.fromisoformat(d) in clock.holidays for d, *_ in NEXT_TEN)


def test_a_holiday_on_a_closed_day_is_marked_as_skipping_nothing():
    calendar = CalendarFactory(name="Office")  # Mon-Fri, GB-ENG
    Holiday.objects.create(calendar=calendar, date=dt.date(2027, 12, 25), name="Own Christmas")

    upcoming = calendar_next_holidays(calendar=calendar, start=dt.date(2027, 12, 25), count=3)

    assert [(h.date, h.name, h.source, h.open_that_day) for h in upcoming] == [
        (dt.date(2027, 12, 25), "Own Christmas / Christmas Day", "explicit and public", False),
        (dt.date(2027, 12, 26), "Boxing Day", "public", False),
        (dt.date(2027, 12, 27), "Christmas Day (observed)", "public", True),
    ]


def test_editing_a_calendar_changes_only_what_changed_and_is_audited(client_as, manager):
    client_as.post(reverse("setup-calendar-new"), calendar_post())
    calendar = BusinessCalendar.objects.get(name="London split shift")
    kept = OpenInterval.objects.get(calendar=calendar, weekday=0, start=dt.time(8))
    AuditEntry.objects.all().delete()

    response = client_as.post(
        reverse("setup-calendar-edit", args=[calendar.pk]),
        calendar_post(
            hours_5="",
            holidays="2026-12-24 Christmas Eve (half day off)\n2026-12-31 New Year's Eve",
            time_zone="Europe/Rome",
            holiday_country="IT",
            holiday_subdivision="",
        ),
    )

    assert response.status_code == 302
    calendar.refresh_from_db()
    assert (calendar.time_zone, calendar.holiday_country) == ("Europe/Rome", "IT")
    assert OpenInterval.objects.filter(pk=kept.pk).exists()
    assert not calendar.open_intervals.filter(weekday=5).exists()
    changes = sorted(AuditEntry.objects.values_list("object_type", "action", "actor"))
    assert changes == [
        ("vendors.businesscalendar", "update", "manager"),
        ("vendors.holiday", "create", "manager"),
        ("vendors.holiday", "update", "manager"),
        ("vendors.openinterval", "delete", "manager"),
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"time_zone": "Europe/Londn"},
            "time_zone",
            "time_zone: unknown time zone 'Europe/Londn'",
        ),
        (
            {"hours_1": "13:00-12:00"},
            "hours_1",
            "Tuesday 13:00-12:00: The interval must end after it starts.",
        ),
        (
            {"hours_2": "08:00-12:00, 11:00-17:00"},
            "hours_2",
            "Wednesday: 11:00-17:00 overlaps 08:00-12:00 on Wednesday.",
        ),
        (
            {"hours_3": "9-5"},
            "hours_3",
            "Thursday: “9-5” is not an interval such as 09:00-17:00 (24-hour times; 24:00 "
            "for midnight at the end of the day).",
        ),
        (
            {"holidays": "24/12/2026 Christmas Eve"},
            "holidays",
            "Line 1: “24/12/2026” is not a date; write YYYY-MM-DD then the name, e.g. "
            "2026-12-24 Christmas Eve.",
        ),
        (
            {"holidays": "2026-12-24 Eve\n2026-12-24 Again"},
            "holidays",
            "2026-12-24 is listed twice.",
        ),
        ({"holiday_country": "", "holiday_subdivision": "ENG"}, "holiday_subdivision", None),
        ({"holiday_country": "XX", "holiday_subdivision": ""}, "holiday_country", None),
    ],
)
def test_a_refused_calendar_names_the_field_and_why(client_as, changes, field, message):
    response = client_as.post(reverse("setup-calendar-new"), calendar_post(**changes))

    assert response.status_code == 200
    errors = field_errors(response)
    assert list(errors) == [field]
    if message:
        assert errors[field] == [message]
    assert not BusinessCalendar.objects.exists()


def test_a_calendar_without_any_open_hours_is_refused(client_as):
    closed = {f"hours_{d}": "" for d in range(7)}

    response = client_as.post(reverse("setup-calendar-new"), calendar_post(**closed))

    assert field_errors(response) == {
        "__all__": ["No open hours: give at least one interval, or the SLA clock never runs."]
    }


def test_a_day_open_until_midnight_is_written_as_24_00(client_as):
    response = client_as.post(reverse("setup-calendar-new"), calendar_post(hours_6="18:00-24:00"))

    assert response.status_code == 302
    calendar = BusinessCalendar.objects.get()
    assert calendar.open_intervals.get(weekday=6).end == dt.time(0)
    page = client_as.get(reverse("setup-calendar-edit", args=[calendar.pk]))
    assert page.context["form"].initial["hours_6"] == "18:00-24:00"


# --- who may open the pages --------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["setup-policies", "setup-policy-new", "setup-calendars", "setup-calendar-new"]
)
def test_only_managers_open_the_sla_set_up_pages(client, name):
    url = reverse(name)
    vendor = VendorFactory(name="Acme")
    finance = make_user("finance", "finance")
    vendor_user = make_user("vendor", "vendor", vendor)
    manager = make_user("boss", "manager")

    assert client.get(url)["Location"].startswith(reverse("account_login"))
    for user in (finance, vendor_user):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.post(url, {}).status_code == 403
    client.force_login(manager)
    assert client.get(url).status_code == 200


def test_edit_pages_are_for_managers_and_unknown_ids_are_404(client_as):
    policy = PolicyFactory(name="Standard")
    finance = make_user("finance", "finance")

    policy_url = reverse("setup-policy-edit", args=[policy.pk])
    calendar_url = reverse("setup-calendar-edit", args=[policy.calendar_id])
    assert client_as.get(policy_url).status_code == 200
    assert client_as.get(calendar_url).status_code == 200
    assert client_as.get(reverse("setup-policy-edit", args=[999999])).status_code == 404
    assert client_as.get(reverse("setup-calendar-edit", args=[999999])).status_code == 404
    client_as.force_login(finance)
    assert client_as.get(policy_url).status_code == 403
    assert client_as.get(calendar_url).status_code == 403


def test_the_lists_show_policies_and_calendars(client_as):
    policy = PolicyFactory(name="Standard", calendar=CalendarFactory(name="Office"))

    policies = client_as.get(reverse("setup-policies")).content.decode()
    calendars = client_as.get(reverse("setup-calendars")).content.decode()

    assert "Standard" in policies and "Pending customer, On hold, Awaiting third party" in policies
    assert reverse("setup-policy-edit", args=[policy.pk]) in policies
    assert "Office" in calendars and "Mon-Fri 09:00-17:00" in calendars
