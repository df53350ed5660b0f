"""django-axes' hooks (config/settings.py names them): whose account a login attempt is for,
where it comes from, and the page a locked-out login gets.

The client's address is `common.clients.client_ip`, read the same way everywhere.
"""

from __future__ import annotations

from axes.helpers import get_cool_off
from django.contrib.auth import get_user_model
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone


def canonical_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """The account a login is for, so "manager" and manager's e-mail count as one.

    allauth's login form passes what was typed as `username` (and as `email` when it looks
    like one); an unknown login is counted as typed, lower-cased."""
    credentials = credentials or {}
    typed = credentials.get("username") or credentials.get("email")
    if typed is None and request is not None:
        typed = request.POST.get("login") or request.POST.get("username")
    if not typed:
        return None
    typed = str(typed).strip()
    users = get_user_model()._default_manager
    user = users.filter(username__iexact=typed).first()
    if user is None and "@" in typed:
        matches = list(users.filter(email__iexact=typed)[:2])
        user = matches[0] if len(matches) == 1 else None
    return user.get_username() if user is not None else typed.lower()


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """The site's own refusal page, HTTP 429: when to try again, and who can lift it sooner."""
    cool_off = get_cool_off(request)
    response = TemplateResponse(
        request,
        "accounts/lockout.html",
        {
            "cool_off_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
            "retry_at": timezone.now() + cool_off if cool_off else None,
        },
        status=429,
    )
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response.render()
