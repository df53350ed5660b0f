"""The managers' set-up pages for vendors and contracts (issue 13, items 1 and 2): vendors and
contracts with weights and tiers made and changed through the pages, refusals that name the
field, the audit trail, the first-run checklist, and who may open them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from common.roles import FINANCE, MANAGER, VENDOR
from scorecards.models import Scorecard
from tests.api.conftest import user_in
from tests.factories import ContractFactory, PolicyFactory, TicketFactory, VendorFactory
from vendors.models import AuditEntry, Contract, CreditTier, ScoreWeight, Vendor
from vendors.services_setup import ContractTerms, WeightTerms, contract_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return user_in(MANAGER, "maria")


@pytest.fixture
def client_of():
    def login(user) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return login


@pytest.fixture
def as_manager(client_of, manager) -> Client:
    return client_of(manager)


def rows(prefix: str, items: list[dict], *, initial: int = 0, extra: int = 0) -> dict:
    """A formset's POST data: its management form and one numbered row per item."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(items) + extra),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, item in enumerate(items):
        for key, value in item.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def contract_post(policy, *, weights=(), tiers=(), initial=(0, 0), **terms) -> dict:
    data = {
        "name": "Service desk 2027",
        "reference": "SD-27",
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        "sla_policy": str(policy.pk),
        "monthly_fee": "12500.00",
        "currency": "EUR",
        "inhouse_monthly_cost": "15000.00",
        "target_cost_per_ticket": "18.50",
        "credit_cap_pct": "15",
        **terms,
    }
    data |= rows("weights", list(weights), initial=initial[0])
    data |= rows("tiers", list(tiers), initial=initial[1])
    return data


def audit_of(model: str, obj) -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(object_type=f"vendors.{model}", object_id=str(obj.pk)).order_by(
            "id"
        )
    )


# --- vendors ------------------------------------------------------------------------------------


def test_a_manager_creates_a_vendor_whose_slug_comes_from_its_name(as_manager):
    response = as_manager.post(
        reverse("setup-vendor-new"),
        {
            "name": "Northwind Support",
            "slug": "",
            "contact_name": "Nora Wind",
            "contact_email": "nora@northwind.example",
            "active": "on",
        },
    )

    vendor = Vendor.objects.get()
    assert response.status_code == 302
    assert response["Location"] == "/setup/vendors/northwind-support/edit/"
    assert (vendor.name, vendor.slug, vendor.contact_name, vendor.contact_email, vendor.active) == (
        "Northwind Support",
        "northwind-support",
        "Nora Wind",
        "nora@northwind.example",
        True,
    )


def test_a_manager_edits_a_vendor(as_manager):
    VendorFactory(name="Acme", slug="acme")

    response = as_manager.post(
        reverse("setup-vendor-edit", args=["acme"]),
        {"name": "Acme Europe", "slug": "acme-eu", "contact_name": "", "contact_email": ""},
    )

    vendor = Vendor.objects.get()
    assert response.status_code == 302
    assert response["Location"] == "/setup/vendors/acme-eu/edit/"
    assert (vendor.name, vendor.slug, vendor.active) == ("Acme Europe", "acme-eu", False)


def test_creating_and_editing_a_vendor_lands_in_the_audit_trail_with_the_manager(
    as_manager, manager
):
    as_manager.post(
        reverse("setup-vendor-new"),
        {"name": "Acme", "slug": "", "contact_name": "", "contact_email": "", "active": "on"},
    )
    vendor = Vendor.objects.get()
    as_manager.post(
        reverse("setup-vendor-edit", args=["acme"]),
        {"name": "Acme Europe", "slug": "acme", "contact_name": "", "contact_email": ""},
    )

    created, updated = audit_of("vendor", vendor)
    assert (created.action, created.user, created.new_values["name"]) == ("create", manager, "Acme")
    assert (updated.action, updated.user) == ("update", manager)
    assert updated.old_values == {"name": "Acme", "active": True}
    assert updated.new_values == {"name": "Acme Europe", "active": False}


