"""Settings for bench/run.py: the real ones on a database of the benchmark's own.

bench/run.py sets BENCH_DATABASE_URL before Django starts; DEBUG stays off so
Django neither records queries nor serves debug pages while being timed.
The URLconf adds Django's stock TaskRun admin (bench/stock_admin.py) at
/stock-admin/, the peer the admin changelist is measured against.
"""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-used-anywhere-else")

from taskadmin.settings import *  # noqa: E402, F403
from taskadmin.settings import env  # noqa: E402

DEBUG = False
# The project's URLs plus Django's stock admin of TaskRun at /stock-admin/, its peer.
ROOT_URLCONF = "bench.urls"
DATABASES = {"default": env.db("BENCH_DATABASE_URL")}
# The project's URLs, and Django's stock admin on the same model at /stock-admin/.
ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = ["testserver"]  # Django's test client
# Logins are made once per run; a fast hasher keeps set-up short.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Static files from the finders: no collectstatic needed.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A cache of the benchmark's own: its databases come and go, the shared one stays.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The import section reads files of 30,000 runs (bench/run.py lifts the other caps).
TASKADMIN_IMPORT_MAX_BYTES = 1_000_000_000
