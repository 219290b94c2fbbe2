"""Task runs out as the configs Mephisto launches from.

Pure functions: views, admin actions and management commands only call them.
"""

import json
from decimal import Decimal

from django.utils import timezone
from django.utils.text import slugify

from tasks.models import TaskRun
from tasks.providers import BLUEPRINT_MAIN_ARGUMENT, Provider

JSON_CONTENT_TYPE = "application/json"
FORMATS = ("json",)


def task_config(run):
    """The run's `mephisto.task` section: every config field, documented order, JSON types."""
    config = {}
    for name in TaskRun.CONFIG_FIELDS:
        value = getattr(run, name)
        if name == "task_name" and not value:
            # Blank means "use the blueprint type", which Mephisto spells as null;
            # an empty string would be stored as a task called "" and refused.
            value = None
        elif isinstance(value, Decimal):
            # Mephisto hands Prolific int(task_reward) as cents: write the integer
            # it will use. Elsewhere a reward has at most 2 decimals, so the
            # float's shortest repr is the same number: 0.5, 1.0, 0.3.
            value = int(value) if run.provider == Provider.PROLIFIC else float(value)
        config[name] = value
    return config


def run_to_config(run):
    """One run as a whole config document: {"mephisto": {"task": {...}}}."""
    return {"mephisto": {"task": task_config(run)}}


def hydra_config(run):
    """A complete Hydra conf for `run`: the defaults list choosing blueprint,
    architect and provider, then the `mephisto` tree. Choices left empty are
    left out, for the launch command line to give.
    """
    defaults = [
        {f"/mephisto/{group}": getattr(run, group)}
        for group in ("blueprint", "architect", "provider")
        if getattr(run, group)
    ]
    mephisto = {}
    if run.blueprint and run.blueprint_source:
        mephisto["blueprint"] = {BLUEPRINT_MAIN_ARGUMENT[run.blueprint]: run.blueprint_source}
    mephisto["task"] = task_config(run)
    return {"defaults": [*defaults, "_self_"], "mephisto": mephisto}


def dumps(document):
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def run_filename(run, extension):
    label = slugify(run.task_name or run.task_title)[:60].strip("-") or "run"
    return f"taskrun-{run.pk}-{label}.{extension}"


def export_run(run, fmt="json"):
    """Export one run as one document: returns (filename, content_type, content)."""
    _check_format(fmt)
    return run_filename(run, "json"), JSON_CONTENT_TYPE, dumps(run_to_config(run))


def export_runs(runs, fmt="json"):
    """Export a selection as a JSON array of documents, in the order given.

    Always an array, even of one, so a script reading a selection need not
    guess its shape. Returns (filename, content_type, content).
    """
    _check_format(fmt)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    content = dumps([run_to_config(run) for run in runs])
    return f"taskruns-{stamp}.json", JSON_CONTENT_TYPE, content


def _check_format(fmt):
    if fmt not in FORMATS:
        raise ValueError(f"Unknown export format {fmt!r}; choose from {', '.join(FORMATS)}.")
