"""SLA breach list with its heat map, the ticket page, and the dispute control.

Here, not in tickets/, because they show the scorecards' disputes, alerts and charts. Reads go
through scorecards.breach_selectors and tickets.selectors (every query narrowed to the user's
vendors and, for breaches, to a vendor + due-time range); disputes are written by
scorecards.services.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from common.exports import neutralise
from common.pages import ALL_ROLES, page_for
from common.periods import PeriodKind
from common.roles import MANAGER, VENDOR
from scorecards import breach_selectors as breach_sel
from scorecards.charts import breach_heatmap
from scorecards.models import Dispute
from scorecards.services import dispute_decide, dispute_raise
from scorecards.views.page_filters import PageFilters
from tickets import selectors as sel
from tickets.models import Ticket
from vendors.models import Contract, TicketStatus
from vendors.selectors import vendor_get_for_user, vendor_ids_visible_to, vendors_visible_to

PAGE_SIZE = 50
CSV_LIMIT = 50_000  # one period of one portfolio; more is a job for the API

TARGET_CHOICES = [("response", "Response"), ("resolution", "Resolution")]
DISPUTE_CHOICES = [
    ("none", "Not disputed"),
    ("open", "Disputed, open"),
    ("accepted", "Dispute accepted (excluded)"),
    ("rejected", "Dispute rejected"),
]


# --- breaches -----------------------------------------------------------------------------------


def _breach_query(
    request: HttpRequest, filters: PageFilters
) -> tuple[breach_sel.BreachQuery, object]:
    """The breach filters of the query string; a vendor the user may not see is a 404."""
    vendor = None
    if raw := request.GET.get("vendor"):
        vendor = vendor_get_for_user(request.user, vendor_id=raw)
    start, end = filters.period.bounds(settings.REPORTING_TIME_ZONE)
    target = request.GET.get("target") or None
    if target and target not in sel.KINDS:
        messages.warning(request, f"Unknown target {target!r}; showing both.")
        target = None
    dispute = request.GET.get("dispute") or None
    if dispute and dispute not in breach_sel.DISPUTE_FILTERS:
        messages.warning(request, f"Unknown dispute filter {dispute!r}; showing all.")
        dispute = None
    query = breach_sel.BreachQuery(
        start=start,
        end=end,
        vendor_id=vendor.pk if vendor else None,
        contract_id=filters.contract_id,
        priority=filters.priority,
        category=filters.category,
        kind=target,
        dispute=dispute,
    )
    return query, vendor


@require_GET
@page_for(*ALL_ROLES)
def breaches(request: HttpRequest) -> HttpResponse:
    filters = PageFilters.from_request(request)
    query, vendor = _breach_query(request, filters)
    rows = breach_sel.breach_rows_for_user(user=request.user, query=query)
    if request.GET.get("format") == "csv":
        return _breaches_csv(rows, filters)

    now = timezone.now()
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = sel.breach_rows_open_lateness(list(page.object_list), now=now)
    counts = breach_sel.breach_heatmap_counts_for_user(user=request.user, query=query)
    contracts = Contract.objects.filter(vendor_id__in=vendor_ids_visible_to(request.user))
    if vendor:
        contracts = contracts.filter(vendor=vendor)
    extra = {
        "vendor": query.vendor_id,
        "target": query.kind,
        "dispute": query.dispute,
    }
    context = {
        "filters": filters,
        "query": query,
        "vendor": vendor,
        "vendors": list(vendors_visible_to(request.user).only("name"))
        if request.role != VENDOR
        else [],
        "contracts": list(contracts.only("name").order_by("name")),
        "categories": breach_sel.breach_categories_for_user(user=request.user, query=query),
        "period_kinds": list(PeriodKind),
        "target_choices": TARGET_CHOICES,
        "dispute_choices": DISPUTE_CHOICES,
        "page": page,
        "heatmap": breach_heatmap(counts),
        "heatmap_total": sum(counts.values()),
        "now": now,
        "page_query": filters.query(**extra, page=None),
        "csv_query": filters.query(**extra, format="csv"),
        "reporting_zone": settings.REPORTING_TIME_ZONE,
    }
    return render(request, "tickets/breaches.html", context)


class _Echo:
    def write(self, value: str) -> str:
        return value


def _breaches_csv(rows, filters: PageFilters) -> StreamingHttpResponse:
    header = [
        "ticket",
        "source",
        "vendor",
        "contract",
        "priority",
        "category",
        "target",
        "due_at",
        "outcome_at",
        "late_business_seconds",
        "technician",
        "dispute",
        "excluded",
    ]

    def lines() -> Iterator[str]:
        writer = csv.writer(_Echo())
        yield writer.writerow(header)
        for r in rows[:CSV_LIMIT].iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    neutralise(v)
                    for v in (
                        r["external_id"],
                        r["source"],
                        r["vendor__name"],
                        r["contract__name"],
                        r["priority"],
                        r["category"],
                        r["kind"],
                        r["due_at"].isoformat(),
                        r["done_at"].isoformat() if r["done_at"] else "still open",
                        r["late_seconds"],
                        r["technician__name"],
                        r["dispute"] or "",
                        "yes" if r["excluded"] else "no",
                    )
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    name = f"breaches-{filters.period.label}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# --- the ticket page ----------------------------------------------------------------------------


class DisputeForm(forms.Form):
    target = forms.ChoiceField(choices=TARGET_CHOICES)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": 4000}),
        max_length=4000,
        error_messages={"required": "Give the reason for the dispute."},
    )


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("accept", "Accept"), ("reject", "Reject")],
        error_messages={"required": "Choose accept or reject."},
    )
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": 4000}),
        max_length=4000,
        error_messages={"required": "Give a note: why the dispute is accepted or rejected."},
    )


def _add_service_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's ValidationError names its field; show it beside that field."""
    for field, texts in error.message_dict.items():
        for text in texts:
            form.add_error(field if field in form.fields else None, text)


