"""Closing and reopening periods, what-if, disputes, alerts, the recompute command and tasks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command

from common.periods import Period
from common.roles import MANAGER, ensure_role_groups
from scorecards.alerts import alerts_check
from scorecards.compute.results import Overrides
from scorecards.models import Alert, DirtyPeriod, MetricValue, Restatement, Scorecard
from scorecards.services import (
    dispute_decide,
    dispute_raise,
    period_close,
    period_reopen,
    scorecards_recompute,
    scorecards_what_if,
    ticket_mark_dirty,
)
from scorecards.tasks import NIGHTLY_LOCK, nightly_recompute
from tickets.models import Ticket, TicketEvent
from tickets.services import ticket_refresh_facts
from vendors.metrics import SCORED
from vendors.models import ScoreWeight

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
NOVEMBER = Period.containing("month", dt.date(2026, 11, 1))
NOW = dt.datetime(2026, 12, 10, 9, tzinfo=LONDON)


def at(month, day, hour, minute=0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=LONDON)


def make_ticket(
    contract, n, *, created, reply=None, resolved=None, technician=None, now=NOW
) -> Ticket:
    ticket = Ticket(
        source="t",
        external_id=f"T{n}",
        vendor=contract.vendor,
        contract=contract,
        technician=technician,
        priority="P2",
        status="resolved" if resolved else "in_progress",
        created_at=created,
        resolved_at=resolved,
    )
    events = [TicketEvent(at=reply, kind="responded")] if reply else []
    ticket_refresh_facts(ticket=ticket, events=events, now=now)
    return ticket


def stored(contract, metric) -> Decimal | None:
    return MetricValue.objects.get(
        subject_kind="vendor",
        subject_id=contract.vendor_id,
        period_kind="month",
        period_start=NOVEMBER.start,
        metric=metric,
    ).value


def users():
    ensure_role_groups()
    User = get_user_model()
    manager = User.objects.create_user("boss", email="boss@example.com")
    manager.groups.add(*[g for g in ensure_role_groups().values() if g.name == MANAGER])
    return User.objects.create_user("vendor-user"), manager


def test_a_closed_month_is_frozen_and_a_reopened_one_records_restatements(contract):
    make_ticket(contract, 1, created=at(11, 2, 10), reply=at(11, 2, 10, 30), resolved=at(11, 2, 12))
    scorecards_recompute(vendor=contract.vendor, kind="month", periods=[NOVEMBER], now=NOW)
    _, manager = users()
    period_close(vendor=contract.vendor, period=NOVEMBER, user=manager)

    make_ticket(
        contract,
        2,
        created=at(11, 3, 10),
        reply=at(11, 3, 12),  # a late import
        resolved=at(11, 3, 12),
    )
    assert scorecards_recompute(vendor=contract.vendor, kind="month", periods=[NOVEMBER]) == 0
    assert stored(contract, "tickets_resolved") == 1

    period_reopen(vendor=contract.vendor, period=NOVEMBER, user=manager)
    scorecards_recompute(vendor=contract.vendor, kind="month", periods=[NOVEMBER], now=NOW)
    assert stored(contract, "tickets_resolved") == 2
    restated = Restatement.objects.get(subject_kind="vendor", metric="tickets_resolved")
    assert (restated.old_value, restated.new_value) == (1, 2)
    assert restated.restated_by == manager
    response = Restatement.objects.get(subject_kind="vendor", metric="response_sla_pct")
    assert (response.old_value, response.new_value) == (100, 50)


def test_only_a_closed_month_can_be_reopened(contract):
    _, manager = users()
    with pytest.raises(ValidationError) as err:
        period_reopen(vendor=contract.vendor, period=NOVEMBER, user=manager)
    assert "period_start" in err.value.message_dict


def test_what_if_returns_other_scores_without_saving_them(contract):
    for n in range(20):
        make_ticket(
            contract,
            n,
            created=at(11, 2, 10),
            reply=at(11, 2, 10, 30),
            resolved=at(11, 3, 12) if n % 2 else at(11, 2, 12),
        )
    scorecards_recompute(vendor=contract.vendor, kind="month", periods=[NOVEMBER], now=NOW)
    card = Scorecard.objects.get(subject_kind="vendor", period_start=NOVEMBER.start)

    what_if = scorecards_what_if(
        vendor=contract.vendor,
        kind="month",
        periods=[NOVEMBER],
        overrides=Overrides(weights={"sla_compliance_pct": 0}, targets={"mttr": 8}),
    )
    score = what_if.scores[(("vendor", contract.vendor_id), NOVEMBER.start)]
    assert "sla_compliance_pct" not in score.weights
    assert score.score != float(card.score)
    card.refresh_from_db()
    assert "sla_compliance_pct" in card.weights  # the stored score is untouched


def test_weights_that_add_up_to_nothing_are_refused_naming_the_field(contract):
    ScoreWeight.objects.create(contract=contract, metric="csat_pct", weight=0)
    with pytest.raises(ValidationError) as err:
        scorecards_recompute(vendor=contract.vendor, kind="month", periods=[NOVEMBER])
    assert "weights" in err.value.message_dict


def test_a_dispute_needs_a_breach_and_a_reason_and_counts_until_accepted(contract):
    vendor_user, manager = users()
    met = make_ticket(
        contract, 1, created=at(11, 2, 10), reply=at(11, 2, 10, 30), resolved=at(11, 2, 12)
    )
    late = make_ticket(
        contract, 2, created=at(11, 2, 10), reply=at(11, 2, 12), resolved=at(11, 2, 12)
    )
    with pytest.raises(ValidationError, match="was not breached"):
        dispute_raise(ticket=met, target="response", reason="x", user=vendor_user)
    with pytest.raises(ValidationError, match="Give the reason"):
        dispute_raise(ticket=late, target="response", reason=" ", user=vendor_user)
    dispute = dispute_raise(
        ticket=late, target="response", reason="Phone line down", user=vendor_user
    )
    with pytest.raises(ValidationError, match="already disputed"):
        dispute_raise(ticket=late, target="response", reason="again", user=vendor_user)

    scorecards_recompute(vendor=contract.vendor, kind="month", periods=[NOVEMBER], now=NOW)
    assert stored(contract, "response_sla_pct") == 50  # an open dispute still counts

    dispute_decide(dispute=dispute, accept=False, note="No evidence", user=manager)
    assert not Ticket.objects.get(pk=late.pk).response_excluded
    again = dispute_raise(
        ticket=late, target="response", reason="Here is the evidence", user=vendor_user
    )
    dispute_decide(dispute=again, accept=True, note="Accepted", user=manager)
    with pytest.raises(ValidationError, match="already accepted"):
        dispute_decide(dispute=again, accept=False, note="", user=manager)
    assert DirtyPeriod.objects.filter(vendor=contract.vendor, period_kind="month").exists()
    scorecards_recompute(vendor=contract.vendor, kind="month", periods=[NOVEMBER], now=NOW)
    assert stored(contract, "response_sla_pct") == 100
    figure = MetricValue.objects.get(subject_kind="vendor", metric="response_sla_pct")
    assert figure.excluded == 1


def test_alerts_warn_before_the_due_time_and_again_at_breach_once_each(contract, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    users()
    contract.vendor.contact_email = "desk@vendor.example"
    contract.vendor.save()
    created = at(11, 23, 10)  # response due 11:00, resolution due Tue 10:00
    ticket = make_ticket(contract, 1, created=created, now=created)

    assert alerts_check(now=at(11, 23, 10, 20)) == []
    warned = alerts_check(now=at(11, 23, 10, 35))
    assert [(a.target, a.threshold) for a in warned] == [("response", "warning")]
    assert alerts_check(now=at(11, 23, 10, 40)) == []  # once per threshold
    assert len(mail.outbox) == 1
    assert sorted(mail.outbox[0].to) == ["boss@example.com", "desk@vendor.example"]

    breached = alerts_check(now=at(11, 23, 11, 1))
    assert [(a.target, a.threshold) for a in breached] == [("response", "breach")]
    ticket.refresh_from_db()
    assert ticket.response_met is False  # the breach is stored while the ticket is open
    assert Alert.objects.filter(ticket=ticket).count() == 2


def test_the_nightly_run_skips_when_another_holds_the_lock(contract):
    from django.core.cache import cache

    cache.add(NIGHTLY_LOCK, "running", timeout=60)
    try:
        assert nightly_recompute.delay().get() == []
    finally:
        cache.delete(NIGHTLY_LOCK)
    assert nightly_recompute.delay().get() == [contract.vendor_id]
    assert cache.get(NIGHTLY_LOCK) is None  # released when the vendors' tasks are done


def test_the_recompute_command_computes_dirty_and_chosen_periods(contract):
    ticket = make_ticket(
        contract, 1, created=at(11, 2, 10), reply=at(11, 2, 10, 30), resolved=at(11, 2, 12)
    )
    ticket_mark_dirty(ticket)
    out = StringIO()
    call_command("recompute_scorecards", "--vendor", str(contract.vendor_id), stdout=out)
    assert "figures stored" in out.getvalue()
    assert stored(contract, "tickets_resolved") == 1
    assert not DirtyPeriod.objects.exists()

    call_command("recompute_scorecards", "--all", stdout=StringIO())
    kinds = set(MetricValue.objects.values_list("period_kind", flat=True))
    assert kinds == {"week", "month", "quarter"}


def test_the_recompute_command_names_an_unknown_vendor():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No vendor with id 999"):
        call_command("recompute_scorecards", "--vendor", "999")


def test_backlog_is_carried_across_periods_that_are_not_recomputed(contract):
    # Opened in October, resolved in December: open at the end of October and November.
    make_ticket(contract, 1, created=at(10, 5, 10), reply=at(10, 5, 10, 30), resolved=at(12, 2, 12))
    make_ticket(contract, 2, created=at(11, 5, 10), reply=at(11, 5, 10, 30), resolved=at(11, 5, 12))
    october = Period.containing("month", dt.date(2026, 10, 1))
    december = Period.containing("month", dt.date(2026, 12, 1))
    scorecards_recompute(vendor=contract.vendor, kind="month", periods=[october, december], now=NOW)
    backlog = dict(
        MetricValue.objects.filter(subject_kind="vendor", metric="backlog").values_list(
            "period_start", "value"
        )
    )
    assert backlog == {october.start: 1, december.start: 0}


def test_cost_per_ticket_follows_worked_example_6(contract):
    from vendors.models import Invoice

    Invoice.objects.create(
        vendor=contract.vendor,
        contract=contract,
        period_start=dt.date(2026, 11, 1),
        period_end=dt.date(2026, 11, 30),
        amount=Decimal("1500.00"),
        currency="GBP",
    )
    for n in range(100):
        day = 2 + n % 20
        make_ticket(
            contract,
            n,
            created=at(11, day, 10),
            reply=at(11, day, 10, 30),
            resolved=at(11, day, 12),
        )
    scorecards_recompute(vendor=contract.vendor, kind="month", periods=[NOVEMBER], now=NOW)
    cost = MetricValue.objects.get(subject_kind="vendor", metric="cost_per_ticket")
    assert cost.value == Decimal("15.0000")
    assert (cost.numerator, cost.denominator) == (Decimal("1500"), Decimal("100"))
    assert cost.detail == {"currency": "GBP"}


def test_a_figure_stored_under_another_vendor_is_taken_over_not_refused(contract):
    # A technician who moved vendors: their old figures hold keys the new vendor's first
    # (cold) recompute writes, so the straight copy gives way to an upsert.
    from tests.factories import TechnicianFactory, VendorFactory

    technician = TechnicianFactory(vendor=contract.vendor)
    ticket = make_ticket(
        contract, 1, created=at(11, 2, 10), reply=at(11, 2, 10, 30), resolved=at(11, 2, 12)
    )
    Ticket.objects.filter(pk=ticket.pk).update(technician=technician)
    MetricValue.objects.create(
        vendor=VendorFactory(),
        subject_kind="technician",
        subject_id=technician.pk,
        period_kind="month",
        period_start=NOVEMBER.start,
        metric="tickets_resolved",
        value=99,
        computed_at=NOW,
    )
    scorecards_recompute(vendor=contract.vendor, kind="month", periods=[NOVEMBER], now=NOW)
    taken = MetricValue.objects.get(
        subject_kind="technician", subject_id=technician.pk, metric="tickets_resolved"
    )
    assert (taken.vendor_id, taken.value) == (contract.vendor_id, 1)
    assert stored(contract, "tickets_resolved") == 1


def test_weights_or_credit_tiers_on_unknown_metrics_are_refused_naming_the_field(contract):
    from vendors.models import CreditTier

    # Rows that skipped the models' validation (written straight to the database).
    ScoreWeight.objects.bulk_create([ScoreWeight(contract=contract, metric="speed", weight=5)])
    with pytest.raises(ValidationError) as err:
        scorecards_recompute(vendor=contract.vendor, kind="month", periods=[NOVEMBER])
    assert "weights" in err.value.message_dict
    assert "speed" in err.value.message_dict["weights"][0]

    ScoreWeight.objects.all().delete()
    CreditTier.objects.bulk_create(
        [CreditTier(contract=contract, metric="bogus_pct", threshold=90, credit_pct=5)]
    )
    with pytest.raises(ValidationError) as err:
        scorecards_recompute(vendor=contract.vendor, kind="month", periods=[NOVEMBER])
    assert "credit_tiers" in err.value.message_dict
    assert not MetricValue.objects.exists()


def test_a_what_if_with_weights_adding_up_to_nothing_is_refused(contract):
    zero = Overrides(weights=dict.fromkeys(SCORED, 0))
    with pytest.raises(ValidationError) as err:
        scorecards_what_if(vendor=contract.vendor, kind="month", periods=[NOVEMBER], overrides=zero)
    assert "weights" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        scorecards_what_if(
            vendor=contract.vendor,
            kind="month",
            periods=[NOVEMBER],
            overrides=Overrides(targets={"speed": 1}),
        )
    assert "targets" in err.value.message_dict
