"""Who may call each endpoint: a token acts with exactly its user's model permissions.

Every endpoint is called as an editor, a viewer, a user without permissions,
anonymously, with a wrong token and with a revoked one. Refused calls change
nothing. A person's own background jobs need only a login, as their pages do
(their files, *view*); someone else's are tests/test_api_jobs.py's.
"""

import io

import pytest
from django.urls import reverse

from tasks import jobs
from tasks.api import tokens
from tasks.models import Job, TaskRun
from tests.api import *  # noqa: F403  (the fixtures)
from tests.api import bearer, token_client
from tests.conftest import VALID_RUN

BODY = {**VALID_RUN, "task_reward": 0.5, "task_title": "Made by the API"}


def _import_file():
    line = (
        b'{"task_title": "Imported", "task_description": "D", "task_reward": 1, "task_tags": "t"}'
    )
    upload = io.BytesIO(line)
    upload.name = "runs.jsonl"
    return upload


def job_of(user):
    """A finished export of `user`'s, with its file."""
    job = Job.objects.create(owner=user, kind="export", title="E", status="succeeded")
    jobs.save_result(job, "runs.json", "application/json", "[]\n")
    return job


# name -> (method, url for a run and a job of the caller, body, format, permission
# needed: "login" for anyone logged in)
ENDPOINTS = {
    "list": ("get", lambda run, job: "/api/runs/", None, None, "view"),
    "read": ("get", lambda run, job: f"/api/runs/{run.pk}", None, None, "view"),
    "create": ("post", lambda run, job: "/api/runs/", BODY, "json", "add"),
    "update": (
        "patch",
        lambda run, job: f"/api/runs/{run.pk}",
        {"task_title": "Changed", "version": 1},
        "json",
        "change",
    ),
    "delete": ("delete", lambda run, job: f"/api/runs/{run.pk}", None, None, "delete"),
    "clone": (
        "post",
        lambda run, job: f"/api/runs/{run.pk}/clone",
        {"task_name": "clone"},
        "json",
        "add",
    ),
    "launch": ("post", lambda run, job: f"/api/runs/{run.pk}/launch", {}, "json", "change"),
    "archive": ("post", lambda run, job: f"/api/runs/{run.pk}/archive", None, None, "change"),
    "unarchive": ("post", lambda run, job: f"/api/runs/{run.pk}/unarchive", None, None, "change"),
    "history": ("get", lambda run, job: f"/api/runs/{run.pk}/history", None, None, "view"),
    "diff": (
        "get",
        lambda run, job: f"/api/runs/{run.pk}/history/diff?from=1&to=1",
        None,
        None,
        "view",
    ),
    "config.yaml": ("get", lambda run, job: f"/api/runs/{run.pk}/config.yaml", None, None, "view"),
    "config.json": ("get", lambda run, job: f"/api/runs/{run.pk}/config.json", None, None, "view"),
    "config.txt": ("get", lambda run, job: f"/api/runs/{run.pk}/config.txt", None, None, "view"),
    "export many": ("get", lambda run, job: "/api/runs/export", None, None, "view"),
    "import": (
        "post",
        lambda run, job: "/api/runs/import",
        lambda: {"file": _import_file()},
        "multipart",
        "add",
    ),
    "config schema": ("get", lambda run, job: "/api/config-schema.json", None, None, "view"),
    "jobs": ("get", lambda run, job: "/api/jobs/", None, None, "login"),
    "job": ("get", lambda run, job: f"/api/jobs/{job.pk}", None, None, "login"),
    "job download": ("get", lambda run, job: f"/api/jobs/{job.pk}/download", None, None, "view"),
}


def test_every_api_route_is_in_the_table():
    from tests.test_write_path import _route_names

    documented = {"api:schema", "api:docs"}  # for anyone logged in: see test_api_openapi.py
    assert {name for name in _route_names() if name.startswith("api:")} - documented == {
        "api:run-list",
        "api:run-detail",
        "api:run-clone",
        "api:run-launch",
        "api:run-archive",
        "api:run-unarchive",
        "api:run-history",
        "api:run-history-diff",
        "api:run-config",
        "api:runs-export",
        "api:runs-import",
        "api:config-schema",
        "api:job-list",
        "api:job-detail",
        "api:job-download",
    }


def call(client, name, run, job):
    method, url, body, fmt, _ = ENDPOINTS[name]
    kwargs = {}
    if body is not None:
        kwargs["data"] = body() if callable(body) else body
        kwargs["format"] = fmt
    return getattr(client, method)(url(run, job), **kwargs)


def state():
    return list(TaskRun.objects.order_by("pk").values()), TaskRun.history.count()


@pytest.fixture
def run(make_run):
    return make_run()


@pytest.mark.parametrize("name", ENDPOINTS)
def test_an_editor_may_call_every_endpoint(editor, run, name):
    client, _ = token_client(editor)
    if name == "unarchive":
        client.post(f"/api/runs/{run.pk}/archive")
    response = call(client, name, run, job_of(editor))
    assert response.status_code in (200, 201, 204), response.content[:300]


@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_viewer_may_read_and_export_but_not_write(viewer, run, name):
    client, _ = token_client(viewer)
    before = state()
    response = call(client, name, run, job_of(viewer))
    if ENDPOINTS[name][4] in ("view", "login"):
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert response.json() == {"detail": "You do not have permission to perform this action."}
    assert state() == before


@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_user_without_permissions_is_refused_everything(nobody, run, name):
    client, _ = token_client(nobody)
    before = state()
    expected = 200 if ENDPOINTS[name][4] == "login" else 403
    assert call(client, name, run, job_of(nobody)).status_code == expected
    assert state() == before


@pytest.mark.parametrize("name", ENDPOINTS)
def test_anonymous_calls_are_told_to_authenticate(client, editor, run, name):
    from rest_framework.test import APIClient

    before = state()
    response = call(APIClient(), name, run, job_of(editor))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert state() == before


@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_wrong_token_is_401(editor, run, name):
    _, token = token_client(editor)
    before = state()
    wrong = f"ta_{token.prefix}_{'A' * 43}"
    response = call(bearer(wrong), name, run, job_of(editor))
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid or revoked token."}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert state() == before


@pytest.mark.parametrize("name", ENDPOINTS)
def test_a_revoked_token_is_401(editor, run, name):
    client, token = token_client(editor)
    tokens.revoke(token)
    before = state()
    response = call(client, name, run, job_of(editor))
    assert response.status_code == 401
    assert state() == before


def test_a_session_reads_and_writes_with_the_csrf_token(editor, run):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor)
    assert browser.get("/api/runs/").status_code == 200
    refused = browser.post(f"/api/runs/{run.pk}/archive")
    assert refused.status_code == 403
    assert refused.json()["detail"].startswith("CSRF Failed")
    assert TaskRun.objects.get().status == "draft"
    page = browser.get(reverse("tasks:run-detail", args=[run.pk]))
    token = page.context["csrf_token"]
    done = browser.post(
        f"/api/runs/{run.pk}/archive", content_type="application/json", HTTP_X_CSRFTOKEN=str(token)
    )
    assert done.status_code == 200
    assert TaskRun.objects.get().status == "archived"
