"""Taskadmin settings.

Everything that differs between machines comes from the environment (see the
README's "Configuration"). The defaults suit a laptop: SQLite next to the code.
DEBUG is off unless set, and then SECRET_KEY must be given.
"""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from xstatic.pkg import bootstrap as xstatic_bootstrap

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set the SECRET_KEY environment variable (a long random string), "
            "or DEBUG=true for local development."
        )
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "crispy_forms",
    "crispy_bootstrap5",
    "simple_history",
    "axes",
    "django_guid",
    "django_htmx",
    "django_tasks_db",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tasks",
]

MIDDLEWARE = [
    # First, so that every log line of a request carries its id (see LOGGING).
    "taskadmin.logs.drop_malformed_request_id",
    "django_guid.middleware.guid_middleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Records the logged-in user on history rows of saves that don't name one.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # A write that waited out SQLite's write lock (held by an import): 503, try again.
    "taskadmin.busy.BusyDatabaseMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "taskadmin.urls"

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
            ],
        },
    },
]

# Widgets such as the duration input have templates in templates/, which the
# default form renderer would not look in.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

WSGI_APPLICATION = "taskadmin.wsgi.application"

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Take the write lock when a transaction starts, and wait for it: two
    # saves at once then queue instead of failing with "database is locked".
    # Write-ahead logging: pages keep reading while a background import holds
    # the write lock for its whole transaction (in SQLite's default journal a
    # big transaction locks readers out once its changes spill to the file).
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL;",
        }
    )
# Each gunicorn worker keeps its connection between requests (0 closes it after
# each one), checking it is still alive before reusing it.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# The lockout check first (it only watches logins), then Django's own.
AUTHENTICATION_BACKENDS = [
    "taskadmin.auth.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "tasks:run-list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where `collectstatic` (make serve) gathers the files whitenoise serves.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("bootstrap", xstatic_bootstrap.BASE_DIR),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
if DEBUG:
    STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}

# Reverting goes through the dashboard, which checks versions and launched runs.
SIMPLE_HISTORY_REVERT_DISABLED = True

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# How many runs a list page shows.
TASKADMIN_PAGE_SIZE = env.int("TASKADMIN_PAGE_SIZE", default=25)

# Prolific, as Taskadmin checks and estimates it (at the time of writing:
# at least £6 / $8 an hour, and a service fee of about a third).
TASKADMIN_PROLIFIC_CURRENCY = env.str("TASKADMIN_PROLIFIC_CURRENCY", default="USD")
TASKADMIN_PROLIFIC_MIN_HOURLY_RATE = env.float("TASKADMIN_PROLIFIC_MIN_HOURLY_RATE", default=8.0)
TASKADMIN_PROLIFIC_FEE = env.float("TASKADMIN_PROLIFIC_FEE", default=0.333)

# -- Login throttling (django-axes). After AXES_FAILURE_LIMIT failed logins for
# one username from one address, that pair is refused for AXES_COOLOFF_MINUTES
# (a 429 page), right password or not; a successful login clears the count.
# Attempts are kept in the database, so every gunicorn worker sees them.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
# Keep the access log to failures: the load test logs in thousands of times.
AXES_DISABLE_ACCESS_LOG = True
# No "AXES: BEGIN" line at every start, and a failed login's log line names
# only the username and address (not the user agent).
AXES_VERBOSE = False

# -- Security headers, on every response (development included, so tests see them).
# X-Content-Type-Options: nosniff and Referrer-Policy: same-origin are Django's
# defaults (SECURE_CONTENT_TYPE_NOSNIFF, SECURE_REFERRER_POLICY); say so here.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Only our own static files run: no inline script or style, no eval, nothing
# from another host. Bootstrap's CSS draws its icons from data: SVGs. The one
# inline style allowed, by its hash, is django-simple-history's admin paginator
# (style="border-top: 0"), rather than a copy of its template.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [
        CSP.SELF,
        CSP.UNSAFE_HASHES,
        "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='",
    ],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}

# Cookies scripts never read: forms carry the CSRF token in the page.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True

