"""Every URL of the site, asked for by every kind of user: the access table of issue 6.

The table lists each URL pattern of `django.urls.get_resolver()` (pages, the API, the survey
link, login, healthz; the admin by model prefix) with the answer each of five callers gets:
anonymous, a manager, a finance user, vendor A's user and vendor B's user. A URL pattern
without an entry fails `test_every_url_pattern_has_an_entry_in_the_access_table`.

URLs naming an object are filled with vendor A's object, so the vendor_b column says what
vendor B's user gets for A's object (404: not even its existence leaks); they are then asked
again with vendor B's object and the two vendor columns swapped. Every answer to a vendor's
user is also searched for the other vendor's names.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.admin.sites import site as admin_site
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accounts.services import invite_user
from assurance.models import Deliverable, Finding, FindingFix, SecurityAudit
from assurance.services import fix_report
from common.roles import FINANCE, MANAGER, VENDOR, ensure_role_groups
from scorecards import packs
from scorecards.models import Dispute, ReferenceBand, Restatement, ReviewRating
from tests.api.conftest import NOW, Side, _side, user_in
from tests.factories import TicketFactory
from tickets.models import ImportRun, LiveSource
from tickets.services import survey_link_for
from vendors.services import api_token_create

pytestmark = pytest.mark.django_db

USERS = ("anonymous", "manager", "finance", "vendor_a", "vendor_b")
OCTOBER = "2026-10"  # the month of the world's tickets, scorecards and review pack

# Names the world gives vendor A's and vendor B's things, chosen so that no page prints them
# by chance: one of them in an answer to the other vendor's user is a leak.
MARKS = {
    "a": ("Acme Support", "Acmecontract", "Acmetech", "A-INV-10", "A: fix the printer"),
    "b": ("HYPERLINK", "Bravocontract", "Bravotech", "B-INV-10", "B: fix the printer"),
}
LINKS = {"a": "/vendors/acme/", "b": "/vendors/hyperlink/"}


# --- the world ----------------------------------------------------------------------------------


@dataclass
class Site:
    side: dict[str, Side]  # "a", "b"
    users: dict[str, object]  # USERS -> user (None for anonymous)
    dispute: dict[str, Dispute]  # an open dispute of each vendor's breached ticket
    token: dict[str, object]  # an API token of each vendor's user
    import_run: ImportRun
    survey_token: str  # an unanswered survey link of a resolved ticket of vendor A
    live_source: LiveSource  # no secret: Test connection and Run now refuse without the network
    invitee: object  # a finance user invited, not yet accepted: the users pages act on them


def _rename(side: Side, stem: str) -> None:
    side.contract.name = f"{stem}contract"
    side.contract.save(update_fields=["name"])
    side.technician.name = f"{stem}tech"
    side.technician.save(update_fields=["name"])


def _dispute(side: Side, user) -> Dispute:
    return Dispute.objects.create(
        ticket=side.ticket,  # its resolution target was breached
        target="resolution",
        reason="The customer was away.",
        raised_by=user,
        raised_at=NOW,
    )


def build_site() -> Site:
    """Two vendors as in tests/api/conftest.py (contract, technician, a breached ticket, an
    invoice, a survey answer, an outage, an alert, an action item, October's scorecards),
    with a dispute each, API tokens, an import run and a survey link."""
    ensure_role_groups()  # the groups with their admin permissions, as seed_demo makes them
    a = _side("Acme Support", "acme", "GBP", "10000.00", "12000.00", "A")
    b = _side('=HYPERLINK("x")', "hyperlink", "EUR", "8000.00", "7000.00", "B")
    _rename(a, "Acme")
    _rename(b, "Bravo")
    users = {
        "anonymous": None,
        "manager": user_in(MANAGER, "manager"),
        "finance": user_in(FINANCE, "finance"),
        "vendor_a": user_in(VENDOR, "vendor-a", a.vendor),
        "vendor_b": user_in(VENDOR, "vendor-b", b.vendor),
    }
    # As in seed_demo: managers and finance may open the admin, vendor users never.
    get_user_model().objects.filter(username__in=["manager", "finance"]).update(is_staff=True)
    created = dt.datetime(2026, 10, 6, 10, tzinfo=dt.UTC)
    surveyed = TicketFactory(
        contract=a.contract,
        external_id="A-3",
        status="resolved",
        created_at=created,
        resolved_at=created + dt.timedelta(hours=3),
    )
    for side in (a, b):  # October's resolved count, restated after the month was reopened
        Restatement.objects.create(
            vendor=side.vendor,
            subject_kind="vendor",
            subject_id=side.vendor.pk,
            period_kind="month",
            period_start=dt.date(2026, 10, 1),
            metric="tickets_resolved",
            old_value=1,
            new_value=2,
            restated_at=created,
        )
    return Site(
        side={"a": a, "b": b},
        users=users,
        dispute={"a": _dispute(a, users["vendor_a"]), "b": _dispute(b, users["vendor_b"])},
        token={
            "a": api_token_create(user=users["vendor_a"], name="A's script").token,
            "b": api_token_create(user=users["vendor_b"], name="B's script").token,
        },
        import_run=ImportRun.objects.create(source="test", format="mapped", file_name="oct.csv"),
        survey_token=survey_link_for(surveyed).rstrip("/").rsplit("/", 1)[-1],
        live_source=LiveSource.objects.create(
            name="acme-snow", kind="servicenow", base_url="http://127.0.0.1:9/", username="api"
        ),
        invitee=invite_user(email="invitee@example.com", role=FINANCE, vendor=None, by=None).user,
    )


@pytest.fixture
def site(monkeypatch, settings, tmp_path) -> Site:
    settings.MEDIA_ROOT = tmp_path / "media"  # the findings' evidence files
    # The PDF is the pack's print page through Chromium (tests/scorecards/test_packs.py prints
    # one); here the print page itself is answered, so its contents are checked for leaks.
    monkeypatch.setattr(packs, "pack_pdf_bytes", lambda pack: packs.pack_print_html(pack).encode())
    return build_site()


# --- the table ----------------------------------------------------------------------------------

# Answers, one per user in USERS order:
#   200, 400, 403, 404, 405 ...  the status code
#   login                        302 to the login page (with ?next=)
#   admin-login                  302 to the admin's login page
#   ->/path                      302 to a URL starting with /path
#   302                          302 anywhere


@dataclass(frozen=True)
class Entry:
    path: Callable[[Site, str], str]  # (site, "a" or "b") -> URL with that vendor's objects
    get: str
    post: str  # the answer to a POST with no data
    mirror: bool = False  # names a vendor's object: asked for A's and for B's
    public: bool = False  # no login by design (its token is the key): no leak check


def _slug(s: Site, k: str) -> str:
    return s.side[k].vendor.slug


def _pack(suffix: str) -> Callable[[Site, str], str]:
    return lambda s, k: f"/vendors/{_slug(s, k)}/review/{OCTOBER}/{suffix}"


def _run(suffix: str) -> Callable[[Site, str], str]:
    return lambda s, k: f"/imports/{s.import_run.pk}/{suffix}"


def _source(suffix: str) -> Callable[[Site, str], str]:
    return lambda s, k: f"/sources/{s.live_source.pk}/{suffix}"


def _fixed(url: str) -> Callable[[Site, str], str]:
    return lambda s, k: url


X5 = "{0} {0} {0} {0} {0}".format
LOGIN_ONLY = "login 200 200 200 200"
OWN_VENDOR = "login 200 200 200 404"  # vendor B's user asking for vendor A's object
MANAGERS = "login 200 403 403 403"
HOME = X5("->/")  # a redirect home, whoever asks
MANAGER_POST_GET = "login 405 403 403 403"  # a button: GET is refused once the role is checked
MANAGER_POST = "login 302 403 403 403"  # done, back to the list
NO_PASSWORD = "login 403 403 403 403"  # reauthentication needs a password these users lack
NOTHING = "login 404 404 404 404"  # the user has no such authenticator
TO_LOGIN_OR_HOME = "->/accounts/login/ ->/ ->/ ->/ ->/"  # a login stage not under way
TO_CHANGE, TO_RESET = "->/accounts/password_change/", "->/accounts/password_reset/"


def _invitee(suffix: str) -> Callable[[Site, str], str]:
    return lambda s, k: f"/users/{s.invitee.pk}/{suffix}"


def _band(suffix: str) -> Callable[[Site, str], str]:
    """A reference band's page; the band is made when first asked for (bands are nobody's)."""

    def path(s: Site, k: str) -> str:
        band, _ = ReferenceBand.objects.get_or_create(
            metric="csat_pct", defaults={"low": 80, "source": "A published survey, 2024"}
        )
        return f"/reference-bands/{band.pk}/{suffix}"

    return path


def _ratings(s: Site) -> dict[str, ReviewRating]:
    """October's communication rating of each vendor, its evidence naming the vendor."""
    return {
        k: ReviewRating.objects.get_or_create(
            vendor=s.side[k].vendor,
            month=dt.date(2026, 10, 1),
            quality="communication",
            defaults={"rating": 4, "evidence": f"{MARKS[k][0]} answered", "rated_at": NOW},
        )[0]
        for k in ("a", "b")
    }


