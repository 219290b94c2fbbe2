"""Compose a config from the other files its defaults list names, as Hydra does.

A Mephisto config often starts with a defaults list naming another file of its
folder (`- base`): Hydra loads that file too and merges both. `compose` does the
same with the files of one upload, in memory; it never opens a path.

Hydra's rules, from hydra-core 1.3 (`hydra/core/default_element.py`,
`hydra/_internal/defaults_list.py`, `hydra/plugins/config_source.py`):

- A string entry names a config by path: relative to the folder of the config
  that names it (`- base`, `- conf/base`), or to the config root when it starts
  with "/". `.yaml` is added unless the name ends with it. Here the config root
  is the primary file's folder, as when Hydra is given that folder
  (`initialize_config_dir`) and the file's name: the way the tests' reference
  composes. A path leading out of the root (`../x`) is refused.
- `_self_` (the config's own values) stands where the list puts it, at the end
  when the list leaves it out. Entries are merged in that order, depth first,
  as OmegaConf.merge merges them: later values win, mappings merge, lists are
  replaced, and `???` (missing) does not replace a value. (Written out here:
  OmegaConf takes about 40 seconds to merge 100,000 values, the import's limit.)
- A config's values land in its package: `entry@X` (relative to the parent's
  package), else the file's `# @package X` header (absolute; `_global_` is the
  root), else the entry's own folder, under the parent's (`- conf/base` → `conf`).
- Config-group entries (`- /mephisto/blueprint: parlai_chat`) are choices the
  run keeps; Mephisto's own groups hold the dataclass defaults, not in an upload.
  An `override` entry takes the place of the earlier entry for its group.

Why not Hydra's own compose: it needs Mephisto's config store for those groups,
files on disk, and keeps global state (GlobalHydra) that two requests at once
would share. The tests compare this module with Hydra's compose.

Django-free.
"""

import posixpath
import re
from dataclasses import dataclass, field

from tasks.defaults_list import SELF, group_of

MAX_INCLUDES = 50  # configs merged into one run, the primary included
MAX_LEVELS = 10  # a file naming a file naming a file ...
MAX_VALUES = 100_000  # in all the pieces merged into one run
MISSING = "???"
_HEADER = re.compile(r"\s*#\s*@")


class ComposeError(ValueError):
    """The config cannot be composed; the message names the files."""


@dataclass
class Config:
    """One YAML file of the upload: where it is, its package header, its value."""

    path: str  # inside the upload, "/"-separated: "conf/base.yaml"
    source: str  # how messages name it: "configs.zip/conf/base.yaml"
    value: dict
    package: str | None = None  # the `# @package` header


@dataclass
class Composed:
    value: dict  # the composed config, its defaults list holding the choices
    used: list = field(default_factory=list)  # [(Config, entry as written, by Config)]


def package_header(text):
    """The `# @package X` header of a config file's text, as Hydra reads it, or None."""
    found = None
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if not _HEADER.match(line):
            break
        words = line.lstrip("#").strip().split()
        if len(words) == 2 and words[0] == "@package":
            found = words[1]
    return found


def names_files(value):
    """True when `value` (a config) has a defaults list naming another config."""
    defaults = value.get("defaults") if isinstance(value, dict) else None
    return isinstance(defaults, list) and any(
        isinstance(entry, str) and entry != SELF for entry in defaults
    )


def resolve(entry, folder):
    """(path of the config a string entry names, its explicit package or None), for an
    entry in a config of `folder` (the root is ""). Raises ComposeError for a path
    that leads out of the root."""
    path, _, package = entry.partition("@")
    path = path.strip()
    if path.startswith("/"):
        joined = path.lstrip("/")
    else:
        joined = posixpath.join(folder, path) if folder else path
    normal = posixpath.normpath(joined) if joined else ""
    if not path or normal in (".", "") or normal == ".." or normal.startswith("../"):
        raise ComposeError(f"{entry} leads out of the config's folder")
    if not normal.endswith(".yaml"):
        normal += ".yaml"
    return normal, (package or None)


def _in_package(value, package):
    for part in reversed([part for part in package.split(".") if part]):
        value = {part: value}
    return value


