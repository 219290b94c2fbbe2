"""Importing files through the API: the dry run (the preview) and the apply, as JSON.

`import_files` is the whole operation on bytes already received, with no
request in it, so that a background job can run it for a big file and keep
its answer (the body below) as the job's result.
"""

from tasks import importing

DRY_RUN_DETAIL = "Nothing imported (dry run): this is what applying the same files would do."


def _report(batch):
    return {
        "name": batch.name,
        "counts": {
            "new": batch.count(importing.NEW),
            "identical": batch.count(importing.IDENTICAL),
            "invalid": batch.count(importing.INVALID),
        },
        "documents": [
            {
                "source": doc.source,
                "status": doc.status,
                "title": doc.title,
                "errors": list(doc.errors),
                "warnings": [
                    {"code": w.code, "field": w.field, "message": w.message} for w in doc.warnings
                ],
                "existing": doc.existing.pk
                if doc.existing is not None and doc.existing.pk
                else None,
            }
            for doc in batch.documents
        ],
        "warnings": [
            {"code": code, "message": message, "runs": count}
            for code, message, count in batch.warnings
        ],
        "notices": list(batch.notices),
    }


def import_files(files, *, by, dry_run=True, only_valid=False, acknowledged=()):
    """Read `files` ([(name, bytes)]) and preview them, or import them.

    Returns (HTTP status, body): 200 with the preview for a dry run; 201 with
    `created` (the new runs' ids) once applied; 400 with `detail` (and the
    preview) when the files cannot be read, or when applying is refused (invalid
    documents without `only_valid`, or warnings not in `acknowledged`), in which
    case nothing was imported.
    """
    try:
        name, data = files[0] if len(files) == 1 else importing.bundle(files)
        batch = importing.parse(name, data)
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
        "detail": (
            f"Imported {count} task run{'s' if count != 1 else ''} from {batch.name};"
            f" skipped {result.identical} identical, {result.invalid} invalid."
        ),
        "created": [run.pk for run in result.created],
        "identical": result.identical,
        "invalid": result.invalid,
    }
