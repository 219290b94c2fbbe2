"""Task runs out as the configs Mephisto launches from.

Pure functions with a tiny contract: `export_run(run, fmt, target)` and
`export_runs(runs, fmt, target)` return (filename, content_type, content). Views,
admin actions and management commands only call them. The same runs always give
the same bytes (the zip's timestamps are fixed), so exports can be diffed.
"""

import collections
import itertools
import json
import re
import shlex
import sqlite3
from decimal import Decimal

from django.db.models import JSONField, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.text import slugify

from tasks import hydra, zipping
from tasks.defaults_list import LAUNCH_GROUPS, launch_defaults, other_files
from tasks.models import TaskRun
from tasks.providers import BLUEPRINT_MAIN_ARGUMENT, PROLIFIC_MINUTES_ARGUMENT, Provider

JSON_CONTENT_TYPE = "application/json"
FORMATS = ("json", "yaml", "overrides")
FORMAT_LABELS = {"json": "JSON", "yaml": "Hydra YAML", "overrides": "Hydra overrides"}
EXTENSIONS = {"json": "json", "yaml": "yaml", "overrides": "overrides.txt"}
CONTENT_TYPES = {"json": JSON_CONTENT_TYPE, "yaml": "application/yaml", "overrides": "text/plain"}

# Which Mephisto release reads the config, and the documented fields it lacks: its
# structured config refuses any key it does not declare.
TARGETS = {
    "latest": (),
    "1.5": ("aux_parameters",),
    "1.1": ("resume_incomplete_run", "aux_parameters"),
}
TARGET_LABELS = {
    "latest": "Mephisto latest (16 fields)",
    "1.5": "Mephisto 1.5 (15 fields)",
    "1.1": "Mephisto 1.1-1.4 (14 fields)",
}
YAML_HEADER = "# @package _global_\n"
OVERRIDE_PREFIX = "mephisto.task."


class ExportError(ValueError):
    """The run cannot be written for this target or format; the message says why."""


def task_config(run, target="latest"):
    """The run's `mephisto.task` section as a config file writes it: task_values with
    the `${` of literal text escaped; a value the config gave as an interpolation is
    written as it was given."""
    config = task_values(run, target)
    interpolated = run.interpolated
    for name in LITERAL_FIELDS:
        if name in config and not (interpolated and name in interpolated):
            value = config[name]
            if isinstance(value, str):
                # Most text holds no "${": checked first, it is not rewritten.
                if "${" in value:
                    config[name] = hydra.escape_interpolations(value)
            elif value:
                config[name] = hydra.map_strings(value, hydra.escape_interpolations)
    return config


def task_values(run, target="latest"):
    """{field: value} of the run's task section: the target's fields, in documented
    order, with their JSON types; the values Mephisto sees once OmegaConf has read
    the exported config (interpolations aside, which it resolves at launch).

    Raises ExportError when the target lacks a field the run sets, or a value is ???.
    """
    _check_choice(target, TARGETS, "target")
    lacking = TARGETS[target]
    # Left to a file the defaults list names (base): writing Mephisto's default
    # here would override that file's value, since _self_ composes after it.
    unset = run.unset_fields
    unset = set(unset) if unset and other_files(run.defaults) else ()
    config = {}
    for name in TaskRun.CONFIG_FIELDS:
        if name in unset:
            continue
        value = getattr(run, name)
        if name in lacking:
            if value != _DEFAULTS[name]:
                raise ExportError(
                    f"Mephisto {target} has no {name}: this run sets it, and the value"
                    " would be lost. Export for a newer target, or reset it to its default."
                )
            continue
        if value == hydra.MISSING:
            raise ExportError(f"{name}: the value ??? means “missing” to Mephisto.")
        if name == "task_name" and not value:
            # Blank means "use the blueprint type", which Mephisto spells as null;
            # an empty string would be stored as a task called "" and refused.
            value = None
        elif name == "aux_parameters":
            # PostgreSQL's jsonb keeps keys in an order of its own, SQLite in the
            # order typed: sorted, an export reads the same from either database
            # and the same as the form's preview.
            value = _sorted_keys(value)
        elif isinstance(value, Decimal):
            # Mephisto hands Prolific int(task_reward) as cents: write the integer
            # it will use. Elsewhere a reward has at most 2 decimals, so the
            # float's shortest repr is the same number: 0.5, 1.0, 0.3.
            value = int(value) if run.provider == Provider.PROLIFIC else float(value)
        config[name] = value
    return config


