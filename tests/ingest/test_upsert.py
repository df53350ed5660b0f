"""The shared upsert: tickets created, updated or left alone by (source, external id), facts
derived, bad rows refused with their reason, unmapped values counted, scorecards marked."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from scorecards.models import DirtyPeriod
from tests.factories import ContractFactory, TechnicianFactory
from tickets.ingest.one_row import one_row_ticket
from tickets.ingest.records import EventRecord, RowError, SurveyRecord, TicketRecord
from tickets.ingest.services import attribution_rule_set
from tickets.ingest.upsert import AttributedRecord, ItemResult, ingest_records
from tickets.models import AttributionRule, ImportRun, SurveyResponse, Ticket, TicketEvent
from vendors.models import SlaTarget, Technician

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")
UTC = dt.UTC
NOW = dt.datetime(2026, 12, 1, tzinfo=UTC)
SOURCE = "acme-jira"


def at(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=LONDON)


@pytest.fixture
def contract():
    contract = ContractFactory()
    AttributionRule.objects.create(
        source=SOURCE, value="Acme Support", vendor=contract.vendor, contract=contract
    )
    return contract


@pytest.fixture
def events_refuse_boom():
    """A real rule in the database, not a stand-in: it refuses any event whose actor is "boom"
    (a CHECK constraint on PostgreSQL, a trigger on SQLite, which cannot add constraints)."""
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(
                "ALTER TABLE tickets_ticketevent "
                "ADD CONSTRAINT event_refused CHECK (actor <> 'boom') NOT VALID"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER event_refused BEFORE INSERT ON tickets_ticketevent "
                "WHEN NEW.actor = 'boom' BEGIN SELECT RAISE(ABORT, 'event_refused'); END"
            )
    yield
    if connection.in_atomic_block:
        return  # the test's transaction takes it back
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute(
                "ALTER TABLE tickets_ticketevent DROP CONSTRAINT IF EXISTS event_refused"
            )
        else:
            cursor.execute("DROP TRIGGER IF EXISTS event_refused")


def record(external_id: str = "HD-1", *, row: int = 2, **changes) -> TicketRecord:
    """METRICS.md worked example 1: created Fri 16:30, first response Mon 09:45, resolved
    Mon 11:00 (London office hours, P2: response 1 h, resolution 8 h)."""
    values = {
        "row": row,
        "external_id": external_id,
        "attribution": "Acme Support",
        "priority": "P2",
        "status": "resolved",
        "created_at": at(2026, 11, 20, 16, 30),
        "updated_at": at(2026, 11, 23, 11),
        "resolved_at": at(2026, 11, 23, 11),
        "first_response_at": at(2026, 11, 23, 9, 45),
        "technician": "Alice Tech",
        "category": "Printer",
        "requester": "bob@customer.example",
        "title": "Printer jams",
        "survey": SurveyRecord(score=4, answered_at=at(2026, 11, 23, 12)),
    }
    values.update(changes)
    return one_row_ticket(**values)


def run_import(records, **kwargs) -> ImportRun:
    run = ImportRun.objects.create(source=SOURCE, format="mapped")
    return ingest_records(records, source=SOURCE, run=run, now=NOW, **kwargs)


def counts(run: ImportRun) -> dict[str, int]:
    return {
        "created": run.tickets_created,
        "updated": run.tickets_updated,
        "unchanged": run.tickets_unchanged,
        "rejected": run.tickets_rejected,
        "unmapped": run.tickets_unmapped,
    }


def test_a_new_ticket_is_created_with_its_facts_events_and_survey(contract):
    run = run_import([record()])

    assert counts(run) == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0, "unmapped": 0}
    assert (run.status, run.rows_read, run.progress) == ("done", 1, 1)
    ticket = Ticket.objects.get(source=SOURCE, external_id="HD-1")
    assert (ticket.vendor, ticket.contract) == (contract.vendor, contract)
    # Worked example 1: 75 business minutes to respond against 60, due Mon 09:30.
    assert ticket.response_seconds == 75 * 60
    assert ticket.response_due_at == at(2026, 11, 23, 9, 30)
    assert ticket.response_met is False
    # 30 min on Friday + 2 h on Monday = 2.5 business hours of 8: met.
    assert ticket.resolution_seconds == 150 * 60
    assert ticket.resolution_met is True
    assert (ticket.response_target_minutes, ticket.resolution_target_minutes) == (60, 480)
    assert ticket.first_contact_resolution is True
    assert ticket.facts_computed_at == NOW
    assert ticket.source_version == "2026-11-23T11:00:00+00:00"
    assert [e.kind for e in ticket.events.all()] == ["created", "assigned", "responded", "resolved"]
    assert [(s.score, s.scale) for s in ticket.surveys.all()] == [(4, 5)]


def test_the_technician_is_created_once_by_the_sources_name_within_the_vendor(contract):
    run_import([record("HD-1"), record("HD-2", row=3)])

    tech = Technician.objects.get(vendor=contract.vendor)
    assert (tech.name, tech.external_ref) == ("Alice Tech", "Alice Tech")
    assert set(Ticket.objects.values_list("technician", flat=True)) == {tech.pk}


def test_a_technician_already_known_by_its_external_ref_is_reused(contract):
    known = TechnicianFactory(vendor=contract.vendor, name="Alice Smith", external_ref="Alice Tech")
    run_import([record()])
    assert Ticket.objects.get().technician == known
    assert Technician.objects.count() == 1


def test_importing_the_same_tickets_twice_writes_nothing_the_second_time(contract):
    records = [record("HD-1"), record("HD-2", row=3)]
    run_import(records)
    events_before = list(TicketEvent.objects.order_by("pk").values_list("pk", flat=True))
    surveys_before = list(SurveyResponse.objects.values_list("pk", flat=True))

    second = run_import(records)

    assert counts(second) == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "rejected": 0,
        "unmapped": 0,
    }
    assert list(TicketEvent.objects.order_by("pk").values_list("pk", flat=True)) == events_before
    assert list(SurveyResponse.objects.values_list("pk", flat=True)) == surveys_before


def test_a_ticket_without_a_version_stamp_is_still_recognised_as_unchanged(contract):
    stampless = dataclasses.replace(record(), version="")
    run_import([stampless])
    assert Ticket.objects.get().source_version.startswith("sha1:")

    again = run_import([dataclasses.replace(stampless, row=7)])  # moved in the file: same ticket
    assert (again.tickets_unchanged, again.tickets_updated) == (1, 0)

    edited = run_import([dataclasses.replace(stampless, title="Printer jams again")])
    assert edited.tickets_updated == 1


def test_a_new_version_replaces_the_events_and_survey_and_keeps_the_stored_targets(contract):
    run_import([record()])
    original = Ticket.objects.get()
    # The policy changes after the ticket was created: its stored targets stay.
    SlaTarget.objects.filter(policy=contract.sla_policy, priority="P2").update(
        response_minutes=5, resolution_minutes=30
    )
    reopened = record(
        status="in_progress",
        updated_at=at(2026, 11, 24, 9),
        resolved_at=at(2026, 11, 23, 11),  # resolved once, reopened at the last update
        survey=None,
    )

    run = run_import([reopened])

    assert counts(run)["updated"] == 1
    ticket = Ticket.objects.get()
    assert ticket.pk == original.pk
    assert ticket.source_version == "2026-11-24T09:00:00+00:00"
    assert (ticket.status, ticket.resolved_at, ticket.reopen_count) == ("in_progress", None, 1)
    assert ticket.repeat is True  # a reopen makes a repeat
    assert [e.kind for e in ticket.events.all()] == [
        "created",
        "assigned",
        "responded",
        "resolved",
        "reopened",
    ]
    assert TicketEvent.objects.count() == 5  # replaced, not added
    assert SurveyResponse.objects.count() == 0
    assert (ticket.response_target_minutes, ticket.resolution_target_minutes) == (60, 480)


def test_a_ticket_moved_to_another_priority_takes_that_prioritys_targets(contract):
    run_import([record()])
    run_import([record(priority="P3", updated_at=at(2026, 11, 23, 12))])
    ticket = Ticket.objects.get()
    assert (ticket.response_target_minutes, ticket.resolution_target_minutes) == (240, 1440)


def test_an_accepted_dispute_survives_an_update_from_the_source(contract):
    run_import([record()])
    Ticket.objects.update(response_excluded=True)
    run_import([record(updated_at=at(2026, 11, 23, 12))])
    assert Ticket.objects.get().response_excluded is True


def test_bad_records_are_rejected_with_row_column_and_reason_and_the_rest_imported(contract):
    naive = dataclasses.replace(record("HD-3", row=4), created_at=dt.datetime(2026, 11, 20, 9))
    records = [
        record("HD-1", row=2),
        RowError(3, "Created", "cannot read the time 'yesterday'", "HD-2"),
        naive,
        dataclasses.replace(record("HD-4", row=5), priority="P9"),
        dataclasses.replace(record("HD-5", row=6), resolved_at=at(2026, 11, 1)),
        record("HD-6", row=7),
    ]

    run = run_import(records)

    assert counts(run) == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 4, "unmapped": 0}
    assert run.errors == [
        {
            "row": 3,
            "column": "Created",
            "reason": "cannot read the time 'yesterday'",
            "external_id": "HD-2",
        },
        {
            "row": 4,
            "column": "created_at",
            "reason": "the time has no time zone (naive datetime)",
            "external_id": "HD-3",
        },
        {"row": 5, "column": "priority", "reason": "unknown priority 'P9'", "external_id": "HD-4"},
        {
            "row": 6,
            "column": "resolved_at",
            "reason": "resolved (2026-11-01 00:00 UTC) before the ticket was created "
            "(2026-11-20 16:30 UTC)",
            "external_id": "HD-5",
        },
    ]
    assert sorted(Ticket.objects.values_list("external_id", flat=True)) == ["HD-1", "HD-6"]
    assert run.rows_read == 6


def test_an_event_before_the_ticket_was_created_is_rejected(contract):
    early = record()
    early.events.insert(0, EventRecord(at(2026, 11, 19), "responded"))
    run = run_import([early])
    assert run.errors[0]["column"] == "events"
    assert "before the ticket was created" in run.errors[0]["reason"]
    assert not Ticket.objects.exists()


def test_a_ticket_repeated_in_one_batch_is_read_once(contract):
    run = run_import([record("HD-1", row=2), record("HD-1", row=9, title="Other")])
    assert counts(run)["created"] == 1
    assert run.errors == [
        {
            "row": 9,
            "column": "external_id",
            "reason": "ticket HD-1 appears again (first at row 2); only the first was read",
            "external_id": "HD-1",
        }
    ]
    assert Ticket.objects.get().title == "Printer jams"


def test_unmapped_values_are_counted_then_imported_once_mapped(contract):
    records = [
        record("HD-1"),
        record("HD-2", row=3, attribution="Group 56"),
        record("HD-3", row=4, attribution="Group 56"),
        record("HD-4", row=5, attribution=""),
    ]

    run = run_import(records)

    assert counts(run) == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 0, "unmapped": 3}
    assert run.unmapped == {"Group 56": 2, "": 1}
    assert list(run.unmapped) == ["Group 56", ""]  # most tickets first
    assert Ticket.objects.count() == 1

    other = ContractFactory()
    attribution_rule_set(source=SOURCE, value="Group 56", vendor=other.vendor)
    again = run_import(records)

    assert counts(again) == {
        "created": 2,
        "updated": 0,
        "unchanged": 1,
        "rejected": 0,
        "unmapped": 1,
    }
    assert again.unmapped == {"": 1}
    assert Ticket.objects.filter(vendor=other.vendor, contract=other).count() == 2


def test_a_catch_all_rule_takes_every_value_no_other_rule_names(contract):
    other = ContractFactory()
    attribution_rule_set(source=SOURCE, value="*", vendor=other.vendor)
    run_import([record("HD-1"), record("HD-2", row=3, attribution="Somebody else")])
    assert Ticket.objects.get(external_id="HD-1").vendor == contract.vendor
    assert Ticket.objects.get(external_id="HD-2").vendor == other.vendor


def test_a_ticket_attributed_to_another_vendor_is_moved_on_the_next_import(contract):
    run_import([record()])
    other = ContractFactory()
    attribution_rule_set(source=SOURCE, value="Acme Support", vendor=other.vendor)

    run = run_import([record()])  # same version, new rule

    assert run.tickets_updated == 1
    assert Ticket.objects.get().vendor == other.vendor


def test_a_ticket_is_written_whole_or_not_at_all(contract, events_refuse_boom):
    """A database error on one ticket's events takes back that ticket, and only it."""
    bad = record("HD-2", row=3)
    bad.events.append(EventRecord(at(2026, 11, 23, 11, 30), "closed", "", "closed", "boom"))

    run = run_import([record("HD-1"), bad, record("HD-3", row=4)])

    assert counts(run) == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 1, "unmapped": 0}
    [error] = run.errors
    assert (error["row"], error["column"], error["external_id"]) == (3, "", "HD-2")
    assert error["reason"].startswith("the database refused the ticket: ")
    assert "event_refused" in error["reason"]  # the database's own words, naming its rule
    assert sorted(Ticket.objects.values_list("external_id", flat=True)) == ["HD-1", "HD-3"]
    assert TicketEvent.objects.count() == 8  # 4 each, none of HD-2's
    assert SurveyResponse.objects.count() == 2


