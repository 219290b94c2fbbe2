"""The README's launch recipe, against a live server, word for word:

    curl -fsS -H "Authorization: Bearer $TASKADMIN_TOKEN" \\
        "$TASKADMIN_URL/api/runs/42/config.yaml?target=1.5" -o hydra_configs/conf/run42.yaml \\
      && python run_task.py conf=run42

The download is real HTTP with a token (urllib); the run script is a real Hydra
app laid out as Mephisto's examples are (hydra_configs/conf/*.yaml chosen with
`conf=...`, a structured `mephisto.task` that refuses keys it does not declare,
as Mephisto 1.5's TaskRunArgs does), run in its own process. What Hydra
composes must be the run's values. Then the launch is recorded back with
Mephisto's task run id, over HTTP too.
"""

import json
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from decimal import Decimal

import pytest

from tasks.api import tokens
from tasks.models import TaskRun
from tests.api import *  # noqa: F403  (the fixtures)

# A run script of the shape of Mephisto's examples (RunScriptConfig with
# `defaults: [_self_, {conf: example}]`), Mephisto's own classes stood in by
# dataclasses declaring Mephisto 1.5's task arguments with their types.
RUN_TASK = textwrap.dedent(
    """
    import json
    from dataclasses import dataclass, field
    from typing import Any, Dict, List, Optional

    import hydra
    from hydra.core.config_store import ConfigStore
    from omegaconf import MISSING, OmegaConf


    @dataclass
    class TaskRunArgs:  # mephisto.abstractions.blueprint.TaskRunArgs, release 1.5
        task_name: Optional[str] = None
        task_title: str = MISSING
        task_description: str = MISSING
        task_reward: float = MISSING
        task_tags: str = MISSING
        task_lifetime_in_seconds: int = 60 * 60 * 24 * 31
        assignment_duration_in_seconds: int = 60 * 30
        no_submission_patience: int = 60 * 60 * 12
        allowed_concurrent: int = 0
        maximum_units_per_worker: int = 0
        max_num_concurrent_units: int = 0
        submission_timeout: int = 600
        post_install_script: str = ""
        force_rebuild: bool = False
        resume_incomplete_run: bool = False


    @dataclass
    class MephistoConfig:
        blueprint: Dict[str, Any] = field(default_factory=dict)
        provider: Dict[str, Any] = field(default_factory=dict)
        architect: Dict[str, Any] = field(default_factory=dict)
        task: TaskRunArgs = field(default_factory=TaskRunArgs)
        log_level: str = "info"


    @dataclass
    class ScriptConfig:
        defaults: List[Any] = field(default_factory=lambda: ["_self_", {"conf": "example"}])
        mephisto: MephistoConfig = field(default_factory=MephistoConfig)
        task_dir: str = "."


    store = ConfigStore.instance()
    store.store(name="scriptconfig", node=ScriptConfig)
    for group, option in (
        ("provider", "mock"), ("blueprint", "static_task"), ("architect", "local")
    ):
        store.store(group=f"mephisto/{group}", name=option, node={})


    @hydra.main(config_path="hydra_configs", config_name="scriptconfig", version_base="1.3")
    def main(cfg):
        print(json.dumps(OmegaConf.to_container(cfg.mephisto.task, resolve=True)))


    main()
    """
)
EXAMPLE = "# @package _global_\nmephisto:\n  task:\n    task_title: Example\n"


def http(url, token, data=None):
    request = urllib.request.Request(
        url,
        data=None if data is None else json.dumps(data).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            **({"Content-Type": "application/json"} if data is not None else {}),
        },
        method="GET" if data is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.read()


@pytest.fixture
def task_folder(tmp_path):
    (tmp_path / "hydra_configs" / "conf").mkdir(parents=True)
    (tmp_path / "hydra_configs" / "conf" / "example.yaml").write_text(EXAMPLE)
    (tmp_path / "run_task.py").write_text(RUN_TASK)
    return tmp_path


@pytest.mark.django_db(transaction=True)
def test_download_with_a_token_then_launch_with_hydra_gives_the_runs_values(
    live_server, editor, make_run, task_folder
):
    run = make_run(
        task_name="run-42",
        task_title='Rate "quick" answers, 5$ bonus',
        task_description="Type ${name} in the box.\nSecond line: a, b # not a comment",
        task_reward=Decimal("0.75"),
        task_tags="text, rating, ünïcode",
        assignment_duration_in_seconds=900,
        no_submission_patience=7200,
        force_rebuild=True,
        provider="mock",
        blueprint="static_task",
        architect="local",
        blueprint_source="${task_dir}/server_files/task.html",
    )
    _, token = tokens.issue(editor, "launch script")

    # curl -fsS -H "Authorization: Bearer $TASKADMIN_TOKEN" \
    #     "$TASKADMIN_URL/api/runs/42/config.yaml?target=1.5" -o hydra_configs/conf/run42.yaml
    status, body = http(f"{live_server.url}/api/runs/{run.pk}/config.yaml?target=1.5", token)
    assert status == 200
    (task_folder / "hydra_configs" / "conf" / "run42.yaml").write_bytes(body)

    # python run_task.py conf=run42
    launched = subprocess.run(
        [sys.executable, "run_task.py", "conf=run42"],
        cwd=task_folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert launched.returncode == 0, launched.stderr
    composed = json.loads(launched.stdout.strip().splitlines()[-1])

    expected = {
        name: getattr(run, name)
        for name in TaskRun.CONFIG_FIELDS
        if name != "aux_parameters"  # Mephisto 1.5 has none
    }
    expected["task_reward"] = 0.75
    assert composed == expected
    assert composed["task_description"].startswith("Type ${name} in the box.")

    # POST /api/runs/42/launch with Mephisto's task run id
    status, body = http(
        f"{live_server.url}/api/runs/{run.pk}/launch",
        token,
        {"mephisto_task_run_id": "mephisto-run-7"},
    )
    assert status == 200
    assert json.loads(body)["status"] == "launched"
    run.refresh_from_db()
    assert (run.status, run.mephisto_task_run_id) == ("launched", "mephisto-run-7")
    assert run.history.order_by("-history_id").first().history_user == editor


@pytest.mark.django_db(transaction=True)
def test_the_recipe_fails_loudly_with_a_revoked_token(live_server, editor, make_run):
    run = make_run()
    token, text = tokens.issue(editor, "old")
    tokens.revoke(token)
    with pytest.raises(urllib.error.HTTPError) as error:
        http(f"{live_server.url}/api/runs/{run.pk}/config.yaml?target=1.5", text)
    assert error.value.code == 401


def test_the_stand_in_refuses_what_mephisto_15_refuses(task_folder):
    """The run script is strict like Mephisto's: a key 1.5 lacks stops the launch."""
    (task_folder / "hydra_configs" / "conf" / "bad.yaml").write_text(
        "# @package _global_\nmephisto:\n  task:\n    task_title: T\n    aux_parameters: {}\n"
    )
    refused = subprocess.run(
        [sys.executable, "run_task.py", "conf=bad"],
        cwd=task_folder,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode != 0
    assert "aux_parameters" in refused.stderr
