"""Importing through the API: a dry run that previews, then the apply, as the Import
page does (tasks.importing), all or nothing."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tasks.models import TaskRun
from tests.api import *  # noqa: F403  (the fixtures)

GOOD = {"task_title": "Imported", "task_description": "D", "task_reward": 1, "task_tags": "t"}


def jsonl(*documents, name="runs.jsonl"):
    return SimpleUploadedFile(name, "\n".join(json.dumps(d) for d in documents).encode())


def post(client, upload, **fields):
    return client.post("/api/runs/import", {"file": upload, **fields}, format="multipart")


def test_a_dry_run_counts_and_judges_each_document_and_saves_nothing(editor_api, make_run):
    existing = make_run(**{**GOOD, "task_title": "Already here"})
    response = post(
        editor_api,
        jsonl(
            GOOD,
            {**GOOD, "task_title": "Already here"},
            {**GOOD, "task_reward": -1},
        ),
        dry_run="true",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["dry_run"] is True
    assert body["counts"] == {"new": 1, "identical": 1, "invalid": 1}
    assert [doc["source"] for doc in body["documents"]] == [
        "runs.jsonl line 1",
        "runs.jsonl line 2",
        "runs.jsonl line 3",
    ]
    assert [doc["status"] for doc in body["documents"]] == ["new", "identical", "invalid"]
    assert body["documents"][1]["existing"] == existing.pk
    assert body["documents"][2]["errors"] == ["task_reward: The reward cannot be negative."]
    assert TaskRun.objects.count() == 1


def test_an_identical_run_is_recognised(editor_api, make_run):
    existing = make_run(**{**GOOD})
    body = post(editor_api, jsonl(GOOD), dry_run="1").json()
    assert body["counts"] == {"new": 0, "identical": 1, "invalid": 0}
    assert body["documents"][0]["existing"] == existing.pk


def test_apply_saves_the_new_runs_through_the_service(editor_api, editor):
    response = post(editor_api, jsonl(GOOD, {**GOOD, "task_title": "Second"}))
    assert response.status_code == 201
    body = response.json()
    assert body["detail"] == "Imported 2 task runs from runs.jsonl; skipped 0 identical, 0 invalid."
    runs = TaskRun.objects.filter(pk__in=body["created"])
    assert sorted(run.task_title for run in runs) == ["Imported", "Second"]
    assert {run.created_by for run in runs} == {editor}
    assert runs[0].history.get().history_change_reason == "import: runs.jsonl"


def test_apply_with_an_invalid_document_imports_nothing_unless_asked(editor_api):
    upload = lambda: jsonl(GOOD, {**GOOD, "task_title": ""})  # noqa: E731
    refused = post(editor_api, upload())
    assert refused.status_code == 400
    assert refused.json()["code"] == "import_refused"
    assert refused.json()["detail"].startswith("Nothing imported: 1 run is invalid.")
    assert not TaskRun.objects.exists()
    done = post(editor_api, upload(), mode="valid")
    assert done.status_code == 201
    assert done.json()["invalid"] == 1
    assert TaskRun.objects.count() == 1


def test_apply_with_unread_warnings_imports_nothing_until_acknowledged(editor_api):
    upload = lambda: jsonl({**GOOD, "task_reward": 70})  # noqa: E731
    refused = post(editor_api, upload())
    assert refused.status_code == 400
    assert refused.json()["warnings"][0]["code"] == "reward_above_confirm_threshold"
    assert not TaskRun.objects.exists()
    done = post(editor_api, upload(), acknowledge="reward_above_confirm_threshold")
    assert done.status_code == 201
    assert TaskRun.objects.get().acknowledged_warnings == ["reward_above_confirm_threshold"]


def test_a_file_it_cannot_read_is_refused_with_the_importers_message(editor_api):
    response = post(editor_api, SimpleUploadedFile("runs.json", b"[1, 2"))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not TaskRun.objects.exists()


def test_an_import_without_a_file_or_with_odd_flags_is_refused(editor_api):
    assert editor_api.post("/api/runs/import", {}, format="multipart").status_code == 400
    assert post(editor_api, jsonl(GOOD), dry_run="maybe").status_code == 400
    assert post(editor_api, jsonl(GOOD), mode="some").status_code == 400
    assert not TaskRun.objects.exists()


def test_a_file_over_the_import_limit_is_413(editor_api, settings):
    settings.TASKADMIN_IMPORT_MAX_BYTES = 100
    response = post(editor_api, jsonl(*[GOOD] * 10))
    assert response.status_code == 413
    assert "the import limit is 0.0 MB" in response.json()["detail"]
    assert not TaskRun.objects.exists()


@pytest.mark.parametrize(
    ("inline_runs", "inline_bytes", "expected"),
    [(10, 100_000, 201), (9, 100_000, 202), (10, 100, 202)],
)
def test_the_api_answers_at_once_exactly_what_the_import_page_does_and_queues_the_rest(
    editor_api, settings, inline_runs, inline_bytes, expected
):
    # One rule for both (tasks.jobs.parse_small): more runs or bytes than the page
    # reads at once go to a background job (tests/test_api_jobs.py follows them).
    settings.TASKADMIN_IMPORT_INLINE_RUNS = inline_runs
    settings.TASKADMIN_IMPORT_INLINE_BYTES = inline_bytes
    response = post(editor_api, jsonl(*[{**GOOD, "task_title": f"Run {n}"} for n in range(10)]))
    assert response.status_code == expected
    assert TaskRun.objects.count() == 10
