"""How each config value reads on a page: derived from the model's field list."""

import json
from dataclasses import dataclass

from tasks import hydra, launch_args, money
from tasks.durations import humanize_seconds
from tasks.models import TaskRun


@dataclass(frozen=True)
class Item:
    name: str
    label: str
    text: str
    kind: str = "text"  # text, code, tags, json, muted, arguments
    detail: str = ""
    lines: tuple = ()  # for arguments: (name, value as written, detail) each


RESOLVED_AT_LAUNCH = "an interpolation: Mephisto resolves it at launch"


LEFT_TO_OTHER_FILES = "left to the files the defaults list names: not exported"


def _item(run, name):
    item = _item_for(name, getattr(run, name), run.provider)
    if name in (run.unset_fields or ()):
        return Item(item.name, item.label, item.text, "muted", LEFT_TO_OTHER_FILES)
    if name in (run.interpolated or ()) or (
        name in TaskRun.CONFIG_TEXT_FIELDS and hydra.has_interpolation(getattr(run, name))
    ):
        return Item(item.name, item.label, getattr(run, name), "code", RESOLVED_AT_LAUNCH)
    return item


def _item_for(name, value, provider=None):
    field = TaskRun._meta.get_field(name)
    label = field.verbose_name[:1].upper() + field.verbose_name[1:]
    if name in ("provider", "architect", "blueprint"):
        if not value:
            return Item(name, label, "choose at launch", "muted")
        if name == "blueprint" and value not in launch_args.KNOWN["blueprint"]:
            return Item(name, label, value, detail=launch_args.NOT_CHECKED)
        if name == "architect" and value not in launch_args.KNOWN["architect"]:
            return Item(name, label, value, detail=launch_args.NOT_CHECKED)
        return Item(name, label, dict(field.choices or ()).get(value, value))
    if name == "defaults":
        return Item(name, label, json.dumps(value, ensure_ascii=False), "code")
    if name in TaskRun.ARGUMENT_SECTIONS.values() and isinstance(value, dict) and value:
        lines = tuple(
            (
                str(key),
                launch_args.show_value(argument),
                RESOLVED_AT_LAUNCH if hydra.holds_interpolation(argument) else "",
            )
            for key, argument in value.items()
        )
        text = "\n".join(f"{key}: {shown}" for key, shown, _ in lines)
        return Item(name, label, text, "arguments", lines=lines)
    if name in (*TaskRun.SECTION_FIELDS, "top_level"):
        if not value:
            return Item(name, label, "none", "muted")
        return Item(name, label, json.dumps(value, indent=2, ensure_ascii=False), "json")
    if name in ("estimated_minutes", "planned_units"):
        if value is None:
            return Item(name, label, "not given", "muted")
        return Item(
            name,
            label,
            f"{value} minute{'s' if value != 1 else ''}"
            if name == "estimated_minutes"
            else str(value),
        )
    if name == "blueprint_source":
        return Item(name, label, value, "code") if value else Item(name, label, "none", "muted")
    if name in TaskRun.DURATION_FIELDS:
        return Item(name, label, humanize_seconds(value), detail=f"{value} s")
    if name in TaskRun.LIMIT_FIELDS:
        return Item(name, label, str(value)) if value else Item(name, label, "no limit", "muted")
    if name == "task_reward":
        return Item(name, label, f"{money.format_reward(value, provider)} per unit")
    if name == "task_tags":
        return Item(name, label, value, "tags")
    if name == "task_name":
        if value:
            return Item(name, label, value, "code")
        return Item(name, label, "none: defaults to the blueprint type", "muted")
    if name == "post_install_script":
        return Item(name, label, value, "code") if value else Item(name, label, "none", "muted")
    if name == "aux_parameters":
        return Item(name, label, json.dumps(value, indent=2, ensure_ascii=False), "json")
    if isinstance(value, bool):
        return Item(name, label, "yes" if value else "no")
    return Item(name, label, str(value))


def format_value(name, value, provider=None):
    """One value as plain text, the way a page shows it (rewards depend on the provider)."""
    item = _item_for(name, value, provider)
    return f"{item.text} ({item.detail})" if item.detail else item.text


def config_groups(run):
    """[(group legend, [Item, ...]), ...] in the form's order."""
    return [(legend, [_item(run, name) for name in names]) for legend, names in TaskRun.FORM_GROUPS]
