"""Reads of review packs: a vendor's pack of a month, assembled from stored figures only
(MetricValue and Scorecard rows, plus two bounded ticket queries for the top breaches) in a
fixed number of queries whatever the data size; the months a vendor has packs for.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from common.periods import Period, PeriodKind, period_from_label
from scorecards import charts
from scorecards.models import ActionItem, Dispute, ReviewMeeting
from scorecards.packs import contents
from scorecards.packs.contents import (
    TECHNICIAN_METRICS,
    ActionRow,
    BreachRow,
    CreditRow,
    KpiRow,
    Pack,
    TechnicianRow,
)
from scorecards.selectors import (
    credit_thresholds_for_contracts,
    figures_for_subjects,
    periods_ending,
    scorecards_for_subjects,
    technician_figures_for_vendor,
    technicians_for_vendor,
)
from scorecards.selectors_ratings import bands_by_metric, month_is_closed, ratings_for_month
from tickets.models import Ticket
from vendors.metrics import METRICS
from vendors.models import Contract, Vendor

# Every figure of the registry is a KPI of the pack; the score has its own summary.
KPI_CODES = [code for code in METRICS if code != "score"]
# The trend charts of the pack, twelve months each (the score's comes first, on its bands).
TREND_CODES = [
    "sla_compliance_pct",
    "response_sla_pct",
    "resolution_sla_pct",
    "csat_pct",
    "fcr_pct",
    "mttr",
    "cost_per_ticket",
]
TREND_MONTHS = 12
TOP_BREACHES = 10
CONTRACT_METRICS = ["service_credit", "cost_per_ticket", "tickets_resolved"]
MONTH_LABEL = re.compile(r"^\d{4}-\d{2}$")


class PackUnavailable(Exception):
    """A pack that cannot be shown, with what to tell the reader and the HTTP status."""

    def __init__(self, title: str, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.title, self.message, self.status = title, message, status


def pack_month_from_label(label: str, *, today: dt.date) -> Period:
    """The month a pack URL names (YYYY-MM); PackUnavailable for a bad or future month."""
    bad = PackUnavailable(
        "Not a month",
        f"{label!r} does not name a month. Pack addresses end in a month written YYYY-MM, "
        "for example 2026-10.",
        status=400,
    )
    if not MONTH_LABEL.match(label or ""):
        raise bad
    try:
        period = period_from_label(label)
    except ValueError:
        raise bad from None
    if period.start > today:
        raise PackUnavailable(
            "Month not started",
            f"{period.label} has not begun yet, so it has no figures and no pack. "
            "Pick a month that has ended.",
        )
    return period


def _d(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def pack_months_for_vendor(*, vendor: Vendor, today: dt.date) -> list[dict]:
    """Months with stored monthly figures for the vendor, newest first, with grade and meeting.

    Two queries: the vendor's monthly scorecards and its meetings.
    """
    cards = (
        scorecards_for_subjects(
            subject_kind="vendor",
            subject_ids=[vendor.pk],
            period_kind=PeriodKind.MONTH.value,
            first=dt.date(1900, 1, 1),
            last=today,
            vendor=vendor,
        )
        or {}
    )
    meetings = {m.month: m for m in ReviewMeeting.objects.filter(vendor=vendor)}
    current = Period.containing(PeriodKind.MONTH, today)
    out = []
    for (_, start), card in sorted(cards.items(), key=lambda kv: kv[0][1], reverse=True):
        period = Period(PeriodKind.MONTH, start)
        out.append(
            {
                "period": period,
                "score": card.score,
                "grade": card.grade,
                "meeting": meetings.get(start),
                "provisional": period == current,
            }
        )
    return out


def pack_for_vendor(*, vendor: Vendor, period: Period, now: dt.datetime | None = None) -> Pack:
    """The review pack of `vendor` for the month `period`, read from stored figures.

    Raises PackUnavailable when the month has no stored figures yet. About a dozen queries,
    none of which grows with the number of tickets.
    """
    now = now or timezone.now()
    if period.kind is not PeriodKind.MONTH:
        raise PackUnavailable("Not a month", "Review packs are monthly.", status=400)
    months = periods_ending(period=period, count=TREND_MONTHS)
    previous = period.previous()
    first = min(months[0].start, previous.start)

    figures = figures_for_subjects(
        subject_kind="vendor",
        subject_ids=[vendor.pk],
        period_kind=PeriodKind.MONTH.value,
        first=first,
        last=period.start,
        vendor=vendor,
    )
    cards = scorecards_for_subjects(
        subject_kind="vendor",
        subject_ids=[vendor.pk],
        period_kind=PeriodKind.MONTH.value,
        first=first,
        last=period.start,
        vendor=vendor,
    )
    card = cards.get((vendor.pk, period.start))
    this_month = {m: f for (_, start, m), f in figures.items() if start == period.start}
    if card is None and not this_month:
        raise PackUnavailable(
            "No figures yet",
            f"{vendor.name} has no stored figures for {period.label} yet, so there is no pack. "
            "Figures appear after the nightly recompute (or a manager's recompute) once the "
            "month's tickets are imported.",
        )
    last_month = {m: f for (_, start, m), f in figures.items() if start == previous.start}
    previous_card = cards.get((vendor.pk, previous.start))

    contracts = list(Contract.objects.filter(vendor=vendor).order_by("name"))
    currencies = sorted({c.currency for c in contracts})
    currency = currencies[0] if len(currencies) == 1 else ""
    targets = _targets(card, contracts)
    bands = bands_by_metric()
    kpis = []
    for code in KPI_CODES:
        m = METRICS[code]
        f, p = this_month.get(code), last_month.get(code)
        target, source = targets.get(code, (None, ""))
        kpis.append(
            KpiRow(
                code=code,
                label=m.label,
                unit=m.unit,
                formula=m.formula,
                better=m.better,
                value=f.value if f else None,
                previous=p.value if p else None,
                target=target,
                target_source=source,
                sample_size=f.sample_size if f else 0,
                low_sample=bool(f and f.low_sample),
                numerator=f.numerator if f else None,
                denominator=f.denominator if f else None,
                ci_low=f.ci_low if f else None,
                ci_high=f.ci_high if f else None,
                excluded=f.excluded if f else 0,
                currency=currency,
                band=bands.get(code),
            )
        )
    by_code = {k.code: k for k in kpis}

    labels = [p.label for p in months]
    trends = []
    for code in TREND_CODES:
        series = [figures.get((vendor.pk, p.start, code)) for p in months]
        kpi = by_code[code]
        trends.append(
            (
                kpi,
                charts.trend_chart(
                    labels,
                    [None if f is None or f.value is None else float(f.value) for f in series],
                    name=kpi.label,
                    unit=kpi.unit if kpi.unit != "currency" else "",
                    target=None if kpi.target is None else float(kpi.target),
                    low_sample=[bool(f and f.low_sample) for f in series],
                    samples=[f.sample_size if f else None for f in series],
                ),
            )
        )
    score_chart = charts.score_history(
        labels,
        {
            vendor.name: [
                None
                if (c := cards.get((vendor.pk, p.start))) is None or c.score is None
                else float(c.score)
                for p in months
            ]
        },
    )

    breaches = breaches_top_for_vendor(vendor=vendor, period=period, now=now)
    technicians = _technicians(vendor, period)
    credits = _credits(vendor, period, contracts)
    vendor_credit = this_month.get("service_credit")
    meetings = {
        m.month: m
        for m in ReviewMeeting.objects.filter(
            vendor=vendor, month__in=[previous.start, period.start]
        ).select_related("created_by", "updated_by")
    }
    carried, new = action_rows_for_pack(vendor=vendor, period=period)
    breached = [by_code["response_sla_pct"], by_code["resolution_sla_pct"]]
    return Pack(
        vendor=vendor,
        period=period,
        previous=previous,
        # Looked up on contents, so freezing the day there (as tests do) freezes it here too.
        provisional=period.end > contents._today(),
        score=card.score if card else None,
        grade=card.grade if card else "",
        previous_score=previous_card.score if previous_card else None,
        previous_grade=previous_card.grade if previous_card else "",
        kpis=kpis,
        trend_labels=labels,
        trends=trends,
        score_chart=score_chart,
        breaches=breaches,
        breaches_total=sum(int((k.denominator or 0) - (k.numerator or 0)) for k in breached),
        technicians=technicians,
        credits=credits,
        credit_total=vendor_credit.value if vendor_credit else None,
        currency=currency,
        meeting=meetings.get(period.start),
        previous_meeting=meetings.get(previous.start),
        carried_actions=carried,
        new_actions=new,
        computed_at=card.computed_at if card else None,
        as_of=now,
        headline={
            code: by_code[code]
            for code in ("sla_compliance_pct", "csat_pct", "fcr_pct", "mttr", "service_credit")
        },
        ratings=ratings_for_month(vendor=vendor, month=period.start),
        ratings_frozen=month_is_closed(vendor=vendor, month=period.start),
    )


def _targets(card, contracts: list[Contract]) -> dict[str, tuple[Decimal, str]]:
    """Each KPI's target: the score's full marks where it is scored, else the line where the
    contract's credit tiers start to bite (when every contract draws it in the same place)."""
    out: dict[str, tuple[Decimal, str]] = {}
    thresholds = credit_thresholds_for_contracts(
        contract_ids=[c.pk for c in contracts], metrics=KPI_CODES
    )
    by_metric: dict[str, set[Decimal]] = {}
    for (_, code), threshold in thresholds.items():
        by_metric.setdefault(code, set()).add(threshold)
    for code, values in by_metric.items():
        if len(values) == 1:
            out[code] = (next(iter(values)), "credit")
    for code, t in ((card.targets if card else None) or {}).items():
        if isinstance(t, dict) and t.get("target") is not None:
            out[code] = (_d(t["target"]), "score")
    return out


