"""The cast of users and a run factory shared by every test file."""

import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission, User
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.tasks import task_backends
from django.utils.connection import Local

from tasks.models import TaskRun


@receiver(setting_changed)
def _reload_task_backends(setting, **kwargs):
    # Django forgets its cached caches and storages when a test changes their
    # settings, but not its task backends: a test that switches TASKS to the
    # database backend would still queue on the immediate one.
    if setting == "TASKS":
        task_backends.__dict__.pop("settings", None)
        task_backends._connections = Local(task_backends.thread_critical)


@pytest.fixture
def database_tasks(settings):
    """Queue background work in the database, as the site does (tests/settings.py
    runs it at once instead); tests/worker.py starts a real worker for it."""
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    """Files background jobs write go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"


VALID_RUN = {
    "task_title": "Label the pictures",
    "task_description": "Look at each picture and pick the label that fits best.",
    "task_reward": Decimal("0.50"),
    "task_tags": "images, labelling",
}


@pytest.fixture
def make_run(db):
    """Create a valid, saved run; keyword arguments override any field."""

    def make(**overrides):
        run = TaskRun(**{**VALID_RUN, **overrides})
        run.full_clean()
        run.save()
        return run

    return make


JSON_FIELDS = ("aux_parameters", *TaskRun.SECTION_FIELDS, "top_level", "defaults")


def form_data(run=None, **overrides):
    """What the browser posts for a run's form: every config field as text."""
    values = {
        "task_name": "",
        "task_title": VALID_RUN["task_title"],
        "task_description": VALID_RUN["task_description"],
        "task_reward": "0.50",
        "task_tags": VALID_RUN["task_tags"],
        "task_lifetime_in_seconds": "2678400",
        "assignment_duration_in_seconds": "1800",
        "no_submission_patience": "43200",
        "allowed_concurrent": "0",
        "maximum_units_per_worker": "0",
        "max_num_concurrent_units": "0",
        "submission_timeout": "600",
        "post_install_script": "",
        "aux_parameters": "{}",
        "provider": "mock",
        "architect": "",
        "blueprint": "",
        "blueprint_source": "",
        "estimated_minutes": "",
        "planned_units": "",
    }
    if run is not None:
        for name in TaskRun.EDITABLE_FIELDS:
            value = getattr(run, name)
            values[name] = json.dumps(value) if name in JSON_FIELDS else value
        values["version"] = run.version
    values.update(overrides)
    # An unticked checkbox is simply absent from a browser's post.
    return {
        key: ("on" if value is True else value)
        for key, value in values.items()
        if value is not False and value is not None
    }


def _user(username, *codenames, **flags):
    user = User.objects.create_user(username=username, password="pw", **flags)
    if codenames:
        user.user_permissions.set(
            Permission.objects.filter(content_type__app_label="tasks", codename__in=codenames)
        )
    return user


@pytest.fixture
def editor(db):
    """May do everything to task runs, in the dashboard and the admin."""
    return _user(
        "editor",
        "view_taskrun",
        "add_taskrun",
        "change_taskrun",
        "delete_taskrun",
        is_staff=True,
    )


@pytest.fixture
def viewer(db):
    """May look and export, nothing else."""
    return _user("viewer", "view_taskrun", is_staff=True)


@pytest.fixture
def nobody(db):
    """Logged in, but without any permission on task runs."""
    return _user("nobody")


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(username="boss", password="pw")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def viewer_client(client, viewer):
    client.force_login(viewer)
    return client


def add_versions(run, count):
    """Record `count` more versions of `run`, each with its own title, in one INSERT.

    Written straight into the history table (bulk_create), so a run of hundreds
    of versions takes milliseconds: for the tests of what reading history costs.
    The run itself keeps its row; its `version` becomes the newest one's.
    """
    model = TaskRun.history.model
    newest = run.history.order_by("-history_id").first()
    fields = [f.attname for f in model._meta.fields if f.attname != "history_id"]
    records = []
    for number in range(newest.version + 1, newest.version + 1 + count):
        record = model(**{name: getattr(newest, name) for name in fields})
        record.version, record.task_title, record.history_type = number, f"Title {number}", "~"
        records.append(record)
    model.objects.bulk_create(records)
    TaskRun.objects.filter(pk=run.pk).update(version=newest.version + count)
    run.refresh_from_db()
    return run
