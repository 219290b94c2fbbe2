"""A run's recorded versions: what changed between two of them, and going back to one.

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


def config_of(record):
    return {name: getattr(record, name) for name in TaskRun.EDITABLE_FIELDS}


@dataclass(frozen=True)
class FieldChange:
    name: str
    label: str
    before: str
    after: str
    lines: list = field(default_factory=list)  # (tag, text) for long text: "+", "-" or " "


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
        lines = []
        if name in LINE_DIFF_FIELDS:
            lines = [
                (line[0], line[2:])
                for line in difflib.ndiff(str(old).splitlines(), str(new).splitlines())
                if line[0] in "+- "
            ]
        changes.append(
            FieldChange(
                name,
                label_of(name),
                format_value(name, old, before.get("provider")),
                format_value(name, new, after.get("provider")),
                lines,
            )
        )
    return changes


@dataclass(frozen=True)
class Version:
    record: object
    number: int
    changed: list  # labels of the config fields this version changed
    previous_id: int | None  # history id of the version before, for "Changes"


def versions(run):
    """The run's versions, newest first, each with the fields it changed."""
    records = list(run.history.select_related("history_user").order_by("history_id"))
    result, previous, previous_config = [], None, None
    for record in records:
        config = config_of(record)
        if previous is None:
            changed, previous_id = [], None
        else:
            changed = [label_of(name) for name in changed_fields(previous_config, config)]
            previous_id = previous.history_id
        result.append(Version(record, record.version, changed, previous_id))
        previous, previous_config = record, config
    return result[::-1]
