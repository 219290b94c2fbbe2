"""How long does syncing a Mephisto database of 10,000 units take? Measure it.

    python bench/sync.py [--units 10000] [--runs 10]

Mephisto 1.1.1's own code (.mephisto-venv, scripts/mephisto-venv) builds a
database.db of `--runs` task runs launched from Taskadmin exports, with `--units`
units between them in every status, given to workers as agents. Taskadmin (a
temporary SQLite database) holds the drafts they were launched from. The script
times the first sync (read, link every run, read progress) and a second one
(nothing to link: read and progress only), reading the file by path as
`manage.py sync_mephisto` does.
"""

import argparse
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STATUSES = ("accepted",) * 6 + ("completed", "soft_rejected", "rejected", "launched", "expired")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="taskadmin-bench-sync-") as folder:
        os.environ["BENCH_DATABASE_URL"] = f"sqlite:///{folder}/taskadmin.sqlite3"
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
        import django

        django.setup()
        from django.core.management import call_command

        from tasks import exporting, mephisto_sync
        from tasks.models import MephistoProgress, TaskRun
        from tests.mephisto import build_database

        call_command("migrate", verbosity=0)
        drafts = [
            TaskRun(
                task_title=f"Bench run {n}",
                task_description="Label each picture.",
                task_reward=Decimal("0.25"),
                task_tags="bench",
                provider="mturk_sandbox",
                architect="local",
                blueprint="static_task",
                blueprint_source="${task_dir}/task.html",
                top_level={"task_dir": "/srv/bench"},
                planned_units=args.units // args.runs,
            )
            for n in range(args.runs)
        ]
        per_run = args.units // args.runs
        specs = [
            {
                "config": exporting.to_yaml(run, target="1.1"),
                "created": "2026-11-01 08:00:00",
                "units": [
                    {
                        "status": STATUSES[u % len(STATUSES)],
                        "worker": None
                        if STATUSES[u % len(STATUSES)] == "launched"
                        else f"w{u % 400}",
                        "at": f"2026-11-{1 + u * 28 // per_run:02d} {u % 24:02d}:00:00",
                    }
                    for u in range(per_run)
                ],
            }
            for run in drafts
        ]
        path = Path(folder) / "database.db"
        started = time.monotonic()
        build_database(path, specs)
        built = time.monotonic() - started
        for run in drafts:
            run.save()
        size = path.stat().st_size
        timings = []
        for _ in range(2):
            started = time.monotonic()
            outcome = mephisto_sync.apply(mephisto_sync.read_path(path), by=None)
            timings.append((time.monotonic() - started, outcome.summary()))
        units = sum(p.units for p in MephistoProgress.objects.all())
        print(
            f"Mephisto built {args.runs} runs, {units:,} units ({size / 1e6:.1f} MB)"
            f" in {built:.0f} s"
        )
        for label, (seconds, summary) in zip(("first sync", "second sync"), timings, strict=True):
            print(f"{label}: {seconds:.2f} s ({summary})")


if __name__ == "__main__":
    main()
