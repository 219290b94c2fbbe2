"""Build a Mephisto database.db with Mephisto 1.1.1's own code (runs in .mephisto-venv).

Not a test module: tests/mephisto.py runs it with the Python 3.10 of
.mephisto-venv (Mephisto 1.1.1 imports on nothing newer), giving it on standard
input a JSON object:

    {"database": "/tmp/x/database.db",
     "runs": [{"config": "<a Taskadmin YAML export>",
               "units": [{"status": "accepted", "worker": "w1",
                          "at": "2026-11-02 10:00:00"}, ...]}]}

Each run's config is composed by real Hydra as Mephisto's run script composes
it (its TaskConfig with the export as `conf`), then stored as Mephisto's
operator stores it: `json.dumps(OmegaConf.to_yaml(cfg.mephisto, resolve=True))`
in a new task run under the task its task_name names. Its units are made by
LocalMephistoDB (one assignment each, pay_amount the task's reward), given to
workers as agents, and moved through statuses with Mephisto's own calls. Only
the clock is set by hand afterwards: "at" becomes the agent's creation_date
(and the unit's), since Mephisto stamps every row with the current time.

Prints {"task_run_ids": [...]} as the last line of standard output.
"""

import json
import os
import sqlite3
import sys
import tempfile

from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from mephisto.abstractions.databases.local_database import LocalMephistoDB
from mephisto.operations.hydra_config import build_default_task_config, register_script_config
from omegaconf import OmegaConf

# The agent status Mephisto gives an agent whose unit reached each status.
AGENT_STATUS = {
    "assigned": "in task",
    "completed": "completed",
    "accepted": "approved",
    "rejected": "rejected",
    "soft_rejected": "soft_rejected",
    "expired": "expired",
}


def composed(config_text, number):
    """The `mephisto` node of a run script's config composed with this export as conf."""
    folder = tempfile.mkdtemp(prefix="mephisto-conf-")
    os.makedirs(os.path.join(folder, "conf"))
    # Mephisto's TaskConfig asks for its own logging config, which its GitHub
    # tree ships in hydra_configs/ but PyPI's 1.1.1 wheel lacks: a stand-in.
    os.makedirs(os.path.join(folder, "hydra", "job_logging"))
    with open(os.path.join(folder, "hydra", "job_logging", "mephisto_default.yaml"), "w") as file:
        file.write("version: 1\n")
    name = f"run{number}"
    with open(os.path.join(folder, "conf", f"{name}.yaml"), "w") as file:
        file.write(config_text)
    register_script_config(name="taskconfig", module=build_default_task_config(name))
    GlobalHydra.instance().clear()
    with initialize_config_dir(config_dir=folder, version_base="1.1"):
        cfg = compose(config_name="taskconfig")
    return cfg.mephisto


def main():
    spec = json.load(sys.stdin)
    db = LocalMephistoDB(database_path=spec["database"])
    requesters, workers, ids, clock = {}, {}, [], []
    for number, run in enumerate(spec["runs"], 1):
        cfg = composed(run["config"], number)
        provider = cfg.provider._provider_type
        blueprint = cfg.blueprint._blueprint_type
        sandbox = provider != "mturk"
        if provider not in requesters:
            name = "lab_sandbox" if provider == "mturk_sandbox" else f"lab_{provider}"
            requesters[provider] = db.new_requester(name, provider)
        requester_id = requesters[provider]
        task_name = cfg.task.get("task_name", None) or blueprint
        tasks = db.find_tasks(task_name=task_name)
        task_id = tasks[0].db_id if tasks else db.new_task(task_name, blueprint)
        task_run_id = db.new_task_run(
            task_id,
            requester_id,
            json.dumps(OmegaConf.to_yaml(cfg, resolve=True)),
            provider,
            blueprint,
            sandbox,
        )
        ids.append(task_run_id)
        if run.get("created"):
            clock.append(("task_runs", "task_run_id", task_run_id, run["created"]))
        pay = float(run.get("pay_amount", cfg.task.task_reward))
        for unit in run.get("units", []):
            assignment_id = db.new_assignment(
                task_id, task_run_id, requester_id, blueprint, provider, sandbox
            )
            unit_id = db.new_unit(
                task_id, task_run_id, requester_id, assignment_id, 0, pay, provider, blueprint
            )
            status = unit["status"]
            if status != "created":
                db.update_unit(unit_id, status="launched")
            worker = unit.get("worker")
            if worker:
                if worker not in workers:
                    workers[worker] = db.new_worker(worker, provider)
                agent_id = db.new_agent(
                    workers[worker],
                    unit_id,
                    task_id,
                    task_run_id,
                    assignment_id,
                    blueprint,
                    provider,
                )
                if status in AGENT_STATUS:
                    db.update_agent(agent_id, status=AGENT_STATUS[status])
                if unit.get("at"):
                    clock.append(("agents", "agent_id", agent_id, unit["at"]))
            if status not in ("created", "launched", "assigned"):
                db.update_unit(unit_id, status=status)
            if unit.get("at"):
                clock.append(("units", "unit_id", unit_id, unit["at"]))
    db.shutdown()
    with sqlite3.connect(spec["database"]) as connection:
        for table, key, row_id, moment in clock:
            connection.execute(
                f"UPDATE {table} SET creation_date = ? WHERE {key} = ?", (moment, int(row_id))
            )
    print("\n" + json.dumps({"task_run_ids": ids}))


if __name__ == "__main__":
    main()
