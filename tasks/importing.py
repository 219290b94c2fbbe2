"""Task runs in from config files and Mephisto databases: parse → preview → apply.

- `parse(name, data)` reads a file's bytes into documents, each validated by the
  model (`full_clean`), without touching the database. A file that cannot be read
  at all (empty, too big, not UTF-8, a YAML bomb, nested too deeply) raises
  ImportFailure; a document that is wrong is kept with its messages.
- `preview(documents)` marks each valid document as new or identical to a saved run.
- `apply(documents, only_valid=..., by=...)` saves the new ones in one transaction.

Views, admin and management commands only call these.
"""

import functools
import io
import json
import lzma
import math
import os
import re
import sqlite3
import sys
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tasks import compose, exporting, hydra, launch_args, rules, schema, services
from tasks.defaults_list import LAUNCH_GROUPS, SELF, as_composed, choices_in, other_files
from tasks.models import TaskRun
from tasks.providers import (
    BLUEPRINT_MAIN_ARGUMENT,
    PROLIFIC_DEFAULT_MINUTES,
    PROLIFIC_MINUTES_ARGUMENT,
    Provider,
)
from tasks.validators import MAX_NESTING, validate_json_object, wrong_type_message
from tasks.verdicts import remembered, verdict

NEW, IDENTICAL, INVALID = "new", "identical", "invalid"
# A file may wrap aux_parameters in a list of documents, a document, `mephisto`
# and `task`: that many levels more than the model lets aux_parameters nest, so
# the model (not this guard) gives the verdict on any run the form could save.
DOCUMENT_LEVELS = 4
MAX_DEPTH = MAX_NESTING + DOCUMENT_LEVELS
# Values in one document (a file, or each document of a list or a YAML stream),
# counted as if aliases were expanded. A file's documents are counted apart: the
# whole file is bounded by its size, and its aliases (at most 20, see
# hydra.MAX_YAML_ALIASES) can repeat at most that many documents.
MAX_NODES = 100_000
MAX_ZIP_MEMBERS = 1000
# A Mephisto database.db is read with bounds: a crafted 4 KB file can otherwise
# describe endless rows (a recursive view) or huge ones (zeroblob) and hold a
# worker for good. Rows are counted before any is read, against max_runs().
MAX_DATABASE_VALUE_CHARS = 1_000_000  # one row's init_params
MAX_DATABASE_ID_CHARS = 200  # task_run_id, creation_date
# The time the SQLite reads of one upload may take: this much, plus a second per
# DATABASE_ROWS_PER_SECOND rows its databases hold (read at 50,000 or more a
# second on this project's machines, so a real database takes a fraction of it).
DATABASE_SECONDS = 5
DATABASE_ROWS_PER_SECOND = 10_000
# How often (in documents) parse, preview and apply report their progress.
PROGRESS_EVERY = 250
SQLITE_MAGIC = b"SQLite format 3\x00"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
# What zipfile raises for a damaged or crafted archive, as well as BadZipFile: a
# version, method or encryption it cannot read, an offset or a file name it cannot
# use (ValueError, UnicodeDecodeError), a stream that breaks off or does not
# decompress (EOFError, zlib's, bz2's OSError, lzma's).
ZIP_ERRORS = (
    zipfile.BadZipFile,
    NotImplementedError,
    RuntimeError,
    ValueError,
    EOFError,
    OSError,
    zlib.error,
    lzma.LZMAError,
)
# Several files uploaded at once travel (and wait in the stash) as a zip with
# this comment, so their runs are named by the files' own names.
BUNDLE_COMMENT = b"taskadmin: files uploaded together"
# How often parse, preview and apply call their `progress(done, total)` callback.
PROGRESS_EVERY = 250


class ImportFailure(Exception):
    """The file as a whole cannot be imported; nothing was changed."""


@dataclass
class Document:
    """One incoming run: where it came from, its run (when valid) or its messages."""

    source: str  # "runs.jsonl line 7"
    run: TaskRun | None = None
    errors: list = field(default_factory=list)  # "task_reward: ..."
    status: str = INVALID
    existing: TaskRun | None = None
    warnings: list = field(default_factory=list)  # rules.Finding, for new runs
    # The run's config as preview compares it (_key): worked out once, for the
    # preview apply() makes again. A document's run does not change once read.
    key: str | None = field(default=None, repr=False, compare=False)

    @property
    def messages(self):
        return [f"{self.source}: {error}" for error in self.errors]

    @property
    def title(self):
        return self.run.task_title if self.run else ""


@dataclass
class Batch:
    name: str
    documents: list = field(default_factory=list)
    notices: list = field(default_factory=list)
    read_until: float | None = None  # the time.monotonic() its databases must be read by
    read_seconds: float = DATABASE_SECONDS  # the budget read_until was set from
    # Called as progress(documents read, None) every PROGRESS_EVERY documents.
    progress: object = field(default=None, repr=False, compare=False)

    def add(self, document):
        """Append `document`, refusing the file once it holds more than max_runs()."""
        if len(self.documents) >= max_runs():
            raise ImportFailure(too_many_runs(self.name))
        self.documents.append(document)
        if self.progress is not None and len(self.documents) % PROGRESS_EVERY == 0:
            self.progress(len(self.documents), None)

    def count(self, status):
        return sum(1 for doc in self.documents if doc.status == status)

    @property
    def warnings(self):
        """[(code, message of its first run, number of new runs)] across the new runs."""
        found = {}
        for doc in self.documents:
            if doc.status == NEW:
                for warning in doc.warnings:
                    message, count = found.get(warning.code, (warning.message, 0))
                    found[warning.code] = (message, count + 1)
        return [(code, message, count) for code, (message, count) in found.items()]

    def unread(self, acknowledged):
        """The warning codes of new runs that are not in `acknowledged`."""
        return [code for code, _, _ in self.warnings if code not in set(acknowledged)]

    @property
    def errors(self):
        return [message for doc in self.documents for message in doc.messages]