def test_the_periods_of_every_written_ticket_are_marked_dirty(contract):
    run_import([record("HD-1"), record("HD-2", row=3, created_at=at(2026, 10, 30, 9))])

    marks = set(
        DirtyPeriod.objects.filter(vendor=contract.vendor).values_list(
            "period_kind", "period_start"
        )
    )
    assert marks == {
        ("week", dt.date(2026, 10, 26)),  # HD-2 created Fri 30 Oct
        ("week", dt.date(2026, 11, 16)),  # HD-1 created Fri 20 Nov
        ("week", dt.date(2026, 11, 23)),  # both responded and resolved Mon 23 Nov
        ("month", dt.date(2026, 10, 1)),
        ("month", dt.date(2026, 11, 1)),
        ("quarter", dt.date(2026, 10, 1)),
    }


def test_an_update_marks_the_periods_the_ticket_left(contract):
    run_import([record()])
    DirtyPeriod.objects.all().delete()
    moved = record(
        created_at=at(2026, 11, 20, 16, 30),
        resolved_at=at(2027, 1, 4, 10),
        updated_at=at(2027, 1, 4, 10),
        first_response_at=at(2027, 1, 4, 9, 45),
    )
    run_import([moved])
    months = set(
        DirtyPeriod.objects.filter(period_kind="month").values_list("period_start", flat=True)
    )
    # November (created, and the old response and resolution) and January (the new ones).
    assert months == {dt.date(2026, 11, 1), dt.date(2027, 1, 1)}


