"""Finance's monthly pull (issue 6): with an API token alone, last month's service credits and
cost per ticket for every vendor as CSV and XLSX, each figure the one the nightly run stored.

The figures come from a real recompute of a small hand-timed world (calendar Mon-Fri
09:00-17:00 Europe/London, P2: 1 hour to respond, 8 business hours to resolve):

- Acme (GBP, fee 10,000.00, invoiced 1,500.00): 4 tickets resolved, 3 in time and 1 late, so
  resolution SLA 3/4 = 75 %, which is under both tiers (< 95 -> 5 %, < 80 -> 10 %): the worst
  one counts, 10 % of the fee = 1,000.00 GBP; cost per ticket 1,500.00 / 4 = 375.00 GBP.
- Bravo (EUR, fee 8,000.00, invoiced 800.00): 5 tickets resolved, all in time, so 100 % and
  no credit (0.00 EUR); cost per ticket 800.00 / 5 = 160.00 EUR.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from openpyxl import load_workbook
from rest_framework.test import APIClient

from common.pages import reporting_today
from common.periods import Period, PeriodKind
from common.roles import FINANCE, ensure_role_groups
from scorecards.models import MetricValue
from scorecards.services import scorecards_recompute
from tests.factories import ContractFactory, VendorFactory
from tests.tickets.pages_world import make_ticket
from vendors.models import ApiToken, CreditTier, Invoice

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
CENT = Decimal("0.01")


def last_month() -> Period:
    return Period.containing(PeriodKind.MONTH, reporting_today()).previous()


def _second_tuesday(period: Period) -> dt.date:
    # Days 8..14: clear of New Year's Day, Easter Monday and the May bank holidays.
    day = period.start + dt.timedelta(days=7)
    return day + dt.timedelta(days=(1 - day.weekday()) % 7)


def _contract(name: str, currency: str, fee: str, invoiced: str, period: Period):
    contract = ContractFactory(
        vendor=VendorFactory(name=name),
        name=f"{name} desk",
        currency=currency,
        monthly_fee=Decimal(fee),
    )
    for threshold, pct in ((95, 5), (80, 10)):
        CreditTier.objects.create(
            contract=contract,
            metric="resolution_sla_pct",
            threshold=Decimal(threshold),
            credit_pct=Decimal(pct),
        )
    Invoice.objects.create(
        vendor=contract.vendor,
        contract=contract,
        period_start=period.start,
        period_end=period.end - dt.timedelta(days=1),
        amount=Decimal(invoiced),
        currency=currency,
        reference=f"{name}-{period.label}",
    )
    return contract


def _tickets(contract, *, in_time: int, late: int, tuesday: dt.date) -> None:
    for n in range(in_time + late):
        created = dt.datetime.combine(tuesday, dt.time(10), LONDON) + dt.timedelta(days=n % 3)
        # In time: resolved after 2 business hours. Late: resolved on Friday afternoon, two
        # days after its 8 business hours ran out (on the next day at 10:00).
        resolved = (
            created + dt.timedelta(hours=2)
            if n < in_time
            else dt.datetime.combine(tuesday + dt.timedelta(days=3), dt.time(16), LONDON)
        )
        make_ticket(
            contract,
            f"{contract.vendor.slug}-{n}",
            created=created,
            reply=created + dt.timedelta(minutes=30),
            resolved=resolved,
            now=dt.datetime.now(LONDON),
        )


@pytest.fixture
def pull(settings):
    settings.REPORTING_TIME_ZONE = "Europe/London"
    period = last_month()
    tuesday = _second_tuesday(period)
    acme = _contract("Acme", "GBP", "10000.00", "1500.00", period)
    bravo = _contract("Bravo", "EUR", "8000.00", "800.00", period)
    _tickets(acme, in_time=3, late=1, tuesday=tuesday)
    _tickets(bravo, in_time=5, late=0, tuesday=tuesday)
    for contract in (acme, bravo):
        scorecards_recompute(vendor=contract.vendor, kind=PeriodKind.MONTH, periods=[period])
    return period, acme, bravo


def finance_token() -> tuple[str, ApiToken]:
    """Finance creates a token on the API tokens page, which shows its key once."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("finance")
    user.groups.add(ensure_role_groups()[FINANCE])
    page = Client()
    page.force_login(user)
    response = page.post("/account/tokens/", {"name": "ERP monthly pull", "expires_in_days": ""})
    assert response.status_code == 201
    key = re.search(r'value="(vs_[A-Za-z0-9_-]+)"', response.content.decode()).group(1)
    return key, ApiToken.objects.get(user=user)


