"""A real Mephisto (1.1.1, in .mephisto-venv) building database.db files for the tests.

`build_database(path, runs)` hands tests/mephisto_builder.py, run by that venv's
Python 3.10, the runs to create; each run is a Taskadmin export (YAML text) and
its units. scripts/mephisto-venv creates the venv (CI runs it first). Without it
the calling test is skipped, saying how to create it, or fails when
TASKADMIN_REQUIRE_MEPHISTO=1 (as CI sets), so a missing Mephisto never passes as
"skipped".
"""

import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".mephisto-venv" / "bin" / "python"
BUILDER = Path(__file__).resolve().parent / "mephisto_builder.py"
REQUIRE_VARIABLE = "TASKADMIN_REQUIRE_MEPHISTO"


def mephisto_python(python=PYTHON, environ=os.environ):
    """The venv's Python; skips (or fails, under TASKADMIN_REQUIRE_MEPHISTO=1) without it."""
    if not Path(python).exists():
        message = (
            f"Mephisto 1.1.1 is not installed at {Path(python).parent.parent}, so the tests"
            " that build databases with Mephisto's own code cannot run. Create it with"
            " `scripts/mephisto-venv`."
        )
        if environ.get(REQUIRE_VARIABLE) == "1":
            pytest.fail(f"{message} {REQUIRE_VARIABLE}=1 requires it.", pytrace=False)
        pytest.skip(message)
    return python


def build_database(path, runs):
    """Create `path` (a database.db) holding `runs`, made by Mephisto's LocalMephistoDB.

    `runs`: [{"config": YAML text (exporting.to_yaml of a run), "created":
    "2026-11-02 09:00:00" (optional), "pay_amount": 0.5 (optional: the reward),
    "units": [{"status": "accepted", "worker": "w1", "at": "2026-11-02 10:00:00"}]}].
    Returns Mephisto's task_run ids, as strings, in order. Raises RuntimeError
    with Mephisto's own traceback when it refuses a config.
    """
    spec = {"database": str(path), "runs": runs}
    done = subprocess.run(
        # -I: the builder's folder (this one) must not shadow the mephisto package.
        [str(mephisto_python()), "-I", str(BUILDER)],
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        cwd=Path(path).parent,
        env={**os.environ, "HYDRA_FULL_ERROR": "1"},
        timeout=1800,
    )
    if done.returncode:
        raise RuntimeError(f"Mephisto could not build {path}:\n{done.stderr[-4000:]}")
    # Mephisto logs to standard output too: the answer is the last line.
    return json.loads(done.stdout.splitlines()[-1])["task_run_ids"]


# Mephisto 1.1.1's own tables (abstractions/databases/local_database.py), trimmed
# of foreign keys: for hand-written files, the hostile cases and fast fixtures.
SCHEMA = """
CREATE TABLE task_runs (
    task_run_id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id INTEGER NOT NULL,
    requester_id INTEGER NOT NULL,
    init_params TEXT NOT NULL,
    is_completed BOOLEAN NOT NULL,
    provider_type TEXT NOT NULL,
    task_type TEXT NOT NULL,
    sandbox BOOLEAN NOT NULL,
    creation_date DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE units (
    unit_id INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment_id INTEGER NOT NULL,
    unit_index INTEGER NOT NULL,
    pay_amount FLOAT NOT NULL,
    provider_type TEXT NOT NULL,
    status TEXT NOT NULL,
    agent_id INTEGER,
    worker_id INTEGER,
    task_type TEXT NOT NULL,
    task_id INTEGER NOT NULL,
    task_run_id INTEGER NOT NULL,
    sandbox BOOLEAN NOT NULL,
    requester_id INTEGER NOT NULL,
    creation_date DATETIME DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE agents (
    agent_id INTEGER PRIMARY KEY AUTOINCREMENT,
    worker_id INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,
    task_id INTEGER NOT NULL,
    task_run_id INTEGER NOT NULL,
    assignment_id INTEGER NOT NULL,
    task_type TEXT NOT NULL,
    provider_type TEXT NOT NULL,
    status TEXT NOT NULL,
    creation_date DATETIME DEFAULT CURRENT_TIMESTAMP
);
"""


def handmade_database(path, configs=(), *, schema=SCHEMA, units=()):
    """Write `path` by hand with Mephisto's tables: a task run per mephisto node in
    `configs` (a dict, stored as Mephisto stores it: a JSON string of its YAML), and
    `units` as (task_run_id, status, pay_amount, worker_id). Returns `path`."""
    import sqlite3

    import yaml

    with sqlite3.connect(path) as connection:
        connection.executescript(schema)
        for node in configs:
            connection.execute(
                "INSERT INTO task_runs (task_id, requester_id, init_params, is_completed,"
                " provider_type, task_type, sandbox) VALUES (1, 1, ?, 0, 'mock', 'static_task', 1)",
                (json.dumps(yaml.safe_dump(node)),),
            )
        for task_run_id, status, pay, worker in units:
            connection.execute(
                "INSERT INTO units (assignment_id, unit_index, pay_amount, provider_type, status,"
                " worker_id, task_type, task_id, task_run_id, sandbox, requester_id)"
                " VALUES (1, 0, ?, 'mock', ?, ?, 'static_task', 1, ?, 1, 1)",
                (pay, status, worker, task_run_id),
            )
    connection.close()
    return path


def mephisto_node(**task):
    """A resolved mephisto node as Mephisto stores it, with `task` as its task section."""
    return {
        "blueprint": {"_blueprint_type": "static_task", "task_source": "/srv/task.html"},
        "provider": {"_provider_type": "mock", "requester_name": "???"},
        "architect": {"_architect_type": "local", "hostname": "localhost"},
        "task": {
            "task_title": "Handmade",
            "task_description": "D",
            "task_reward": 0.5,
            "task_tags": "t",
            **task,
        },
        "database": {"_database_type": "singleton"},
        "log_level": "info",
    }
