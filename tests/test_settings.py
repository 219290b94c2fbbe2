"""Settings come from the environment; the documented production settings pass `check --deploy`.

Each test starts a fresh Python with only the variables it names, as a server would.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The production settings the README documents (with example values).
PRODUCTION_ENV = {
    "SECRET_KEY": "q8Zr2vN0f5LkT7mW3xYc9bHs1dGpJ4aUe6RiO0nVtK2yXwM8lQ",
    "DATABASE_URL": "postgres://taskadmin:secret@127.0.0.1:5432/taskadmin",
    "ALLOWED_HOSTS": "tasks.lab.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://tasks.lab.example.org",
    "HTTPS": "true",
    "TRUST_X_FORWARDED_PROTO": "true",
    "CONN_MAX_AGE": "60",
}


def run_python(args, **env):
    """Run Python in the project with exactly these environment variables (and PATH)."""
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "taskadmin.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


SHOW_SETTINGS = """
import json
import django
from django.conf import settings
django.setup()
names = [
    "DEBUG", "ALLOWED_HOSTS", "CSRF_TRUSTED_ORIGINS", "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD", "SECURE_PROXY_SSL_HEADER", "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY", "AXES_FAILURE_LIMIT", "TIME_ZONE",
]
shown = {name: getattr(settings, name, None) for name in names}
db = settings.DATABASES["default"]
shown["DB"] = {key: db[key] for key in ("ENGINE", "NAME", "USER", "HOST", "PORT", "CONN_MAX_AGE")}
shown["STATICFILES_BACKEND"] = settings.STORAGES["staticfiles"]["BACKEND"]
print(json.dumps(shown, default=list))
"""


def settings_under(**env):
    result = run_python(["-c", SHOW_SETTINGS], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_prints_no_warnings_under_the_documented_production_settings():
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **PRODUCTION_ENV
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == "System check identified no issues (0 silenced).\n"
    assert result.stderr == ""


def test_check_deploy_warns_when_https_is_left_off():
    env = {**PRODUCTION_ENV}
    del env["HTTPS"]

    result = run_python(["manage.py", "check", "--deploy"], **env)

    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in result.stderr


def test_without_secret_key_and_debug_off_the_app_refuses_to_start_with_a_clear_message():
    result = run_python(["manage.py", "check"], ALLOWED_HOSTS="tasks.lab.example.org")

    assert result.returncode != 0
    assert (
        "Set the SECRET_KEY environment variable (a long random string), "
        "or DEBUG=true for local development."
    ) in result.stderr


def test_an_empty_secret_key_is_refused_too():
    result = run_python(["manage.py", "check"], SECRET_KEY="")

    assert result.returncode != 0
    assert "Set the SECRET_KEY environment variable" in result.stderr


def test_debug_on_needs_no_secret_key():
    result = run_python(["manage.py", "check"], DEBUG="true")

    assert result.returncode == 0, result.stderr


def test_defaults_suit_a_laptop_debug_off_sqlite_loopback_hosts_no_https():
    shown = settings_under(SECRET_KEY="x" * 60)

    assert shown["DEBUG"] is False
    assert shown["DB"]["ENGINE"] == "django.db.backends.sqlite3"
    assert shown["DB"]["NAME"] == str(ROOT / "db.sqlite3")
    assert shown["ALLOWED_HOSTS"] == ["127.0.0.1", "localhost", "[::1]"]
    assert shown["CSRF_TRUSTED_ORIGINS"] == []
    assert shown["SESSION_COOKIE_SECURE"] is False
    assert shown["SECURE_SSL_REDIRECT"] is False
    assert shown["SECURE_HSTS_SECONDS"] == 0
    assert shown["SECURE_PROXY_SSL_HEADER"] is None
    assert shown["STATICFILES_BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_production_settings_come_from_the_environment():
    shown = settings_under(**PRODUCTION_ENV)

    assert shown["DEBUG"] is False
    assert shown["DB"] == {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "taskadmin",
        "USER": "taskadmin",
        "HOST": "127.0.0.1",
        "PORT": 5432,
        "CONN_MAX_AGE": 60,
    }
    assert shown["ALLOWED_HOSTS"] == ["tasks.lab.example.org"]
    assert shown["CSRF_TRUSTED_ORIGINS"] == ["https://tasks.lab.example.org"]
    assert shown["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_https_makes_cookies_secure_redirects_plain_http_and_turns_on_hsts():
    shown = settings_under(**PRODUCTION_ENV)

    assert shown["SESSION_COOKIE_SECURE"] is True
    assert shown["CSRF_COOKIE_SECURE"] is True
    assert shown["SESSION_COOKIE_HTTPONLY"] is True
    assert shown["CSRF_COOKIE_HTTPONLY"] is True
    assert shown["SECURE_SSL_REDIRECT"] is True
    assert shown["SECURE_HSTS_SECONDS"] == 31536000
    assert shown["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert shown["SECURE_HSTS_PRELOAD"] is True


def test_each_https_setting_can_be_overridden():
    shown = settings_under(
        **PRODUCTION_ENV,
        SECURE_HSTS_SECONDS="3600",
        SECURE_HSTS_PRELOAD="false",
        SECURE_SSL_REDIRECT="false",
    )

    assert shown["SECURE_HSTS_SECONDS"] == 3600
    assert shown["SECURE_HSTS_PRELOAD"] is False
    assert shown["SECURE_SSL_REDIRECT"] is False


def test_debug_true_turns_debug_on_and_serves_static_files_without_a_manifest():
    shown = settings_under(DEBUG="true")

    assert shown["DEBUG"] is True
    assert shown["STATICFILES_BACKEND"] == ("django.contrib.staticfiles.storage.StaticFilesStorage")


def test_headers_and_throttle_settings_hold_in_every_environment():
    shown = settings_under(SECRET_KEY="x" * 60, AXES_FAILURE_LIMIT="3", TIME_ZONE="Europe/Paris")

    assert shown["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert shown["SECURE_REFERRER_POLICY"] == "same-origin"
    assert shown["AXES_FAILURE_LIMIT"] == 3
    assert shown["TIME_ZONE"] == "Europe/Paris"
