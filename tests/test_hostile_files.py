"""Hostile and odd files: every entry point answers with a clear message, in seconds.

Each file below once ended in a 500, a hung worker or a silent change. Each is tried
through every way a file comes in (importing.parse, the browser's import page,
`import_task_runs --dry-run`, `check_task_config`), which must agree: no exception,
no 5xx, the message naming the file (and the document and key where there is one),
nothing saved, and a bound on time and memory.
"""

import html
import io
import json
import sqlite3
import time
import tracemalloc
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from tasks import importing
from tasks.models import TaskRun
from tests.conftest import form_data
from tests.html import field_errors

pytestmark = pytest.mark.django_db
# The cases below that hold too many runs or bytes are built for these caps (the
# defaults are larger, and the same code counts against them: see
# test_importing_bulk).
MAX_RUNS = 1000
MAX_BYTES = 10_000_000


@pytest.fixture(autouse=True)
def small_caps(settings):
    settings.TASKADMIN_IMPORT_MAX_RUNS = MAX_RUNS
    settings.TASKADMIN_IMPORT_MAX_BYTES = MAX_BYTES


# A guard against hangs, not a speed target (timing belongs in bench/): each of
# these files is refused or read in a second or two, but this machine is shared.
SECONDS = 60
PEAK_BYTES = 100_000_000  # Python memory at its peak while reading one

TASK = {"task_title": "T", "task_description": "D", "task_reward": 0.5, "task_tags": "t"}
BIG = "1" + "0" * 5000  # Python refuses to read more than 4,300 digits
BIG_MESSAGE = "a number of 5,001 digits is too long to read (at most 4,300)."
SURROGATE_MESSAGE = (
    "text with an unpaired surrogate escape (\\ud800 to \\udfff) cannot be stored or shown;"
    " remove it."
)
DUPLICATE = "Hydra and OmegaConf refuse a key given twice; keep one."
TOO_MANY_DIGITS = (
    "Use at most 2 decimal places (providers pay in whole cents) and at most 8 digits"
    " before the point."
)


def document(task=None, **sections):
    return {"mephisto": {"task": {**TASK, **(task or {})}, **sections}}


def json_bytes(value):
    return json.dumps(value).encode()


def task_yaml(extra="", reward="0.5", provider=None):
    head = f"defaults:\n  - /mephisto/provider: {provider}\n" if provider else ""
    return (
        f"{head}mephisto:\n  task:\n    task_title: T\n    task_description: D\n"
        f"    task_reward: {reward}\n    task_tags: t\n{extra}"
    ).encode()


def zipped(method=zipfile.ZIP_DEFLATED, **members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def database(schema, *statements, rows=()):
    """A SQLite database's bytes, built with the standard library."""
    connection = sqlite3.connect(":memory:")
    connection.executescript(schema)
    for statement in statements:
        connection.execute(statement)
    if rows:
        connection.executemany("INSERT INTO task_runs VALUES (?, ?, ?)", rows)
    connection.commit()
    data = connection.serialize()
    connection.close()
    return data


MEPHISTO_SCHEMA = (
    "CREATE TABLE task_runs (task_run_id INTEGER PRIMARY KEY, creation_date DATETIME"
    " DEFAULT CURRENT_TIMESTAMP, init_params TEXT)"
)


def mephisto_row(run_id=1, created="2024-03-01 10:00:00", yaml=None):
    """A row as Mephisto stores it: init_params is a JSON string holding the YAML
    of the mephisto node."""
    yaml = (
        yaml or "task:\n  task_title: T\n  task_description: D\n  task_reward: 1\n  task_tags: t\n"
    )
    return (run_id, created, json.dumps(yaml))


def mephisto_database(*rows):
    return database(MEPHISTO_SCHEMA, rows=rows)


def rows_of(count):
    return (
        f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT {count})"
        " INSERT INTO task_runs (task_run_id) SELECT i FROM n"
    )


def swollen_member_zip():
    """A zip whose member says it holds 100 bytes but inflates to 20 MB."""
    data = bytearray(zipped(**{"run.json": b" " * 20_000_000}))
    for signature, size_offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature)
        data[at + size_offset : at + size_offset + 4] = (100).to_bytes(4, "little")
    return bytes(data)