def _deliverable(s: Site, k: str) -> int:
    """The vendor's deliverable, made when first asked for (and again after one is deleted)."""
    d, _ = Deliverable.objects.get_or_create(
        vendor=s.side[k].vendor,
        reference=f"{k.upper()}-D1",
        defaults={"title": f"{k.upper()} pilot", "planned_on": dt.date(2026, 10, 6)},
    )
    return d.pk


def _delivery(suffix: str) -> Callable[[Site, str], str]:
    return lambda s, k: f"/vendors/{_slug(s, k)}/deliverables/{_deliverable(s, k)}/{suffix}"


def _security(s: Site, k: str) -> FindingFix:
    """The vendor's audit with a finding its user reported fixed with an evidence file (the fix
    awaits the manager's check), made when first asked for (and again after it is deleted)."""
    fix = FindingFix.objects.filter(finding__vendor=s.side[k].vendor).first()
    if fix is None:
        audit = SecurityAudit.objects.create(
            vendor=s.side[k].vendor, held_on=dt.date(2026, 10, 1), kind="internal", scope="Desk"
        )
        finding = Finding.objects.create(
            audit=audit,
            vendor=audit.vendor,
            title=f"{k.upper()}: open port",
            severity="high",
            raised_on=dt.date(2026, 10, 1),
            due_on=dt.date(2026, 10, 31),
        )
        fix = fix_report(
            finding=finding,
            user=s.users[f"vendor_{k}"],
            fixed_on=dt.date(2026, 10, 5),
            note="Closed",
            evidence=SimpleUploadedFile("rescan.pdf", b"%PDF-1.4\n%%EOF\n"),
        )
    return fix


def _audit(suffix: str) -> Callable[[Site, str], str]:
    return lambda s, k: f"/audits/{_security(s, k).finding.audit_id}/{suffix}"


def _finding(suffix: str) -> Callable[[Site, str], str]:
    return lambda s, k: f"/findings/{_security(s, k).finding_id}/{suffix}"


def _fix(suffix: str) -> Callable[[Site, str], str]:
    return lambda s, k: f"/fixes/{_security(s, k).pk}/{suffix}"


