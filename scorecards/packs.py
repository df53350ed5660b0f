"""Monthly review packs: what a vendor's pack holds, and the ways it leaves the building.

- Reads (selectors): `pack_for_vendor` assembles a pack from stored figures only (MetricValue
  and Scorecard rows, plus two bounded ticket queries for the top breaches), in a fixed number
  of queries whatever the data size.
- Outputs: `pack_xlsx_bytes` (one sheet per table), `pack_print_html` + `pdf_renderer` (headless
  Chromium through Playwright, everything inlined so no login or network is needed).
- Writes (services): meeting notes and action items, and `packs_email_monthly`, which e-mails
  each active vendor's pack once per month.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
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
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from common.exports import neutralise
from common.periods import Period, PeriodKind, period_from_label
from common.roles import MANAGER, VENDOR
from scorecards import charts
from scorecards.models import ActionItem, Dispute, MetricValue, PackDelivery, ReviewMeeting
from scorecards.savings import Savings
from scorecards.selectors import (
    credit_thresholds_for_contracts,
    figures_for_subjects,
    periods_ending,
    scorecards_for_subjects,
    technician_figures_for_vendor,
    technicians_for_vendor,
)
from tickets.models import Ticket
from vendors.metrics import METRICS, Better
from vendors.models import Contract, Vendor, public_holidays

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
TECHNICIAN_METRICS = [
    "tickets_resolved",
    "sla_compliance_pct",
    "response_time_p50",
    "mttr",
    "fcr_pct",
    "reopen_pct",
    "csat_pct",
]
CONTRACT_METRICS = ["service_credit", "cost_per_ticket", "tickets_resolved"]
# A run that claimed a delivery and died leaves the claim; another run may take it after this.
CLAIM_TIMEOUT = dt.timedelta(hours=1)
MONTH_LABEL = re.compile(r"^\d{4}-\d{2}$")


class PackUnavailable(Exception):
    """A pack that cannot be shown, with what to tell the reader and the HTTP status."""

    def __init__(self, title: str, message: str, status: int = 404) -> None:
        super().__init__(message)
        self.title, self.message, self.status = title, message, status


class PdfUnavailable(RuntimeError):
    """Chromium is not installed (or would not start): no server-side PDF."""


# ---------------------------------------------------------------------------------------------
# Reads


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


def fmt(value, unit: str = "", places: int = 1, currency: str = "") -> str:
    """A figure as the pack prints it: 93.1 %, 4.2 hours, 12.50 GBP; a dash for no data."""
    if value is None:
        return "–"
    text = f"{Decimal(value):,.{places}f}"
    if unit == "%":
        return f"{text} %"
    if unit == "currency":
        return f"{text} {currency}".rstrip()
    if unit in ("minutes", "hours"):
        return f"{text} {unit}"
    return text


@dataclass
class KpiRow:
    code: str
    label: str
    unit: str
    formula: str
    better: str
    value: Decimal | None
    previous: Decimal | None
    target: Decimal | None
    target_source: str  # "score" (full marks) or "credit" (the mildest credit tier's threshold)
    sample_size: int
    low_sample: bool
    numerator: Decimal | None = None
    denominator: Decimal | None = None
    ci_low: Decimal | None = None
    ci_high: Decimal | None = None
    excluded: int = 0
    currency: str = ""

    @property
    def places(self) -> int:
        if self.unit == "tickets" and self.code in ("tickets_created", "tickets_resolved"):
            return 0
        if self.code == "backlog":
            return 0
        return 2 if self.unit in ("currency", "score") else 1

    def _fmt(self, value, signed: bool = False) -> str:
        text = fmt(value, self.unit, self.places, self.currency)
        return f"+{text}" if signed and value is not None and value > 0 else text

    @property
    def value_text(self) -> str:
        return self._fmt(self.value)

    @property
    def previous_text(self) -> str:
        return self._fmt(self.previous)

    @property
    def target_text(self) -> str:
        return self._fmt(self.target)

    @property
    def delta_text(self) -> str:
        return self._fmt(self.delta, signed=True)

    @property
    def ci_text(self) -> str:
        if self.ci_low is None or self.ci_high is None:
            return ""
        return f"95% interval {self.ci_low:.1f}..{self.ci_high:.1f} %"

    @property
    def met(self) -> bool | None:
        """Against its target; None with no target, no value, or too few tickets to judge."""
        if self.value is None or self.target is None or self.low_sample:
            return None
        if self.better == Better.HIGHER:
            return self.value >= self.target
        if self.better == Better.LOWER:
            return self.value <= self.target
        return None

    @property
    def delta(self) -> Decimal | None:
        """The change since last month, rounded as shown (so -0.04 % is no change, not -0.0)."""
        if self.value is None or self.previous is None:
            return None
        delta = round(self.value - self.previous, self.places)
        return delta if delta else Decimal(0)

    @property
    def improved(self) -> bool | None:
        """Better than last month (None when unchanged or the metric has no direction)."""
        delta = self.delta
        if not delta or self.better == Better.NEITHER:
            return None
        return (delta > 0) == (self.better == Better.HIGHER)


@dataclass
class BreachRow:
    ticket_id: int
    external_id: str
    title: str
    priority: str
    target: str  # response | resolution
    due_at: dt.datetime
    done_at: dt.datetime | None  # None: still not responded / resolved
    late: dt.timedelta
    disputed: bool

    @property
    def late_hours(self) -> float:
        return round(self.late.total_seconds() / 3600, 2)

    @property
    def late_text(self) -> str:
        minutes = max(int(self.late.total_seconds() // 60), 0)
        days, rest = divmod(minutes, 24 * 60)
        hours, minutes = divmod(rest, 60)
        if days:
            return f"{days} d {hours} h"
        return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


@dataclass
class TechnicianRow:
    technician_id: int
    name: str
    figures: dict[str, MetricValue]
    score: Decimal | None
    grade: str

    def value(self, code: str) -> Decimal | None:
        figure = self.figures.get(code)
        return None if figure is None else figure.value

    @property
    def cells(self) -> list[tuple[str, MetricValue | None, str]]:
        """(code, stored figure, the figure as printed) for each column of the table."""
        out = []
        for code in TECHNICIAN_METRICS:
            f = self.figures.get(code)
            places = 0 if code == "tickets_resolved" else 1
            out.append((code, f, fmt(f.value if f else None, METRICS[code].unit, places)))
        return out

    @property
    def low_sample(self) -> bool:
        return any(f.low_sample for f in self.figures.values())


@dataclass
class CreditRow:
    contract: Contract
    credit: Decimal | None
    credit_pct: Decimal | None
    per_metric: dict[str, str]
    invoiced: Decimal | None

    @cached_property
    def month(self) -> Savings | None:
        """The month against the in-house baseline; None if it was not invoiced."""
        if self.invoiced is None:
            return None
        month = Savings(self.contract.inhouse_monthly_cost)
        month.add_month(self.invoiced, self.credit)
        return month

    @property
    def net_cost(self) -> Decimal | None:
        return self.month.net_cost if self.month else None

    @property
    def inhouse(self) -> Decimal | None:
        return self.contract.inhouse_monthly_cost

    @property
    def savings(self) -> Decimal | None:
        return self.month.savings if self.month else None


@dataclass
class ActionRow:
    item: ActionItem
    carried: bool  # raised at an earlier meeting
    status_in_pack: str  # the status as this pack sees it
    closed_later: str  # "2026-12" when it was closed after this pack's month

    @property
    def overdue(self) -> bool:
        return bool(self.item.due_on and not self.item.is_closed and self.item.due_on < _today())


@dataclass
class Pack:
    vendor: Vendor
    period: Period
    previous: Period
    provisional: bool  # the month has not ended yet
    score: Decimal | None
    grade: str
    previous_score: Decimal | None
    previous_grade: str
    kpis: list[KpiRow]
    trend_labels: list[str]
    trends: list[tuple[KpiRow, object]]  # (the KPI, its Plotly figure)
    score_chart: object
    breaches: list[BreachRow]
    breaches_total: int
    technicians: list[TechnicianRow]
    credits: list[CreditRow]
    credit_total: Decimal | None
    currency: str
    meeting: ReviewMeeting | None
    previous_meeting: ReviewMeeting | None
    carried_actions: list[ActionRow]
    new_actions: list[ActionRow]
    computed_at: dt.datetime | None
    as_of: dt.datetime
    headline: dict[str, KpiRow] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return self.period.label

    @property
    def technician_metrics(self) -> list[str]:
        return TECHNICIAN_METRICS

    @property
    def savings_total(self) -> Decimal | None:
        known = [c.savings for c in self.credits if c.savings is not None]
        return sum(known, Decimal(0)) if known else None

    @property
    def invoiced_total(self) -> Decimal | None:
        known = [c.invoiced for c in self.credits if c.invoiced is not None]
        return sum(known, Decimal(0)) if known else None


def _today() -> dt.date:
    return timezone.now().astimezone(ZoneInfo(settings.REPORTING_TIME_ZONE)).date()


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
        provisional=period.end > _today(),
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


# ---------------------------------------------------------------------------------------------
# XLSX


def xlsx_safe(value):
    """A cell value a spreadsheet will never run: text that could start a formula (or a DDE
    payload) gets a leading apostrophe; numbers stay numbers, aware times become local."""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        zone = ZoneInfo(settings.REPORTING_TIME_ZONE)
        return value.astimezone(zone).replace(tzinfo=None) if value.tzinfo else value
    return value


def pack_tables(pack: Pack, *, link_base: str = "") -> dict[str, list[list]]:
    """The pack's tables as rows (header first): what the XLSX workbook holds."""
    zone = settings.REPORTING_TIME_ZONE
    kpis = [
        [
            "Metric",
            "Code",
            "Unit",
            f"{pack.label}",
            "Target",
            "Against target",
            f"{pack.previous.label}",
            "Change",
            "Sample size",
            "Low sample",
            "95% CI low",
            "95% CI high",
            "Definition",
        ]
    ]
    for k in pack.kpis:
        kpis.append(
            [
                k.label,
                k.code,
                pack.currency if k.unit == "currency" else k.unit,
                k.value,
                k.target,
                {True: "met", False: "missed"}.get(k.met, ""),
                k.previous,
                k.delta,
                k.sample_size,
                "low sample" if k.low_sample else "",
                k.ci_low,
                k.ci_high,
                k.formula,
            ]
        )
    breaches = [
        [
            "Ticket",
            "Title",
            "Priority",
            "Target",
            f"Due ({zone})",
            f"Done ({zone})",
            "Hours late",
            "Disputed",
            "Link",
        ]
    ]
    for b in pack.breaches:
        link = ""
        if link_base:
            try:
                link = link_base.rstrip("/") + reverse("ticket", args=[b.ticket_id])
            except Exception:  # the ticket page may not be routed in every deployment
                link = ""
        breaches.append(
            [
                b.external_id,
                b.title,
                b.priority,
                b.target,
                b.due_at,
                b.done_at if b.done_at else "still open",
                b.late_hours,
                "open dispute" if b.disputed else "",
                link,
            ]
        )
    techs = [["Technician", *(METRICS[c].label for c in TECHNICIAN_METRICS), "Score", "Grade"]]
    for t in pack.technicians:
        techs.append(
            [t.name, *(t.value(c) for c in TECHNICIAN_METRICS), t.score, t.grade or "no grade"]
        )
    credits = [
        [
            "Contract",
            "Currency",
            "Monthly fee",
            "Invoiced",
            "Credit %",
            "Credit owed",
            "Net cost",
            "In-house cost",
            "Savings",
        ]
    ]
    for c in pack.credits:
        credits.append(
            [
                c.contract.name,
                c.contract.currency,
                c.contract.monthly_fee,
                c.invoiced,
                c.credit_pct,
                c.credit,
                c.net_cost,
                c.inhouse,
                c.savings,
            ]
        )
    actions = [
        [
            "Raised",
            "Title",
            "Owner",
            "Owned by vendor",
            "Due",
            "Status",
            "Closed in",
            "Notes",
            "Carried over",
        ]
    ]
    for row in [*pack.carried_actions, *pack.new_actions]:
        item = row.item
        actions.append(
            [
                f"{item.raised_month:%Y-%m}",
                item.title,
                item.owner_label,
                "yes" if item.vendor_owned else "no",
                item.due_on,
                ActionItem.Status(row.status_in_pack).label,
                f"{item.closed_month:%Y-%m}" if item.closed_month else "",
                item.notes,
                "yes" if row.carried else "no",
            ]
        )
    return {
        "KPIs": kpis,
        "Breaches": breaches,
        "Technicians": techs,
        "Credits": credits,
        "Action items": actions,
    }


