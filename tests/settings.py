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

# Background work runs at once, inside the request that queues it (Django's
# ImmediateBackend): views that queue a job can be tested synchronously, and
# each test sees the job's outcome as soon as the request returns. Tests about
# the queue itself switch to the real django-tasks-db backend (the `settings`
# fixture; tests/conftest.py makes django.tasks notice) and run a real
# `manage.py db_worker` against this file database.
TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
        "QUEUES": ["default"],
    }
}

# Job result files: each test gets a temporary folder (tests/conftest.py); this
# is only the fallback outside a test.
MEDIA_ROOT = BASE_DIR / ".pytest-media"  # noqa: F405
