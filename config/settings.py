"""VendorScore settings: every value from the environment.

Without any variables set this runs the embedded mode: DEBUG on, a SQLite file beside
manage.py and Celery tasks run in-process. Production sets DEBUG=false, SECRET_KEY,
ALLOWED_HOSTS, DATABASE_URL (PostgreSQL) and REDIS_URL.
"""

from __future__ import annotations

import re
from pathlib import Path

import plotly
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_database,
    env_fernet_keys,
    env_int,
    env_list,
    env_oidc_apps,
    env_redis_url,
    env_role_map,
    env_str,
    env_time_zone,
)

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

# Live sources' credentials are encrypted with these Fernet keys: the first encrypts, all
# decrypt (rotate by putting a new key first, then `manage.py rotate_source_keys`). Unset with
# DEBUG on, a development key is derived from SECRET_KEY; unset with DEBUG off, storing a
# source's secret fails then (tickets/live/secrets.py), so installs without live sources start.
SOURCE_SECRET_KEYS = env_fernet_keys("SOURCE_SECRET_KEYS")
if not SOURCE_SECRET_KEYS and DEBUG:
    import base64
    import hashlib

    SOURCE_SECRET_KEYS = [
        base64.urlsafe_b64encode(
            hashlib.sha256(f"source-secrets:{SECRET_KEY}".encode()).digest()
        ).decode()
    ]

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # allauth's sessions and security-key pages load it
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.openid_connect",
    "allauth.usersessions",
    "axes",
    "vendors",
    "accounts",
    "tickets",
    "assurance",
    "scorecards",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    # After authentication: the audit trail records the request's user as the actor.
    "vendors.audit.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A user whose role requires two-factor and has none is sent to set it up first.
    "accounts.middleware.RequireTwoFactorMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its refusal page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vendors.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env_database("DATABASE_URL", f"sqlite:///{BASE_DIR / 'vendorscore.sqlite3'}")
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several Celery threads or runserver requests may write at once; WAL plus a busy
    # timeout turns "database is locked" into a short wait.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