def test_a_duplicate_slug_is_refused_naming_the_slug_and_the_vendor_holding_it(as_manager):
    VendorFactory(name="Acme", slug="acme")

    typed = as_manager.post(reverse("setup-vendor-new"), {"name": "Acme Two", "slug": "acme"})
    made = as_manager.post(reverse("setup-vendor-new"), {"name": "ACME!", "slug": ""})

    assert typed.status_code == 200
    assert typed.context["form"].errors == {
        "slug": ["The slug “acme” is taken by Acme; type another."]
    }
    assert made.context["form"].errors == {
        "slug": ["The slug “acme” made from the name is taken by Acme; type another."]
    }
    assert "Slug: The slug “acme” is taken by Acme" in typed.content.decode()
    assert Vendor.objects.count() == 1


def test_a_duplicate_name_or_a_bad_email_is_refused_naming_the_field(as_manager):
    VendorFactory(name="Acme", slug="acme")

    same_name = as_manager.post(reverse("setup-vendor-new"), {"name": "acme", "slug": "acme-2"})
    bad_email = as_manager.post(
        reverse("setup-vendor-new"), {"name": "Beta", "contact_email": "not-an-address"}
    )
    empty = as_manager.post(reverse("setup-vendor-new"), {})

    assert same_name.context["form"].errors == {
        "name": ["Another vendor is already called “acme”."]
    }
    assert list(bad_email.context["form"].errors) == ["contact_email"]
    assert list(empty.context["form"].errors) == ["name"]
    assert Vendor.objects.count() == 1


# --- contracts ----------------------------------------------------------------------------------


def test_a_manager_creates_a_contract_with_weights_and_tiers(as_manager, manager):
    vendor = VendorFactory(name="Acme", slug="acme")
    policy = PolicyFactory(name="Business hours")

    response = as_manager.post(
        reverse("setup-contract-new", args=["acme"]),
        contract_post(
            policy,
            weights=[
                {"metric": "sla_compliance_pct", "weight": "50", "target": "97", "floor": "80"},
                {"metric": "csat_pct", "weight": "30"},
                {"metric": "mttr", "weight": "20", "target": "6", "floor": "30"},
            ],
            tiers=[
                {"metric": "resolution_sla_pct", "threshold": "95", "credit_pct": "5"},
                {"metric": "resolution_sla_pct", "threshold": "90", "credit_pct": "10"},
            ],
        ),
    )

    assert response.status_code == 302
    assert response["Location"] == "/setup/vendors/acme/edit/"
    contract = Contract.objects.get()
    assert contract.vendor == vendor
    assert contract.sla_policy == policy
    assert (contract.name, contract.reference) == ("Service desk 2027", "SD-27")
    assert (contract.start_date, contract.end_date) == (dt.date(2027, 1, 1), dt.date(2027, 12, 31))
    assert contract.monthly_fee == Decimal("12500.00")
    assert contract.currency == "EUR"
    assert contract.inhouse_monthly_cost == Decimal("15000.00")
    assert contract.target_cost_per_ticket == Decimal("18.50")
    assert contract.credit_cap_pct == Decimal("15.00")
    weights = {w.metric: (w.weight, w.target, w.floor) for w in contract.weights.all()}
    assert weights == {
        "sla_compliance_pct": (Decimal(50), Decimal(97), Decimal(80)),
        "csat_pct": (Decimal(30), None, None),
        "mttr": (Decimal(20), Decimal(6), Decimal(30)),
    }
    tiers = sorted((t.threshold, t.credit_pct) for t in contract.credit_tiers.all())
    assert tiers == [(Decimal(90), Decimal(10)), (Decimal(95), Decimal(5))]
    # Every row created is in the audit trail, with the manager as the actor.
    created = AuditEntry.objects.filter(action="create", user=manager, actor="maria")
    assert sorted(created.values_list("object_type", flat=True)) == [
        "vendors.contract",
        "vendors.credittier",
        "vendors.credittier",
        "vendors.scoreweight",
        "vendors.scoreweight",
        "vendors.scoreweight",
    ]
    assert audit_of("contract", contract)[0].new_values["monthly_fee"] == "12500.00"