@dataclass
class Result:
    created: list
    identical: int
    invalid: int


def imported_message(name, imported, identical, invalid):
    """What an import did, in words: "Imported 3 task runs from runs.jsonl; skipped
    1 identical, 0 invalid." (the Import page's message, the API's `detail`)."""
    return (
        f"Imported {imported} task run{'s' if imported != 1 else ''} from {name};"
        f" skipped {identical} identical, {invalid} invalid."
    )


def max_bytes():
    return settings.TASKADMIN_IMPORT_MAX_BYTES


def max_runs():
    """The most runs one upload may hold, in any format (zip members and database
    rows included), checked as they are read: TASKADMIN_IMPORT_MAX_RUNS."""
    return settings.TASKADMIN_IMPORT_MAX_RUNS


def unpacked_size(data):
    """The bytes an upload (`data`) holds to be read: a zip's files together, as its
    directory gives their sizes (zipfile reads no more of each), else its own."""
    if data.startswith(ZIP_MAGICS):
        try:
            return sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
        except ZIP_ERRORS:
            pass  # parse says why
    return len(data)


def size_error(name, size):
    return (
        f"{name} is {size / 1_000_000:.1f} MB; the import limit is"
        f" {max_bytes() / 1_000_000:.1f} MB. Split it into smaller files."
    )


# -- Parse ---------------------------------------------------------------------------


def too_many_runs(name):
    return f"{name} holds more than {max_runs():,} task runs; import at most that many at a time."


def parse(name, data, *, progress=None):
    """Read one file's bytes into a Batch of validated documents (no database access).

    `progress(done, total)`, if given, is called every PROGRESS_EVERY documents
    read, with total None (a file's runs are not known before it is read), and
    once at the end with done == total == the documents read.
    Raises ImportFailure for a file that cannot be read at all.
    """
    batch = Batch(name, progress=progress)
    if len(data) > max_bytes():
        raise ImportFailure(size_error(name, len(data)))
    with remembered():
        if data.startswith(ZIP_MAGICS):
            _read_zip(batch, name, data)
        else:
            _read_files(batch, [(name, PurePosixPath(name).name, data)], in_zip=False)
    if not batch.documents:
        raise ImportFailure(f"{name} holds no task runs.")
    batch.notices.extend(launch_args.not_checked(batch.documents))
    batch.progress = None
    if progress is not None:
        progress(len(batch.documents), len(batch.documents))
    return batch


def parse_files(files, *, progress=None):
    """Read several files ([(name, bytes)], names "/"-separated and relative to one
    folder) as one upload, the way a zip of them is read: a config composes with
    the files its defaults list names. `progress` as for parse()."""
    return parse(*as_one_upload(files), progress=progress)


def as_one_upload(files):
    """(name, bytes) of an upload of `files` ([(name, bytes)]): the one file, or
    several bundled as one zip (`bundle`). Raises ImportFailure as `bundle` does."""
    return files[0] if len(files) == 1 else bundle(files)


