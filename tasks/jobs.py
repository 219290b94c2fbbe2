"""Background work: one tasks.models.Job per piece of work, its live progress in the cache.

- `enqueue(kind, owner=..., title=..., params=...)` records a queued Job and
  queues its task (tasks.background) on Django's Tasks framework;
- `run(job_id, work, expected=...)` is what each task does: mark the job
  running, call `work(job, report)`, then mark it succeeded with the summary
  `work` returns, or failed with a message for people (never left "running");
- `report(done, total)` (a Reporter) keeps the live progress in the cache,
  and `progress(job)` reads it back for the job's page;
- `save_result(job, filename, content_type, content)` writes a result file to
  the default storage (MEDIA_ROOT), chunk by chunk; `open_result(job)` reads it;
- `find(user, pk)` is the job if `user` may see it (every page and API call
  that shows one asks it);
- `prune()` deletes old jobs with their files and marks as failed the running
  jobs whose worker died (no progress for TASKADMIN_JOB_STALE_MINUTES);
- `enqueue_export`, `parse_small`, `enqueue_preview` and `enqueue_import` are
  where the dashboard, the admin and the API decide what a request does at once
  and what goes to a job (TASKADMIN_EXPORT_INLINE_RUNS, TASKADMIN_IMPORT_INLINE_*).

Progress goes through the cache, not the database: an import holds SQLite's
write lock for its whole transaction, so the worker could not write a progress
row until it ends. The Job row holds the final state.
"""

import contextlib
import logging
import os
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from tasks import exporting, importing
from tasks.models import Job
from tasks.validators import storable

logger = logging.getLogger(__name__)

# Seen queued this long, a job says that no worker seems to be running.
UNCLAIMED_SECONDS = 60
FAILED = (
    "Something went wrong on the server while doing this; nothing was changed. Try again,"
    " and if it fails again tell the site's administrator (the error is in the server's log)."
)
STOPPED = (
    "The worker was stopped while doing this; nothing was changed by it. Start the work again."
)
STALLED = (
    "The worker doing this stopped (no progress for {minutes} minutes): it was probably"
    " restarted. Nothing was changed by it; start the work again."
)
NO_FILE = "This job has no file to download."
FILE_GONE = "The file is gone; start the work again."


class Failure(Exception):
    """Work refused for a reason written for people, with what it found (a JSON
    dict) kept as the failed job's summary: an import refused for unread
    warnings keeps its counts and warning codes."""

    def __init__(self, message, summary):
        super().__init__(message)
        self.summary = summary


class NoResult(Exception):
    """The job has no file to download (NO_FILE), or its file is gone (FILE_GONE)."""


def _progress_key(job_id):
    return f"taskadmin:job-progress:{job_id}"


def enqueue(kind, *, owner, title, params=None):
    """Record a queued Job of `kind` (Job.Kind) for `owner` and queue its task.

    Old jobs are pruned first. `params` (JSON) is the task's input; the task
    itself gets only the job's id. Returns the Job as it stands after queueing
    (with an immediate backend, already done).
    """
    from tasks import background  # the tasks import this module

    prune()
    job = Job.objects.create(
        owner=owner, kind=kind, title=storable(title)[:255], params=storable(params or {})
    )
    result = background.TASK_OF_KIND[kind].enqueue(str(job.pk))
    Job.objects.filter(pk=job.pk).update(task_result_id=str(result.id))
    job.refresh_from_db()
    return job


@dataclass
class Progress:
    done: int
    total: int | None
    step: str
    at: float  # time.time() of the last report

    @property
    def percent(self):
        """0-100, or None when the total is not known yet."""
        if not self.total:
            return None
        return max(0, min(100, round(100 * self.done / self.total)))


class Reporter:
    """The progress callback handed to the work: `report(done, total)`.

    `report.step("Reading the file")` names what is being done and starts its
    count again. Each call writes the cache; callers report every few hundred
    items, so that is a few writes a second at most.
    """

    def __init__(self, job):
        self.job_id = job.pk
        self.text = ""
        self.timeout = settings.TASKADMIN_JOB_STALE_MINUTES * 60 * 6

    def step(self, text, total=None):
        self.text = text
        self(0, total)

    def __call__(self, done, total):
        cache.set(
            _progress_key(self.job_id),
            {"done": done, "total": total, "step": self.text, "at": time.time()},
            self.timeout,
        )


def progress(job):
    """The running job's last reported Progress, or None (none yet, or it ended)."""
    found = cache.get(_progress_key(job.pk))
    return Progress(**found) if found else None


def is_stalled(job, last=None):
    """True when `job` is running but nothing was heard from it for the stale time."""
    if job.status != Job.Status.RUNNING:
        return False
    heard = last.at if last else job.started_at.timestamp()
    return time.time() - heard > settings.TASKADMIN_JOB_STALE_MINUTES * 60


