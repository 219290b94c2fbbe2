"""Task runs in from config files and Mephisto databases: parse → preview → apply.

- `parse(name, data)` reads a file's bytes into documents, each validated by the
  model (`full_clean`), without touching the database. A file that cannot be read
  at all (empty, too big, not UTF-8, a YAML bomb, nested too deeply) raises
  ImportFailure; a document that is wrong is kept with its messages.
- `preview(documents)` marks each valid document as new or identical to a saved run.
- `apply(documents, only_valid=..., by=...)` saves the new ones in one transaction.

Views, admin and management commands only call these.
"""

import io
import json
import re
import sqlite3
import zipfile
from dataclasses import dataclass, field
from datetime import UTC
from decimal import Decimal
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from tasks import exporting, hydra, rules, schema, services
from tasks.models import TaskRun
from tasks.providers import (
    BLUEPRINT_MAIN_ARGUMENT,
    PROLIFIC_DEFAULT_MINUTES,
    PROLIFIC_MINUTES_ARGUMENT,
    Provider,
)
from tasks.validators import validate_json_object

NEW, IDENTICAL, INVALID = "new", "identical", "invalid"
MAX_DEPTH = 50  # nesting of a document, aux_parameters included
MAX_NODES = 100_000  # values in one file, counted as if aliases were expanded
MAX_ZIP_MEMBERS = 1000
SQLITE_MAGIC = b"SQLite format 3\x00"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")


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


def max_bytes():
    return settings.TASKADMIN_IMPORT_MAX_BYTES


def size_error(name, size):
    return (
        f"{name} is {size / 1_000_000:.1f} MB; the import limit is"
        f" {max_bytes() / 1_000_000:.1f} MB. Split it into smaller files."
    )


# -- Parse ---------------------------------------------------------------------------


def parse(name, data):
    """Read one file's bytes into a Batch of validated documents (no database access)."""
    batch = Batch(name)
    _read_file(batch, name, data, in_zip=False)
    if not batch.documents:
        raise ImportFailure(f"{name} holds no task runs.")
    return batch


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
    if re.match(r"""['"+]*mephisto[./]""", stripped):
        return _read_overrides(batch, name, text)
    return _read_yaml(batch, name, text)


def _read_json(batch, name, text):
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data":
            return _read_json_lines(batch, name, text)
        raise ImportFailure(
            f"{name} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None
    except RecursionError:
        raise ImportFailure(_too_deep(name)) from None
    _add_value(batch, name, value, escaped=False)


def _read_json_lines(batch, name, text):
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        source = f"{name} line {number}"
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            batch.documents.append(
                Document(source, errors=[f"not valid JSON: {error.msg} at column {error.colno}."])
            )
            continue
        except RecursionError:
            raise ImportFailure(_too_deep(source)) from None
        _check_shape(source, value)
        _add_document(batch, source, value, escaped=False)


def _read_yaml(batch, name, text):
    try:
        value = hydra.load_yaml(text)
    except hydra.YAMLError as error:
        raise ImportFailure(f"{name}: {error}") from None
    except RecursionError:
        raise ImportFailure(_too_deep(name)) from None
    # A Hydra config escapes ${ as \${: read the values OmegaConf would give.
    _add_value(batch, name, value, escaped=True)


def _read_overrides(batch, name, text):
    try:
        pairs = hydra.split_overrides(text)
    except hydra.OverrideError as error:
        raise ImportFailure(f"{name}: {error}") from None
    # Rebuilt as the Hydra config these overrides make, then read like one.
    defaults, blueprint, provider, task, ignored = [], {}, {}, {}, []
    for key, value in pairs:
        if key.startswith(exporting.OVERRIDE_PREFIX):
            task[key.removeprefix(exporting.OVERRIDE_PREFIX)] = value
        elif key.removeprefix("mephisto/") in LAUNCH_GROUPS and key.startswith("mephisto/"):
            defaults.append({key: value})
        elif key.startswith("mephisto.blueprint.") and key.count(".") == 2:
            blueprint[key.rpartition(".")[2]] = value
        elif key == f"mephisto.provider.{PROLIFIC_MINUTES_ARGUMENT}":
            provider[PROLIFIC_MINUTES_ARGUMENT] = value
        else:
            ignored.append(key)
    if ignored:
        batch.notices.append(
            f"{name}: ignored the overrides outside mephisto.task: {', '.join(ignored)}."
        )
    mephisto = {
        "task": task,
        **({"blueprint": blueprint} if blueprint else {}),
        **({"provider": provider} if provider else {}),
    }
    _add_document(batch, name, {"defaults": defaults, "mephisto": mephisto}, escaped=True)


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
    except zipfile.BadZipFile as error:
        raise ImportFailure(f"{name} is not a readable zip file: {error}.") from None
    if len(members) > MAX_ZIP_MEMBERS:
        raise ImportFailure(f"{name} holds more than {MAX_ZIP_MEMBERS} files.")
    total = 0
    for info in members:
        member_name = f"{name}/{info.filename}"
        try:
            with archive.open(info) as member:
                # Read no more than the limit, whatever the header claims.
                content = member.read(max_bytes() - total + 1)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError) as error:
            raise ImportFailure(f"{member_name} cannot be unpacked: {error}.") from None
        total += len(content)
        if total > max_bytes():
            raise ImportFailure(f"{name} unpacks to more than the import limit.")
        _read_file(batch, member_name, content, in_zip=True)


