"""Writes of audits, findings and fixes: due dates from the contract's remediation days, every
refusal naming its field, the months marked for recompute, verify and reject."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from assurance import services
from assurance.models import Finding, FindingFix, FindingStatus
from common.roles import VENDOR
from tests.api.conftest import user_in
from tests.assurance import findings_world
from tests.assurance.findings_world import PDF, TODAY, audit_of, finding_of, upload
from tests.factories import VendorFactory
from vendors.signals import vendor_figures_changed

pytestmark = pytest.mark.django_db

# The shared fixtures, taken by assignment (an import would read as unused, then redefined).
frozen_today = findings_world.frozen_today
media = findings_world.media
world = findings_world.world


def refusal(call) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def test_the_due_date_comes_from_the_findings_contract(world):
    audit = audit_of(world.a, contract=world.contract_a)

    finding = finding_of(audit, severity="critical", raised_on=dt.date(2026, 3, 1))

    assert finding.due_on == dt.date(2026, 3, 6)  # Acme's contract: 5 days for a critical


def test_without_a_contract_named_the_vendors_first_contract_gives_the_days(world):
    audit = audit_of(world.a)  # no contract named

    finding = finding_of(audit, severity="critical", raised_on=dt.date(2026, 3, 1))

    assert finding.due_on == dt.date(2026, 3, 6)


def test_a_vendor_with_no_contract_has_the_metrics_defaults(world):
    lone = VendorFactory(name="Lone Vendor", slug="lone")
    audit = audit_of(lone)

    due = {
        s: finding_of(audit, title=s, severity=s, raised_on=dt.date(2026, 3, 1)).due_on
        for s in ("critical", "high", "medium", "low")
    }

    assert due == {
        "critical": dt.date(2026, 3, 8),  # 7 days (worked example 7)
        "high": dt.date(2026, 3, 31),  # 30
        "medium": dt.date(2026, 5, 30),  # 90
        "low": dt.date(2026, 8, 28),  # 180
    }


def test_a_due_date_given_is_kept(world):
    finding = finding_of(audit_of(world.a), due_on=dt.date(2026, 3, 20))

    assert finding.due_on == dt.date(2026, 3, 20)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"severity": ""}, "severity"),
        ({"severity": "severe"}, "severity"),
        ({"title": "  "}, "title"),
        ({"raised_on": None}, "raised_on"),
        ({"raised_on": TODAY + dt.timedelta(days=1)}, "raised_on"),
        ({"due_on": dt.date(2026, 2, 28)}, "due_on"),  # before its raising on 1 March
    ],
)
def test_a_bad_finding_is_refused_naming_the_field(world, change, field):
    audit = audit_of(world.a)
    terms = {"title": "Open SMB share", "severity": "high", "raised_on": dt.date(2026, 3, 1)}

    errors = refusal(
        lambda: services.finding_create(
            audit=audit, terms=services.FindingTerms(**(terms | change))
        )
    )

    assert list(errors) == [field]
    assert not Finding.objects.exists()


def test_a_reference_is_unique_per_vendor(world):
    finding_of(audit_of(world.a), reference="PT-1")

    errors = refusal(lambda: finding_of(audit_of(world.a), title="Other", reference="PT-1"))

    assert list(errors) == ["reference"]
    finding_of(audit_of(world.b), reference="PT-1")  # another vendor may use it


def test_an_audit_in_the_future_or_without_scope_is_refused(world):
    terms = services.AuditTerms(held_on=TODAY + dt.timedelta(days=1), kind="internal", scope="")

    errors = refusal(lambda: services.audit_create(vendor=world.a, terms=terms, user=world.manager))

    assert sorted(errors) == ["held_on", "scope"]


def test_an_audit_naming_another_vendors_contract_is_refused(world):
    terms = services.AuditTerms(
        held_on=TODAY, kind="internal", scope="Desk", contract=world.contract_b
    )

    errors = refusal(lambda: services.audit_create(vendor=world.a, terms=terms, user=world.manager))

    assert list(errors) == ["contract"]


@pytest.mark.parametrize(
    ("fixed_on", "note", "field"),
    [
        (dt.date(2026, 2, 28), "Patched", "fixed_on"),  # before it was raised on 1 March
        (TODAY + dt.timedelta(days=1), "Patched", "fixed_on"),  # in the future
        (None, "Patched", "fixed_on"),
        (dt.date(2026, 3, 5), "  ", "note"),
    ],
)
def test_a_bad_fix_report_is_refused_naming_the_field(world, fixed_on, note, field):
    finding = finding_of(audit_of(world.a))

    errors = refusal(
        lambda: services.fix_report(
            finding=finding, user=world.vendor_a, fixed_on=fixed_on, note=note
        )
    )

    assert list(errors) == [field]
    finding.refresh_from_db()
    assert (finding.status, finding.reported_fixed_on) == (FindingStatus.OPEN, None)


def test_only_the_findings_own_vendor_reports_it_fixed(world):
    finding = finding_of(audit_of(world.a))

    for user in (world.vendor_b, world.manager):
        with pytest.raises(PermissionDenied):
            services.fix_report(finding=finding, user=user, fixed_on=TODAY, note="Done")


def test_worked_example_7s_critical_reported_then_verified(world):
    lone = VendorFactory(name="Lone Vendor", slug="lone")  # default days: 7 for a critical
    finding = finding_of(audit_of(lone), severity="critical", raised_on=dt.date(2026, 3, 1))
    user = _member_of(lone)

    fix = services.fix_report(
        finding=finding, user=user, fixed_on=dt.date(2026, 3, 6), note="Patched"
    )
    services.fix_verify(fix=fix, user=world.manager, verified_on=dt.date(2026, 3, 9))

    finding.refresh_from_db()
    assert (finding.due_on, finding.reported_fixed_on, finding.verified_on, finding.status) == (
        dt.date(2026, 3, 8),
        dt.date(2026, 3, 6),
        dt.date(2026, 3, 9),
        FindingStatus.VERIFIED,
    )


def _member_of(vendor):
    return user_in(VENDOR, f"user-{vendor.slug}", vendor)


def test_a_verification_before_the_fix_or_in_the_future_is_refused(world):
    finding = finding_of(audit_of(world.a))
    fix = services.fix_report(
        finding=finding, user=world.vendor_a, fixed_on=dt.date(2026, 3, 6), note="Patched"
    )

    for day in (dt.date(2026, 3, 5), TODAY + dt.timedelta(days=1)):
        errors = refusal(
            lambda day=day: services.fix_verify(fix=fix, user=world.manager, verified_on=day)
        )
        assert list(errors) == ["verified_on"]


def test_a_rejected_fix_clears_the_reported_day_and_keeps_its_evidence(world, media):
    finding = finding_of(audit_of(world.a))
    fix = services.fix_report(
        finding=finding,
        user=world.vendor_a,
        fixed_on=dt.date(2026, 3, 6),
        note="Patched",
        evidence=upload("scan.pdf", PDF),
    )

    assert list(refusal(lambda: services.fix_reject(fix=fix, user=world.manager, note=""))) == [
        "note"
    ]
    services.fix_reject(fix=fix, user=world.manager, note="The rescan still shows TLS 1.0.")

    finding.refresh_from_db()
    fix.refresh_from_db()
    assert (finding.status, finding.reported_fixed_on) == (FindingStatus.OPEN, None)
    assert (fix.decision, fix.decision_note) == ("rejected", "The rescan still shows TLS 1.0.")
    assert fix.evidence.storage.exists(fix.evidence.name)
    assert fix.evidence.read() == PDF
    # Open again: the vendor may report it fixed anew; a decided report is not decided twice.
    services.fix_report(
        finding=finding, user=world.vendor_a, fixed_on=TODAY, note="Disabled TLS 1.0"
    )
    assert list(refusal(lambda: services.fix_verify(fix=fix, user=world.manager))) == ["__all__"]
    assert FindingFix.objects.filter(finding=finding).count() == 2


def test_a_second_report_while_one_awaits_its_check_is_refused(world):
    finding = finding_of(audit_of(world.a))
    services.fix_report(finding=finding, user=world.vendor_a, fixed_on=TODAY, note="Patched")

    errors = refusal(
        lambda: services.fix_report(
            finding=finding, user=world.vendor_a, fixed_on=TODAY, note="Again"
        )
    )

    assert list(errors) == ["__all__"]


@pytest.fixture
def marked():
    """The first month each write marks dirty, per vendor."""
    seen: list[tuple[int, dt.date]] = []

    def receiver(sender, vendor_id, instants, **kwargs):
        seen.append((vendor_id, min(instants).date()))

    vendor_figures_changed.connect(receiver, weak=False, dispatch_uid="findings-test")
    yield seen
    vendor_figures_changed.disconnect(dispatch_uid="findings-test")


def test_each_write_marks_the_months_from_the_earliest_date_before_or_after(world, marked):
    audit = audit_of(world.a, held_on=dt.date(2026, 2, 20))
    finding = finding_of(audit, raised_on=dt.date(2026, 3, 3))
    moved = services.FindingTerms(
        title="TLS 1.0 enabled", severity="high", raised_on=dt.date(2026, 1, 15)
    )
    services.finding_update(finding=finding, terms=moved)
    back = services.FindingTerms(
        title="TLS 1.0 enabled", severity="high", raised_on=dt.date(2026, 3, 3)
    )
    services.finding_update(finding=finding, terms=back)
    fix = services.fix_report(
        finding=finding, user=world.vendor_a, fixed_on=dt.date(2026, 3, 20), note="Done"
    )
    services.fix_reject(fix=fix, user=world.manager, note="Not done")

    a = world.a.pk
    assert marked == [
        (a, dt.date(2026, 2, 1)),  # the audit of 20 February
        (a, dt.date(2026, 3, 1)),  # raised 3 March
        (a, dt.date(2026, 1, 1)),  # moved to 15 January
        (a, dt.date(2026, 1, 1)),  # moved back: January was its day before
        (a, dt.date(2026, 3, 1)),  # reported fixed 20 March
        (a, dt.date(2026, 3, 1)),  # rejected: March's figures lose the fix
    ]


def test_deleting_an_audit_deletes_its_findings_and_their_evidence(
    world, marked, django_capture_on_commit_callbacks
):
    audit = audit_of(world.a)
    finding = finding_of(audit, raised_on=dt.date(2026, 1, 5))
    fix = services.fix_report(
        finding=finding,
        user=world.vendor_a,
        fixed_on=TODAY,
        note="Done",
        evidence=upload("a.pdf", PDF),
    )
    stored, storage = fix.evidence.name, fix.evidence.storage

    with django_capture_on_commit_callbacks(execute=True):
        services.audit_delete(audit=audit)

    assert not Finding.objects.exists()
    assert not storage.exists(stored)
    assert marked[-1] == (world.a.pk, dt.date(2026, 1, 1))
