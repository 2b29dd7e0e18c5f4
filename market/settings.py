"""Settings for 중고마켓, read from the environment (12-factor).

Every variable is documented in README.md ("Configuration"). Defaults suit local development:
an SQLite file next to manage.py, DEBUG on, events dispatched inline after commit.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from market.conf.database import database
from market.conf.env import env_bool, env_float, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY.strip():  # blank or whitespace
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"  # noqa: S105 (dev default)
elif not DEBUG and len(SECRET_KEY.strip()) < 50:
    # Django's own deploy check calls a key under 50 characters weak; production refuses to start.
    raise ImproperlyConfigured("SECRET_KEY is too short: use at least 50 random characters when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

# --- HTTPS (one switch, for deployments behind a TLS-terminating proxy) -------------------------
# SECURE_HTTPS=1: HSTS, cookies only over HTTPS, a redirect of plain-HTTP requests, and the proxy's
# X-Forwarded-Proto trusted to say which scheme the client used. The proxy must set that header
# (and strip it from what clients send). Probes and scrapes reach the pod over plain HTTP from
# inside the cluster, so their paths are not redirected.
SECURE_HTTPS = env_bool("SECURE_HTTPS", False)
if SECURE_HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$", r"^ops/"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

INSTALLED_APPS = [
    "market.admin_site.MarketAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    # The shared kernel: published events, the bus, API conventions; and accounts.
    "market.apps.MarketConfig",
    "market.accounts.apps.AccountsConfig",
    # The five bounded contexts. None imports another; they talk through market.events.
    "product.apps.ProductConfig",
    "reservation.apps.ReservationConfig",
    "payment.apps.PaymentConfig",
    "notice.apps.NoticeConfig",
    "mypage.apps.MypageConfig",
]

MIDDLEWARE = [
    "market.observability.RequestIdMiddleware",
    "market.observability.AccessLogMiddleware",
    "market.metrics.MetricsMiddleware",
    # Hostile input (oversized bodies, odd charsets, control characters) answered before anything
    # reads the request; non-DRF errors reshaped as JSON on the way out (market.request_guard).
    "market.request_guard.RequestGuardMiddleware",
    # Bounded waits on the database: a stalled one costs a request seconds and a 503 (market.db_deadline).
    "market.db_deadline.DatabaseDeadlineMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # The web pages' Content Security Policy (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # Serves the admin's and the API docs' static files from gunicorn (no CDN, no extra server).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Decides in process_view, before CSRF's; the session and user are still lazy there, so a
    # shed reservation costs no database round trip.
    "market.resilience.CircuitBreakerMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Korean unless the client asks otherwise (Accept-Language, the language cookie, /i18n/setlang/).
    "django.middleware.locale.LocaleMiddleware",
    "market.errors.JsonNotFoundMiddleware",  # unmatched /api/ and reference URLs: JSON 404, DEBUG too
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "market.errors.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "market.urls"
WSGI_APPLICATION = "market.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
# Connection options from the DB_* variables (persistent connections, SQLite's write lock,
# PostgreSQL's pool, keepalives and prepared statements), each explained in market/conf/database.py.
DATABASES = {"default": database(DATABASE_URL)}
# Web requests only (market.db_deadline): each statement may run this long on PostgreSQL, and a
# request whose database has not answered this long after it began has its connection cut (503).
DB_STATEMENT_TIMEOUT_MS = env_int("DB_STATEMENT_TIMEOUT_MS", 5000)
DB_REQUEST_DEADLINE_SECONDS = env_float("DB_REQUEST_DEADLINE_SECONDS", 6.0)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (shared across processes when REDIS_URL is set) ------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
                # A cache outage must not take the API down: rate limits then fail open.
                "IGNORE_EXCEPTIONS": True,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "market"}}

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 6}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    # Refuses a password equal or close to the username.
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
]
# ModelBackend behind two guards: credentials the database cannot hold are wrong without a query,
# and failed sign-ins are limited per username and per address (market.accounts.backends).
AUTHENTICATION_BACKENDS = ["market.accounts.backends.GuardedModelBackend"]
SIGNIN_FAILURE_RATES = {
    "username": os.environ.get("RATE_LIMIT_SIGNIN_USERNAME", "10/15min"),
    "ip": os.environ.get("RATE_LIMIT_SIGNIN_IP", "50/15min"),
}
if env_bool("FAST_PASSWORD_HASHER", False):
    # Tests and benchmarks only: PBKDF2's cost dominates every Basic-auth request otherwise.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL = "/api-auth/login/"

# Our users are Korean: Korean is the default of everything a person reads, English on request.
LANGUAGE_CODE = "ko"
LANGUAGES = [("ko", "한국어"), ("en", "English")]
TIME_ZONE = "Asia/Seoul"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = DEBUG  # in development, serve straight from the apps (no collectstatic)

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "market.accounts.authentication.StrictTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticatedOrReadOnly"],
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "market.api.Pagination",
    # UTF-8 only, no duplicate keys, bounded nesting, no control characters (market.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "market.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "PAGE_SIZE": 20,
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "market.renderers.BrowsableAPIRenderer",  # DRF's, under our name and fonts
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "market.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # How many reverse proxies stand in front (each appends to X-Forwarded-For). 0, the default:
    # X-Forwarded-For is ignored and the client is REMOTE_ADDR, so rotating the header cannot
    # dodge the per-address limits. DRF's own default (None) would trust the header blindly.
    "NUM_PROXIES": env_int("NUM_PROXIES", 0),
    # Per user and per IP on the write commands (views set throttle_scope); see market.throttling.
    "DEFAULT_THROTTLE_CLASSES": ["market.throttling.WriteCommandThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "reserve": os.environ.get("RATE_LIMIT_RESERVE", "30/min"),
        "cancel": os.environ.get("RATE_LIMIT_CANCEL", "30/min"),
        "pay": os.environ.get("RATE_LIMIT_PAY", "30/min"),
        "register": os.environ.get("RATE_LIMIT_REGISTER", "60/hour"),
        "token": os.environ.get("RATE_LIMIT_TOKEN", "30/min"),
        # Per client IP: looser, many users may share one address (NAT). Missing: the scope's rate.
        "reserve_ip": os.environ.get("RATE_LIMIT_RESERVE_IP", "120/min"),
        "cancel_ip": os.environ.get("RATE_LIMIT_CANCEL_IP", "120/min"),
        "pay_ip": os.environ.get("RATE_LIMIT_PAY_IP", "120/min"),
        "register_ip": os.environ.get("RATE_LIMIT_REGISTER_IP", "300/hour"),
        "token_ip": os.environ.get("RATE_LIMIT_TOKEN_IP", "60/min"),
    },
}

SPECTACULAR_SETTINGS = {
    "TITLE": "중고마켓 API",
    "DESCRIPTION": "A used-goods marketplace: products, reservations, payments, my-page, notifications.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}
# The product's status appears in several components (product, product detail, wish list): one name.
SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] = {"ProductStatusEnum": "product.models.Product.Status"}

# --- Hostile input (market.request_guard) ----------------------------------------------------
# Bodies over this many bytes are refused with 413 before they are read; our largest honest body
# (a product with a long description) is a few KB.
MAX_REQUEST_BODY_BYTES = env_int("MAX_REQUEST_BODY_BYTES", 256 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY_BYTES
# A CSRF failure is an error like any other: JSON in the project's shape.
CSRF_FAILURE_VIEW = "market.errors.csrf_failure"

# --- Event bus ------------------------------------------------------------------------------
# "inline": durable subscribers run right after commit in the publishing process (the worker
# picks up whatever fails or is paused). "worker": only the worker runs them.
EVENTS_DISPATCH = os.environ.get("EVENTS_DISPATCH", "inline")
EVENTS_MAX_ATTEMPTS = env_int("EVENTS_MAX_ATTEMPTS", 8)
EVENTS_BACKOFF_BASE = env_float("EVENTS_BACKOFF_BASE", 1.0)  # seconds; doubles each attempt
EVENTS_BACKOFF_MAX = env_float("EVENTS_BACKOFF_MAX", 300.0)
EVENTS_LEASE_SECONDS = env_float("EVENTS_LEASE_SECONDS", 30.0)
EVENTS_WORKER_BATCH = env_int("EVENTS_WORKER_BATCH", 200)
EVENTS_WORKER_POLL = env_float("EVENTS_WORKER_POLL", 0.2)
# Delivery threads per events_worker process, each with its own connection (pays off on PostgreSQL).
EVENTS_WORKER_THREADS = env_int("EVENTS_WORKER_THREADS", 1)
# PostgreSQL: synchronous_commit of the worker's connections only (why that is safe: market/bus/worker.py).
EVENTS_WORKER_SYNCHRONOUS_COMMIT = os.environ.get("EVENTS_WORKER_SYNCHRONOUS_COMMIT", "off")
# Retention: done deliveries older than this are purged (dead and pending ones are kept; the event
# log itself is never purged). The worker purges every EVENTS_PURGE_INTERVAL seconds (0: never;
# `manage.py events purge` then does it), EVENTS_PURGE_BATCH rows per DELETE.
EVENTS_RETENTION_HOURS = env_float("EVENTS_RETENTION_HOURS", 168.0)
EVENTS_PURGE_INTERVAL = env_float("EVENTS_PURGE_INTERVAL", 300.0)
EVENTS_PURGE_BATCH = env_int("EVENTS_PURGE_BATCH", 2000)
# Worker health: a heartbeat file for an exec probe (`python -m market.heartbeat <file>`; "" = none)
# and a port serving the worker's own /metrics (0 = none; same METRICS_TOKEN rule as the web's).
EVENTS_WORKER_HEARTBEAT_FILE = os.environ.get("EVENTS_WORKER_HEARTBEAT_FILE", "")
EVENTS_WORKER_METRICS_PORT = env_int("EVENTS_WORKER_METRICS_PORT", 0)

# --- Event bus, reaching outward (market/bus/externalize.py, scheduling.py) ----------------------
# Set to publish events to RabbitMQ (amqp://guest:guest@127.0.0.1:5672/%2F); empty: no externalizer.
EVENTS_EXTERNALIZE_URL = os.environ.get("EVENTS_EXTERNALIZE_URL", "")
EVENTS_EXTERNALIZE_TYPES = os.environ.get("EVENTS_EXTERNALIZE_TYPES", "*")  # "*" or "ReservationPlaced,..."
EVENTS_EXTERNALIZE_EXCHANGE = os.environ.get("EVENTS_EXTERNALIZE_EXCHANGE", "market.events")
# Broker unreachable: deliveries wait this long and count no attempt (the backlog grows meanwhile).
EVENTS_EXTERNALIZE_RETRY_SECONDS = env_float("EVENTS_EXTERNALIZE_RETRY_SECONDS", 5.0)

# --- Reservation path: short waits on PostgreSQL, so overload turns into a quick 503 ------------
RESERVATION_LOCK_TIMEOUT_MS = env_int("RESERVATION_LOCK_TIMEOUT_MS", 1000)
RESERVATION_STATEMENT_TIMEOUT_MS = env_int("RESERVATION_STATEMENT_TIMEOUT_MS", 3000)

# --- Holds that expire (issue 17) -----------------------------------------------------------
# An unpaid reservation expires this long after it was placed; the worker's sweep (a periodic job,
# market.periodic) ends it every RESERVATION_EXPIRY_SWEEP_SECONDS at most that late.
RESERVATION_HOLD_SECONDS = env_int("RESERVATION_HOLD_SECONDS", 86400)
RESERVATION_EXPIRY_SWEEP_SECONDS = env_float("RESERVATION_EXPIRY_SWEEP_SECONDS", 5.0)

# --- Catalogue ------------------------------------------------------------------------------
# How long a whole anonymous response of the catalogue (GET /api/products/, /api/products/scroll/)
# may be served from the cache (market.response_cache); a product event clears it at once where the
# cache is shared (Redis), so this bounds how stale a per-process copy may be. 0 turns it off.
CATALOGUE_CACHE_SECONDS = env_float("CATALOGUE_CACHE_SECONDS", 2.0)

# --- Logging --------------------------------------------------------------------------------
LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOG_FORMAT = os.environ.get("LOG_FORMAT", "json")  # "json" or "text"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "market.observability.ContextFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(event_id)s"
            " %(correlation_id)s %(causation_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
            "json_ensure_ascii": False,  # Korean messages stay readable in the logs
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [req=%(request_id)s evt=%(event_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT if LOG_FORMAT in {"json", "text"} else "json",
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "pika": {"level": "WARNING"},
        # Django's default config gives "django" a plain console handler of its own (with DEBUG on):
        # every line of it (a 409's "Conflict: /api/...", the autoreloader's) came out twice.
        "django": {"handlers": [], "level": "INFO"},
    },
}


# --- Resilience and observability ---
# Circuit breakers (market.resilience), per process. A breaker opens when, within the last
# window_seconds, at least minimum_calls were made and failure_rate of them failed (5xx or an
# exception); it then sheds its routes with 503 + Retry-After for cooldown_seconds, after which one
# trial request decides. A view names the breaker that guards it (market.resilience.guarded_by).
CIRCUIT_BREAKERS = {
    "reservations": {
        "failure_rate": env_float("BREAKER_FAILURE_RATE", 0.5),
        "minimum_calls": env_int("BREAKER_MINIMUM_CALLS", 20),
        "window_seconds": env_float("BREAKER_WINDOW_SECONDS", 10.0),
        "buckets": 10,
        "cooldown_seconds": env_float("BREAKER_COOLDOWN_SECONDS", 5.0),
        "trial_timeout_seconds": env_float("BREAKER_TRIAL_TIMEOUT_SECONDS", 30.0),
    }
}
if not env_bool("CIRCUIT_BREAKERS_ENABLED", True):
    CIRCUIT_BREAKERS = {}
# Off only for load tests driving many users from one address (bench/run.py sets it to 0).
RATE_LIMITS_ENABLED = env_bool("RATE_LIMITS_ENABLED", True)
# /metrics and /ops/*: with a token, only "Authorization: Bearer <token>"; without, loopback only.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# Without a token, loopback clients may read them only in development, and only when no proxy stands
# in front (behind a proxy on the same host every request arrives from loopback). Production
# (DEBUG off) never exposes them without METRICS_TOKEN.
OPERATOR_LOOPBACK_ALLOWED = DEBUG and REST_FRAMEWORK["NUM_PROXIES"] == 0
# Every operation documents the shared error body for its 4xx/503 answers (schema conformance).
SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"] = [
    "drf_spectacular.hooks.postprocess_schema_enums",
    "market.schema.add_error_responses",
]

# --- Web pages for people (/shop/): a Content Security Policy ------------------------------------
# django-csp sends it (its middleware follows SecurityMiddleware): only our own files (no CDN), and
# no inline script, style or event handler (htmx is told not to need any: see
# market/templates/market/base.html). The browsable API, its sign-in page and the API docs render
# DRF's and Swagger's inline scripts, so they go without.
# Cookies follow Django's SESSION_COOKIE_SECURE / CSRF_COOKIE_SECURE (the HTTPS switch).
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/", "/api-auth/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}
