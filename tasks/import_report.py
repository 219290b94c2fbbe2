"""What an import preview found, as plain data: a summary for the page, a report for download.

An upload of 100,000 runs cannot be shown whole, so the page shows counts and
the first rows of each kind, and the whole report downloads as JSON Lines:

- `summary(batch, token=..., rows=20)` -> a JSON-ready dict (kept on the preview's
  tasks.models.Job, or rendered at once for a small file) with the counts, the
  notices, the warning kinds to tick, and the first `rows` rows of each kind
  (all of them when `rows` is None);
- `report_lines(batch)` -> one JSON line per document, in file order.

Kinds are disjoint: a new run with warnings is "warnings", not "new".
"""

import json

from tasks import importing

KINDS = (
    ("invalid", "Invalid (not imported)"),
    ("warnings", "New, with warnings to read"),
    ("new", "New"),
    ("identical", "Identical to saved runs (skipped)"),
)
PAGE_ROWS = 20
MAX_NOTICES = 20


def kind_of(document):
    if document.status == importing.NEW and document.warnings:
        return "warnings"
    return document.status


def row(document):
    """One document as the page and the report show it (JSON-ready): source, kind,
    title, same_as (the saved run it matches), errors (each message prefixed with
    the source), warnings (code, field: its label, field_name, message)."""
    return {
        "source": document.source,
        "kind": kind_of(document),
        "title": document.title,
        "same_as": document.existing.pk if document.existing is not None else None,
        "errors": document.messages,
        "warnings": [
            {"code": w.code, "field": w.field_label, "field_name": w.field, "message": w.message}
            for w in document.warnings
        ],
    }


def summary(batch, *, token, rows=PAGE_ROWS):
    """The preview's counts, notices, warning kinds and first rows of each kind.

    `batch` has been through importing.preview. Returns a dict of JSON types:
    name, token, new (warned ones included), identical, invalid, notices
    (at most MAX_NOTICES) and notices_more, warnings ([code, message, count]),
    kinds ([{kind, label, count, rows, more}]: only the kinds present).
    """
    found = {kind: [] for kind, _ in KINDS}
    counts = dict.fromkeys(found, 0)
    for document in batch.documents:
        kind = kind_of(document)
        counts[kind] += 1
        if rows is None or len(found[kind]) < rows:
            found[kind].append(row(document))
    return {
        "name": batch.name,
        "token": token,
        "new": counts["new"] + counts["warnings"],
        "identical": counts["identical"],
        "invalid": counts["invalid"],
        "notices": batch.notices[:MAX_NOTICES],
        "notices_more": max(0, len(batch.notices) - MAX_NOTICES),
        "warnings": [list(warning) for warning in batch.warnings],
        "kinds": [
            {
                "kind": kind,
                "label": label,
                "count": counts[kind],
                "rows": found[kind],
                "more": counts[kind] - len(found[kind]),
            }
            for kind, label in KINDS
            if counts[kind]
        ],
    }


def report_lines(batch):
    """Text chunks of the whole report: one JSON object per document, one per line."""
    for document in batch.documents:
        yield json.dumps(row(document), ensure_ascii=False) + "\n"


def report_name(batch):
    return f"{batch.name}-preview.jsonl"


def refusal(summary, *, only_valid, acknowledged):
    """The message importing.apply would refuse the previewed upload with (invalid
    runs and not `only_valid`, or warning codes not in `acknowledged`), or None.

    Judged from the preview's `summary`, so a large upload is refused at once
    instead of after a background job has read it again.
    """
    invalid = summary["invalid"]
    if invalid and not only_valid:
        return importing.invalid_message(invalid)
    unread = [code for code, _, _ in summary["warnings"] if code not in set(acknowledged)]
    if unread:
        return importing.unread_message(unread)
    return None