def _read_database(batch, name, data):
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(data)
        rows = connection.execute(
            "SELECT task_run_id, creation_date, init_params FROM task_runs ORDER BY task_run_id"
        ).fetchall()
    except sqlite3.Error as error:
        raise ImportFailure(
            f"{name} is not a Mephisto database (no readable task_runs table: {error})."
        ) from None
    finally:
        connection.close()
    batch.notices.append(
        f"{name}: imported each run's mephisto.task section and its provider, architect"
        " and blueprint choices; their other settings are ignored."
    )
    for run_id, created, init_params in rows:
        source = f"{name} task_run {run_id}"
        try:
            # init_params is a JSON string whose content is the YAML of the mephisto node.
            node = hydra.load_yaml(json.loads(init_params))
        except (json.JSONDecodeError, TypeError, hydra.YAMLError, RecursionError) as error:
            batch.documents.append(Document(source, errors=[f"init_params: unreadable ({error})"]))
            continue
        _check_shape(source, node)
        if isinstance(node, dict) and "mephisto" in node:
            node = node["mephisto"]
        if not isinstance(node, dict):
            node = {}
        created_at = _as_datetime(created)
        # A row in Mephisto's database is a run that was launched: it arrives
        # launched, so its config is read-only from the start.
        origin = {
            "mephisto_task_run_id": str(run_id),
            "mephisto_created_at": created_at,
            "status": TaskRun.Status.LAUNCHED,
            "launched_at": created_at,
        }
        # Mephisto stores the resolved config: its strings are literal.
        _add_document(
            batch,
            source,
            node.get("task"),
            escaped=False,
            origin={**origin, **_launch_setup([], node, escaped=False)},
        )


def _as_datetime(value):
    moment = parse_datetime(str(value or ""))
    if moment is not None and timezone.is_naive(moment):
        # SQLite's CURRENT_TIMESTAMP is UTC.
        moment = moment.replace(tzinfo=UTC)
    return moment


def _too_deep(name):
    return f"{name} is nested too deeply (more than {MAX_DEPTH} levels)."


def _check_shape(name, value):
    """Refuse values nested too deeply or too big once aliases are expanded."""
    stack = [(value, 0)]
    nodes = 0
    while stack:
        item, depth = stack.pop()
        nodes += 1
        if nodes > MAX_NODES:
            raise ImportFailure(f"{name} holds more than {MAX_NODES} values.")
        if depth > MAX_DEPTH:
            raise ImportFailure(_too_deep(name))
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)