def pack_xlsx_bytes(pack: Pack, *, link_base: str = "") -> bytes:
    """The pack's tables as a workbook: one sheet each, bold headers, numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for title, rows in pack_tables(pack, link_base=link_base).items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append([xlsx_safe(v) for v in row])
        for cell in sheet[1]:
            cell.font = bold
        sheet.freeze_panes = "A2"
        for i, header in enumerate(rows[0], start=1):
            width = max([len(str(header))] + [len(str(r[i - 1] or "")) for r in rows[1:]])
            sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 10), 60)
    workbook.properties.title = f"{pack.vendor.name} review pack {pack.label}"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# PDF


def site_url() -> str:
    return getattr(settings, "SITE_URL", "http://localhost:8000").rstrip("/")


def chromium_path() -> str | None:
    return (
        getattr(settings, "CHROMIUM_PATH", None)
        or shutil.which("chromium")
        or shutil.which("chromium-browser")
    )


def _static_text(path: str, *, script: bool = True) -> str:
    found = finders.find(path)
    if not found:
        raise PdfUnavailable(f"The static file {path} is missing; run from a full checkout.")
    text = Path(found).read_text(encoding="utf-8")
    # A closing tag inside inlined code would end the <script> element early.
    return text.replace("</", "<\\/") if script else text


def pack_print_html(pack: Pack, *, link_base: str | None = None) -> str:
    """The pack as one self-contained HTML document: CSS, plotly.js and charts.js inlined, so
    a browser with no login and no network draws it exactly as the page does."""
    return render_to_string(
        "scorecards/pack_print.html",
        {
            "pack": pack,
            "printable": True,
            "link_base": site_url() if link_base is None else link_base,
            "inline_css": _static_text("css/vendorscore.css", script=False),
            "inline_plotly": _static_text("plotly/plotly.min.js"),
            "inline_charts": _static_text("js/charts.js"),
            "REPORTING_TIME_ZONE": settings.REPORTING_TIME_ZONE,
        },
    )


# Every chart placeholder holds a drawn Plotly SVG.
_CHARTS_DRAWN = """() => Array.from(document.querySelectorAll('[data-figure]'))
    .every(el => el.querySelector('svg.main-svg'))"""
# A4 is 210 mm wide; with 10 mm margins the text is 190 mm = 718 CSS px: draw charts that wide.
_PRINT_WIDTH_PX = 718


@contextmanager
def pdf_renderer(*, timeout_ms: int = 30_000) -> Iterator[Callable[[str], bytes]]:
    """One headless Chromium for a batch of packs: `render(html) -> PDF bytes`.

    PdfUnavailable when Chromium is missing or will not start.
    """
    path = chromium_path()
    if not path or not Path(path).exists():
        raise PdfUnavailable(
            "Chromium is not installed on the server (set CHROMIUM_PATH or install the "
            "chromium package)."
        )
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch(executable_path=path, headless=True)
        except PlaywrightError as exc:
            raise PdfUnavailable(f"Chromium at {path} would not start: {exc}") from exc
        try:

            def render(html: str) -> bytes:
                page = browser.new_page(viewport={"width": _PRINT_WIDTH_PX, "height": 1000})
                try:
                    page.set_default_timeout(timeout_ms)
                    # Print media before the charts draw, so each is drawn to its printed width.
                    page.emulate_media(media="print")
                    page.set_content(html, wait_until="load")
                    page.wait_for_function(_CHARTS_DRAWN)
                    return page.pdf(
                        format="A4",
                        print_background=True,
                        margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"},
                    )
                finally:
                    page.close()

            yield render
        finally:
            browser.close()


def pack_pdf_bytes(pack: Pack) -> bytes:
    with pdf_renderer() as render:
        return render(pack_print_html(pack))


# ---------------------------------------------------------------------------------------------
# Writes: meeting notes and action items


def _month_start(period: Period) -> dt.date:
    if period.kind is not PeriodKind.MONTH:
        raise ValidationError("Review meetings are monthly.")
    return period.start


def meeting_get_or_create(
    *, vendor: Vendor, period: Period, user=None, now: dt.datetime | None = None
) -> ReviewMeeting:
    now = now or timezone.now()
    meeting, _ = ReviewMeeting.objects.get_or_create(
        vendor=vendor,
        month=_month_start(period),
        defaults={"created_at": now, "created_by": user, "updated_at": now, "updated_by": user},
    )
    return meeting


@transaction.atomic
def meeting_save_notes(
    *,
    vendor: Vendor,
    period: Period,
    held_on: dt.date | None,
    attendees: str,
    notes: str,
    user,
    now: dt.datetime | None = None,
) -> ReviewMeeting:
    now = now or timezone.now()
    meeting = meeting_get_or_create(vendor=vendor, period=period, user=user, now=now)
    meeting.held_on = held_on
    meeting.attendees = attendees.strip()
    meeting.notes = notes.strip()
    meeting.updated_at, meeting.updated_by = now, user
    meeting.save()
    return meeting


@transaction.atomic
def action_item_add(
    *,
    vendor: Vendor,
    period: Period,
    title: str,
    owner_name: str = "",
    owner_user=None,
    vendor_owned: bool = False,
    due_on: dt.date | None = None,
    notes: str = "",
    user,
    now: dt.datetime | None = None,
) -> ActionItem:
    """A new action item raised at `period`'s meeting (the meeting is created if need be)."""
    now = now or timezone.now()
    title = title.strip()
    if not title:
        raise ValidationError({"title": "Say what is to be done."})
    if owner_user is not None and getattr(owner_user, "vendor_membership", None) is not None:
        if owner_user.vendor_membership.vendor_id != vendor.pk:
            raise ValidationError({"owner_user": "That user works for another vendor."})
        vendor_owned = True  # the vendor's own staff own it: the vendor may report progress
    meeting = meeting_get_or_create(vendor=vendor, period=period, user=user, now=now)
    return ActionItem.objects.create(
        vendor=vendor,
        meeting=meeting,
        raised_month=meeting.month,
        title=title,
        owner_name=owner_name.strip(),
        owner_user=owner_user,
        vendor_owned=vendor_owned,
        due_on=due_on,
        notes=notes.strip(),
        created_at=now,
        created_by=user,
        updated_at=now,
        updated_by=user,
    )