PAGES: dict[str, Entry] = {
    "home": Entry(
        _fixed("/"),
        get="login ->/portfolio/ ->/portfolio/ ->/vendors/acme/ ->/vendors/hyperlink/",
        post="login ->/portfolio/ ->/portfolio/ ->/vendors/acme/ ->/vendors/hyperlink/",
    ),
    "account_login": Entry(
        _fixed("/accounts/login/"), get="200 ->/ ->/ ->/ ->/", post="200 ->/ ->/ ->/ ->/"
    ),
    # allauth asks to confirm a logout by GET; the POST logs out.
    "account_logout": Entry(
        _fixed("/accounts/logout/"),
        get="->/accounts/login/ 200 200 200 200",
        post=X5("->/accounts/login/"),
    ),
    "healthz": Entry(_fixed("/healthz"), get=X5(200), post=X5(405), public=True),
    "favicon": Entry(_fixed("/favicon.ico"), get=X5(200), post=X5(405), public=True),
    # Comparing vendors is for managers and finance only.
    "portfolio": Entry(
        _fixed("/portfolio/"), get="login 200 200 403 403", post="login 200 200 403 403"
    ),
    "vendor": Entry(lambda s, k: f"/vendors/{_slug(s, k)}/", OWN_VENDOR, OWN_VENDOR, mirror=True),
    "team": Entry(
        lambda s, k: f"/vendors/{_slug(s, k)}/technicians/", OWN_VENDOR, OWN_VENDOR, mirror=True
    ),
    "technician": Entry(
        lambda s, k: f"/vendors/{_slug(s, k)}/technicians/{s.side[k].technician.pk}/",
        OWN_VENDOR,
        OWN_VENDOR,
        mirror=True,
    ),
    "pack-index": Entry(
        lambda s, k: f"/vendors/{_slug(s, k)}/review/", OWN_VENDOR, X5(405), mirror=True
    ),
    "pack": Entry(_pack(""), OWN_VENDOR, X5(405), mirror=True),
    "pack-pdf": Entry(_pack("pack.pdf"), OWN_VENDOR, X5(405), mirror=True),
    "pack-xlsx": Entry(_pack("pack.xlsx"), OWN_VENDOR, X5(405), mirror=True),
    # Notes and new action items are the manager's; an empty form goes back to the pack.
    "pack-notes": Entry(_pack("notes/"), X5(405), "login 302 403 403 403", mirror=True),
    "action-add": Entry(_pack("actions/"), X5(405), "login 302 403 403 403", mirror=True),
    # The review's ratings are the manager's (an empty form changes nothing, back to the pack).
    "pack-ratings": Entry(_pack("ratings/"), X5(405), "login 302 403 403 403", mirror=True),
    # An empty status form goes back to the pack with its errors; another vendor's item is 404.
    "action-update": Entry(
        lambda s, k: f"/actions/{s.side[k].action.pk}/",
        X5(405),
        "login 302 302 302 404",
        mirror=True,
    ),
    "recompute": Entry(_fixed("/recompute/"), MANAGERS, MANAGERS),
    "recompute-progress": Entry(
        _fixed("/recompute/no-such-run/progress"),
        get="login 404 403 403 403",
        post="login 405 403 403 403",
    ),
    "breaches": Entry(_fixed(f"/breaches/?period={OCTOBER}"), LOGIN_ONLY, X5(405)),
    "ticket": Entry(
        lambda s, k: f"/tickets/{s.side[k].ticket.pk}/", OWN_VENDOR, X5(405), mirror=True
    ),
    # Only a vendor's user raises a dispute (an empty reason is a 400 page).
    "dispute-raise": Entry(
        lambda s, k: f"/tickets/{s.side[k].ticket.pk}/dispute",
        X5(405),
        "login 403 403 400 404",
        mirror=True,
    ),
    "disputes": Entry(_fixed("/disputes/"), LOGIN_ONLY, X5(405)),
    "dispute-decide": Entry(
        lambda s, k: f"/disputes/{s.dispute[k].pk}/decide",
        X5(405),
        "login 400 403 403 403",
        mirror=True,
    ),
    # Deliverables: every role reads its vendor's list; managers write (an empty form comes
    # back with its errors, a delete goes back to the list).
    # Security audits and findings: managers record, the vendor's users report fixes, finance
    # reads (evidence too); an empty form comes back with its errors.
    "findings": Entry(
        lambda s, k: f"/vendors/{_slug(s, k)}/findings/", OWN_VENDOR, X5(405), mirror=True
    ),
    "security-audit-new": Entry(
        lambda s, k: f"/vendors/{_slug(s, k)}/audits/new/", MANAGERS, MANAGERS, mirror=True
    ),
    "security-audit": Entry(_audit(""), OWN_VENDOR, X5(405), mirror=True),
    "security-audit-edit": Entry(_audit("edit/"), MANAGERS, MANAGERS, mirror=True),
    "security-audit-delete": Entry(
        _audit("delete/"), X5(405), "login 302 403 403 403", mirror=True
    ),
    "finding-add": Entry(_audit("findings/"), X5(405), "login 200 403 403 403", mirror=True),
    "security-audit-import": Entry(_audit("import/"), MANAGERS, MANAGERS, mirror=True),
    # Nothing uploaded yet: back to the upload.
    "security-audit-import-map": Entry(
        _audit("import/map/"),
        "login ->/audits/ 403 403 403",
        "login ->/audits/ 403 403 403",
        mirror=True,
    ),
    "finding": Entry(_finding(""), OWN_VENDOR, X5(405), mirror=True),
    "finding-edit": Entry(_finding("edit/"), MANAGERS, MANAGERS, mirror=True),
    "finding-fix": Entry(_finding("fix/"), X5(405), "login 403 403 200 404", mirror=True),
    # An empty verification verifies today; an empty rejection says the reason is missing.
    "fix-verify": Entry(_fix("verify/"), X5(405), "login 302 403 403 403", mirror=True),
    "fix-reject": Entry(_fix("reject/"), X5(405), "login 200 403 403 403", mirror=True),
    "fix-evidence": Entry(_fix("evidence"), OWN_VENDOR, X5(405), mirror=True),
    "deliverables": Entry(
        lambda s, k: f"/vendors/{_slug(s, k)}/deliverables/", OWN_VENDOR, X5(405), mirror=True
    ),
    "deliverable-new": Entry(
        lambda s, k: f"/vendors/{_slug(s, k)}/deliverables/new/", MANAGERS, MANAGERS, mirror=True
    ),
    "deliverable-import": Entry(
        lambda s, k: f"/vendors/{_slug(s, k)}/deliverables/import/",
        MANAGERS,
        MANAGERS,
        mirror=True,
    ),
    "deliverable-edit": Entry(_delivery(""), MANAGERS, MANAGERS, mirror=True),
    "deliverable-replan": Entry(_delivery("replan/"), X5(405), MANAGERS, mirror=True),
    "deliverable-deliver": Entry(_delivery("deliver/"), X5(405), MANAGERS, mirror=True),
    "deliverable-delete": Entry(
        _delivery("delete/"), X5(405), "login 302 403 403 403", mirror=True
    ),
    "imports": Entry(_fixed("/imports/"), MANAGERS, "login 405 403 403 403"),
    "import-new": Entry(_fixed("/imports/new/"), MANAGERS, MANAGERS),
    "import-mapping": Entry(_run("mapping/"), MANAGERS, MANAGERS),
    # A run with no mapping yet sends the manager to map its columns first.
    "import-preview": Entry(_run("preview/"), "login 302 403 403 403", "login 302 403 403 403"),
    "import-detail": Entry(_run(""), MANAGERS, "login 405 403 403 403"),
    "import-progress": Entry(_run("progress"), MANAGERS, "login 405 403 403 403"),
    "import-errors": Entry(_run("rejected.csv"), MANAGERS, "login 405 403 403 403"),
    "live-sources": Entry(_fixed("/sources/"), MANAGERS, "login 405 403 403 403"),
    "live-source-new": Entry(_fixed("/sources/new/"), MANAGERS, MANAGERS),
    "live-source": Entry(_source(""), MANAGERS, "login 405 403 403 403"),
    "live-source-edit": Entry(_source("edit/"), MANAGERS, MANAGERS),
    "live-source-test": Entry(_source("test/"), "login 405 403 403 403", MANAGERS),
    "live-source-run": Entry(_source("run/"), "login 405 403 403 403", "login 302 403 403 403"),
    "live-source-pause": Entry(_source("pause/"), "login 405 403 403 403", "login 302 403 403 403"),
    "live-source-resume": Entry(
        _source("resume/"), "login 405 403 403 403", "login 302 403 403 403"
    ),
    "live-source-rebackfill": Entry(_source("rebackfill/"), "login 405 403 403 403", MANAGERS),
    "live-source-map": Entry(_source("map/"), "login 405 403 403 403", "login 302 403 403 403"),
    # The signature is the key (tickets/live/webhooks.py): no login; an unknown source is a 404.
    "live-source-webhook": Entry(
        _fixed("/api/sources/999999/webhook/"), get=X5(405), post=X5(404), public=True
    ),
    # The link is the key: anyone holding it answers, nobody needs a login.
    "survey": Entry(lambda s, k: f"/survey/{s.survey_token}/", X5(200), X5(400), public=True),
    "api-tokens": Entry(_fixed("/account/tokens/"), LOGIN_ONLY, LOGIN_ONLY),
    # A user revokes its own tokens, a manager anyone's; another's token is a 404.
    "api-token-revoke": Entry(
        lambda s, k: f"/account/tokens/{s.token[k].pk}/revoke/",
        "login 405 405 405 405",
        "login ->/account/tokens/ 404 ->/account/tokens/ 404",
        mirror=True,
    ),
    "audit": Entry(_fixed("/audit/"), MANAGERS, "login 405 403 403 403"),
    # Reference bands (managers only); an empty form comes back with its errors.
    "bands": Entry(_fixed("/reference-bands/"), MANAGERS, "login 405 403 403 403"),
    "band-new": Entry(_fixed("/reference-bands/new/"), MANAGERS, MANAGERS),
    "band-edit": Entry(_band(""), MANAGERS, MANAGERS),
    "band-delete": Entry(_band("delete/"), MANAGER_POST_GET, MANAGER_POST),
    # Vendor and contract set-up (managers only); an empty form comes back with its errors.
    "setup": Entry(_fixed("/setup/"), MANAGERS, "login 405 403 403 403"),
    "setup-vendors": Entry(_fixed("/setup/vendors/"), MANAGERS, "login 405 403 403 403"),
    "setup-vendor-new": Entry(_fixed("/setup/vendors/new/"), MANAGERS, MANAGERS),
    "setup-vendor-edit": Entry(
        lambda s, k: f"/setup/vendors/{_slug(s, k)}/edit/", MANAGERS, MANAGERS, mirror=True
    ),
    "setup-contract-new": Entry(
        lambda s, k: f"/setup/vendors/{_slug(s, k)}/contracts/new/",
        MANAGERS,
        MANAGERS,
        mirror=True,
    ),
    "setup-contract-edit": Entry(
        lambda s, k: f"/setup/contracts/{s.side[k].contract.pk}/", MANAGERS, MANAGERS, mirror=True
    ),
    # SLA set-up (managers only); an empty form comes back with its errors.
    "setup-policies": Entry(_fixed("/setup/policies/"), MANAGERS, "login 405 403 403 403"),
    "setup-policy-new": Entry(_fixed("/setup/policies/new/"), MANAGERS, MANAGERS),
    "setup-policy-edit": Entry(
        lambda s, k: f"/setup/policies/{s.side['a'].contract.sla_policy_id}/", MANAGERS, MANAGERS
    ),
    "setup-calendars": Entry(_fixed("/setup/calendars/"), MANAGERS, "login 405 403 403 403"),
    "setup-calendar-new": Entry(_fixed("/setup/calendars/new/"), MANAGERS, MANAGERS),
    "setup-calendar-edit": Entry(
        lambda s, k: f"/setup/calendars/{s.side['a'].contract.sla_policy.calendar_id}/",
        MANAGERS,
        MANAGERS,
    ),
    # --- accounts (issue 15) ---
    # Users are managed by managers only; the buttons are POSTs (a GET is a 405 once the role
    # is checked); an empty form comes back with its errors.
    "users": Entry(_fixed("/users/"), MANAGERS, "login 405 403 403 403"),
    "user-invite": Entry(_fixed("/users/invite/"), MANAGERS, MANAGERS),
    "user-edit": Entry(_invitee(""), MANAGERS, MANAGERS),
    "user-deactivate": Entry(_invitee("deactivate/"), MANAGER_POST_GET, MANAGER_POST),
    "user-reactivate": Entry(_invitee("reactivate/"), MANAGER_POST_GET, MANAGER_POST),
    "user-resend": Entry(_invitee("resend/"), MANAGER_POST_GET, MANAGER_POST),
    "user-lift-lockout": Entry(_invitee("lift-lockout/"), MANAGER_POST_GET, MANAGER_POST),
    # The invitation link is its own key; a wrong one says to ask for a new invitation.
    "invitation-accept": Entry(
        _fixed("/accounts/invite/MQ/bad-token/"), X5(400), X5(400), public=True
    ),
    # Django's password reset (the same page whether or not the address exists; a bad link
    # says it no longer works) and change (signed-in users).
    "password_reset": Entry(_fixed("/accounts/password_reset/"), X5(200), X5(200)),
    "password_reset_done": Entry(_fixed("/accounts/password_reset/done/"), X5(200), X5(405)),
    "password_reset_confirm": Entry(
        _fixed("/accounts/reset/MQ/bad-token/"), X5(200), X5(200), public=True
    ),
    "password_reset_complete": Entry(_fixed("/accounts/reset/done/"), X5(200), X5(405)),
    "password_change": Entry(_fixed("/accounts/password_change/"), LOGIN_ONLY, LOGIN_ONLY),
    "password_change_done": Entry(
        _fixed("/accounts/password_change/done/"), LOGIN_ONLY, "login 405 405 405 405"
    ),
    # allauth's own password pages lead to Django's.
    "account_change_password": Entry(
        _fixed("/accounts/password/change/"), X5(TO_CHANGE), X5(TO_CHANGE)
    ),
    "account_set_password": Entry(_fixed("/accounts/password/set/"), X5(TO_CHANGE), X5(TO_CHANGE)),
    "account_reset_password": Entry(
        _fixed("/accounts/password/reset/"), X5(TO_RESET), X5(TO_RESET)
    ),
    "account_reset_password_done": Entry(
        _fixed("/accounts/password/reset/done/"),
        X5("->/accounts/password_reset/done/"),
        X5("->/accounts/password_reset/done/"),
    ),
    "account_reset_password_from_key_done": Entry(
        _fixed("/accounts/password/reset/key/done/"),
        X5("->/accounts/reset/done/"),
        X5("->/accounts/reset/done/"),
    ),
    # allauth's other account pages, as they answer: sign-up is closed (its page says so),
    # e-mail confirmation is off, login by code is off.
    "account_inactive": Entry(_fixed("/accounts/inactive/"), X5(200), X5(405)),
    "account_signup": Entry(
        _fixed("/accounts/signup/"), "200 ->/ ->/ ->/ ->/", "200 ->/ ->/ ->/ ->/"
    ),
    "account_reauthenticate": Entry(_fixed("/accounts/reauthenticate/"), NO_PASSWORD, NO_PASSWORD),
    "account_email": Entry(_fixed("/accounts/email/"), HOME, HOME),
    "account_email_verification_sent": Entry(_fixed("/accounts/confirm-email/"), X5(200), X5(405)),
    "account_confirm_email": Entry(
        _fixed("/accounts/confirm-email/no-such-key/"), X5(200), X5(404), public=True
    ),
    "account_confirm_login_code": Entry(
        _fixed("/accounts/login/code/confirm/"), TO_LOGIN_OR_HOME, TO_LOGIN_OR_HOME
    ),
    # Two-factor set-up for every signed-in user. The users here have no password (hence no
    # reauthentication: 403) and no authenticator yet (nothing to show, deactivate or edit: 404).
    "mfa_index": Entry(_fixed("/accounts/2fa/"), LOGIN_ONLY, "login 405 405 405 405"),
    "mfa_authenticate": Entry(
        _fixed("/accounts/2fa/authenticate/"), TO_LOGIN_OR_HOME, TO_LOGIN_OR_HOME
    ),
    "mfa_reauthenticate": Entry(_fixed("/accounts/2fa/reauthenticate/"), NO_PASSWORD, NO_PASSWORD),
    "mfa_activate_totp": Entry(_fixed("/accounts/2fa/totp/activate/"), LOGIN_ONLY, LOGIN_ONLY),
    "mfa_deactivate_totp": Entry(_fixed("/accounts/2fa/totp/deactivate/"), NOTHING, NOTHING),
    "mfa_view_recovery_codes": Entry(
        _fixed("/accounts/2fa/recovery-codes/"), NOTHING, "login 405 405 405 405"
    ),
    "mfa_generate_recovery_codes": Entry(
        _fixed("/accounts/2fa/recovery-codes/generate/"), LOGIN_ONLY, LOGIN_ONLY
    ),
    "mfa_download_recovery_codes": Entry(
        _fixed("/accounts/2fa/recovery-codes/download/"), NOTHING, NOTHING
    ),
    "mfa_list_webauthn": Entry(
        _fixed("/accounts/2fa/webauthn/"), LOGIN_ONLY, "login 405 405 405 405"
    ),
    "mfa_add_webauthn": Entry(_fixed("/accounts/2fa/webauthn/add/"), LOGIN_ONLY, LOGIN_ONLY),
    "mfa_reauthenticate_webauthn": Entry(
        _fixed("/accounts/2fa/webauthn/reauthenticate/"), NO_PASSWORD, NO_PASSWORD
    ),
    "mfa_remove_webauthn": Entry(_fixed("/accounts/2fa/webauthn/keys/1/remove/"), NOTHING, NOTHING),
    "mfa_edit_webauthn": Entry(_fixed("/accounts/2fa/webauthn/keys/1/edit/"), NOTHING, NOTHING),
    # Single sign-on: no provider is configured in the tests (tests/accounts/ has their own).
    "socialaccount_login_cancelled": Entry(
        _fixed("/accounts/3rdparty/login/cancelled/"), X5(200), X5(405)
    ),
    "socialaccount_login_error": Entry(_fixed("/accounts/3rdparty/login/error/"), X5(401), X5(405)),
    "socialaccount_signup": Entry(
        _fixed("/accounts/3rdparty/signup/"), X5("->/accounts/login/"), X5("->/accounts/login/")
    ),
    # A manager owns who a user is: the self-service pages lead home.
    "socialaccount_connections": Entry(_fixed("/accounts/3rdparty/"), HOME, HOME),
    "openid_connect_login": Entry(_fixed("/accounts/oidc/nowhere/login/"), X5(404), X5(404)),
    "openid_connect_callback": Entry(
        _fixed("/accounts/oidc/nowhere/login/callback/"), X5(404), X5(404)
    ),
    # Each user's own sessions (an empty POST ends none and comes back).
    "usersessions_list": Entry(
        _fixed("/accounts/sessions/"),
        LOGIN_ONLY,
        "login ->/accounts/sessions/ ->/accounts/sessions/ ->/accounts/sessions/ "
        "->/accounts/sessions/",
    ),
    "api-schema": Entry(_fixed("/api/schema/"), "403 200 200 200 200", "403 405 405 405 405"),
    "api-docs": Entry(_fixed("/api/docs/"), "403 200 200 200 200", "403 405 405 405 405"),
}