def _add_value(batch, name, value, *, escaped):
    """A whole file's value: one document, or a list of documents."""
    _check_shape(name, value)
    if isinstance(value, list):
        for number, item in enumerate(value, 1):
            _add_document(batch, f"{name} item {number}", item, escaped=escaped)
    else:
        _add_document(batch, name, value, escaped=escaped)


LAUNCH_GROUPS = ("provider", "architect", "blueprint")


def _launch_setup(defaults, mephisto, *, escaped):
    """Provider, architect, blueprint (and its main file) from a Hydra config's defaults
    list (`- /mephisto/provider: prolific`) or a resolved config's `_provider_type` keys."""
    found = {}
    for group in LAUNCH_GROUPS:
        section = mephisto.get(group)
        if isinstance(section, dict) and f"_{group}_type" in section:
            found[group] = section[f"_{group}_type"]
    for entry in defaults if isinstance(defaults, list) else []:
        for key, choice in entry.items() if isinstance(entry, dict) else ():
            group = str(key).lstrip("/").removeprefix("mephisto/")
            if group in LAUNCH_GROUPS:
                found[group] = choice
    if found.get("provider") == Provider.PROLIFIC:
        section = mephisto.get("provider")
        minutes = section.get(PROLIFIC_MINUTES_ARGUMENT) if isinstance(section, dict) else None
        # Absent, Mephisto uses its own default: so does the import.
        found["estimated_minutes"] = PROLIFIC_DEFAULT_MINUTES if minutes is None else minutes
    main = BLUEPRINT_MAIN_ARGUMENT.get(found.get("blueprint"))
    section = mephisto.get("blueprint")
    if main and isinstance(section, dict) and main in section:
        found["blueprint_source"] = section[main]
        if escaped and isinstance(found["blueprint_source"], str):
            found["blueprint_source"] = hydra.unescape_interpolations(found["blueprint_source"])
    return found


def _add_document(batch, source, value, *, escaped, origin=None):
    """Find the task section in `value`, then validate it as the model does."""
    origin = dict(origin or {})
    if isinstance(value, dict) and "mephisto" in value:
        mephisto = value["mephisto"]
        others = sorted(str(key) for key in value if key not in ("mephisto", "defaults"))
        if isinstance(mephisto, dict):
            try:
                origin.update(_launch_setup(value.get("defaults"), mephisto, escaped=escaped))
            except hydra.InterpolationError as error:
                batch.documents.append(Document(source, errors=[f"blueprint_source: {error}"]))
                return
            read = {
                "task",
                *(("blueprint",) if "blueprint_source" in origin else ()),
                *(("provider",) if "estimated_minutes" in origin else ()),
            }
            others += sorted(f"mephisto.{key}" for key in mephisto if key not in read)
            value = mephisto.get("task")
        else:
            value = None
        if others:
            batch.notices.append(f"{source}: ignored the sections {', '.join(others)}.")
        if value is None:
            batch.documents.append(Document(source, errors=["has no mephisto.task section."]))
            return
    if not isinstance(value, dict):
        batch.documents.append(
            Document(source, errors=[f"must be a mapping of task fields, not {_kind(value)}."])
        )
        return
    batch.documents.append(validate(source, value, escaped=escaped, origin=origin))


def validate(source, task, *, escaped=False, origin=None):
    """A Document for one `mephisto.task` mapping, checked exactly as the model checks it."""
    errors = []
    unknown = [str(key) for key in task if key not in TaskRun.CONFIG_FIELDS]
    if unknown:
        errors.append(
            f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}:"
            " Mephisto would refuse the config."
        )
    values = {}
    for name, kind in schema.field_types().items():
        if name not in task or task[name] == hydra.MISSING:
            continue  # missing: the model's default, or its "required" message
        value = task[name]
        if escaped:
            try:
                value = hydra.map_strings(value, hydra.unescape_interpolations)
            except hydra.InterpolationError as error:
                errors.append(f"{name}: {error}")
                continue
        message = _type_error(kind, value)
        if message:
            errors.append(f"{name}: {message}")
            continue
        if name == "task_name" and value is None:
            value = ""
        elif kind == "number":
            value = Decimal(str(value))
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
    run = TaskRun(**values, **origin)
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
    return Document(source, run=run, status=NEW)