def test_a_requester_coming_back_within_seven_days_makes_a_repeat(contract):
    first = record("HD-1")
    again = record(
        "HD-2",
        row=3,
        created_at=at(2026, 11, 25, 10),
        updated_at=at(2026, 11, 25, 11),
        resolved_at=at(2026, 11, 25, 11),
        first_response_at=None,
        survey=None,
    )
    run_import([first, again], batch_size=1)  # the follow-up arrives in a later batch
    assert dict(Ticket.objects.values_list("external_id", "repeat")) == {
        "HD-1": True,
        "HD-2": False,
    }


def test_records_attributed_by_the_caller_skip_the_rules(contract):
    other = ContractFactory()
    direct = AttributedRecord(
        **{f.name: getattr(record(), f.name) for f in dataclasses.fields(TicketRecord)},
        vendor_id=other.vendor_id,
        contract_id=other.pk,
    )
    direct.attribution = "nobody maps this"
    results: list[ItemResult] = []
    run_import([direct], results=results)
    assert Ticket.objects.get().contract == other
    assert results == [ItemResult(2, "HD-1", "created")]


def test_each_records_outcome_is_reported_when_asked(contract):
    run_import([record("HD-1")])
    results: list[ItemResult] = []
    run_import(
        [
            record("HD-1"),
            record("HD-2", row=3),
            record("HD-3", row=4, attribution="Group 9"),
            dataclasses.replace(record("HD-4", row=5), status="lost"),
        ],
        results=results,
    )
    assert [(r.external_id, r.result) for r in results] == [
        ("HD-3", "unmapped"),
        ("HD-4", "error"),
        ("HD-1", "unchanged"),
        ("HD-2", "created"),
    ]
    assert results[0].errors[0]["reason"] == "no attribution rule maps 'Group 9' to a vendor"
    assert results[1].errors[0]["reason"] == "unknown status 'lost'"


