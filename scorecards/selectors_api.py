"""Reads for the REST API about stored figures: scorecards with their metrics, service
credits, cost per ticket, savings, alerts and review-pack action items; and the breaches
with their disputes.

Everything reads MetricValue / Scorecard rows (and invoices for savings), never tickets, and
starts from the vendors the user may see (`vendors.selectors`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch, QuerySet, Sum
from django.db.models.fields.json import KeyTextTransform

from common.periods import Period, PeriodKind, add_months
from scorecards.models import (
    ActionItem,
    Alert,
    Dispute,
    MetricValue,
    Scorecard,
    SubjectKind,
)
from scorecards.savings import WINDOWS as SAVINGS_WINDOWS
from scorecards.savings import Savings
from tickets.models import Ticket
from tickets.selectors_api import BREACHED, tickets_for_api
from vendors.models import Contract, Invoice, Technician, Vendor
from vendors.selectors import vendor_ids_visible_to, vendor_scope_q


def scorecards_for_api(*, user) -> QuerySet[Scorecard]:
    return Scorecard.objects.filter(vendor_scope_q(user)).order_by(
        "-period_start", "subject_kind", "subject_id"
    )


METRIC_COLUMNS = (
    "subject_kind",
    "subject_id",
    "period_kind",
    "period_start",
    "metric",
    "value",
    "numerator",
    "denominator",
    "ci_low",
    "ci_high",
    "sample_size",
    "low_sample",
    "excluded",
    "currency",  # detail->>'currency': the one part of `detail` the API shows
)


def metric_values_for_scorecards(
    *, scorecards: Iterable[Scorecard], metrics: Iterable[str] | None = None
) -> dict[tuple[str, int, str, dt.date], list[dict]]:
    """The metric figures of these scorecards as plain dicts (METRIC_COLUMNS), by (subject
    kind, id, period kind, start): one query for a page, however many scorecards it holds."""
    cards = list(scorecards)
    if not cards:
        return {}
    rows = MetricValue.objects.filter(
        vendor_id__in={c.vendor_id for c in cards},
        subject_kind__in={c.subject_kind for c in cards},
        subject_id__in={c.subject_id for c in cards},
        period_kind__in={c.period_kind for c in cards},
        period_start__in={c.period_start for c in cards},
    ).order_by()
    if metrics:
        rows = rows.filter(metric__in=list(metrics))
    wanted = {(c.subject_kind, c.subject_id, c.period_kind, c.period_start) for c in cards}
    out: dict[tuple[str, int, str, dt.date], list[dict]] = defaultdict(list)
    # Reading the currency alone spares decoding every figure's JSON detail.
    rows = rows.annotate(currency=KeyTextTransform("currency", "detail"))
    for values in rows.values_list(*METRIC_COLUMNS):
        key = values[:4]
        if key in wanted:
            out[key].append(dict(zip(METRIC_COLUMNS, values, strict=True)))
    for figures in out.values():
        figures.sort(key=lambda f: f["metric"])
    return out


def subject_names(*, subjects: Iterable[tuple[str, int]]) -> dict[tuple[str, int], str]:
    """Names of vendors, contracts and technicians: one query per kind present."""
    ids: dict[str, set[int]] = defaultdict(set)
    for kind, subject_id in subjects:
        ids[kind].add(subject_id)
    models = {
        SubjectKind.VENDOR: Vendor,
        SubjectKind.CONTRACT: Contract,
        SubjectKind.TECHNICIAN: Technician,
    }
    out = {}
    for kind, wanted in ids.items():
        for pk, name in models[kind].objects.filter(pk__in=wanted).values_list("pk", "name"):
            out[(kind, pk)] = name
    return out


def contract_currencies(*, contract_ids: Iterable[int]) -> dict[int, str]:
    return dict(Contract.objects.filter(pk__in=set(contract_ids)).values_list("pk", "currency"))


def metric_rows_for_api(*, user, metric: str) -> QuerySet[MetricValue]:
    """Stored rows of one metric (service_credit, cost_per_ticket) of the visible vendors."""
    return (
        MetricValue.objects.filter(vendor_scope_q(user), metric=metric)
        .select_related("vendor")
        .order_by("-period_start", "vendor_id", "subject_kind", "subject_id")
    )


def alerts_for_api(*, user) -> QuerySet[Alert]:
    return (
        Alert.objects.filter(vendor_id__in=vendor_ids_visible_to(user))
        .select_related("ticket")
        .order_by("-created_at", "-pk")
    )


def action_items_for_api(*, user) -> QuerySet[ActionItem]:
    return (
        ActionItem.objects.filter(vendor_id__in=vendor_ids_visible_to(user))
        .select_related("vendor", "owner_user")
        .order_by("-raised_month", "due_on", "pk")
    )


def disputes_for_api(*, user) -> QuerySet[Dispute]:
    """Disputes of the vendors the user may see, newest first."""
    return (
        Dispute.objects.filter(ticket__vendor_id__in=vendor_ids_visible_to(user))
        .select_related("ticket", "raised_by", "decided_by")
        .order_by("-raised_at", "-pk")
    )


def contracts_for_savings(*, user) -> QuerySet[Contract]:
    return (
        Contract.objects.filter(vendor_id__in=vendor_ids_visible_to(user))
        .select_related("vendor")
        .order_by("vendor__name", "name", "pk")
    )


@dataclass
class SavingsWindow(Savings):
    """Savings over the `months` ending with `last_month` (scorecards.savings has the rule)."""

    months: int = 0
    first_month: dt.date | None = None
    last_month: dt.date | None = None


@dataclass
class ContractSavings:
    contract: Contract
    as_of: dt.date
    windows: list[SavingsWindow] = field(default_factory=list)


def savings_for_contracts(
    *, contracts: Iterable[Contract], as_of: dt.date
) -> list[ContractSavings]:
    """Savings against each contract's in-house baseline over the 6, 12 and 24 months ending
    with the month `as_of`, from stored invoices and stored service credits (two queries).

    The rule (only invoiced months count, on both sides) is scorecards.savings'.
    """
    contracts = list(contracts)
    last = Period.containing(PeriodKind.MONTH, as_of).start
    first = add_months(last, 1 - max(SAVINGS_WINDOWS))
    ids = [c.pk for c in contracts]
    invoiced: dict[tuple[int, dt.date], Decimal] = {}
    for row in (
        Invoice.objects.filter(contract_id__in=ids, period_start__gte=first, period_start__lte=last)
        .values("contract_id", "period_start")
        .annotate(amount=Sum("amount"))
        .order_by()
    ):
        month = Period.containing(PeriodKind.MONTH, row["period_start"]).start
        key = (row["contract_id"], month)
        invoiced[key] = invoiced.get(key, Decimal(0)) + row["amount"]
    credits = {
        (row["subject_id"], row["period_start"]): row["value"] or Decimal(0)
        for row in MetricValue.objects.filter(
            subject_kind=SubjectKind.CONTRACT,
            subject_id__in=ids,
            period_kind=PeriodKind.MONTH,
            metric="service_credit",
            period_start__gte=first,
            period_start__lte=last,
        ).values("subject_id", "period_start", "value")
    }
    out = []
    for contract in contracts:
        result = ContractSavings(contract, last)
        for months in SAVINGS_WINDOWS:
            window = SavingsWindow(
                contract.inhouse_monthly_cost,
                months=months,
                first_month=add_months(last, 1 - months),
                last_month=last,
            )
            for (cid, month), amount in invoiced.items():
                if cid == contract.pk and window.first_month <= month <= last:
                    window.add_month(amount, credits.get((cid, month)))
            result.windows.append(window)
        out.append(result)
    return out


def breaches_for_api(*, user) -> QuerySet[Ticket]:
    """Tickets with a breached response or resolution, with their disputes (one query)."""
    return (
        tickets_for_api(user=user)
        .filter(BREACHED)
        .prefetch_related(
            Prefetch("disputes", queryset=Dispute.objects.order_by("-raised_at", "-pk"))
        )
    )
