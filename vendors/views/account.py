"""Account pages: the user's API tokens, and the audit trail for managers."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_http_methods, require_POST

from common.pages import ALL_ROLES, page_for
from common.roles import MANAGER
from vendors.account_selectors import (
    api_tokens_for,
    api_tokens_of_others,
    audit_actors,
    audit_changes_for_page,
    audit_entries,
)
from vendors.audit import tracked_types
from vendors.models import ApiToken
from vendors.services import api_token_create, api_token_revoke

EXPIRY_CHOICES = [("", "Never"), ("30", "In 30 days"), ("90", "In 90 days"), ("365", "In a year")]
PAGE_SIZE = 50


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="What will use it, e.g. 'Finance ERP monthly pull'.",
    )
    expires_in_days = forms.TypedChoiceField(
        choices=EXPIRY_CHOICES, coerce=int, empty_value=None, required=False, label="Expires"
    )


@page_for(*ALL_ROLES)
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    """Lists the user's tokens; a POST creates one and shows its key this once."""
    form, created = TokenForm(), None
    if request.method == "POST":
        form = TokenForm(request.POST)
        if form.is_valid():
            try:
                created = api_token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    expires_in_days=form.cleaned_data["expires_in_days"],
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            else:
                form = TokenForm()
    others = None
    if request.role == MANAGER:
        others = Paginator(api_tokens_of_others(user=request.user), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    response = render(
        request,
        "vendors/api_tokens.html",
        {
            "form": form,
            "created": created,
            "tokens": api_tokens_for(user=request.user),
            "others": others,
        },
        status=201 if created else 200,
    )
    # The page that shows a key must not stay in any cache or history snapshot.
    add_never_cache_headers(response)
    return response


@page_for(*ALL_ROLES)
@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    token = api_token_revoke(user=request.user, token_id=token_id)
    owner = "" if token.user_id == request.user.pk else f" of {token.user.get_username()}"
    messages.success(request, f"Token “{token.name}” ({token.prefix}…){owner} is revoked.")
    return redirect("api-tokens")


def _admin_link(entry) -> str | None:
    if entry.action == "delete":
        return None
    app_label, model = entry.object_type.split(".", 1)
    try:
        return reverse(f"admin:{app_label}_{model}_change", args=[entry.object_id])
    except NoReverseMatch:
        return None


@page_for(MANAGER)
@require_http_methods(["GET"])
def audit(request: HttpRequest) -> HttpResponse:
    """Every recorded change, newest first, filterable by object type (and id) and user."""
    types = tracked_types()
    object_type = request.GET.get("type") or None
    if object_type not in {t for t, _ in types}:
        if object_type:
            messages.warning(request, f"Unknown object type {object_type!r}; showing all.")
        object_type = None
    object_id = (request.GET.get("id") or "").strip()[:64] or None
    raw_user = request.GET.get("user") or ""
    user_id = int(raw_user) if raw_user.isdigit() else None
    page = Paginator(
        audit_entries(object_type=object_type, object_id=object_id, user_id=user_id), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    changes = audit_changes_for_page(page)
    rows = [{"entry": e, "changes": changes[e.pk], "admin_url": _admin_link(e)} for e in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "vendors/audit.html",
        {
            "page": page,
            "rows": rows,
            "types": types,
            "actors": list(audit_actors()),
            "object_type": object_type,
            "object_id": object_id,
            "user_id": user_id,
            "query": query.urlencode(),
        },
    )


urlpatterns = [
    path("account/tokens/", api_tokens, name="api-tokens"),
    path("account/tokens/<int:token_id>/revoke/", api_token_revoke_view, name="api-token-revoke"),
    path("audit/", audit, name="audit"),
]
