"""`manage.py seed_demo`: the demo world, its profiles, its facts and its safety catches."""

from __future__ import annotations

import datetime as dt
import hashlib
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Avg, Count, F, Max, Q
from django.db.models.functions import TruncMonth
from django.test import override_settings

from assurance.models import Deliverable, Finding, FindingFix, SecurityAudit
from scorecards.models import ReferenceBand, ReviewRating
from tickets.demo.logins import DEMO_PASSWORD
from tickets.demo.profiles import DEMO_VENDOR_SLUGS
from tickets.demo.world import demo_flush
from tickets.models import SurveyResponse, Ticket, TicketEvent
from tickets.services import FACT_COLUMNS, ClockBook, ticket_apply_facts
from vendors.models import Contract, Invoice, SlaPolicy, Technician, Vendor

ARGS = ["--tickets", "1500", "--months", "4", "--until", "2026-10-31"]
UNTIL = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)  # the end of --until: the facts' "now"
MONTHS = [dt.date(2026, m, 1) for m in (7, 8, 9, 10)]
FAST_HASHING = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


def seed(*args: str) -> str:
    out = StringIO()
    with FAST_HASHING:
        call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def digest() -> str:
    """Everything a run writes about tickets, ids left out (a flush does not reset them)."""
    h = hashlib.sha256()
    tickets = Ticket.objects.order_by("external_id").values_list(
        "external_id",
        "vendor__name",
        "technician__name",
        "priority",
        "category",
        "requester",
        "channel",
        "status",
        "created_at",
        "resolved_at",
        "closed_at",
        *FACT_COLUMNS,
    )
    events = TicketEvent.objects.order_by("ticket__external_id", "seq").values_list(
        "ticket__external_id", "at", "seq", "kind", "old_value", "new_value", "actor", "by_vendor"
    )
    surveys = SurveyResponse.objects.order_by("ticket__external_id").values_list(
        "ticket__external_id", "score", "comment", "answered_at"
    )
    for rows in (tickets, events, surveys):
        for row in rows:
            h.update(repr(row).encode())
    return h.hexdigest()


def resolution_sla(tickets) -> float:
    counts = tickets.aggregate(
        met=Count("pk", filter=Q(resolution_met=True)),
        final=Count("pk", filter=Q(resolution_met__isnull=False)),
    )
    return counts["met"] / counts["final"]


@pytest.fixture(scope="class")
def world(django_db_setup, django_db_blocker):
    """One seeded world shared by the read-only tests of a class; removed afterwards."""
    with django_db_blocker.unblock():
        seed(*ARGS)
        yield
        demo_flush()