def damaged(data, *patches):
    """`data` with each (signature, offset from it, bytes) written over it: the first
    local header (PK\\x03\\x04), the central directory's entry (PK\\x01\\x02), its end
    (PK\\x05\\x06)."""
    data = bytearray(data)
    for signature, offset, patch in patches:
        at = data.index(signature) + offset
        data[at : at + len(patch)] = patch
    return bytes(data)


RUN_JSON = zipped(**{"run.json": json_bytes(TASK) * 20})
# The first bytes of each member's compressed stream (after its 30-byte header and name).
STREAM = 30 + len("run.json")


def garbled_stream(method):
    return damaged(
        zipped(method, **{"run.json": b"{}" * 100}),
        (b"PK\x03\x04", STREAM + 6, b"\x00\xff\x00\xff\x13\x37"),
    )


# (case id, file name, content, a message every entry point shows)
HOSTILE = [
    # 1. Integers of 5,000 digits, in every format and wherever they sit.
    (
        "long integer in a JSON task field",
        "run.json",
        json.dumps(document()).replace('"task_reward": 0.5', f'"task_reward": {BIG}').encode(),
        f"run.json: mephisto.task.task_reward: {BIG_MESSAGE}",
    ),
    (
        "long integer in a JSON list's second document",
        "runs.json",
        json.dumps([document(), document({"aux_parameters": {"seed": 0}})])
        .replace('"seed": 0', f'"seed": {BIG}')
        .encode(),
        f"runs.json item 2: mephisto.task.aux_parameters.seed: {BIG_MESSAGE}",
    ),
    (
        "long integer in a JSON Lines line",
        "runs.jsonl",
        b"\n".join(
            [json_bytes(TASK), json_bytes({**TASK, "aux_parameters": {"n": [1, 2]}})]
        ).replace(b"[1, 2]", f"[1, {BIG}]".encode()),
        f"runs.jsonl line 2: aux_parameters.n[1]: {BIG_MESSAGE}",
    ),
    (
        "long integer in a YAML section the import ignores",
        "config.yaml",
        task_yaml() + f"  architect:\n    port: {BIG}\n".encode(),
        f"config.yaml: mephisto.architect.port: {BIG_MESSAGE}",
    ),
    (
        "long integer written in hex in YAML",
        "config.yaml",
        task_yaml(f"    aux_parameters:\n      mask: 0x{'f' * 4000}\n"),
        "config.yaml: mephisto.task.aux_parameters.mask: a number of 4,817 digits is too long"
        " to read (at most 4,300).",
    ),
    (
        "long integer as a YAML key",
        "config.yaml",
        # An explicit key ("? "): YAML allows no longer plain key.
        task_yaml(f"    aux_parameters:\n      ? {BIG}\n      : x\n"),
        "config.yaml: mephisto.task.aux_parameters.<a number of 5,001 digits>: a number of"
        " 5,001 digits is too long to read (at most 4,300).",
    ),
    (
        "long integer in overrides",
        "launch.txt",
        (
            "mephisto.task.task_title=T mephisto.task.task_description=D"
            f" mephisto.task.task_reward={BIG} mephisto.task.task_tags=t"
        ).encode(),
        f"launch.txt: mephisto.task.task_reward: {BIG_MESSAGE}",
    ),
    (
        "long integer in a zip's member",
        "runs.zip",
        zipped(**{"a/run.yaml": task_yaml(f"    task_lifetime_in_seconds: {BIG}\n")}),
        f"runs.zip/a/run.yaml: mephisto.task.task_lifetime_in_seconds: {BIG_MESSAGE}",
    ),
    (
        "long integer in a Mephisto database's init_params",
        "database.db",
        mephisto_database(
            mephisto_row(
                7,
                yaml=f"task:\n  task_title: T\n  task_description: D\n  task_reward: {BIG}\n",
            )
        ),
        f"database.db task_run 7: task.task_reward: {BIG_MESSAGE}",
    ),
    (
        "long integer as a whole init_params",
        "database.db",
        mephisto_database((3, "2024-03-01", BIG)),
        "database.db task_run 3: init_params: must be a JSON string holding the config's"
        " YAML, not <a number of 5,001 digits>.",
    ),
    # 2. Lone surrogates in a key, or in a section the import ignores.
    (
        "lone surrogate in a JSON key",
        "run.json",
        json_bytes(document({"\ud800": 1})),
        f"run.json: mephisto.task.\\ud800: {SURROGATE_MESSAGE}",
    ),
    (
        "lone surrogate in an ignored JSON section",
        "run.json",
        json_bytes(document(architect={"heroku_app_name": "x\udc00"})),
        f"run.json: mephisto.architect.heroku_app_name: {SURROGATE_MESSAGE}",
    ),
    (
        "lone surrogate in an ignored section's key",
        "runs.jsonl",
        json_bytes({**document(), "\udfff": {}}),
        f"runs.jsonl line 1: \\udfff: {SURROGATE_MESSAGE}",
    ),
    (
        "lone surrogate in a YAML escape",
        "config.yaml",
        task_yaml('    aux_parameters: {"\\ud800": 1}\n'),
        f"config.yaml: mephisto.task.aux_parameters.\\ud800: {SURROGATE_MESSAGE}",
    ),
    (
        "lone surrogate in a task field",
        "run.json",
        json_bytes(document({"task_reward": "\ud800"})),
        f"run.json: mephisto.task.task_reward: {SURROGATE_MESSAGE}",
    ),
    # 3. Keys that are not text (YAML reads `1:` as a number, `null:` as null).
    (
        "aux_parameters keys 1 and null",
        "config.yaml",
        task_yaml("    aux_parameters: {1: a, null: b}\n"),
        "config.yaml: aux_parameters: Keys must be text: put 1 in quotes.",
    ),
    (
        "aux_parameters keys 0, 1 and other",
        "config.yaml",
        task_yaml("    aux_parameters: {0: a, 1: b, other: c}\n"),
        "config.yaml: aux_parameters: Keys must be text: put 0 in quotes.",
    ),
    (
        "aux_parameters with a nested null key",
        "config.yaml",
        task_yaml("    aux_parameters: {outer: {null: b}}\n"),
        "config.yaml: aux_parameters: Keys must be text: put null in quotes.",
    ),
    (
        # OmegaConf reads a plain 2024-01-01 as text: only an explicit tag makes a date.
        "aux_parameters holding a YAML date",
        "config.yaml",
        task_yaml("    aux_parameters: {since: !!timestamp 2024-01-01}\n"),
        "config.yaml: aux_parameters: Values must be text, numbers, true/false or null:"
        " put 2024-01-01 in quotes.",
    ),
    # 4. Mephisto database rows that are odd, each its own message.
    (
        "init_params that is JSON but not a string",
        "database.db",
        mephisto_database(mephisto_row(1), (2, "2024-03-01", "123")),
        "database.db task_run 2: init_params: must be a JSON string holding the config's YAML,"
        " not 123.",
    ),
    (
        "creation_date of February 30",
        "database.db",
        mephisto_database(mephisto_row(5, created="2024-02-30 10:00:00")),
        "database.db task_run 5: creation_date: 2024-02-30 10:00:00 is not a date and time.",
    ),
    (
        "init_params that is not UTF-8",
        "database.db",
        database(
            MEPHISTO_SCHEMA,
            "INSERT INTO task_runs VALUES (1, '2024-03-01', CAST(x'22ff22' AS TEXT))",
        ),
        "database.db row 1: holds text that is not UTF-8.",
    ),
    (
        "init_params of two million characters",
        "database.db",
        database(
            MEPHISTO_SCHEMA,
            "INSERT INTO task_runs VALUES (1, '2024-03-01', printf('%.*c', 2000000, 'x'))",
        ),
        "database.db task_run 1: init_params: 2,000,000 characters; at most 1,000,000 are read.",
    ),
    (
        "task_run_id of a million characters",
        "database.db",
        database(
            "CREATE TABLE task_runs (task_run_id, creation_date, init_params)",
            "INSERT INTO task_runs VALUES (printf('%.*c', 1000000, '7'), '2024-03-01', '{}')",
        ),
        "database.db row 1: task_run_id: missing, or longer than 200 characters.",
    ),
    (
        "creation_date of a million characters",
        "database.db",
        database(
            MEPHISTO_SCHEMA,
            "INSERT INTO task_runs VALUES (2, printf('%.*c', 1000000, 'x'), '{}')",
        ),
        "database.db task_run 2: creation_date: longer than 200 characters.",
    ),
    # 5. Rewards no provider could pay (Prolific's rules computed with them).
    (
        "Prolific reward 1e30",
        "run.json",
        json_bytes({"defaults": [{"/mephisto/provider": "prolific"}], **document()}).replace(
            b'"task_reward": 0.5', b'"task_reward": 1e30'
        ),
        f"run.json: task_reward: {TOO_MANY_DIGITS}",
    ),
    (
        "Prolific reward 1e400",
        "run.json",
        json_bytes({"defaults": [{"/mephisto/provider": "prolific"}], **document()}).replace(
            b'"task_reward": 0.5', b'"task_reward": 1e400'
        ),
        "run.json: task_reward: Must be a number such as 0.5, not Infinity.",
    ),
    (
        "Prolific reward .inf",
        "config.yaml",
        task_yaml(reward=".inf", provider="prolific"),
        "config.yaml: task_reward: Must be a number such as 0.5, not Infinity.",
    ),
    (
        "Prolific reward 1.0e+30 in YAML",
        "config.yaml",
        task_yaml(reward="1.0e+30", provider="prolific"),
        f"config.yaml: task_reward: {TOO_MANY_DIGITS}",
    ),
    (
        "Prolific reward of 300 digits",
        "config.yaml",
        task_yaml(reward="9" * 300, provider="prolific"),
        f"config.yaml: task_reward: {TOO_MANY_DIGITS}",
    ),
    # 6. Crafted Mephisto databases: a few KB that describe endless or huge rows.
    (
        "task_runs as a never-ending recursive view",
        "database.db",
        database(
            "CREATE VIEW task_runs AS WITH RECURSIVE r(i) AS"
            " (SELECT 1 UNION ALL SELECT i + 1 FROM r)"
            " SELECT i AS task_run_id, 'now' AS creation_date, '{}' AS init_params FROM r"
        ),
        "database.db is not a Mephisto database: its task_runs is a view, not a table;"
        " only tables are read.",
    ),
    (
        "task_runs as a view of zeroblob rows",
        "database.db",
        database(
            "CREATE VIEW task_runs AS SELECT 1 AS task_run_id, 'now' AS creation_date,"
            " zeroblob(200000000) AS init_params"
        ),
        "database.db is not a Mephisto database: its task_runs is a view, not a table;"
        " only tables are read.",
    ),
    (
        "a generated column of zeroblob(200000000)",
        "database.db",
        database(
            "CREATE TABLE task_runs (task_run_id INTEGER PRIMARY KEY, creation_date TEXT,"
            " init_params AS (zeroblob(200000000)))",
            "INSERT INTO task_runs (task_run_id, creation_date) VALUES (1, '2024-03-01')",
        ),
        "database.db makes a value larger than the file itself (string or blob too big); refused.",
    ),
    (
        "a thousand and one rows",
        "database.db",
        database(MEPHISTO_SCHEMA, rows_of(1001)),
        "database.db holds more than 1,000 task runs; import at most that many at a time.",
    ),
    # 3 bytes a run, milliseconds each to validate: 12,000 of them held a worker
    # past gunicorn's 30 s timeout.
    (
        "twelve thousand empty documents in JSON Lines",
        "runs.jsonl",
        b"{}\n" * 12_000,
        "runs.jsonl holds more than 1,000 task runs; import at most that many at a time.",
    ),
    (
        "a million lines that are not JSON",
        "runs.jsonl",
        b"x\n" * 1_000_000,
        "runs.jsonl holds more than 1,000 task runs; import at most that many at a time.",
    ),
    (
        "a JSON array of 30,000 empty documents",
        "runs.json",
        ("[" + ",".join(["{}"] * 30_000) + "]").encode(),
        "runs.json holds more than 1,000 task runs; import at most that many at a time.",
    ),
    (
        "10,000 YAML documents",
        "runs.yaml",
        b"---\n{}\n" * 10_000,
        "runs.yaml holds more than 1,000 task runs; import at most that many at a time.",
    ),
    (
        "a zip of files that hold 1,001 runs together",
        "runs.zip",
        zipped(**{f"{i}.json": json_bytes([TASK] * 91) for i in range(11)}),
        "runs.zip holds more than 1,000 task runs; import at most that many at a time.",
    ),
    (
        "task_runs as a virtual table",
        "database.db",
        database("CREATE VIRTUAL TABLE task_runs USING fts5(task_run_id, creation_date, x)"),
        "database.db is not a Mephisto database: its task_runs is a virtual table.",
    ),
    # 7. Zip bombs and duplicate keys.
    (
        "zip member that inflates to 20 MB",
        "runs.zip",
        zipped(**{"run.json": b" " * 20_000_000}),
        "runs.zip unpacks to more than the import limit.",
    ),
    (
        "zip member that says 100 bytes and inflates to 20 MB",
        "runs.zip",
        swollen_member_zip(),
        "runs.zip/run.json cannot be unpacked: Bad CRC-32 for file 'run.json'.",
    ),
    (
        "zip whose version no reader knows",
        "runs.zip",
        damaged(RUN_JSON, (b"PK\x01\x02", 6, b"\xff\x00")),
        "runs.zip is not a readable zip file: zip file version 25.5.",
    ),
    (
        "zip whose file name says UTF-8 and is not",
        "runs.zip",
        damaged(RUN_JSON, (b"PK\x01\x02", 8, b"\x00\x08"), (b"PK\x01\x02", 46, b"\xff")),
        "runs.zip is not a readable zip file: 'utf-8' codec can't decode byte 0xff in"
        " position 0: invalid start byte.",
    ),
    (
        "zip whose member starts past the file's start",
        "runs.zip",
        damaged(RUN_JSON, (b"PK\x05\x06", 16, b"\xf0\xff\xff\xff")),
        "runs.zip/run.json cannot be unpacked: negative seek value",
    ),
    (
        "zip whose deflated stream is garbled",
        "runs.zip",
        damaged(RUN_JSON, (b"PK\x03\x04", STREAM + 2, b"\xff\xff\xff\xff")),
        "runs.zip/run.json cannot be unpacked: Error -3 while decompressing data:",
    ),
    (
        "zip whose bzip2 stream is garbled",
        "runs.zip",
        garbled_stream(zipfile.ZIP_BZIP2),
        "runs.zip/run.json cannot be unpacked: Invalid data stream.",
    ),
    (
        "zip whose LZMA stream is garbled",
        "runs.zip",
        garbled_stream(zipfile.ZIP_LZMA),
        "runs.zip/run.json cannot be unpacked: Corrupt input data.",
    ),
    (
        "zip of 1,001 files",
        "runs.zip",
        zipped(**{f"run-{n}.json": b"{}" for n in range(1001)}),
        "runs.zip holds more than 1000 files.",
    ),
    (
        "zip in a zip in a zip",
        "runs.zip",
        zipped(**{"inner.zip": zipped(**{"deeper.zip": zipped(**{"run.json": b"{}"})})}),
        "runs.zip/inner.zip: a zip inside a zip is not read; unpack it first.",
    ),
    (
        "duplicate key in JSON",
        "run.json",
        b'{"task_title": "A", "task_title": "B", "task_description": "D",'
        b' "task_reward": 1, "task_tags": "t"}',
        f"run.json: found duplicate key task_title: {DUPLICATE}",
    ),
    (
        "duplicate key in a JSON Lines line",
        "runs.jsonl",
        json_bytes(TASK) + b'\n{"aux_parameters": {"a": 1, "a": 2}}',
        f"runs.jsonl line 2: found duplicate key a: {DUPLICATE}",
    ),
    (
        "duplicate key in YAML",
        "config.yaml",
        task_yaml("    task_reward: 5\n"),
        f"config.yaml: found duplicate key task_reward at line 7, column 5: {DUPLICATE}",
    ),
    # JSON escapes let init_params hold characters YAML refuses: a server error once.
    (
        "a lone surrogate in a database row's YAML",
        "database.db",
        mephisto_database(mephisto_row(3, yaml="task:\n  task_title: \ud800\n")),
        "database.db task_run 3: init_params: unreadable (not valid YAML: unacceptable"
        ' character #xd800: special characters are not allowed in "<unicode string>",'
        " position 20)",
    ),
    (
        "a control character in a database row's YAML",
        "database.db",
        mephisto_database(mephisto_row(3, yaml="task:\n  task_title: a\x01b\n")),
        "database.db task_run 3: init_params: unreadable (not valid YAML: unacceptable"
        ' character #x0001: special characters are not allowed in "<unicode string>",'
        " position 21)",
    ),
    (
        "duplicate key in a database row's YAML",
        "database.db",
        mephisto_database(mephisto_row(4, yaml="task:\n  task_title: A\n  task_title: B\n")),
        "database.db task_run 4: init_params: unreadable (found duplicate key task_title at"
        f" line 3, column 3: {DUPLICATE})",
    ),
]


