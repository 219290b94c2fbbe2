"""Big imports and exports through the API run as background jobs, as in the dashboard.

What a request does at once is the dashboard's rule (TASKADMIN_IMPORT_INLINE_*,
TASKADMIN_EXPORT_INLINE_RUNS); more is answered 202 Accepted with the job at
Location. /api/jobs/ lists the caller's jobs, /api/jobs/<id> follows one (its
progress, then its result, in the shape the request's own answer has) and
/api/jobs/<id>/download gives its file.

Most tests run jobs with Django's ImmediateBackend (tests/settings.py), so the
202 comes once the job has ended; the last test queues on the database and runs
a real `manage.py db_worker`, polling the job's progress meanwhile.
"""

import json
import re
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from taskadmin import busy
from taskadmin.views import API_NOT_FOUND
from tasks import importing, jobs
from tasks.api import imports
from tasks.models import ImportUpload, Job, TaskRun
from tests.api import *  # noqa: F403  (the fixtures)
from tests.api import token_client
from tests.locks import sqlite_write_lock_held_elsewhere, waiting_at_most
from tests.test_jobs import assert_same_export, run_a_quarter_through
from tests.worker import run_worker_polling

FLAT = {"task_title": "Imported", "task_description": "D", "task_reward": 0.25, "task_tags": "t"}
RISKY = {**FLAT, "task_title": "Risky", "task_reward": 60, "no_submission_patience": 60}
BAD = {**FLAT, "task_title": "Bad", "task_reward": -1}
CODES = ["reward_above_confirm_threshold", "patience_shorter_than_two_assignments"]


@pytest.fixture(autouse=True)
def small_requests(settings):
    """A request answers at once for at most 5 runs, and exports at most 3, as in
    tests/test_jobs.py: no need for thousands of runs to reach the background."""
    settings.TASKADMIN_IMPORT_INLINE_RUNS = 5
    settings.TASKADMIN_EXPORT_INLINE_RUNS = 3


def many(count, title="Imported", **fields):
    return [{**FLAT, "task_title": f"{title} {n}", **fields} for n in range(count)]


def jsonl(documents, name="runs.jsonl"):
    return SimpleUploadedFile(name, "\n".join(json.dumps(d) for d in documents).encode())


def post(client, documents, **fields):
    return client.post("/api/runs/import", {"file": jsonl(documents), **fields}, format="multipart")


def job_of(response):
    """The job a 202 answer queued, checked against its Location."""
    assert response.status_code == 202, response.content[:500]
    body = response.json()
    assert response["Location"] == f"/api/jobs/{body['id']}"
    assert body["url"] == f"http://testserver/api/jobs/{body['id']}"
    return Job.objects.get(pk=body["id"])


def follow(client, job):
    response = client.get(f"/api/jobs/{job.pk}")
    assert response.status_code == 200
    return response.json()


def inline(client, settings, documents, **fields):
    """The answer the request itself gives for the same file, when it is small enough."""
    settings.TASKADMIN_IMPORT_INLINE_RUNS = 1000
    response = post(client, documents, **fields)
    settings.TASKADMIN_IMPORT_INLINE_RUNS = 5
    return response


def by_source(body):
    """A report with its documents sorted by source, to compare (a job's come grouped
    by kind, the request's in file order)."""
    return {**body, "documents": sorted(body["documents"], key=lambda d: d["source"])}


def other_editor():
    from tests.conftest import _user

    return _user("other", "view_taskrun", "add_taskrun")


# -- Imports -------------------------------------------------------------------------------


