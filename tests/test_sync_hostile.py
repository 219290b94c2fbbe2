"""Syncing a database.db that is not what it claims: each gets a clear message,
no view or trigger of the file runs, the file is never written, and Taskadmin is
left as it was. The files are written by hand (tests/mephisto.py's SCHEMA)."""

import hashlib
import json
import sqlite3

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from tasks import mephisto_sync
from tasks.models import ImportUpload, Job, MephistoProgress, TaskRun
from tests.mephisto import SCHEMA, handmade_database, mephisto_node

RECURSIVE = "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r) SELECT x FROM r"


def _state():
    return (
        list(TaskRun.objects.order_by("pk").values()),
        TaskRun.history.count(),
        MephistoProgress.objects.count(),
    )


def refused(path, message, client=None):
    """Sync `path` by every way in; each must say `message` and change nothing."""
    before = _state()
    with pytest.raises(mephisto_sync.SyncFailure) as failure:
        mephisto_sync.read_path(path)
    assert str(failure.value) == message
    with pytest.raises(CommandError) as failure:
        call_command("sync_mephisto", str(path))
    assert str(failure.value) == message
    if client is not None:
        # What needs no reading is refused at once; the rest fails the sync's job.
        upload = SimpleUploadedFile("database.db", path.read_bytes())
        response = client.post(reverse("tasks:mephisto-sync"), {"database": upload})
        expected = message.replace(path.name, "database.db")
        if response.status_code == 302:
            job = Job.objects.get(pk=response["Location"].strip("/").split("/")[-1])
            assert (job.status, job.error) == ("failed", expected)
            response = client.get(response["Location"])
        else:
            assert response.status_code == 400
        assert expected in response.content.decode().replace("&#x27;", "'")
        assert not ImportUpload.objects.exists()
    assert _state() == before


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.django_db
def test_a_file_that_is_not_a_database(tmp_path, editor_client):
    path = tmp_path / "database.db"
    path.write_text("task_runs,units\n1,2\n")
    refused(
        path, "database.db is not an SQLite database, so not Mephisto's database.db.", editor_client
    )


@pytest.mark.django_db
def test_a_missing_file(tmp_path):
    path = tmp_path / "nowhere.db"
    with pytest.raises(CommandError) as failure:
        call_command("sync_mephisto", str(path))
    assert str(failure.value) == f"{path} does not exist or is not a file."


@pytest.mark.django_db
def test_a_corrupt_database(tmp_path, editor_client):
    path = handmade_database(tmp_path / "database.db", [mephisto_node()])
    data = bytearray(path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)
    path.write_bytes(bytes(data))
    refused(
        path,
        "database.db cannot be read as Mephisto's database (database disk image is malformed).",
        editor_client,
    )


@pytest.mark.django_db
def test_an_empty_database(tmp_path, editor_client):
    path = tmp_path / "database.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE other (x)")
    connection.close()
    refused(
        path, "database.db is not Mephisto's database: it has no task_runs table.", editor_client
    )


@pytest.mark.django_db
def test_a_recursive_view_named_task_runs_is_never_run(tmp_path, editor_client):
    path = tmp_path / "database.db"
    schema = SCHEMA.replace("CREATE TABLE task_runs", "CREATE TABLE real_task_runs")
    with sqlite3.connect(path) as connection:
        connection.executescript(schema)
        connection.execute(
            "CREATE VIEW task_runs AS SELECT x AS task_run_id, '' AS init_params,"
            f" x AS creation_date, 'mock' AS provider_type FROM ({RECURSIVE})"
        )
    connection.close()
    refused(
        path,
        "database.db is not Mephisto's database: its task_runs is a view, not a table;"
        " only tables are read.",
        editor_client,
    )


@pytest.mark.django_db
def test_a_recursive_view_named_units_is_never_run(tmp_path):
    path = tmp_path / "database.db"
    schema = SCHEMA.replace("CREATE TABLE units", "CREATE TABLE real_units")
    with sqlite3.connect(path) as connection:
        connection.executescript(schema)
        connection.execute(f"CREATE VIEW units AS {RECURSIVE}")
    connection.close()
    refused(
        path,
        "database.db is not Mephisto's database: its units is a view, not a table;"
        " only tables are read.",
    )