HOSTILE += [
    # 6. Override lines Hydra's parser refuses, or reads too slowly to be given.
    (
        "a sweep in an overrides file",
        "launch.txt",
        b"mephisto.task.task_title=T mephisto.task.task_reward=1,2",
        "launch.txt: mephisto.task.task_reward: sweeps (1,2) are not supported; give one value,"
        """ or quote text with commas for the shell and for Hydra:"""
        """ 'mephisto.task.task_reward="a,b"'.""",
    ),
    (
        "an override Hydra cannot parse",
        "launch.txt",
        b"mephisto.task.task_title=[1,",
        "launch.txt: 'mephisto.task.task_title=[1,' is not a valid Hydra override: no viable"
        " alternative at input '[1,'.",
    ),
    (
        "an override list of 5,000 items",
        "launch.txt",
        b"mephisto.task.aux_parameters={n:[" + b",".join([b"1"] * 5000) + b"]}",
        "launch.txt: mephisto.task.aux_parameters: more than 1,000 list or dict items in one"
        " value; export as YAML or JSON instead.",
    ),
    (
        "an overrides file of a megabyte",
        "launch.txt",
        b"mephisto.task.task_title=" + b"x" * 1_000_000,
        "launch.txt: 1,000,025 characters; an overrides file is a launch command line of at"
        " most 100,000. Export long values as YAML or JSON instead.",
    ),
    # 7. Multi-document YAML: each document named, the file's limits for all of them.
    (
        "long integer in a YAML file's second document",
        "runs.yaml",
        task_yaml() + b"---\n" + task_yaml(reward=BIG),
        f"runs.yaml document 2: mephisto.task.task_reward: {BIG_MESSAGE}",
    ),
    (
        "aliases over the limit across YAML documents",
        "runs.yaml",
        (task_yaml("    aux_parameters: {a: &a 1, b: [*a, *a, *a, *a, *a, *a, *a]}\n") + b"---\n")
        * 3,
        "runs.yaml: uses more than 20 YAML aliases (*name); write the values out instead.",
    ),
]


