"""Background work: one tasks.models.Job per piece of work, its live progress in the cache.

- `enqueue(kind, owner=..., title=..., params=...)` records a queued Job and
  queues its task (tasks.background) on Django's Tasks framework;
- `run(job_id, work, expected=...)` is what each task does: mark the job
  running, call `work(job, report)`, then mark it succeeded with the summary
  `work` returns, or failed with a message for people (never left "running");
- `report(done, total)` (a Reporter) keeps the live progress in the cache,
  and `progress(job)` reads it back for the job's page;
- `save_result(job, filename, content_type, content)` writes a result file to
  the default storage (MEDIA_ROOT), chunk by chunk;
- `prune()` deletes old jobs with their files and marks as failed the running
  jobs whose worker died (no progress for TASKADMIN_JOB_STALE_MINUTES).

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

from tasks.models import Job

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
    job = Job.objects.create(owner=owner, kind=kind, title=title[:255], params=params or {})
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

    An exception of a class in `expected` fails the job with its message as it
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
    job.status, job.summary, job.finished_at = Job.Status.SUCCEEDED, summary, timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=job.status, summary=summary, finished_at=job.finished_at
    )
    cache.delete(_progress_key(job.pk))


def fail(job, message):
    """Mark `job` failed with `message` (for people); its result file, if any, goes."""
    if job.result:
        job.result.delete(save=False)
    job.status, job.error, job.finished_at = Job.Status.FAILED, message, timezone.now()
    Job.objects.filter(pk=job.pk).update(
        status=job.status, error=message, finished_at=job.finished_at, result="", summary={}
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
    from tasks import exporting

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
