"""A JSON Schema (draft 2020-12) of the task-run config, generated from the model.

Editors use it to check YAML/JSON configs outside the dashboard; the importer
uses `field_types` to refuse values of the wrong JSON type before the model's
validation runs.
"""

import functools

from django.core.validators import MaxLengthValidator, MinValueValidator, RegexValidator
from django.db import models

from tasks.models import TaskRun

DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Checked in this order: PositiveIntegerField is an IntegerField.
_TYPES = (
    (models.BooleanField, "boolean"),
    (models.IntegerField, "integer"),
    (models.DecimalField, "number"),
    (models.JSONField, "object"),
    ((models.CharField, models.TextField), "string"),
)


def _json_type(field):
    for classes, name in _TYPES:
        if isinstance(field, classes):
            return name
    raise TypeError(f"No JSON type for {field!r}")


@functools.cache
def field_types():
    """{config field: JSON type or [type, "null"]} in documented order.

    Worked out once (the import asks for every document it reads): the same
    dict every time, not to be changed.
    """
    return {name: _property(name)["type"] for name in TaskRun.CONFIG_FIELDS}


def _export_value(name, value):
    # The same conversions the exporter makes: a blank task name is null.
    if name == "task_name" and value == "":
        return None
    return value


def _property(name):
    field = TaskRun._meta.get_field(name)
    kind = _json_type(field)
    prop = {"type": kind, "description": str(field.help_text)}
    if name == "task_name":
        prop["type"] = ["string", "null"]
    if field.has_default():
        prop["default"] = _export_value(name, field.get_default())
    minimums = [v.limit_value for v in field._validators if isinstance(v, MinValueValidator)]
    if isinstance(field, models.PositiveIntegerField):
        minimums.append(0)
    if minimums:
        prop["minimum"] = max(minimums)
    if isinstance(field, models.CharField):
        prop["maxLength"] = field.max_length
    for validator in field._validators:
        if isinstance(validator, MaxLengthValidator):
            prop["maxLength"] = validator.limit_value
        if isinstance(validator, RegexValidator) and not validator.inverse_match:
            # Python's \Z is JSON Schema's $.
            prop["pattern"] = validator.regex.pattern.replace("\\Z", "$")
    if kind == "string" and field in _required_fields():
        prop["minLength"] = 1
    return prop


def _required_fields():
    return [
        TaskRun._meta.get_field(name)
        for name in TaskRun.CONFIG_FIELDS
        if not TaskRun._meta.get_field(name).has_default()
    ]


def task_schema():
    """The `mephisto.task` section: every documented field, no others."""
    return {
        "type": "object",
        "properties": {name: _property(name) for name in TaskRun.CONFIG_FIELDS},
        "required": [field.name for field in _required_fields()],
        "additionalProperties": False,
    }


def config_schema():
    """A whole config document, as Taskadmin exports it: {"mephisto": {"task": {...}}}."""
    return {
        "$schema": DIALECT,
        "title": "Mephisto task-run config",
        "description": (
            "The mephisto.task section of a Mephisto launch config, as documented on"
            " Mephisto's reference page. Other sections are not described here."
        ),
        "type": "object",
        "properties": {
            "mephisto": {
                "type": "object",
                "properties": {"task": {"$ref": "#/$defs/task"}},
                "required": ["task"],
            }
        },
        "required": ["mephisto"],
        "$defs": {"task": task_schema()},
    }