# What a target that lacks a field expects of it: its default.
_DEFAULTS = {
    name: TaskRun._meta.get_field(name).get_default()
    for lacking in TARGETS.values()
    for name in lacking
}


# Fields stored as the literal text workers see; the other text fields hold
# OmegaConf's own text already (see TaskRun.CONFIG_TEXT_FIELDS).
LITERAL_FIELDS = (*TaskRun.WORKER_TEXT_FIELDS, "aux_parameters")


def _sorted_keys(value):
    if isinstance(value, dict):
        return {key: _sorted_keys(value[key]) for key in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(item) for item in value]
    return value


def hydra_config(run, target="latest"):
    """The run's whole Hydra config, as a document: its defaults list, its top-level
    keys, then the `mephisto` tree (blueprint, architect, provider, the other
    settings, and the task section last). Every string is OmegaConf's text, so the
    document means the same to Mephisto in YAML and in JSON.
    """
    mephisto = {}
    blueprint = dict(run.blueprint_args)
    main = BLUEPRINT_MAIN_ARGUMENT.get(run.blueprint)
    if main and run.blueprint_source:
        blueprint = {main: run.blueprint_source, **blueprint}
    provider = dict(run.provider_args)
    if run.provider == Provider.PROLIFIC and run.estimated_minutes:
        provider[PROLIFIC_MINUTES_ARGUMENT] = run.estimated_minutes
    for name, section in (
        ("blueprint", blueprint),
        ("architect", run.architect_args),
        ("provider", provider),
    ):
        if section:
            mephisto[name] = section
    mephisto.update(run.mephisto_extra)
    mephisto["task"] = task_config(run, target)
    document = {"defaults": launch_defaults(run.defaults, _choices(run))}
    document.update(run.top_level)
    document["mephisto"] = mephisto
    return document


def _choices(run):
    return {group: getattr(run, group) for group in LAUNCH_GROUPS}


# The JSON document is the whole config too: OmegaConf reads JSON as YAML.
run_to_config = hydra_config


# Characters json.dumps writes raw that a YAML reader refuses (outside YAML's
# printable set) or folds (NEL, LS, PS are line breaks to it): OmegaConf reads
# a JSON config as YAML, so they are written as \u escapes, which both read
# back as the same characters.
_NOT_YAML_PRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff]")


def dumps(document):
    """A config document as JSON text that json and OmegaConf both read back exactly."""
    return _yaml_printable(_ENCODER.encode(document)) + "\n"


# json.dumps(document, indent=2, ensure_ascii=False), made once: the C encoder
# (Python 3.13 indents too). A document is a tree read from JSON, never a
# cycle, so there is nothing for check_circular to find.
_ENCODER = json.JSONEncoder(indent=2, ensure_ascii=False, check_circular=False)


def _yaml_printable(text):
    if _NOT_YAML_PRINTABLE.search(text) is None:
        return text
    return _NOT_YAML_PRINTABLE.sub(lambda match: f"\\u{ord(match[0]):04x}", text)


def to_yaml(run, target="latest"):
    """A Hydra config file for hydra_configs/conf/: the whole config; ints stay ints."""
    return YAML_HEADER + hydra.dump_yaml(hydra_config(run, target))


# A name Hydra's override grammar reads back as the same key.
OVERRIDE_KEY = re.compile(r"[A-Za-z_][\w-]*\Z", re.ASCII)


