"""Long work in the background: large imports and exports run as jobs, with progress.

Most tests run jobs with Django's ImmediateBackend (tests/settings.py): the
request that queues a job has done it by the time it answers. The last test
queues on the real database backend and runs a real `manage.py db_worker`.
"""

import io
import json
import uuid
import zipfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tasks import importing, jobs
from tasks.models import ImportUpload, Job, TaskRun
from tests.worker import run_worker_polling

pytestmark = pytest.mark.django_db

FLAT = {"task_title": "Imported", "task_description": "D", "task_reward": 0.25, "task_tags": "t"}
RISKY = {**FLAT, "task_title": "Risky", "task_reward": 60}
BAD = {**FLAT, "task_title": "Bad", "task_reward": -1}
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def small_requests(settings):
    """A request answers at once for at most 5 runs, and exports at most 3: the tests
    need not build thousands of runs to reach the background path."""
    settings.TASKADMIN_IMPORT_INLINE_RUNS = 5
    settings.TASKADMIN_EXPORT_INLINE_RUNS = 3


def jsonl(*documents):
    return "\n".join(json.dumps(document) for document in documents)


def many(count, title="Imported", **fields):
    return [{**FLAT, "task_title": f"{title} {n}", **fields} for n in range(count)]


def upload(client, content, name="runs.jsonl"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(reverse("tasks:run-import"), {"file": SimpleUploadedFile(name, data)})


def apply(client, token, mode="all", acknowledge=()):
    return client.post(
        reverse("tasks:run-import-apply"),
        {"token": token, "mode": mode, "acknowledge": list(acknowledge)},
    )


def job_of(response):
    """The job a response redirected to."""
    assert response.status_code == 302, response
    prefix = reverse("tasks:job-list")
    assert response["Location"].startswith(prefix)
    return Job.objects.get(pk=response["Location"][len(prefix) :].strip("/"))


def other_editor():
    from tests.conftest import _user

    return _user("other", "view_taskrun", "add_taskrun")


# -- Imports: small files at once, large ones in the background ----------------------------


def test_a_small_upload_is_previewed_at_once_without_a_job(editor_client):
    response = upload(editor_client, jsonl(*many(5)))
    assert response.status_code == 200
    assert "runs.jsonl: 5 new, 0 identical to saved runs (skipped), 0 invalid." in response.text
    assert not Job.objects.exists()


def test_a_large_upload_is_previewed_by_a_job_whose_page_shows_counts_and_first_rows(
    editor_client, editor, make_run
):
    make_run(
        task_title="Imported 0", task_description="D", task_reward=Decimal("0.25"), task_tags="t"
    )
    documents = [*many(30), *[{**BAD, "task_title": f"Bad {n}"} for n in range(25)], RISKY]
    response = upload(editor_client, jsonl(*documents))

    job = job_of(response)
    assert (job.kind, job.status, job.owner, job.error) == (
        "import_preview",
        "succeeded",
        editor,
        "",
    )
    assert ImportUpload.objects.get().token == job.summary["token"]
    page = editor_client.get(job.get_absolute_url())
    text = page.text
    assert "runs.jsonl: 30 new, 1 identical to saved runs (skipped), 25 invalid." in text
    counts = {kind["kind"]: (kind["count"], len(kind["rows"])) for kind in job.summary["kinds"]}
    assert counts == {
        "invalid": (25, 20),
        "warnings": (1, 1),
        "new": (29, 20),
        "identical": (1, 1),
    }
    assert "Invalid (not imported): 25" in text and "(the first 20 shown;" in text
    assert "runs.jsonl line 31: task_reward: The reward cannot be negative." in text
    assert "runs.jsonl line 51:" not in text  # the 21st invalid run: in the report only
    assert 'name="acknowledge" value="reward_above_confirm_threshold"' in text
    assert "Import only the 30 valid runs" in text
    assert not TaskRun.objects.filter(task_title__startswith="Imported 1").exists()


def test_the_full_report_downloads_as_json_lines_one_line_per_document(editor_client):
    documents = [*many(8), BAD]
    job = job_of(upload(editor_client, jsonl(*documents)))
    response = editor_client.get(reverse("tasks:job-download", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jsonl"
    assert response["Content-Disposition"] == 'attachment; filename="runs.jsonl-preview.jsonl"'
    assert response["Cache-Control"] == "private, no-store"
    lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert [line["source"] for line in lines] == [f"runs.jsonl line {n}" for n in range(1, 10)]
    assert lines[-1]["kind"] == "invalid"
    assert lines[-1]["errors"] == ["runs.jsonl line 9: task_reward: The reward cannot be negative."]


def packed(files):
    """A zip of `files` ({name: bytes}), compressed as far as it goes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("how", ["a zip", "several files"])
def test_an_upload_that_unpacks_to_more_than_a_request_reads_is_previewed_by_a_job(
    editor_client, settings, how
):
    # Few runs, but 200 KB of text in a few hundred bytes: a zip of 5 KB holding
    # 20 such documents of YAML took a request a minute to read.
    assert settings.TASKADMIN_IMPORT_INLINE_BYTES == 100_000
    files = {
        f"runs-{n}.jsonl": (jsonl(*many(2, title=f"File {n}")) + " " * 100_000).encode()
        for n in range(2)
    }
    if how == "a zip":
        assert len(packed(files)) < 1_000
        response = upload(editor_client, packed(files), name="runs.zip")
    else:
        uploads = [SimpleUploadedFile(name, data) for name, data in files.items()]
        response = editor_client.post(reverse("tasks:run-import"), {"file": uploads})
    job = job_of(response)
    assert (job.kind, job.status, job.summary["new"]) == ("import_preview", "succeeded", 4)
    assert jobs.parse_small("runs.zip", packed(files)) is None
    small = {name: data.rstrip() for name, data in files.items()}
    assert len(jobs.parse_small("runs.zip", packed(small)).documents) == 4


def test_a_large_file_that_cannot_be_read_fails_its_job_with_the_reason_and_is_not_kept(
    editor_client,
):
    response = upload(editor_client, b"\xff" * 200_000)
    job = job_of(response)
    assert job.status == "failed"
    assert job.error.startswith("runs.jsonl is not UTF-8 text (byte 0xff at position 0).")
    page = editor_client.get(job.get_absolute_url())
    assert job.error in page.text and 'id="job-error"' in page.text
    assert not ImportUpload.objects.exists()


def test_applying_a_large_upload_is_a_second_job_whose_page_says_what_was_imported(
    editor_client, editor
):
    preview = job_of(upload(editor_client, jsonl(*many(12))))
    response = apply(editor_client, preview.summary["token"])
    job = job_of(response)
    assert (job.kind, job.status, job.summary["imported"]) == ("import_apply", "succeeded", 12)
    assert TaskRun.objects.count() == 12
    assert set(TaskRun.objects.values_list("created_by", flat=True)) == {editor.pk}
    page = editor_client.get(job.get_absolute_url())
    assert "Imported 12 task runs from runs.jsonl; skipped 0 identical, 0 invalid." in page.text
    # The same upload posted again imports nothing more.
    again = apply(editor_client, preview.summary["token"])
    assert again["Location"] == reverse("tasks:run-import")
    assert TaskRun.objects.count() == 12


def test_a_large_apply_with_unread_warnings_is_refused_at_once_with_the_ticks_kept(
    editor_client,
):
    risky = many(6, task_reward=60, no_submission_patience=60)
    preview = job_of(upload(editor_client, jsonl(*risky)))
    codes = [code for code, _, _ in preview.summary["warnings"]]
    assert codes == ["reward_above_confirm_threshold", "patience_shorter_than_two_assignments"]

    response = apply(editor_client, preview.summary["token"], acknowledge=codes[:1])
    assert response.status_code == 200
    assert [str(m) for m in response.context["messages"]] == [importing.unread_message(codes[1:])]
    assert f'value="{codes[0]}" id="acknowledge-{codes[0]}" checked' in response.text
    assert Job.objects.filter(kind="import_apply").count() == 0

    job = job_of(apply(editor_client, preview.summary["token"], acknowledge=codes))
    assert job.status == "succeeded"
    assert TaskRun.objects.count() == 6
    assert TaskRun.objects.first().acknowledged_warnings == codes


def test_a_large_apply_of_all_with_invalid_runs_is_refused_as_importing_refuses_it(
    editor_client,
):
    preview = job_of(upload(editor_client, jsonl(*many(6), BAD)))
    response = apply(editor_client, preview.summary["token"], mode="all")
    assert [str(m) for m in response.context["messages"]] == [importing.invalid_message(1)]
    assert not TaskRun.objects.exists()
    job = job_of(apply(editor_client, preview.summary["token"], mode="valid"))
    assert job.summary["imported"] == 6 and job.summary["invalid"] == 1


def test_opening_a_waiting_large_upload_again_leads_to_its_preview_job(editor_client):
    preview = job_of(upload(editor_client, jsonl(*many(9))))
    again = editor_client.get(reverse("tasks:run-import"), {"token": preview.summary["token"]})
    assert again["Location"] == preview.get_absolute_url()
    assert Job.objects.count() == 1


# -- Progress, failure, a worker that stopped ----------------------------------------------


def test_parse_preview_and_apply_report_progress_as_they_go(editor):
    data = jsonl(*many(600)).encode()
    seen = []
    batch = importing.parse("runs.jsonl", data, progress=lambda *call: seen.append(call))
    assert seen == [(250, None), (500, None), (600, 600)]
    seen.clear()
    importing.preview(batch, progress=lambda *call: seen.append(call))
    assert seen == [(250, 600), (500, 600), (600, 600)]
    seen.clear()
    # Three steps a document: compared again, checked, saved.
    importing.apply(batch, by=editor, progress=lambda *call: seen.append(call))
    assert seen[:3] == [(250, 1800), (500, 1800), (600, 1800)]
    assert seen[-1] == (1800, 1800)


def run_a_quarter_through(owner, look):
    """Run an export job of `owner`'s that reports 500 of 2,000 runs written and
    then calls `look(job)`, while it runs; returns (the job, what `look` returned)."""
    job = Job.objects.create(owner=owner, kind="export", title="Export of 2,000 runs")
    seen = []

    def work(job, report):
        report.step("Writing the runs", 2000)
        report(500, 2000)
        seen.append(look(job))
        return {"runs": 2000}

    jobs.run(job.pk, work)
    return job, seen[0]


def test_the_job_page_shows_the_progress_reported_while_the_work_runs(editor_client, editor):
    job, shown = run_a_quarter_through(
        editor,
        lambda job: {
            "page": editor_client.get(job.get_absolute_url()).text,
            "partial": editor_client.get(reverse("tasks:job-progress", args=[job.pk])).text,
        },
    )
    assert "Writing the runs: 500 of 2000 (25%)" in shown["page"]
    assert 'aria-valuenow="25"' in shown["partial"] and 'data-width="25"' in shown["partial"]
    assert 'hx-trigger="every 1s"' in shown["partial"]
    # Once it has ended the progress is gone from the cache, and the row says so.
    job.refresh_from_db()
    assert (job.status, job.summary) == ("succeeded", {"runs": 2000})
    assert jobs.progress(job) is None


def test_a_running_job_with_no_progress_yet_shows_an_empty_bar(editor_client, editor):
    job = Job.objects.create(
        owner=editor, kind="export", title="E", status="running", started_at=timezone.now()
    )
    partial = editor_client.get(reverse("tasks:job-progress", args=[job.pk])).text
    assert "Starting" in partial
    assert 'aria-valuenow="0"' in partial  # a number, as ARIA asks, not ""


def test_a_poll_after_the_job_ended_asks_htmx_to_load_the_page_again(editor_client, editor):
    job = Job.objects.create(owner=editor, kind="export", title="E", status="succeeded")
    response = editor_client.get(
        reverse("tasks:job-progress", args=[job.pk]), headers={"HX-Request": "true"}
    )
    assert response["HX-Refresh"] == "true"


def test_the_running_page_loads_htmx_and_its_script_from_the_site_only(editor_client, editor):
    job = Job.objects.create(owner=editor, kind="export", title="E", status="running")
    job.started_at = timezone.now()
    job.save()
    text = editor_client.get(job.get_absolute_url()).text
    assert '<script src="/static/django_htmx/htmx-2.min.js" defer' in text
    assert '<script src="/static/tasks/jobs.js"></script>' in text
    assert "<script>" not in text and "style=" not in text
    assert '"includeIndicatorStyles": false' in text


def test_work_that_raises_fails_its_job_with_a_message_and_never_stays_running(editor):
    job = Job.objects.create(owner=editor, kind="export", title="E")

    def work(job, report):
        report(10, 100)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        jobs.run(job.pk, work)
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", jobs.FAILED)
    assert job.finished_at is not None and jobs.progress(job) is None


def test_a_failure_written_for_people_is_shown_as_it_is(editor):
    job = Job.objects.create(owner=editor, kind="export", title="E")

    def work(job, report):
        raise importing.ImportFailure("runs.jsonl is empty.")

    jobs.run(job.pk, work, expected=(importing.ImportFailure,))
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "runs.jsonl is empty.")


def test_a_failed_task_queued_through_django_tasks_leaves_its_job_failed(editor, monkeypatch):
    """The whole path: enqueue, the backend runs the task, the task's error fails the job."""
    from tasks import background

    def broken(job, report):
        raise ValueError("a bug")

    monkeypatch.setattr(background, "_export", broken)
    job = jobs.enqueue("export", owner=editor, title="E", params={})
    assert (job.status, job.error) == ("failed", jobs.FAILED)
    assert job.task_result_id


def test_a_job_whose_worker_died_is_shown_stopped_and_pruned_as_failed(editor_client, editor):
    job = Job.objects.create(owner=editor, kind="import_apply", title="I", status="running")
    Job.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(minutes=11))
    text = editor_client.get(job.get_absolute_url()).text
    assert "The worker doing this stopped: nothing was heard from it for 10 minutes" in text
    assert jobs.prune() == (0, 1)
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", jobs.STALLED.format(minutes=10))


def test_a_job_nobody_picked_up_says_no_worker_seems_to_run(editor_client, editor):
    job = Job.objects.create(owner=editor, kind="export", title="E")
    assert "Is a worker running" not in editor_client.get(job.get_absolute_url()).text
    Job.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(minutes=2))
    assert "Is a worker running" in editor_client.get(job.get_absolute_url()).text


def test_old_jobs_and_their_files_are_pruned_on_each_new_job_and_by_the_command(
    viewer_client, viewer, make_run
):
    for n in range(4):
        make_run(task_title=f"Run {n}")
    old = job_of(viewer_client.get(reverse("tasks:runs-export")))
    path = Path(old.result.path)
    assert path.exists()
    Job.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=8))

    new = job_of(viewer_client.get(reverse("tasks:runs-export")))
    assert list(Job.objects.all()) == [new]
    assert not path.exists() and not path.parent.exists()

    Job.objects.filter(pk=new.pk).update(created_at=timezone.now() - timedelta(days=8))
    out = io.StringIO()
    call_command("prune_jobs", stdout=out)
    assert out.getvalue() == "Deleted 1 old jobs; marked 0 stalled jobs failed.\n"
    assert not Job.objects.exists()


