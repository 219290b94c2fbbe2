"""A run's recorded versions and what changed between two of them.

Going back to one is a change like any other: tasks.services.run_revert.

django-simple-history writes a full row of the run on every save, whatever the
path; this module reads those rows. The config of a version is the config
fields of its row.
"""

import difflib
from dataclasses import dataclass, field

from tasks.display import format_value
from tasks.models import TaskRun

# Long text is compared line by line; everything else as a whole value.
LINE_DIFF_FIELDS = ("task_description",)
# Beyond these, two texts are shown as "changed" with each version to download:
# a line diff costs time with every line of both, and a page of thousands of
# lines helps nobody read the change.
LINE_DIFF_MAX_LINES = 2_000
LINE_DIFF_MAX_CHARS = 200_000
# The fields whose value a version offers as a download (text of any length).
TEXT_FIELDS = tuple(
    name
    for name in TaskRun.EDITABLE_FIELDS
    if TaskRun._meta.get_field(name).get_internal_type() in ("CharField", "TextField")
)


def config_of(record):
    return {name: getattr(record, name) for name in TaskRun.EDITABLE_FIELDS}


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    before: str
    after: str
    lines: list = field(default_factory=list)  # (tag, text) for long text: "+", "-" or " "
    too_long: bool = False  # long text too long to compare line by line


def label_of(name):
    verbose = TaskRun._meta.get_field(name).verbose_name
    return verbose[:1].upper() + verbose[1:]


def changed_fields(before, after):
    """Names of the config fields whose values differ, in documented order."""
    return [name for name in TaskRun.EDITABLE_FIELDS if before.get(name) != after.get(name)]


def compare(before, after):
    """FieldChange for each config field that differs between two configs (dicts)."""
    changes = []
    for name in changed_fields(before, after):
        old, new = before.get(name), after.get(name)
        lines, too_long = [], False
        if name in LINE_DIFF_FIELDS:
            lines = line_diff(str(old), str(new))
            too_long = lines is None
        changes.append(
            FieldChange(
                name,
                label_of(name),
                format_value(name, old, before.get("provider")),
                format_value(name, new, after.get("provider")),
                lines or [],
                too_long,
            )
        )
    return changes


def line_diff(old, new):
    """(tag, line) of each line: " " kept, "-" removed, "+" added; None when too long.

    SequenceMatcher's matching of whole lines (popular lines treated as junk)
    rather than ndiff, which also compares every changed line with every other
    character by character: minutes for a few hundred changed lines.
    """
    if len(old) + len(new) > LINE_DIFF_MAX_CHARS:
        return None
    before, after = old.splitlines(), new.splitlines()
    if len(before) + len(after) > LINE_DIFF_MAX_LINES:
        return None
    lines = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, before, after).get_opcodes():
        if tag == "equal":
            lines += [(" ", line) for line in before[i1:i2]]
        else:
            lines += [("-", line) for line in before[i1:i2]]
            lines += [("+", line) for line in after[j1:j2]]
    return lines


@dataclass(frozen=True)
class Version:
    record: object
    number: int
    changed: list  # labels of the config fields this version changed
    previous_id: int | None  # history id of the version before, for "Changes"


# Versions on each page of a run's history (the History page, the admin's and
# the API's): few enough that a run with 10,000 versions costs what one with
# ten does (bench/run.py, "History").
PAGE_SIZE = 10


def versions(run, count, *, before=None):
    """Up to `count` of the run's versions, newest first, and the id of the next older page.

    Starts from the newest version, or from the newest older than history id
    `before`. Returns (versions, older): `older` is the history id to pass as
    `before` for the versions older than these, or None when the oldest is
    among them. Reads `count` + 1 rows through the (run, history id) index
    (migration 0013) whatever the number of versions: the extra row is the
    version before the oldest shown, what that one changed is measured against.
    """
    records = run.history.select_related("history_user").order_by("-history_id")
    if before is not None:
        records = records.filter(history_id__lt=before)
    records = list(records[: count + 1])
    shown = records[:count]
    result = []
    for record, previous in zip(shown, records[1:] + [None], strict=False):
        if previous is None:
            changed, previous_id = [], None
        else:
            changed = [
                label_of(name) for name in changed_fields(config_of(previous), config_of(record))
            ]
            previous_id = previous.history_id
        result.append(Version(record, record.version, changed, previous_id))
    older = shown[-1].history_id if len(records) > count else None
    return result, older