def test_a_big_dry_run_is_a_job_whose_result_is_what_the_request_would_have_answered(
    editor_api, settings, make_run
):
    make_run(**{**FLAT, "task_title": "Imported 0", "task_reward": Decimal("0.25")})
    documents = [*many(6), BAD, RISKY]
    response = post(editor_api, documents, dry_run="true")
    job = job_of(response)
    assert (job.kind, job.status, job.title) == (
        "import_preview",
        "succeeded",
        "Preview of runs.jsonl",
    )
    assert response.json()["status"] == "succeeded"  # the tests' backend runs it at once

    body = follow(editor_api, job)
    result = body["result"]
    assert result["documents_more"] == 0 and result["notices_more"] == 0
    expected = inline(editor_api, settings, documents, dry_run="true").json()
    del result["documents_more"], result["notices_more"]
    assert by_source(result) == by_source(expected)
    assert result["counts"] == {"new": 6, "identical": 1, "invalid": 1}
    assert [w["code"] for w in result["warnings"]] == CODES
    assert not TaskRun.objects.filter(task_title="Risky").exists()
    # Read once: the upload is not kept for an apply that posts the file again.
    assert not ImportUpload.objects.exists()

    report = editor_api.get(body["download"])
    assert report.status_code == 200
    assert report["Content-Type"] == "application/jsonl"
    assert report["Content-Disposition"] == 'attachment; filename="runs.jsonl-preview.jsonl"'
    lines = [json.loads(line) for line in b"".join(report.streaming_content).splitlines()]
    assert [line["source"] for line in lines] == [f"runs.jsonl line {n}" for n in range(1, 9)]


def test_a_big_dry_runs_result_keeps_the_first_rows_of_each_kind_and_counts_the_rest(
    editor_api,
):
    job = job_of(post(editor_api, [*many(30), *many(22, title="Bad", task_reward=-1)], dry_run=1))
    result = follow(editor_api, job)["result"]
    assert result["counts"] == {"new": 30, "identical": 0, "invalid": 22}
    assert [d["status"] for d in result["documents"]] == ["invalid"] * 20 + ["new"] * 20
    assert result["documents_more"] == 12
    assert result["documents"][0]["errors"] == ["task_reward: The reward cannot be negative."]


def test_a_big_import_is_a_job_whose_result_says_what_was_imported(editor_api, editor):
    job = job_of(post(editor_api, many(25)))
    assert (job.kind, job.status, job.title) == (
        "import_apply",
        "succeeded",
        "Import of runs.jsonl",
    )
    result = follow(editor_api, job)["result"]
    created = list(TaskRun.objects.order_by("pk").values_list("pk", flat=True))
    assert result == {
        "dry_run": False,
        "detail": "Imported 25 task runs from runs.jsonl; skipped 0 identical, 0 invalid.",
        "imported": 25,
        "created": created[:20],
        "created_more": 5,
        "identical": 0,
        "invalid": 0,
    }
    runs = TaskRun.objects.all()
    assert {run.created_by for run in runs} == {editor}
    assert runs[0].history.get().history_change_reason == "import: runs.jsonl"
    assert not ImportUpload.objects.exists()


def test_a_big_import_with_unread_warnings_is_refused_by_its_job_as_the_request_refuses(
    editor_api, settings
):
    documents = many(6, task_reward=60, no_submission_patience=60)
    job = job_of(post(editor_api, documents, acknowledge=CODES[0]))
    body = follow(editor_api, job)
    assert body["status"] == "failed"
    assert body["error"] == importing.unread_message(CODES[1:])
    assert body["download"] is None
    result = body["result"]
    assert (result["code"], result["detail"]) == ("import_refused", body["error"])
    assert [w["code"] for w in result["warnings"]] == CODES
    assert not TaskRun.objects.exists()
    assert not ImportUpload.objects.exists()

    refused = inline(editor_api, settings, documents, acknowledge=CODES[0])
    assert refused.status_code == 400
    del result["documents_more"], result["notices_more"]
    assert by_source(result) == by_source(refused.json())

    done = follow(editor_api, job_of(post(editor_api, documents, acknowledge=CODES)))
    assert (done["status"], done["result"]["imported"]) == ("succeeded", 6)
    assert TaskRun.objects.first().acknowledged_warnings == CODES


def test_a_big_import_of_all_with_invalid_runs_is_refused_unless_only_the_valid_ones(
    editor_api,
):
    documents = [*many(6), BAD]
    body = follow(editor_api, job_of(post(editor_api, documents)))
    assert (body["status"], body["error"]) == ("failed", importing.invalid_message(1))
    assert body["result"]["counts"] == {"new": 6, "identical": 0, "invalid": 1}
    assert not TaskRun.objects.exists()
    done = follow(editor_api, job_of(post(editor_api, documents, mode="valid")))
    assert (done["result"]["imported"], done["result"]["invalid"]) == (6, 1)
    assert TaskRun.objects.count() == 6