# -- The entry points, each returning everything it said --------------------------


def through_parse(name, data, request):
    try:
        batch = importing.preview(importing.parse(name, data))
    except importing.ImportFailure as error:
        return str(error)
    return "\n".join([*batch.notices, *batch.errors])


def through_browser(name, data, request):
    client = request.getfixturevalue("editor_client")
    response = client.post(reverse("tasks:run-import"), {"file": SimpleUploadedFile(name, data)})
    if response.status_code == 302:
        # Too large to read at once: a background job read it (at once in the
        # tests: tests/settings.py), and its page says what it found.
        response = client.get(response["Location"])
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def _command(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=err)
    except CommandError as error:
        err.write(str(error))
    return out.getvalue() + err.getvalue()


def through_dry_run(name, data, request):
    path = request.getfixturevalue("tmp_path") / name
    path.write_bytes(data)
    return _command("import_task_runs", str(path), "--dry-run")


def through_check(name, data, request):
    path = request.getfixturevalue("tmp_path") / name
    path.write_bytes(data)
    return _command("check_task_config", str(path))


ENTRY_POINTS = {
    "parse": through_parse,
    "browser": through_browser,
    "import --dry-run": through_dry_run,
    "check_task_config": through_check,
}


def bounded(read, name, data, request):
    """What `read` said, asserting it took under SECONDS and PEAK_BYTES."""
    request.getfixturevalue("editor_client")  # logged in before the clock starts
    tracemalloc.start()
    started = time.monotonic()
    try:
        said = read(name, data, request)
    finally:
        seconds = time.monotonic() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert seconds < SECONDS
    assert peak < PEAK_BYTES
    return said


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize(
    ("name", "data", "message"),
    [case[1:] for case in HOSTILE],
    ids=[case[0] for case in HOSTILE],
)
def test_hostile_file_gets_a_clear_message_and_changes_nothing(
    entry, name, data, message, request, make_run
):
    make_run()
    said = bounded(ENTRY_POINTS[entry], name, data, request)
    assert message in said
    assert TaskRun.objects.count() == 1