# The REST API (namespace `api`): anonymous callers get 403; lists narrow to the caller's
# vendors, so both vendors' users get 200 with their own rows (checked below), and details of
# another vendor's object are a 404.
API_LIST = "403 200 200 200 200"
API_READ_ONLY_POST = "403 405 405 405 405"
API_DETAIL = "403 200 200 200 404"


def _api(resource: str) -> Callable[[Site, str], str]:
    return _fixed(f"/api/v1/{resource}/")


def _api_detail(resource: str, pick: Callable[[Side], int]) -> Callable[[Site, str], str]:
    return lambda s, k: f"/api/v1/{resource}/{pick(s.side[k])}/"


def _security_api(resource: str) -> Callable[[Site, str], str]:
    def url(s: Site, k: str) -> str:
        for side in ("a", "b"):  # both vendors have one, so the list shows whose rows come
            _security(s, side)
        return f"/api/v1/{resource}/"

    return url


def _deliverables_api(s: Site, k: str) -> str:
    for side in ("a", "b"):  # both vendors have one, so the list shows whose rows a user gets
        _deliverable(s, side)
    return "/api/v1/deliverables/"


API: dict[str, Entry] = {
    "api:vendor-list": Entry(_api("vendors"), API_LIST, API_READ_ONLY_POST),
    "api:contract-list": Entry(_api("contracts"), API_LIST, API_READ_ONLY_POST),
    "api:technician-list": Entry(_api("technicians"), API_LIST, API_READ_ONLY_POST),
    "api:ticket-list": Entry(_api("tickets"), API_LIST, API_READ_ONLY_POST),
    "api:breach-list": Entry(_api("breaches"), API_LIST, API_READ_ONLY_POST),
    "api:alert-list": Entry(_api("alerts"), API_LIST, API_READ_ONLY_POST),
    "api:scorecard-list": Entry(_api("scorecards"), API_LIST, API_READ_ONLY_POST),
    "api:service-credit-list": Entry(_api("service-credits"), API_LIST, API_READ_ONLY_POST),
    "api:cost-per-ticket-list": Entry(_api("cost-per-ticket"), API_LIST, API_READ_ONLY_POST),
    # Savings compare with in-house costs across vendors: managers and finance only.
    "api:savings-list": Entry(
        _fixed(f"/api/v1/savings/?as_of={OCTOBER}"), "403 200 200 403 403", "403 405 405 403 403"
    ),
    # Finance records invoices; an empty one is a 400 naming the missing fields.
    "api:invoice-list": Entry(_api("invoices"), API_LIST, "403 400 400 403 403"),
    # Integrations (managers' tokens) post survey answers.
    "api:survey-answer-list": Entry(_api("survey-answers"), API_LIST, "403 400 403 403 403"),
    "api:outage-list": Entry(_api("outages"), API_LIST, API_READ_ONLY_POST),
    "api:restatement-list": Entry(_api("restatements"), API_LIST, API_READ_ONLY_POST),
    # Managers push deliverables (an empty body is a 400 naming the fields); the others read.
    "api:deliverable-list": Entry(_deliverables_api, API_LIST, "403 400 403 403 403"),
    "api:security-audit-list": Entry(
        _security_api("security-audits"), API_LIST, API_READ_ONLY_POST
    ),
    "api:security-audit-detail": Entry(
        lambda s, k: f"/api/v1/security-audits/{_security(s, k).finding.audit_id}/",
        API_DETAIL,
        API_READ_ONLY_POST,
        mirror=True,
    ),
    "api:finding-list": Entry(_security_api("findings"), API_LIST, API_READ_ONLY_POST),
    "api:finding-detail": Entry(
        lambda s, k: f"/api/v1/findings/{_security(s, k).finding_id}/",
        API_DETAIL,
        API_READ_ONLY_POST,
        mirror=True,
    ),
    "api:deliverable-detail": Entry(
        lambda s, k: f"/api/v1/deliverables/{_deliverable(s, k)}/",
        API_DETAIL,
        API_READ_ONLY_POST,
        mirror=True,
    ),
    "api:deliverable-replan": Entry(
        lambda s, k: f"/api/v1/deliverables/{_deliverable(s, k)}/replan/",
        "403 405 405 405 405",
        "403 400 403 403 403",
        mirror=True,
    ),
    # The world has no restatement yet: an id nobody may see is a 404 (never a 403 that leaks).
    "api:restatement-detail": Entry(
        _fixed("/api/v1/restatements/999999/"), "403 404 404 404 404", API_READ_ONLY_POST
    ),
    # Read-only; each vendor's user lists its own vendor's ratings and evidence only.
    "api:review-rating-list": Entry(
        lambda s, k: _ratings(s) and "/api/v1/review-ratings/", API_LIST, API_READ_ONLY_POST
    ),
    "api:review-rating-detail": Entry(
        lambda s, k: f"/api/v1/review-ratings/{_ratings(s)[k].pk}/",
        API_DETAIL,
        API_READ_ONLY_POST,
        mirror=True,
    ),
    # Managers add action items (an empty body is a 400 naming the fields).
    "api:action-item-list": Entry(_api("action-items"), API_LIST, "403 400 403 403 403"),
    # As on the pages: a vendor's user raises (an empty body is a 400 naming the fields)...
    "api:dispute-list": Entry(_api("disputes"), API_LIST, "403 403 403 400 400"),
    # Managers only; the table's empty form post is a 415 (tickets come only as JSON).
    "api:tickets-bulk": Entry(
        _fixed("/api/v1/tickets/bulk"), "403 405 403 403 403", "403 415 403 403 403"
    ),
    "api:vendor-detail": Entry(
        _api_detail("vendors", lambda s: s.vendor.pk), API_DETAIL, API_READ_ONLY_POST, mirror=True
    ),
    "api:contract-detail": Entry(
        _api_detail("contracts", lambda s: s.contract.pk),
        API_DETAIL,
        API_READ_ONLY_POST,
        mirror=True,
    ),
    "api:technician-detail": Entry(
        _api_detail("technicians", lambda s: s.technician.pk),
        API_DETAIL,
        API_READ_ONLY_POST,
        mirror=True,
    ),
    "api:ticket-detail": Entry(
        _api_detail("tickets", lambda s: s.ticket.pk), API_DETAIL, API_READ_ONLY_POST, mirror=True
    ),
    "api:ticket-events": Entry(
        lambda s, k: f"/api/v1/tickets/{s.side[k].ticket.pk}/events/",
        API_DETAIL,
        API_READ_ONLY_POST,
        mirror=True,
    ),
    "api:alert-detail": Entry(
        _api_detail("alerts", lambda s: s.alert.pk), API_DETAIL, API_READ_ONLY_POST, mirror=True
    ),
    "api:invoice-detail": Entry(
        _api_detail("invoices", lambda s: s.invoice.pk),
        API_DETAIL,
        "403 405 405 403 403",  # the write roles are asked before the method
        mirror=True,
    ),
    "api:survey-answer-detail": Entry(
        _api_detail("survey-answers", lambda s: s.survey.pk),
        API_DETAIL,
        "403 405 403 403 403",
        mirror=True,
    ),
    "api:outage-detail": Entry(
        _api_detail("outages", lambda s: s.outage.pk), API_DETAIL, API_READ_ONLY_POST, mirror=True
    ),
    "api:action-item-detail": Entry(
        _api_detail("action-items", lambda s: s.action.pk),
        API_DETAIL,
        API_READ_ONLY_POST,
        mirror=True,
    ),
    # Managers move any item, a vendor's user its own vendor's (an empty body is a 400).
    "api:action-item-status": Entry(
        lambda s, k: f"/api/v1/action-items/{s.side[k].action.pk}/status/",
        "403 405 405 405 405",
        "403 400 403 400 404",
        mirror=True,
    ),
    "api:dispute-detail": Entry(
        lambda s, k: f"/api/v1/disputes/{s.dispute[k].pk}/",
        API_DETAIL,
        API_READ_ONLY_POST,
        mirror=True,
    ),
    # ... and a manager decides (an empty body is a 400 naming the decision).
    "api:dispute-decision": Entry(
        lambda s, k: f"/api/v1/disputes/{s.dispute[k].pk}/decision/",
        "403 405 405 405 405",
        "403 400 403 403 403",
        mirror=True,
    ),
}