def test_a_big_file_that_cannot_be_read_fails_its_job_with_the_importers_message(editor_api):
    response = editor_api.post(
        "/api/runs/import",
        {"file": SimpleUploadedFile("runs.jsonl", b"\xff" * 200_000), "dry_run": "true"},
        format="multipart",
    )
    body = follow(editor_api, job_of(response))
    assert body["status"] == "failed"
    assert body["error"].startswith("runs.jsonl is not UTF-8 text (byte 0xff at position 0).")
    assert body["result"] is None and body["download"] is None
    assert not ImportUpload.objects.exists()


def test_too_many_uploads_waiting_is_a_409_saying_what_to_do(editor_api, editor, settings):
    from tasks import stash

    settings.TASKADMIN_IMPORT_PENDING_MAX = 1
    stash.put(editor, "waiting.jsonl", b"{}")
    response = post(editor_api, many(6))
    assert response.status_code == 409
    assert response.json() == {
        "code": "uploads_waiting",
        "detail": "You have 1 uploads waiting to be imported; at most 1 may wait at a time. "
        + imports.WAITING_ADVICE,
    }
    assert not Job.objects.exists() and not TaskRun.objects.exists()


def test_the_page_of_a_dry_run_made_through_the_api_offers_no_apply_button(
    editor_api, editor_client
):
    body = follow(editor_api, job_of(post(editor_api, many(6), dry_run="true")))
    page = editor_client.get(body["page_url"])
    assert page.status_code == 200
    assert 'id="import-api-dry-run"' in page.text and 'name="token"' not in page.text


# -- Hostile uploads -----------------------------------------------------------------------


def nothing_kept():
    return not (TaskRun.objects.exists() or ImportUpload.objects.exists() or Job.objects.exists())


@pytest.mark.parametrize("count", [2, 6], ids=["at once", "in the background"])
def test_an_acknowledge_posted_as_a_file_is_a_400_and_nothing_is_kept(editor_api, count):
    codes = SimpleUploadedFile("codes.txt", CODES[0].encode())
    response = post(editor_api, many(count), acknowledge=codes)
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "detail": "acknowledge must be warning codes as text, not a file.",
    }
    assert nothing_kept()


def test_acknowledged_codes_no_database_stores_are_codes_that_match_no_warning(editor_api):
    documents = many(6, task_reward=60)
    refused = follow(editor_api, job_of(post(editor_api, documents, acknowledge=["a\x00b"])))
    assert refused["error"] == importing.unread_message(CODES[:1])
    done = follow(editor_api, job_of(post(editor_api, documents, acknowledge=["a\x00", CODES[0]])))
    assert (done["status"], done["result"]["imported"]) == ("succeeded", 6)


def test_a_big_upload_whose_keys_hold_a_nul_is_judged_as_a_small_one(editor_api, settings):
    # PostgreSQL stores no NUL, in text or JSON: the job keeps it escaped.
    documents = [*many(6), {**FLAT, "task_title": "Odd", "a\x00b": 1}]
    unknown = "unknown field a{}b: Mephisto would refuse the config."
    preview = follow(editor_api, job_of(post(editor_api, documents, dry_run="true")))
    assert preview["status"] == "succeeded", preview["error"]
    [odd] = [doc for doc in preview["result"]["documents"] if doc["status"] == "invalid"]
    assert odd["errors"] == [unknown.format("\\x00")]
    small = inline(editor_api, settings, documents, dry_run="true").json()
    assert [doc["errors"] for doc in small["documents"] if doc["errors"]] == [
        [unknown.format("\x00")]
    ]

    refused = follow(editor_api, job_of(post(editor_api, documents)))
    assert (refused["status"], refused["error"]) == ("failed", importing.invalid_message(1))
    assert refused["result"]["counts"] == {"new": 6, "identical": 0, "invalid": 1}
    assert nothing_kept_but_jobs()


def nothing_kept_but_jobs():
    return not (TaskRun.objects.exists() or ImportUpload.objects.exists())


