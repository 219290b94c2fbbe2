"""Reusable checks for task-run fields. Each message says what to do instead."""

import json
import math
import re
import sys
from decimal import Decimal
from pathlib import PurePosixPath

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator

from tasks.hydra import too_long_to_print
from tasks.tags import split_tags
from tasks.verdicts import verdict

# A config group option's name, as Hydra finds it among the config files.
validate_choice_name = RegexValidator(
    r"^[A-Za-z0-9_][A-Za-z0-9_.-]*\Z",
    message="Use the name Mephisto registers it under: letters, digits, '_', '-' and '.'.",
    code="invalid_choice_name",
)


# PostgreSQL's integer column stops here (SQLite's goes further): refuse what a
# laptop could save but the lab's server could not.
fits_an_integer_column = MaxValueValidator(2_147_483_647, message="Use at most 2,147,483,647 here.")


def validate_not_blank(value):
    if value is not None and not str(value).strip():
        raise ValidationError("This field cannot be only spaces.", code="only_spaces")


def validate_tags(value):
    if not split_tags(value):
        raise ValidationError(
            "Give at least one tag; separate several with commas.", code="no_tags"
        )


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def validate_script_path(value):
    """A shell script inside the webapp directory: a relative path, no '..'."""
    if not value:
        return
    if value.startswith("/") or value.startswith("~"):
        raise ValidationError(
            "Give the script's path relative to the webapp directory, without a leading '/'.",
            code="absolute_path",
        )
    if "\\" in value or _CONTROL.search(value):
        raise ValidationError(
            "Use '/' between folders; backslashes and control characters are not allowed.",
            code="bad_path_character",
        )
    if ".." in PurePosixPath(value).parts:
        raise ValidationError(
            "The script must be inside the webapp directory: no '..' in its path.",
            code="parent_path",
        )
    if value.endswith("/"):
        raise ValidationError("Name a script file, not a folder.", code="folder_path")


def validate_blueprint_path(value):
    """A file the blueprint reads: any path, but one line and no control characters."""
    if value and _CONTROL.search(value):
        raise ValidationError(
            "Give one path, without line breaks or control characters.", code="bad_path_character"
        )


# How deeply aux_parameters may nest (`{}` is one level, `{"a": []}` two). The one
# limit for every path: the form and admin through this validator, the import
# through its shape check, which allows this many levels inside a document.
MAX_NESTING = 50


def validate_json_object(value):
    if not isinstance(value, dict):
        raise ValidationError(
            'Must be a JSON object such as {"key": "value"}, not %(kind)s.',
            code="not_an_object",
            params={"kind": _kind(value)},
        )
    # PostgreSQL refuses these when saving and SQLite's JSON check does too;
    # say so here rather than fail at the database.
    # Within an import's batch, an object seen before is not walked again.
    problem = verdict("json", None, value, _json_problem)
    if problem:
        raise ValidationError(problem, code="unstorable_json")


# What a config value must be, said the same way by the model and the import.
KINDS = {
    "integer": "a whole number such as 1800",
    "number": "a number such as 0.5",
    "boolean": "true or false",
    "string": "text",
}


def wrong_type_message(kind, value):
    """ "Must be a whole number such as 1800, not 1.5." for a value not of `kind`."""
    shown = json.dumps(value, ensure_ascii=False, default=str)
    if len(shown) > 40:
        shown = shown[:39] + "…"
    return f"Must be {KINDS[kind]}, not {shown}."


def is_of_kind(kind, value):
    """Whether `value` is a config value of `kind` as Python holds it (a reward as a
    Decimal or an int; never a bool for a number)."""
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind == "integer":
        return isinstance(value, int)
    if kind == "number":
        return isinstance(value, int | Decimal)
    return isinstance(value, str)


UNSTORABLE_TEXT = re.compile(r"[\x00\ud800-\udfff]")
UNSTORABLE_TEXT_MESSAGE = (
    "Text cannot contain the NUL character (\\u0000) or an unpaired"
    " surrogate escape (\\ud800 to \\udfff)."
)


def validate_storable_text(value):
    """Text any database stores as it is: no NUL, no unpaired surrogates."""
    if isinstance(value, str) and UNSTORABLE_TEXT.search(value):
        raise ValidationError(UNSTORABLE_TEXT_MESSAGE, code="bad_text")