# -- Exports of many runs -------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "yaml", "overrides"])
def test_a_large_export_is_written_by_a_job_and_downloads_what_a_small_one_streams(
    viewer_client, make_run, settings, fmt
):
    for n in range(4):
        make_run(task_title=f"Run {n}", task_name=f"run-{n}")
    response = viewer_client.get(reverse("tasks:runs-export-as", args=[fmt]), {"sort": "title"})
    job = job_of(response)
    assert (job.kind, job.status, job.summary["runs"]) == ("export", "succeeded", 4)
    page = viewer_client.get(job.get_absolute_url()).text
    assert "4 runs exported." in page and reverse("tasks:job-download", args=[job.pk]) in page

    download = viewer_client.get(reverse("tasks:job-download", args=[job.pk]))
    content = b"".join(download.streaming_content)
    settings.TASKADMIN_EXPORT_INLINE_RUNS = 10
    inline = viewer_client.get(reverse("tasks:runs-export-as", args=[fmt]), {"sort": "title"})
    expected = b"".join(inline.streaming_content) if inline.streaming else inline.content
    assert download["Content-Type"] == inline["Content-Type"].split(";")[0]
    assert_same_export(fmt, content, expected)
    if fmt == "json":
        assert [doc["mephisto"]["task"]["task_title"] for doc in json.loads(content)] == [
            f"Run {n}" for n in range(4)
        ]


