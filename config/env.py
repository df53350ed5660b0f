"""Small typed readers for settings from the environment.

Each one fails loudly with the variable's name, so a typo stops start-up instead of
quietly running with a default.
"""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    """The variable's value; `NAME_FILE` (a path to a file holding it) is read when set."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        try:
            return Path(file_path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE: cannot read {file_path!r}: {exc}") from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true/false, 1/0, yes/no)")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_time_zone(name: str, default: str) -> str:
    value = os.environ.get(name, default).strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}={value!r} is not an IANA time zone") from None
    return value


def env_database(name: str, default: str) -> dict:
    import dj_database_url

    raw = os.environ.get(name) or default
    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is not a database URL: {exc}") from None
    if not config.get("ENGINE"):
        raise ImproperlyConfigured(f"{name}: unsupported database scheme in {raw!r}")
    return config


def env_redis_url(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if value and not value.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"{name}={value!r} must start with redis://, rediss:// or unix://"
        )
    return value


def env_fernet_keys(name: str) -> list[str]:
    """Comma-separated Fernet keys (`NAME_FILE` read too); each must be a valid key."""
    from cryptography.fernet import Fernet

    keys = [key.strip() for key in env_str(name).split(",") if key.strip()]
    for n, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except ValueError:
            # Never echo the value: it is a secret.
            raise ImproperlyConfigured(
                f"{name}: key {n} is not a Fernet key (32 url-safe base64-encoded bytes; "
                "make one with Fernet.generate_key())"
            ) from None
    return keys


def env_oidc_apps(prefix: str = "SSO_OIDC") -> list[dict]:
    """allauth's `openid_connect` APPS from `<prefix>_ISSUER`, `_ID`, `_NAME`, `_CLIENT_ID`,
    `_CLIENT_SECRET` (or `_CLIENT_SECRET_FILE`), `_SCOPES` and `_VERIFIED_EMAIL_DOMAINS`;
    empty (single sign-on off) while the issuer is unset."""
    from urllib.parse import urlsplit

    issuer = os.environ.get(f"{prefix}_ISSUER", "").strip().rstrip("/")
    if not issuer:
        return []
    parts = urlsplit(issuer)
    # The ID token's signature may go unchecked when it comes straight from the token
    # endpoint (OIDC Core 3.1.3.7), which is only safe over TLS; plain http for a local test.
    if parts.scheme != "https" and parts.hostname not in {"localhost", "127.0.0.1"}:
        raise ImproperlyConfigured(f"{prefix}_ISSUER={issuer!r} must be an https:// URL")
    client_id = os.environ.get(f"{prefix}_CLIENT_ID", "").strip()
    if not client_id:
        raise ImproperlyConfigured(f"{prefix}_CLIENT_ID is required when {prefix}_ISSUER is set")
    provider_id = os.environ.get(f"{prefix}_ID", "sso").strip() or "sso"
    if not provider_id.replace("-", "").replace("_", "").isalnum():
        raise ImproperlyConfigured(f"{prefix}_ID={provider_id!r}: use letters, digits, - and _")
    app_settings: dict = {
        "server_url": issuer,
        "scope": env_list(f"{prefix}_SCOPES", ["openid", "profile", "email"]),
    }
    # For providers that never send `email_verified` (Entra ID): addresses in these domains
    # count as verified, so they may connect to an existing user with that address.
    verified_domains = [d.lower() for d in env_list(f"{prefix}_VERIFIED_EMAIL_DOMAINS", [])]
    if verified_domains:
        app_settings["verified_email"] = verified_domains
    return [
        {
            "provider_id": provider_id,
            "name": os.environ.get(f"{prefix}_NAME", "").strip() or "single sign-on",
            "client_id": client_id,
            "secret": env_str(f"{prefix}_CLIENT_SECRET"),
            "settings": app_settings,
        }
    ]


# The role names of common/roles.py (not imported: settings load before the apps).
_ROLE_NAMES = ("manager", "finance", "vendor")


def env_role_map(name: str) -> dict[str, tuple[str, str]]:
    """`value=role[:vendor-slug],...` -> {claim value: (role, vendor slug or "")}."""
    mapping: dict[str, tuple[str, str]] = {}
    for item in env_list(name, []):
        value, sep, target = item.partition("=")
        role, _, vendor = target.strip().partition(":")
        value, role, vendor = value.strip(), role.strip().lower(), vendor.strip()
        if not sep or not value or role not in _ROLE_NAMES:
            raise ImproperlyConfigured(
                f"{name}: {item!r} is not 'claim value=role[:vendor-slug]' "
                f"(role one of {', '.join(_ROLE_NAMES)})"
            )
        if (role == "vendor") != bool(vendor):
            raise ImproperlyConfigured(
                f"{name}: {item!r}: a vendor slug goes with the vendor role, and only with it"
            )
        mapping[value] = (role, vendor)
    return mapping