@pytest.mark.django_db
@pytest.mark.usefixtures("world")
class TestTheSeededWorld:
    def test_it_holds_exactly_the_tickets_asked_for(self):
        assert Ticket.objects.count() == 1500
        assert Ticket.objects.filter(source="demo", external_id__startswith="DEMO-").count() == 1500

    def test_it_has_five_vendors_with_a_contract_weights_and_credit_tiers_each(self):
        assert Vendor.objects.count() >= 5
        for vendor in Vendor.objects.all():
            contract = Contract.objects.get(vendor=vendor)
            assert contract.start_date < MONTHS[0]
            assert contract.monthly_fee > 0 and contract.target_cost_per_ticket > 0
            assert contract.inhouse_monthly_cost > 0
            # The seven ticket figures, and the four beyond tickets shown but not scored.
            assert contract.weights.count() == 11
            assert contract.weights.filter(weight=0).count() == 4
            assert sum(w.weight for w in contract.weights.all()) == 100
            tiers = {(t.metric, str(t.threshold)) for t in contract.credit_tiers.all()}
            assert ("resolution_sla_pct", "90.000") in tiers
            assert ("uptime_pct", "99.900") in tiers

    def test_the_cheap_vendor_is_cheaper_than_the_premium_one(self):
        budget = Contract.objects.get(vendor__name="Budget Desk Ltd")
        premier = Contract.objects.get(vendor__name="Premier Care Partners")
        assert budget.monthly_fee < premier.monthly_fee

    def test_it_has_at_least_sixty_technicians_and_each_resolves_tickets(self):
        assert Technician.objects.count() >= 60
        idle = Technician.objects.annotate(n=Count("tickets")).filter(n=0)
        assert not idle.exists()

    def test_each_vendor_is_invoiced_once_a_month_in_its_contract_currency(self):
        for vendor in Vendor.objects.all():
            invoices = Invoice.objects.filter(vendor=vendor).order_by("period_start")
            assert [i.period_start for i in invoices] == MONTHS
            contract = Contract.objects.get(vendor=vendor)
            assert {i.currency for i in invoices} == {contract.currency}
            assert all(i.amount >= contract.monthly_fee for i in invoices)
        assert Invoice.objects.values("currency").distinct().count() == 3

    def test_every_policy_has_four_targets_and_p1_runs_around_the_clock(self):
        for policy in SlaPolicy.objects.all():
            targets = {t.priority: t for t in policy.targets.all()}
            assert sorted(targets) == ["P1", "P2", "P3", "P4"]
            assert targets["P1"].always_open
            assert not any(targets[p].always_open for p in ("P2", "P3", "P4"))
        standard = SlaPolicy.objects.get(name="Standard - London hours").targets.get(priority="P3")
        assert (standard.response_minutes, standard.resolution_minutes) == (240, 1440)
        premier = SlaPolicy.objects.get(name="Premier 24x7").targets.get(priority="P3")
        assert premier.resolution_minutes < standard.resolution_minutes

    def test_each_role_has_a_demo_login(self):
        users = {u.username: u for u in get_user_model().objects.all()}
        manager, finance, vendor = users["manager"], users["finance"], users["vendor"]
        assert [g.name for g in manager.groups.all()] == ["manager"] and manager.is_staff
        assert [g.name for g in finance.groups.all()] == ["finance"] and finance.is_staff
        assert [g.name for g in vendor.groups.all()] == ["vendor"] and not vendor.is_staff
        assert vendor.vendor_membership.vendor.name == "Budget Desk Ltd"
        with FAST_HASHING:  # the world was seeded with it
            assert all(u.check_password(DEMO_PASSWORD) for u in (manager, finance, vendor))

    def test_the_premium_vendor_meets_more_resolution_targets_than_the_budget_one(self):
        premier = resolution_sla(Ticket.objects.filter(vendor__name="Premier Care Partners"))
        budget = resolution_sla(Ticket.objects.filter(vendor__name="Budget Desk Ltd"))
        assert premier > 0.93
        assert budget < 0.80
        assert premier > budget + 0.15

    def test_the_improving_vendor_ends_better_than_it_began_and_the_slipping_one_worse(self):
        def first_and_last_month(name: str) -> tuple[float, float]:
            months = (
                Ticket.objects.filter(vendor__name=name, resolution_met__isnull=False)
                .annotate(month=TruncMonth("resolution_outcome_at"))
                .values("month")
                .annotate(met=Count("pk", filter=Q(resolution_met=True)), final=Count("pk"))
                .order_by("month")
            )
            rates = [m["met"] / m["final"] for m in months]
            return rates[0], rates[-1]

        first, last = first_and_last_month("Northwind Managed IT")
        assert last > first + 0.1
        first, last = first_and_last_month("Contoso Support Services")
        assert last < first - 0.1

    def test_the_budget_vendor_reopens_escalates_and_pleases_less_than_the_premium_one(self):
        def rates(name: str) -> dict[str, float]:
            resolved = Ticket.objects.filter(vendor__name=name, resolved_at__isnull=False)
            n = resolved.count()
            surveys = SurveyResponse.objects.filter(ticket__vendor__name=name)
            return {
                "reopen": resolved.filter(reopen_count__gt=0).count() / n,
                "escalated": resolved.filter(escalated=True).count() / n,
                "fcr": resolved.filter(first_contact_resolution=True).count() / n,
                "csat": surveys.filter(score__gte=4).count() / surveys.count(),
            }

        budget, premier = rates("Budget Desk Ltd"), rates("Premier Care Partners")
        assert budget["reopen"] > premier["reopen"]
        assert budget["escalated"] > premier["escalated"]
        assert budget["fcr"] < premier["fcr"]
        assert budget["csat"] < premier["csat"] - 0.2

    def test_technicians_of_one_vendor_perform_differently(self):
        per_tech = [
            resolution_sla(Ticket.objects.filter(technician=t))
            for t in Technician.objects.filter(vendor__name="Budget Desk Ltd")
        ]
        assert max(per_tech) - min(per_tech) > 0.2

    def test_every_resolved_ticket_has_its_resolution_facts(self):
        resolved = Ticket.objects.filter(resolved_at__isnull=False)
        assert resolved.count() > 1400
        assert not resolved.filter(resolution_met__isnull=True).exists()
        assert not resolved.filter(resolution_seconds__isnull=True).exists()
        assert not resolved.filter(first_contact_resolution__isnull=True).exists()
        assert not Ticket.objects.filter(facts_computed_at__isnull=True).exists()

    def test_some_open_tickets_are_already_breached(self):
        open_tickets = Ticket.objects.filter(resolved_at__isnull=True)
        assert open_tickets.filter(resolution_met=False, resolution_due_at__lt=UNTIL).exists()
        assert open_tickets.filter(resolution_met__isnull=True).exists()  # not yet due
        recent = open_tickets.filter(created_at__gte=UNTIL - dt.timedelta(days=14))
        assert recent.count() > 0.7 * open_tickets.count()  # a backlog, not a graveyard

    def test_pauses_reopens_escalations_reassignments_and_repeats_all_occur(self):
        tickets = Ticket.objects.all()
        assert 0.06 < tickets.filter(paused_seconds__gt=0).count() / 1500 < 0.2
        assert tickets.filter(reopen_count__gt=0).count() > 20
        assert tickets.filter(escalated=True).count() > 50
        assert tickets.filter(reassignment_count__gt=0).count() > 50
        repeats = tickets.filter(repeat=True)
        assert repeats.filter(reopen_count=0).exists()  # a repeat by a follow-up ticket
        assert 0.03 < repeats.count() / 1500 < 0.25

    def test_no_ticket_is_answered_resolved_or_closed_before_it_was_created(self):
        created = F("created_at")
        assert not Ticket.objects.filter(resolved_at__lt=created).exists()
        assert not Ticket.objects.filter(first_response_at__lt=created).exists()
        assert not Ticket.objects.filter(closed_at__lt=F("resolved_at")).exists()
        assert not Ticket.objects.filter(resolved_at__gte=UNTIL).exists()

    def test_events_tell_the_same_story_as_the_ticket_times(self):
        for ticket in Ticket.objects.prefetch_related("events").order_by("pk")[::7]:
            events = list(ticket.events.all())
            assert [e.seq for e in events] == list(range(len(events)))
            assert events[0].kind == "created" and events[0].at == ticket.created_at
            assert all(a.at <= b.at for a, b in zip(events, events[1:], strict=False))
            assert events[-1].at < UNTIL
            resolutions = [e.at for e in events if e.kind == "resolved"]
            if ticket.resolved_at:
                assert resolutions[-1] == ticket.resolved_at
                assert ticket.status in ("resolved", "closed")
            else:
                assert ticket.status not in ("resolved", "closed")
            closes = [e.at for e in events if e.kind == "closed"]
            assert closes == ([ticket.closed_at] if ticket.closed_at else [])
            responses = [e.at for e in events if e.kind == "responded"]
            assert ticket.first_response_at == (responses[0] if responses else None)

    def test_the_stored_facts_are_what_the_services_derive_from_the_stored_events(self):
        book = ClockBook()
        for stored in Ticket.objects.select_related("contract").order_by("pk")[::25]:
            fresh = Ticket.objects.select_related("contract").get(pk=stored.pk)
            ticket_apply_facts(fresh, stored.events.all(), book=book, now=UNTIL)
            for column in FACT_COLUMNS:
                if column != "repeat":
                    assert getattr(fresh, column) == getattr(stored, column), column

    def test_a_quarter_to_a_third_of_resolved_tickets_have_a_survey_answer(self):
        resolved = Ticket.objects.filter(resolved_at__isnull=False).count()
        assert 0.22 < SurveyResponse.objects.count() / resolved < 0.38
        assert not SurveyResponse.objects.filter(answered_at__lt=F("ticket__resolved_at")).exists()
        assert set(SurveyResponse.objects.values_list("scale", flat=True)) == {5}

    def test_arrivals_peak_in_office_hours_on_weekdays(self):
        london = Ticket.objects.filter(vendor__name="Steady IT Services")
        hours = [t.hour for t in london.values_list("created_at", flat=True)]
        office = sum(8 <= h < 17 for h in hours)  # UTC; London is UTC+0/+1
        assert office / len(hours) > 0.7
        weekend = london.filter(created_at__week_day__in=[1, 7]).count()
        assert 0.01 < weekend / len(hours) < 0.1

    def test_if_empty_leaves_the_existing_world_untouched(self):
        before = (Ticket.objects.count(), Ticket.objects.aggregate(m=Max("pk"))["m"], digest())
        out = seed("--if-empty", "--seed", "7", *ARGS)
        assert "already holds 5 vendor(s)" in out
        assert (Ticket.objects.count(), Ticket.objects.aggregate(m=Max("pk"))["m"], digest()) == (
            before
        )

    def test_without_flags_a_populated_database_is_refused_naming_flush(self):
        with pytest.raises(CommandError, match="--flush"):
            seed(*ARGS)
        assert Ticket.objects.count() == 1500


