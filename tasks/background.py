"""The background tasks (Django's Tasks framework; `manage.py db_worker` runs them).

Each takes a tasks.models.Job's id and does its work through tasks.jobs.run,
which records the outcome on the Job; tasks.jobs.enqueue queues them. The work
itself is the same code the request path calls (importing, stash, exporting,
mephisto_sync).
"""

from django.conf import settings
from django.tasks import task

from tasks import exporting, import_report, importing, jobs, mephisto_sync, stash
from tasks.models import ImportUpload, Job, TaskRun

# Failures whose message is written for people; anything else is a server error.
IMPORT_FAILURES = (
    importing.ImportFailure,
    importing.ImportRefused,
    stash.UploadGone,
    stash.AlreadyApplied,
)


@task()
def import_preview(job_id):
    """Read an upload waiting in the stash (params: token, single_use) and preview it:
    the summary (tasks.import_report.summary) on the job, the whole report as its
    result file. A single-use upload (the API's) is discarded once read."""
    jobs.run(job_id, _preview, expected=IMPORT_FAILURES)


def _preview(job, report):
    upload = stash.get(job.owner, job.params["token"])
    single_use = job.params.get("single_use", False)
    report.step("Reading the file")
    try:
        batch = importing.parse(upload.name, bytes(upload.data), progress=report)
    except importing.ImportFailure:
        # As at once for a small file: one that cannot be read does not wait.
        stash.discard(upload)
        raise
    report.step("Comparing with saved runs", len(batch.documents))
    importing.preview(batch, progress=report)
    report.step("Writing the report", len(batch.documents))
    jobs.save_result(
        job,
        import_report.report_name(batch),
        "application/jsonl",
        import_report.report_lines(batch),
    )
    if single_use:
        stash.discard(upload)
    return import_report.summary(batch, token=None if single_use else upload.token)


@task()
def import_apply(job_id):
    """Import an upload (params: token, only_valid, acknowledged, single_use) in one
    transaction, as the import page's button does; the summary holds the counts and
    the first runs. A refused import fails the job, whose summary then holds what
    the preview would (tasks.import_report.summary). A single-use upload (the
    API's) is discarded once the job ends, imported or not."""
    jobs.run(job_id, _apply, expected=IMPORT_FAILURES)


def _apply(job, report):
    upload = stash.get(job.owner, job.params["token"])
    try:
        report.step("Reading the file")
        batch = importing.parse(upload.name, bytes(upload.data), progress=report)
        report.step("Checking, then saving the runs (all at once at the end)")
        result = stash.apply(
            upload,
            batch,
            by=job.owner,
            only_valid=job.params.get("only_valid", False),
            acknowledged=job.params.get("acknowledged", []),
            progress=report,
        )
    except importing.ImportRefused as error:
        # Nothing imported: the job keeps what the import found (counts, warning
        # codes, the first rows of each kind), as the preview's summary has it.
        raise jobs.Failure(str(error), import_report.summary(error.batch, token=None)) from None
    finally:
        if job.params.get("single_use", False):
            stash.discard(upload)
    return {
        "name": upload.name,
        "imported": len(result.created),
        "identical": result.identical,
        "invalid": result.invalid,
        "first": [
            {"pk": run.pk, "title": run.task_title}
            for run in result.created[: import_report.PAGE_ROWS]
        ],
    }


@task()
def export(job_id):
    """Export runs (params: pks in order, fmt, target) into the job's result file."""
    jobs.run(job_id, _export, expected=(exporting.ExportError,))


def _export(job, report):
    pks, fmt, target = job.params["pks"], job.params["fmt"], job.params["target"]
    report.step("Writing the runs", len(pks))
    filename, content_type, content = exporting.stream_runs(
        exporting.RowsInOrder(TaskRun.objects.all(), pks), fmt, target, progress=report
    )
    jobs.save_result(job, filename, content_type, content)
    return {"runs": len(pks), "format": fmt, "target": target}


# How many of each list a sync's summary keeps for its page; the rest are counted.
SYNC_ROWS = 20


@task()
def mephisto_sync_job(job_id):
    """Sync from Mephisto's database: an upload waiting in the stash (params: source
    "upload", token) or the server's MEPHISTO_DATABASE (params: source "server"; the
    path is read from the settings here, never from the job). The summary holds
    the counts, the first runs linked and imported, and why runs were skipped."""
    jobs.run(job_id, _mephisto_sync, expected=(mephisto_sync.SyncFailure, stash.UploadGone))


def _mephisto_sync(job, report):
    progress = SyncProgress(report)
    if job.params.get("source") == "server":
        if not settings.MEPHISTO_DATABASE:
            raise mephisto_sync.SyncFailure("MEPHISTO_DATABASE is not set on the worker.")
        snapshot = mephisto_sync.read_path(settings.MEPHISTO_DATABASE, progress=progress)
        outcome = mephisto_sync.apply(snapshot, by=job.owner, progress=progress)
        return sync_summary(snapshot, outcome)
    upload = stash.get(job.owner, job.params["token"], ImportUpload.Purpose.SYNC)
    try:
        snapshot = mephisto_sync.read_bytes(upload.name, bytes(upload.data), progress=progress)
        outcome = mephisto_sync.apply(snapshot, by=job.owner, progress=progress)
    finally:
        # Read once, whatever came of it: a failed sync changed nothing, and is
        # tried again by uploading the file again.
        stash.discard(upload)
    return sync_summary(snapshot, outcome)


class SyncProgress:
    """mephisto_sync's `progress(stage, done, total)` told to a jobs.Reporter: a new
    stage starts a new step, named by mephisto_sync.STAGES."""

    def __init__(self, report):
        self.report, self.stage = report, None

    def __call__(self, stage, done, total):
        if stage != self.stage:
            self.stage = stage
            self.report.step(mephisto_sync.STAGES.get(stage, stage), total)
        self.report(done, total)


def sync_summary(snapshot, outcome):
    """What the job page shows of a sync: JSON, runs by pk and title."""
    return {
        "name": snapshot.name,
        "line": outcome.summary(),
        "task_runs": len(snapshot.runs),
        "units": snapshot.unit_count,
        "linked": len(outcome.linked),
        "imported": len(outcome.imported),
        "unchanged": outcome.unchanged,
        "updated": outcome.updated,
        "skipped": len(outcome.skipped),
        "first_linked": [
            {"pk": run.pk, "title": run.task_title, "mephisto": task_run_id}
            for run, task_run_id in outcome.linked[:SYNC_ROWS]
        ],
        "first_imported": [
            {"pk": run.pk, "title": run.task_title, "mephisto": run.mephisto_task_run_id}
            for run in outcome.imported[:SYNC_ROWS]
        ],
        "first_skipped": outcome.skipped[:SYNC_ROWS],
    }


TASK_OF_KIND = {
    Job.Kind.IMPORT_PREVIEW: import_preview,
    Job.Kind.IMPORT_APPLY: import_apply,
    Job.Kind.EXPORT: export,
    Job.Kind.MEPHISTO_SYNC: mephisto_sync_job,
}