def test_a_manager_edits_a_contract_and_its_weights_and_tiers(as_manager, manager):
    contract = ContractFactory(
        vendor=VendorFactory(name="Acme", slug="acme"),
        name="Service desk",
        monthly_fee=Decimal("10000.00"),
        currency="GBP",
    )
    weight = ScoreWeight.objects.create(contract=contract, metric="sla_compliance_pct", weight=60)
    ScoreWeight.objects.create(contract=contract, metric="csat_pct", weight=40)
    tier = CreditTier.objects.create(
        contract=contract, metric="resolution_sla_pct", threshold=Decimal(95), credit_pct=5
    )
    page = as_manager.get(reverse("setup-contract-edit", args=[contract.pk]))
    assert page.status_code == 200
    assert page.context["form"].initial["monthly_fee"] == Decimal("10000.00")
    assert len(page.context["weights"].initial) == 2

    response = as_manager.post(
        reverse("setup-contract-edit", args=[contract.pk]),
        contract_post(
            contract.sla_policy,
            name="Service desk",
            reference="",
            start_date="2025-01-01",
            end_date="",
            monthly_fee="11000.00",
            currency="gbp",
            inhouse_monthly_cost="",
            target_cost_per_ticket="",
            credit_cap_pct="20",
            # The first row keeps its metric with a new weight, the second is removed, a new
            # metric is added; the tier is removed and another added.
            weights=[
                {"metric": "sla_compliance_pct", "weight": "70"},
                {"metric": "csat_pct", "weight": "40", "DELETE": "on"},
                {"metric": "fcr_pct", "weight": "30"},
            ],
            tiers=[
                {
                    "metric": "resolution_sla_pct",
                    "threshold": "95",
                    "credit_pct": "5",
                    "DELETE": "on",
                },
                {"metric": "response_sla_pct", "threshold": "90", "credit_pct": "3"},
            ],
            initial=(2, 1),
        ),
    )

    assert response.status_code == 302
    contract.refresh_from_db()
    assert (contract.monthly_fee, contract.currency, contract.end_date) == (
        Decimal("11000.00"),
        "GBP",
        None,
    )
    assert {w.metric: w.weight for w in contract.weights.all()} == {
        "sla_compliance_pct": Decimal(70),
        "fcr_pct": Decimal(30),
    }
    assert ScoreWeight.objects.filter(pk=weight.pk).exists()  # changed in place, not replaced
    assert [(t.metric, t.threshold, t.credit_pct) for t in contract.credit_tiers.all()] == [
        ("response_sla_pct", Decimal("90.000"), Decimal("3.00"))
    ]
    change = audit_of("contract", contract)[-1]
    assert (change.action, change.user, change.actor) == ("update", manager, "maria")
    assert (change.old_values, change.new_values) == (
        {"monthly_fee": "10000.00"},
        {"monthly_fee": "11000.00"},
    )
    weight_change = audit_of("scoreweight", weight)[-1]
    assert (weight_change.action, weight_change.old_values, weight_change.new_values) == (
        "update",
        {"weight": "60.00"},
        {"weight": "70.00"},
    )
    assert weight_change.user == manager
    assert audit_of("credittier", tier)[-1].action == "delete"
    assert audit_of("credittier", tier)[-1].user == manager


def test_an_unchanged_contract_saved_again_writes_no_audit_entry(as_manager):
    contract = ContractFactory(vendor=VendorFactory(slug="acme"), name="Desk")
    ScoreWeight.objects.create(contract=contract, metric="sla_compliance_pct", weight=60)
    before = AuditEntry.objects.count()

    response = as_manager.post(
        reverse("setup-contract-edit", args=[contract.pk]),
        contract_post(
            contract.sla_policy,
            name="Desk",
            reference="",
            start_date="2025-01-01",
            end_date="",
            monthly_fee="10000.00",
            currency="GBP",
            inhouse_monthly_cost="",
            target_cost_per_ticket="",
            credit_cap_pct="20",
            weights=[{"metric": "sla_compliance_pct", "weight": "60"}],
            initial=(1, 0),
        ),
    )

    assert response.status_code == 302
    assert AuditEntry.objects.count() == before


# --- refusals name the field and why, and write nothing -----------------------------------------


def _row_errors(formset) -> list[dict]:
    return [dict(f.errors) for f in formset.forms]


@pytest.mark.parametrize(
    ("terms", "field", "message"),
    [
        ({"monthly_fee": "-5"}, "monthly_fee", "Ensure this value is greater than or equal to 0."),
        ({"end_date": "2026-06-30"}, "end_date", "The contract ends before it starts."),
        ({"credit_cap_pct": "150"}, "credit_cap_pct", "The cap is a share of the fee: 0..100."),
        (
            {"currency": "EU1"},
            "currency",
            "Use a three-letter ISO 4217 code such as EUR.",
        ),
        (
            {"target_cost_per_ticket": "0"},
            "target_cost_per_ticket",
            "greater than or equal to 0.01",
        ),
    ],
)
def test_a_contract_term_breaking_a_rule_is_refused_naming_the_field(
    as_manager, terms, field, message
):
    VendorFactory(slug="acme")
    policy = PolicyFactory()

    response = as_manager.post(
        reverse("setup-contract-new", args=["acme"]),
        contract_post(policy, start_date="2027-01-01", **terms),
    )

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert message in " ".join(errors[field])
    assert Contract.objects.count() == 0