SMALL = ["--tickets", "600", "--months", "3", "--until", "2026-10-31"]


@pytest.mark.django_db
def test_the_same_arguments_give_identical_data_and_another_seed_does_not():
    seed(*SMALL)
    first = digest()
    seed("--flush", *SMALL)
    assert digest() == first
    seed("--flush", "--seed", "43", *SMALL)
    assert digest() != first


@pytest.mark.django_db
def test_flush_replaces_the_demo_world_and_keeps_other_vendors():
    other = Vendor.objects.create(name="Acme Real Vendor", slug="acme")
    with pytest.raises(CommandError):
        seed(*SMALL)
    out = seed("--flush", *SMALL)
    assert Vendor.objects.filter(pk=other.pk).exists()
    assert Ticket.objects.count() == 600
    seed("--flush", "--tickets", "100", "--months", "2", "--until", "2026-10-31")
    assert Ticket.objects.count() == 100
    assert Vendor.objects.count() == 6
    assert get_user_model().objects.filter(username="vendor").count() == 1
    assert "login manager" in out and DEMO_PASSWORD in out


@pytest.mark.django_db
def test_if_empty_on_an_empty_database_seeds_and_reports_what_it_made():
    out = seed("--if-empty", *SMALL)
    assert "5 vendors, 68 technicians, 600 tickets" in out
    assert Invoice.objects.count() == 15