def test_a_big_file_refused_for_a_key_holding_a_nul_fails_its_job_saying_where(
    editor_api, settings
):
    settings.TASKADMIN_IMPORT_INLINE_BYTES = 100  # else refused at once, by the request
    documents = [*many(6), {**FLAT, "a\x00b": "\ud800"}]
    body = follow(editor_api, job_of(post(editor_api, documents, dry_run="true")))
    assert (body["status"], body["error"]) == (
        "failed",
        "runs.jsonl line 7: a\\x00b: text with an unpaired surrogate escape (\\ud800 to"
        " \\udfff) cannot be stored or shown; remove it.",
    )
    assert nothing_kept_but_jobs()


@pytest.mark.parametrize(
    ("fields", "status", "detail"),
    [
        (
            {"file": [SimpleUploadedFile(f"run{n}.json", b"{}") for n in range(101)]},
            400,
            "At most 100 files may be posted at once; put more in a zip.",
        ),
        (
            {"acknowledge": ["x"] * 1001},
            400,
            "At most 1,000 fields (form fields or query parameters) may be sent.",
        ),
        (
            {"acknowledge": "x" * 3_000_000},
            413,
            "The form fields (the files aside) hold more than 2,621,440 bytes; at most that"
            " many are accepted.",
        ),
    ],
    ids=["files", "fields", "field bytes"],
)
def test_more_than_a_request_may_carry_is_a_json_4xx(editor_api, fields, status, detail):
    response = editor_api.post(
        "/api/runs/import", {"file": jsonl(many(2)), **fields}, format="multipart"
    )
    assert response.status_code == status
    assert response.json()["detail"] == detail
    assert nothing_kept()


# -- Exports -------------------------------------------------------------------------------


def stamped(disposition):
    """A Content-Disposition with its file name's time (-YYYYMMDD-HHMMSS) taken out."""
    return re.sub(r"-\d{8}-\d{6}", "", disposition)


@pytest.mark.parametrize("fmt", ["json", "yaml", "overrides"])
def test_a_big_export_is_a_job_whose_download_is_what_a_small_one_streams(
    viewer_api, make_run, settings, fmt
):
    for n in range(4):
        make_run(task_title=f"Run {n}", task_name=f"run-{n}")
    query = f"/api/runs/export?format={fmt}&sort=title"
    job = job_of(viewer_api.get(query))
    body = follow(viewer_api, job)
    assert (body["kind"], body["status"]) == ("export", "succeeded")
    assert body["result"] == {"runs": 4, "format": fmt, "target": "latest"}
    download = viewer_api.get(body["download"])
    assert download.status_code == 200
    content = b"".join(download.streaming_content)

    settings.TASKADMIN_EXPORT_INLINE_RUNS = 10
    streamed = viewer_api.get(query)
    expected = b"".join(streamed.streaming_content)
    assert download["Content-Type"] == streamed["Content-Type"].split(";")[0]
    # The same name but for its time, which may have moved on by a second.
    assert stamped(download["Content-Disposition"]) == stamped(streamed["Content-Disposition"])
    assert_same_export(fmt, content, expected)


def test_a_head_request_for_a_big_export_queues_no_job(viewer_api, make_run):
    # HEAD is safe: `curl -I` of the URL must not set a worker to export every run.
    for n in range(4):
        make_run(task_title=f"Run {n}")
    response = viewer_api.head("/api/runs/export")
    assert response.status_code == 405
    assert response["Allow"] == "GET, OPTIONS"
    assert not Job.objects.exists()


def test_an_export_of_the_runs_named_by_id_counts_only_those(viewer_api, make_run):
    runs = [make_run(task_title=f"Run {n}") for n in range(5)]
    ids = "&".join(f"id={run.pk}" for run in runs[:3])
    assert viewer_api.get(f"/api/runs/export?{ids}").status_code == 200  # 3: streamed
    job = job_of(viewer_api.get(f"/api/runs/export?{ids}&id={runs[3].pk}"))
    assert job.params["pks"] == [runs[3].pk, runs[2].pk, runs[1].pk, runs[0].pk]


def test_an_export_the_target_refuses_fails_its_job_with_the_reason(viewer_api, make_run):
    for n in range(4):
        make_run(task_title=f"Run {n}", aux_parameters={"seed": n})
    body = follow(viewer_api, job_of(viewer_api.get("/api/runs/export?target=1.5")))
    assert body["status"] == "failed"
    assert body["error"].startswith("Mephisto 1.5 has no aux_parameters: this run sets it")
    assert body["result"] is None and body["download"] is None