TABLE = {**PAGES, **API}

# The Django admin: one entry per URL prefix (the site's own pages, then each registered
# model). Every admin URL sends anonymous callers and vendor users (never staff) to the admin
# login; the entry gives what the staff roles get on the prefix's list page: managers hold
# every permission on our apps, finance only `view_` ones (and adds/changes invoices), and
# neither manages user accounts and groups.
STAFF_LIST = "admin-login 200 200 admin-login admin-login"
MANAGER_LIST = "admin-login 200 403 admin-login admin-login"
ADMIN: dict[str, str] = {
    "admin/": STAFF_LIST,  # the index, login, logout, password change, jsi18n, app lists
    "admin/auth/group/": "admin-login 403 403 admin-login admin-login",
    "admin/auth/user/": "admin-login 403 403 admin-login admin-login",
    **{
        f"admin/{label.replace('.', '/')}/": STAFF_LIST
        for label in (
            "tickets.ticket",
            "tickets.surveyresponse",
            "tickets.outage",
            "tickets.attributionrule",
            "tickets.sourcemapping",
            "tickets.importrun",
            "vendors.businesscalendar",
            "vendors.slapolicy",
            "vendors.contract",
            "vendors.vendor",
            "vendors.technician",
            "vendors.invoice",
            "vendors.vendormembership",
            "scorecards.metricvalue",
            "scorecards.scorecard",
            "scorecards.dispute",
            "scorecards.closedperiod",
            "scorecards.restatement",
            "scorecards.alert",
            "scorecards.reviewmeeting",
            "scorecards.actionitem",
            "scorecards.packdelivery",
            "assurance.deliverable",
            "assurance.securityaudit",
            "assurance.finding",
            "assurance.findingfix",
        )
    },
    # Who changed what is for managers only (issue 6).
    "admin/vendors/auditentry/": MANAGER_LIST,
    # Sign-in records (allauth's and axes'): like users and groups, no role's business in the
    # admin (managers lift lockouts and see 2FA and SSO on the users page).
    **{
        f"admin/{label.replace('.', '/')}/": "admin-login 403 403 admin-login admin-login"
        for label in (
            "account.emailaddress",
            "axes.accessattempt",
            "axes.accessfailurelog",
            "axes.accesslog",
            "mfa.authenticator",
            "socialaccount.socialaccount",
            "socialaccount.socialapp",
            "socialaccount.socialtoken",
            "usersessions.usersession",
        )
    },
}


