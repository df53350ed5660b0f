"""The users page for managers: who may sign in, with which role, how, and whether they are
locked out; invitations, role changes, deactivation and lifted lockouts (accounts/services.py)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import services
from accounts.selectors import (
    cool_off,
    failure_limit,
    stored_role,
    user_for_page,
    users_for_page,
)
from accounts.views.user_forms import InviteForm, RoleForm
from common.pages import add_service_errors, page_for
from common.roles import MANAGER


def _posted(request: HttpRequest):
    return request.POST if request.method == "POST" else None


@page_for(MANAGER)
@require_GET
def user_list(request: HttpRequest) -> HttpResponse:
    window = cool_off()
    return render(
        request,
        "accounts/users/list.html",
        {
            "rows": users_for_page(),
            "failure_limit": failure_limit(),
            "cool_off_minutes": int(window.total_seconds() // 60) if window else None,
        },
    )


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def user_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invite_user(
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                vendor=form.cleaned_data["vendor"],
                by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                f"Invitation sent to {invitation.user.email} (username "
                f"{invitation.user.username}); the link works until "
                f"{invitation.expires_at:%Y-%m-%d %H:%M}.",
            )
            return redirect("users")
    return render(request, "accounts/users/invite.html", {"form": form})


@page_for(MANAGER)
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, user_id: int) -> HttpResponse:
    user = user_for_page(user_id)
    membership = getattr(user, "vendor_membership", None)
    initial = {"role": stored_role(user), "vendor": membership.vendor if membership else None}
    form = RoleForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_change_role(
                user=user,
                role=form.cleaned_data["role"],
                vendor=form.cleaned_data["vendor"],
                by=request.user,
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{user.username} is now {form.cleaned_data['role']}.")
            return redirect("users")
    return render(request, "accounts/users/edit.html", {"form": form, "subject": user})


def _action(done: Callable[[object], str], act: Callable) -> Callable:
    """A POST-only button of the list: does it, says so (or why not), back to the list."""

    @page_for(MANAGER)
    @require_POST
    def view(request: HttpRequest, user_id: int) -> HttpResponse:
        user = user_for_page(user_id)
        try:
            act(user=user, by=request.user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, done(user))
        return redirect("users")

    return view


user_deactivate = _action(
    lambda u: f"{u.username} is deactivated: their sessions ended and API tokens are revoked.",
    services.user_deactivate,
)
user_reactivate = _action(
    lambda u: f"{u.username} may sign in again (their old API tokens stay revoked).",
    services.user_reactivate,
)
user_resend_invitation = _action(
    lambda u: f"A new invitation went to {u.email}; the links sent before no longer work.",
    services.invitation_resend,
)
user_lift_lockout = _action(
    lambda u: f"{u.username}'s failed logins are forgotten: they may sign in again.",
    services.lockout_lift,
)
