"""Settings for the risk-operations portal.

Every deploy-specific value comes from the environment. ``PORTAL_ENV`` selects the profile:

- ``local`` (default): SQLite under ``var/``, jobs in-process without ``REDIS_URL``, dev keys.
- ``test``: as local; the harness points ``DATABASE_URL``/``REDIS_URL`` at PostgreSQL and Redis.
- ``production``: every secret and address must be given (a missing or malformed one stops
  start-up naming it), and ``manage.py check --deploy`` is clean.
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Larger blocks, named here so every setting is found from this file.
from portal.conf.api import SPECTACULAR_SETTINGS as SPECTACULAR_SETTINGS
from portal.conf.beat import CELERY_BEAT_SCHEDULE

# The case workflow's settings: WIP limit, claim timeout, SLA, four-eyes policy.
from portal.conf.cases import (
    CASES_APPROVAL_LIMIT_THRESHOLD,
    CASES_ASSESSMENT_STALE_DAYS,
    CASES_CLAIM_TIMEOUT_MINUTES,
    CASES_QUEUE_COUNT_CAP,
    CASES_QUEUE_PAGE_SIZE,
    CASES_SLA_DUE_SOON_MINUTES,
    CASES_SLA_HOURS,
    CASES_WIP_LIMIT,
)
from portal.conf.reveals import REVEALS_ALERT_SHARE as REVEALS_ALERT_SHARE
from portal.conf.reveals import REVEALS_DAILY_BUDGET as REVEALS_DAILY_BUDGET
from portal.conf.security import CONTENT_SECURITY_POLICY as CONTENT_SECURITY_POLICY
from portal.conf.signin import (
    AXES_CLIENT_IP_CALLABLE,
    AXES_COOLOFF_TIME,
    AXES_FAILURE_LIMIT,
    AXES_LOCKOUT_PARAMETERS,
    AXES_LOCKOUT_TEMPLATE,
    AXES_RESET_ON_SUCCESS,
    AXES_SENSITIVE_PARAMETERS,
    AXES_USERNAME_CALLABLE,
    AXES_VERBOSE,
    OTP_REQUIRED_ROLES,
    OTP_TOTP_ISSUER,
    SIGN_IN_DELAY_BASE_SECONDS,
    SIGN_IN_DELAY_FREE_FAILURES,
    SIGN_IN_DELAY_MAX_SECONDS,
    SIGN_IN_OTP_MAX_TRIES,
    SIGN_IN_OTP_PENDING_SECONDS,
)

# --- core -----------------------------------------------------------------------------

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

PORTAL_ENV = env.str("PORTAL_ENV", default="local")
if PORTAL_ENV not in {"local", "test", "production"}:
    raise ImproperlyConfigured(
        f"PORTAL_ENV must be one of local, test, production (got {PORTAL_ENV!r})."
    )
PRODUCTION = PORTAL_ENV == "production"


_MISSING: list[str] = []


def _required(name: str) -> str:
    """A value production must be given explicitly; elsewhere "" (the caller's default).

    Missing names are collected and reported together at the end of this module.
    """
    value = env.str(name, default="")
    if PRODUCTION and not value:
        _MISSING.append(name)
    return value


# Development-only keys: public, useless outside a laptop. Production refuses to start
# without real ones (see _required above).
_DEV_SECRET_KEY = "local-only-insecure-key-7e2c1f0a9b8d4c3e5f6a7b8c9d0e1f2a3b4c5d6e"
_DEV_FIELD_KEY = "bG9jYWwtb25seS1maWVsZC1rZXktMzItYnl0ZXMhIT0="
_DEV_HASH_KEY = "local-only-pii-hash-key"
_DEV_SIGNING_KEY = "local-only-export-signing-key"

SECRET_KEY = _required("SECRET_KEY") or _DEV_SECRET_KEY
if (
    PRODUCTION
    and "SECRET_KEY" not in _MISSING
    and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5)
):
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters of random data.")

DEBUG = env.bool("DJANGO_DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must not be true in production.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost"])
if PRODUCTION and not ALLOWED_HOSTS:
    _MISSING.append("ALLOWED_HOSTS")
if PORTAL_ENV == "test":
    ALLOWED_HOSTS = ["*"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "rest_framework_api_key",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "django_filters",
    "simple_history",
    "pgtrigger",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # The project's apps, bottom layer first (see README, "Layout").
    "audit",
    "accounts",
    "scoring",
    "cases",
    "intake",
    "compliance",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Holders of OTP_REQUIRED_ROLES without a verified device reach only the enrolment page.
    "accounts.middleware.SecondFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, so that it sees the outcome of authentication (django-axes' requirement).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- database -------------------------------------------------------------------------

_DATABASE_URL = _required("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"
try:
    DATABASES = {"default": env.db_url_config(_DATABASE_URL)}
except Exception as exc:  # django-environ raises several types for a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from exc
if DATABASES["default"]["ENGINE"] not in {
    "django.db.backends.postgresql",
    "django.db.backends.sqlite3",
}:
    raise ImproperlyConfigured("DATABASE_URL is malformed: use a postgres:// or sqlite:/// URL.")
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DATABASE_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": 5,
            # Short OLTP queries: JIT compilation costs ~300 ms and buys nothing here.
            "options": "-c jit=off",
        }
    )
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL plus a busy timeout lets the in-process job runner and the web thread share it.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            # Take the write lock at BEGIN, so two writers queue instead of failing with
            # "database is locked" half-way through (the audit chain needs this).
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )

# --- cache and Celery -----------------------------------------------------------------

REDIS_URL = _required("REDIS_URL")
if REDIS_URL and not REDIS_URL.startswith(("redis://", "rediss://", "unix://")):
    raise ImproperlyConfigured("REDIS_URL must start with redis://, rediss:// or unix://.")

if PORTAL_ENV == "test" and REDIS_URL.endswith("/0"):
    # Parallel test processes (pytest-xdist) each get a Redis database of their own, so
    # their brokers and caches never see each other's messages. The worker processes the
    # tests start inherit the variable and land on the same database.
    _xdist_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or "0"
    REDIS_URL = f"{REDIS_URL[:-2]}/{1 + int(_xdist_worker) % 15}"

if REDIS_URL:
    # django-redis keeps one client per process (Django's own Redis backend builds a new
    # client for every operation, which costs more than the operation on the intake path).
    # Unreachable Redis raises redis-py's ConnectionError, as with Django's backend.
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 2, "SOCKET_TIMEOUT": 2},
        },
        # Rate-limit counters (django-ratelimit): shared by every web process through Redis.
        "ratelimit": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "rl",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 1},
        },
    }
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "ratelimit": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
RATELIMIT_USE_CACHE = "ratelimit"

# Without Redis, jobs run in the web process; services enqueue them with
# transaction.on_commit, so they still run only after the change is committed.
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True  # job state lives in the database rows, not in Celery results
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Reuse a worker's database connections for up to 100 tasks (portal/celery.py says why).
CELERY_DB_REUSE_MAX = 100
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "Asia/Shanghai"
# Bulk re-assessment has a queue of its own, so an officer's single re-run never waits
# behind a 100,000-customer job. Workers consume both (the Procfile runs one for each).
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_ROUTES = {
    "scoring.tasks.bulk_job_plan": {"queue": "bulk"},
    "scoring.tasks.bulk_chunk_run": {"queue": "bulk"},
}
WORKER_QUEUES = "celery,bulk"

# The periodic jobs: portal/conf/beat.py.

# --- security -------------------------------------------------------------------------

AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "accounts:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Sign-in: lockout, the per-account delay and the second factor (portal/conf/signin.py).
# The client's address is the PROXY_COUNT-th from the right of X-Forwarded-For (required in
# production: a wrong count lets clients choose their address or share the proxy's).
try:
    AXES_IPWARE_PROXY_COUNT = int(_required("PROXY_COUNT") or "0")
except ValueError:
    AXES_IPWARE_PROXY_COUNT = -1
if AXES_IPWARE_PROXY_COUNT < 0:
    raise ImproperlyConfigured("PROXY_COUNT must be the number of trusted proxies (0 or more).")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 8 * 60 * 60  # one working day
SESSION_COOKIE_NAME = "portal_session"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_FAILURE_VIEW = "portal.views.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# --- personal information keys ----------------------------------------------------------


def _fernet_keys(name: str, default: str) -> list[str]:
    """Comma-separated url-safe base64 32-byte keys; the first encrypts, all decrypt."""
    keys = [k.strip() for k in (_required(name) or default).split(",") if k.strip()]
    for key in keys:
        try:
            raw = base64.urlsafe_b64decode(key.encode())
        except (binascii.Error, ValueError) as exc:
            raise ImproperlyConfigured(f"{name} holds a key that is not url-safe base64.") from exc
        if len(raw) != 32:
            raise ImproperlyConfigured(f"{name} holds a key that does not decode to 32 bytes.")
    if not keys:
        raise ImproperlyConfigured(f"{name} holds no key.")
    return keys


# Field encryption (authenticated, rotatable): newest key first.
FIELD_ENCRYPTION_KEYS = _fernet_keys("FIELD_ENCRYPTION_KEYS", _DEV_FIELD_KEY)
# Keyed hash (HMAC-SHA256) beside each searchable personal field, for exact-match lookup.
PII_HASH_KEY = _required("PII_HASH_KEY") or _DEV_HASH_KEY
# Signs exports' manifests: comma-separated keys, newest first; the first signs, all verify.
EXPORT_SIGNING_KEY = _required("EXPORT_SIGNING_KEY") or _DEV_SIGNING_KEY
if PRODUCTION:
    for _name, _value in (
        ("PII_HASH_KEY", PII_HASH_KEY),
        *(("EXPORT_SIGNING_KEY", key.strip()) for key in EXPORT_SIGNING_KEY.split(",")),
    ):
        if _name not in _MISSING and len(_value) < 32:
            raise ImproperlyConfigured(
                f"{_name} must be at least 32 characters of random data (each key)."
            )

# --- internationalisation ---------------------------------------------------------------

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "portal_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SECURE = PRODUCTION
TIME_ZONE = "Asia/Shanghai"  # shown to people; stored in UTC (USE_TZ)
USE_I18N = True
USE_TZ = True

# --- static files -------------------------------------------------------------------------

STATIC_URL = "static/"
# collectstatic target in production; locally WhiteNoise serves straight from the finders.
STATIC_ROOT = env.path("STATIC_ROOT", default=str(VAR_DIR / "static")) if PRODUCTION else None
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # plotly's JS, served from the installed package (charts render without a network and
    # nothing is copied into the repository): {% static 'vendor/plotly/plotly.min.js' %}.
    ("vendor/plotly", Path(str(__import__("plotly").__file__)).parent / "package_data"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION

# --- API ----------------------------------------------------------------------------------

REST_FRAMEWORK = {
    # Token first: its WWW-Authenticate challenge makes a missing credential a 401 (the
    # contract), where session-first would answer 403.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "portal.api.errors.exception_handler",
}
# Schema and docs (SPECTACULAR_SETTINGS): portal.conf.api. The CSP: portal.conf.security.
# --- logging ------------------------------------------------------------------------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Request lines can carry query strings; keep them at WARNING to stay PII-free.
        "django.server": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
    },
}

# --- project ------------------------------------------------------------------------------

PORTAL_DEMO_PASSWORD = env.str("PORTAL_DEMO_PASSWORD", default="demo-portal-2026")
HEALTHZ_WORKER_TIMEOUT = env.float("HEALTHZ_WORKER_TIMEOUT", default=1.0)

# Intake: the version of the notice and consent text the form shows (stored with each
# submission), and rate limits per client address or partner key (django-ratelimit syntax).
INTAKE_CONSENT_VERSION = "2026-11-v1"
INTAKE_RATE_SUBMIT = env.str("INTAKE_RATE_SUBMIT", default="10/m")
INTAKE_RATE_LOOKUP = env.str("INTAKE_RATE_LOOKUP", default="20/m")
INTAKE_RATE_PARTNER_KEY = env.str("INTAKE_RATE_PARTNER_KEY", default="120/m")  # per API key

# Data-subject requests: days to answer (PIPL practice: 15), and when one shows as due soon.
PRIVACY_REQUEST_DUE_DAYS = env.int("PRIVACY_REQUEST_DUE_DAYS", default=15)
PRIVACY_REQUEST_DUE_SOON_DAYS = env.int("PRIVACY_REQUEST_DUE_SOON_DAYS", default=3)

if _MISSING:
    raise ImproperlyConfigured(
        "Set the environment variable(s) required in production: " + ", ".join(_MISSING)
    )