def test_a_second_contract_of_the_same_name_is_refused_naming_the_name(as_manager):
    contract = ContractFactory(vendor=VendorFactory(name="Acme", slug="acme"), name="Desk")

    response = as_manager.post(
        reverse("setup-contract-new", args=["acme"]),
        contract_post(contract.sla_policy, name="Desk"),
    )

    assert response.context["form"].errors == {
        "name": ["Acme already has a contract called “Desk”."]
    }


def test_a_weight_on_an_unknown_metric_is_refused_on_its_row(as_manager):
    VendorFactory(slug="acme")

    response = as_manager.post(
        reverse("setup-contract-new", args=["acme"]),
        contract_post(
            PolicyFactory(),
            weights=[
                {"metric": "csat_pct", "weight": "40"},
                {"metric": "happiness", "weight": "60"},
            ],
        ),
    )

    assert response.status_code == 200
    assert _row_errors(response.context["weights"]) == [
        {},
        {"metric": ["happiness is not a scored metric; pick one from the list."]},
    ]
    assert "Metric: happiness is not a scored metric" in response.content.decode()
    assert Contract.objects.count() == 0


def test_the_models_own_rules_refuse_a_weight_and_a_tier_on_their_rows(as_manager):
    VendorFactory(slug="acme")

    response = as_manager.post(
        reverse("setup-contract-new", args=["acme"]),
        contract_post(
            PolicyFactory(),
            weights=[
                # CSAT is better higher: a floor above the target is backwards (ScoreWeight.clean).
                {"metric": "csat_pct", "weight": "40", "target": "80", "floor": "90"},
                {"metric": "fcr_pct", "weight": "-1"},
                {"metric": "csat_pct", "weight": "10"},
            ],
            tiers=[{"metric": "resolution_sla_pct", "threshold": "95", "credit_pct": "120"}],
        ),
    )

    assert response.status_code == 200
    assert _row_errors(response.context["weights"]) == [
        {"floor": ["For csat_pct the floor lies below the target."]},
        {"weight": ["Ensure this value is greater than or equal to 0."]},
        {"metric": ["Customer satisfaction is weighted twice; keep one row per metric."]},
    ]
    assert _row_errors(response.context["tiers"]) == [
        {"credit_pct": ["A credit is a share of the fee: 0..100."]}
    ]
    assert Contract.objects.count() == 0
    assert ScoreWeight.objects.count() == 0


def test_weights_adding_up_to_zero_are_refused(as_manager):
    VendorFactory(slug="acme")

    response = as_manager.post(
        reverse("setup-contract-new", args=["acme"]),
        contract_post(PolicyFactory(), weights=[{"metric": "csat_pct", "weight": "0"}]),
    )

    assert response.context["form"].non_field_errors() == [
        "Score weights: The weights add up to 0; give at least one a positive weight."
    ]
    assert Contract.objects.count() == 0


def test_the_service_keys_a_row_refusal_by_its_row_and_field():
    vendor = VendorFactory()
    terms = ContractTerms(
        name="Desk",
        start_date=dt.date(2027, 1, 1),
        sla_policy=PolicyFactory(),
        monthly_fee=Decimal(100),
    )

    with pytest.raises(ValidationError) as refused:
        contract_create(
            vendor=vendor,
            terms=terms,
            weights=[WeightTerms("csat_pct", Decimal(1)), WeightTerms("happiness", Decimal(1))],
        )

    assert list(refused.value.message_dict) == ["weights.1.metric"]
    assert "'happiness' is not a scored metric." in refused.value.message_dict["weights.1.metric"]
    assert Contract.objects.count() == 0


# --- the first-run checklist --------------------------------------------------------------------


def _ticks(client) -> list[bool]:
    return [step.done for step in client.get(reverse("setup")).context["steps"]]