# --- walking the resolver -----------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # the namespaced name, or the pattern when it has none
    pattern: str  # the full pattern from the site root


def site_routes() -> list[Route]:
    """Every URL pattern of the site, recursively."""

    def walk(resolver: URLResolver, prefix: str, namespace: str):
        for item in resolver.url_patterns:
            pattern = prefix + str(item.pattern)
            if isinstance(item, URLResolver):
                inner = f"{namespace}{item.namespace}:" if item.namespace else namespace
                yield from walk(item, pattern, inner)
            elif isinstance(item, URLPattern):
                key = f"{namespace}{item.name}" if item.name else pattern
                yield Route(key, pattern.replace("^", "").replace("$", ""))

    return list(walk(get_resolver(), "", ""))


def _admin_prefix(route: Route) -> str:
    """The ADMIN entry of an admin route: its model's prefix if it has one, else `admin/`."""
    for prefix in ADMIN:
        if prefix != "admin/" and route.pattern.startswith(prefix):
            return prefix
    return "admin/"


def _is_admin(route: Route) -> bool:
    return route.key.startswith("admin:") or route.pattern.startswith("admin/")


def test_every_url_pattern_has_an_entry_in_the_access_table():
    routes = site_routes()
    keys = {r.key for r in routes if not _is_admin(r)}
    missing = sorted(keys - set(TABLE))
    stale = sorted(set(TABLE) - keys)

    assert not missing, f"URL patterns without an entry in tests/test_access.py: {missing}"
    assert not stale, f"Entries of tests/test_access.py naming no URL pattern: {stale}"
    admin_models = {
        f"admin/{m._meta.app_label}/{m._meta.model_name}/" for m in admin_site._registry
    }
    missing = sorted(admin_models - set(ADMIN))
    stale = sorted(set(ADMIN) - admin_models - {"admin/"})

    assert not missing, f"Admin models without an ADMIN entry in tests/test_access.py: {missing}"
    assert not stale, f"ADMIN entries naming no admin model: {stale}"


def test_every_entry_resolves_to_its_own_url_pattern(site):
    for key, entry in TABLE.items():
        for k in ("a", "b") if entry.mirror else ("a",):
            match = resolve(entry.path(site, k).split("?")[0])
            name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
            assert name == key, f"{key}'s URL resolves to {name}"


# --- asking ---------------------------------------------------------------------------------------


def _client(site: Site, user: str, api: bool) -> Client:
    client = APIClient() if api else Client()
    if site.users[user] is not None:
        client.force_login(site.users[user])
    return client