def _status_label(status: str) -> str:
    try:
        return TicketStatus(status).label
    except ValueError:
        return status or "paused"


def _ticket_page(
    request: HttpRequest,
    ticket: Ticket,
    *,
    dispute_form: DisputeForm | None = None,
    decide_forms: dict[int, DecideForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    events = sel.ticket_timeline(ticket=ticket)
    pauses = sel.ticket_pauses(ticket=ticket, events=events, now=now)
    clocks = sel.ticket_clocks(ticket=ticket, pauses=pauses, now=now)
    disputes = breach_sel.ticket_disputes(ticket=ticket)
    live = breach_sel.live_dispute_targets(disputes)
    # Why a target cannot be disputed, said before the vendor user writes a reason.
    refusals = {}
    for clock in clocks:
        if clock.met is not False:
            refusals[clock.kind] = f"The {clock.kind} target was not breached."
        elif clock.kind in live:
            refusals[clock.kind] = f"The {clock.kind} breach is already disputed."
    disputable = [c.kind for c in clocks if c.kind not in refusals]
    if dispute_form is None:
        initial = {"target": disputable[0]} if disputable else {}
        dispute_form = DisputeForm(initial=initial)
    decided = [d for d in disputes if d.status != Dispute.Status.OPEN]
    for d in disputes:
        d.decide_form = (decide_forms or {}).get(d.pk)
    context = {
        "ticket": ticket,
        "events": events,
        "pauses": [
            {
                "start": p.start,
                "end": p.end,
                "reason": _status_label(p.reason),
                "wall": p.end - p.start,
                # A pause still on runs to `now` in the selector.
                "ongoing": ticket.resolved_at is None and p.end >= now,
            }
            for p in pauses
        ],
        "clocks": clocks,
        "disputes": disputes,
        "dispute_form": dispute_form,
        "dispute_refusals": refusals,
        "disputable": disputable,
        "can_raise": request.role == VENDOR,
        "can_decide": request.role == MANAGER,
        "surveys": sel.ticket_surveys(ticket=ticket),
        "alerts": breach_sel.ticket_alerts(ticket=ticket),
        "source_disagrees": sel.source_sla_disagreement(ticket=ticket),
        "recompute_pending": bool(decided) and breach_sel.ticket_recompute_pending(ticket=ticket),
        "now": now,
        "reporting_zone": settings.REPORTING_TIME_ZONE,
    }
    return render(request, "tickets/ticket.html", context, status=status)


@require_GET
@page_for(*ALL_ROLES)
def ticket(request: HttpRequest, ticket_id: int) -> HttpResponse:
    return _ticket_page(request, sel.ticket_get_for_user(user=request.user, ticket_id=ticket_id))


@require_POST
@page_for(VENDOR)
def dispute_raise_view(request: HttpRequest, ticket_id: int) -> HttpResponse:
    ticket = sel.ticket_get_for_user(user=request.user, ticket_id=ticket_id)
    form = DisputeForm(request.POST)
    if form.is_valid():
        try:
            dispute = dispute_raise(
                ticket=ticket,
                target=form.cleaned_data["target"],
                reason=form.cleaned_data["reason"],
                user=request.user,
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(
                request,
                f"Your dispute of the {dispute.target} breach is recorded; the breach keeps "
                "counting until a manager accepts it.",
            )
            return redirect("ticket", ticket_id=ticket.pk)
    return _ticket_page(request, ticket, dispute_form=form, status=400)


@require_POST
@page_for(MANAGER)
def dispute_decide_view(request: HttpRequest, dispute_id: int) -> HttpResponse:
    dispute = breach_sel.dispute_get_for_user(user=request.user, dispute_id=dispute_id)
    form = DecideForm(request.POST)
    if form.is_valid():
        accept = form.cleaned_data["decision"] == "accept"
        try:
            dispute_decide(
                dispute=dispute, accept=accept, note=form.cleaned_data["note"], user=request.user
            )
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            outcome = (
                f"accepted: the {dispute.target} breach of {dispute.ticket.external_id} is "
                "excluded from the SLA figures"
                if accept
                else f"rejected: the {dispute.target} breach of "
                f"{dispute.ticket.external_id} keeps counting"
            )
            messages.success(
                request, f"Dispute {outcome}. The figures change at the next recompute."
            )
            next_url = request.POST.get("next", "")
            if url_has_allowed_host_and_scheme(
                next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
            ):
                return redirect(next_url)
            return redirect("ticket", ticket_id=dispute.ticket_id)
    ticket = sel.ticket_get_for_user(user=request.user, ticket_id=dispute.ticket_id)
    return _ticket_page(request, ticket, decide_forms={dispute.pk: form}, status=400)


# --- the dispute queue --------------------------------------------------------------------------

STATUS_FILTERS = ("open", "accepted", "rejected", "all")


@require_GET
@page_for(*ALL_ROLES)
def disputes(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or "open"
    if status not in STATUS_FILTERS:
        messages.warning(request, f"Unknown status {status!r}; showing open disputes.")
        status = "open"
    rows = breach_sel.disputes_for_user(
        user=request.user, status=None if status == "all" else status
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    here = reverse("disputes") + (f"?status={status}" if status != "open" else "")
    context = {
        "page": page,
        "status": status,
        "status_filters": STATUS_FILTERS,
        "can_decide": request.role == MANAGER,
        "here": here,
        "reporting_zone": settings.REPORTING_TIME_ZONE,
    }
    return render(request, "tickets/disputes.html", context)


urlpatterns = [
    path("breaches/", breaches, name="breaches"),
    path("tickets/<int:ticket_id>/", ticket, name="ticket"),
    path("tickets/<int:ticket_id>/dispute", dispute_raise_view, name="dispute-raise"),
    path("disputes/", disputes, name="disputes"),
    path("disputes/<int:dispute_id>/decide", dispute_decide_view, name="dispute-decide"),
]
