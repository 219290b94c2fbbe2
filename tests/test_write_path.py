"""Every URL that accepts a POST changes runs only through tasks.services, or refuses.

A guard on TaskRun's pre_save and pre_delete signals fails any save or delete
made outside the service; each route is then posted what a browser posts, by a
user who may make the change and by one who may only look. The list of routes
is checked against the URL configuration, so a new route must be listed here.
"""

import json
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.signals import pre_delete, pre_save
from django.urls import get_resolver, reverse

from tasks import services
from tasks.models import Job, TaskRun
from tests.conftest import form_data

CHANGELIST = reverse("admin:tasks_taskrun_changelist")


@pytest.fixture(autouse=True)
def only_through_services():
    def guard(sender, instance, **kwargs):
        if not services.in_write_path():
            raise AssertionError(f"#{instance.pk} changed outside tasks.services")

    pre_save.connect(guard, sender=TaskRun, dispatch_uid="write-path-guard")
    pre_delete.connect(guard, sender=TaskRun, dispatch_uid="write-path-guard")
    yield
    pre_save.disconnect(sender=TaskRun, dispatch_uid="write-path-guard")
    pre_delete.disconnect(sender=TaskRun, dispatch_uid="write-path-guard")


@pytest.fixture
def runs(editor):
    """A draft with two versions and a launched run, saved the way every path saves."""
    draft = services.run_save(
        TaskRun(**{**_valid(), "task_title": "Draft v1"}), by=editor, via="test"
    )
    draft.task_title = "Draft v2"
    services.run_save(draft, by=editor, via="test")
    launched = services.run_save(
        TaskRun(**{**_valid(), "task_title": "Launched"}), by=editor, via="test"
    )
    services.run_launch(launched, by=editor, mephisto_task_run_id="m-1")
    return draft, launched


def _valid():
    from tests.conftest import VALID_RUN

    return dict(VALID_RUN)


def _sync(client, draft, launched):
    import tempfile
    from pathlib import Path

    from tests.mephisto import handmade_database, mephisto_node

    folder = Path(tempfile.mkdtemp(prefix="write-path-sync-"))
    path = handmade_database(folder / "database.db", [mephisto_node(task_title="Synced")])
    with open(path, "rb") as file:
        return client.post(reverse("tasks:mephisto-sync"), {"database": file})


def _first_version(run):
    return run.history.order_by("history_id").first().history_id


def _import(client, draft, launched):
    line = json.dumps(
        {"task_title": "Imported", "task_description": "D", "task_reward": 1, "task_tags": "t"}
    )
    preview = client.post(
        reverse("tasks:run-import"), {"file": SimpleUploadedFile("r.jsonl", line.encode())}
    )
    token = preview.context["token"] if preview.context and "token" in preview.context else "x"
    return client.post(reverse("tasks:run-import-apply"), {"token": token, "mode": "all"})


IMPORTED = {"task_title": "Imported", "task_description": "D", "task_reward": 1, "task_tags": "t"}


def _import_in_the_background(client, draft, launched):
    """An upload too large to answer at once: its preview and its import are jobs."""
    lines = "\n".join(json.dumps({**IMPORTED, "task_title": f"Imported {n}"}) for n in range(250))
    client.post(
        reverse("tasks:run-import"), {"file": SimpleUploadedFile("r.jsonl", lines.encode())}
    )
    job = Job.objects.filter(kind=Job.Kind.IMPORT_PREVIEW).first()
    token = job.params["token"] if job else "x"
    return client.post(reverse("tasks:run-import-apply"), {"token": token, "mode": "all"})


def _job_page(name):
    """A job's page: it only shows, so a POST must change nothing either."""

    def post(client, draft, launched):
        return client.post(reverse(name, args=[uuid.uuid4()]), {"task_title": "Changed"})

    return post


def _action(name, **extra):
    def post(client, draft, launched):
        return client.post(CHANGELIST, {"action": name, "_selected_action": [draft.pk], **extra})

    return post


def _get_only(name, **kwargs):
    """A page that only shows: a POST must not change anything either."""

    def post(client, draft, launched):
        args = [draft.pk] if kwargs.get("pk") else []
        if kwargs.get("history"):
            args.append(_first_version(draft))
        if kwargs.get("field"):
            args.append("task_title")
        return client.post(reverse(name, args=args), {"task_title": "Changed by a POST"})

    return post


