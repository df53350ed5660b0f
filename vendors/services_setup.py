"""Writes of the managers' set-up pages: vendors, and contracts with their score weights and
credit tiers.

The models' own `full_clean()` (field validators, `clean()`, unique checks) is the rule; these
functions add the checks across rows and word the refusals so that each names its field and
why. A refusal on a weight or a tier row is keyed `weights.<n>.<field>` or
`credit_tiers.<n>.<field>`, n counting the rows from 0 in the order given, so that a page can
put it beside the row. Contract, weight and tier saves reach the audit trail through
vendors/audit.py's model signals, with the request's user as the actor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from vendors.metrics import METRICS
from vendors.models import REMEDIATION_DAYS, Contract, CreditTier, ScoreWeight, SlaPolicy, Vendor

# --- vendors ------------------------------------------------------------------------------------


def _vendor_save(vendor: Vendor, *, slug_given: bool) -> Vendor:
    others = Vendor.objects.exclude(pk=vendor.pk) if vendor.pk else Vendor.objects.all()
    errors: dict[str, list[str]] = {}
    if not vendor.name:
        errors["name"] = ["Give the vendor's name."]
    elif others.filter(name__iexact=vendor.name).exists():
        errors["name"] = [f"Another vendor is already called “{vendor.name}”."]
    if not vendor.slug:
        errors.setdefault("slug", ["The name gives no slug; type one (letters, digits, -)."])
    else:
        taken = others.filter(slug=vendor.slug).first()
        if taken is not None:
            made = "" if slug_given else " made from the name"
            errors["slug"] = [
                f"The slug “{vendor.slug}”{made} is taken by {taken.name}; type another."
            ]
    if errors:
        raise ValidationError(errors)
    vendor.full_clean()
    vendor.save()
    return vendor


def vendor_create(
    *,
    name: str,
    slug: str = "",
    contact_name: str = "",
    contact_email: str = "",
    active: bool = True,
) -> Vendor:
    """A new vendor; an empty slug is made from the name (its address in the site's URLs)."""
    name, slug = name.strip(), slug.strip()
    vendor = Vendor(
        name=name,
        slug=slug or slugify(name)[:80],
        contact_name=contact_name.strip(),
        contact_email=contact_email.strip(),
        active=active,
    )
    return _vendor_save(vendor, slug_given=bool(slug))


def vendor_update(
    *,
    vendor: Vendor,
    name: str,
    slug: str = "",
    contact_name: str = "",
    contact_email: str = "",
    active: bool = True,
) -> Vendor:
    name, slug = name.strip(), slug.strip()
    vendor.name = name
    vendor.slug = slug or slugify(name)[:80]
    vendor.contact_name = contact_name.strip()
    vendor.contact_email = contact_email.strip()
    vendor.active = active
    return _vendor_save(vendor, slug_given=bool(slug))


# --- contracts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ContractTerms:
    """Every field of a contract a manager sets."""

    name: str
    start_date: dt.date
    sla_policy: SlaPolicy
    monthly_fee: Decimal
    currency: str = "EUR"
    reference: str = ""
    end_date: dt.date | None = None
    inhouse_monthly_cost: Decimal | None = None
    target_cost_per_ticket: Decimal | None = None
    credit_cap_pct: Decimal = Decimal(20)
    audit_cadence_months: int | None = None
    remediation_days_critical: int = REMEDIATION_DAYS["critical"]
    remediation_days_high: int = REMEDIATION_DAYS["high"]
    remediation_days_medium: int = REMEDIATION_DAYS["medium"]
    remediation_days_low: int = REMEDIATION_DAYS["low"]


@dataclass(frozen=True)
class WeightTerms:
    metric: str
    weight: Decimal
    target: Decimal | None = None
    floor: Decimal | None = None


@dataclass(frozen=True)
class TierTerms:
    metric: str
    threshold: Decimal
    credit_pct: Decimal


def _label(code: str) -> str:
    found = METRICS.get(code)
    return found.label if found else repr(code)


def _row_errors(prefix: str, index: int, exc: ValidationError) -> dict[str, list[str]]:
    # A row's error without a field (NON_FIELD_ERRORS) keeps that key as its last part.
    return {f"{prefix}.{index}.{field}": messages for field, messages in exc.message_dict.items()}


def _check_contract(contract: Contract) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    others = Contract.objects.filter(vendor=contract.vendor, name=contract.name)
    if contract.pk:
        others = others.exclude(pk=contract.pk)
    if contract.name and others.exists():
        errors["name"] = [
            f"{contract.vendor.name} already has a contract called “{contract.name}”."
        ]
    try:
        # Uniqueness is checked above, in words a manager reads; the check constraints (ends
        # after it starts, cap at most 100) are also the model's clean(), which names the field.
        contract.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    return errors


def _weights_for(
    contract: Contract, rows: Sequence[WeightTerms]
) -> tuple[list[ScoreWeight], dict[str, list[str]]]:
    existing = {w.metric: w for w in contract.weights.all()} if contract.pk else {}
    kept: list[ScoreWeight] = []
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if row.metric in seen:
            errors[f"weights.{i}.metric"] = [
                f"{_label(row.metric)} is weighted twice; keep one row per metric."
            ]
            continue
        seen.add(row.metric)
        weight = existing.get(row.metric) or ScoreWeight(contract=contract, metric=row.metric)
        weight.weight, weight.target, weight.floor = row.weight, row.target, row.floor
        try:
            weight.full_clean(exclude=["contract"], validate_unique=False)
        except ValidationError as exc:
            errors.update(_row_errors("weights", i, exc))
        kept.append(weight)
    return kept, errors


def _tiers_for(
    contract: Contract, rows: Sequence[TierTerms]
) -> tuple[list[CreditTier], dict[str, list[str]]]:
    existing = (
        {(t.metric, t.threshold): t for t in contract.credit_tiers.all()} if contract.pk else {}
    )
    kept: list[CreditTier] = []
    errors: dict[str, list[str]] = {}
    seen: set[tuple[str, Decimal]] = set()
    for i, row in enumerate(rows):
        key = (row.metric, row.threshold)
        if key in seen:
            errors[f"credit_tiers.{i}.threshold"] = [
                f"{_label(row.metric)} has two tiers at {row.threshold}; keep one."
            ]
            continue
        seen.add(key)
        tier = existing.get(key) or CreditTier(
            contract=contract, metric=row.metric, threshold=row.threshold
        )
        tier.credit_pct = row.credit_pct
        try:
            tier.full_clean(exclude=["contract"], validate_unique=False)
        except ValidationError as exc:
            errors.update(_row_errors("credit_tiers", i, exc))
        kept.append(tier)
    return kept, errors


def _contract_write(
    contract: Contract,
    terms: ContractTerms,
    weights: Sequence[WeightTerms],
    tiers: Sequence[TierTerms],
) -> Contract:
    for field in ContractTerms.__dataclass_fields__:
        setattr(contract, field, getattr(terms, field))
    contract.name = (contract.name or "").strip()
    contract.reference = (contract.reference or "").strip()
    contract.currency = (contract.currency or "").strip().upper()
    errors = _check_contract(contract)
    new_weights, weight_errors = _weights_for(contract, weights)
    new_tiers, tier_errors = _tiers_for(contract, tiers)
    errors |= weight_errors | tier_errors
    if weights and sum(w.weight or 0 for w in weights) <= 0:
        # Weights replace the defaults; all zero would leave the score nothing to weigh.
        errors["weights"] = ["The weights add up to 0; give at least one a positive weight."]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        contract.save()
        # Rows no longer given are deleted, the others saved: each change is its own audit
        # entry (an unchanged row writes none).
        keep_metrics = {w.metric for w in new_weights}
        for old in contract.weights.exclude(metric__in=keep_metrics):
            old.delete()
        for weight in new_weights:
            weight.contract = contract
            weight.save()
        keep_tiers = {(t.metric, t.threshold) for t in new_tiers}
        for old in contract.credit_tiers.all():
            if (old.metric, old.threshold) not in keep_tiers:
                old.delete()
        for tier in new_tiers:
            tier.contract = contract
            tier.save()
    return contract


def contract_create(
    *,
    vendor: Vendor,
    terms: ContractTerms,
    weights: Sequence[WeightTerms] = (),
    tiers: Sequence[TierTerms] = (),
) -> Contract:
    """A new contract of `vendor` with its score weights and credit tiers, all or nothing."""
    return _contract_write(Contract(vendor=vendor), terms, weights, tiers)


def contract_update(
    *,
    contract: Contract,
    terms: ContractTerms,
    weights: Sequence[WeightTerms] = (),
    tiers: Sequence[TierTerms] = (),
) -> Contract:
    """Sets the contract's terms, and its weights and tiers to exactly those given."""
    return _contract_write(contract, terms, weights, tiers)
