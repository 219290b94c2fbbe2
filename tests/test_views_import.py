"""The import page, the export choices, /schema.json and the admin entry points."""

import io
import json
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from taskadmin import busy
from tasks.models import TaskRun
from tests.locks import sqlite_write_lock_held_elsewhere, waiting_at_most

pytestmark = pytest.mark.django_db

FLAT = {"task_title": "Imported", "task_description": "D", "task_reward": 0.25, "task_tags": "t"}
BAD = {**FLAT, "task_title": "Bad", "task_reward": -1}


def upload(client, name, content):
    data = content.encode() if isinstance(content, str) else content
    return client.post(reverse("tasks:run-import"), {"file": SimpleUploadedFile(name, data)})


def jsonl(*documents):
    return "\n".join(json.dumps(d) for d in documents)


# -- Import page ---------------------------------------------------------------------


def test_import_page_needs_login(client):
    response = client.get(reverse("tasks:run-import"))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_import_needs_add_permission(viewer_client):
    assert viewer_client.get(reverse("tasks:run-import")).status_code == 403


@pytest.mark.django_db(transaction=True)
def test_an_import_while_another_holds_sqlites_write_lock_says_to_try_again(editor_client):
    """A big import in the background holds SQLite's write lock for minutes: an
    upload meanwhile waits the connection's timeout, then is a 503 saying so."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL locks the rows written: two imports go on side by side")
    with sqlite_write_lock_held_elsewhere(), waiting_at_most(0.2):
        response = upload(editor_client, "runs.jsonl", jsonl(FLAT))
    assert (response.status_code, response["Retry-After"]) == (503, "30")
    assert response.content.decode() == busy.BUSY
    assert not TaskRun.objects.exists()


def test_upload_shows_a_preview_and_saves_nothing(editor_client):
    response = upload(editor_client, "runs.jsonl", jsonl(FLAT, BAD))
    content = response.content.decode()
    assert "runs.jsonl: 1 new, 0 identical to saved runs (skipped), 1 invalid." in content
    assert "runs.jsonl line 2: task_reward: The reward cannot be negative." in content
    assert "Import only the 1 valid run" in content
    assert not TaskRun.objects.exists()


def apply(client, response, mode, acknowledge=()):
    token = response.context["token"]
    return client.post(
        reverse("tasks:run-import-apply"),
        {"token": token, "mode": mode, "acknowledge": list(acknowledge)},
    )


def test_import_only_valid_saves_them_and_says_so(editor_client, editor):
    preview = upload(editor_client, "runs.jsonl", jsonl(FLAT, BAD))
    response = apply(editor_client, preview, "valid")
    assert response.status_code == 302 and response["Location"] == reverse("tasks:run-list")
    run = TaskRun.objects.get()
    assert (run.task_title, run.created_by) == ("Imported", editor)
    messages = [str(m) for m in response.wsgi_request._messages]
    assert messages == ["Imported 1 task run from runs.jsonl; skipped 0 identical, 1 invalid."]


def test_import_all_with_invalid_runs_is_refused_and_changes_nothing(editor_client):
    preview = upload(editor_client, "runs.jsonl", jsonl(FLAT, BAD))
    response = apply(editor_client, preview, "all")
    assert response.status_code == 200
    assert (
        "Nothing imported: 1 run is invalid. Fix the file, or import only the valid runs."
        in response.content.decode()
    )
    assert not TaskRun.objects.exists()


def test_the_owner_may_apply_an_upload_from_another_session(editor_client, editor):
    # Uploads wait in the database for their owner (tests/test_import_stash.py),
    # not in one browser session: a second tab or a new login can apply them.
    preview = upload(editor_client, "runs.jsonl", jsonl(FLAT))
    editor_client.logout()
    editor_client.force_login(editor)
    response = apply(editor_client, preview, "all")
    assert response["Location"] == reverse("tasks:run-list")
    assert TaskRun.objects.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.json", b"", "The submitted file is empty."),
        ("runs.json", b"\xff\xfe{}", "runs.json is not UTF-8 text (byte 0xff at position 0)."),
        ("deep.json", b"[" * 10_000 + b"]" * 10_000, "deep.json is nested too deeply"),
        ("big.json", b" " * 20_000_000, "big.json is 20.0 MB; the import limit is 10.0 MB."),
    ],
)
def test_unreadable_files_get_a_clear_error_and_change_nothing(
    editor_client, name, content, message, settings
):
    settings.TASKADMIN_IMPORT_MAX_BYTES = 10_000_000
    response = upload(editor_client, name, content)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TaskRun.objects.exists()


def test_yaml_upload_round_trips_through_the_browser(editor_client, make_run):
    run = make_run(task_title="Original ${x}")
    exported = editor_client.get(reverse("tasks:run-export", args=[run.pk]), {"format": "yaml"})
    run.delete()
    preview = upload(editor_client, "run.yaml", exported.content)
    apply(editor_client, preview, "all", acknowledge=["interpolation_in_task_title"])
    again = editor_client.get(
        reverse("tasks:run-export", args=[TaskRun.objects.get().pk]), {"format": "yaml"}
    )
    assert again.content == exported.content


# -- Export choices ----------------------------------------------------------------------


def test_detail_page_offers_formats_targets_and_copyable_overrides(viewer_client, make_run):
    run = make_run()
    content = viewer_client.get(reverse("tasks:run-detail", args=[run.pk])).content.decode()
    assert '<option value="overrides">Hydra overrides</option>' in content
    assert '<option value="1.1">Mephisto 1.1-1.4 (14 fields)</option>' in content
    assert "mephisto.task.task_reward=0.5" in content
    assert 'data-copy="#run-overrides"' in content
    assert "tasks/copy.js" in content and "<script>" not in content


def test_export_for_an_old_target_that_would_lose_a_value_is_refused(viewer_client, make_run):
    run = make_run(aux_parameters={"seed": 3})
    response = viewer_client.get(
        reverse("tasks:run-export", args=[run.pk]), {"format": "json", "target": "1.5"}, follow=True
    )
    assert "Mephisto 1.5 has no aux_parameters" in response.content.decode()


def test_list_export_of_yaml_is_a_zip(viewer_client, make_run):
    make_run(task_name="one")
    make_run(task_name="two")
    response = viewer_client.get(reverse("tasks:runs-export-as", args=["yaml"]), {"scope": "all"})
    assert response["Content-Type"] == "application/zip"
    assert sorted(zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()) == [
        "one.yaml",
        "two.yaml",
    ]


def test_list_page_offers_the_other_formats(viewer_client, make_run):
    make_run()
    content = viewer_client.get(reverse("tasks:run-list")).content.decode()
    assert f'formaction="{reverse("tasks:runs-export-as", args=["overrides"])}"' in content
    assert "All 1 as Hydra overrides (zip)" in content


def test_overrides_download(viewer_client, make_run):
    run = make_run()
    response = viewer_client.get(
        reverse("tasks:run-export", args=[run.pk]), {"format": "overrides"}
    )
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith(
        "mephisto/provider=mock mephisto.task.task_name=null "
    )


# -- Schema ----------------------------------------------------------------------------


def test_schema_needs_login(client):
    assert client.get("/schema.json").status_code == 302


def test_schema_is_served_as_json(viewer_client):
    response = viewer_client.get("/schema.json")
    assert response["Content-Type"] == "application/json"
    assert response.json()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


# -- Admin -----------------------------------------------------------------------------


def test_admin_changelist_links_to_the_import(editor_client):
    content = editor_client.get(reverse("admin:tasks_taskrun_changelist")).content.decode()
    assert f'<a href="{reverse("tasks:run-import")}">Import task runs</a>' in content


def test_admin_exports_yaml_for_a_target(editor_client, make_run):
    run = make_run()
    response = editor_client.post(
        reverse("admin:tasks_taskrun_changelist"),
        {"action": "export_yaml", "_selected_action": [run.pk], "target": "1.1"},
    )
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    [name] = archive.namelist()
    text = archive.read(name).decode()
    assert "resume_incomplete_run" not in text and "aux_parameters" not in text


def test_admin_export_refused_for_a_target_says_why(editor_client, make_run):
    run = make_run(resume_incomplete_run=True)
    response = editor_client.post(
        reverse("admin:tasks_taskrun_changelist"),
        {"action": "export_overrides", "_selected_action": [run.pk], "target": "1.1"},
        follow=True,
    )
    assert "Mephisto 1.1 has no resume_incomplete_run" in response.content.decode()


# -- Warnings ----------------------------------------------------------------------------

RISKY = {
    "task_title": "Risky",
    "task_description": "Pays a lot, shuts down early and resumes.",
    "task_reward": 60,
    "task_tags": "a",
    "no_submission_patience": 60,
    "resume_incomplete_run": True,
}
RISKY_CODES = [
    "reward_above_confirm_threshold",
    "patience_shorter_than_two_assignments",
    "resume_ignores_these_values",
]


def test_the_preview_lists_each_new_runs_warnings_with_a_tick_box(editor_client):
    response = upload(editor_client, "risky.jsonl", jsonl(RISKY))
    content = response.content.decode()
    assert [code for code, _, _ in response.context["batch"].warnings] == RISKY_CODES
    assert "$60.00 per unit is more than $50.00" in content
    for code in RISKY_CODES:
        assert f'name="acknowledge" value="{code}" id="acknowledge-{code}"' in content
    assert not TaskRun.objects.exists()


def test_applying_without_ticking_every_warning_imports_nothing_and_says_which(editor_client):
    preview = upload(editor_client, "risky.jsonl", jsonl(RISKY))
    response = apply(editor_client, preview, "all", acknowledge=RISKY_CODES[:1])
    assert response.status_code == 200
    assert not TaskRun.objects.exists()
    assert (
        "Nothing imported: read the warnings and acknowledge each one"
        " (patience_shorter_than_two_assignments, resume_ignores_these_values)."
    ) in [str(m) for m in response.context["messages"]]
    # The ticks given are kept on the page shown again.
    code = RISKY_CODES[0]
    assert f'value="{code}" id="acknowledge-{code}" checked' in response.content.decode()


def test_applying_with_every_warning_ticked_imports_and_records_them(editor_client):
    preview = upload(editor_client, "risky.jsonl", jsonl(RISKY))
    response = apply(editor_client, preview, "all", acknowledge=RISKY_CODES)
    assert response.status_code == 302
    run = TaskRun.objects.get()
    assert run.acknowledged_warnings == RISKY_CODES
    assert run.history.get().acknowledged_warnings == RISKY_CODES


def test_runs_sharing_a_new_task_name_in_one_file_warn_from_the_second_on(editor_client):
    pilot = {**FLAT, "task_name": "pilot"}
    response = upload(editor_client, "pair.jsonl", jsonl(pilot, {**pilot, "task_title": "Two"}))
    first, second = response.context["batch"].documents
    assert first.warnings == []
    assert [w.message for w in second.warnings] == [
        "Runs earlier in this file use the task name “pilot”: together they form one Mephisto"
        " task, so maximum units per worker counts across all of them."
    ]
    assert apply(editor_client, response, "all").status_code == 200
    assert not TaskRun.objects.exists()
    apply(editor_client, response, "all", acknowledge=["task_name_shared"])
    assert TaskRun.objects.count() == 2