# --- Accounts and sign-in (accounts/, README "Accounts and sign-in") ---------------------------
# django-axes first: it refuses a locked-out username or address before any password is
# checked; allauth's backend logs in by username or e-mail.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"  # no open sign-up: managers invite
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = False  # sessions end with the idle timeout below, never "remembered"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = "VendorScore"
# WebAuthn needs a secure origin; `make demo` and the tests run on http://localhost.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
USERSESSIONS_TRACK_ACTIVITY = False  # a row per session at login; no write per request
# Sessions end after this long without a request (SESSION_SAVE_EVERY_REQUEST renews them).
SESSION_IDLE_HOURS = env_int("SESSION_IDLE_HOURS", 8, minimum=1)
SESSION_COOKIE_AGE = SESSION_IDLE_HOURS * 3600
SESSION_SAVE_EVERY_REQUEST = True
# accounts: invitations and the users page
# An invitation's link to set a password works once, for this many days (Resend sends a new one).
INVITATION_DAYS = env_int("INVITATION_DAYS", 7, minimum=1)
# (end invitations)
# accounts: failed logins, lockout, the client's address
# Behind a proxy the client's address comes from this one header (e.g. X-Real-IP), set by the
# proxy itself; unset, REMOTE_ADDR is used and every forwarded header is ignored.
TRUSTED_CLIENT_IP_HEADER = env_str("TRUSTED_CLIENT_IP_HEADER").strip() or None
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = TRUSTED_CLIENT_IP_HEADER
# django-axes, per account: 10 failures within LOCKOUT_MINUTES lock that username (its e-mail
# counts as the same account) for LOCKOUT_MINUTES more, even with the right password.
AXES_FAILURE_LIMIT = 10
LOCKOUT_MINUTES = env_int("LOCKOUT_MINUTES", 15, minimum=1)
AXES_COOLOFF_TIME = LOCKOUT_MINUTES / 60  # a float: hours
AXES_LOCKOUT_PARAMETERS = ["username"]
AXES_USERNAME_CALLABLE = "accounts.lockout.canonical_username"
AXES_CLIENT_IP_CALLABLE = "common.clients.client_ip"
AXES_LOCKOUT_CALLABLE = "accounts.lockout.lockout_response"  # the site's page, HTTP 429
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Per address, allauth's failed-login limit stops a spray of one password over many usernames.
# It is a separate, higher limit (an office behind one NAT shares an address), so a locked
# username never locks its colleagues out. allauth's own per-username part is dropped: axes
# owns that, and allauth's default (5 per 5 minutes) would refuse before axes' 10.
LOGIN_FAILURES_PER_IP = env_int("LOGIN_FAILURES_PER_IP", 20, minimum=1)
ACCOUNT_RATE_LIMITS = {"login_failed": f"{LOGIN_FAILURES_PER_IP}/15m/ip"}
# axes.W006 asks for the address among axes' parameters; here allauth counts per address (above)
# and axes per username alone, which rotating user agents or cookies cannot get around.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
# A reset link works once (the token covers the password hash and last login) and for an hour.
PASSWORD_RESET_TIMEOUT = 3600
# (end lockout)
# accounts: two-factor
# Roles that must set up a second factor before anything else (accounts.two_factor,
# accounts.middleware.RequireTwoFactorMiddleware): managers in production, nobody by default
# with DEBUG on. API tokens are unaffected: they are a second secret already.
MFA_REQUIRED_ROLES = [
    role.lower() for role in env_list("MFA_REQUIRED_ROLES", [] if DEBUG else ["manager"])
]
_unknown_mfa_roles = sorted(set(MFA_REQUIRED_ROLES) - {"manager", "finance", "vendor"})
if _unknown_mfa_roles:
    raise ImproperlyConfigured(
        f"MFA_REQUIRED_ROLES: unknown role(s) {', '.join(_unknown_mfa_roles)}"
        " (use manager, finance, vendor)"
    )
# allauth refuses 2FA to an account with an unverified address, against someone signing up
# with another person's address; sign-up is closed here (managers invite), so that cannot
# happen, and an invited user must not be locked out of a set-up their role requires.
MFA_ALLOW_UNVERIFIED_EMAIL = True
# (end two-factor)
# accounts: single sign-on
# OpenID Connect through allauth (Entra ID, Okta, Google, Keycloak), on once SSO_OIDC_ISSUER is
# set. The redirect URL to register at the provider: https://<site>/accounts/oidc/<SSO_OIDC_ID>/
# login/callback/ (README "Accounts and sign-in").
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
SOCIALACCOUNT_PROVIDERS = {
    "openid_connect": {"APPS": env_oidc_apps("SSO_OIDC"), "OAUTH_PKCE_ENABLED": True}
}
SOCIALACCOUNT_AUTO_SIGNUP = True  # new SSO users are provisioned from SSO_ROLE_MAP, no form
# An SSO login joins an existing user with the same address only if the provider says the
# address is verified (`email_verified`); allauth then wipes its password unless the local
# address was verified too (SSO from then on).
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_STORE_TOKENS = False  # we sign users in; we never call the provider's APIs
# The claim whose values (a list or one string) pick the role of a new SSO user.
SSO_ROLE_CLAIM = env_str("SSO_ROLE_CLAIM", "groups")
SSO_ROLE_MAP = env_role_map("SSO_ROLE_MAP")  # "claim value=role[:vendor-slug],..."
# Users with an address in these domains sign in with SSO only: no password login or reset.
SSO_PASSWORD_OFF_DOMAINS = [d.lower().lstrip("@") for d in env_list("SSO_PASSWORD_OFF_DOMAINS", [])]
ACCOUNT_FORMS = {"login": "accounts.forms.LoginForm"}
# (end single sign-on)