def to_overrides(run, target="latest"):
    """Hydra command-line overrides on one line, quoted for a POSIX shell: the launch
    setup's config-group choices (mephisto/provider=mock), the top-level keys, the
    mephisto settings and sections, then the task section.

    Raises ExportError when the defaults list names other config files ("base"),
    which a command line cannot: export as YAML then.
    """
    config = hydra_config(run, target)
    others = other_files(config["defaults"])
    if others:
        raise ExportError(
            f"The defaults list names other config files ({', '.join(others)}), which a"
            " command line cannot carry: export as YAML or JSON instead."
        )
    words = [
        shlex.quote(f"{group.removeprefix('override ').strip().lstrip('/')}={choice}")
        for entry in config["defaults"]
        if isinstance(entry, dict)
        for group, choice in entry.items()
    ]
    pairs = [
        ((key,), value) for key, value in config.items() if key not in ("defaults", "mephisto")
    ]
    for section, value in config["mephisto"].items():
        if section in ("blueprint", "architect", "provider", "task"):
            pairs += [(("mephisto", section, name), item) for name, item in value.items()]
        else:
            pairs.append((("mephisto", section), value))
    for path, value in pairs:
        key = _override_key(path)
        try:
            word = hydra.format_override(key, value)
        except hydra.OverrideError as error:
            raise ExportError(f"{key.removeprefix(OVERRIDE_PREFIX)}: {error}") from None
        if "\x00" in word:
            raise ExportError(f"{key}: a command line cannot carry a NUL character.")
        words.append(word)
    line = " ".join(words) + "\n"
    if len(line) > hydra.MAX_OVERRIDES_CHARS:
        # What the import would refuse to read back is not written either.
        raise ExportError(
            f"The overrides come to {len(line):,} characters; a launch command line is read"
            f" up to {hydra.MAX_OVERRIDES_CHARS:,}: export as YAML or JSON instead."
        )
    return line


def _override_key(path):
    """The dotted key of `path` (a tuple of names), or ExportError when Hydra
    would read it as another key."""
    key = _OVERRIDE_KEYS.get(path)
    if key is None:
        key = ".".join(path)
        if not all(OVERRIDE_KEY.match(name) for name in path):
            # Hydra would read "a.b" as a nested key, and refuse "" or "${x}".
            raise ExportError(
                f"{key}: a command line cannot carry this key (use letters, digits, _ and"
                " -); export as YAML or JSON instead."
            )
        if len(_OVERRIDE_KEYS) < 1_000:
            _OVERRIDE_KEYS[path] = key
    return key


# Keys already checked: the same few dozen come back in every run.
_OVERRIDE_KEYS = {}


WRITERS = {"json": lambda run, target: dumps(run_to_config(run, target)), "yaml": to_yaml}
WRITERS["overrides"] = to_overrides


def run_label(run):
    return slugify(run.task_name or run.task_title)[:60].strip("-") or "run"


def run_filename(run, extension):
    return f"taskrun-{run.pk}-{run_label(run)}.{extension}"


def export_run(run, fmt="json", target="latest"):
    """Export one run as one document: returns (filename, content_type, content)."""
    _check_choice(fmt, FORMATS, "format")
    content = WRITERS[fmt](run, target)
    return run_filename(run, EXTENSIONS[fmt]), CONTENT_TYPES[fmt], content


def export_runs(runs, fmt="json", target="latest"):
    """Export a selection, in the order given: returns (filename, content_type, content).

    JSON gives one array of documents (even of one, so a script need not guess
    its shape); YAML and overrides give a zip holding one file per run, named
    after the run. The content is whole (str or bytes): for many runs, use
    `stream_runs`, which writes the same content in chunks.
    """
    filename, content_type, chunks = stream_runs(runs, fmt, target)
    return filename, content_type, ("" if fmt == "json" else b"").join(chunks)


def _check_choice(value, choices, what):
    if value not in choices:
        raise ValueError(f"Unknown export {what} {value!r}; choose from {', '.join(choices)}.")


# -- Many runs: streamed, in flat memory ---------------------------------------------