# -- HTTPS. Set HTTPS=true when the site is served over HTTPS (the production
# settings in the README): cookies only travel encrypted, plain HTTP redirects
# to HTTPS, and browsers are told to use HTTPS only (HSTS). Off by default so a
# laptop's http://127.0.0.1 works.
HTTPS = env.bool("HTTPS", default=False)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=HTTPS)
# The proxy probes /healthz over plain HTTP on the inside.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=HTTPS)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=HTTPS)
# Behind a proxy that terminates TLS, Django sees plain HTTP; trust the proxy's
# X-Forwarded-Proto only when the proxy sets it (and strips a client's own).
if env.bool("TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# -- Logging. Everything goes to standard error, which gunicorn's error log (and
# runserver's console) shows: server errors with their tracebacks, 4xx warnings,
# and whatever is at LOG_LEVEL (default INFO) or above. Each line carries its
# request's id ("-" outside a request), the one sent back in the X-Request-ID
# response header; a proxy's own X-Request-ID (a UUID) is used when it sends one.
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO").upper()
if LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
    raise ImproperlyConfigured(
        f"LOG_LEVEL is {LOG_LEVEL!r}: use DEBUG, INFO, WARNING, ERROR or CRITICAL."
    )
DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": False,
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "taskadmin.logs.RequestIdFilter"}},
    "formatters": {
        "line": {
            "()": "taskadmin.logs.OneLineFormatter",
            "format": "{asctime} {levelname} [{request_id}] {name}: {message}",
            "style": "{",
        },
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": "line",
        },
    },
    "root": {"handlers": ["stderr"], "level": LOG_LEVEL},
    "loggers": {
        # Django's default handlers for it print to the console only with DEBUG
        # on and mail admins (there is no mail): pass everything to the root's.
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        # One line per request about where its id came from: noise.
        "django_guid": {"level": "WARNING"},
    },
}

# The largest file the import accepts (bytes, zips unpacked); bigger uploads are
# refused before they are read. 100,000 runs as exported (JSON Lines, or a
# Mephisto database.db) take 60 to 90 MB: room for them.
TASKADMIN_IMPORT_MAX_BYTES = env.int("TASKADMIN_IMPORT_MAX_BYTES", default=128_000_000)
# The most runs one upload may hold (a JSON list, JSON Lines, YAML documents, a
# zip's files or a database's rows together), counted as they are read. Imports
# run in the background, so the request's timeout no longer bounds a file; this
# bounds a worker's time (checking and saving 100,000 runs takes a minute or
# two) and memory (each run is held until the transaction commits).
TASKADMIN_IMPORT_MAX_RUNS = env.int("TASKADMIN_IMPORT_MAX_RUNS", default=200_000)

# Uploads wait in the database between their preview and their apply
# (tasks.stash): at most this many, and this many bytes, per person, for this long.
TASKADMIN_IMPORT_PENDING_MAX = env.int("TASKADMIN_IMPORT_PENDING_MAX", default=5)
# Two of the largest files an import accepts.
TASKADMIN_IMPORT_PENDING_MAX_BYTES = env.int(
    "TASKADMIN_IMPORT_PENDING_MAX_BYTES", default=256_000_000
)
TASKADMIN_IMPORT_EXPIRY_HOURS = env.int("TASKADMIN_IMPORT_EXPIRY_HOURS", default=24)

# -- Sync from Mephisto (tasks/mephisto_sync.py, README "Syncing with Mephisto").
# MEPHISTO_DATABASE: the path of Mephisto's database.db, on a server that can read
# Mephisto's data directory; `manage.py sync_mephisto` without a path reads it, and
# the sync page offers it. Only ever read (copied page by page first).
MEPHISTO_DATABASE = env.str("MEPHISTO_DATABASE", default="")
# The largest database.db the sync page accepts as an upload (it waits in the
# database for its background job: bigger ones are for `manage.py sync_mephisto`).
TASKADMIN_SYNC_MAX_BYTES = env.int("TASKADMIN_SYNC_MAX_BYTES", default=50_000_000)
# The largest database.db a sync reads from the server's disk (MEPHISTO_DATABASE,
# `manage.py sync_mephisto PATH`), checked before it is copied (to a temporary
# folder): the 2,000,000 units a sync reads at most fit well inside it.
TASKADMIN_SYNC_MAX_PATH_BYTES = env.int("TASKADMIN_SYNC_MAX_PATH_BYTES", default=2_000_000_000)

