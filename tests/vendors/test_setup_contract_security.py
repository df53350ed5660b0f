"""A contract's security terms on the set-up page and in the admin: the audit cadence and the
days a finding of each severity has to be fixed in (METRICS.md, "Beyond tickets")."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from common.roles import MANAGER
from tests.api.conftest import user_in
from tests.factories import ContractFactory, PolicyFactory, VendorFactory
from tests.vendors.test_setup_vendors import contract_post
from vendors.models import AuditEntry, Contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return user_in(MANAGER, "maria")


@pytest.fixture
def as_manager(manager) -> Client:
    client = Client()
    client.force_login(manager)
    return client


SECURITY = {
    "audit_cadence_months": "3",
    "remediation_days_critical": "5",
    "remediation_days_high": "20",
    "remediation_days_medium": "60",
    "remediation_days_low": "120",
}


def security_terms(contract: Contract) -> tuple:
    return (
        contract.audit_cadence_months,
        contract.remediation_days_critical,
        contract.remediation_days_high,
        contract.remediation_days_medium,
        contract.remediation_days_low,
    )


def test_a_manager_sets_the_audit_cadence_and_remediation_days_of_a_new_contract(as_manager):
    VendorFactory(name="Acme", slug="acme")
    page = as_manager.get(reverse("setup-contract-new", args=["acme"]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h2>Security</h2>" in html
    assert 'name="audit_cadence_months"' in html
    assert 'name="remediation_days_critical"' in html

    response = as_manager.post(
        reverse("setup-contract-new", args=["acme"]),
        contract_post(PolicyFactory(), **SECURITY),
    )

    assert response.status_code == 302
    assert security_terms(Contract.objects.get()) == (3, 5, 20, 60, 120)


def test_a_manager_changes_them_and_the_change_is_in_the_audit_trail(as_manager, manager):
    contract = ContractFactory(vendor=VendorFactory(name="Acme", slug="acme"), name="Desk")
    page = as_manager.get(reverse("setup-contract-edit", args=[contract.pk]))
    assert page.context["form"].initial["remediation_days_critical"] == 7
    assert page.context["form"].initial["audit_cadence_months"] is None

    response = as_manager.post(
        reverse("setup-contract-edit", args=[contract.pk]),
        contract_post(
            contract.sla_policy, name="Desk", **SECURITY | {"audit_cadence_months": "12"}
        ),
    )

    assert response.status_code == 302
    contract.refresh_from_db()
    assert security_terms(contract) == (12, 5, 20, 60, 120)
    change = AuditEntry.objects.filter(
        object_type="vendors.contract", object_id=str(contract.pk), action="update"
    ).get()
    assert change.user == manager
    assert change.new_values["audit_cadence_months"] == 12
    assert change.new_values["remediation_days_critical"] == 5


def test_days_left_empty_keep_the_defaults_and_no_cadence_means_no_audit_due(as_manager):
    VendorFactory(slug="acme")
    response = as_manager.post(
        reverse("setup-contract-new", args=["acme"]),
        contract_post(
            PolicyFactory(),
            audit_cadence_months="",
            remediation_days_critical="",
            remediation_days_low="",
        ),
    )

    assert response.status_code == 302
    assert security_terms(Contract.objects.get()) == (None, 7, 30, 90, 180)


@pytest.mark.parametrize(
    "terms, field, message",
    [
        ({"remediation_days_high": "0"}, "remediation_days_high", "greater than or equal to 1"),
        ({"remediation_days_low": "soon"}, "remediation_days_low", "whole number"),
        ({"audit_cadence_months": "2"}, "audit_cadence_months", "not one of the available"),
    ],
)
def test_a_bad_security_term_is_refused_naming_its_field(as_manager, terms, field, message):
    VendorFactory(slug="acme")
    response = as_manager.post(
        reverse("setup-contract-new", args=["acme"]), contract_post(PolicyFactory(), **terms)
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert Contract.objects.count() == 0


def test_the_admin_shows_the_security_terms_of_a_contract(client):
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456")
    client.force_login(root)
    contract = ContractFactory(audit_cadence_months=6)
    page = client.get(f"/admin/vendors/contract/{contract.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Security" in html
    for severity in ("critical", "high", "medium", "low"):
        assert f'name="remediation_days_{severity}"' in html
    assert '<option value="6" selected>' in html
