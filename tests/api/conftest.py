"""A two-vendor world for the API tests: vendor A's figures, vendor B's (whose name tries to
start a spreadsheet formula), and one user per role."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from common.roles import FINANCE, MANAGER, VENDOR
from scorecards.models import ActionItem, Alert, MetricValue, ReviewMeeting, Scorecard
from tests.factories import ContractFactory, TechnicianFactory, TicketFactory, VendorFactory
from tickets.models import Outage, SurveyResponse, Ticket
from vendors.models import CreditTier, Invoice, ScoreWeight, VendorMembership

OCT = dt.date(2026, 10, 1)
NOW = dt.datetime(2026, 11, 5, 12, tzinfo=dt.UTC)
EVIL_NAME = '=HYPERLINK("x")'


def user_in(role: str | None, name: str, vendor=None):
    # No password: tests log in with force_authenticate, and hashing one costs ~0.3 s.
    user = get_user_model().objects.create_user(name, f"{name}@example.com")
    if role:
        user.groups.add(Group.objects.get_or_create(name=role)[0])
    if vendor is not None:
        VendorMembership.objects.create(user=user, vendor=vendor)
    return user


def client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@dataclass
class Side:
    vendor: object
    contract: object
    technician: object
    ticket: object
    invoice: object
    survey: object
    outage: object
    alert: object
    action: object


def _side(name: str, slug: str, currency: str, fee: str, inhouse: str, prefix: str) -> Side:
    vendor = VendorFactory(name=name, slug=slug)
    contract = ContractFactory(
        vendor=vendor,
        name=f"{prefix} desk",
        currency=currency,
        monthly_fee=Decimal(fee),
        inhouse_monthly_cost=Decimal(inhouse),
        target_cost_per_ticket=Decimal("20.00"),
    )
    CreditTier.objects.create(
        contract=contract, metric="resolution_sla_pct", threshold=Decimal(95), credit_pct=5
    )
    ScoreWeight.objects.create(contract=contract, metric="sla_compliance_pct", weight=60)
    technician = TechnicianFactory(vendor=vendor, name=f"{prefix} tech")
    created = dt.datetime(2026, 10, 5, 10, tzinfo=dt.UTC)
    due = created + dt.timedelta(hours=8)
    ticket = TicketFactory(
        contract=contract,
        technician=technician,
        external_id=f"{prefix}-1",
        priority="P2",
        status="resolved",
        created_at=created,
        first_response_at=created + dt.timedelta(minutes=30),
        resolved_at=created + dt.timedelta(days=2),
        response_due_at=created + dt.timedelta(hours=1),
        resolution_due_at=due,
        response_seconds=1800,
        resolution_seconds=40000,
        response_met=True,
        resolution_met=False,
        response_outcome_at=created + dt.timedelta(minutes=30),
        resolution_outcome_at=due,
    )
    TicketFactory(
        contract=contract, external_id=f"{prefix}-2", created_at=created - dt.timedelta(days=1)
    )
    invoice = Invoice.objects.create(
        vendor=vendor,
        contract=contract,
        period_start=OCT,
        period_end=dt.date(2026, 10, 31),
        amount=Decimal("1500.00"),
        currency=currency,
        reference=f"{prefix}-INV-10",
    )
    survey = SurveyResponse.objects.create(
        ticket=ticket, score=4, comment="Quick fix", answered_at=created + dt.timedelta(days=3)
    )
    outage = Outage.objects.create(
        vendor=vendor,
        contract=contract,
        service="E-mail",
        started_at=created,
        ended_at=created + dt.timedelta(minutes=90),
    )
    alert = Alert.objects.create(
        ticket=ticket,
        vendor=vendor,
        target="resolution",
        threshold="breach",
        due_at=due,
        created_at=due,
    )
    meeting = ReviewMeeting.objects.create(vendor=vendor, month=OCT, created_at=NOW, updated_at=NOW)
    action = ActionItem.objects.create(
        vendor=vendor,
        meeting=meeting,
        raised_month=OCT,
        title=f"{prefix}: fix the printer queue",
        owner_name="Dana",
        due_on=dt.date(2026, 11, 30),
        created_at=NOW,
        updated_at=NOW,
    )
    _figures(vendor, contract, currency)
    return Side(vendor, contract, technician, ticket, invoice, survey, outage, alert, action)


def _figures(vendor, contract, currency: str) -> None:
    """What the nightly run would have stored for October 2026."""
    common = {"vendor": vendor, "period_kind": "month", "period_start": OCT, "computed_at": NOW}
    for kind, subject_id in (("vendor", vendor.pk), ("contract", contract.pk)):
        Scorecard.objects.create(
            **common,
            subject_kind=kind,
            subject_id=subject_id,
            score=Decimal("84.50"),
            grade="B",
            weights={"sla_compliance_pct": 0.6, "csat_pct": 0.4},
            targets={"sla_compliance_pct": {"target": 95.0, "floor": 70.0}},
        )
        MetricValue.objects.create(
            **common,
            subject_kind=kind,
            subject_id=subject_id,
            metric="sla_compliance_pct",
            value=Decimal("90"),
            numerator=Decimal(18),
            denominator=Decimal(20),
            sample_size=20,
            ci_low=Decimal("69.9031"),
            ci_high=Decimal("97.2133"),
        )
        MetricValue.objects.create(
            **common,
            subject_kind=kind,
            subject_id=subject_id,
            metric="cost_per_ticket",
            value=Decimal(15),
            numerator=Decimal(1500),
            denominator=Decimal(100),
            sample_size=100,
            detail={"currency": currency},
        )
        MetricValue.objects.create(
            **common,
            subject_kind=kind,
            subject_id=subject_id,
            metric="csat_pct",
            value=Decimal(100),
            numerator=Decimal(1),
            denominator=Decimal(1),
            sample_size=1,
            low_sample=True,
        )
    MetricValue.objects.create(
        **common,
        subject_kind="contract",
        subject_id=contract.pk,
        metric="service_credit",
        value=Decimal(500),
        detail={"currency": currency, "pct": "5.00", "per_metric": {"resolution_sla_pct": "5.00"}},
    )


@dataclass
class World:
    a: Side
    b: Side
    manager: object
    finance: object
    vendor_a: object
    vendor_b: object


@pytest.fixture
def world(db) -> World:
    a = _side("Acme Support", "acme", "GBP", "10000.00", "12000.00", "A")
    b = _side(EVIL_NAME, "hyperlink", "EUR", "8000.00", "7000.00", "B")
    return World(
        a=a,
        b=b,
        manager=user_in(MANAGER, "manager"),
        finance=user_in(FINANCE, "finance"),
        vendor_a=user_in(VENDOR, "vendor-a", a.vendor),
        vendor_b=user_in(VENDOR, "vendor-b", b.vendor),
    )


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


__all__ = ["NOW", "OCT", "EVIL_NAME", "Ticket", "client_for", "ids", "user_in"]
