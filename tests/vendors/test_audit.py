"""The audit trail: every change to contracts, policies, calendars, weights, tiers, dispute
decisions and period closes is recorded with who, when and the values before and after, from
the admin, from services and from scheduled tasks alike; managers read it on the audit page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from common.periods import Period, PeriodKind
from common.roles import ensure_role_groups
from scorecards.models import ClosedPeriod, Dispute
from scorecards.services import dispute_decide, dispute_raise, period_close, period_reopen
from tests.factories import ContractFactory, TicketFactory, VendorFactory
from vendors.audit import SYSTEM, Actor, acting_as
from vendors.models import AuditEntry, CreditTier, Holiday, ScoreWeight, VendorMembership
from vendors.services import audit_record_created

pytestmark = pytest.mark.django_db


def make_user(username: str, role: str, vendor=None, **extra):
    user = get_user_model().objects.create_user(username, password="pw-123456", **extra)
    user.groups.add(ensure_role_groups()[role])
    if vendor is not None:
        VendorMembership.objects.create(user=user, vendor=vendor)
    return user


@pytest.fixture
def manager():
    return make_user("manager", "manager", is_staff=True)


@pytest.fixture
def finance():
    return make_user("finance", "finance")


@pytest.fixture
def vendor_a():
    return VendorFactory(name="Acme IT", slug="acme-it")


@pytest.fixture
def vendor_a_user(vendor_a):
    return make_user("alice", "vendor", vendor_a)


@pytest.fixture
def vendor_b_user():
    return make_user("bob", "vendor", VendorFactory(name="Bravo Support", slug="bravo-support"))


@pytest.fixture
def contract(vendor_a):
    contract = ContractFactory(
        vendor=vendor_a, name="Service desk", monthly_fee=Decimal("10000.00")
    )
    # The set-up's own calendar, policy, targets and contract were recorded too; start clean.
    AuditEntry.objects.all().delete()
    return contract


def entries(object_type: str, **filters) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(object_type=object_type, **filters).order_by("id"))


def admin_form_data(response) -> dict:
    """The POST data of an admin change page as it stands: its form and inline formsets."""
    data = {}

    def add(form):
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            if value is True:
                value = "on"
            data[field.html_name] = [str(v) for v in value] if isinstance(value, list) else value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.forms:
            add(form)
    return data


def test_changing_a_contract_fee_in_the_admin_records_old_and_new_value_and_the_user(
    client, manager, contract
):
    client.force_login(manager)
    url = reverse("admin:vendors_contract_change", args=[contract.pk])
    data = admin_form_data(client.get(url))
    data["monthly_fee"] = "12500.00"
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    [entry] = entries("vendors.contract", action="update")
    assert entry.user == manager
    assert entry.actor == "manager"
    assert entry.object_id == str(contract.pk)
    assert entry.object_repr == "Acme IT / Service desk"
    assert entry.old_values == {"monthly_fee": "10000.00"}
    assert entry.new_values == {"monthly_fee": "12500.00"}
    assert timezone.now() - entry.at < dt.timedelta(minutes=1)


def test_saving_a_contract_unchanged_records_nothing(client, manager, contract):
    client.force_login(manager)
    url = reverse("admin:vendors_contract_change", args=[contract.pk])
    assert client.post(url, admin_form_data(client.get(url))).status_code == 302
    assert not entries("vendors.contract", action="update")


def test_weights_tiers_and_holidays_are_recorded_when_created_changed_and_deleted(contract):
    weight = ScoreWeight.objects.create(contract=contract, metric="csat_pct", weight=Decimal(20))
    weight.weight = Decimal("25.5")
    weight.save()
    tier = CreditTier.objects.create(
        contract=contract, metric="resolution_sla_pct", threshold=Decimal(90), credit_pct=5
    )
    tier.delete()
    holiday = Holiday.objects.create(
        calendar=contract.sla_policy.calendar, date=dt.date(2026, 12, 24), name="Christmas Eve"
    )

    created, changed = entries("vendors.scoreweight")
    assert created.action == "create"
    assert created.new_values["metric"] == "csat_pct"
    assert created.new_values["weight"] == "20.00"
    assert (changed.old_values, changed.new_values) == ({"weight": "20.00"}, {"weight": "25.50"})
    tier_created, tier_deleted = entries("vendors.credittier")
    assert tier_deleted.action == "delete"
    assert tier_deleted.old_values["credit_pct"] == "5.00"
    assert tier_deleted.new_values == {}
    [holiday_entry] = entries("vendors.holiday", object_id=str(holiday.pk))
    assert holiday_entry.new_values["date"] == "2026-12-24"


def test_deleting_a_contract_records_its_weights_going_too(contract):
    ScoreWeight.objects.create(contract=contract, metric="csat_pct", weight=Decimal(20))
    contract.delete()
    assert [e.action for e in entries("vendors.contract")] == ["delete"]
    assert [e.action for e in entries("vendors.scoreweight")] == ["create", "delete"]


def test_a_change_outside_any_request_has_no_user(contract):
    contract.monthly_fee = Decimal("9000")
    contract.save()
    [entry] = entries("vendors.contract")
    assert entry.user is None and entry.actor == ""


def test_a_dispute_decision_is_recorded_with_the_decider(manager, vendor_a_user, contract):
    ticket = TicketFactory(contract=contract, status="resolved", resolution_met=False)
    dispute = dispute_raise(
        ticket=ticket, target="resolution", reason="Customer was away", user=vendor_a_user
    )
    # Raising is not a decision: nothing recorded yet.
    assert not entries("scorecards.dispute")
    dispute_decide(dispute=dispute, accept=True, note="Confirmed by phone", user=manager)
    [entry] = entries("scorecards.dispute")
    assert entry.action == "update"
    assert entry.user == manager
    assert entry.object_id == str(dispute.pk)
    assert entry.old_values["status"] == Dispute.Status.OPEN
    assert entry.new_values["status"] == Dispute.Status.ACCEPTED
    assert entry.new_values["decision_note"] == "Confirmed by phone"
    assert entry.new_values["decided_by"] == manager.pk


def test_a_period_close_and_reopen_are_recorded(manager, vendor_a):
    october = Period.containing(PeriodKind.MONTH, dt.date(2026, 10, 1))
    closed = period_close(vendor=vendor_a, period=october, user=manager)
    period_reopen(vendor=vendor_a, period=october, user=manager)
    close_entry, reopen_entry = entries("scorecards.closedperiod")
    assert close_entry.action == "create"
    assert close_entry.object_id == str(closed.pk)
    assert close_entry.user == manager
    assert close_entry.new_values["period_start"] == "2026-10-01"
    assert close_entry.new_values["vendor"] == vendor_a.pk
    assert reopen_entry.action == "update"
    assert reopen_entry.old_values == {"reopened_at": None, "reopened_by": None}
    assert reopen_entry.new_values["reopened_by"] == manager.pk


def test_a_scheduled_task_acts_as_system(vendor_a):
    with acting_as(Actor(label=SYSTEM)):
        ClosedPeriod.objects.create(
            vendor=vendor_a, period_start=dt.date(2026, 9, 1), closed_at=timezone.now()
        )
    [entry] = entries("scorecards.closedperiod")
    assert entry.user is None and entry.actor == "system"


def test_rows_written_in_bulk_can_be_recorded_as_system(vendor_a):
    closing = [
        ClosedPeriod(vendor=vendor_a, period_start=dt.date(2026, 9, 1), closed_at=timezone.now())
    ]
    ClosedPeriod.objects.bulk_create(closing)
    audit_record_created(instances=closing)
    [entry] = entries("scorecards.closedperiod")
    assert (entry.action, entry.actor) == ("create", "system")


# The audit page


@pytest.fixture
def trail(manager, contract):
    with acting_as(Actor(label=SYSTEM)):
        ClosedPeriod.objects.create(
            vendor=contract.vendor, period_start=dt.date(2026, 9, 1), closed_at=timezone.now()
        )
    ScoreWeight.objects.create(contract=contract, metric="csat_pct", weight=Decimal(20))
    contract.monthly_fee = Decimal("12500.00")
    contract.save()
    AuditEntry.objects.filter(object_type="vendors.contract").update(user=manager, actor="manager")
    return contract


def test_the_audit_page_shows_each_change_with_its_values(client, manager, trail):
    client.force_login(manager)
    AuditEntry.objects.filter(action="login").delete()  # this test counts changes only
    response = client.get(reverse("audit"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "10000.00" in page and "12500.00" in page
    assert "Acme IT / Service desk" in page
    assert "system" in page
    assert response.context["page"].paginator.count == 3


def test_the_audit_page_labels_fields_and_names_related_objects(client, manager, trail):
    client.force_login(manager)
    response = client.get(reverse("audit"), {"type": "vendors.scoreweight"})
    [row] = response.context["rows"]
    changes = {c.field: c for c in row["changes"]}
    assert (changes["contract"].label, changes["contract"].old) == ("Contract", None)
    assert changes["contract"].new == f"Acme IT / Service desk (#{trail.pk})"
    assert (changes["weight"].label, changes["weight"].new) == ("Weight", "20.00")
    page = response.content.decode()
    assert f"Acme IT / Service desk (#{trail.pk})" in page
    assert '<td title="contract">Contract</td>' in page

    ScoreWeight.objects.all().delete()  # the weight goes, its contract stays
    deleted_contract = ContractFactory(vendor=trail.vendor, name="Old desk")
    ScoreWeight.objects.create(contract=deleted_contract, metric="csat_pct", weight=Decimal(5))
    gone = deleted_contract.pk
    deleted_contract.delete()  # its weights go with it; the trail keeps their ids
    response = client.get(reverse("audit"), {"type": "vendors.scoreweight"})
    values = [
        c.new for r in response.context["rows"] for c in r["changes"] if c.field == "contract"
    ]
    assert f"#{gone} (since deleted)" in values


def test_the_audit_page_filters_by_object_type_and_user(client, manager, trail):
    client.force_login(manager)
    AuditEntry.objects.filter(action="login").delete()  # this test counts changes only
    by_type = client.get(reverse("audit"), {"type": "vendors.scoreweight"})
    assert [r["entry"].object_type for r in by_type.context["rows"]] == ["vendors.scoreweight"]
    by_user = client.get(reverse("audit"), {"user": manager.pk})
    assert [r["entry"].object_type for r in by_user.context["rows"]] == ["vendors.contract"]
    one = client.get(reverse("audit"), {"type": "vendors.contract", "id": trail.pk})
    assert len(one.context["rows"]) == 1


def test_the_audit_page_is_paginated_and_costs_the_same_however_long_the_trail(
    client, manager, contract, django_assert_max_num_queries
):
    for fee in range(1, 121):
        contract.monthly_fee = Decimal(fee)
        contract.save()
    client.force_login(manager)
    # session, user, membership, groups (three reads by the role checks), nav vendors,
    # actors, count and page: eleven, however many entries there are.
    with django_assert_max_num_queries(11):
        response = client.get(reverse("audit"), {"page": "2"})
    assert response.status_code == 200
    assert response.context["page"].paginator.num_pages == 3
    assert len(response.context["rows"]) == 50


@pytest.mark.parametrize(
    ("who", "status"), [("finance", 403), ("vendor_a_user", 403), ("vendor_b_user", 403)]
)
def test_only_managers_may_read_the_audit_trail(client, request, who, status):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("audit")).status_code == status


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("audit"))
    assert response.status_code == 302


def test_the_admin_shows_the_trail_read_only_to_managers(client, manager, trail):
    client.force_login(manager)
    assert client.get(reverse("admin:vendors_auditentry_changelist")).status_code == 200
    entry = AuditEntry.objects.first()
    change = client.post(reverse("admin:vendors_auditentry_change", args=[entry.pk]), {})
    assert change.status_code == 403
    delete = client.post(reverse("admin:vendors_auditentry_delete", args=[entry.pk]), {})
    assert delete.status_code == 403


def test_finance_cannot_read_the_trail_in_the_admin(client, trail):
    finance = make_user("finance-staff", "finance", is_staff=True)
    client.force_login(finance)
    assert client.get(reverse("admin:vendors_auditentry_changelist")).status_code == 403
