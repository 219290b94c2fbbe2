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
