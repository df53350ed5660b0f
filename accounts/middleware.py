"""Sends a signed-in user whose role requires two-factor authentication, and who has none,
to set it up before anything else (MFA_REQUIRED_ROLES; the rule is accounts.two_factor)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponseRedirect, JsonResponse
from django.urls import Resolver404, resolve, reverse

from accounts.two_factor import needs_two_factor_setup

# Pages a user being sent to set-up still needs: allauth's own 2FA pages (url names mfa_*),
# the password re-check allauth asks for before adding a factor, and the way out.
_OPEN_URL_NAMES = {"account_logout", "account_login", "account_reauthenticate", "healthz"}
SETUP_URL_NAME = "mfa_activate_totp"
WHY = (
    "Your role requires two-factor authentication: set up an authenticator app (or a security"
    " key) to continue."
)


class RequireTwoFactorMiddleware:
    """After authentication. Sets `request.must_set_up_two_factor`, which the set-up, 2FA and
    password re-check pages show as a notice (a one-off message would be spent on the re-check
    page allauth puts first). API requests with a token pass; session ones get a 403 naming
    the set-up page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.must_set_up_two_factor = False
        if _may_pass_regardless(request):
            return self.get_response(request)
        request.must_set_up_two_factor = needs_two_factor_setup(request.user)
        if not request.must_set_up_two_factor or _is_open_page(request.path_info):
            return self.get_response(request)
        setup_url = reverse(SETUP_URL_NAME)
        if request.path_info.startswith("/api/"):
            # A session request to the API (the docs page, a script reusing a browser login).
            return JsonResponse({"detail": WHY, "setup_url": setup_url}, status=403)
        return HttpResponseRedirect(setup_url)


def _may_pass_regardless(request) -> bool:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return True
    if request.path_info.startswith("/" + settings.STATIC_URL.lstrip("/")):
        return True
    # An API token is a second secret already (and a wrong one gets the API's 401).
    return request.path_info.startswith("/api/") and _has_bearer_token(request)


def _has_bearer_token(request) -> bool:
    # Any other Authorization scheme falls through to the session in DRF: not exempt.
    scheme = request.META.get("HTTP_AUTHORIZATION", "").split()[:1]
    return [word.lower() for word in scheme] == ["bearer"]


def _is_open_page(path: str) -> bool:
    try:
        name = resolve(path).url_name or ""
    except Resolver404:
        return False  # the 404 page would only hide the way to set-up
    return name.startswith("mfa_") or name in _OPEN_URL_NAMES