# What a vendor's user may move its own items to: dropping one is the manager's decision.
VENDOR_STATUSES = (
    ActionItem.Status.OPEN,
    ActionItem.Status.IN_PROGRESS,
    ActionItem.Status.DONE,
)


def action_item_check_may_set(*, item: ActionItem, role: str | None, status: str) -> None:
    """PermissionDenied, saying why, unless `role` may move `item` to `status`: a manager any
    item to any status; a vendor's user only items its vendor owns, and never to dropped;
    finance reads packs and changes nothing."""
    if role == MANAGER:
        return
    if role == VENDOR:
        if not item.vendor_owned:
            raise PermissionDenied("Only the vendor's own action items can be updated by it.")
        if status not in VENDOR_STATUSES:
            raise PermissionDenied("Dropping an action item is a manager's decision.")
        return
    raise PermissionDenied("Finance reads packs; it does not change them.")


def action_item_set_status(
    *,
    item: ActionItem,
    status: str,
    user,
    period: Period | None = None,
    notes: str | None = None,
    now: dt.datetime | None = None,
) -> ActionItem:
    """Moves an item to `status`. Done or dropped closes it in `period`'s pack (the pack it
    was reviewed in; by default the last complete month), so later packs no longer carry it."""
    now = now or timezone.now()
    if status not in ActionItem.Status.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    item.status = status
    if status in ActionItem.CLOSED_STATUSES:
        if item.closed_month is None or period is not None:
            month = (
                _month_start(period)
                if period is not None
                else Period.containing(PeriodKind.MONTH, _today()).previous().start
            )
            item.closed_month = max(month, item.raised_month)
    else:
        item.closed_month = None
    if notes is not None:
        item.notes = notes.strip()
    item.updated_at, item.updated_by = now, user
    item.save(
        update_fields=["status", "closed_month", "notes", "updated_at", "updated_by"],
    )
    return item


