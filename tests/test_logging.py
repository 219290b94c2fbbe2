"""Production logging: errors with their tracebacks on standard error, each line with its
request's id, which the response's X-Request-ID header gives back."""

import json
import logging
import re
import sys

import pytest

from taskadmin.logs import OneLineFormatter
from tests.test_settings import run_python

REQUEST_ID = re.compile(r"[0-9a-f]{32}")

REQUEST = """
import json, sys
import django
django.setup()
from django.test import Client, override_settings
with override_settings(ROOT_URLCONF="tests.failing_urls"):
    client = Client(raise_request_exception=False)
    for path, headers in json.loads(sys.argv[1]):
        response = client.get(path, headers=headers)
        print(response.status_code, response.headers["X-Request-ID"])
"""


def serve(tmp_path, *requests, **env):
    """Make `requests` ((path, headers) pairs) in a fresh Python with DEBUG off, as a
    server would; return each response's (status, request id) and the standard error."""
    result = run_python(
        ["-c", REQUEST, json.dumps(requests)],
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        **env,
    )
    assert result.returncode == 0, result.stderr
    responses = [(int(status), rid) for status, rid in map(str.split, result.stdout.splitlines())]
    return responses, result.stderr


def test_a_server_error_is_logged_on_stderr_with_its_traceback_and_request_id(tmp_path):
    [(status, request_id)], stderr = serve(tmp_path, ("/fail", {}))

    assert status == 500
    assert REQUEST_ID.fullmatch(request_id)
    line = f"ERROR [{request_id}] django.request: Internal Server Error: /fail\n"
    assert line in stderr
    traceback = stderr[stderr.index(line) + len(line) :]
    assert traceback.startswith("Traceback (most recent call last):\n")
    assert 'raise RuntimeError("the view failed on purpose")' in traceback
    assert "RuntimeError: the view failed on purpose\n" in traceback


def test_each_request_has_its_own_id_on_its_lines(tmp_path):
    [(_, first), (_, second)], stderr = serve(tmp_path, ("/missing", {}), ("/fail", {}))

    assert first != second
    assert f"WARNING [{first}] django.request: Not Found: /missing\n" in stderr
    assert f"ERROR [{second}] django.request: Internal Server Error: /fail\n" in stderr


def test_log_level_comes_from_the_environment(tmp_path):
    _, stderr = serve(tmp_path, ("/missing", {}), ("/fail", {}), LOG_LEVEL="error")

    assert "Not Found" not in stderr
    assert "Internal Server Error: /fail" in stderr


def test_a_proxy_s_request_id_is_used_on_the_lines_and_sent_back(tmp_path):
    given = "3f2c1e7a9b8d4c6e8f0a1b2c3d4e5f60"

    [(_, request_id)], stderr = serve(tmp_path, ("/fail", {"X-Request-ID": given}))

    assert request_id == given
    assert f"ERROR [{given}] django.request: Internal Server Error: /fail\n" in stderr


def test_an_unknown_log_level_is_refused_with_a_clear_message():
    result = run_python(["manage.py", "check"], SECRET_KEY="x" * 60, LOG_LEVEL="loud")

    assert result.returncode != 0
    assert "LOG_LEVEL is 'LOUD': use DEBUG, INFO, WARNING, ERROR or CRITICAL." in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize(
    "given", ["3f2c1e7a9b8d4c6e8f0a1b2c3d4e5f60", "3f2c1e7a-9b8d-4c6e-8f0a-1b2c3d4e5f60"]
)
def test_a_well_formed_incoming_request_id_is_kept(client, given):
    response = client.get("/healthz", headers={"X-Request-ID": given})

    assert response.headers["X-Request-ID"] == given


@pytest.mark.django_db
@pytest.mark.parametrize(
    "given",
    [
        # uuid.UUID() (and so django-guid's own check) accepts the first five.
        "\n" + "a" * 31,
        "a" * 31 + "\n",
        "\t" + "a" * 31,
        "{3f2c1e7a9b8d4c6e8f0a1b2c3d4e5f60}",
        "urn:uuid:3f2c1e7a-9b8d-4c6e-8f0a-1b2c3d4e5f60",
        "3f2c1e7a9b8d4c6e8f0a1b2c3d4e5f60 2026-11-30 ERROR forged",
        "x" * 32,
        "a" * 33,
        "",
    ],
)
def test_an_incoming_request_id_that_is_not_a_plain_uuid_is_replaced(client, given):
    response = client.get("/healthz", headers={"X-Request-ID": given})

    assert REQUEST_ID.fullmatch(response.headers["X-Request-ID"])
    assert response.headers["X-Request-ID"] != given


@pytest.mark.django_db
def test_every_response_carries_a_new_request_id(client):
    first = client.get("/healthz").headers["X-Request-ID"]
    second = client.get("/healthz").headers["X-Request-ID"]

    assert REQUEST_ID.fullmatch(first)
    assert REQUEST_ID.fullmatch(second)
    assert first != second


def test_control_characters_in_a_message_are_escaped_but_a_traceback_keeps_its_lines():
    formatter = OneLineFormatter("{levelname} {message}", style="{")
    try:
        raise ValueError("it failed")
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "axes",
        logging.WARNING,
        __file__,
        1,
        "Login failure by %s",
        ("bob\nERROR forged\x1b[2J",),
        exc_info,
    )

    line, *traceback = formatter.format(record).split("\n")

    assert line == r"WARNING Login failure by bob\nERROR forged\x1b[2J"
    assert traceback[0] == "Traceback (most recent call last):"
    assert traceback[-1] == "ValueError: it failed"