# -- Background work (Django's Tasks framework). Long imports, exports and syncs
# are queued in the database itself (django-tasks-db: SQLite or PostgreSQL, the
# same DATABASE_URL) and run by `manage.py db_worker`, which `make run` and
# `make serve` start beside the web server; more workers may run on more
# machines against the same database (README, "Background work").
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    }
}

# -- The cache carries the live progress of background work between the worker
# that does it and the web processes that show it (an import holds SQLite's
# write lock for its whole transaction, so progress cannot go through the
# database). A folder every process on this machine shares; with workers on
# several machines set CACHE_URL to a shared cache (redis://host:6379/1).
CACHES = {
    "default": env.cache("CACHE_URL", default=f"filecache://{BASE_DIR / '.cache' / 'taskadmin'}"),
}

# -- The API (/api/): Django REST framework, described by drf-spectacular --------------
# A personal token (Authorization: Bearer ...) or the browser's session (whose
# writes need the CSRF token, as every form does). What a user may do is their
# model permissions on task runs, exactly as in the dashboard.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # First, so that a request without credentials is told 401 with
        # WWW-Authenticate: Bearer rather than a bare 403.
        "tasks.api.auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tasks.api.permissions.TaskRunPermissions"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("TASKADMIN_API_ANON_RATE", default="60/minute"),
        "user": env.str("TASKADMIN_API_USER_RATE", default="1200/minute"),
    },
    # Throttles count by the connection's address, never by X-Forwarded-For.
    "NUM_PROXIES": 0,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # Non-ASCII as \u escapes: a lone surrogate echoed in a message stays valid JSON
    # instead of failing to encode.
    "UNICODE_JSON": False,
    "DEFAULT_PARSER_CLASSES": ["tasks.api.parsers.StrictJSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# Failed token attempts from one address, before it is refused with 429 for the
# login's cool-off time: the same limits as the login page (AXES_*).
TASKADMIN_API_TOKEN_FAILURE_LIMIT = env.int(
    "TASKADMIN_API_TOKEN_FAILURE_LIMIT", default=AXES_FAILURE_LIMIT
)
TASKADMIN_API_MAX_PAGE_SIZE = 100
SPECTACULAR_SETTINGS = {
    "TITLE": "Taskadmin API",
    "DESCRIPTION": (
        "Mephisto task-run configs: list, read, write, launch, export and import them."
        " Authenticate with a personal token (Authorization: Bearer ...) made on"
        " /accounts/tokens/, or with the browser's session."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI's files come from the drf-spectacular-sidecar package: no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge fetched from validator.swagger.io: the page asks nothing outside.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # A job's status is not a run's: each its own named enum.
    "ENUM_NAME_OVERRIDES": {
        "JobStatusEnum": "tasks.models.Job.Status",
        "JobKindEnum": "tasks.models.Job.Kind",
    },
}

# -- Files background work writes (exports, import reports), in the default
# storage. Never served at a public URL: each downloads through its job's page,
# which checks the login and the owner. Workers on other machines need the same
# folder (a shared mount) or a shared storage backend.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "media")))

# Background work (tasks.jobs): jobs and their files are deleted this many days
# after they finish (on each new job, and by `manage.py prune_jobs`); a running
# job that reports no progress for this many minutes is shown as stopped (its
# worker died), and one nobody picked up for this long says no worker runs.
TASKADMIN_JOB_KEEP_DAYS = env.int("TASKADMIN_JOB_KEEP_DAYS", default=7)
TASKADMIN_JOB_STALE_MINUTES = env.int("TASKADMIN_JOB_STALE_MINUTES", default=10)
# What a request does at once (the dashboard's, the admin's and the API's alike);
# more goes to a background job. An import is answered at once up to this many
# runs in a file of at most this many bytes (checking and saving take
# milliseconds a run: 200 stay well inside a second); an export of more runs
# than this is written by a job (a list page's worth of runs, or a few
# thousand, streams in seconds).
TASKADMIN_IMPORT_INLINE_RUNS = env.int("TASKADMIN_IMPORT_INLINE_RUNS", default=200)
TASKADMIN_IMPORT_INLINE_BYTES = env.int("TASKADMIN_IMPORT_INLINE_BYTES", default=100_000)
TASKADMIN_EXPORT_INLINE_RUNS = env.int("TASKADMIN_EXPORT_INLINE_RUNS", default=2_000)