def test_a_policy_missing_a_target_rejects_its_tickets_naming_what_is_missing(contract):
    SlaTarget.objects.filter(priority="P4").delete()
    run = run_import([record("HD-1"), record("HD-2", row=3, priority="P4")])
    assert (run.tickets_created, run.tickets_rejected) == (0, 2)
    assert run.errors[0]["column"] == "contract"
    assert run.errors[0]["reason"].endswith("has no target for P4.")


def test_errors_beyond_the_first_thousand_are_counted_not_listed(contract):
    bad = [RowError(n, "priority", "unknown priority 'P9'") for n in range(2, 1_202)]
    run = run_import(bad, batch_size=500)
    assert run.tickets_rejected == 1_200
    assert len(run.errors) == 1_000
    assert ImportRun.objects.get(pk=run.pk).tickets_rejected == 1_200


def test_a_reader_failing_part_way_fails_the_run_and_keeps_what_was_written(contract):
    from tickets.ingest.records import FormatError

    def records():
        yield record("HD-1")
        raise FormatError("row 3: the file is damaged or truncated")

    run = ImportRun.objects.create(source=SOURCE, format="mapped")
    with pytest.raises(FormatError):
        ingest_records(records(), source=SOURCE, run=run, now=NOW, batch_size=1)
    run.refresh_from_db()
    assert (run.status, run.failure) == ("failed", "row 3: the file is damaged or truncated")
    assert (run.tickets_created, Ticket.objects.count()) == (1, 1)
    assert DirtyPeriod.objects.filter(vendor=contract.vendor).exists()


