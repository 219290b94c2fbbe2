"""Two people saved the same run: what each changed, and how to put yours on top."""

from dataclasses import dataclass

from tasks.display import format_value
from tasks.history import config_of, label_of
from tasks.models import TaskRun


@dataclass(frozen=True)
class Row:
    name: str
    label: str
    original: str
    other: str
    yours: str
    changed_by_other: bool
    changed_by_you: bool

    @property
    def clash(self):
        """Both changed it, to different values: the user should look."""
        return self.changed_by_other and self.changed_by_you and self.other != self.yours


class Conflict:
    """The run as it was loaded (original), as it is now (current), and as posted (yours).

    `yours` holds the posted values of the fields that were valid; a field that
    failed validation counts as changed by you, since the loaded value was valid.
    """

    def __init__(self, *, run, loaded_version, yours, invalid=()):
        self.current = run
        self.loaded_version = loaded_version
        record = (
            run.history.filter(version=loaded_version).order_by("-history_id").first()
            if loaded_version is not None
            else None
        )
        self.original = config_of(record) if record is not None else None
        now = config_of(run)
        before = self.original if self.original is not None else now
        self.changed_by_other = [n for n in TaskRun.EDITABLE_FIELDS if now[n] != before[n]]
        self.changed_by_you = [
            n
            for n in TaskRun.EDITABLE_FIELDS
            if n in invalid or (n in yours and yours[n] != before[n])
        ]
        self.rows = [
            Row(
                name,
                label_of(name),
                format_value(name, before[name], before["provider"]),
                format_value(name, now[name], now["provider"]),
                format_value(name, yours[name], yours.get("provider"))
                if name in yours
                else "(not valid yet)",
                name in self.changed_by_other,
                name in self.changed_by_you,
            )
            for name in TaskRun.EDITABLE_FIELDS
            if name in self.changed_by_other or name in self.changed_by_you
        ]

    @property
    def clashes(self):
        return [row for row in self.rows if row.clash]
