"""API token authentication (`Authorization: Bearer <key>`) and the per-token rate limit.

A token acts as its user: the same role and the same visible vendors as that user's
session, because every endpoint narrows its querysets through vendors.selectors by user.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from vendors.models import ApiToken
from vendors.services import api_token_hash, api_token_touch

KEYWORD = "bearer"


def _bearer_key(request: Request) -> str | None:
    """The key of an `Authorization: Bearer <key>` header; None when there is no such header."""
    parts = get_authorization_header(request).split()
    if not parts or parts[0].lower() != KEYWORD.encode():
        return None
    if len(parts) != 2:
        raise exceptions.AuthenticationFailed(
            "Malformed Authorization header: send 'Authorization: Bearer <token>'."
        )
    try:
        return parts[1].decode("ascii")
    except UnicodeDecodeError:
        raise exceptions.AuthenticationFailed("Invalid token.") from None


class ApiTokenAuthentication(BaseAuthentication):
    """Finds the token by the hash of the key; refuses revoked and expired ones by name."""

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        key = _bearer_key(request)
        if key is None:
            return None  # not ours: the session (or nothing) decides
        token = ApiToken.objects.select_related("user").filter(key_hash=api_token_hash(key)).first()
        if token is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(
                f"This token ({token.prefix}…) was revoked on {token.revoked_at:%Y-%m-%d}; "
                "create a new one on the API tokens page."
            )
        now = timezone.now()
        if token.is_expired(now):
            raise exceptions.AuthenticationFailed(
                f"This token ({token.prefix}…) expired on {token.expires_at:%Y-%m-%d}; "
                "create a new one on the API tokens page."
            )
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("The token's user is deactivated.")
        api_token_touch(token=token, ip=request.META.get("REMOTE_ADDR") or None, now=now)
        return token.user, token

    def authenticate_header(self, request: Request) -> str | None:
        # A request that tried a token and failed gets 401 with the scheme to use. One that
        # sent no credentials keeps the 403 the API has always answered (the session
        # authentication's behaviour); DRF asks only the first class for this header.
        if _has_bearer(request):
            return 'Bearer realm="api"'
        return None


def _has_bearer(request: Request) -> bool:
    parts = get_authorization_header(request).split()
    return bool(parts) and parts[0].lower() == KEYWORD.encode()


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Documents the bearer token in the OpenAPI schema (and the Swagger UI's Authorize)."""

    target_class = "vendors.auth.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Bearer"
        )


class TokenRateThrottle(SimpleRateThrottle):
    """Limits each API token (and each user's session, and each anonymous address) to the
    rate in REST_FRAMEWORK's DEFAULT_THROTTLE_RATES["token"] (env API_RATE_PER_TOKEN).

    The count lives in the Django cache: Redis in production, so every web worker shares it.
    """

    scope = "token"

    def get_rate(self) -> str | None:
        # Read on each request, not once at import as DRF's class attribute does, so a
        # changed setting (and override_settings in tests) takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request: Request, view: Any) -> str:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"anon-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
