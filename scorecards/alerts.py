"""Breach warnings: open tickets whose response or resolution is due soon, or overdue."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.utils import timezone

from common.roles import MANAGER
from scorecards.models import Alert
from tickets.models import Ticket
from tickets.services import ClockBook, ticket_refresh_facts
from vendors.models import SlaPolicy


def alerts_check(*, now: dt.datetime | None = None) -> list[Alert]:
    """Records each (ticket, target, threshold) once and e-mails the new ones.

    Tickets that just passed a due time have their facts refreshed too, so a breach is
    stored within minutes of its due time even while the ticket stays open.
    """
    now = now or timezone.now()
    new_alerts: list[Alert] = []
    book = ClockBook()
    for policy in SlaPolicy.objects.all():
        window = now + dt.timedelta(minutes=policy.warning_minutes)
        open_tickets = Ticket.objects.filter(
            contract__sla_policy=policy, resolved_at__isnull=True
        ).select_related("contract", "vendor")
        candidates = [
            (
                "response",
                open_tickets.filter(first_response_at__isnull=True, response_due_at__lte=window),
            ),
            ("resolution", open_tickets.filter(resolution_due_at__lte=window)),
        ]
        for target, tickets in candidates:
            for ticket in tickets.exclude(alerts__target=target, alerts__threshold="breach"):
                due = getattr(ticket, f"{target}_due_at")
                threshold = Alert.Threshold.BREACH if due <= now else Alert.Threshold.WARNING
                alert, created = Alert.objects.get_or_create(
                    ticket=ticket,
                    target=target,
                    threshold=threshold,
                    defaults={"vendor": ticket.vendor, "due_at": due, "created_at": now},
                )
                if created:
                    new_alerts.append(alert)
                    if threshold == Alert.Threshold.BREACH:
                        ticket_refresh_facts(ticket=ticket, book=book, now=now)
    _email(new_alerts, now)
    return new_alerts


def _email(alerts: list[Alert], now: dt.datetime) -> None:
    if not alerts:
        return
    managers = list(
        get_user_model()
        .objects.filter(groups__name=MANAGER, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    messages = []
    for alert in alerts:
        ticket = alert.ticket
        recipients = sorted(
            set(managers + ([ticket.vendor.contact_email] if ticket.vendor.contact_email else []))
        )
        if not recipients:
            continue
        verb = "was due" if alert.threshold == "breach" else "is due"
        when = f"{alert.due_at:%Y-%m-%d %H:%M} UTC"
        subject = f"[VendorScore] {ticket.external_id}: {alert.target} {verb} {when}"
        body = (
            f"Ticket {ticket.external_id} ({ticket.priority}, {ticket.vendor}) "
            f"{alert.target} target {verb} at {when}.\n"
        )
        messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, recipients))
    send_mass_mail(messages, fail_silently=False)
    Alert.objects.filter(pk__in=[a.pk for a in alerts]).update(emailed_at=now)