def bundle(files):
    """(name, zip bytes) holding `files` ([(name, bytes)]), read back by `parse` as
    those files. Raises ImportFailure for more than the import reads in one zip."""
    names = [name for name, _ in files]
    if len(files) > MAX_ZIP_MEMBERS:
        raise ImportFailure(f"{len(files)} files at once; at most {MAX_ZIP_MEMBERS} are read.")
    total = sum(len(data) for _, data in files)
    if total > max_bytes():
        raise ImportFailure(size_error(f"{len(files)} files together", total))
    for name in names:
        if names.count(name) > 1:
            raise ImportFailure(f"Two of the files are named {name}; upload them in a zip.")
    zips = [name for name, data in files if data.startswith(ZIP_MAGICS)]
    if zips:
        raise ImportFailure(
            f"{zips[0]}: a zip is read on its own, not among several files; upload it alone."
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.comment = BUNDLE_COMMENT
        for name, data in files:
            archive.writestr(name, data)
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return shown, buffer.getvalue()


def _read_file(batch, name, data, *, in_zip):
    if len(data) > max_bytes():
        raise ImportFailure(size_error(name, len(data)))
    if not data.strip():
        raise ImportFailure(f"{name} is empty.")
    if data.startswith(SQLITE_MAGIC):
        return _read_database(batch, name, data)
    if data.startswith(ZIP_MAGICS):
        if in_zip:
            raise ImportFailure(f"{name}: a zip inside a zip is not read; unpack it first.")
        return _read_zip(batch, name, data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFailure(
            f"{name} is not UTF-8 text (byte 0x{data[error.start]:02x} at position"
            f" {error.start}). Save it as UTF-8 and try again."
        ) from None
    suffix = PurePosixPath(name).suffix.lower()
    stripped = text.lstrip()
    if suffix in (".jsonl", ".ndjson"):
        return _read_json_lines(batch, name, text)
    if suffix not in (".yaml", ".yml") and stripped[:1] in ("{", "["):
        return _read_json(batch, name, text)
    if re.match(r"""['"+~]*mephisto[./]""", stripped) or _FIRST_OVERRIDE.match(stripped):
        return _read_overrides(batch, name, text)
    return _read_yaml(batch, name, text)


# An overrides line may start with a top-level key (`task_dir=... mephisto.task...`),
# as the overrides export writes a run's top-level keys before its mephisto ones.
# No YAML config starts so: its first line would be text, not a mapping.
_FIRST_OVERRIDE = re.compile(r"""['"+]*[A-Za-z_][\w-]*(?:[./][A-Za-z_][\w-]*)*=""")


class _DuplicateKey(ValueError):
    pass


def _unique_keys(pairs):
    value = dict(pairs)
    if len(value) < len(pairs):
        seen = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(
                    f"found duplicate key {_show_key(key)}: Hydra and OmegaConf refuse a key"
                    " given twice; keep one."
                )
            seen.add(key)
    return value


def _load_json(text):
    """json.loads, refusing a key given twice (json keeps the last one silently) and
    reading an integer too long for Python as a LongInteger (refused by _check_shape,
    which says where it is)."""
    return json.loads(text, object_pairs_hook=_unique_keys, parse_int=hydra.read_integer)


def _read_json(batch, name, text):
    try:
        value = _load_json(text)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data":
            return _read_json_lines(batch, name, text)
        raise ImportFailure(
            f"{name} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None
    except _DuplicateKey as error:
        raise ImportFailure(f"{name}: {error}") from None
    except RecursionError:
        raise ImportFailure(_too_deep(name)) from None
    # OmegaConf reads JSON as YAML: "${...}" is an interpolation there too.
    _add_value(batch, name, value, escaped=True)


def _read_json_lines(batch, name, text):
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        source = f"{name} line {number}"
        try:
            value = _load_json(line)
        except json.JSONDecodeError as error:
            batch.add(
                Document(source, errors=[f"not valid JSON: {error.msg} at column {error.colno}."])
            )
            continue
        except _DuplicateKey as error:
            batch.add(Document(source, errors=[str(error)]))
            continue
        except RecursionError:
            raise ImportFailure(_too_deep(source)) from None
        if not _within_limits(line):
            _check_shape(source, value)
        _add_document(batch, source, value, escaped=True)


def _read_yaml(batch, name, text):
    """A YAML file, read with OmegaConf's rules; several documents (`---` between
    them) are a list of runs, each named "FILE document N"."""
    try:
        # More than an upload may hold are not read: the file is refused anyway.
        documents = hydra.load_yaml_documents(text, most=max_runs())
    except hydra.YAMLError as error:
        raise ImportFailure(f"{name}: {error}") from None
    except RecursionError:
        raise ImportFailure(_too_deep(name)) from None
    # A `---` before the only document, or after the last, starts no run.
    documents = [value for value in documents if value is not None] or documents[:1]
    # A Hydra config escapes ${ as \${: read the values OmegaConf would give.
    if len(documents) <= 1:
        _add_value(batch, name, documents[0] if documents else None, escaped=True)
        return
    # The file's limits hold for all its documents together.
    _check_shape(name, documents, documents="document")
    for number, value in enumerate(documents, 1):
        _add_value(batch, f"{name} document {number}", value, escaped=True)


def _read_overrides(batch, name, text):
    try:
        pairs = hydra.split_overrides(text)
    except hydra.OverrideError as error:
        raise ImportFailure(f"{name}: {error}") from None
    # Rebuilt as the Hydra config these overrides make, then read like one.
    document = {"defaults": [], "mephisto": {"task": {}}}
    for key, value in pairs:
        if "/" in key:
            # A config group's option (mephisto/provider=prolific): the entry
            # a config file's defaults list writes for it.
            document["defaults"].append({"/" + key.lstrip("/"): value})
            continue
        *parents, leaf = key.split(".")
        node = document
        for part in parents:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ImportFailure(f"{name}: {key} sets a key inside a value, not a mapping.")
            node = child
        node[leaf] = value
    # The primary config's own values come last, as Hydra reads overrides.
    document["defaults"].append(SELF)
    _check_shape(name, document)
    _add_document(batch, name, document, escaped=True)


def _read_zip(batch, name, data):
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir()
            and not info.filename.startswith("__MACOSX/")
            and not PurePosixPath(info.filename).name.startswith(".")
        ]
    except ZIP_ERRORS as error:
        raise ImportFailure(f"{name} is not a readable zip file: {error}.") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise ImportFailure(f"{name} holds more than {MAX_ZIP_MEMBERS} files.")
    together = archive.comment == BUNDLE_COMMENT
    total = 0
    files = []
    for info in members:
        member_name = info.filename if together else f"{name}/{info.filename}"
        try:
            with archive.open(info) as member:
                # Read no more than the limit, whatever the header claims.
                content = member.read(max_bytes() - total + 1)
        except ZIP_ERRORS as error:
            raise ImportFailure(f"{member_name} cannot be unpacked: {error}.") from None
        total += len(content)
        if total > max_bytes():
            raise ImportFailure(f"{name} unpacks to more than the import limit.")
        files.append((member_name, info.filename, content))
    _read_files(batch, files, in_zip=True)


def _read_files(batch, files, *, in_zip):
    """Read the files of one upload ([(source, path in the upload, bytes)]): a config
    whose defaults list names others of them is composed with them as Hydra does
    (tasks.compose), and a file used that way is not a run of its own."""
    configs = {}
    for source, path, data in files:
        config = _config_of(source, path, data)
        if config is not None:
            configs[config.path] = config
    results = {}
    for path, config in configs.items():
        if compose.names_files(config.value):
            try:
                results[path] = compose.compose(config, configs, max_values=MAX_NODES)
            except compose.ComposeError as error:
                results[path] = error
    used = {}
    for path, result in results.items():
        if isinstance(result, compose.Composed):
            for found, entry, by in result.used:
                if found.path != path and (by.path, entry) not in used.get(found.path, []):
                    used.setdefault(found.path, []).append((by.path, entry))
    for source, path, data in files:
        path = _upload_path(path)
        result = results.get(path)
        if path in used:
            users = ", ".join(f"{by} (defaults: {entry})" for by, entry in used[path])
            batch.notices.append(f"{source}: used by {users}")
        elif isinstance(result, compose.ComposeError):
            batch.documents.append(Document(source, errors=[str(result)]))
        elif isinstance(result, compose.Composed) and result.used:
            _check_shape(source, result.value)
            names = []
            for found, _, _ in result.used:
                if found.path not in names:
                    names.append(found.path)
            batch.notices.append(
                f"{source}: composed with {', '.join(names)} (as Hydra would); the run holds"
                " the composed config"
            )
            _add_document(batch, source, result.value, escaped=True)
        elif path in configs:
            _add_value(batch, source, configs[path].value, escaped=True)
        else:
            _read_file(batch, source, data, in_zip=in_zip)


def _upload_path(path):
    return str(PurePosixPath(path))


def _config_of(source, path, data):
    """A compose.Config for a file that Hydra could compose (one YAML document, a
    mapping), or None: _read_file reads (or refuses) everything else."""
    if PurePosixPath(path).suffix.lower() not in (".yaml", ".yml"):
        return None
    if len(data) > max_bytes() or data.startswith((SQLITE_MAGIC, *ZIP_MAGICS)):
        return None
    try:
        text = data.decode("utf-8-sig")
        if re.match(r"""['"+~]*mephisto[./]""", text.lstrip()):
            return None
        documents = hydra.load_yaml_documents(text, most=1)  # one, or more
    except (UnicodeDecodeError, hydra.YAMLError, RecursionError):
        return None
    documents = [value for value in documents if value is not None]
    if len(documents) != 1 or not isinstance(documents[0], dict):
        return None
    try:
        _check_shape(source, documents[0], documents=True)
    except ImportFailure:
        return None  # _read_file refuses it, in the upload's order
    return compose.Config(_upload_path(path), source, documents[0], compose.package_header(text))


def _read_database(batch, name, data):
    rows = _database_rows(batch, name, data)
    batch.notices.append(
        f"{name}: imported each run's mephisto.task section and its provider, architect"
        " and blueprint choices; their other settings are ignored."
    )
    for number, row in enumerate(rows, 1):
        _add_database_row(batch, name, number, row)


def _database_rows(batch, name, data):
    """The task_runs rows of a Mephisto database, read within bounds.

    The file is opened read-only (no trigger can fire), its schema is not trusted
    (PRAGMA trusted_schema=OFF: only harmless functions in generated columns), only
    a real table named task_runs is read, never a view; no value may exceed the
    file's own size (SQLITE_LIMIT_LENGTH: zeroblob(200000000) fails at once), rows
    are counted before any is read, then read one at a time up to the import limit
    in all, and the whole read stops after DATABASE_SECONDS. An init_params too long
    is kept as its length, for that row's message.
    """
    if batch.read_until is None:
        batch.read_until = time.monotonic() + DATABASE_SECONDS
    with tempfile.TemporaryDirectory(prefix="taskadmin-import-") as folder:
        path = Path(folder) / "database.db"
        path.write_bytes(data)
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
        try:
            connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max(len(data), 1_000_000))
            # Read text as bytes: a value that is not UTF-8 is one row's error,
            # not a failure half-way through the table.
            connection.text_factory = bytes
            connection.set_progress_handler(lambda: time.monotonic() > batch.read_until, 1000)
            connection.execute("PRAGMA trusted_schema = OFF")
            return _query_task_runs(connection, name, batch)
        except sqlite3.Error as error:
            if time.monotonic() > batch.read_until:
                raise ImportFailure(
                    f"{name} took longer than {batch.read_seconds:.0f} seconds to read; refused."
                ) from None
            if isinstance(error, sqlite3.DataError):
                raise ImportFailure(
                    f"{name} makes a value larger than the file itself (string or blob too"
                    " big); refused."
                ) from None
            raise ImportFailure(
                f"{name} is not a Mephisto database (no readable task_runs table: {error})."
            ) from None
        finally:
            connection.close()


# No ORDER BY: SQLite would sort every row (generated values included) before
# returning the first; the rows are sorted once read, within the limits.
_TASK_RUNS = """
    SELECT
        CASE WHEN length(task_run_id) <= :short THEN task_run_id END,
        CASE WHEN length(creation_date) <= :short THEN creation_date END,
        CASE WHEN length(init_params) <= :long THEN init_params END,
        length(creation_date) > :short,
        length(init_params)
    FROM task_runs
"""


def _query_task_runs(connection, name, batch):
    found = connection.execute(
        "SELECT type, sql FROM sqlite_master WHERE name = 'task_runs' COLLATE NOCASE"
    ).fetchall()
    kinds = [(kind.decode(), (sql or b"").decode("utf-8", "replace")) for kind, sql in found]
    if not kinds:
        raise ImportFailure(
            f"{name} is not a Mephisto database (no readable task_runs table: no such table:"
            " task_runs)."
        )
    if not any(kind == "table" for kind, _ in kinds):
        raise ImportFailure(
            f"{name} is not a Mephisto database: its task_runs is a {kinds[0][0]}, not a table;"
            " only tables are read."
        )
    if any(re.match(r"\s*create\s+virtual\b", sql, re.IGNORECASE) for _, sql in kinds):
        raise ImportFailure(f"{name} is not a Mephisto database: its task_runs is a virtual table.")
    (count,) = connection.execute(
        "SELECT count(*) FROM (SELECT 1 FROM task_runs LIMIT ?)", (max_runs() + 1,)
    ).fetchone()
    if count > max_runs():
        raise ImportFailure(too_many_runs(name))
    # More rows, more time to read them: counted first, so a crafted file's
    # slow rows still meet a deadline its row count sets.
    more = count / DATABASE_ROWS_PER_SECOND
    batch.read_until += more
    batch.read_seconds += more
    rows, total = [], 0
    cursor = connection.execute(
        _TASK_RUNS, {"short": MAX_DATABASE_ID_CHARS, "long": MAX_DATABASE_VALUE_CHARS}
    )
    for row in cursor:
        total += sum(len(value) for value in row[:3] if isinstance(value, bytes))
        if total > max_bytes():
            raise ImportFailure(f"{name} holds more than the import limit in its task_runs.")
        rows.append(row)
    # SQLite's order for task_run_id: NULL, then numbers, then text and blobs.
    return sorted(rows, key=lambda row: (_sqlite_rank(row[0]), 0 if row[0] is None else row[0]))


def _sqlite_rank(value):
    if value is None:
        return 0
    return 1 if isinstance(value, int | float) else 2


def _add_database_row(batch, name, number, row):
    run_id, created, init_params, created_too_long, length = row
    try:
        run_id, created, init_params = (
            value.decode() if isinstance(value, bytes) else value
            for value in (run_id, created, init_params)
        )
    except UnicodeDecodeError:
        batch.add(Document(f"{name} row {number}", errors=["holds text that is not UTF-8."]))
        return
    if run_id is None:
        batch.add(
            Document(
                f"{name} row {number}",
                errors=[
                    f"task_run_id: missing, or longer than {MAX_DATABASE_ID_CHARS} characters."
                ],
            )
        )
        return
    source = f"{name} task_run {_show_key(str(run_id))}"
    if init_params is None and length is not None:
        batch.add(
            Document(
                source,
                errors=[
                    f"init_params: {length:,} characters; at most"
                    f" {MAX_DATABASE_VALUE_CHARS:,} are read."
                ],
            )
        )
        return
    if created_too_long:
        message = f"creation_date: longer than {MAX_DATABASE_ID_CHARS} characters."
        batch.add(Document(source, errors=[message]))
        return
    try:
        created_at = _as_datetime(created)
    except ValueError:
        batch.add(
            Document(
                source,
                errors=[f"creation_date: {_show_key(str(created))} is not a date and time."],
            )
        )
        return
    try:
        # init_params is a JSON string whose content is the YAML of the mephisto node.
        text = _load_json(init_params) if isinstance(init_params, str) else init_params
        if isinstance(text, str):
            node = hydra.load_yaml(text)
    except (json.JSONDecodeError, _DuplicateKey, TypeError, hydra.YAMLError) as error:
        batch.add(Document(source, errors=[f"init_params: unreadable ({error})"]))
        return
    except RecursionError:
        raise ImportFailure(_too_deep(source)) from None
    if not isinstance(text, str):
        batch.add(
            Document(
                source,
                errors=[
                    "init_params: must be a JSON string holding the config's YAML,"
                    f" not {_kind(text)}."
                ],
            )
        )
        return
    _check_shape(source, node)
    if not (isinstance(node, dict) and "mephisto" in node):
        node = {"mephisto": node}
    # A row in Mephisto's database is a run that was launched: it arrives
    # launched, so its config is read-only from the start.
    origin = {
        "mephisto_task_run_id": str(run_id),
        "mephisto_created_at": created_at,
        "status": TaskRun.Status.LAUNCHED,
        "launched_at": created_at,
    }
    # Mephisto stores the resolved config: its strings are literal.
    _add_document(batch, source, node, escaped=False, origin=origin)


def _as_datetime(value):
    """A timezone-aware datetime, None when absent or not one; ValueError when it looks
    like one but is not a real date (2024-02-30)."""
    moment = parse_datetime(str(value or ""))
    if moment is not None and timezone.is_naive(moment):
        # SQLite's CURRENT_TIMESTAMP is UTC.
        moment = moment.replace(tzinfo=UTC)
    return moment


def _too_deep(name):
    return f"{name} is nested too deeply (more than {MAX_DEPTH} levels)."


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _check_shape(name, value, *, documents=False):
    """Refuse what no later step could handle: a value nested too deeply or too big
    once aliases are expanded, an unpaired surrogate (no page or terminal can show
    it, no database store it) or an integer too long for Python to print, in any
    key or value, read or ignored. The message says where; with `documents`, the
    items of a top-level list are named as documents ("runs.json item 2"), or with
    `documents="document"`, as a YAML file's ("runs.yaml document 2"), and each
    of them may hold MAX_NODES values.
    """
    if documents and isinstance(value, list):
        # (value, its level, its path as (parent path, key)): one walk a document.
        roots = [((None, _Index(index)), item, 2) for index, item in enumerate(value)]
    else:
        roots = [(None, value, 1)]
    for root, top, top_level in roots:
        stack = [(top, top_level, root)]
        nodes = 0
        while stack:
            item, level, path = stack.pop()
            nodes += 1
            if nodes > MAX_NODES:
                where = _where(name, root, documents)
                raise ImportFailure(f"{where} holds more than {MAX_NODES} values.")
            if isinstance(item, dict | list) and level > MAX_DEPTH:
                raise ImportFailure(_too_deep(name))
            if isinstance(item, dict):
                for key, child in item.items():
                    _check_scalar(name, key, (path, key), documents)
                    stack.append((child, level + 1, (path, key)))
            elif isinstance(item, list):
                stack.extend(
                    (child, level + 1, (path, _Index(index))) for index, child in enumerate(item)
                )
            else:
                _check_scalar(name, item, path, documents)


# JSON text writes an unpaired surrogate as an escape (\ud800); UTF-8 holds none.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _within_limits(text):
    """True when the JSON `text` cannot hold what _check_shape refuses, so its value
    need not be walked: it has fewer characters than MAX_NODES values (each takes
    one at least) and than the digits of an integer too long to read, fewer
    brackets than MAX_DEPTH levels, and no surrogate escape."""
    digits = sys.get_int_max_str_digits()
    return (
        len(text) <= MAX_NODES
        and (not digits or len(text) <= digits)
        and text.count("[") + text.count("{") < MAX_DEPTH
        and _SURROGATE_ESCAPE.search(text) is None
    )


class _Index(int):
    """A list position in a path, told apart from an integer key."""


def _check_scalar(name, value, path, documents):
    if isinstance(value, str) and _SURROGATE.search(value):
        raise ImportFailure(
            f"{_where(name, path, documents)}: text with an unpaired surrogate escape"
            " (\\ud800 to \\udfff) cannot be stored or shown; remove it."
        )
    if isinstance(value, int) and hydra.too_long_to_print(value):
        value = hydra.LongInteger.of(value)
    if isinstance(value, hydra.LongInteger):
        raise ImportFailure(
            f"{_where(name, path, documents)}: a number of {value.digits:,} digits is too"
            f" long to read (at most {sys.get_int_max_str_digits():,})."
        )


def _where(name, path, documents):
    keys = []
    while path is not None:
        path, key = path
        keys.append(key)
    keys.reverse()
    if documents and keys and isinstance(keys[0], _Index):
        label = documents if isinstance(documents, str) else "item"
        name = f"{name} {label} {keys.pop(0) + 1}"
    shown = "".join(
        f"[{key}]" if isinstance(key, _Index) else f".{_show_key(key)}" for key in keys
    ).lstrip(".")
    return f"{name}: {shown}" if shown else name


def _show_key(key):
    """A key (or name) as printable text: unpaired surrogates escaped, as typed."""
    if isinstance(key, int) and not isinstance(key, bool) and hydra.too_long_to_print(key):
        return str(hydra.LongInteger.of(key))
    if not isinstance(key, str):
        return json.dumps(key) if key is None or isinstance(key, bool | float) else str(key)
    return key.encode("utf-8", "backslashreplace").decode()


def _add_value(batch, name, value, *, escaped):
    """A whole file's value: one document, or a list of documents."""
    _check_shape(name, value, documents=True)
    if isinstance(value, list):
        for number, item in enumerate(value, 1):
            _add_document(batch, f"{name} item {number}", item, escaped=escaped)
    else:
        _add_document(batch, name, value, escaped=escaped)


SECTIONS = {
    "blueprint": "blueprint_args",
    "architect": "architect_args",
    "provider": "provider_args",
}


def _whole_config(document, mephisto, *, escaped):
    """The run's fields for everything in a config besides its task section:
    the launch choices, the defaults list, the three sections, the other mephisto
    settings and the top-level keys, kept as written. Raises ValueError naming
    a section that is not a mapping."""
    defaults = document.get("defaults", [])
    entries = defaults if isinstance(defaults, list) else []
    choices = choices_in(entries)
    found = {"defaults": defaults if defaults is not None else []}
    for group, field_name in SECTIONS.items():
        section = mephisto.get(group, {})
        if section is None:
            section = {}
        if not isinstance(section, dict):
            raise ValueError(f"mephisto.{group}: must be a mapping, not {_kind(section)}.")
        section = dict(section)
        if group not in choices and f"_{group}_type" in section:
            # A resolved config (Mephisto's database) names its choices here.
            choices[group] = section[f"_{group}_type"]
        if group == "blueprint":
            main = BLUEPRINT_MAIN_ARGUMENT.get(choices.get("blueprint"))
            if main and main in section:
                found["blueprint_source"] = section.pop(main)
        if group == "provider" and choices.get("provider") == Provider.PROLIFIC:
            minutes = section.pop(PROLIFIC_MINUTES_ARGUMENT, None)
            # Absent, Mephisto uses its own default: so does the import.
            found["estimated_minutes"] = PROLIFIC_DEFAULT_MINUTES if minutes is None else minutes
        found[field_name] = section
    for group in LAUNCH_GROUPS:
        found[group] = choices.get(group, "")
    found["mephisto_extra"] = {
        key: value for key, value in mephisto.items() if key not in ("task", *SECTIONS)
    }
    found["top_level"] = {
        key: value for key, value in document.items() if key not in ("mephisto", "defaults")
    }
    if not escaped:
        # Resolved text is literal: stored the way a config file writes it.
        for name in (*SECTIONS.values(), "mephisto_extra", "top_level", "blueprint_source"):
            if name in found:
                found[name] = hydra.map_strings(found[name], hydra.escape_interpolations)
    return found


def _add_document(batch, source, value, *, escaped, origin=None):
    """Read one config document: its task section is checked field by field, and
    everything else it holds is kept with the run, then validated as the model does."""
    origin = dict(origin or {})
    if isinstance(value, dict) and "mephisto" in value:
        mephisto = value["mephisto"]
        if not isinstance(mephisto, dict):
            batch.add(
                Document(source, errors=[f"mephisto: must be a mapping, not {_kind(mephisto)}."])
            )
            return
        try:
            origin.update(_whole_config(value, mephisto, escaped=escaped))
        except ValueError as error:
            batch.add(Document(source, errors=[str(error)]))
            return
        value = mephisto.get("task")
        others = other_files(origin["defaults"] if isinstance(origin["defaults"], list) else [])
        if others:
            batch.notices.append(_unseen(source, others, origin, value))
        if value is None:
            batch.add(Document(source, errors=["has no mephisto.task section."]))
            return
    if not isinstance(value, dict):
        batch.add(
            Document(source, errors=[f"must be a mapping of task fields, not {_kind(value)}."])
        )
        return
    batch.add(validate(source, value, escaped=escaped, origin=origin))


def _unseen(source, others, origin, task):
    """The notice for a config whose defaults list names files not in the upload:
    which values Taskadmin cannot see."""
    names = " and ".join(str(other) for other in others)
    parts = []
    unchosen = [group for group in LAUNCH_GROUPS if not origin.get(group)]
    if unchosen:
        parts.append(f"the launch setup: {_and(unchosen)}")
    parts.append("the blueprint's arguments")
    left_out = [
        name for name in TaskRun.CONFIG_FIELDS if not isinstance(task, dict) or name not in task
    ]
    if left_out:
        parts.append(f"the task fields this file leaves out: {', '.join(left_out)}")
    several = len(others) > 1
    return (
        f"{source}: the defaults list names {names}, which {'are' if several else 'is'} not"
        f" in this upload; the values {names} {'set' if several else 'sets'}"
        f" ({'; '.join(parts)}; …) are not in"
        " this upload, so Taskadmin keeps the entry but cannot check or show them, and"
        " gives those task fields its own defaults. Upload the files together (a zip, or"
        " several files at once) to compose them as Hydra does."
    )


def _and(words):
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def validate(source, task, *, escaped=False, origin=None):
    """A Document for one `mephisto.task` mapping, checked exactly as the model checks it."""
    errors = []
    unknown = [str(key) for key in task if key not in TaskRun.CONFIG_FIELDS]
    if unknown:
        errors.append(
            f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}:"
            " Mephisto would refuse the config."
        )
    values, interpolated = {}, []
    for name, kind in schema.field_types().items():
        if name not in task or task[name] == hydra.MISSING:
            continue  # missing: the model's default, or its "required" message
        value = task[name]
        read = functools.partial(_read_field, name, kind, escaped)
        if isinstance(value, dict | list):
            value, problems, interpolation = read(value)
        else:
            # Scalars repeat from run to run: each distinct one is read once a batch.
            check = "import escaped" if escaped else "import resolved"
            value, problems, interpolation = verdict(check, name, value, read)
        errors.extend(problems)
        if interpolation:
            interpolated.append(name)
        if not problems:
            values[name] = value
    origin = dict(origin or {})
    for name in (*LAUNCH_GROUPS, "blueprint_source"):
        if name in origin and not isinstance(origin[name], str):
            errors.append(f"{name}: {_type_error('string', origin.pop(name))}")
    minutes = origin.get("estimated_minutes")
    if minutes is not None and (isinstance(minutes, bool) or not isinstance(minutes, int)):
        errors.append(
            f"mephisto.provider.{PROLIFIC_MINUTES_ARGUMENT}: "
            f"{_type_error('integer', origin.pop('estimated_minutes'))}"
        )
    # With a defaults list naming other files (base), what this file leaves out
    # is theirs to set: remembered, so the export does not write it over them.
    unset = (
        [name for name in TaskRun.CONFIG_FIELDS if name not in task or task[name] == hydra.MISSING]
        if isinstance(origin.get("defaults"), list) and other_files(origin["defaults"])
        else []
    )
    run = TaskRun(**values, **origin, interpolated=interpolated, unset_fields=unset)
    try:
        # Constraints are the database's backstop (apply() runs them); the field
        # validators carry the messages, and parsing must not need a database.
        run.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            if name in values or name in origin or name not in task or task[name] == hydra.MISSING:
                errors.extend(f"{name}: {message}" for message in messages)
    if errors:
        return Document(source, errors=errors)
    # apply() (run_create_many) need not check it again while it is unchanged.
    run.mark_clean()
    return Document(source, run=run, status=NEW)


