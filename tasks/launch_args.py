"""The arguments Mephisto's own blueprints, architects and providers declare.

Read from `tasks/data/mephisto-launch-arguments.json`: Mephisto 1.5.2's
ArgsClass dataclasses, field by field, as `mephisto.operations.hydra_config.
get_dict_from_field` gives them (the call that generates Mephisto's reference
pages). Django-free.
"""

import difflib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tasks import hydra

SOURCE = Path(__file__).with_name("data") / "mephisto-launch-arguments.json"
GROUPS = ("blueprint", "architect", "provider")
NOT_CHECKED = "not one Mephisto ships: its arguments are kept as written, not checked"
MISSING = "???"
# What each type of argument takes, in words, and the JSON values that are one.
KINDS = {
    "int": "a whole number",
    "bool": "true or false",
    "str": "text",
    "Optional": "text or null",
    "list": "a list",
    "Dict": "a mapping",
}


@dataclass(frozen=True)
class Argument:
    name: str
    type: str  # "str", "int", "bool", "list", "Dict", "Optional" (a str or null)
    default: object  # "???" (OmegaConf's MISSING) when there is none
    help: str
    required: bool

    @property
    def selector(self):
        """One of Mephisto's own keys (_blueprint_type, _group): set by the defaults list."""
        return self.name.startswith("_")

    @property
    def help_text(self):
        """Mephisto's help, then what applies when the argument is left out."""
        text = self.help.strip()
        if text and text[-1] not in ".?!":
            text += "."
        if self.required:
            after = "Required."
        elif self.default == MISSING:
            after = "No default: left empty, it is not set."
        else:
            after = f"Default: {show_value(self.default)}."
        return f"{text} {after}".strip()


@cache
def _reference():
    return json.loads(SOURCE.read_text())


def arguments(group, name):
    """{argument name: Argument} that `name` (a blueprint, architect or provider)
    declares, in Mephisto's order; None when Mephisto does not ship it."""
    declared = _reference()[group].get(name)
    if declared is None:
        return None
    return {
        entry["dest"]: Argument(
            entry["dest"],
            entry["type"],
            _default(entry),
            entry["help"] or "",
            entry["required"],
        )
        for entry in declared
    }


def _default(entry):
    default = entry["default"]
    # A field with a default_factory (heroku_config_args) reads as the repr of
    # dataclasses.MISSING in the reference: its factory makes an empty container.
    if isinstance(default, str) and default.startswith("<dataclasses._MISSING_TYPE"):
        return {} if entry["type"] == "Dict" else []
    return default


KNOWN = {group: tuple(_reference()[group]) for group in GROUPS}


def show_value(value):
    """A value as a config file writes it: text as it is, anything else as JSON."""
    if isinstance(value, str):
        return value if value else '"" (empty)'
    return json.dumps(value, ensure_ascii=False)


def _describe(value):
    if isinstance(value, bool):
        return f"{str(value).lower()} (true or false)"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text “{value[:40]}”"
    if value is None:
        return "null"
    return "a list" if isinstance(value, list) else "a mapping"


def is_of_type(kind, value):
    """True when `value` (a JSON value) is what Mephisto's `kind` of argument takes.

    OmegaConf's MISSING ("???") and an interpolation stand for any type: the
    first means "not set", the second is resolved by Mephisto at launch.
    """
    if isinstance(value, str) and (value == MISSING or hydra.has_interpolation(value)):
        return True
    if kind == "int":
        # bool is an int to Python, and OmegaConf refuses 1800.0 for an int.
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "str":
        return isinstance(value, str)
    if kind == "Optional":
        return value is None or isinstance(value, str)
    if kind == "list":
        return isinstance(value, list)
    if kind == "Dict":
        return isinstance(value, dict)
    return True


def problems(group, name, section, *, given=()):
    """[(key, message), ...]: why Mephisto would refuse `section` (the
    `mephisto.<group>` mapping as written) for the `name` it ships, in the
    section's order, then the required arguments left out. `given` names the
    arguments Taskadmin writes from fields of its own (blueprint_source).

    Nothing for a name Mephisto does not ship (ParlAI's acute_eval): its
    arguments are kept as written (see NOT_CHECKED), nor for no name at all.
    """
    declared = arguments(group, name) if name else None
    if declared is None or not isinstance(section, dict):
        return []
    found = []
    where = f"Mephisto's {name} {group}"
    for key, value in section.items():
        path = f"mephisto.{group}.{key}"
        argument = declared.get(key)
        if argument is None:
            close = difflib.get_close_matches(str(key), list(declared), n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            found.append(
                (
                    key,
                    f"{path}: {where} has no argument {key}; it would refuse the config"
                    f" at launch.{hint}",
                )
            )
        elif key == f"_{group}_type" and value != name:
            found.append(
                (
                    key,
                    f"{path}: says {show_value(value)}, but the {group} chosen is {name};"
                    f" leave it out (the defaults list sets it).",
                )
            )
        elif not is_of_type(argument.type, value):
            found.append(
                (
                    key,
                    f"{path}: {where} takes {KINDS[argument.type]} here, not"
                    f" {_describe(value)}; it would refuse the config at launch.",
                )
            )
    for argument in declared.values():
        if not argument.required or argument.name in given:
            continue
        if section.get(argument.name, MISSING) == MISSING:
            found.append(
                (
                    argument.name,
                    f"mephisto.{group}.{argument.name}: {where} requires {argument.name}"
                    f" ({argument.help.strip().rstrip('.')}).",
                )
            )
    return found


def not_checked(documents):
    """Notices for the import preview: each document (with `source` and `run`)
    whose blueprint, architect or provider Mephisto does not ship."""
    return [
        f"{document.source}: the {group} {name} is {NOT_CHECKED}."
        for document in documents
        if document.run is not None
        for group in GROUPS
        if (name := getattr(document.run, group, "")) and arguments(group, name) is None
    ]