def token_client(key: str) -> APIClient:
    client = APIClient()  # no session: the header alone
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def table(response) -> list[dict[str, str]]:
    """An export as rows of text keyed by column (XLSX numbers as they read back)."""
    assert response.status_code == 200, response.content[:300]
    if response["Content-Type"].startswith("text/csv"):
        text = response.content.decode("utf-8")
        assert text.startswith("\ufeff")
        rows = list(csv.reader(io.StringIO(text[1:])))
    else:
        book = load_workbook(io.BytesIO(response.content))
        rows = [list(r) for r in book.active.iter_rows(values_only=True)]
    header, body = rows[0], rows[1:]
    return [dict(zip(header, row, strict=True)) for row in body]


def money(cell) -> Decimal:
    return Decimal(str(cell)).quantize(CENT)


def stored(metric: str, subject_kind: str, subject_id: int, period: Period) -> MetricValue:
    return MetricValue.objects.get(
        metric=metric,
        subject_kind=subject_kind,
        subject_id=subject_id,
        period_kind="month",
        period_start=period.start,
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_finance_pulls_last_months_service_credits_with_a_token(pull, fmt):
    period, acme, bravo = pull
    key, token = finance_token()

    rows = table(
        token_client(key).get(f"/api/v1/service-credits/?period={period.label}&format={fmt}")
    )

    by_contract = {int(r["contract"]): r for r in rows}
    assert set(by_contract) == {acme.pk, bravo.pk}
    for contract in (acme, bravo):
        row, figure = (
            by_contract[contract.pk],
            stored("service_credit", "contract", contract.pk, period),
        )
        assert money(row["amount"]) == money(figure.value)
        assert row["currency"] == figure.detail["currency"] == contract.currency
        assert Decimal(str(row["credit_pct"])) == Decimal(figure.detail["pct"])
        assert int(row["vendor"]) == contract.vendor_id
        assert row["vendor_name"] == contract.vendor.name
        assert str(row["month"]) == period.start.isoformat()
        assert row["period_label"] == period.label
    # The figures worked out by hand (module docstring), from the stored SLA figures.
    assert stored("resolution_sla_pct", "contract", acme.pk, period).value == 75
    assert stored("resolution_sla_pct", "contract", bravo.pk, period).value == 100
    assert money(by_contract[acme.pk]["amount"]) == Decimal("1000.00")
    assert Decimal(str(by_contract[acme.pk]["credit_pct"])) == Decimal(10)
    assert by_contract[acme.pk]["per_metric"] == "resolution_sla_pct 10.00%"
    assert money(by_contract[bravo.pk]["amount"]) == Decimal("0.00")
    assert (by_contract[bravo.pk]["per_metric"] or "") == ""
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("subject_kind", ["contract", "vendor"])
def test_finance_pulls_last_months_cost_per_ticket_with_a_token(pull, fmt, subject_kind):
    period, acme, bravo = pull
    key, _ = finance_token()

    rows = table(
        token_client(key).get(
            f"/api/v1/cost-per-ticket/?period={period.label}&subject_kind={subject_kind}"
            f"&format={fmt}"
        )
    )

    subject = {"contract": lambda c: c.pk, "vendor": lambda c: c.vendor_id}[subject_kind]
    by_subject = {int(r["subject_id"]): r for r in rows}
    assert set(by_subject) == {subject(acme), subject(bravo)}
    for contract in (acme, bravo):
        row = by_subject[subject(contract)]
        figure = stored("cost_per_ticket", subject_kind, subject(contract), period)
        assert row["subject_kind"] == subject_kind
        assert money(row["cost_per_ticket"]) == money(figure.value)
        assert money(row["invoiced_amount"]) == money(figure.numerator)
        assert int(row["tickets_resolved"]) == int(figure.denominator)
        assert row["currency"] == contract.currency
        assert int(row["vendor"]) == contract.vendor_id
        assert row["period_label"] == period.label
    acme_row, bravo_row = by_subject[subject(acme)], by_subject[subject(bravo)]
    assert (money(acme_row["cost_per_ticket"]), int(acme_row["tickets_resolved"])) == (
        Decimal("375.00"),
        4,
    )
    assert money(acme_row["invoiced_amount"]) == Decimal("1500.00")
    assert (money(bravo_row["cost_per_ticket"]), int(bravo_row["tickets_resolved"])) == (
        Decimal("160.00"),
        5,
    )
    assert money(bravo_row["invoiced_amount"]) == Decimal("800.00")


def test_the_pull_needs_the_token(pull):
    period, _, _ = pull
    url = f"/api/v1/service-credits/?period={period.label}&format=csv"

    assert APIClient().get(url).status_code == 403
    assert token_client("vs_not-a-real-key").get(url).status_code == 401