def _read_field(name, kind, escaped, value):
    """(the value to give the model, a tuple of error messages, whether it is kept
    as an interpolation): one `mephisto.task` value as `validate` reads it."""
    interpolation = False
    if escaped and hydra.holds_interpolation(value):
        if kind in ("integer", "number", "boolean"):
            return (
                value,
                (
                    f"{name}: an interpolation ({_show_key(str(value))[:40]}) cannot stand"
                    " for a number or true/false here: Taskadmin checks the value, so give it.",
                ),
                False,
            )
        # Kept as written: Mephisto resolves it when it launches.
        interpolation = name not in TaskRun.CONFIG_TEXT_FIELDS
    elif escaped and name not in TaskRun.CONFIG_TEXT_FIELDS:
        value = hydra.map_strings(value, hydra.unescape_interpolations)
    elif not escaped and name in TaskRun.CONFIG_TEXT_FIELDS and isinstance(value, str):
        # Resolved text is literal; these fields hold OmegaConf's text.
        value = hydra.escape_interpolations(value)
    message = _type_error(kind, value)
    if message:
        return value, (f"{name}: {message}",), False
    if name == "task_name" and value is None:
        value = ""
    elif kind == "number":
        value = Decimal(str(value))
    if kind in ("integer", "number"):
        # Out of range (1e30, 10**4000) is refused here, with the model field's
        # own message: the model's cross-field rules would compute with it.
        try:
            TaskRun._meta.get_field(name).run_validators(value)
        except ValidationError as error:
            return value, tuple(f"{name}: {message}" for message in error.messages), False
    return value, (), interpolation