def _final_package(parent, package):
    """Hydra's DefaultElement._get_final_package: a `_global_` resets to the root."""
    whole = package if not parent else (parent if not package else f"{parent}.{package}")
    at = whole.rfind("_global_")
    return whole if at == -1 else whole[at + len("_global_") + 1 :]


def compose(primary, configs, *, max_values=MAX_VALUES):
    """The Composed config of `primary` (a Config) with the configs its defaults list
    names, found in `configs` ({path: Config}). An entry naming no file of the upload
    stays in the defaults list, as written. Raises ComposeError (a cycle, a path out
    of the folder, too many files, values OmegaConf cannot merge)."""
    pieces = []  # the values to merge, in order
    defaults = []  # group choices and entries naming files not in the upload
    composed = Composed({})
    root = posixpath.dirname(primary.path)

    def relative(path):
        return path[len(root) + 1 :] if root else path

    def expand(config, package, chain):
        value = config.value
        entries = value.get("defaults", [])
        entries = list(entries) if isinstance(entries, list) else []
        if SELF not in entries:
            entries.append(SELF)
        folder = posixpath.dirname(relative(config.path))
        for entry in entries:
            if entry == SELF:
                own = {key: item for key, item in value.items() if key != "defaults"}
                pieces.append(_in_package(own, package))
                defaults[:] = [item for item in defaults if item != SELF] + [SELF]
                continue
            if not isinstance(entry, str):
                _choose(defaults, entry)
                continue
            try:
                path, explicit = resolve(entry, folder)
            except ComposeError:
                whose = "" if config is primary else f" of {config.path}"
                raise ComposeError(
                    f"defaults: the entry {entry}{whose} leads out of the folder of"
                    f" {primary.path}; refused: only files of the upload, in that folder or"
                    " below, are read."
                ) from None
            path = posixpath.join(root, path) if root else path
            found = configs.get(path)
            if found is None:
                defaults.append(entry)  # kept as written: Taskadmin cannot see it
                continue
            if path in chain:
                circle = " → ".join(configs[item].path for item in (*chain, path))
                raise ComposeError(
                    f"defaults: the defaults lists go round in a circle ({circle});"
                    " Hydra would never finish composing it. Remove one of the entries."
                )
            if len(chain) >= MAX_LEVELS:
                raise ComposeError(
                    f"defaults: the defaults lists name files more than {MAX_LEVELS} levels deep."
                )
            if len(composed.used) + 1 >= MAX_INCLUDES:
                raise ComposeError(
                    f"defaults: the defaults lists name more than {MAX_INCLUDES} files."
                )
            composed.used.append((found, entry, config))
            if explicit is not None:
                child = _final_package(package, explicit)
            elif found.package is not None:
                child = _final_package("", found.package)
            else:
                own_folder = posixpath.dirname(entry.partition("@")[0].strip().lstrip("/"))
                child = _final_package(package, own_folder.replace("/", "."))
            expand(found, child, (*chain, path))

    expand(primary, "", (primary.path,))
    if sum(_count(piece) for piece in pieces) > max_values:
        raise ComposeError(
            f"defaults: with the files its defaults list names, it holds more than"
            f" {max_values} values."
        )
    value = {}
    for piece in pieces:
        value = merge(value, piece)
    composed.value = {"defaults": defaults, **value}
    return composed


def merge(into, value):
    """A new mapping: `into` with `value` merged in, as OmegaConf.merge does for
    untyped configs. Neither argument is changed."""
    result = dict(into)
    for key, item in value.items():
        old = result.get(key)
        if isinstance(item, str) and item == MISSING and key in result:
            continue
        if isinstance(item, dict):
            result[key] = merge(old if isinstance(old, dict) else {}, item)
        else:
            result[key] = item
    return result


def _count(value):
    count, pending = 0, [value]
    while pending:
        item = pending.pop()
        count += 1
        if isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return count


def _choose(defaults, entry):
    """Add a config-group entry; one for a group already chosen takes its place,
    as Hydra's `override` does."""
    group = group_of(entry)
    if group is not None:
        for index, item in enumerate(defaults):
            if group_of(item) == group:
                key = next(iter(item))
                defaults[index] = {key: next(iter(entry.values()))}
                return
    defaults.append(entry)