def assert_same_export(fmt, content, expected):
    """A job's export holds what the request streams: the same bytes for JSON, the
    same files for a zip (whose own bytes may differ)."""
    if fmt == "json":
        assert content == expected
    else:
        ours, theirs = zipfile.ZipFile(io.BytesIO(content)), zipfile.ZipFile(io.BytesIO(expected))
        assert ours.namelist() == theirs.namelist()
        assert [ours.read(n) for n in ours.namelist()] == [
            theirs.read(n) for n in theirs.namelist()
        ]


def test_a_head_request_for_a_large_export_queues_no_job(viewer_client, make_run):
    for n in range(4):
        make_run(task_title=f"Run {n}")
    for url in (reverse("tasks:runs-export"), reverse("tasks:runs-export-as", args=["yaml"])):
        assert viewer_client.head(url).status_code == 405
    assert not Job.objects.exists()


def test_the_admins_export_action_of_many_runs_leads_to_a_job(editor_client, make_run):
    runs = [make_run(task_title=f"Run {n}") for n in range(4)]
    response = editor_client.post(
        reverse("admin:tasks_taskrun_changelist"),
        {"action": "export_yaml", "_selected_action": [run.pk for run in runs]},
    )
    job = job_of(response)
    assert (job.status, job.params["fmt"], job.summary["runs"]) == ("succeeded", "yaml", 4)
    assert job.result_name.endswith("-yaml.zip")