def _type_error(kind, value):
    expected = kind if isinstance(kind, str) else kind[0]
    if kind == "object":
        # The model's own validator and message: its full_clean skips validators
        # for "empty" values, so [] or "" would otherwise pass as aux_parameters.
        try:
            validate_json_object(value)
        except ValidationError as error:
            return error.messages[0]
        return None
    if value is None and isinstance(kind, list) and "null" in kind:
        return None
    ok = {
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "string": isinstance(value, str),
    }[expected]
    if expected == "number" and isinstance(value, float) and not math.isfinite(value):
        ok = False  # NaN, .inf, 1e400: no reward or duration is infinite
    if ok:
        return None
    return wrong_type_message(expected, value)


def _kind(value):
    if isinstance(value, hydra.LongInteger):
        return str(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "nothing"
    return json.dumps(value, default=str)


# -- Preview and apply ---------------------------------------------------------------


def _key(run):
    config = exporting.hydra_config(run)
    # Compared as Hydra composes them: a defaults list without _self_ has it
    # last, which is also how an overrides line (that cannot write it) reads.
    config["defaults"] = as_composed(config["defaults"])
    return json.dumps(config, sort_keys=True, ensure_ascii=False)


def preview(batch, *, progress=None, warnings=True):
    """Mark each valid document as new or identical to a saved run (or an earlier one),
    and (unless `warnings` is False) list the warnings saving each new one would
    ask about.

    The saved runs are read with one query per 500 distinct titles, and the runs
    sharing a task name (a warning) one per 500 names: not one per document.
    `progress(done, total)`, if given, is called every PROGRESS_EVERY documents
    and at the end, total being the batch's documents.
    """
    total = len(batch.documents)
    valid = [doc for doc in batch.documents if doc.run is not None]
    titles = sorted({doc.run.task_title for doc in valid})
    saved = []
    for start in range(0, len(titles), CHUNK):
        saved += TaskRun.objects.filter(task_title__in=titles[start : start + CHUNK])
    seen = {}
    for run in sorted(saved, key=lambda run: run.pk):
        seen.setdefault(_key(run), run)
    names = set()
    known = rules.runs_named(doc.run.task_name for doc in valid)
    with rules.names_known(known), remembered():
        for done, doc in enumerate(batch.documents, 1):
            if doc.run is not None:
                key = doc.key = doc.key or _key(doc.run)
                doc.existing = seen.get(key)
                doc.status = IDENTICAL if key in seen else NEW
                seen.setdefault(key, doc.run)
                if doc.status == NEW and warnings:
                    doc.warnings = services.warnings_for(doc.run)
                    name = doc.run.task_name
                    if name in names and "task_name_shared" not in {w.code for w in doc.warnings}:
                        doc.warnings.append(rules.shared_in_file(doc.run))
                    names.add(name or None)
            if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
                progress(done, total)
    return batch


# Values per `IN (...)` list: well within every database's parameter limit.
CHUNK = 500


class ImportRefused(Exception):
    """Nothing was imported: some documents are invalid and the user asked for all
    or nothing, or some new runs have warnings the user has not acknowledged."""

    def __init__(self, batch, message=None):
        self.batch = batch
        super().__init__(message or invalid_message(batch.count(INVALID)))


def invalid_message(invalid):
    return (
        f"Nothing imported: {invalid} run{'s are' if invalid != 1 else ' is'} invalid."
        " Fix the file, or import only the valid runs."
    )


def unread_message(codes):
    return f"Nothing imported: read the warnings and acknowledge each one ({', '.join(codes)})."


# The key of the PostgreSQL advisory lock that imports take (`_one_import_at_a_time`).
IMPORT_LOCK = int.from_bytes(b"taskimpt")


def _one_import_at_a_time():
    """Wait, within the transaction, until no other import's transaction is open.

    An import's preview must see the runs of an import that ran meanwhile, or both
    save the same runs (two posts of one file, two workers): its identical ones
    are skipped, not saved twice. SQLite's write lock already lets one import
    through at a time; PostgreSQL would let the second read before the first
    commits.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])


def apply(batch, *, only_valid=False, by=None, acknowledged=(), progress=None):
    """Save the new runs in one transaction; identical ones are skipped, not duplicated.

    `acknowledged` holds the warning codes the user has read; a new run with any
    other warning stops the whole import (ImportRefused), as the form would.
    The runs are saved through tasks.services.run_create_many, which checks each
    as run_save does, then inserts them (and their history) in bulk.
    `progress(done, total)`, if given, is called every PROGRESS_EVERY documents
    and at the end; total is three times the documents: previewed again, then
    the new runs checked, then saved.
    Raises ImportRefused; nothing is saved then.
    """
    documents = len(batch.documents)
    total = 3 * documents

    def saving(done, of):
        # run_create_many counts the new runs twice (checked, saved): scaled to
        # the two thirds of the documents that follow the preview.
        progress(documents + done * 2 * documents // of, total)

    with transaction.atomic():
        _one_import_at_a_time()
        # Which runs are new, compared with what is saved now. Their warnings
        # are run_create_many's to check (it refuses the first unread one); the
        # whole list is worked out only to show a refusal.
        preview(
            batch,
            progress=progress and (lambda done, _: progress(done, total)),
            warnings=False,
        )
        if batch.count(INVALID) and not only_valid:
            raise ImportRefused(preview(batch))
        new = [doc for doc in batch.documents if doc.status == NEW]
        # Any failure here (a rule another save broke meanwhile, a constraint)
        # rolls the whole import back.
        try:
            created = services.run_create_many(
                [doc.run for doc in new],
                by=by,
                via=f"import: {batch.name}",
                acknowledged=acknowledged,
                progress=progress and saving,
            )
        except services.UnreadWarnings as error:
            unread = preview(batch).unread(acknowledged)
            if unread:
                raise ImportRefused(batch, unread_message(unread)) from None
            # A warning that an earlier run of this file brought on.
            [source] = [doc.source for doc in new if doc.run is error.run]
            raise ImportRefused(
                batch,
                f"Nothing imported: {source} has warnings to acknowledge"
                f" ({', '.join(error.codes)}).",
            ) from None
    if progress is not None and not new:
        progress(total, total)
    return Result(created, batch.count(IDENTICAL), batch.count(INVALID))


def read_paths(paths):
    """[(name, bytes)] of several files, each named relative to the folder that holds
    them all ("conf/base.yaml"), so a defaults entry finds them as Hydra would."""
    if len(paths) == 1:
        return [read_path(paths[0])]
    folders = [path.resolve().parent for path in paths]
    common = Path(os.path.commonpath(folders))
    found = []
    for path, folder in zip(paths, folders, strict=True):
        _, data = read_path(path)
        found.append(((folder / path.name).relative_to(common).as_posix(), data))
    return found


def read_path(path):
    """A file's name and bytes, refusing one over the limit before reading it."""
    size = path.stat().st_size
    if size > max_bytes():
        raise ImportFailure(size_error(path.name, size))
    return path.name, path.read_bytes()
