"""Writes through the API: a JSON body checked by the run form, saved by tasks.services.

The API checks exactly what the browser's form checks, by filling that form
(tasks.forms.TaskRunForm, each launch-argument section as one JSON value, as
in the admin) with the body's values as a browser would post them; the save
itself is tasks.services', as for every other path. What is refused comes back
as `Refused(status, body)`, the body a JSON object with `code` and `detail`:

- 400 `invalid`: `errors` maps each field (or `non_field_errors`) to messages;
- 400 `unread_warnings`: `warnings` lists each unread warning's code, field and
  message; sending the codes back as `acknowledge` saves;
- 409 `conflict`: the run was saved since `version`; `changed_by_others` names
  the fields that changed meanwhile (`changed_by_you`, `clashes` beside them);
- 400 `read_only`: the run was launched, its config is read-only;
- 428 `version_required`: an update names no version to check against.
"""

import json

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models

from tasks import querystrings, services
from tasks.conflicts import Conflict
from tasks.forms import TaskRunForm
from tasks.models import EditConflict, TaskRun
from tasks.validators import KINDS, UNSTORABLE_TEXT, wrong_type_message

NON_FIELD = "non_field_errors"
CONTROL_FIELDS = ("version", "acknowledge")
READ_ONLY = "This run was launched, so its config is read-only: clone it to change it."


class Refused(Exception):
    """The write was not made; `status` and `body` are the API's answer."""

    def __init__(self, status, body):
        self.status = status
        self.body = body
        super().__init__(body.get("detail", ""))


class ApiRunForm(TaskRunForm):
    """The run form as the API fills it: each launch-argument section one JSON value."""

    argument_inputs = False


def json_kind(name):
    """The JSON type of a config field's value, from the model: string, integer,
    number, boolean, object or array."""
    field = TaskRun._meta.get_field(name)
    if isinstance(field, models.BooleanField):
        return "boolean"
    if isinstance(field, models.IntegerField):
        return "integer"
    if isinstance(field, models.DecimalField):
        return "number"
    if isinstance(field, models.JSONField):
        return "array" if isinstance(field.get_default(), list) else "object"
    return "string"


FIELD_KINDS = {name: json_kind(name) for name in TaskRun.EDITABLE_FIELDS}
# May be null: the nullable fields, and the task name (exported as null when blank).
NULLABLE = {name for name in TaskRun.EDITABLE_FIELDS if TaskRun._meta.get_field(name).null} | {
    "task_name"
}


def _type_problem(name, value):
    kind = FIELD_KINDS[name]
    if value is None:
        return None if name in NULLABLE else "This field may not be null."
    ok = {
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        # A reward may also come as text ("0.50"), as DRF clients send decimals.
        "number": isinstance(value, int | float | str) and not isinstance(value, bool),
        "string": isinstance(value, str),
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
    }[kind]
    if ok:
        return None
    if kind == "object":
        return f"Must be a JSON object, not {_shown(value)}."
    if kind == "array":
        return f"Must be a JSON array, not {_shown(value)}."
    return wrong_type_message(kind, value) if kind in KINDS else None


def _shown(value):
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 40 else text[:39] + "…"


def read_body(data, *, fields=TaskRun.EDITABLE_FIELDS, control=CONTROL_FIELDS):
    """Split a request body into (values, version, acknowledged codes).

    `data` is the parsed JSON; it must be an object whose keys are among
    `fields` and `control`, each value of its field's JSON type. Raises Refused.
    """
    if not isinstance(data, dict):
        raise Refused(
            400,
            {"code": "invalid", "detail": "The body must be a JSON object of the run's fields."},
        )
    errors = {}
    for key, value in data.items():
        if key in control:
            continue
        if key not in fields:
            errors[key if not UNSTORABLE_TEXT.search(key) else repr(key)] = [
                "Unknown field." + (" It is read-only." if key in _READ_ONLY_FIELDS else "")
            ]
            continue
        problem = _type_problem(key, value)
        if problem:
            errors[key] = [problem]
    version = data.get("version")
    if (
        "version" in control
        and version is not None
        and (
            not isinstance(version, int)
            or isinstance(version, bool)
            or not 1 <= version <= querystrings.INTEGER_MAX
        )
    ):
        errors["version"] = ["Must be the run's version, a whole number from 1."]
    acknowledged = data.get("acknowledge", [])
    if "acknowledge" in control and (
        not isinstance(acknowledged, list) or not all(isinstance(c, str) for c in acknowledged)
    ):
        errors["acknowledge"] = ["Must be a list of warning codes."]
    if errors:
        raise Refused(400, {"code": "invalid", "detail": _invalid_detail(errors), "errors": errors})
    values = {key: value for key, value in data.items() if key not in control}
    return values, version, list(acknowledged) if isinstance(acknowledged, list) else []