# --- outside any transaction: on PostgreSQL a writer thread overlaps reading and writing ---------


@pytest.mark.django_db(transaction=True)
def test_a_run_outside_a_transaction_writes_every_batch_and_counts_it(contract):
    records = [record(f"HD-{n}", row=n + 2) for n in range(7)]
    records.insert(5, record("HD-1", row=99, updated_at=at(2026, 11, 24, 9)))  # a later version

    run = run_import(records, batch_size=2)

    # HD-1 comes back in a later batch while its first version may still be being written: it
    # is looked up once that is done, so it updates rather than collides.
    assert counts(run) == {"created": 7, "updated": 1, "unchanged": 0, "rejected": 0, "unmapped": 0}
    assert Ticket.objects.count() == 7
    assert Ticket.objects.get(external_id="HD-1").source_version == "2026-11-24T09:00:00+00:00"
    assert TicketEvent.objects.count() == 7 * 4
    assert ImportRun.objects.get(pk=run.pk).tickets_created == 7


@pytest.mark.django_db(transaction=True)
def test_a_ticket_refused_by_the_database_costs_only_itself_outside_a_transaction(
    contract, events_refuse_boom
):
    bad = record("HD-2", row=3)
    bad.events.append(EventRecord(at(2026, 11, 23, 11, 30), "closed", "", "closed", "boom"))

    run = run_import([record("HD-1"), bad, record("HD-3", row=4)], batch_size=2)

    assert (run.tickets_created, run.tickets_rejected) == (2, 1)
    assert sorted(Ticket.objects.values_list("external_id", flat=True)) == ["HD-1", "HD-3"]
    assert TicketEvent.objects.count() == 8


# --- who answered: response figures belong to the assignee at the first response ----------


def handed_over(external_id: str = "HD-9", *, first: str, then: str = "Bob Tech", **changes):
    """Worked example 1's ticket, assigned to `first` at 09:00 Monday, answered at 09:45, then
    handed over to `then` at 10:00 and resolved by them at 11:00."""
    events = [
        EventRecord(at(2026, 11, 20, 16, 30), "created", "", "new", "", by_vendor=False),
        EventRecord(at(2026, 11, 23, 9), "assigned", "", first, "Dispatch"),
        EventRecord(at(2026, 11, 23, 9, 45), "responded", "", "", first),
        EventRecord(at(2026, 11, 23, 10), "assigned", first, then, "Dispatch"),
        EventRecord(at(2026, 11, 23, 11), "resolved", "in_progress", "resolved", then),
    ]
    return dataclasses.replace(
        record(external_id, technician=then), events=events, survey=None, **changes
    )


