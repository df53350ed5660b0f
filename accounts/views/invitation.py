"""The invitation link: the invitee sets a password (Django's validators apply) and is signed in
through allauth, so its later stages (two-factor set-up) apply; or signs in with SSO."""

from __future__ import annotations

from allauth.account.internal.flows.login import record_authentication
from allauth.account.utils import perform_login
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.encoding import force_str
from django.utils.http import urlsafe_base64_decode
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from accounts.selectors import sso_login_links
from accounts.services import invitation_accept
from accounts.tokens import invitation_tokens


def _invitee(uidb64: str, token: str):
    """The user the link was sent to, if the link still works (unused, unexpired, latest)."""
    try:
        user = get_user_model().objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (TypeError, ValueError, OverflowError, get_user_model().DoesNotExist):
        return None
    if not user.is_active or not invitation_tokens.check_token(user, token):
        return None
    return user


@sensitive_post_parameters("new_password1", "new_password2")
@never_cache
@require_http_methods(["GET", "POST"])
def invitation_accept_page(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    user = _invitee(uidb64, token)
    if user is None:
        return render(request, "accounts/invitation_invalid.html", status=400)
    form = SetPasswordForm(user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = invitation_accept(user=user, password_form=form)
        # The password was typed a moment ago: recorded as a fresh confirmation, so setting up
        # two-factor next (allauth asks for the password before any change of factors) does
        # not ask for it once more.
        record_authentication(
            request, user, method="password", username=user.get_username(), reauthenticated=True
        )
        return perform_login(request, user, redirect_url=reverse("home"))
    return render(
        request,
        "accounts/invitation_accept.html",
        {"form": form, "invitee": user, "sso_links": sso_login_links(request)},
    )
