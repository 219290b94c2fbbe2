"""Settings for the test suite: the real ones, with a key and test-only speed-ups."""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else")

from taskadmin.settings import *  # noqa: E402, F403

# Hashing passwords slowly protects real logins; tests log in hundreds of times.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# No collectstatic before tests: serve from the finders, without a manifest.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# A file, not SQLite's in-memory database: the live server's threads then use
# connections of their own, as separate processes would, and real concurrent
# requests test what they should.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / ".pytest-db.sqlite3")}  # noqa: F405