# ---------------------------------------------------------------------------------------------
# Scheduled delivery


def first_working_day(year: int, month: int, *, holidays: frozenset[dt.date] = frozenset()):
    day = dt.date(year, month, 1)
    while day.weekday() >= 5 or day in holidays:
        day += dt.timedelta(days=1)
    return day


def _pack_holidays(year: int) -> frozenset[dt.date]:
    """Public holidays that move the delivery day, when a country is configured."""
    country = getattr(settings, "PACKS_HOLIDAY_COUNTRY", "")
    if not country:
        return frozenset()
    region = getattr(settings, "PACKS_HOLIDAY_SUBDIVISION", "")
    return frozenset(public_holidays(country, region, [year]))


def manager_emails() -> list[str]:
    return sorted(
        set(
            get_user_model()
            .objects.filter(groups__name=MANAGER, is_active=True)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    )


class PackDeliveryError(RuntimeError):
    """Some packs could not be sent; the rest were. The next run retries the failed ones."""


def packs_email_monthly(*, today: dt.date, now: dt.datetime | None = None) -> list[PackDelivery]:
    """On the first working day of a month (or a later day of it, should a run have been
    missed), e-mails every active vendor's pack of the month before: PDF attached, link to
    the page, to the vendor's contact and the managers. Once per vendor and month: each
    delivery is claimed before it is sent and stamped after, so reruns and overlapping runs
    send nothing twice. A vendor without figures for the month is left for a later run.
    """
    now = now or timezone.now()
    if today < first_working_day(today.year, today.month, holidays=_pack_holidays(today.year)):
        return []
    period = Period.containing(PeriodKind.MONTH, today).previous()
    managers = manager_emails()
    sent: list[PackDelivery] = []
    failures: list[str] = []
    with ExitStack() as stack:
        render = None
        for vendor in Vendor.objects.filter(active=True).order_by("name"):
            delivery, _ = PackDelivery.objects.get_or_create(vendor=vendor, month=period.start)
            if delivery.sent_at is not None:
                continue
            claimed = (
                PackDelivery.objects.filter(pk=delivery.pk, sent_at__isnull=True)
                .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
                .update(claimed_at=now)
            )
            if not claimed:
                continue  # another run is sending it
            release = PackDelivery.objects.filter(pk=delivery.pk)
            to = [vendor.contact_email] if vendor.contact_email else []
            cc = [m for m in managers if m not in to]
            if not to:
                to, cc = cc, []
            if not to:
                release.update(claimed_at=None, error="Nobody to send it to.")
                continue
            try:
                pack = pack_for_vendor(vendor=vendor, period=period, now=now)
            except PackUnavailable as exc:
                release.update(claimed_at=None, error=exc.message)
                continue
            try:
                if render is None:
                    render = stack.enter_context(pdf_renderer())
                pdf = render(pack_print_html(pack))
                _send_pack(pack, pdf, to=to, cc=cc)
            except Exception as exc:  # noqa: BLE001 - one vendor's failure must not stop the rest
                release.update(claimed_at=None, error=f"{type(exc).__name__}: {exc}")
                failures.append(f"{vendor.name}: {exc}")
                if isinstance(exc, PdfUnavailable):
                    break  # no point trying the others
                continue
            release.update(sent_at=now, claimed_at=None, recipients=to + cc, error="")
            delivery.refresh_from_db()
            sent.append(delivery)
    if failures:
        raise PackDeliveryError(f"{len(sent)} pack(s) sent; not sent: " + "; ".join(failures))
    return sent


def _send_pack(pack: Pack, pdf: bytes, *, to: list[str], cc: list[str]) -> None:
    link = site_url() + reverse("pack", args=[pack.vendor.slug, pack.label])
    month = f"{pack.period.start:%B %Y}"
    grade = pack.grade or "no grade"
    score = "no score" if pack.score is None else f"{pack.score:.1f} points"
    body = render_to_string(
        "scorecards/pack_email.txt",
        {"pack": pack, "link": link, "month": month, "grade": grade, "score": score},
    )
    message = EmailMessage(
        subject=f"[VendorScore] {pack.vendor.name}: review pack for {month} (grade {grade})",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        cc=cc,
    )
    message.attach(f"vendorscore-{pack.vendor.slug}-{pack.label}.pdf", pdf, "application/pdf")
    message.send(fail_silently=False)
