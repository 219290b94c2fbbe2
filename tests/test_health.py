"""/healthz: the database check a proxy or orchestrator polls, without a login."""

import os
import subprocess
import sys
from pathlib import Path

from django.test import Client
from django.urls import reverse

ROOT = Path(__file__).resolve().parent.parent


def test_healthz_answers_ok_without_a_login_when_the_database_answers(client, db):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"] == "text/plain"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_named_for_reverse(db):
    assert reverse("healthz") == "/healthz"


def test_healthz_refuses_a_post(client, db):
    assert client.post("/healthz").status_code == 405


def test_healthz_is_not_redirected_to_https_so_the_proxy_can_poll_it_inside(settings, db):
    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # middleware reads the settings when the client's handler starts

    assert client.get("/healthz").status_code == 200
    assert client.get(reverse("login")).status_code == 301


def test_healthz_answers_503_and_says_nothing_else_when_the_database_is_down():
    # A real server with a database nobody listens for (port 1 on loopback).
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "taskadmin.settings",
        "SECRET_KEY": "health-test-" + "k" * 50,
        "DATABASE_URL": "postgres://taskadmin:secret-password@127.0.0.1:1/taskadmin",
        "ALLOWED_HOSTS": "testserver",
    }
    script = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/healthz')\n"
        "print(r.status_code, r['Content-Type'], repr(r.content.decode()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.strip() == "503 text/plain 'database unavailable\\n'"