def _answer(response) -> str:
    """The response in the table's words, e.g. `404` or `->/vendors/acme/`."""
    if response.status_code not in (301, 302):
        return str(response.status_code)
    location = response["Location"]
    if location.startswith(reverse(settings.LOGIN_URL) + "?next="):
        return "login"
    if location.startswith(reverse("admin:login") + "?next="):
        return "admin-login"
    return "->" + location


def _matches(expected: str, answer: str) -> bool:
    if expected == "302":
        return answer.startswith("->")
    if expected.startswith("->"):
        return answer.startswith(expected)
    return expected == answer


def body_text(response) -> str:
    """Everything a response carries, as text: XLSX cells, CSV and streamed rows included."""
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    if raw[:2] == b"PK":  # an XLSX (a zip)
        with zipfile.ZipFile(io.BytesIO(raw)) as book:
            return " ".join(
                book.read(n).decode("utf-8", "replace")
                for n in book.namelist()
                if n.endswith(".xml")
            )
    return raw.decode("utf-8", "replace")


def assert_no_leak(response, *, user: str, what: str) -> None:
    """Vendor A's user sees nothing of vendor B, and B's nothing of A."""
    if user not in ("vendor_a", "vendor_b"):
        return
    other = "b" if user == "vendor_a" else "a"
    text = body_text(response)
    for mark in MARKS[other]:
        assert mark not in text, f"{what}: {user} receives {mark!r} of the other vendor"
    if response.status_code == 200:  # an error page may repeat the URL that was asked for
        assert LINKS[other] not in text, f"{what}: {user} gets a link to the other vendor"


def _swap(expected: list[str]) -> list[str]:
    anonymous, manager, finance, vendor_a, vendor_b = expected
    return [anonymous, manager, finance, vendor_b, vendor_a]


def check_entry(site: Site, key: str, entry: Entry) -> list[str]:
    """Asks for the entry's URL as every user, by GET and by an empty POST; the mismatches."""
    api = key.startswith("api:")
    wrong = []
    for k in ("a", "b") if entry.mirror else ("a",):
        url = entry.path(site, k)
        for method, row in (("GET", entry.get), ("POST", entry.post)):
            expected = row.split()
            assert len(expected) == len(USERS), f"{key} {method}: give one answer per user"
            if k == "b":
                expected = _swap(expected)
            for user, want in zip(USERS, expected, strict=True):
                client = _client(site, user, api)
                response = client.get(url) if method == "GET" else client.post(url, {})
                got = _answer(response)
                if not _matches(want, got):
                    wrong.append(f"{method} {url} as {user}: {got}, expected {want}")
                if not entry.public:
                    assert_no_leak(response, user=user, what=f"{method} {url}")
    return wrong


@pytest.mark.parametrize("key", sorted(PAGES))
def test_each_user_gets_the_expected_answer_from_each_page(site, key):
    wrong = check_entry(site, key, PAGES[key])

    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("key", sorted(API))
def test_each_user_gets_the_expected_answer_from_each_api_endpoint(site, key):
    wrong = check_entry(site, key, API[key])

    assert not wrong, "\n".join(wrong)


def _admin_url(route: Route, site: Site) -> str:
    """An admin route filled with ids that exist (vendor A's where the model has one)."""
    url = "/" + route.pattern
    for name in ("<path:object_id>", "<int:content_type_id>", "(?P<content_type_id>\\d+)"):
        url = url.replace(name, "1")
    url = url.replace("(?P<object_id>.+)", "1").replace("(?P<url>.*)", "nowhere/")
    for label in ("auth", "tickets", "vendors", "scorecards"):
        url = url.replace(f"(?P<app_label>{label})", label)
    if "(?P<app_label>" in url:
        url = url.split("(?P<app_label>")[0] + "vendors/"
    return url


@pytest.mark.parametrize("prefix", sorted(ADMIN))
def test_the_admin_lets_in_only_its_staff(site, prefix):
    routes = [r for r in site_routes() if _is_admin(r) and _admin_prefix(r) == prefix]
    assert routes
    wrong = []
    # Every URL under the prefix: anonymous callers and vendor users go to the admin login.
    for route in routes:
        url = _admin_url(route, site)
        for user in ("anonymous", "vendor_a", "vendor_b"):
            for method in ("get", "post"):
                got = _answer(getattr(_client(site, user, False), method)(url, {}))
                want = "admin-login"
                if route.key == "admin:login":
                    want = "200"  # the login form itself (an empty one comes back with errors)
                elif route.key == "admin:logout":
                    want = "->/admin/"  # Django sends non-staff to the index, hence the login
                if not _matches(want, got):
                    wrong.append(f"{method.upper()} {url} as {user}: {got}, expected {want}")
    # The staff roles on the prefix's page (the index, or the model's list).
    page = "/admin/" if prefix == "admin/" else "/" + prefix
    for user, want in zip(USERS, ADMIN[prefix].split(), strict=True):
        response = _client(site, user, False).get(page)
        got = _answer(response)
        if not _matches(want, got):
            wrong.append(f"GET {page} as {user}: {got}, expected {want}")

    assert not wrong, "\n".join(wrong)


# --- vendor A's user never receives vendor B's data ---------------------------------------------


def test_the_leak_check_sees_both_vendors_where_a_manager_looks(site):
    """The names the checks above look for are really printed: a manager's breach list and
    dispute queue show both vendors', a vendor user's its own."""
    for url in (
        f"/breaches/?period={OCTOBER}",
        "/disputes/",
        f"/breaches/?period={OCTOBER}&format=csv",
    ):
        manager = body_text(_client(site, "manager", False).get(url))
        own = body_text(_client(site, "vendor_a", False).get(url))

        assert any(m in manager for m in MARKS["a"]), url
        assert any(m in manager for m in MARKS["b"]), url
        assert any(m in own for m in MARKS["a"]), url


@pytest.mark.parametrize(
    "url",
    [
        "/breaches/?period={period}&vendor={b_vendor}",
        "/breaches/?period={period}&vendor={b_vendor}&format=csv",
    ],
)
def test_a_vendor_filter_naming_another_vendor_is_a_404(site, url):
    url = url.format(period=OCTOBER, b_vendor=site.side["b"].vendor.pk)

    assert _client(site, "vendor_a", False).get(url).status_code == 404
    assert _client(site, "manager", False).get(url).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/vendors/acme/?period={period}&contract={b_contract}",
        "/vendors/acme/technicians/?period={period}&contract={b_contract}",
        "/vendors/acme/technicians/{a_tech}/?period={period}&contract={b_contract}",
        "/breaches/?period={period}&contract={b_contract}",
        "/breaches/?period={period}&contract={b_contract}&format=csv",
        "/disputes/?vendor={b_vendor}&status=all",
        "/vendors/acme/review/?vendor={b_vendor}",
        "/vendors/acme/review/{period}/?vendor={b_vendor}&contract={b_contract}",
    ],
)
def test_filters_naming_vendor_bs_objects_show_vendor_a_nothing_of_b(site, url):
    url = url.format(
        period=OCTOBER,
        b_vendor=site.side["b"].vendor.pk,
        b_contract=site.side["b"].contract.pk,
        a_tech=site.side["a"].technician.pk,
    )
    response = _client(site, "vendor_a", False).get(url)

    assert response.status_code == 200
    assert_no_leak(response, user="vendor_a", what=url)


