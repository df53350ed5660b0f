"""The ticket page (clocks, pauses, timeline, source notice) and the dispute control."""

from __future__ import annotations

import pytest
from django.urls import reverse

from scorecards.models import DirtyPeriod, Dispute
from scorecards.services import dispute_decide, dispute_raise
from tests.tickets.pages_world import at, make_ticket, make_world
from tickets.models import Ticket, TicketEvent
from tickets.selectors import ticket_clocks, ticket_pauses, ticket_timeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(settings):
    settings.REPORTING_TIME_ZONE = "Europe/London"
    w = make_world()
    # Fri 30 Oct 16:30, never answered, still open: response due Mon 2 Nov 09:30, resolution
    # due Mon 2 Nov 16:30, both breached.
    w.ticket = make_ticket(w.contract_a, "A-OPEN", created=at(10, 30, 16, 30))
    return w


def page_url(ticket) -> str:
    return reverse("ticket", args=[ticket.pk])


def raise_url(ticket) -> str:
    return reverse("dispute-raise", args=[ticket.pk])


def decide_url(dispute) -> str:
    return reverse("dispute-decide", args=[dispute.pk])


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "status"), [("manager", 200), ("finance", 200), ("vendor_a", 200), ("vendor_b", 404)]
)
def test_the_ticket_page_is_for_its_vendor_and_staff_only(client, world, who, status):
    client.force_login(getattr(world, who))
    assert client.get(page_url(world.ticket)).status_code == status


def test_vendor_user_gets_404_for_another_vendors_ticket_and_dispute(client, world):
    dispute = dispute_raise(
        ticket=world.ticket, target="response", reason="Customer away", user=world.vendor_a
    )
    client.force_login(world.vendor_b)
    assert client.get(page_url(world.ticket)).status_code == 404
    post = client.post(raise_url(world.ticket), {"target": "resolution", "reason": "x"})
    assert post.status_code == 404
    assert not Dispute.objects.filter(target="resolution").exists()
    listing = client.get(reverse("disputes"), {"status": "all"})
    assert list(listing.context["page"].object_list) == []
    assert "A-OPEN" not in listing.content.decode()
    assert dispute.status == "open"


def test_anonymous_posts_go_to_the_login_page(client, world):
    dispute = dispute_raise(
        ticket=world.ticket, target="response", reason="Customer away", user=world.vendor_a
    )
    for url in (raise_url(world.ticket), decide_url(dispute)):
        response = client.post(url, {"target": "response", "reason": "x"})
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize(
    ("who", "raise_status", "decide_status"),
    [("manager", 403, 302), ("finance", 403, 403), ("vendor_a", 302, 403), ("vendor_b", 404, 403)],
)
def test_vendor_users_raise_and_managers_decide(client, world, who, raise_status, decide_status):
    dispute = dispute_raise(
        ticket=world.ticket, target="response", reason="Customer away", user=world.vendor_a
    )
    client.force_login(getattr(world, who))
    raised = client.post(raise_url(world.ticket), {"target": "resolution", "reason": "Power cut"})
    assert raised.status_code == raise_status
    decided = client.post(decide_url(dispute), {"decision": "reject", "note": "No evidence"})
    assert decided.status_code == decide_status
    assert Dispute.objects.filter(target="resolution").exists() == (raise_status == 302)
    dispute.refresh_from_db()
    assert dispute.status == ("rejected" if decide_status == 302 else "open")


def test_finance_sees_disputes_but_has_no_controls(client, world):
    dispute_raise(
        ticket=world.ticket, target="response", reason="Customer away", user=world.vendor_a
    )
    client.force_login(world.finance)
    html = client.get(page_url(world.ticket)).content.decode()
    assert "Customer away" in html
    assert "Finance sees disputes but cannot raise or decide them" in html
    assert 'name="decision"' not in html and 'name="reason"' not in html
    listing = client.get(reverse("disputes")).content.decode()
    assert "A-OPEN" in listing and 'name="decision"' not in listing


# --- the dispute flow -----------------------------------------------------------------------