# Runs read per database round trip, and made into one chunk of output: what an
# export holds in memory at once (about 1 KiB a run), and how often `progress`
# hears of it. Larger chunks were no faster (bench/run.py).
EXPORT_CHUNK_SIZE = 250

# The columns the writers read. A queryset is read as rows of these (named
# tuples), not as model instances: building an instance, with the snapshot a
# save compares against, cost more than writing its document.
EXPORT_COLUMNS = (
    "id",
    *TaskRun.CONFIG_FIELDS,
    *LAUNCH_GROUPS,
    "blueprint_source",
    "estimated_minutes",
    "defaults",
    *TaskRun.ARGUMENT_SECTIONS.values(),
    "mephisto_extra",
    "top_level",
    "unset_fields",
    "interpolated",
)
ZIP_CONTENT_TYPE = "application/zip"


def stream_runs(runs, fmt="json", target="latest", progress=None):
    """Export a selection, however large, in the order given: returns (filename,
    content_type, chunks), where chunks is an iterator of str (JSON) or bytes (zip).

    The content is that of `export_runs`: JSON gives one array of documents,
    YAML and overrides a zip of one file per run, named after the run. A
    queryset is read `EXPORT_CHUNK_SIZE` rows at a time (a server-side cursor on
    PostgreSQL), and each chunk is written as soon as its runs are, so memory
    does not grow with the number of runs. The first chunk is made before this
    returns, so that an ExportError in the first runs is raised here, where a
    view can still say so; one in a later run ends the iteration with it.

    `progress(done, total)`, when given, hears how many runs are written: at 0,
    then after each chunk is taken (the last at the end); total is the number of
    runs (a COUNT query for a queryset, asked only when `progress` is given),
    or None for an iterator of unknown length.

    Raises ValueError for an unknown format or target, ExportError as above.
    """
    _check_choice(fmt, FORMATS, "format")
    _check_choice(target, TARGETS, "target")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    total = None
    if isinstance(runs, QuerySet):
        if progress is not None:
            total = runs.count()
    elif hasattr(runs, "__len__"):
        total = len(runs)
    if fmt == "json":
        filename, content_type = f"taskruns-{stamp}.json", JSON_CONTENT_TYPE
        chunks = iter_json_array(runs, target, progress=progress, total=total)
    else:
        filename, content_type = f"taskruns-{stamp}-{fmt}.zip", ZIP_CONTENT_TYPE
        chunks = iter_zip(runs, fmt, target, progress=progress, total=total)
    return filename, content_type, _started(chunks)


def _started(chunks):
    """`chunks` with its first item made already (and its errors raised here)."""
    try:
        first = next(chunks)
    except StopIteration:
        return iter(())
    return itertools.chain((first,), chunks)


class RowsInOrder:
    """The runs of `runs` (a queryset) with these `pks`, as export rows, in the order
    given (a PK given twice comes twice; one no longer there is left out), read
    EXPORT_CHUNK_SIZE at a time. Its len() is the number of PKs, which
    `stream_runs` reports as the total."""

    def __init__(self, runs, pks):
        self.runs, self.pks = runs, pks

    def __len__(self):
        return len(self.pks)

    def __iter__(self):
        size = EXPORT_CHUNK_SIZE
        for start in range(0, len(self.pks), size):
            part = self.pks[start : start + size]
            found = {row.id: row for row in export_rows(self.runs.filter(pk__in=part))}
            yield from (found[pk] for pk in part if pk in found)


def export_rows(runs):
    """The runs as the writers read them: a queryset as ExportRow tuples,
    `EXPORT_CHUNK_SIZE` at a time, without the joins a list page wants; any
    other iterable (of runs) as it is."""
    if not isinstance(runs, QuerySet):
        return iter(runs)
    rows = (
        runs.select_related(None)
        .values_list(*_PLAIN_COLUMNS, *(Cast(name, TextField()) for name in _JSON_COLUMNS))
        .iterator(chunk_size=EXPORT_CHUNK_SIZE)
    )
    split = len(_PLAIN_COLUMNS)
    make = ExportRow._make
    return (make(row[:split] + tuple(map(_json_value, row[split:]))) for row in rows)