LANGUAGE_CODE = "en-gb"
USE_I18N = True
USE_TZ = True
TIME_ZONE = env_time_zone("TIME_ZONE", "UTC")
# Periods (weeks, months, quarters) are cut in this zone; SLA clocks use each calendar's own.
REPORTING_TIME_ZONE = env_time_zone("REPORTING_TIME_ZONE", TIME_ZONE)

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# plotly.js comes from the plotly package itself, so the page's library always matches the
# figures Python builds, and no page needs the internet.
STATICFILES_DIRS = [BASE_DIR / "static", ("plotly", Path(plotly.__file__).parent / "package_data")]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "media/"
IMPORT_MAX_UPLOAD_MB = env_int("IMPORT_MAX_UPLOAD_MB", 200, minimum=1)
# An upload nobody starts is deleted after this long (daily clean-up task).
IMPORT_UPLOAD_KEEP_HOURS = env_int("IMPORT_UPLOAD_KEEP_HOURS", 72, minimum=1)

# assurance: evidence files
# A vendor's evidence that a finding is fixed: at most this size, of these types (checked by
# extension and by the file's first bytes), stored under MEDIA_ROOT/evidence, which no URL
# serves; only the download view, after its access check, reads it.
EVIDENCE_MAX_UPLOAD_MB = env_int("EVIDENCE_MAX_UPLOAD_MB", 10, minimum=1)
# (end evidence files)

# Celery: with no REDIS_URL, tasks run eagerly in-process (demo and bare-machine tests).
REDIS_URL = env_redis_url("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = REPORTING_TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 1800, minimum=1)
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 1500, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_TRACK_STARTED = True
# A task whose worker died unacknowledged is handed to another worker after this long.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=1)
}
# Nightly at 02:00 in the reporting zone (CELERY_TIMEZONE); breach warnings every 5 minutes;
# uploads nobody started cleared daily at 03:30.
CELERY_BEAT_SCHEDULE = {
    "nightly-recompute": {
        "task": "scorecards.tasks.nightly_recompute",
        "schedule": crontab(hour=2, minute=0),
    },
    "breach-alerts": {
        "task": "scorecards.tasks.check_breach_alerts",
        "schedule": 300.0,
    },
    "monthly-review-packs": {
        "task": "scorecards.tasks.email_monthly_packs",
        # Daily: the service sends only from the month's first working day, once per vendor.
        "schedule": crontab(hour=7, minute=0),
    },
    "clear-abandoned-uploads": {
        "task": "tickets.tasks.clear_abandoned_uploads",
        "schedule": crontab(hour=3, minute=30),
    },
    # Every minute: a run of each live source whose interval has gone by (its own
    # interval_minutes; a run's lease keeps it to one run at a time).
    "live-sources": {
        "task": "tickets.tasks.live_sources_run_due",
        "schedule": 60.0,
    },
}

CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be true")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "vendorscore@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Headless Chromium renders review packs as PDF; found on PATH when not set.
CHROMIUM_PATH = env_str("CHROMIUM_PATH") or None

# Production hardening; `manage.py check --deploy` passes with DEBUG=false behind HTTPS.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Content security policy (django-csp 4): no inline scripts or event handlers anywhere (page
# behaviour lives in static/js/, charts are JSON drawn by static/js/charts.js); inline styles
# stay allowed because plotly.js and the Swagger UI inject them. The API docs page loads its
# init script from a URL (drf-spectacular's SpectacularSwaggerSplitView) for the same reason.
_SELF, _NONE = "'self'", "'none'"
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [_SELF],
        "script-src": [_SELF],
        "style-src": [_SELF, "'unsafe-inline'"],
        "img-src": [_SELF, "data:", "blob:"],
        "font-src": [_SELF, "data:"],
        "connect-src": [_SELF],
        "frame-ancestors": [_NONE],
        "form-action": [_SELF],
        "object-src": [_NONE],
        "base-uri": [_SELF],
    }
}