# -- Following a job -----------------------------------------------------------------------


def test_a_running_jobs_progress_is_in_its_representation(editor_api, editor):
    job, running = run_a_quarter_through(editor, lambda job: follow(editor_api, job))
    assert running["status"] == "running"
    assert running["progress"] == {
        "done": 500,
        "total": 2000,
        "percent": 25,
        "step": "Writing the runs",
    }
    assert running["started_at"] and running["finished_at"] is None
    assert (running["result"], running["download"], running["stalled"]) == (None, None, False)
    done = follow(editor_api, job)
    assert (done["status"], done["progress"]) == ("succeeded", None)
    assert done["finished_at"] and done["error"] == ""


def test_the_list_has_the_callers_jobs_newest_first_a_page_at_a_time(editor_api, editor):
    for n in range(3):
        Job.objects.create(owner=editor, kind="export", title=f"Export {n}")
    Job.objects.create(owner=other_editor(), kind="export", title="Someone else's")
    body = editor_api.get("/api/jobs/?page_size=2").json()
    assert (body["count"], body["page"], body["pages"]) == (3, 1, 2)
    assert [job["title"] for job in body["results"]] == ["Export 2", "Export 1"]
    assert "result" not in body["results"][0]
    assert body["next"] == "http://testserver/api/jobs/?page_size=2&page=2"
    second = editor_api.get(body["next"]).json()
    assert [job["title"] for job in second["results"]] == ["Export 0"]
    assert second["previous"] == "http://testserver/api/jobs/?page_size=2&page=1"


def test_someone_elses_job_is_a_404_like_one_that_does_not_exist(editor, superuser):
    job = Job.objects.create(owner=editor, kind="export", title="Mine", status="succeeded")
    jobs.save_result(job, "runs.json", "application/json", "[]\n")
    other, _ = token_client(other_editor())
    unknown = other.get(f"/api/jobs/{uuid.uuid4()}")
    assert unknown.status_code == 404
    for url in (f"/api/jobs/{job.pk}", f"/api/jobs/{job.pk}/download"):
        response = other.get(url)
        assert response.status_code == 404
        assert response.json() == unknown.json() == {"code": "not_found", "detail": "No such job."}
    assert other.get("/api/jobs/").json()["count"] == 0
    # As on the dashboard's job pages (tasks.jobs.find), a superuser sees it.
    boss, _ = token_client(superuser)
    assert boss.get(f"/api/jobs/{job.pk}").json()["title"] == "Mine"


def test_job_endpoints_need_a_token_or_a_session(anonymous_api, editor_client, editor):
    job = Job.objects.create(owner=editor, kind="export", title="E")
    for url in ("/api/jobs/", f"/api/jobs/{job.pk}", f"/api/jobs/{job.pk}/download"):
        response = anonymous_api.get(url)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert editor_client.get(f"/api/jobs/{job.pk}").json()["status"] == "queued"


@pytest.mark.parametrize(
    "url",
    [
        "/api/jobs/not-a-uuid",
        "/api/jobs/not-a-uuid/download",
        "/api/jobs/%00",
        "/api/jobs/" + "f" * 5000,
        f"/api/jobs/{uuid.uuid4()}/download",
    ],
)
def test_an_id_no_job_has_is_a_json_404(editor_api, url):
    response = editor_api.get(url)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "No such job."}


@pytest.mark.parametrize(
    "url",
    [
        f"/api/jobs/{uuid.uuid4()}/",
        f"/api/jobs/{uuid.uuid4()}/download/",
        "/api/jobs/a/b",
        "/api/jobs/a%2Fb",
        "/api/jobs/%00/%00",
    ],
)
def test_a_job_url_of_another_shape_is_a_json_404_too(editor_api, url):
    response = editor_api.get(url)
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": API_NOT_FOUND}


@pytest.mark.parametrize("status", ["queued", "running"])
def test_downloading_before_the_job_has_ended_is_a_409_saying_to_wait(editor_api, editor, status):
    job = Job.objects.create(owner=editor, kind="export", title="E", status=status)
    response = editor_api.get(f"/api/jobs/{job.pk}/download")
    assert response.status_code == 409
    assert response.json() == {
        "code": "not_finished",
        "detail": f"The job is {status} still: its file is ready once it has succeeded."
        f" Poll /api/jobs/{job.pk} until then.",
    }


