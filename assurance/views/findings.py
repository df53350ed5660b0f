"""Security audits and findings pages.

Who may do what: managers record audits and their findings (by hand or by importing a
scanner's list), edit them, and verify or reject the vendor's fix reports; a vendor's user sees
its own vendor's audits and findings (another vendor's are a 404) and reports a finding fixed
with a note and optional evidence; finance reads everything, evidence included (auditors of the
contract work as finance), and changes nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assurance import evidence, ingest, selectors, services
from assurance.models import FindingStatus, FixDecision
from assurance.views.finding_forms import (
    AuditForm,
    FindingFilterForm,
    FindingForm,
    FixReportForm,
    ImportMappingForm,
    ImportUploadForm,
    RejectForm,
    VerifyForm,
)
from common.pages import ALL_ROLES, add_service_errors, page_for, reporting_today
from common.roles import MANAGER, VENDOR
from tickets.ingest.records import FormatError
from vendors.selectors import vendor_get_for_user


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


# --- the vendor's findings ----------------------------------------------------------------------


@require_GET
@page_for(*ALL_ROLES)
def findings_page(request: HttpRequest, slug: str) -> HttpResponse:
    vendor = vendor_get_for_user(request.user, slug=slug)
    today = reporting_today()
    filters = FindingFilterForm(request.GET or None)
    chosen = filters.cleaned_data if filters.is_valid() else {}
    rows = selectors.findings_of_vendor(
        vendor=vendor,
        today=today,
        status=chosen.get("status", ""),
        severity=chosen.get("severity", ""),
    )
    return render(
        request,
        "assurance/findings.html",
        {
            "vendor": vendor,
            "rows": rows,
            "counts": selectors.open_counts(vendor=vendor, today=today),
            "audits": selectors.audits_of_vendor(vendor=vendor),
            "filters": filters,
            "today": today,
            "may_manage": request.role == MANAGER,
        },
    )


# --- audits -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@page_for(MANAGER)
def audit_new(request: HttpRequest, slug: str) -> HttpResponse:
    vendor = vendor_get_for_user(request.user, slug=slug)
    form = AuditForm(_posted(request), vendor=vendor)
    if request.method == "POST" and form.is_valid():
        try:
            audit = services.audit_create(vendor=vendor, terms=form.terms(), user=request.user)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Audit recorded. Next: its findings.")
            return redirect("security-audit", audit.pk)
    return render(request, "assurance/audit_form.html", {"vendor": vendor, "form": form})


def _audit_page(request: HttpRequest, audit, finding_form=None, status: int = 200):
    may_manage = request.role == MANAGER
    if may_manage and finding_form is None:
        finding_form = FindingForm()
    return render(
        request,
        "assurance/audit.html",
        {
            "audit": audit,
            "vendor": audit.vendor,
            "rows": selectors.audit_findings(audit=audit, today=reporting_today()),
            "finding_form": finding_form,
            "may_manage": may_manage,
        },
        status=status,
    )


@require_GET
@page_for(*ALL_ROLES)
def audit_page(request: HttpRequest, audit_id: int) -> HttpResponse:
    return _audit_page(request, selectors.audit_get_for_user(user=request.user, audit_id=audit_id))


@require_http_methods(["GET", "POST"])
@page_for(MANAGER)
def audit_edit(request: HttpRequest, audit_id: int) -> HttpResponse:
    audit = selectors.audit_get_for_user(user=request.user, audit_id=audit_id)
    form = AuditForm(_posted(request), vendor=audit.vendor, initial=AuditForm.initial_for(audit))
    if request.method == "POST" and form.is_valid():
        try:
            services.audit_update(audit=audit, terms=form.terms())
        except ValidationError as exc:
            add_service_errors(form, exc)
            audit = selectors.audit_get_for_user(user=request.user, audit_id=audit_id)
        else:
            messages.success(request, "Audit saved.")
            return redirect("security-audit", audit.pk)
    return render(
        request, "assurance/audit_form.html", {"vendor": audit.vendor, "audit": audit, "form": form}
    )


@require_POST
@page_for(MANAGER)
def audit_delete(request: HttpRequest, audit_id: int) -> HttpResponse:
    audit = selectors.audit_get_for_user(user=request.user, audit_id=audit_id)
    slug = audit.vendor.slug
    services.audit_delete(audit=audit)
    messages.success(request, "The audit and its findings are deleted.")
    return redirect("findings", slug)


@require_POST
@page_for(MANAGER)
def finding_add(request: HttpRequest, audit_id: int) -> HttpResponse:
    audit = selectors.audit_get_for_user(user=request.user, audit_id=audit_id)
    form = FindingForm(request.POST)
    if form.is_valid():
        try:
            finding = services.finding_create(audit=audit, terms=form.terms())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, f"Finding “{finding.title}” added, due {finding.due_on:%Y-%m-%d}."
            )
            return redirect(reverse("security-audit", args=[audit.pk]) + "#add-finding")
    return _audit_page(request, audit, finding_form=form)


# --- findings -----------------------------------------------------------------------------------


def _finding_page(
    request: HttpRequest, finding, *, fix_form=None, verify_form=None, reject_form=None
):
    today = reporting_today()
    fixes = list(selectors.finding_fixes(finding=finding))
    pending = next((f for f in fixes if f.decision == FixDecision.PENDING), None)
    is_vendor = request.role == VENDOR
    may_manage = request.role == MANAGER
    if is_vendor and finding.status == FindingStatus.OPEN and fix_form is None:
        fix_form = FixReportForm(initial={"fixed_on": today})
    if may_manage and pending is not None:
        verify_form = verify_form or VerifyForm()
        reject_form = reject_form or RejectForm()
    return render(
        request,
        "assurance/finding.html",
        {
            "finding": finding,
            "vendor": finding.vendor,
            "overdue": selectors.is_overdue(finding, today),
            "fixes": fixes,
            "pending": pending,
            "fix_form": fix_form if is_vendor and finding.status == FindingStatus.OPEN else None,
            "verify_form": verify_form if pending else None,
            "reject_form": reject_form if pending else None,
            "may_manage": may_manage,
        },
    )


@require_GET
@page_for(*ALL_ROLES)
def finding_page(request: HttpRequest, finding_id: int) -> HttpResponse:
    finding = selectors.finding_get_for_user(user=request.user, finding_id=finding_id)
    return _finding_page(request, finding)


@require_http_methods(["GET", "POST"])
@page_for(MANAGER)
def finding_edit(request: HttpRequest, finding_id: int) -> HttpResponse:
    finding = selectors.finding_get_for_user(user=request.user, finding_id=finding_id)
    form = FindingForm(_posted(request), initial=FindingForm.initial_for(finding))
    if request.method == "POST" and form.is_valid():
        try:
            services.finding_update(finding=finding, terms=form.terms())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Finding saved.")
            return redirect("finding", finding.pk)
    return render(
        request,
        "assurance/finding_form.html",
        {"finding": finding, "vendor": finding.vendor, "form": form},
    )


@require_POST
@page_for(VENDOR)
def finding_fix(request: HttpRequest, finding_id: int) -> HttpResponse:
    finding = selectors.finding_get_for_user(user=request.user, finding_id=finding_id)
    form = FixReportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.fix_report(
                finding=finding,
                user=request.user,
                fixed_on=form.cleaned_data["fixed_on"],
                note=form.cleaned_data["note"],
                evidence=form.cleaned_data["evidence"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Reported fixed: a manager will check it.")
            return redirect("finding", finding.pk)
    return _finding_page(request, finding, fix_form=form)


@require_POST
@page_for(MANAGER)
def fix_verify(request: HttpRequest, fix_id: int) -> HttpResponse:
    fix = selectors.fix_get_for_user(user=request.user, fix_id=fix_id)
    form = VerifyForm(request.POST)
    if form.is_valid():
        try:
            services.fix_verify(
                fix=fix,
                user=request.user,
                verified_on=form.cleaned_data["verified_on"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The fix is verified.")
            return redirect("finding", fix.finding_id)
    return _finding_page(request, fix.finding, verify_form=form)


@require_POST
@page_for(MANAGER)
def fix_reject(request: HttpRequest, fix_id: int) -> HttpResponse:
    fix = selectors.fix_get_for_user(user=request.user, fix_id=fix_id)
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            services.fix_reject(fix=fix, user=request.user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "The fix is rejected: the finding is open again.")
            return redirect("finding", fix.finding_id)
    return _finding_page(request, fix.finding, reject_form=form)


@require_GET
@page_for(*ALL_ROLES)
def fix_evidence(request: HttpRequest, fix_id: int) -> FileResponse:
    """The evidence file, only to those who may see the finding, always as a download."""
    fix = selectors.fix_get_for_user(user=request.user, fix_id=fix_id)
    if not fix.evidence:
        raise Http404("This fix report has no evidence file.")
    try:
        stream = fix.evidence.open("rb")
    except FileNotFoundError:
        raise Http404("The evidence file is missing.") from None
    response = FileResponse(
        stream,
        as_attachment=True,
        filename=evidence.download_name(fix.evidence_name, fix.evidence_type),
        content_type=fix.evidence_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response["Cache-Control"] = "private, no-store"
    return response


# --- importing a findings list ------------------------------------------------------------------


def _session_key(audit) -> str:
    return f"findings-import-{audit.pk}"


@require_http_methods(["GET", "POST"])
@page_for(MANAGER)
def audit_import(request: HttpRequest, audit_id: int) -> HttpResponse:
    audit = selectors.audit_get_for_user(user=request.user, audit_id=audit_id)
    form = ImportUploadForm(_posted(request), request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            stored = ingest.upload_keep(upload)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            ingest.upload_discard(request.session.get(_session_key(audit), {}).get("file", ""))
            request.session[_session_key(audit)] = {"file": stored, "name": upload.name}
            return redirect("security-audit-import-map", audit.pk)
    return render(
        request,
        "assurance/audit_import.html",
        {
            "audit": audit,
            "vendor": audit.vendor,
            "form": form,
            "max_mb": settings.IMPORT_MAX_UPLOAD_MB,
            "fields": ingest.LABELS,
        },
    )


@require_http_methods(["GET", "POST"])
@page_for(MANAGER)
def audit_import_map(request: HttpRequest, audit_id: int) -> HttpResponse:
    audit = selectors.audit_get_for_user(user=request.user, audit_id=audit_id)
    upload = request.session.get(_session_key(audit))
    table = None
    if upload:
        try:
            table = ingest.upload_table(upload["file"], name=upload["name"])
        except (FormatError, FileNotFoundError) as exc:
            messages.error(request, f"{upload['name']} cannot be read: {exc}")
            request.session.pop(_session_key(audit), None)
    if table is None:
        return redirect("security-audit-import", audit.pk)
    guessed = ingest.guess_columns(table.header)
    form = ImportMappingForm(
        _posted(request),
        header=table.header,
        initial={f"col_{f}": c for f, c in guessed.items()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            mapping = ingest.FindingsMapping(
                columns=form.columns(), date_format=form.cleaned_data["date_format"]
            )
            report = ingest.findings_import(audit=audit, table=table, mapping=mapping)
        except (ValueError, FormatError) as exc:  # FormatError: the mapped columns are missing
            form.add_error(None, str(exc))
        else:
            ingest.upload_discard(upload["file"])
            request.session.pop(_session_key(audit), None)
            return render(
                request,
                "assurance/audit_import_report.html",
                {"audit": audit, "vendor": audit.vendor, "report": report, "name": upload["name"]},
            )
    return render(
        request,
        "assurance/audit_import_map.html",
        {
            "audit": audit,
            "vendor": audit.vendor,
            "form": form,
            "name": upload["name"],
            "header": table.header,
            # Read afresh: a failed import may have read the rows already.
            "preview": ingest.preview(ingest.upload_table(upload["file"], name=upload["name"])),
        },
    )


urlpatterns = [
    path("vendors/<slug:slug>/findings/", findings_page, name="findings"),
    path("vendors/<slug:slug>/audits/new/", audit_new, name="security-audit-new"),
    path("audits/<int:audit_id>/", audit_page, name="security-audit"),
    path("audits/<int:audit_id>/edit/", audit_edit, name="security-audit-edit"),
    path("audits/<int:audit_id>/delete/", audit_delete, name="security-audit-delete"),
    path("audits/<int:audit_id>/findings/", finding_add, name="finding-add"),
    path("audits/<int:audit_id>/import/", audit_import, name="security-audit-import"),
    path("audits/<int:audit_id>/import/map/", audit_import_map, name="security-audit-import-map"),
    path("findings/<int:finding_id>/", finding_page, name="finding"),
    path("findings/<int:finding_id>/edit/", finding_edit, name="finding-edit"),
    path("findings/<int:finding_id>/fix/", finding_fix, name="finding-fix"),
    path("fixes/<int:fix_id>/verify/", fix_verify, name="fix-verify"),
    path("fixes/<int:fix_id>/reject/", fix_reject, name="fix-reject"),
    path("fixes/<int:fix_id>/evidence", fix_evidence, name="fix-evidence"),
]
