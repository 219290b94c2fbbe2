"""One-click starting points for the common launch setups."""

from tasks.providers import Architect, Blueprint, Provider

PRESETS = {
    "local-mock": (
        "Local + mock",
        {"architect": Architect.LOCAL, "provider": Provider.MOCK},
    ),
    "mturk-sandbox": (
        "MTurk sandbox",
        {"architect": Architect.HEROKU, "provider": Provider.MTURK_SANDBOX},
    ),
    "mturk-live": (
        "Live MTurk",
        {"architect": Architect.HEROKU, "provider": Provider.MTURK},
    ),
    "prolific": (
        "Prolific",
        {"architect": Architect.HEROKU, "provider": Provider.PROLIFIC},
    ),
}


def apply(run, key):
    """Fill `run`'s launch setup from preset `key`; unknown keys change nothing."""
    if key not in PRESETS:
        return False
    for name, value in PRESETS[key][1].items():
        setattr(run, name, value)
    if not run.blueprint:
        run.blueprint = Blueprint.STATIC_TASK
    return True