@pytest.mark.django_db
def test_a_virtual_units_table_is_refused(tmp_path):
    path = tmp_path / "database.db"
    schema = SCHEMA.replace("CREATE TABLE units", "CREATE TABLE real_units")
    with sqlite3.connect(path) as connection:
        connection.executescript(schema)
        connection.execute("CREATE VIRTUAL TABLE units USING fts5(status)")
    connection.close()
    refused(
        path,
        "database.db is not Mephisto's database: its units is a virtual, not a table;"
        " only tables are read.",
    )


@pytest.mark.django_db
def test_an_agents_view_is_left_alone_and_the_sync_goes_on(tmp_path, capsys):
    path = tmp_path / "database.db"
    schema = SCHEMA.replace("CREATE TABLE agents", "CREATE TABLE real_agents")
    with sqlite3.connect(path) as connection:
        connection.executescript(schema)
        connection.execute(
            "CREATE VIEW agents AS SELECT x AS agent_id, x AS worker_id, x AS task_run_id,"
            f" '2026-01-01' AS creation_date FROM ({RECURSIVE})"
        )
        connection.execute(
            "INSERT INTO task_runs (task_id, requester_id, init_params, is_completed,"
            " provider_type, task_type, sandbox) VALUES (1, 1, ?, 0, 'mock', 'static_task', 1)",
            (json.dumps(yaml.safe_dump(mephisto_node())),),
        )
    connection.close()
    call_command("sync_mephisto", str(path))
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Synced database.db: 0 runs linked, 1 imported, progress read for 1."
    )


@pytest.mark.django_db
def test_triggers_of_the_file_never_fire_and_it_is_never_written(tmp_path, capsys):
    path = handmade_database(
        tmp_path / "database.db", [mephisto_node()], units=[(1, "accepted", 0.5, 1)]
    )
    with sqlite3.connect(path) as connection:
        for event in ("INSERT", "UPDATE", "DELETE"):
            connection.execute(
                f"CREATE TRIGGER boom_{event.lower()} AFTER {event} ON units BEGIN"
                " INSERT INTO units SELECT * FROM units; END"
            )
    connection.close()
    before = digest(path)
    call_command("sync_mephisto", str(path))
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Synced database.db: 0 runs linked, 1 imported, progress read for 1."
    )
    assert digest(path) == before
    assert list(path.parent.iterdir()) == [path]  # no journal, no -wal left behind
    assert MephistoProgress.objects.get().units == 1


@pytest.mark.django_db
def test_a_generated_value_larger_than_the_file_is_refused(tmp_path, editor_client):
    path = tmp_path / "database.db"
    schema = SCHEMA.replace(
        "    status TEXT NOT NULL,\n    agent_id",
        "    status TEXT GENERATED ALWAYS AS (zeroblob(1000000000)) VIRTUAL,\n    agent_id",
    )
    handmade_database(path, [mephisto_node()], schema=schema)
    with sqlite3.connect(path) as connection:
        connection.execute(
            "INSERT INTO units (assignment_id, unit_index, pay_amount, provider_type, task_type,"
            " task_id, task_run_id, sandbox, requester_id)"
            " VALUES (1, 0, 1, 'mock', 'x', 1, 1, 1, 1)"
        )
    connection.close()
    refused(
        path,
        "database.db makes a value larger than the file itself (string or blob too big); refused.",
        editor_client,
    )


@pytest.mark.django_db
def test_a_huge_config_is_one_run_skipped(tmp_path, capsys):
    huge = mephisto_node(task_description="x" * 1_100_000)
    path = handmade_database(tmp_path / "database.db", [huge, mephisto_node(task_title="Small")])
    call_command("sync_mephisto", str(path))
    out = capsys.readouterr().out.splitlines()
    assert out[1:] == [
        "skipped    Mephisto run 1 matches no run and cannot be imported: init_params:"
        f" {len(json.dumps(yaml.safe_dump(huge))):,} characters; at most 1,000,000 are read.",
        "Synced database.db: 0 runs linked, 1 imported, progress read for 1, 1 skipped.",
    ]


