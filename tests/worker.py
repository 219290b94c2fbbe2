"""A real `manage.py db_worker` for tests about the queue: another process, on the test database.

It runs the production settings (taskadmin.settings, whose TASKS is the
django-tasks-db backend) against the test database, the test's cache folder and
its media folder, so it sees what the test queues and writes where the test
reads. The test must queue on the same backend: the `database_tasks` fixture
(tests/conftest.py).
"""

import os
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def _database_url():
    """The test database, as a URL a separate process can open."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{user}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def start_worker(*options):
    """Popen of `manage.py db_worker OPTIONS...` (output in .stdout, text)."""
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "taskadmin.settings",
        "DEBUG": "true",
        "DATABASE_URL": _database_url(),
        "CACHE_URL": f"filecache://{settings.CACHES['default']['LOCATION']}",
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload", *options],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run_worker_polling(poll):
    """Run `manage.py db_worker --batch` until the queue is empty, calling `poll()`
    every 50 ms meanwhile (a test's look at a job's progress); returns what the
    calls returned, in order. Fails the test if the worker fails."""
    worker = start_worker("--batch")
    seen = []
    try:
        while worker.poll() is None:
            seen.append(poll())
            time.sleep(0.05)
        output = worker.stdout.read()
    finally:
        worker.kill()
        worker.wait()
    assert worker.returncode == 0, output
    return seen