@pytest.mark.django_db
def test_a_bad_until_date_is_refused():
    with pytest.raises(CommandError, match="until"):
        seed("--until", "31/10/2026")


@pytest.mark.django_db
def test_a_leftover_demo_login_is_reset_rather_than_duplicated():
    get_user_model().objects.create_user("manager", password="something-else", is_superuser=True)
    seed(*SMALL)
    manager = get_user_model().objects.get(username="manager")
    assert not manager.is_superuser and manager.is_staff
    assert [g.name for g in manager.groups.all()] == ["manager"]
    with FAST_HASHING:
        assert manager.check_password(DEMO_PASSWORD)


# --- beyond tickets: audits, findings, deliverables, review ratings, reference bands ------------

LAST_DAY = dt.date(2026, 10, 31)  # --until


@pytest.mark.django_db
@pytest.mark.usefixtures("world")
class TestTheSeededWorldBeyondTickets:
    def test_each_vendor_has_audits_findings_deliverables_and_a_review_each_month(self):
        for vendor in Vendor.objects.filter(slug__in=DEMO_VENDOR_SLUGS):
            assert SecurityAudit.objects.filter(vendor=vendor).count() >= 1, vendor
            assert Finding.objects.filter(vendor=vendor).count() >= 1, vendor
            assert Deliverable.objects.filter(vendor=vendor).count() >= 4, vendor
            # July, August and September were reviewed by 31 October; October's review is
            # in November: 3 months of the four qualities.
            ratings = ReviewRating.objects.filter(vendor=vendor)
            assert ratings.count() == 12, vendor
            assert set(ratings.values_list("month", flat=True)) == set(MONTHS[:3])
            assert not ratings.filter(evidence="").exists()
        assert Contract.objects.filter(audit_cadence_months=3).count() == 5

    def test_the_reference_bands_of_metrics_md_are_there_with_a_source_each(self):
        bands = {b.metric: b for b in ReferenceBand.objects.all()}
        assert set(bands) == {"csat_pct", "fcr_pct", "nps", "sla_compliance_pct", "cost_per_ticket"}
        assert (bands["fcr_pct"].low, bands["fcr_pct"].high) == (70, 80)
        assert (bands["cost_per_ticket"].low, bands["cost_per_ticket"].high) == (None, 15)
        assert all(b.source for b in bands.values())

    def test_the_records_fit_the_profiles(self):
        def mean_rating(slug):
            return ReviewRating.objects.filter(vendor__slug=slug).aggregate(m=Avg("rating"))["m"]

        assert mean_rating("premier-care-partners") > mean_rating("budget-desk-ltd") + 1
        # The poor vendor leaves a finding past its due date, not reported fixed in time.
        overdue = Finding.objects.filter(
            vendor__slug="budget-desk-ltd", due_on__lt=LAST_DAY, verified_on__isnull=True
        ).filter(Q(reported_fixed_on__isnull=True) | Q(reported_fixed_on__gt=F("due_on")))
        assert overdue.exists()
        # ... and an old deliverable never delivered.
        assert Deliverable.objects.filter(
            vendor__slug="budget-desk-ltd", delivered_on__isnull=True, planned_on__lt=LAST_DAY
        ).exists()
        # Across the world: findings fixed on time and verified, deliverables late and early.
        assert Finding.objects.filter(status="verified", reported_fixed_on__lte=F("due_on"))
        assert Deliverable.objects.filter(delivered_on__gt=F("planned_on")).exists()
        assert Deliverable.objects.filter(delivered_on__lte=F("planned_on")).exists()
        assert Deliverable.objects.filter(replanned_on__isnull=False).exists()
        # Every reported fix has the vendor's report; every verified one the manager's check.
        assert FindingFix.objects.count() == Finding.objects.exclude(status="open").count()
        assert not FindingFix.objects.filter(decision="verified", decided_by__isnull=True)

    def test_nothing_beyond_tickets_is_dated_after_the_last_day(self):
        end = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
        days = [
            SecurityAudit.objects.aggregate(m=Max("held_on"))["m"],
            *Finding.objects.aggregate(
                a=Max("raised_on"), b=Max("reported_fixed_on"), c=Max("verified_on")
            ).values(),
            *Deliverable.objects.aggregate(a=Max("planned_on"), b=Max("delivered_on")).values(),
            ReviewRating.objects.aggregate(m=Max("month"))["m"],
        ]
        assert max(d for d in days if d) <= LAST_DAY
        moments = [
            *FindingFix.objects.aggregate(a=Max("reported_at"), b=Max("decided_at")).values(),
            Deliverable.objects.aggregate(m=Max("replanned_at"))["m"],
            ReviewRating.objects.aggregate(m=Max("rated_at"))["m"],
        ]
        assert max(m for m in moments if m) < end