def storable(value):
    """`value` (text, or JSON made of text) as every database stores it: a NUL
    (PostgreSQL refuses it in text and in JSON) and an unpaired surrogate written
    as their escapes, "\\x00" and "\\ud800".

    For text that quotes what a user sent (an uploaded file's name, a key of the
    file, a Mephisto run's id): it must still be stored, and shown as sent.
    """
    if isinstance(value, str):
        if value.isascii() and "\x00" not in value:
            return value
        return value.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode()
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable(item) for item in value]
    return value


def text_problem(value):
    """Why a text value cannot be stored or launched, or None.

    PostgreSQL refuses NUL and unpaired surrogates; OmegaConf reads the whole
    value "???" as "missing", so Mephisto would stop at launch.
    """
    if not isinstance(value, str):
        return None
    if UNSTORABLE_TEXT.search(value):
        return UNSTORABLE_TEXT_MESSAGE
    if value.strip() == "???":
        return "“???” means “missing” to Mephisto's config: write what you mean."
    return None


def _json_problem(value):
    """What in a parsed JSON value no database can store as JSON, or None.

    Walks the value without recursion: it may be nested as deep as the parser allows.
    """
    if not value and type(value) in (dict, list):
        return None  # most runs' objects are empty: nothing to walk
    pending = [(value, 1)]
    while pending:
        item, level = pending.pop()
        if isinstance(item, dict | list) and level > MAX_NESTING:
            return f"Nest at most {MAX_NESTING} levels of objects and lists."
        if isinstance(item, dict):
            for key in item:
                if not isinstance(key, str):
                    # YAML reads `1:` or `null:` as a number or null; JSON and
                    # Mephisto's config want text (and exports sort the keys).
                    return f"Keys must be text: put {_shown(key)} in quotes."
            pending.extend((key, level) for key in item)
            pending.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            pending.extend((child, level + 1) for child in item)
        elif isinstance(item, int) and too_long_to_print(item):
            return f"Numbers must have at most {sys.get_int_max_str_digits():,} digits."
        elif isinstance(item, float) and not math.isfinite(item):
            return "Numbers must be finite: NaN, Infinity and values beyond 1e308 are not JSON."
        elif isinstance(item, str) and UNSTORABLE_TEXT.search(item):
            return UNSTORABLE_TEXT_MESSAGE
        elif item is not None and not isinstance(item, str | int | float):
            # YAML also reads dates, timestamps and binary: not JSON.
            shown = _shown(item)
            return f"Values must be text, numbers, true/false or null: put {shown} in quotes."
    return None


def _shown(value):
    """A YAML scalar as it was most likely written."""
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, bytes):
        return "the !!binary value"
    return str(value)


def validate_defaults_list(value):
    """Hydra's defaults list: a list of names ("_self_", "base") and one-key
    mappings of a config group to its option ({"/mephisto/provider": "mock"})."""
    if not isinstance(value, list):
        raise ValidationError(
            'Must be a JSON list such as ["_self_"], not %(kind)s.',
            code="not_a_list",
            params={"kind": _kind(value)},
        )
    for entry in value:
        if isinstance(entry, str) and entry.strip():
            continue
        if (
            isinstance(entry, dict)
            and len(entry) == 1
            and all(isinstance(key, str) and key.strip() for key in entry)
            and all(isinstance(v, str | type(None)) for v in entry.values())
        ):
            continue
        raise ValidationError(
            'Each entry is a config name ("base", "_self_") or one group and its'
            ' option ({"/mephisto/provider": "mock"}); %(entry)s is neither.',
            code="bad_defaults_entry",
            params={"entry": json.dumps(entry, ensure_ascii=False, default=str)[:60]},
        )
    # Within an import's batch, an object seen before is not walked again.
    problem = verdict("json", None, value, _json_problem)
    if problem:
        raise ValidationError(problem, code="unstorable_json")


# Stored in their own fields: the sections' catch-alls must not hold them too.
_MEPHISTO_OWN = ("task", "blueprint", "architect", "provider")


def validate_mephisto_extra(value):
    taken = [key for key in _MEPHISTO_OWN if isinstance(value, dict) and key in value]
    if taken:
        raise ValidationError(
            "mephisto.%(key)s has a place of its own in the form; leave it out here.",
            code="section_elsewhere",
            params={"key": taken[0]},
        )


def validate_top_level(value):
    taken = [key for key in ("mephisto", "defaults") if isinstance(value, dict) and key in value]
    if taken:
        raise ValidationError(
            "%(key)s has a place of its own in the form; leave it out here.",
            code="section_elsewhere",
            params={"key": taken[0]},
        )


def _kind(value):
    return {
        list: "a list",
        dict: "an object",
        str: "a string",
        bool: "true or false",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)
