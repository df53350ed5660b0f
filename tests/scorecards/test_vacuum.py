"""After a recompute the figure tables are vacuumed, so pages do not wait for autovacuum."""

from __future__ import annotations

import pytest
from django.db import connection

from scorecards.models import MetricValue, Scorecard
from scorecards.services import figures_vacuum, scorecards_recompute
from tests.scorecards.test_services import NOVEMBER, at, make_ticket


def relation_state(model) -> tuple[int, float]:
    """(pages VACUUM marked all-visible, rows ANALYZE counted), from the catalogue."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relallvisible, reltuples FROM pg_class WHERE relname = %s",
            [model._meta.db_table],
        )
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
def test_the_figure_tables_are_vacuumed_and_analysed_on_postgresql(contract):
    for n in range(3):
        make_ticket(contract, n, created=at(11, 3 + n, 10), resolved=at(11, 3 + n, 12))
    scorecards_recompute(vendor=contract.vendor, kind="month", periods=[NOVEMBER])
    figures, cards = MetricValue.objects.count(), Scorecard.objects.count()
    assert figures > 20 and cards >= 2

    done = figures_vacuum()

    if connection.vendor != "postgresql":
        assert done is False  # SQLite: nothing to clear between runs
        return
    assert done is True
    for model, rows in ((MetricValue, figures), (Scorecard, cards)):
        all_visible, counted = relation_state(model)
        assert all_visible >= 1
        assert counted == rows


@pytest.mark.django_db
def test_inside_a_transaction_nothing_is_vacuumed(contract):
    assert figures_vacuum() is False  # VACUUM cannot run in a transaction block
