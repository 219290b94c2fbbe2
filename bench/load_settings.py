"""Settings for the gunicorn that bench/load.py starts: the production ones, with
Django's stock admin mounted at /stock-admin/ to be timed beside ours."""

from taskadmin.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
