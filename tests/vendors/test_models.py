"""Refusals of bad set-up, each naming the field and the reason, in models and the admin."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from common.roles import ensure_role_groups
from tests.factories import CalendarFactory, ContractFactory, PolicyFactory
from vendors import sla
from vendors.models import (
    BusinessCalendar,
    CreditTier,
    Invoice,
    OpenInterval,
    ScoreWeight,
    SlaPolicy,
    SlaTarget,
)

pytestmark = pytest.mark.django_db


def errors_of(instance) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as err:
        instance.full_clean()
    return err.value.message_dict


def test_an_unknown_time_zone_is_refused_naming_it():
    errors = errors_of(BusinessCalendar(name="Moon base", time_zone="Moon/Tranquility"))
    assert list(errors) == ["time_zone"]
    assert "Moon/Tranquility" in errors["time_zone"][0]


def test_an_unknown_holiday_country_is_refused():
    errors = errors_of(BusinessCalendar(name="X", time_zone="UTC", holiday_country="XX"))
    assert "holiday_country" in errors


def test_an_unknown_holiday_subdivision_is_refused():
    calendar = BusinessCalendar(
        name="X", time_zone="UTC", holiday_country="GB", holiday_subdivision="ZZZ"
    )
    assert "holiday_subdivision" in errors_of(calendar)


def test_an_interval_that_ends_before_it_starts_is_refused():
    calendar = CalendarFactory()
    interval = OpenInterval(calendar=calendar, weekday=0, start=dt.time(17), end=dt.time(9))
    assert errors_of(interval) == {"end": ["The interval must end after it starts."]}


def test_an_interval_ending_at_midnight_runs_to_the_end_of_the_day():
    calendar = CalendarFactory(hours=[(5, dt.time(20), dt.time(0))])
    clock = calendar.to_clock(years=range(2026, 2027))
    saturday_evening = dt.datetime(2026, 11, 21, 19, tzinfo=dt.UTC)
    assert sla.business_seconds(clock, saturday_evening, saturday_evening + dt.timedelta(1)) == (
        4 * 3600
    )


def test_overlapping_intervals_are_refused_when_the_clock_is_built():
    calendar = CalendarFactory(hours=[(0, dt.time(9), dt.time(13)), (0, dt.time(12), dt.time(17))])
    with pytest.raises(ValidationError) as err:
        calendar.to_clock()
    assert "weekly_hours" in err.value.message_dict
    assert "overlap" in str(err.value).lower()


def test_a_calendar_with_no_open_hours_is_refused():
    calendar = BusinessCalendar.objects.create(name="Never", time_zone="UTC")
    with pytest.raises(ValidationError) as err:
        calendar.to_clock()
    assert "weekly_hours" in err.value.message_dict


def test_the_clock_carries_english_bank_holidays_from_the_holidays_package():
    clock = CalendarFactory().to_clock(years=range(2026, 2027))
    assert dt.date(2026, 12, 25) in clock.holidays
    assert dt.date(2026, 12, 28) in clock.holidays  # Boxing Day, substitute Monday
    assert dt.date(2026, 12, 24) not in clock.holidays


def test_a_pause_status_that_does_not_exist_is_refused():
    policy = SlaPolicy(name="P", calendar=CalendarFactory(), pause_statuses=["waiting"])
    errors = errors_of(policy)
    assert list(errors) == ["pause_statuses"]
    assert "Unknown status waiting" in errors["pause_statuses"][0]


def test_resolved_cannot_pause_the_clock():
    policy = SlaPolicy(name="P", calendar=CalendarFactory(), pause_statuses=["resolved"])
    assert "pause_statuses" in errors_of(policy)


def test_a_resolution_target_shorter_than_the_response_target_is_refused():
    target = SlaTarget(
        policy=PolicyFactory(targets={}), priority="P1", response_minutes=60, resolution_minutes=30
    )
    assert list(errors_of(target)) == ["resolution_minutes"]


def test_a_contract_that_ends_before_it_starts_is_refused():
    contract = ContractFactory.build(
        vendor=ContractFactory().vendor,
        sla_policy=PolicyFactory(),
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2025, 1, 1),
    )
    assert "end_date" in errors_of(contract)


def test_a_credit_tier_on_an_unknown_metric_is_refused():
    tier = CreditTier(
        contract=ContractFactory(), metric="happiness", threshold=95, credit_pct=Decimal(5)
    )
    errors = errors_of(tier)
    assert list(errors) == ["metric"]


def test_a_score_floor_on_the_wrong_side_of_the_target_is_refused():
    weight = ScoreWeight(contract=ContractFactory(), metric="mttr", weight=10, target=24, floor=4)
    assert errors_of(weight) == {"floor": ["For mttr the floor lies above the target."]}


def test_an_invoice_in_another_currency_than_its_contract_is_refused():
    contract = ContractFactory(currency="GBP")
    invoice = Invoice(
        vendor=contract.vendor,
        contract=contract,
        period_start=dt.date(2026, 10, 1),
        period_end=dt.date(2026, 10, 31),
        amount=Decimal("1500.00"),
        currency="EUR",
    )
    assert errors_of(invoice) == {"currency": ["The contract is billed in GBP."]}


def test_role_groups_exist_after_migrate_and_are_safe_to_recreate():
    groups = ensure_role_groups()
    assert sorted(groups) == ["finance", "manager", "vendor"]
    assert groups["manager"].permissions.filter(codename="change_contract").exists()
    assert groups["finance"].permissions.filter(codename="add_invoice").exists()
    assert not groups["finance"].permissions.filter(codename="change_ticket").exists()
    assert not groups["vendor"].permissions.exists()
