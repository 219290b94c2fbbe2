"""Importing files through the API: the dry run (the preview) and the apply, as JSON.

An upload is judged as the Import page judges it (tasks.jobs.parse_small: the
same TASKADMIN_IMPORT_INLINE_* thresholds). A small one is previewed or
imported within the request (`import_batch`); a larger one waits in the stash
for a background job (`import_in_background`), and `job_result` gives that
job's outcome in the shape `import_batch` answers with, bounded to the first
rows of each kind (the whole report is the job's download).
"""

from tasks import import_report, importing, jobs, stash
from tasks.models import Job

DRY_RUN_DETAIL = "Nothing imported (dry run): this is what applying the same files would do."
# What a person whose uploads fill the stash can do about it through the API.
WAITING_ADVICE = (
    "Wait for your imports in the background to finish (GET /api/jobs/), or import or"
    " discard your uploads waiting on the Import page (/runs/import/)."
)


def document(row):
    """One document of a report (an import_report.row) as the API gives it: source,
    status (new, identical or invalid), title, errors (the field's messages, without
    the source), warnings (code, field name, message) and existing (the id of the
    saved run it matches, or None)."""
    prefix = f"{row['source']}: "  # importing.Document.messages puts it before each error
    return {
        "source": row["source"],
        "status": importing.NEW if row["kind"] == "warnings" else row["kind"],
        "title": row["title"],
        "errors": [error.removeprefix(prefix) for error in row["errors"]],
        "warnings": [
            # (A report written before field_name was kept has only the label.)
            {"code": w["code"], "field": w.get("field_name"), "message": w["message"]}
            for w in row["warnings"]
        ],
        "existing": row["same_as"],
    }


def _report(batch):
    return {
        "name": batch.name,
        "counts": {
            "new": batch.count(importing.NEW),
            "identical": batch.count(importing.IDENTICAL),
            "invalid": batch.count(importing.INVALID),
        },
        "documents": [document(import_report.row(doc)) for doc in batch.documents],
        "warnings": [
            {"code": code, "message": message, "runs": count}
            for code, message, count in batch.warnings
        ],
        "notices": list(batch.notices),
    }


def _bounded_report(summary):
    """_report's shape from a job's import_report.summary: the first rows of each
    kind (invalid, new with warnings, new, identical) as `documents`, how many
    more there are as `documents_more`, and likewise for the notices."""
    return {
        "name": summary["name"],
        "counts": {key: summary[key] for key in ("new", "identical", "invalid")},
        "documents": [document(row) for kind in summary["kinds"] for row in kind["rows"]],
        "documents_more": sum(kind["more"] for kind in summary["kinds"]),
        "warnings": [
            {"code": code, "message": message, "runs": count}
            for code, message, count in summary["warnings"]
        ],
        "notices": summary["notices"],
        "notices_more": summary["notices_more"],
    }


def read(files):
    """(name, data, batch) of the posted `files` ([(name, bytes)]): `batch` is the
    importing.Batch of a small upload, None for one a background job must read.
    Raises importing.ImportFailure (a file it cannot read, too large, too many)."""
    name, data = importing.as_one_upload(files)
    return name, data, jobs.parse_small(name, data)


def import_batch(batch, *, by, dry_run=True, only_valid=False, acknowledged=()):
    """Preview `batch` (read by `read`), or import it, within the request.

    Returns (HTTP status, body): 200 with the preview for a dry run; 201 with
    `created` (the new runs' ids) once applied; 400 with `detail` (and the
    preview) when applying is refused (invalid documents without `only_valid`,
    or warnings not in `acknowledged`), in which case nothing was imported.
    """
    try:
        if dry_run:
            importing.preview(batch)
            return 200, {"dry_run": True, "detail": DRY_RUN_DETAIL, **_report(batch)}
        result = importing.apply(batch, only_valid=only_valid, by=by, acknowledged=acknowledged)
    except importing.ImportFailure as error:
        return 400, {"code": "invalid", "detail": str(error)}
    except importing.ImportRefused as error:
        return 400, {
            "code": "import_refused",
            "dry_run": False,
            "detail": str(error),
            **_report(error.batch),
        }
    count = len(result.created)
    return 201, {
        "dry_run": False,
        "detail": importing.imported_message(batch.name, count, result.identical, result.invalid),
        "created": [run.pk for run in result.created],
        "identical": result.identical,
        "invalid": result.invalid,
    }


def import_in_background(name, data, *, by, dry_run=True, only_valid=False, acknowledged=()):
    """Keep `data` in the stash for `by` and queue its preview (a dry run) or its
    import, with the same rules as `import_batch`; returns the Job.

    The upload is single-use: the job discards it once it ends (to import after
    a dry run, post the file again). Raises stash.StashFull when `by` has too
    many uploads waiting already.
    """
    upload = stash.put(by, name, data, advice=WAITING_ADVICE)
    if dry_run:
        return jobs.enqueue_preview(by, upload, single_use=True)
    return jobs.enqueue_import(
        by, upload, only_valid=only_valid, acknowledged=acknowledged, single_use=True
    )


def job_result(job):
    """What an import job (preview or apply) found, in `import_batch`'s shape, or None.

    A preview that succeeded: as a dry run's 200, bounded (`_bounded_report`);
    an import that succeeded: as the 201, with `imported` (the count) and
    `created` holding the first import_report.PAGE_ROWS ids (`created_more`
    counts the rest); an import refused: as the 400 `import_refused`, bounded.
    Any other failure has only the job's `error`: None.
    """
    summary = job.summary
    if job.status == Job.Status.SUCCEEDED and job.kind == Job.Kind.IMPORT_PREVIEW:
        return {"dry_run": True, "detail": DRY_RUN_DETAIL, **_bounded_report(summary)}
    if job.status == Job.Status.SUCCEEDED and job.kind == Job.Kind.IMPORT_APPLY:
        first = [run["pk"] for run in summary["first"]]
        return {
            "dry_run": False,
            "detail": importing.imported_message(
                summary["name"], summary["imported"], summary["identical"], summary["invalid"]
            ),
            "imported": summary["imported"],
            "created": first,
            "created_more": summary["imported"] - len(first),
            "identical": summary["identical"],
            "invalid": summary["invalid"],
        }
    if job.status == Job.Status.FAILED and "kinds" in summary:  # jobs.Failure: refused
        return {
            "code": "import_refused",
            "dry_run": False,
            "detail": job.error,
            **_bounded_report(summary),
        }
    return None