def test_a_job_without_a_file_or_whose_file_is_gone_is_a_404_saying_so(editor_api, editor):
    failed = Job.objects.create(owner=editor, kind="export", title="E", status="failed")
    response = editor_api.get(f"/api/jobs/{failed.pk}/download")
    assert (response.status_code, response.json()["detail"]) == (404, jobs.NO_FILE)
    gone = Job.objects.create(owner=editor, kind="export", title="E", status="succeeded")
    jobs.save_result(gone, "runs.json", "application/json", "[]\n")
    gone.result.delete(save=False)
    Job.objects.filter(pk=gone.pk).update(result="jobs/gone/runs.json")
    response = editor_api.get(f"/api/jobs/{gone.pk}/download")
    assert (response.status_code, response.json()["detail"]) == (404, jobs.FILE_GONE)


@pytest.mark.parametrize("query", ["page=0", "page=x", "page_size=101", "q=%00"])
def test_an_odd_page_of_jobs_is_a_400(editor_api, query):
    response = editor_api.get(f"/api/jobs/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


def test_a_page_past_the_last_is_a_404(editor_api):
    response = editor_api.get("/api/jobs/?page=2")
    assert response.status_code == 404
    assert response.json()["detail"] == "No page 2: there are 1."


@pytest.mark.parametrize("count", [3, 30])
def test_the_job_endpoints_cost_a_fixed_number_of_queries(editor, django_assert_num_queries, count):
    client, _ = token_client(editor)
    for n in range(count):
        job = Job.objects.create(owner=editor, kind="export", title=f"Export {n}")
    Job.objects.filter(pk=job.pk).update(status="succeeded")
    jobs.save_result(job, "runs.json", "application/json", "[]\n")
    client.get("/api/jobs/")  # last_used_at is written at most once a minute: now, not below
    # the token and its user, + the count and one page
    with django_assert_num_queries(3):
        assert client.get("/api/jobs/?page_size=100").json()["count"] == count
    # the token and its user, + the job
    with django_assert_num_queries(2):
        assert client.get(f"/api/jobs/{job.pk}").status_code == 200
    # the token and its user, the user's and groups' permissions, + the job
    with django_assert_num_queries(4):
        assert client.get(f"/api/jobs/{job.pk}/download").status_code == 200


# -- Two imports at once ------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_import_while_another_holds_sqlites_write_lock_is_told_to_try_again(editor):
    """A big import holds SQLite's write lock for its whole transaction, minutes for
    a big file: an import posted meanwhile waits the connection's timeout, then is
    a 503 saying to try again (not a server error); reading and polling go on."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL locks the rows written: two imports go on side by side")
    client, _ = token_client(editor)
    with sqlite_write_lock_held_elsewhere(), waiting_at_most(0.2):
        small, big = post(client, many(2)), post(client, many(6))
        polled = client.get("/api/jobs/")
    assert polled.status_code == 200
    for response in (small, big):
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert response.json() == {"code": "busy", "detail": busy.BUSY}
    assert nothing_kept()
    assert post(client, many(2)).status_code == 201


# -- A real worker --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_does_a_big_api_import_with_its_progress_visible_on_the_way(
    database_tasks,
):
    """Queued in the database, run by `manage.py db_worker` in another process: the
    script polls the job's Location, sees it queued, its progress as it runs, then
    its result."""
    from tests.conftest import _user

    client, _ = token_client(_user("worker-test", "view_taskrun", "add_taskrun"))
    response = post(client, many(600))
    job = job_of(response)
    assert response.json()["status"] == "queued"
    seen = run_worker_polling(lambda: client.get(response["Location"]).json())
    body = follow(client, job)
    assert (body["status"], body["result"]["imported"]) == ("succeeded", 600), body["error"]
    assert TaskRun.objects.count() == 600
    percents = {b["progress"]["percent"] for b in seen if b["progress"]} - {None}
    assert percents - {0, 100}, f"no progress between 0 and 100 was seen: {percents}"
    assert {b["status"] for b in seen} >= {"running"}
