"""The client's address, read one way everywhere (lockouts, the per-address login limit, the
audit trail): the one header named by TRUSTED_CLIENT_IP_HEADER when set, as the proxy in front
writes it; otherwise REMOTE_ADDR. Any other forwarded header a client sends is ignored, so
nobody can pick the address a failure or a change is recorded against."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    header = getattr(settings, "TRUSTED_CLIENT_IP_HEADER", None)
    raw = request.headers.get(header, "") if header else ""
    # A proxy may append: the first entry is the one it saw the client as.
    candidate = raw.split(",")[0].strip() or request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return None