# The JSON columns are read as their text and decoded here: Django's
# JSONField.from_db_value, nine times a row, cost more than the rest of the row.
_JSON_COLUMNS = tuple(
    name for name in EXPORT_COLUMNS if isinstance(TaskRun._meta.get_field(name), JSONField)
)
_PLAIN_COLUMNS = tuple(name for name in EXPORT_COLUMNS if name not in _JSON_COLUMNS)
ExportRow = collections.namedtuple("ExportRow", (*_PLAIN_COLUMNS, *_JSON_COLUMNS))
ExportRow.__doc__ = "One run's EXPORT_COLUMNS, JSON decoded: what the writers read of a run."
_decode_json = json.JSONDecoder().raw_decode


def _json_value(text):
    # What the database wrote (json.dumps on SQLite, jsonb's text on PostgreSQL)
    # is one JSON value without surrounding space: raw_decode reads it as
    # json.loads would. Most sections are empty.
    if text == "{}":
        return {}
    if text == "[]":
        return []
    return _decode_json(text)[0]


def _chunks_of(runs, progress, total):
    """The runs in lists of EXPORT_CHUNK_SIZE, telling `progress` as each is done."""
    done = 0
    if progress is not None:
        progress(0, total)
    for batch in itertools.batched(export_rows(runs), EXPORT_CHUNK_SIZE):
        yield batch
        done += len(batch)
        if progress is not None:
            progress(done, total)


def iter_json_array(runs, target="latest", *, progress=None, total=None):
    """The JSON array `export_runs` writes, as text chunks of EXPORT_CHUNK_SIZE runs.

    `"".join(iter_json_array(runs, target))` is exactly
    `export_runs(runs, "json", target)[2]`. Nothing is read before the first
    chunk is asked for.
    """
    encoder = _ENCODER
    opening = "[\n"
    for batch in _chunks_of(runs, progress, total):
        # One array of the chunk's documents, as json.dumps(indent=2) nests
        # them in the whole array: its brackets are cut, the items kept.
        text = encoder.encode([hydra_config(run, target) for run in batch])
        yield opening + _yaml_printable(text[2:-2])
        opening = ",\n"
    yield "[]\n" if opening == "[\n" else "\n]\n"


def iter_zip(runs, fmt, target="latest", *, progress=None, total=None):
    """The zip `export_runs` writes for YAML or overrides, as bytes chunks of
    EXPORT_CHUNK_SIZE runs, then the zip's central directory."""
    write, extension = WRITERS[fmt], EXTENSIONS[fmt]
    with zipping.StreamingZip() as archive, _UniqueNames() as names:
        for batch in _chunks_of(runs, progress, total):
            yield b"".join(
                archive.member(
                    f"{names.claim(run_label(run))}.{extension}", write(run, target).encode()
                )
                for run in batch
            )
        yield from archive.close()


class _UniqueNames:
    """Names given once each: the second "same" is "same-2", then "same-3".

    Kept in a private temporary SQLite database on disk (SQLite's own
    bounded page cache in memory), not a set: 100,000 names would otherwise
    hold about 10 MiB until the export ends.
    """

    def __enter__(self):
        self._db = sqlite3.connect("", isolation_level=None)
        self._db.execute("PRAGMA journal_mode = OFF")
        self._db.execute("CREATE TABLE used (name TEXT PRIMARY KEY) WITHOUT ROWID")
        self._db.execute("BEGIN")
        return self

    def __exit__(self, *exc):
        self._db.close()

    def claim(self, label):
        name, n = label, 1
        while not self._db.execute(_CLAIM, (name,)).rowcount:
            n += 1
            name = f"{label}-{n}"
        return name


_CLAIM = "INSERT OR IGNORE INTO used VALUES (?)"