_KINDS = {
    "integer": "a whole number such as 1800",
    "number": "a number such as 0.5",
    "boolean": "true or false",
    "string": "text",
}


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
    if expected == "number" and isinstance(value, float) and value != value:
        ok = False
    if ok:
        return None
    shown = json.dumps(value, ensure_ascii=False, default=str)
    if len(shown) > 40:
        shown = shown[:39] + "…"
    return f"Must be {_KINDS[expected]}, not {shown}."


def _kind(value):
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "nothing"
    return json.dumps(value, default=str)


# -- Preview and apply ---------------------------------------------------------------


def _key(run):
    return json.dumps(exporting.task_config(run), sort_keys=True, ensure_ascii=False)


def preview(batch):
    """Mark each valid document as new or identical to a saved run (or an earlier one),
    and list the warnings saving each new one would ask about."""
    valid = [doc for doc in batch.documents if doc.run is not None]
    titles = {doc.run.task_title for doc in valid}
    seen = {}
    for run in TaskRun.objects.filter(task_title__in=titles).order_by("pk"):
        seen.setdefault(_key(run), run)
    names = set()
    for doc in valid:
        key = _key(doc.run)
        doc.existing = seen.get(key)
        doc.status = IDENTICAL if key in seen else NEW
        seen.setdefault(key, doc.run)
        if doc.status == NEW:
            doc.warnings = services.warnings_for(doc.run)
            name = doc.run.task_name
            if name in names and "task_name_shared" not in {w.code for w in doc.warnings}:
                doc.warnings.append(rules.shared_in_file(doc.run))
            names.add(name or None)
    return batch


class ImportRefused(Exception):
    """Nothing was imported: some documents are invalid and the user asked for all
    or nothing, or some new runs have warnings the user has not acknowledged."""

    def __init__(self, batch, message=None):
        self.batch = batch
        invalid = batch.count(INVALID)
        super().__init__(
            message
            or f"Nothing imported: {invalid} run{'s are' if invalid != 1 else ' is'} invalid."
            " Fix the file, or import only the valid runs."
        )


def apply(batch, *, only_valid=False, by=None, acknowledged=()):
    """Save the new runs in one transaction; identical ones are skipped, not duplicated.

    `acknowledged` holds the warning codes the user has read; a new run with any
    other warning stops the whole import (ImportRefused), as the form would.
    Each run is saved through tasks.services, as every other path saves.
    """
    with transaction.atomic():
        preview(batch)
        if batch.count(INVALID) and not only_valid:
            raise ImportRefused(batch)
        unread = batch.unread(acknowledged)
        if unread:
            raise ImportRefused(
                batch,
                "Nothing imported: read the warnings and acknowledge each one"
                f" ({', '.join(unread)}).",
            )
        created = []
        for doc in batch.documents:
            if doc.status != NEW:
                continue
            # Any failure here (a rule another save broke meanwhile, a
            # constraint) rolls the whole import back.
            try:
                services.run_save(
                    doc.run, by=by, via=f"import: {batch.name}", acknowledged=acknowledged
                )
            except services.UnreadWarnings as error:
                # A warning that saving an earlier run of this file brought on.
                raise ImportRefused(
                    batch,
                    f"Nothing imported: {doc.source} has warnings to acknowledge"
                    f" ({', '.join(error.codes)}).",
                ) from None
            created.append(doc.run)
    return Result(created, batch.count(IDENTICAL), batch.count(INVALID))


def read_path(path):
    """A file's name and bytes, refusing one over the limit before reading it."""
    size = path.stat().st_size
    if size > max_bytes():
        raise ImportFailure(size_error(path.name, size))
    return path.name, path.read_bytes()