def breaches_top_for_vendor(
    *, vendor: Vendor, period: Period, now: dt.datetime, limit: int = TOP_BREACHES
) -> list[BreachRow]:
    """The month's breaches that were latest, response and resolution alike.

    A breach belongs to the month its due time passed (METRICS.md); lateness is wall-clock
    time from the due time to the response or resolution, or to `now` while still missing.
    Accepted disputes are left out, as in the SLA figures. Two queries, each bounded by the
    (vendor, outcome time) index and limited.
    """
    lo, hi = period.bounds(settings.REPORTING_TIME_ZONE)
    rows: list[BreachRow] = []
    for target, done in (("response", "first_response_at"), ("resolution", "resolved_at")):
        due = f"{target}_due_at"
        late = ExpressionWrapper(
            Coalesce(F(done), Value(now, output_field=DateTimeField())) - F(due),
            output_field=DurationField(),
        )
        open_dispute = Dispute.objects.filter(
            ticket=OuterRef("pk"), target=target, status=Dispute.Status.OPEN
        )
        qs = (
            Ticket.objects.filter(
                vendor=vendor,
                **{
                    f"{target}_outcome_at__gte": lo,
                    f"{target}_outcome_at__lt": hi,
                    f"{target}_met": False,
                    f"{target}_excluded": False,
                },
            )
            .annotate(late=late, disputed=Exists(open_dispute))
            .only("id", "external_id", "title", "priority", due, done)
            .order_by("-late", "pk")[:limit]
        )
        for t in qs:
            rows.append(
                BreachRow(
                    ticket_id=t.pk,
                    external_id=t.external_id,
                    title=t.title,
                    priority=t.priority,
                    target=target,
                    due_at=getattr(t, due),
                    done_at=getattr(t, done),
                    late=t.late,
                    disputed=t.disputed,
                )
            )
    rows.sort(key=lambda r: (-r.late, r.ticket_id, r.target))
    return rows[:limit]


