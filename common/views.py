"""Site-wide views: the health probe, and the home page that sends each role where it starts."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import redirect
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from common.roles import FINANCE, MANAGER, VENDOR, user_role


@never_cache
@require_GET
def healthz(request):
    """Liveness for load balancers and compose health checks: says ok or which part is down.

    Public on purpose (a health probe has no login) and so it reveals nothing but up/down.
    """
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means "down" to the probe
        checks["database"] = "down"
    if settings.REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except redis.RedisError:
            checks["redis"] = "down"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "down", **checks}, status=200 if healthy else 503
    )


@login_required
def home(request):
    """Managers and finance start at the portfolio; a vendor's user at its own scorecard."""
    role = user_role(request.user)
    if role in (MANAGER, FINANCE):
        return redirect("portfolio")
    if role == VENDOR:
        return redirect("vendor", request.user.vendor_membership.vendor.slug)
    raise PermissionDenied("Your account has no VendorScore role yet; ask a manager.")
