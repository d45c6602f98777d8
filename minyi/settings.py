"""Django settings, all taken from the environment.

| variable | default | meaning |
| --- | --- | --- |
| DATABASE_URL | sqlite:///<repo>/var/minyi.sqlite3 | the store; ``postgresql://user@host:5432/db`` in production |
| MINYI_DEBUG | 1 (demo/dev) | 0 in production |
| MINYI_SECRET_KEY | a placeholder | refused outside debug mode |
| MINYI_ALLOWED_HOSTS | 127.0.0.1,localhost | comma-separated |
| MINYI_VAR_DIR | <repo>/var | SQLite file, uploads, trained models |
| MINYI_NOTIFY_BACKEND | console | console, locmem, email |
| MINYI_AUTO_DISPATCH | 0 | 1: dispatch automatically when the model is confident |
| MINYI_TRIAGE_SUGGEST_MODE | async | async: AI suggestions as an outbox job run after commit; sync: inside the intake call (tests) |
| MINYI_JOBS_TRANSPORT | inline | outbox transport: inline (in-process worker, no broker), celery (MINYI_BROKER_URL), sync |
| MINYI_BROKER_URL | redis://127.0.0.1:6379/0 | Celery broker: Redis, or amqp:// for RabbitMQ |
| MINYI_MAP_TILES | (empty) | intranet tile URL template; shows a map pin on the portal |
| MINYI_PII_KEYS / MINYI_PII_KEY_FILE | (debug: from the secret) | SM4 keys for phones at rest, ``id:key`` (minyi.core.keyring); required in production |
"""

from __future__ import annotations

import os
from pathlib import Path

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


DEBUG = _flag("MINYI_DEBUG", "1")
SECRET_KEY = os.environ.get("MINYI_SECRET_KEY", PLACEHOLDER_SECRET)
if not DEBUG and (SECRET_KEY == PLACEHOLDER_SECRET or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "MINYI_SECRET_KEY is unset or a placeholder. Set a random value of 32+ characters "
        "(python -c 'import secrets; print(secrets.token_urlsafe(48))') or run with MINYI_DEBUG=1."
    )

# SM4 keys for phone numbers at rest (minyi.core.crypto); refused when missing outside debug mode.
MINYI_PII_KEYS = load_pii_keys(os.environ, debug=DEBUG, secret_key=SECRET_KEY)

ALLOWED_HOSTS = [h.strip() for h in os.environ.get("MINYI_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h.strip()]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
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
    "minyi.assistant",
    "minyi.portal",
    "minyi.desk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

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

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "desk:home"
LOGOUT_REDIRECT_URL = "login"

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG

DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
MINYI_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
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
MINYI_TRIAGE_MODEL = os.environ.get("MINYI_TRIAGE_MODEL", str(VAR_DIR / "models" / "triage.npz"))
# "async": suggestions are an outbox job (minyi.jobs) written with the appeal and run by a
# worker after commit; "sync": inside intake_appeal (the test suite's default, see conftest).
MINYI_TRIAGE_SUGGEST_MODE = os.environ.get("MINYI_TRIAGE_SUGGEST_MODE", "async").strip().lower()
if MINYI_TRIAGE_SUGGEST_MODE not in {"async", "sync"}:
    raise ImproperlyConfigured(f"MINYI_TRIAGE_SUGGEST_MODE must be async or sync, not {MINYI_TRIAGE_SUGGEST_MODE!r}")
# SLA budgets; see minyi.workflow.sla.DEFAULT_SLA for the shape.
MINYI_SLA: dict[str, object] = {}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {
        "minyi": {"handlers": ["console"], "level": os.environ.get("MINYI_LOG_LEVEL", "INFO")},
    },
}

# Background jobs (minyi.jobs): the outbox's transport. "inline" needs no broker (make demo);
# "celery" hands jobs to `minyi worker` over MINYI_BROKER_URL; "sync" runs them after commit.
MINYI_JOBS_TRANSPORT = os.environ.get("MINYI_JOBS_TRANSPORT", "inline").strip().lower()
if MINYI_JOBS_TRANSPORT not in {"inline", "celery", "sync"}:
    raise ImproperlyConfigured(f"MINYI_JOBS_TRANSPORT must be inline, celery or sync, not {MINYI_JOBS_TRANSPORT!r}")
# The inline worker also fires periodic work (sweeps, rollups) when this is on: the demo's scheduler.
MINYI_JOBS_PERIODIC = _flag("MINYI_JOBS_PERIODIC", "0")
CELERY_BROKER_URL = os.environ.get("MINYI_BROKER_URL", "redis://127.0.0.1:6379/0")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 4
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = TIME_ZONE
