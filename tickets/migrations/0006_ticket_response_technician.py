"""Ticket.response_technician: who held the ticket when it was first answered.

Stored tickets are filled in from their stored events the way `tickets.services` derives it
(the latest assignment at or before the first response, else the first assignment, matched to
a technician of the vendor by external_ref or name; else the ticket's technician), so figures
recomputed after the upgrade attribute old tickets as they will new ones.
"""

from collections import defaultdict

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery

CHUNK = 5000


def _names(value):
    # ServiceNow's assignments read "group / technician"; other sources name the person alone.
    value = (value or "").strip()
    names = [value] if value else []
    if " / " in value:
        names.insert(0, value.rsplit(" / ", 1)[1].strip())
    return names


def fill_response_technician(apps, schema_editor):
    Ticket = apps.get_model("tickets", "Ticket")
    TicketEvent = apps.get_model("tickets", "TicketEvent")
    Technician = apps.get_model("vendors", "Technician")
    answered = Ticket.objects.filter(first_response_at__isnull=False)
    answered.update(response_technician=F("technician"))

    # Only a ticket assigned more than once can have been answered by someone else.
    assigned = TicketEvent.objects.filter(ticket=OuterRef("pk"), kind="assigned").exclude(
        new_value=""
    )
    before = assigned.filter(at__lte=OuterRef("first_response_at")).order_by("-at", "-seq")
    first = assigned.order_by("at", "seq")
    rows = (
        answered.filter(reassignment_count__gt=0)
        .annotate(
            before=Subquery(before.values("new_value")[:1]),
            first=Subquery(first.values("new_value")[:1]),
        )
        .values_list("pk", "vendor_id", "technician_id", "before", "first")
    )
    known = {}
    moves = defaultdict(list)
    for pk, vendor_id, technician_id, before_value, first_value in rows.iterator(CHUNK):
        by_name = known.get(vendor_id)
        if by_name is None:
            by_name = known[vendor_id] = {}
            for tech_pk, name, ref in Technician.objects.filter(vendor_id=vendor_id).values_list(
                "pk", "name", "external_ref"
            ):
                by_name.setdefault(name, tech_pk)
                if ref:
                    by_name[ref] = tech_pk
        found = next(
            (by_name[n] for n in _names(before_value or first_value) if n in by_name), None
        )
        if found is not None and found != technician_id:
            moves[found].append(pk)
    for technician_id, ids in moves.items():
        for start in range(0, len(ids), CHUNK):
            Ticket.objects.filter(pk__in=ids[start : start + CHUNK]).update(
                response_technician_id=technician_id
            )


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0005_import_run_upload"),
        ("vendors", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="response_technician",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="vendors.technician",
            ),
        ),
        migrations.RunPython(fill_response_technician, migrations.RunPython.noop, elidable=True),
    ]