# route name -> (how a browser posts to it, whether an allowed user's post changes runs)
ROUTES = {
    "tasks:run-create": (
        lambda c, d, lr: c.post(reverse("tasks:run-create"), form_data(task_title="New")),
        True,
    ),
    "tasks:run-edit": (
        lambda c, d, lr: c.post(
            reverse("tasks:run-edit", args=[d.pk]), form_data(d, task_title="Edited")
        ),
        True,
    ),
    "tasks:run-clone": (
        lambda c, d, lr: c.post(reverse("tasks:run-clone", args=[d.pk]), form_data(d)),
        True,
    ),
    "tasks:run-delete": (
        lambda c, d, lr: c.post(reverse("tasks:run-delete", args=[d.pk])),
        True,
    ),
    "tasks:run-status": (
        lambda c, d, lr: c.post(reverse("tasks:run-status", args=[d.pk]), {"action": "launch"}),
        True,
    ),
    # The launched run carries Mephisto's id m-1: unlinking forgets it.
    "tasks:run-unlink": (
        lambda c, d, lr: c.post(reverse("tasks:run-unlink", args=[lr.pk])),
        True,
    ),
    "tasks:mephisto-sync": (_sync, True),
    "tasks:run-revert": (
        lambda c, d, lr: c.post(reverse("tasks:run-revert", args=[d.pk, _first_version(d)])),
        True,
    ),
    "tasks:run-import": (
        lambda c, d, lr: c.post(
            reverse("tasks:run-import"), {"file": SimpleUploadedFile("r.jsonl", b"{}")}
        ),
        False,
    ),
    "tasks:run-import-apply": (_import, True),
    "tasks:run-import-apply in the background": (_import_in_the_background, True),
    # Discarding an upload waiting for its import changes no run.
    "tasks:run-import-discard": (
        lambda c, d, lr: c.post(reverse("tasks:run-import-discard"), {"token": "x"}),
        False,
    ),
    "tasks:run-preview": (
        lambda c, d, lr: c.post(reverse("tasks:run-preview"), form_data(task_title="P")),
        False,
    ),
    "tasks:run-edit-preview": (
        lambda c, d, lr: c.post(
            reverse("tasks:run-edit-preview", args=[d.pk]), form_data(d, task_title="P")
        ),
        False,
    ),
    "tasks:run-list": (_get_only("tasks:run-list"), False),
    "tasks:runs-export": (_get_only("tasks:runs-export"), False),
    "tasks:runs-export-as": (
        lambda c, d, lr: c.post(reverse("tasks:runs-export-as", args=["yaml"])),
        False,
    ),
    "tasks:schema": (_get_only("tasks:schema"), False),
    "tasks:run-detail": (_get_only("tasks:run-detail", pk=True), False),
    "tasks:run-export": (_get_only("tasks:run-export", pk=True), False),
    "tasks:run-history": (_get_only("tasks:run-history", pk=True), False),
    "tasks:run-history-diff": (_get_only("tasks:run-history-diff", pk=True), False),
    "tasks:run-history-field": (
        _get_only("tasks:run-history-field", pk=True, history=True, field=True),
        False,
    ),
    "tasks:runs-compare": (_get_only("tasks:runs-compare"), False),
    "tasks:job-list": (_get_only("tasks:job-list"), False),
    "tasks:job-detail": (_job_page("tasks:job-detail"), False),
    "tasks:job-progress": (_job_page("tasks:job-progress"), False),
    "tasks:job-download": (_job_page("tasks:job-download"), False),
    "admin:tasks_taskrun_add": (
        lambda c, d, lr: c.post(
            reverse("admin:tasks_taskrun_add"), form_data(task_title="Admin new", _save="")
        ),
        True,
    ),
    "admin:tasks_taskrun_change": (
        lambda c, d, lr: c.post(
            reverse("admin:tasks_taskrun_change", args=[d.pk]),
            form_data(d, task_title="Admin edit", _save=""),
        ),
        True,
    ),
    "admin:tasks_taskrun_change save as new": (
        lambda c, d, lr: c.post(
            reverse("admin:tasks_taskrun_change", args=[lr.pk]), {"_saveasnew": ""}
        ),
        True,
    ),
    "admin:tasks_taskrun_delete": (
        lambda c, d, lr: c.post(
            reverse("admin:tasks_taskrun_delete", args=[d.pk]), {"post": "yes"}
        ),
        True,
    ),
    "admin:tasks_taskrun_changelist": (_action("clone_selected"), True),
    "admin:tasks_taskrun_changelist mark_launched": (_action("mark_launched"), True),
    "admin:tasks_taskrun_changelist archive_selected": (_action("archive_selected"), True),
    "admin:tasks_taskrun_changelist unlink_mephisto": (
        lambda c, d, lr: c.post(
            CHANGELIST, {"action": "unlink_mephisto", "_selected_action": [lr.pk]}
        ),
        True,
    ),
    "admin:tasks_taskrun_changelist delete_selected": (
        _action("delete_selected", post="yes"),
        True,
    ),
    "admin:tasks_taskrun_changelist export_json": (_action("export_json"), False),
    "admin:tasks_taskrun_history": (
        lambda c, d, lr: c.post(reverse("admin:tasks_taskrun_history", args=[d.pk])),
        False,
    ),
    # simple-history's own page would save a posted form: it must refuse.
    "admin:tasks_taskrun_simple_history": (
        lambda c, d, lr: c.post(
            reverse("admin:tasks_taskrun_simple_history", args=[lr.pk, _first_version(lr)]),
            form_data(lr, task_title="Rewritten", _save=""),
        ),
        False,
    ),
    # The API (tasks/api/): a script's calls, with the session here (a token in
    # test_api_permissions.py).
    "api:run-list": (
        lambda c, d, lr: c.post(
            "/api/runs/", {**_valid(), "task_reward": 1, "task_title": "API"}, "application/json"
        ),
        True,
    ),
    "api:run-detail": (
        lambda c, d, lr: c.patch(
            f"/api/runs/{d.pk}",
            {"task_title": "API edit", "version": d.version},
            "application/json",
        ),
        True,
    ),
    "api:run-detail delete": (lambda c, d, lr: c.delete(f"/api/runs/{d.pk}"), True),
    "api:run-clone": (
        lambda c, d, lr: c.post(f"/api/runs/{lr.pk}/clone", {}, "application/json"),
        True,
    ),
    "api:run-launch": (
        lambda c, d, lr: c.post(f"/api/runs/{d.pk}/launch", {}, "application/json"),
        True,
    ),
    "api:run-archive": (lambda c, d, lr: c.post(f"/api/runs/{d.pk}/archive"), True),
    "api:run-unarchive": (
        lambda c, d, lr: [c.post(f"/api/runs/{d.pk}/{a}") for a in ("archive", "unarchive")][-1],
        True,
    ),
    "api:runs-import": (
        lambda c, d, lr: c.post(
            "/api/runs/import",
            {
                "file": SimpleUploadedFile(
                    "r.jsonl",
                    json.dumps(
                        {
                            "task_title": "I",
                            "task_description": "D",
                            "task_reward": 1,
                            "task_tags": "t",
                        }
                    ).encode(),
                )
            },
        ),
        True,
    ),
    "api:run-history": (lambda c, d, lr: c.post(f"/api/runs/{d.pk}/history"), False),
    "api:run-history-diff": (lambda c, d, lr: c.post(f"/api/runs/{d.pk}/history/diff"), False),
    "api:run-config": (lambda c, d, lr: c.post(f"/api/runs/{d.pk}/config.yaml"), False),
    "api:runs-export": (lambda c, d, lr: c.post("/api/runs/export"), False),
    "api:config-schema": (lambda c, d, lr: c.post("/api/config-schema.json"), False),
    "api:job-list": (lambda c, d, lr: c.post("/api/jobs/"), False),
    "api:job-detail": (lambda c, d, lr: c.post(f"/api/jobs/{uuid.uuid4()}"), False),
    "api:job-download": (lambda c, d, lr: c.post(f"/api/jobs/{uuid.uuid4()}/download"), False),
    "api:schema": (lambda c, d, lr: c.post("/api/schema/"), False),
    "api:docs": (lambda c, d, lr: c.post("/api/docs/"), False),
    "tasks:run-export-json": (_get_only("tasks:run-export-json", pk=True), False),
}