@pytest.mark.django_db
def test_strange_values_in_units_are_counted_safely(tmp_path):
    path = handmade_database(
        tmp_path / "database.db",
        [mephisto_node()],
        units=[
            (1, "accepted", "not a number", 1),
            (1, "x" * 100, 0.5, 2),
            (1, b"\xff\xfe", 0.5, None),
            (1, "accepted", 1e300, 3),
        ],
    )
    mephisto_sync.apply(mephisto_sync.read_path(path), by=None)
    progress = MephistoProgress.objects.get()
    assert progress.units_by_status == {"accepted": 2, "unknown": 1, "\ufffd\ufffd": 1}
    assert progress.workers == 3
    # A pay amount no provider pays (1e300) cannot be stored as money: counted as 0.
    assert progress.rewards == 0


@pytest.mark.django_db
def test_too_many_units_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(mephisto_sync, "MAX_UNITS", 2)
    path = handmade_database(
        tmp_path / "database.db", [mephisto_node()], units=[(1, "accepted", 0.5, 1)] * 3
    )
    refused(path, "database.db holds more than 2 units; refused.")


@pytest.mark.django_db
def test_too_many_task_runs_are_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(mephisto_sync, "MAX_TASK_RUNS", 1)
    path = handmade_database(tmp_path / "database.db", [mephisto_node(), mephisto_node()])
    refused(path, "database.db holds more than 1 task runs; refused.")


@pytest.mark.django_db
def test_reading_past_the_time_budget_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(mephisto_sync, "SECONDS", 0)
    path = handmade_database(
        tmp_path / "database.db", [mephisto_node()], units=[(1, "accepted", 0.5, 1)] * 5000
    )
    refused(path, "database.db took longer than 0 seconds to read; refused.")


@pytest.mark.django_db
def test_a_database_locked_by_mephisto(tmp_path, monkeypatch):
    monkeypatch.setattr(mephisto_sync, "LOCK_SECONDS", 0.1)
    path = handmade_database(tmp_path / "database.db", [mephisto_node()])
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        refused(path, "database.db is locked by another program (Mephisto writing?); try again.")
    finally:
        writer.execute("ROLLBACK")
        writer.close()


@pytest.mark.django_db
def test_an_unreadable_config_is_one_run_skipped(tmp_path, capsys):
    path = handmade_database(tmp_path / "database.db", [mephisto_node()])
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE task_runs SET init_params = '{not json'")
    connection.close()
    call_command("sync_mephisto", str(path))
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(
        "skipped    Mephisto run 1 matches no run and cannot be imported: init_params: unreadable"
    )
    assert not TaskRun.objects.exists()


@pytest.mark.django_db
def test_an_upload_over_the_limit_is_refused_before_it_is_read(editor_client, settings):
    settings.TASKADMIN_SYNC_MAX_BYTES = 1000
    upload = SimpleUploadedFile("database.db", b"x" * 2000)
    response = editor_client.post(reverse("tasks:mephisto-sync"), {"database": upload})
    assert response.status_code == 400
    assert (
        "database.db is 0.0 MB; the sync upload limit is 0.0 MB. Sync it on the server with"
        in response.content.decode()
    )
    assert not TaskRun.objects.exists()


@pytest.mark.django_db
def test_a_task_run_id_given_twice_is_synced_once(tmp_path, capsys):
    schema = SCHEMA.replace(
        "task_run_id INTEGER PRIMARY KEY AUTOINCREMENT", "task_run_id INTEGER", 1
    )
    path = handmade_database(tmp_path / "database.db", [mephisto_node()] * 2, schema=schema)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE task_runs SET task_run_id = 7")
    connection.close()
    call_command("sync_mephisto", str(path))
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "skipped    Mephisto run 7 appears twice: skipped.",
        "Synced database.db: 0 runs linked, 1 imported, progress read for 1, 1 skipped.",
    ]
    assert TaskRun.objects.get().mephisto_task_run_id == "7"