def beyond_digest() -> str:
    h = hashlib.sha256()
    for rows in (
        SecurityAudit.objects.order_by("reference").values_list(
            "vendor__slug", "held_on", "kind", "reference"
        ),
        Finding.objects.order_by("reference").values_list(
            "reference", "severity", "raised_on", "due_on", "status", "reported_fixed_on"
        ),
        Deliverable.objects.order_by("vendor__slug", "reference").values_list(
            "reference", "planned_on", "replanned_on", "delivered_on"
        ),
        ReviewRating.objects.order_by("vendor__slug", "month", "quality").values_list(
            "vendor__slug", "month", "quality", "rating", "evidence"
        ),
    ):
        for row in rows:
            h.update(repr(row).encode())
    return h.hexdigest()


@pytest.mark.django_db
def test_the_same_arguments_give_the_same_audits_deliverables_and_ratings():
    seed(*SMALL)
    first = beyond_digest()
    seed("--flush", *SMALL)
    assert beyond_digest() == first
    assert ReferenceBand.objects.count() == 5  # kept across the flush, not doubled


@pytest.mark.django_db
def test_a_demo_seeded_today_holds_no_audit_fix_delivery_or_rating_from_later():
    seed("--tickets", "300", "--months", "4")
    finished = dt.datetime.now(dt.UTC)
    today = finished.date()

    assert SecurityAudit.objects.exists() and ReviewRating.objects.exists()
    assert not SecurityAudit.objects.filter(held_on__gt=today).exists()
    assert not Finding.objects.filter(
        Q(raised_on__gt=today) | Q(reported_fixed_on__gt=today) | Q(verified_on__gt=today)
    ).exists()
    assert not Deliverable.objects.filter(
        Q(planned_on__gt=today) | Q(delivered_on__gt=today) | Q(replanned_at__gt=finished)
    ).exists()
    assert not FindingFix.objects.filter(
        Q(reported_at__gt=finished) | Q(decided_at__gt=finished)
    ).exists()
    assert not ReviewRating.objects.filter(rated_at__gt=finished).exists()