def _route_names():
    """Names of every URL of the dashboard and of the task-run admin."""
    names = set()

    def walk(patterns, namespace=""):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                walk(
                    pattern.url_patterns,
                    f"{namespace}{pattern.namespace}:" * bool(pattern.namespace) or namespace,
                )
            elif pattern.name:
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns)
    return {n for n in names if n.startswith(("tasks:", "admin:tasks_taskrun_", "api:"))}


def test_every_route_of_the_dashboard_and_the_task_run_admin_is_walked():
    assert {name.split(" ")[0] for name in ROUTES} == _route_names()


def _state():
    return (
        list(TaskRun.objects.order_by("pk").values()),
        TaskRun.history.count(),
    )


@pytest.mark.parametrize("route", ROUTES)
def test_a_post_by_a_user_who_may_change_goes_through_the_services(client, editor, runs, route):
    client.force_login(editor)
    post, writes = ROUTES[route]
    before = _state()
    response = post(client, *runs)
    assert response.status_code < 500
    if writes:
        assert _state() != before, f"{route} was expected to change a run"
    elif route == "admin:tasks_taskrun_simple_history":
        assert response.status_code == 405
        assert _state() == before


@pytest.mark.parametrize("route", ROUTES)
def test_a_post_by_a_user_who_may_only_view_changes_nothing(client, viewer, runs, route):
    client.force_login(viewer)
    post, _ = ROUTES[route]
    before = _state()
    response = post(client, *runs)
    assert response.status_code < 500
    assert _state() == before


@pytest.mark.parametrize("route", ROUTES)
def test_an_anonymous_post_changes_nothing(client, runs, route):
    post, _ = ROUTES[route]
    before = _state()
    response = post(client, *runs)
    assert response.status_code in (302, 401, 403, 405)
    assert _state() == before