def test_a_dispute_raised_by_the_vendor_and_accepted_by_a_manager_is_stored_and_shown(
    client, world
):
    client.force_login(world.vendor_a)
    response = client.post(
        raise_url(world.ticket), {"target": "response", "reason": "Customer was away"}
    )
    assert response.status_code == 302
    assert response.url == page_url(world.ticket)
    dispute = Dispute.objects.get()
    assert (dispute.ticket_id, dispute.target, dispute.status) == (
        world.ticket.pk,
        "response",
        "open",
    )
    assert (dispute.raised_by, dispute.reason) == (world.vendor_a, "Customer was away")
    html = client.get(page_url(world.ticket)).content.decode()
    assert "Waiting for a manager's decision" in html
    assert "Response: The response breach is already disputed." in html

    client.force_login(world.manager)
    queue = client.get(reverse("disputes"))
    assert [d.pk for d in queue.context["page"].object_list] == [dispute.pk]
    assert decide_url(dispute) in queue.content.decode()
    DirtyPeriod.objects.all().delete()  # as after a recompute
    decided = client.post(
        decide_url(dispute),
        {"decision": "accept", "note": "Customer confirmed", "next": reverse("disputes")},
    )
    assert decided.status_code == 302 and decided.url == reverse("disputes")

    dispute.refresh_from_db()
    assert (dispute.status, dispute.decided_by, dispute.decision_note) == (
        "accepted",
        world.manager,
        "Customer confirmed",
    )
    assert dispute.decided_at is not None
    ticket = Ticket.objects.get(pk=world.ticket.pk)
    assert (ticket.response_excluded, ticket.resolution_excluded) == (True, False)
    # The month the breach fell due (November) waits for its recompute.
    assert DirtyPeriod.objects.filter(
        vendor=world.contract_a.vendor, period_kind="month", period_start=at(11, 1, 0).date()
    ).exists()
    assert reverse("disputes") + "?status=open" not in decided.url  # back to the queue
    assert list(client.get(reverse("disputes")).context["page"].object_list) == []

    client.force_login(world.vendor_a)
    page = client.get(page_url(world.ticket))
    html = page.content.decode()
    assert "Accepted by boss" in html and "Customer confirmed" in html
    assert "the figures change at the next recompute" in html
    assert [c.state for c in page.context["clocks"]] == ["excluded", "breached"]


def test_a_rejected_dispute_may_be_raised_again(client, world):
    dispute = dispute_raise(
        ticket=world.ticket, target="response", reason="Customer away", user=world.vendor_a
    )
    dispute_decide(dispute=dispute, accept=False, note="No evidence", user=world.manager)
    client.force_login(world.vendor_a)
    html = client.get(page_url(world.ticket)).content.decode()
    assert "Rejected by boss" in html and "No evidence" in html
    again = client.post(raise_url(world.ticket), {"target": "response", "reason": "Logs attached"})
    assert again.status_code == 302
    assert Dispute.objects.filter(status="open").count() == 1


# --- form errors, named ---------------------------------------------------------------------


def test_a_dispute_without_a_reason_is_refused_naming_the_reason(client, world):
    client.force_login(world.vendor_a)
    response = client.post(raise_url(world.ticket), {"target": "response", "reason": "  "})
    assert response.status_code == 400
    assert "Reason: Give the reason for the dispute." in response.content.decode()
    assert not Dispute.objects.exists()


def test_a_target_that_was_met_or_is_already_disputed_is_refused_naming_the_target(client, world):
    met = make_ticket(
        world.contract_a,
        "A-MET",
        created=at(11, 2, 10),
        reply=at(11, 2, 10, 30),
        resolved=at(11, 2, 12),
    )
    client.force_login(world.vendor_a)
    html = client.get(page_url(met)).content.decode()
    assert "Response: The response target was not breached." in html
    response = client.post(raise_url(met), {"target": "response", "reason": "Why not"})
    assert response.status_code == 400
    assert "Target: The response target was not breached." in response.content.decode()

    client.post(raise_url(world.ticket), {"target": "resolution", "reason": "Power cut"})
    twice = client.post(raise_url(world.ticket), {"target": "resolution", "reason": "Again"})
    assert twice.status_code == 400
    assert "Target: The resolution breach is already disputed." in twice.content.decode()
    unknown = client.post(raise_url(world.ticket), {"target": "both", "reason": "x"})
    assert unknown.status_code == 400
    assert "Target: Select a valid choice." in unknown.content.decode()
    assert Dispute.objects.count() == 1


def test_a_decision_needs_a_note_and_an_open_dispute(client, world):
    dispute = dispute_raise(
        ticket=world.ticket, target="response", reason="Customer away", user=world.vendor_a
    )
    client.force_login(world.manager)
    no_note = client.post(decide_url(dispute), {"decision": "accept", "note": ""})
    assert no_note.status_code == 400
    assert "Note: Give a note: why the dispute is accepted or rejected." in no_note.content.decode()
    no_choice = client.post(decide_url(dispute), {"note": "Fine"})
    assert "Decision: Choose accept or reject." in no_choice.content.decode()
    dispute.refresh_from_db()
    assert dispute.status == "open"

    client.post(decide_url(dispute), {"decision": "reject", "note": "No evidence"})
    again = client.post(decide_url(dispute), {"decision": "accept", "note": "Changed my mind"})
    assert again.status_code == 400
    assert "The dispute is already rejected." in again.content.decode()
    dispute.refresh_from_db()
    assert (dispute.status, dispute.decision_note) == ("rejected", "No evidence")


