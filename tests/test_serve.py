"""The production command's pieces, for real: migrate, collectstatic, gunicorn workers
serving pages and whitenoise's static files over HTTP with DEBUG off."""

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers={"Host": "127.0.0.1", "Accept-Encoding": "gzip"})
    response = connection.getresponse()
    return response.status, dict(response.headers), response.read()


@pytest.fixture
def server(tmp_path):
    """gunicorn with 2 workers on a free loopback port, a fresh SQLite database, DEBUG off."""
    port = _free_port()
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "taskadmin.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "STATIC_ROOT": str(tmp_path / "static"),
        "ALLOWED_HOSTS": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "GUNICORN_ACCESS_LOG": "-",
    }
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        subprocess.run(
            [sys.executable, "manage.py", *command, "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
        )
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(
        [GUNICORN, "--config", "gunicorn.conf.py"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(port, "/healthz")
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_the_production_server_serves_pages_health_and_compressed_static_files(server):
    status, _, body = _get(server, "/healthz")
    assert (status, body) == (200, b"ok\n")

    status, headers, _ = _get(server, "/")
    assert status == 302
    assert headers["Location"] == "/accounts/login/?next=/"

    status, headers, body = _get(server, "/accounts/login/")
    assert status == 200
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    stylesheet = re.search(rb'href="(/static/bootstrap/css/bootstrap\.min\.\w+\.css)"', body)
    assert stylesheet, "static URLs carry the manifest's content hash"

    status, headers, _ = _get(server, stylesheet.group(1).decode())
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Cache-Control"] == "max-age=315360000, public, immutable"


def test_gunicorn_s_log_holds_access_lines_and_django_s_with_the_same_request_id(server, tmp_path):
    status, headers, _ = _get(server, "/no-such-page")
    assert status == 404
    request_id = headers["X-Request-ID"]

    # gunicorn writes the access line once the response has gone.
    access_line = re.compile(rf'"GET /no-such-page HTTP/1.1" 404 .* {request_id}\n')
    deadline = time.monotonic() + 10
    while not access_line.search(log := (tmp_path / "gunicorn.log").read_text()):
        assert time.monotonic() < deadline, log
        time.sleep(0.1)
    assert f"WARNING [{request_id}] django.request: Not Found: /no-such-page\n" in log