def _technicians(vendor: Vendor, period: Period) -> list[TechnicianRow]:
    """Every technician with figures in the month, by name (a table, not a ranking)."""
    figures = technician_figures_for_vendor(
        vendor=vendor, period=period, metrics=TECHNICIAN_METRICS
    )
    ids = sorted({subject_id for subject_id, _, _ in figures})
    if not ids:
        return []
    names = {t.pk: t.name for t in technicians_for_vendor(vendor=vendor)}
    cards = scorecards_for_subjects(
        subject_kind="technician",
        subject_ids=ids,
        period_kind=PeriodKind.MONTH.value,
        first=period.start,
        last=period.start,
        vendor=vendor,
    )
    rows = []
    for tech_id in ids:
        card = cards.get((tech_id, period.start))
        rows.append(
            TechnicianRow(
                technician_id=tech_id,
                name=names.get(tech_id, f"Technician #{tech_id}"),
                figures={m: f for (sid, _, m), f in figures.items() if sid == tech_id},
                score=card.score if card else None,
                grade=card.grade if card else "",
            )
        )
    rows.sort(key=lambda r: r.name.lower())
    return rows


def _credits(vendor: Vendor, period: Period, contracts: list[Contract]) -> list[CreditRow]:
    if not contracts:
        return []
    figures = figures_for_subjects(
        subject_kind="contract",
        subject_ids=[c.pk for c in contracts],
        period_kind=PeriodKind.MONTH.value,
        first=period.start,
        last=period.start,
        metrics=CONTRACT_METRICS,
        vendor=vendor,
    )
    rows = []
    for contract in contracts:
        credit = figures.get((contract.pk, period.start, "service_credit"))
        cost = figures.get((contract.pk, period.start, "cost_per_ticket"))
        detail = (credit.detail if credit else None) or {}
        rows.append(
            CreditRow(
                contract=contract,
                credit=credit.value if credit else None,
                credit_pct=_d(detail.get("pct")),
                per_metric=detail.get("per_metric") or {},
                # cost per ticket keeps the month's invoiced amount as its numerator.
                invoiced=cost.numerator if cost else None,
            )
        )
    return rows


def action_rows_for_pack(*, vendor: Vendor, period: Period) -> tuple[list[ActionRow], list]:
    """The items a month's pack shows: those carried from earlier meetings that were still
    open when the month began (or closed during it), and those raised at this meeting."""
    items = (
        ActionItem.objects.filter(vendor=vendor, raised_month__lte=period.start)
        .filter(Q(closed_month__isnull=True) | Q(closed_month__gte=period.start))
        .select_related("owner_user", "vendor")
        .order_by("raised_month", "due_on", "pk")
    )
    carried, new = [], []
    for item in items:
        later = item.closed_month is not None and item.closed_month > period.start
        row = ActionRow(
            item=item,
            carried=item.raised_month < period.start,
            # Closed in a later month: this pack still saw it open.
            status_in_pack="open" if later and item.status in ActionItem.CLOSED_STATUSES else "",
            closed_later=f"{item.closed_month:%Y-%m}" if later else "",
        )
        row.status_in_pack = row.status_in_pack or item.status
        (carried if row.carried else new).append(row)
    return carried, new
