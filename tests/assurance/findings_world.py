"""The world of the findings tests: vendor A (a contract with its own remediation days) and
vendor B, a manager, finance, each vendor's user; the reporting day frozen; evidence files in a
temporary MEDIA_ROOT."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from assurance import services
from common.roles import FINANCE, MANAGER, VENDOR
from tests.api.conftest import user_in
from tests.factories import ContractFactory, VendorFactory

TODAY = dt.date(2026, 4, 10)  # a Friday, after worked example 7's dates
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(13)


@dataclass
class World:
    a: object  # vendor A
    b: object  # vendor B
    contract_a: object
    contract_b: object
    manager: object
    finance: object
    vendor_a: object
    vendor_b: object


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch):
    for module in ("assurance.services", "assurance.views.findings", "assurance.apis.audits"):
        monkeypatch.setattr(f"{module}.reporting_today", lambda: TODAY)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def world(db) -> World:
    a = VendorFactory(name="Acme Support", slug="acme")
    b = VendorFactory(name="Bravo Hosting", slug="bravo")
    contract_a = ContractFactory(vendor=a, name="Acme desk", remediation_days_critical=5)
    contract_b = ContractFactory(vendor=b, name="Bravo desk")
    return World(
        a=a,
        b=b,
        contract_a=contract_a,
        contract_b=contract_b,
        manager=user_in(MANAGER, "manager"),
        finance=user_in(FINANCE, "finance"),
        vendor_a=user_in(VENDOR, "vendor-a", a),
        vendor_b=user_in(VENDOR, "vendor-b", b),
    )


def client_of(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def audit_of(vendor, *, held_on=dt.date(2026, 3, 1), contract=None, user=None):
    return services.audit_create(
        vendor=vendor,
        terms=services.AuditTerms(
            held_on=held_on,
            kind="penetration_test",
            scope="External perimeter",
            auditor="Pentest Ltd",
            contract=contract,
        ),
        user=user,
    )


def finding_of(audit, *, title="TLS 1.0 enabled", severity="high", raised_on=None, **more):
    return services.finding_create(
        audit=audit,
        terms=services.FindingTerms(
            title=title, severity=severity, raised_on=raised_on or audit.held_on, **more
        ),
    )


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)