# --- what the page shows --------------------------------------------------------------------


@pytest.fixture
def paused(world):
    """METRICS.md worked example 4: Mon 16 Nov 10:00, pending customer Mon 11:00 to Tue
    10:00, resolved Tue 12:00: 10 business hours raw, 7 paused, 3 net. The 8 h resolution
    target falls due Tue 17:00 (1 h on Monday, then 7 h from Tue 10:00)."""
    events = [
        TicketEvent(at=at(11, 16, 10), kind="created", actor="alice", by_vendor=False),
        TicketEvent(
            at=at(11, 16, 11),
            kind="status_change",
            old_value="in_progress",
            new_value="pending_customer",
            actor="Tech",
        ),
        TicketEvent(
            at=at(11, 17, 10),
            kind="status_change",
            old_value="pending_customer",
            new_value="in_progress",
            actor="alice",
            by_vendor=False,
        ),
        TicketEvent(at=at(11, 17, 12), kind="resolved", new_value="resolved", actor="Tech"),
    ]
    return make_ticket(
        world.contract_a,
        "A-PAUSED",
        created=at(11, 16, 10),
        reply=at(11, 16, 10, 30),
        resolved=at(11, 17, 12),
        events=events,
        source_sla_met=False,
    )


def test_the_page_shows_raw_paused_and_net_times_and_each_pause_with_its_reason(
    client, world, paused
):
    assert (paused.resolution_seconds_raw, paused.paused_seconds, paused.resolution_seconds) == (
        10 * 3600,
        7 * 3600,
        3 * 3600,
    )
    client.force_login(world.manager)
    page = client.get(page_url(paused))
    html = page.content.decode()
    for text in ("10 h 00 min", "7 h 00 min", "3 h 00 min", "Tue 17 Nov 2026 17:00"):
        assert text in html
    (pause,) = page.context["pauses"]
    assert (pause["start"], pause["end"], pause["reason"]) == (
        at(11, 16, 11),
        at(11, 17, 10),
        "Pending customer",
    )
    assert [c.state for c in page.context["clocks"]] == ["met", "met"]
    kinds = [e.kind for e in page.context["events"]]
    assert kinds == ["created", "responded", "status_change", "status_change", "resolved"]
    assert html.index("Pending customer") < html.index("Timeline")


def test_the_page_says_where_the_sources_sla_flag_differs_from_ours(client, world, paused):
    client.force_login(world.manager)
    html = client.get(page_url(paused)).content.decode()
    assert "Our SLA result differs from the source" in html
    assert "test says the SLA was breached; by this contract&#x27;s SLA clocks it was met." in html
    Ticket.objects.filter(pk=paused.pk).update(source_sla_met=True)
    assert "differs from the source" not in client.get(page_url(paused)).content.decode()


def test_an_open_breach_is_late_by_the_business_time_since_it_fell_due(world):
    ticket = Ticket.objects.select_related("contract__sla_policy").get(pk=world.ticket.pk)
    now = at(11, 3, 10)  # Tue 3 Nov 10:00
    pauses = ticket_pauses(ticket=ticket, events=ticket_timeline(ticket=ticket), now=now)
    assert pauses == []
    clocks = ticket_clocks(ticket=ticket, pauses=pauses, now=now)
    # Response due Mon 09:30: 7 h 30 on Monday + 1 h on Tuesday.
    # Resolution due Mon 16:30: 30 min on Monday + 1 h on Tuesday.
    assert [(c.kind, c.state, c.late_seconds) for c in clocks] == [
        ("response", "breached", 8 * 3600 + 1800),
        ("resolution", "breached", 5400),
    ]


@pytest.mark.parametrize(("who", "count"), [("manager", 17), ("vendor_a", 17)])
def test_the_ticket_page_runs_a_fixed_number_of_queries(
    client, world, paused, django_assert_num_queries, who, count
):
    dispute_raise(ticket=world.ticket, target="response", reason="Away", user=world.vendor_a)
    client.force_login(getattr(world, who))
    with django_assert_num_queries(count):
        assert client.get(page_url(world.ticket)).status_code == 200
    with django_assert_num_queries(count - 4):  # no open breach: no calendar to read
        assert client.get(page_url(paused)).status_code == 200