def test_the_checklist_ticks_each_step_as_its_data_appears(as_manager):
    assert _ticks(as_manager) == [False, False, False, False]
    vendor = VendorFactory(name="Acme", slug="acme")
    assert _ticks(as_manager) == [True, False, False, False]
    contract = ContractFactory(vendor=vendor)
    assert _ticks(as_manager) == [True, True, False, False]
    TicketFactory(contract=contract)
    assert _ticks(as_manager) == [True, True, True, False]
    Scorecard.objects.create(
        vendor=vendor,
        subject_kind="vendor",
        subject_id=vendor.pk,
        period_kind="month",
        period_start=dt.date(2026, 11, 1),
        score=Decimal("81.50"),
        grade="B",
        computed_at=timezone.now(),
    )
    assert _ticks(as_manager) == [True, True, True, True]


def test_each_checklist_step_links_to_its_page(as_manager):
    empty = as_manager.get(reverse("setup")).context["steps"]
    assert [s.url for s in empty] == ["/setup/vendors/new/", None, "/imports/", None]

    VendorFactory(name="Acme", slug="acme")
    steps = as_manager.get(reverse("setup")).context["steps"]
    assert [s.url for s in steps] == [
        "/setup/vendors/new/",
        "/setup/vendors/acme/contracts/new/",
        "/imports/",
        None,
    ]

    ContractFactory(vendor=Vendor.objects.get())
    steps = as_manager.get(reverse("setup")).context["steps"]
    assert steps[3].url == "/vendors/acme/"
    page = as_manager.get(reverse("setup")).content.decode()
    assert 'href="/vendors/acme/"' in page
    assert "1 of 4 steps done" not in page and "2 of 4 steps done" in page


def test_a_manager_on_an_install_without_vendors_lands_on_the_checklist(as_manager, client_of):
    home = as_manager.get("/", follow=True)

    assert home.redirect_chain == [("/portfolio/", 302), ("/setup/", 302)]
    assert "Add a vendor" in home.content.decode()
    # Finance cannot set anything up: it keeps its (empty) portfolio.
    assert client_of(user_in(FINANCE, "fiona")).get("/portfolio/").status_code == 200


def test_with_a_vendor_the_manager_keeps_the_portfolio(as_manager):
    VendorFactory(active=False)  # even an inactive one: the install is no longer new

    assert as_manager.get("/portfolio/").status_code == 200


def test_managers_find_set_up_in_the_main_navigation(as_manager, client_of):
    VendorFactory(slug="acme")
    finance = client_of(user_in(FINANCE, "fiona"))

    assert 'href="/setup/">Set-up</a>' in as_manager.get("/portfolio/").content.decode()
    assert 'href="/setup/"' not in finance.get("/portfolio/").content.decode()


def test_the_set_up_index_links_vendors_policies_and_calendars(as_manager):
    page = as_manager.get(reverse("setup")).content.decode()

    assert 'href="/setup/vendors/"' in page
    assert "SLA policies" in page and "Business calendars" in page


# --- access ---------------------------------------------------------------------------------


SETUP_PAGES = [
    ("setup", []),
    ("setup-vendors", []),
    ("setup-vendor-new", []),
    ("setup-vendor-edit", ["acme"]),
    ("setup-contract-new", ["acme"]),
    ("setup-contract-edit", ["contract"]),
]


def _url(name: str, args: list, contract: Contract) -> str:
    return reverse(name, args=[contract.pk if a == "contract" else a for a in args])


@pytest.mark.parametrize(("name", "args"), SETUP_PAGES)
def test_set_up_pages_are_for_managers_only(client_of, manager, name, args):
    contract = ContractFactory(vendor=VendorFactory(name="Acme", slug="acme"))
    url = _url(name, args, contract)
    finance = user_in(FINANCE, "fiona")
    vendor_user = user_in(VENDOR, "victor", contract.vendor)

    assert client_of(manager).get(url).status_code == 200
    for user in (finance, vendor_user):
        assert client_of(user).get(url).status_code == 403
        assert client_of(user).post(url, {"name": "Hacked"}).status_code == 403
    anonymous = client_of(None).get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/?next=")
    assert Vendor.objects.get().name == "Acme"


def test_an_unknown_vendor_or_contract_is_a_404(as_manager):
    assert as_manager.get("/setup/vendors/nobody/edit/").status_code == 404
    assert as_manager.get("/setup/vendors/nobody/contracts/new/").status_code == 404
    assert as_manager.get("/setup/contracts/999999/").status_code == 404