def _charts(response) -> list[dict]:
    found = re.findall(
        r'<script id="fig-[0-9a-f]+" type="application/json">(.*?)</script>',
        response.content.decode(),
        flags=re.S,
    )
    return [json.loads(f) for f in found]


def test_charts_on_vendor_as_pages_hold_no_name_of_vendor_b(site):
    names = ("HYPERLINK", "Bravocontract", "Bravotech")
    pages = [
        f"/vendors/acme/?period={OCTOBER}",
        f"/vendors/acme/technicians/?period={OCTOBER}",
        f"/vendors/acme/technicians/{site.side['a'].technician.pk}/?period={OCTOBER}",
        f"/breaches/?period={OCTOBER}",
    ]
    seen = 0
    for url in pages:
        charts = _charts(_client(site, "vendor_a", False).get(url))
        seen += len(charts)
        for chart in charts:
            text = json.dumps(chart)
            assert not [n for n in names if n in text], url
    assert seen > 0, "the pages drew no chart at all"
    # The same check finds vendor B on the comparison a manager sees.
    portfolio = _charts(_client(site, "manager", False).get(f"/portfolio/?period={OCTOBER}"))
    assert any("HYPERLINK" in json.dumps(chart) for chart in portfolio)


@pytest.mark.parametrize("suffix", ["", "pack.xlsx", "pack.pdf"])
def test_vendor_as_review_pack_holds_only_vendor_as_figures(site, suffix):
    client = _client(site, "vendor_a", False)

    own = client.get(f"/vendors/acme/review/{OCTOBER}/{suffix}")
    other = client.get(f"/vendors/hyperlink/review/{OCTOBER}/{suffix}")

    assert own.status_code == 200
    assert "Acme Support" in body_text(own)
    assert_no_leak(own, user="vendor_a", what=f"pack {suffix}")
    assert other.status_code == 404
    assert_no_leak(other, user="vendor_a", what=f"B's pack {suffix}")


# --- the API's lists: each vendor's user gets its own rows, and filters never widen them -------

# list endpoint -> how to find a row's vendor
API_ROW_VENDOR: dict[str, Callable[[dict], int]] = {
    "api:vendor-list": lambda r: r["id"],
    **{
        f"api:{name}-list": lambda r: r["vendor"]
        for name in (
            "contract",
            "technician",
            "ticket",
            "breach",
            "alert",
            "scorecard",
            "service-credit",
            "cost-per-ticket",
            "savings",
            "invoice",
            "restatement",
            "review-rating",
            "deliverable",
            "security-audit",
            "finding",
            "survey-answer",
            "outage",
            "action-item",
            "dispute",
        )
    },
}


def test_every_api_list_says_how_to_find_a_rows_vendor():
    lists = {k for k in API if k.endswith("-list")}

    assert lists == set(API_ROW_VENDOR)


def _api_url(key: str, site: Site, **params) -> str:
    url = API[key].path(site, "a")
    extra = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{url}{'&' if '?' in url else '?'}{extra}" if extra else url


@pytest.mark.parametrize("key", sorted(API_ROW_VENDOR))
@pytest.mark.parametrize("user", ["manager", "finance"])
def test_managers_and_finance_see_both_vendors_in_each_api_list(site, key, user):
    response = _client(site, user, True).get(_api_url(key, site))

    assert response.status_code == 200
    vendors = {API_ROW_VENDOR[key](r) for r in response.json()["results"]}
    assert vendors == {site.side["a"].vendor.pk, site.side["b"].vendor.pk}


@pytest.mark.parametrize("key", sorted(API_ROW_VENDOR))
@pytest.mark.parametrize("own", ["a", "b"])
def test_a_vendor_user_sees_only_its_own_vendor_in_each_api_list(site, key, own):
    other = "b" if own == "a" else "a"
    client = _client(site, f"vendor_{own}", True)

    response = client.get(_api_url(key, site))
    if API[key].get.split()[3] == "403":  # staff only (savings)
        assert response.status_code == 403
        return
    assert response.status_code == 200
    vendors = {API_ROW_VENDOR[key](r) for r in response.json()["results"]}
    assert vendors == {site.side[own].vendor.pk}
    # A filter naming the other vendor narrows to nothing; it never widens.
    narrowed = client.get(_api_url(key, site, vendor=site.side[other].vendor.pk))
    assert narrowed.status_code == 200
    assert narrowed.json()["results"] == []


FINANCE_EXPORTS = ["scorecard", "service-credit", "cost-per-ticket", "invoice"]


def _export_rows(response) -> list[list[str]]:
    if response["Content-Type"].startswith("text/csv"):
        return list(csv.reader(io.StringIO(response.content.decode("utf-8").lstrip("\ufeff"))))
    book = load_workbook(io.BytesIO(response.content))
    return [
        ["" if v is None else str(v) for v in row]
        for row in book.active.iter_rows(values_only=True)
    ]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("name", FINANCE_EXPORTS)
def test_vendor_as_exports_hold_only_vendor_as_rows(site, name, fmt):
    key = f"api:{name}-list"
    client = _client(site, "vendor_a", True)

    rows = _export_rows(client.get(_api_url(key, site, format=fmt)))
    header, body = rows[0], rows[1:]
    vendor = header.index("vendor")
    assert body and {r[vendor] for r in body} == {str(site.side["a"].vendor.pk)}
    assert_no_leak(client.get(_api_url(key, site, format=fmt)), user="vendor_a", what=key)
    # Filtered to vendor B, the export is its header alone.
    filtered = _export_rows(
        client.get(_api_url(key, site, format=fmt, vendor=site.side["b"].vendor.pk))
    )
    assert filtered == [header]
    # Finance gets both vendors' rows from the same export.
    both = _export_rows(_client(site, "finance", True).get(_api_url(key, site, format=fmt)))
    assert {r[vendor] for r in both[1:]} == {str(site.side[k].vendor.pk) for k in "ab"}


def test_savings_do_not_export_to_a_vendor_user(site):
    for fmt in ("csv", "xlsx"):
        url = _api_url("api:savings-list", site, format=fmt)

        assert _client(site, "vendor_a", True).get(url).status_code == 403


def test_a_user_without_a_role_is_refused_pages_and_api(site):
    nobody = user_in(None, "nobody")
    page, api = Client(), APIClient()
    page.force_login(nobody)
    api.force_login(nobody)

    assert page.get("/").status_code == 403
    assert page.get("/vendors/acme/").status_code == 403
    assert api.get("/api/v1/vendors/").status_code == 403


@pytest.mark.parametrize("user", ["finance", "vendor_a"])
def test_only_managers_post_survey_answers(site, user):
    response = _client(site, user, True).post(
        "/api/v1/survey-answers/",
        {"ticket": site.side["a"].ticket.pk, "score": 5},
        format="json",
    )

    assert response.status_code == 403


def test_vendor_users_cannot_record_invoices(site):
    response = _client(site, "vendor_a", True).post(
        "/api/v1/invoices/",
        {"contract": site.side["a"].contract.pk, "period_start": "2026-11-01", "amount": "10.00"},
        format="json",
    )

    assert response.status_code == 403


def test_vendor_bs_technician_under_vendor_as_address_is_a_404(site):
    url = f"/vendors/acme/technicians/{site.side['b'].technician.pk}/?period={OCTOBER}"

    for user in ("vendor_a", "manager"):
        response = _client(site, user, False).get(url)

        assert response.status_code == 404
        assert_no_leak(response, user=user, what=url)