_READ_ONLY_FIELDS = {
    "id",
    "status",
    "launched_at",
    "mephisto_task_run_id",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "cloned_from",
    "acknowledged_warnings",
}


def _invalid_detail(errors):
    count = len(errors)
    return f"Not saved: {count} field{'s' if count != 1 else ''} to correct."


def _as_posted(name, value):
    """`value` (a JSON value of field `name`) as the browser posts that field's input."""
    if FIELD_KINDS[name] == "boolean":
        return "on" if value else None
    if FIELD_KINDS[name] in ("object", "array"):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    return str(value)


def fill_form(instance, values, *, base, version=None, acknowledged=()):
    """The run form for `instance`, posted as `base`'s config with `values` on top.

    `base` is the run whose values stand for the fields the body leaves out (the
    run itself for an update, a new run's defaults for a create).
    """
    data = TaskRunForm.post_data_for(base, {})
    for name, value in values.items():
        posted = _as_posted(name, value)
        if posted is None:
            data.pop(name, None)
        else:
            data[name] = posted
    data["version"] = "" if version is None else str(version)
    data["acknowledge"] = list(acknowledged)
    return ApiRunForm(data, instance=instance)


def save(form, write, *, acknowledged=(), loaded_version=None):
    """Check `form`, then call `write(acknowledged=...)` (a tasks.services call).

    Returns the saved run; raises Refused with the form's or the service's
    verdict, in the order the form shows them.
    """
    if not form.is_valid():
        if form.conflict is not None:
            raise Refused(409, conflict_body(form.conflict))
        errors = {
            (NON_FIELD if name == NON_FIELD_ERRORS else name): list(messages)
            for name, messages in form.errors.items()
            if name not in CONTROL_FIELDS
        }
        # A code that names no warning is a mistake of its own, not an unread warning.
        unknown_codes = [
            message
            for error in form.errors.as_data().get("acknowledge", [])
            if error.code != "unread_warning"
            for message in error.messages
        ]
        if unknown_codes:
            errors["acknowledge"] = unknown_codes
        if errors:
            raise Refused(
                400,
                {
                    "code": "invalid",
                    "detail": _invalid_detail(errors),
                    "errors": errors,
                    "warnings": [_warning(w) for w in form.warnings],
                },
            )
        read = set(acknowledged)
        raise Refused(400, warnings_body([w for w in form.warnings if w.code not in read]))
    try:
        return write(acknowledged=acknowledged)
    except services.UnreadWarnings as error:
        raise Refused(400, warnings_body(error.warnings)) from None
    except ValidationError as error:
        raise Refused(400, validation_body(error)) from None
    except EditConflict:
        # Saved by someone else between the form's check and the save.
        current = TaskRun.objects.get(pk=form.instance.pk)
        yours = {name: getattr(form.instance, name) for name in TaskRun.EDITABLE_FIELDS}
        raise Refused(
            409,
            conflict_body(Conflict(run=current, loaded_version=loaded_version, yours=yours)),
        ) from None


def _warning(finding):
    return {"code": finding.code, "field": finding.field, "message": finding.message}


def warnings_body(warnings):
    return {
        "code": "unread_warnings",
        "detail": (
            'Not saved: read these warnings, then send their codes as "acknowledge" to save anyway.'
        ),
        "warnings": [_warning(w) for w in warnings],
    }


def validation_body(error):
    """A ValidationError from the model or a service, as the API says it."""
    if hasattr(error, "error_dict"):
        errors = {
            (NON_FIELD if name == NON_FIELD_ERRORS else name): ValidationError(errs).messages
            for name, errs in error.error_dict.items()
        }
        if list(errors) == [NON_FIELD]:
            return {"code": "invalid", "detail": " ".join(errors[NON_FIELD])}
        return {"code": "invalid", "detail": _invalid_detail(errors), "errors": errors}
    return {"code": "invalid", "detail": " ".join(error.messages)}


def conflict_body(conflict):
    current = conflict.current
    return {
        "code": "conflict",
        "detail": (
            f"Not saved: someone else saved this run since version {conflict.loaded_version}"
            f" (it is at version {current.version} now). Fields changed meanwhile:"
            f" {', '.join(conflict.changed_by_other) or 'none of its config'}."
            " Fetch it again, apply your change and send the new version."
        ),
        "current_version": current.version,
        "changed_by_others": list(conflict.changed_by_other),
        "changed_by_you": list(conflict.changed_by_you),
        "clashes": [row.name for row in conflict.clashes],
    }


def refuse_if_launched(run):
    if run.was_launched:
        raise Refused(400, {"code": "read_only", "detail": READ_ONLY})
