"""On PostgreSQL an import checks its batches' foreign keys as sets (one query per batch and
table) instead of PostgreSQL's trigger per row, where the connection may turn those off: the
same references are refused, and the constraints stay in force for every other writer."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from tests.ingest.test_upsert import SOURCE, contract, counts, record, run_import  # noqa: F401
from tickets.ingest import derive
from tickets.ingest.derive import Draft, Work
from tickets.ingest.tables import TicketTables
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the set-based check is PostgreSQL's"
)
GHOST = 2_000_000_000  # no technician has this id


@pytest.fixture(params=["set-based", "per-row triggers"])
def checks(request, monkeypatch):
    if request.param == "per-row triggers":
        monkeypatch.setattr(TicketTables, "set_based_checks", lambda self: False)
    return request.param


@pytest.fixture
def ghost_technician(monkeypatch):
    """A run that believes "Ghost" is a technician of the vendor with an id that does not
    exist (as if deleted after the run read the vendor's technicians)."""
    real = derive.technicians_by_name
    monkeypatch.setattr(derive, "technicians_by_name", lambda v: real(v) | {"Ghost": GHOST})


@pytest.mark.django_db(transaction=True)
def test_a_ticket_naming_a_missing_technician_is_refused_and_costs_only_itself(
    contract,  # noqa: F811
    ghost_technician,
    checks,
):
    records = [record("HD-1"), record("HD-2", row=3, technician="Ghost"), record("HD-3", row=4)]

    run = run_import(records, batch_size=3)

    assert counts(run) == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 1, "unmapped": 0}
    assert run.errors[0]["external_id"] == "HD-2"
    assert run.errors[0]["reason"].startswith("the database refused the ticket")
    assert sorted(Ticket.objects.values_list("external_id", flat=True)) == ["HD-1", "HD-3"]
    assert TicketEvent.objects.filter(ticket__external_id="HD-2").count() == 0
    assert TicketEvent.objects.count() == 8


@pytest.mark.django_db
def test_the_check_refuses_a_batch_naming_a_missing_vendor_contract_or_ticket(contract):  # noqa: F811
    tables = TicketTables(source=SOURCE, postgres=True)

    def work(**changes) -> Work:
        values = {
            "id": None,
            "vendor_id": contract.vendor_id,
            "contract_id": contract.pk,
            "technician_id": None,
            "response_technician_id": None,
        }
        return Work(record=None, draft=Draft(**(values | changes)))  # type: ignore[arg-type]

    for bad in ({"vendor_id": GHOST}, {"contract_id": GHOST}, {"id": GHOST}):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            tables.check_references(cursor, [work(), work(**bad)])


@pytest.mark.django_db(transaction=True)
def test_the_foreign_keys_stay_validated_and_their_triggers_on_after_an_import(contract):  # noqa: F811
    run = run_import([record(f"HD-{n}", row=n + 2) for n in range(5)], batch_size=2)

    assert run.tickets_created == 5
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT bool_and(convalidated), count(*) FROM pg_constraint WHERE contype = 'f' "
            "AND conrelid IN ('tickets_ticket'::regclass, 'tickets_ticketevent'::regclass, "
            "'tickets_surveyresponse'::regclass)"
        )
        assert cursor.fetchone() == (True, 6)
        cursor.execute(
            "SELECT count(*) FROM pg_trigger WHERE tgisinternal AND tgenabled <> 'O' "
            "AND tgrelid IN ('tickets_ticket'::regclass, 'tickets_ticketevent'::regclass)"
        )
        assert cursor.fetchone() == (0,)
        # Another writer is still held to them.
        with pytest.raises(IntegrityError), transaction.atomic():
            cursor.execute(
                "INSERT INTO tickets_ticketevent (ticket_id, at, seq, kind, old_value, "
                "new_value, actor, by_vendor) VALUES (%s, now(), 0, 'created', '', '', '', true)",
                [GHOST],
            )
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.django_db
def test_inside_a_callers_transaction_the_triggers_are_back_on_after_each_batch(contract):  # noqa: F811
    with transaction.atomic():
        run = run_import([record(f"HD-{n}", row=n + 2) for n in range(3)], batch_size=2)
        with connection.cursor() as cursor:
            cursor.execute("SHOW session_replication_role")
            assert cursor.fetchone() == ("origin",)
    assert run.tickets_created == 3