# -- Mephisto databases: what the bounded reader still reads -------------------------


def test_database_read_stops_after_its_time_budget_with_a_message():
    # Each row's generated value costs tens of milliseconds: the 1,000 rows a file
    # may hold here would take half a minute or more (harmless functions only: the
    # schema is not trusted). The column is added after the rows, or building the
    # file would take that long.
    data = database(
        "CREATE TABLE task_runs (task_run_id INTEGER PRIMARY KEY, creation_date TEXT)",
        rows_of(MAX_RUNS),
        "ALTER TABLE task_runs ADD COLUMN init_params AS ("
        + " + ".join(f"length(hex(zeroblob(40000{n} + task_run_id)))" for n in range(8))
        + ")",
    )
    assert len(data) < 100_000
    started = time.monotonic()
    with pytest.raises(importing.ImportFailure) as error:
        importing.parse("slow.db", data)
    assert time.monotonic() - started < SECONDS
    assert str(error.value) == "slow.db took longer than 5 seconds to read; refused."


def test_database_with_triggers_is_read_without_running_them():
    data = database(
        MEPHISTO_SCHEMA + "; CREATE TABLE log (x);"
        " CREATE TRIGGER t AFTER INSERT ON task_runs BEGIN INSERT INTO log VALUES (1); END;",
        rows=[mephisto_row(1)],
    )
    [doc] = importing.parse("database.db", data).documents
    assert (doc.errors, doc.run.task_title, doc.run.mephisto_task_run_id) == ([], "T", "1")


