"""Settings for Huiwu, read from environment variables with safe defaults.

The embedded default (SQLite in WAL mode, in-memory channel layer, local-memory cache, database
task queue) needs nothing but Python. ``HUIWU_DATABASE_URL`` moves the data to PostgreSQL and
``HUIWU_REDIS_URL`` moves the channel layer, the cache and the task queue to Redis.
"""

import importlib.util
import json
import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("HUIWU_DATA_DIR", "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    """The key from the environment, else one generated once and kept in the data folder."""
    if key := os.environ.get("HUIWU_SECRET_KEY"):
        return key
    path = DATA_DIR / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(50))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("HUIWU_DEBUG")
ALLOWED_HOSTS = env_list("HUIWU_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("HUIWU_CSRF_TRUSTED_ORIGINS", "")
if env_bool("HUIWU_BEHIND_TLS_PROXY"):
    # nginx terminates TLS and says so in X-Forwarded-Proto (deploy/nginx.conf).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rules.apps.AutodiscoverRulesConfig",
    "django_countries",
    "django_htmx",
    "ninja",  # serves its Swagger UI assets itself, so /api/v1/docs needs no CDN
    "channels",
    "django_tasks",
    "django_tasks_db",
    "huiwu.core",
    "huiwu.summit",
    "huiwu.registration",
    "huiwu.checkin",
    "huiwu.volunteers",
    "huiwu.awards",
    "huiwu.command",
    "huiwu.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "huiwu.core.middleware.RejectNulMiddleware",
    "huiwu.core.middleware.HuiwuLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "huiwu.urls"
ASGI_APPLICATION = "huiwu.asgi.application"
WSGI_APPLICATION = "huiwu.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Searched before the apps' folders, so that our admin/base_site.html (branding and
        # language switch) overrides Django's own.
        "DIRS": [BASE_DIR / "core" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "huiwu.core.context_processors.platform",
                "huiwu.core.context_processors.staff_workspaces",
                "huiwu.summit.context_processors.summit",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("HUIWU_DATABASE_URL")
if DATABASE_URL:
    # No persistent connections: under ASGI each request may run in another thread, and
    # Django closes only its own thread's connection (Django's deployment docs).
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "huiwu.core.sqlite",
            "NAME": DATA_DIR / "huiwu.sqlite3",
            "OPTIONS": {
                # Writers take the lock when the transaction starts, so that two requests never
                # both read a capacity and then both write past it.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
                ),
            },
            "TEST": {"NAME": str(DATA_DIR / "test.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, task queue ---------------------------------------------------
REDIS_URL = os.environ.get("HUIWU_REDIS_URL")
# Several installations (or test runs) sharing one Redis keep apart by their prefix.
REDIS_PREFIX = os.environ.get("HUIWU_REDIS_PREFIX", "huiwu")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            # A page's channel holds up to this many messages before channels-redis drops
            # more (its default, 100, is a burst of scans at the opening); pages resync anyway.
            "CONFIG": {
                # channels-redis waits for a page's messages with a blocking pop of 5 s;
                # redis-py 8 gives up reading a socket after 5 s by default, which closed every
                # page quiet for 5 s. A dead Redis is still noticed, 15 s on.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 15}],
                "prefix": REDIS_PREFIX,
                "capacity": 1000,
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_PREFIX,
        }
    }
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    INSTALLED_APPS.append("django_rq")
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            # The live pages' counters live here, one per volunteer's phone (1,260 at Wuzhen):
            # the default of 300 entries would evict the dashboard's and restart it at 1.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "admin:login"

# --- Languages ------------------------------------------------------------------------------
# Chinese and English are required for every text people read; more languages can be added
# here without a migration, since organisers' texts are stored per language (django-i18nfield).
# The language for browsers that ask for neither Chinese nor English: an international
# audience reads English sooner than Chinese.
LANGUAGE_CODE = "en"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
REQUIRED_LANGUAGES = ["zh-hans", "en"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = os.environ.get("HUIWU_TIME_ZONE", "Asia/Shanghai")
USE_TZ = True
COUNTRIES_FIRST = ["CN"]

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
# Serve assets straight from the installed packages, so that no collectstatic step is needed
# for the embedded run; a scale-out deployment runs collectstatic and puts nginx in front.
WHITENOISE_USE_FINDERS = True
# Leaflet comes from the django-leaflet package. Only its assets are used: its app would pull
# in GeoDjango, which needs GDAL, and our maps draw plain GeoJSON.
STATICFILES_DIRS = [Path(importlib.util.find_spec("leaflet").origin).parent / "static"]
WHITENOISE_AUTOREFRESH = DEBUG

# --- Maps -----------------------------------------------------------------------------------
# No tile server is reachable on a venue network: maps draw our own GeoJSON of the venues.
# Set HUIWU_MAP_TILES to a tile URL template to draw tiles underneath.
MAP_TILES_URL = os.environ.get("HUIWU_MAP_TILES", "")
MAP_TILES_ATTRIBUTION = os.environ.get("HUIWU_MAP_TILES_ATTRIBUTION", "")
# The address guests reach the platform at, for links in e-mails.
SITE_URL = os.environ.get("HUIWU_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# --- Mail -----------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "HUIWU_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = os.environ.get("HUIWU_FROM_EMAIL", "secretariat@huiwu.localhost")

# --- Face check-in -------------------------------------------------------------------------
# "arcface" (the 512-d ONNX model that `dev.py` fetches into ./models) or "dlib" (dlib's own
# 128-d descriptor). Where the ONNX model is absent, check-in falls back to dlib with a warning.
FACE_ENGINE = os.environ.get("HUIWU_FACE_ENGINE", "arcface")
# Per engine, overrides of the calibrated distances (see `huiwu bench calibrate_faces`), e.g.
# HUIWU_FACE_THRESHOLDS='{"arcface": {"identify": 0.38, "margin": 0.14}}'.
FACE_THRESHOLDS = json.loads(os.environ.get("HUIWU_FACE_THRESHOLDS", "{}"))
FACE_MODEL_PATH = Path(
    os.environ.get("HUIWU_FACE_MODEL", BASE_DIR.parent.parent / "models" / "fr_feature.onnx")
)


# --- Volunteers ----------------------------------------------------------------------------
def _env_number(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


# How often the phone page sends a position while on duty, and how long positions are kept.
VOLUNTEER_PING_SECONDS = int(_env_number("HUIWU_VOLUNTEER_PING_SECONDS", 30))
VOLUNTEER_POSITION_RETENTION_DAYS = int(_env_number("HUIWU_VOLUNTEER_RETENTION_DAYS", 30))
# A volunteer not signed in this long after the shift starts is a no-show; sign-in opens this
# long before the shift (Burning Man's Rangers: 2 h).
VOLUNTEER_NO_SHOW_GRACE_MINUTES = int(_env_number("HUIWU_VOLUNTEER_NO_SHOW_MINUTES", 15))
VOLUNTEER_EARLY_SIGN_IN_HOURS = _env_number("HUIWU_VOLUNTEER_EARLY_SIGN_IN_HOURS", 2)
VOLUNTEER_MAX_HOURS_PER_DAY = _env_number("HUIWU_VOLUNTEER_MAX_HOURS_PER_DAY", 8)
VOLUNTEER_MIN_REST_HOURS = _env_number("HUIWU_VOLUNTEER_MIN_REST_HOURS", 1)

# --- Command centre --------------------------------------------------------------------------
# A volunteer who has not acknowledged a dispatch this long after it is offered is timed out:
# the next nearest is offered the incident and the supervisors are alerted.
COMMAND_ACK_TIMEOUT_SECONDS = _env_number("HUIWU_COMMAND_ACK_TIMEOUT_SECONDS", 90)
# Positions older than this never count as "nearest" (Resgrid's 30 minutes is far too long on
# foot in a crowd).
COMMAND_POSITION_MAX_AGE_MINUTES = _env_number("HUIWU_COMMAND_POSITION_MAX_AGE_MINUTES", 5)
# A gate device silent this long is reported offline.
COMMAND_DEVICE_OFFLINE_MINUTES = _env_number("HUIWU_COMMAND_DEVICE_OFFLINE_MINUTES", 3)
# How often the worker looks for automatic incidents (zones over capacity, gates offline,
# no-shows at critical posts), and the share of capacity at which a zone warns.
COMMAND_WATCH_SECONDS = _env_number("HUIWU_COMMAND_WATCH_SECONDS", 30)
COMMAND_CAPACITY_WARNING = _env_number("HUIWU_COMMAND_CAPACITY_WARNING", 0.9)
# How many volunteers the dispatch form suggests.
COMMAND_SUGGESTIONS = int(_env_number("HUIWU_COMMAND_SUGGESTIONS", 5))

# --- Abuse limits ----------------------------------------------------------------------------
# Failed attempts allowed in a window before more are refused, even right ones (core/throttle.py):
# passwords per account from one address, per account from everywhere and per client address;
# personal links per address. Unknown gate device
# tokens are counted too, but a registered gate is never refused. A venue network may put a whole
# crowd behind one address: raise the per-address limits there rather than lock the crowd out.
SIGN_IN_FAILURES_PER_ACCOUNT = int(_env_number("HUIWU_SIGN_IN_FAILURES_PER_ACCOUNT", 10))
SIGN_IN_FAILURES_PER_ACCOUNT_TOTAL = int(
    _env_number("HUIWU_SIGN_IN_FAILURES_PER_ACCOUNT_TOTAL", 100)
)
SIGN_IN_FAILURES_PER_ADDRESS = int(_env_number("HUIWU_SIGN_IN_FAILURES_PER_ADDRESS", 50))
SIGN_IN_LOCK_MINUTES = _env_number("HUIWU_SIGN_IN_LOCK_MINUTES", 15)
TOKEN_FAILURES_PER_ADDRESS = int(_env_number("HUIWU_TOKEN_FAILURES_PER_ADDRESS", 50))
TOKEN_LOCK_MINUTES = _env_number("HUIWU_TOKEN_LOCK_MINUTES", 10)

# --- API ------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 100

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("HUIWU_LOG_LEVEL", "WARNING")},
}