def test_an_export_the_target_refuses_fails_its_job_with_the_reason(viewer_client, make_run):
    for n in range(4):
        make_run(task_title=f"Run {n}", aux_parameters={"seed": n})
    job = job_of(viewer_client.get(reverse("tasks:runs-export"), {"target": "1.5"}))
    assert job.status == "failed"
    assert job.error.startswith("Mephisto 1.5 has no aux_parameters: this run sets it")


# -- Who sees what ---------------------------------------------------------------------------


def test_only_the_owner_or_a_superuser_sees_a_job(client, editor, superuser, make_run):
    job = Job.objects.create(owner=editor, kind="export", title="Mine", status="succeeded")
    client.force_login(other_editor())
    for name in ("tasks:job-detail", "tasks:job-progress", "tasks:job-download"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404
    assert "Mine" not in client.get(reverse("tasks:job-list")).text
    client.force_login(superuser)
    assert client.get(job.get_absolute_url()).status_code == 200


def test_job_pages_need_a_login(client, editor):
    job = Job.objects.create(owner=editor, kind="export", title="E")
    for url in (
        reverse("tasks:job-list"),
        job.get_absolute_url(),
        reverse("tasks:job-progress", args=[job.pk]),
        reverse("tasks:job-download", args=[job.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_download_needs_the_view_permission_still(client, nobody):
    job = Job.objects.create(owner=nobody, kind="export", title="E", status="succeeded")
    client.force_login(nobody)
    assert client.get(reverse("tasks:job-download", args=[job.pk])).status_code == 403


def test_an_unknown_job_is_a_404(editor_client):
    assert editor_client.get(reverse("tasks:job-detail", args=[uuid.uuid4()])).status_code == 404
    assert editor_client.get("/jobs/not-a-uuid/").status_code == 404


def test_applying_in_the_background_is_csrf_protected(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    response = client.post(reverse("tasks:run-import-apply"), {"token": "x", "mode": "all"})
    assert response.status_code == 403
    assert not Job.objects.exists()


def test_the_list_shows_the_users_jobs_newest_first_and_the_navbar_links_it(editor_client, editor):
    for n in range(3):
        Job.objects.create(
            owner=editor,
            kind="export",
            title=f"Export {n}",
            created_at=timezone.now() - timedelta(minutes=10 - n),
        )
    page = editor_client.get(reverse("tasks:job-list"))
    assert [job.title for job in page.context["page"]] == ["Export 2", "Export 1", "Export 0"]
    assert f'href="{reverse("tasks:job-list")}">Background work</a>' in page.text


# -- Query counts -----------------------------------------------------------------------------


def test_the_admin_lists_everyones_jobs_read_only_to_those_allowed_to_view_them(
    client, editor, superuser
):
    job = jobs.enqueue(Job.Kind.EXPORT, owner=editor, title="Export of 3 runs", params={})
    change = reverse("admin:tasks_job_change", args=[job.pk])
    client.force_login(editor)  # staff, but not allowed to view jobs
    assert client.get(reverse("admin:tasks_job_changelist")).status_code == 403
    client.force_login(superuser)
    listing = client.get(reverse("admin:tasks_job_changelist"))
    assert listing.status_code == 200
    assert "Export of 3 runs" in listing.text and "Add job" not in listing.text
    page = client.get(change)
    assert page.status_code == 200 and 'name="title"' not in page.text  # nothing to edit
    assert client.post(change, {"title": "Renamed"}).status_code == 403
    assert client.post(reverse("admin:tasks_job_delete", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.title == "Export of 3 runs"


@pytest.mark.parametrize("count", [3, 30])
def test_the_job_pages_cost_a_fixed_number_of_queries(
    editor_client, editor, django_assert_num_queries, count
):
    for n in range(count):
        Job.objects.create(owner=editor, kind="export", title=f"Export {n}")
    job = Job.objects.first()
    # session, user, permissions (user's, groups'), + the count and one page
    with django_assert_num_queries(6):
        assert editor_client.get(reverse("tasks:job-list")).status_code == 200
    # session, user, permissions (user's, groups'), + the job
    with django_assert_num_queries(5):
        assert editor_client.get(job.get_absolute_url()).status_code == 200
    # session, user, the job: the poll every second stays cheap
    with django_assert_num_queries(3):
        assert editor_client.get(reverse("tasks:job-progress", args=[job.pk])).status_code == 200


# -- A real worker ------------------------------------------------------------------------------


def _run_worker_watching(client, job):
    """Run `manage.py db_worker --batch` until the queue is empty, polling the job's
    progress partial meanwhile; returns the step texts and percents seen."""
    url = reverse("tasks:job-progress", args=[job.pk])
    return run_worker_polling(lambda: client.get(url).text)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_does_an_import_larger_than_a_request_with_progress_on_the_way(
    client, database_tasks
):
    """Queued in the database, run by `manage.py db_worker` in another process: the
    preview and the import of 600 runs complete, and the job's page showed their
    progress while they ran."""
    from tests.conftest import _user

    client.force_login(_user("worker-test", "view_taskrun", "add_taskrun"))

    preview = job_of(upload(client, jsonl(*many(600))))
    assert preview.status == "queued"
    assert "Waiting for a worker" in client.get(preview.get_absolute_url()).text
    seen = _run_worker_watching(client, preview)
    preview.refresh_from_db()
    assert (preview.status, preview.summary["new"]) == ("succeeded", 600), preview.error
    assert any("Reading the file: 250 so far" in text or "of 600" in text for text in seen)

    job = job_of(apply(client, preview.summary["token"]))
    assert job.status == "queued"
    seen = _run_worker_watching(client, job)
    job.refresh_from_db()
    assert (job.status, job.summary["imported"]) == ("succeeded", 600), job.error
    assert TaskRun.objects.count() == 600
    percents = {
        int(text.split('aria-valuenow="')[1].split('"')[0])
        for text in seen
        if 'aria-valuenow="' in text
    }
    assert percents - {0, 100}, f"no progress between 0 and 100 was shown: {percents}"