# Absolute links in e-mails (review packs, survey links); the default suits `make demo`.
SITE_URL = env_str("SITE_URL", "http://localhost:8000").rstrip("/")
if SITE_URL and not SITE_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must start with https:// or http://")
# How long a ticket's one-click survey link stays valid.
SURVEY_LINK_MAX_AGE_DAYS = env_int("SURVEY_LINK_MAX_AGE_DAYS", 30, minimum=1)

# Requests per API token (per user for sessions), e.g. 600/min; DRF's n/(s|min|hour|day).
API_RATE_PER_TOKEN = env_str("API_RATE_PER_TOKEN", "600/min").strip()
if not re.fullmatch(r"[1-9]\d*/(s|sec|second|m|min|minute|h|hour|d|day)", API_RATE_PER_TOKEN):
    raise ImproperlyConfigured(
        f"API_RATE_PER_TOKEN={API_RATE_PER_TOKEN!r} is not a rate such as 600/min or 20/s"
    )

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "vendors.auth.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_THROTTLE_CLASSES": ["vendors.auth.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": API_RATE_PER_TOKEN},
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # A malformed, empty, repeated or unknown query parameter is a 400 naming it.
    "DEFAULT_FILTER_BACKENDS": ["common.strict.StrictFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "common.api.PagePagination",
    # JSON only (the interactive docs are at /api/docs/); finance lists add CSV and XLSX.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "COERCE_DECIMAL_TO_STRING": True,
    # A service's refusal (Django's ValidationError) is a 400 naming the fields.
    "EXCEPTION_HANDLER": "common.api.exception_handler",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "VendorScore API",
    "DESCRIPTION": "Vendors, contracts, tickets, SLA breaches and the stored scorecard figures "
    "of METRICS.md. Log in with a session or an API token. Money is a decimal string with a "
    "`currency`; figures are decimal strings as stored. Every list is paginated and narrowed "
    "to the vendors the caller may see: a vendor's user sees only its own vendor.\n\n"
    'Errors: a 400 answers `{"<field or parameter>": ["message", ...]}` (schema '
    "`FieldErrors`; `detail` for the request as a whole); every other error answers "
    '`{"detail": "message"}` (schema `Error`): 401 for an unknown, revoked or expired '
    "token, 403 without credentials or for a role that may not, 404 for an id you may not see "
    "or a page out of range, 405 for a method a path does not take, 429 when the per-token "
    "rate is spent, with `Retry-After` (seconds).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # Swagger UI from drf-spectacular-sidecar's static files: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "TicketStatusEnum": "vendors.models.TicketStatus",
        "PriorityEnum": "vendors.models.Priority",
        "ActionItemStatusEnum": "scorecards.models.ActionItem.Status",
        "SlaTargetKindEnum": "scorecards.models.SlaTargetKind",
        "DisputeStatusEnum": "scorecards.models.Dispute.Status",
        "DeliverableKindEnum": "assurance.models.DeliverableKind",
    },
    # Every operation's real errors (one error shape), integer path ids, CSV/XLSX answers.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "common.schema.document_errors_and_exports",
        "common.conditional.document_conditional_gets",
    ],
}

# METRICS.md knobs.
REPEAT_WINDOW_DAYS = env_int("REPEAT_WINDOW_DAYS", 7, minimum=0)
MIN_SAMPLE_VENDOR = env_int("MIN_SAMPLE_VENDOR", 20, minimum=1)
MIN_SAMPLE_TECHNICIAN = env_int("MIN_SAMPLE_TECHNICIAN", 10, minimum=1)
PERIOD_AUTO_CLOSE_DAYS = env_int("PERIOD_AUTO_CLOSE_DAYS", 15, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    # axes logs every login at INFO; failures and lockouts (WARNING) are what matter.
    "loggers": {"axes": {"level": "WARNING"}},
}