def test_database_rows_are_read_in_task_run_id_order_whatever_their_type():
    data = database(
        "CREATE TABLE task_runs (task_run_id, creation_date, init_params)",
        rows=[mephisto_row("b"), mephisto_row(2), mephisto_row("a")],
    )
    sources = [doc.source for doc in importing.parse("database.db", data).documents]
    assert sources == ["database.db task_run 2", "database.db task_run a", "database.db task_run b"]


# -- One nesting limit for the form and the import (issue 11, item 12) -----------------


def nested(levels):
    value = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


NESTING_MESSAGE = "Nest at most 50 levels of objects and lists."


def test_form_saves_aux_parameters_fifty_levels_deep(editor_client):
    data = form_data(aux_parameters=json.dumps(nested(50)))
    response = editor_client.post(reverse("tasks:run-create"), data)
    assert response.status_code == 302
    assert TaskRun.objects.get().aux_parameters == nested(50)


def test_form_refuses_aux_parameters_fifty_one_levels_deep_beside_the_field(editor_client):
    data = form_data(aux_parameters=json.dumps(nested(51)))
    response = editor_client.post(reverse("tasks:run-create"), data)
    assert response.status_code == 200
    assert field_errors(response.content.decode(), "aux_parameters") == [NESTING_MESSAGE]
    assert not TaskRun.objects.exists()


@pytest.mark.parametrize("fmt", ["json", "yaml", "overrides"])
def test_export_of_a_run_fifty_levels_deep_imports_again(make_run, fmt):
    from tasks import exporting

    run = make_run(aux_parameters=nested(50))
    for export in (exporting.export_run, exporting.export_runs):
        name, _, content = export([run] if export is exporting.export_runs else run, fmt)
        data = content if isinstance(content, bytes) else content.encode()
        [doc] = importing.preview(importing.parse(name, data)).documents
        assert (doc.errors, doc.status) == ([], importing.IDENTICAL)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_import_refuses_aux_parameters_fifty_one_levels_deep_as_the_form_does(entry, request):
    data = json_bytes(document({"aux_parameters": nested(51)}))
    said = bounded(ENTRY_POINTS[entry], "run.json", data, request)
    assert f"run.json: aux_parameters: {NESTING_MESSAGE}" in said
    assert not TaskRun.objects.exists()