def test_a_ticket_reassigned_after_its_first_response_stores_the_responder(contract):
    alice = TechnicianFactory(vendor=contract.vendor, name="Alice Tech", external_ref="Alice Tech")
    run = run_import([handed_over(first="Alice Tech"), record("HD-1", row=3)])

    assert run.tickets_created == 2
    ticket = Ticket.objects.get(external_id="HD-9")
    bob = Technician.objects.get(vendor=contract.vendor, name="Bob Tech")
    # Resolution figures are the last assignee's, response figures the one who answered.
    assert (ticket.technician, ticket.response_technician) == (bob, alice)
    assert ticket.reassignment_count == 1
    # Never handed over: the one technician is both.
    plain = Ticket.objects.get(external_id="HD-1")
    assert plain.response_technician_id == plain.technician_id == alice.pk


def test_a_reimport_of_a_handed_over_ticket_is_unchanged_and_keeps_the_responder(contract):
    alice = TechnicianFactory(vendor=contract.vendor, name="Alice Tech", external_ref="Alice Tech")
    records = [handed_over(first="Alice Tech"), record("HD-1", row=3)]
    run_import(records)

    again = run_import(records)

    assert counts(again) == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "rejected": 0,
        "unmapped": 0,
    }
    assert Ticket.objects.get(external_id="HD-9").response_technician == alice


def test_a_servicenow_group_and_technician_assignment_names_the_technician(contract):
    alice = TechnicianFactory(vendor=contract.vendor, name="Alice Tech", external_ref="Alice Tech")
    run_import([handed_over(first="Desk L1 / Alice Tech", then="Desk L2 / Bob Tech")])
    assert Ticket.objects.get().response_technician == alice


def test_an_assignment_to_a_group_or_an_unknown_name_falls_back_to_the_ticket_technician(
    contract,
):
    run_import([handed_over(first="Service Desk")])

    ticket = Ticket.objects.get()
    assert ticket.response_technician_id == ticket.technician_id
    assert ticket.technician.name == "Bob Tech"
    # An assignment names a group as often as a person: it never creates a technician.
    assert list(Technician.objects.values_list("name", flat=True)) == ["Bob Tech"]


def test_a_reply_before_the_first_assignment_is_the_first_assignees(contract):
    alice = TechnicianFactory(vendor=contract.vendor, name="Alice Tech", external_ref="Alice Tech")
    early = handed_over(first="Alice Tech")
    reply = EventRecord(at(2026, 11, 23, 8, 50), "responded", "", "", "Alice Tech")
    early = dataclasses.replace(early, events=[early.events[0], reply, *early.events[1:]])

    run_import([early])

    assert Ticket.objects.get().response_technician == alice


def test_an_unanswered_ticket_has_no_response_technician(contract):
    open_ticket = handed_over(first="Alice Tech", status="in_progress", resolved_at=None)
    open_ticket = dataclasses.replace(
        open_ticket, events=[e for e in open_ticket.events if e.kind in ("created", "assigned")]
    )
    run_import([open_ticket])

    ticket = Ticket.objects.get()
    assert (ticket.first_response_at, ticket.response_technician) == (None, None)
    # Due Mon 09:30 and breached: the breach counts for its holder now, the technician.
    assert (ticket.response_met, ticket.technician.name) == (False, "Bob Tech")


def test_an_import_runs_with_fewer_garbage_collections_and_restores_the_default(contract):
    import gc

    from common.bulk import BULK_THRESHOLD

    default = gc.get_threshold()
    during = []
    run = run_import(
        [record("HD-1"), record("HD-2", row=3)],
        batch_size=1,
        progress=lambda n: during.append(gc.get_threshold()[0]),
    )
    assert run.tickets_created == 2
    assert during == [BULK_THRESHOLD, BULK_THRESHOLD]
    assert gc.get_threshold() == default
