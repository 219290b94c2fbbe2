"""The arguments Mephisto's own blueprints, architects and providers declare.

Read from `tasks/data/mephisto-launch-arguments.json`: Mephisto 1.5.2's
ArgsClass dataclasses, field by field, as `mephisto.operations.hydra_config.
get_dict_from_field` gives them (the call that generates Mephisto's reference
pages). Django-free.
"""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

SOURCE = Path(__file__).with_name("data") / "mephisto-launch-arguments.json"
GROUPS = ("blueprint", "architect", "provider")
NOT_CHECKED = "not one Mephisto ships: its arguments are kept as written, not checked"


@dataclass(frozen=True)
class Argument:
    name: str
    type: str  # "str", "int", "bool", "list", "Dict", "Optional" (a str or null)
    default: object  # "???" (OmegaConf's MISSING) when there is none
    help: str
    required: bool


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
            entry["default"],
            entry["help"] or "",
            entry["required"],
        )
        for entry in declared
    }


KNOWN = {group: tuple(_reference()[group]) for group in GROUPS}