def is_unclaimed(job):
    """True when `job` has waited in the queue long enough to suspect no worker runs."""
    return (
        job.status == Job.Status.QUEUED
        and (timezone.now() - job.created_at).total_seconds() > UNCLAIMED_SECONDS
    )


def run(job_id, work, *, expected=()):
    """Do the job `job_id`: `work(job, report)` returns its summary (a JSON dict).

    A jobs.Failure fails the job with its message and keeps its summary. An
    exception of a class in `expected` fails the job with its message as it
    is (written for people: "runs.jsonl is not UTF-8 …"); any other fails it
    with a general message, is logged, and is raised again for the task
    backend to record; a worker stopping mid-work (SystemExit, KeyboardInterrupt)
    fails it too. A job that is not queued (done already, pruned) is
    skipped: returns None. Returns the job otherwise.
    """
    started = Job.objects.filter(pk=job_id, status=Job.Status.QUEUED).update(
        status=Job.Status.RUNNING, started_at=timezone.now()
    )
    if not started:
        return None
    job = Job.objects.select_related("owner").get(pk=job_id)
    report = Reporter(job)
    report.step("Starting")
    try:
        summary = work(job, report)
    except Failure as error:
        fail(job, str(error), error.summary)
    except expected as error:
        fail(job, str(error))
    except Exception:
        logger.exception("Background job %s (%s) failed", job.pk, job.kind)
        fail(job, FAILED)
        raise
    except BaseException:
        # The worker told to stop at once (a second Ctrl-C or SIGTERM): the work's
        # transaction is rolled back as the exception leaves it.
        fail(job, STOPPED)
        raise
    else:
        finish(job, summary)
    return job


def finish(job, summary):
    summary = storable(summary)
    job.status, job.summary, job.finished_at = Job.Status.SUCCEEDED, summary, timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=job.status, summary=summary, finished_at=job.finished_at
    )
    cache.delete(_progress_key(job.pk))


def fail(job, message, summary=None):
    """Mark `job` failed with `message` (for people) and `summary` (what it found,
    if anything: a JSON dict); its result file, if any, goes."""
    if job.result:
        job.result.delete(save=False)
    message = storable(message)
    job.status, job.error, job.finished_at = Job.Status.FAILED, message, timezone.now()
    job.summary = storable(summary or {})
    Job.objects.filter(pk=job.pk).update(
        status=job.status,
        error=message,
        finished_at=job.finished_at,
        result="",
        summary=job.summary,
    )
    cache.delete(_progress_key(job.pk))


def save_result(job, filename, content_type, content):
    """Write `content` (bytes, text, or an iterable of text or bytes chunks) as the
    job's result file, downloaded as `filename`.

    Chunks go through a temporary file (in memory up to 8 MB, then on disk), so a
    long export never sits whole in memory, then into the default storage.
    """
    if isinstance(content, (str, bytes)):
        content = [content]
    with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
        for chunk in content:
            spool.write(chunk.encode() if isinstance(chunk, str) else chunk)
        spool.seek(0)
        job.result.save(os.path.basename(filename) or "result", File(spool), save=False)
    job.result_name, job.result_type = filename, content_type
    Job.objects.filter(pk=job.pk).update(
        result=job.result.name, result_name=filename, result_type=content_type
    )


def open_result(job):
    """The job's result file, open for reading in binary. Raises NoResult when the
    job has none (not succeeded, or work that writes no file) or it is gone."""
    if job.status != Job.Status.SUCCEEDED or not job.result:
        raise NoResult(NO_FILE)
    try:
        return job.result.open("rb")
    except FileNotFoundError:
        raise NoResult(FILE_GONE) from None


def find(user, pk):
    """The Job `pk` (a UUID, or text that may be one) if `user` may see it: its
    owner, or a superuser; else None, for a job that is someone else's exactly as
    for one that does not exist, so ids do not leak. Its params are not loaded."""
    try:
        pk = uuid.UUID(str(pk))
    except ValueError:
        return None
    job = Job.objects.defer("params").filter(pk=pk).first()
    if job is None or (job.owner_id != user.pk and not user.is_superuser):
        return None
    return job


def prune():
    """Delete jobs started more than TASKADMIN_JOB_KEEP_DAYS ago, with their files,
    and mark failed the running jobs whose worker stopped reporting.

    Returns (jobs deleted, jobs marked as stalled).
    """
    now = timezone.now()
    old = Job.objects.filter(created_at__lt=now - timedelta(days=settings.TASKADMIN_JOB_KEEP_DAYS))
    gone = list(old.values_list("pk", "result", "task_result_id"))
    for pk, result, _ in gone:
        _delete_files(pk, result)
    old.filter(pk__in=[pk for pk, _, _ in gone]).delete()
    _forget_task_results([task_id for _, _, task_id in gone if task_id])
    stale = now - timedelta(minutes=settings.TASKADMIN_JOB_STALE_MINUTES)
    stalled = 0
    for job in Job.objects.filter(status=Job.Status.RUNNING, started_at__lt=stale):
        if is_stalled(job, progress(job)):
            fail(job, STALLED.format(minutes=settings.TASKADMIN_JOB_STALE_MINUTES))
            stalled += 1
    return len(gone), stalled


def _delete_files(pk, result):
    if result:
        default_storage.delete(result)
    # The job's own folder, empty now (FileSystemStorage; others have no folders).
    with contextlib.suppress(NotImplementedError, OSError):
        os.rmdir(default_storage.path(f"jobs/{pk}"))


def _forget_task_results(ids):
    """The task backend's own rows for these tasks (django-tasks-db), if it keeps any."""
    from django.apps import apps

    if ids and apps.is_installed("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.filter(id__in=[i for i in ids if _is_uuid(i)]).delete()


def _is_uuid(text):
    # Its ids are UUIDs; another backend's (the tests' immediate one) are not.
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def enqueue_export(owner, runs, fmt, target):
    """Queue the export of `runs` (a queryset, in export order) when it holds more
    than TASKADMIN_EXPORT_INLINE_RUNS runs; returns the Job, or None for an export
    small enough to stream in the request.

    The ids are read now, so the file holds the runs listed when it was asked
    for, in that order (a run deleted meanwhile is left out).
    """
    most = settings.TASKADMIN_EXPORT_INLINE_RUNS
    ids = runs.values_list("pk", flat=True)
    if len(ids[: most + 1]) <= most:
        return None
    pks = list(ids)
    return enqueue(
        Job.Kind.EXPORT,
        owner=owner,
        title=f"Export of {len(pks):,} runs as {exporting.FORMAT_LABELS[fmt]} (for {target})",
        params={"pks": pks, "fmt": fmt, "target": target},
    )


class _TooBigForARequest(Exception):
    pass


def parse_small(name, data):
    """The importing.Batch of a small upload (at most TASKADMIN_IMPORT_INLINE_BYTES,
    a zip's files unpacked, and TASKADMIN_IMPORT_INLINE_RUNS runs), read at once by
    the request; None for a larger one, which a background job reads
    (enqueue_preview, enqueue_import).

    Raises importing.ImportFailure as importing.parse does, and at once for an
    upload over the import's limit (importing.max_bytes()).
    """
    most = settings.TASKADMIN_IMPORT_INLINE_RUNS
    if len(data) > importing.max_bytes():
        # Refused at once, as it always was, rather than kept for a job to refuse.
        raise importing.ImportFailure(importing.size_error(name, len(data)))
    # Unpacked: a zip (or files sent together) of a few KB can hold a hundred MB.
    inline = settings.TASKADMIN_IMPORT_INLINE_BYTES
    if len(data) > inline or importing.unpacked_size(data) > inline:
        return None

    def budget(done, total):
        # Stop reading as soon as the file turns out to be large.
        if done > most:
            raise _TooBigForARequest

    try:
        batch = importing.parse(name, data, progress=budget)
    except _TooBigForARequest:
        return None
    return batch if len(batch.documents) <= most else None


def preview_of(owner, token):
    """The preview Job of the upload `token`, if one was queued; params not loaded."""
    return (
        Job.objects.filter(owner=owner, kind=Job.Kind.IMPORT_PREVIEW, params__token=token)
        .defer("params")
        .first()
    )


def enqueue_preview(owner, upload, *, single_use=False):
    """The background preview of a large upload (a tasks.models.ImportUpload): the
    one already made or under way, else a new one.

    A `single_use` upload (the API's: it has no apply button to come back to) is
    discarded once previewed, and its summary carries no token.
    """
    found = preview_of(owner, upload.token)
    if found is not None and found.status != Job.Status.FAILED:
        return found
    return enqueue(
        Job.Kind.IMPORT_PREVIEW,
        owner=owner,
        title=f"Preview of {upload.name}",
        params={"token": upload.token, "single_use": single_use},
    )


def enqueue_import(owner, upload, *, only_valid, acknowledged, preview=None, single_use=False):
    """Queue the import of a large upload (all or nothing, as importing.apply does);
    returns the Job. `preview` is its preview Job, if any; a `single_use` upload is
    discarded once the job ends, imported or refused."""
    return enqueue(
        Job.Kind.IMPORT_APPLY,
        owner=owner,
        title=f"Import of {upload.name}",
        params={
            "token": upload.token,
            "only_valid": only_valid,
            "acknowledged": list(acknowledged),
            "preview": str(preview.pk) if preview else None,
            "single_use": single_use,
        },
    )
