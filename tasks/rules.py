"""What Mephisto and the providers do with each value, as rules a run is checked against.

Two strengths, side by side: an ERROR blocks saving (the run would not launch,
or would pay the wrong amount); a WARNING is shown beside its field and saving
needs the user to tick that they have read it (the run launches, but maybe not
as intended). Each message says why, so people can decide.

Field-level rules that hold for every provider (a reward has at most two
decimals, durations are at least a second, ...) live on the model's fields;
the rules here depend on the provider or on several fields at once.
"""

import contextlib
import contextvars
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.text import capfirst

from tasks import hydra, money
from tasks.durations import humanize_seconds
from tasks.models import TaskRun
from tasks.providers import MTURK_PROVIDERS, Provider
from tasks.verdicts import verdict

ERROR = "error"
WARNING = "warning"

MTURK_LONGEST = 365 * 86400
MTURK_SHORTEST = 30


@dataclass(frozen=True)
class Rule:
    code: str
    strength: str
    field: str
    reads: tuple  # the fields it looks at: skipped while any of them is empty or invalid
    providers: tuple | None  # None: every provider
    broken: Callable  # run -> bool
    message: Callable  # run -> str

    def applies_to(self, run, usable=None):
        """Whether the rule is checked for `run`: its provider's, with every field it
        reads usable. `usable` ({field: bool}) keeps the fields' verdicts between
        the rules of one check, which read the same fields."""
        if self.providers is not None and run.provider not in self.providers:
            return False
        usable = {} if usable is None else usable
        for name in self.reads:
            if name not in usable:
                usable[name] = _usable(run, name)
            if not usable[name]:
                return False
        return True


def _usable(run, name):
    """Whether the field's value is there and passes the field's own checks.

    A value its own field refuses already has its message beside the field; a
    rule that read it anyway would add a second, confusing one, or fail
    outright (an hourly rate for 0 minutes divides by zero).
    """
    return verdict("usable", name, getattr(run, name), functools.partial(_usable_value, name))


def _usable_value(name, value):
    if value in (None, ""):
        return False
    field = TaskRun._meta.get_field(name)
    try:
        # A value of another type ("abc" for a reward, given to the model
        # directly) is its field's error too, and comparing it would fail.
        if field.to_python(value) != value:
            return False
        field.run_validators(value)
    except ValidationError:
        return False
    return True


# The task_name_shared rule asks the database which runs share a name, one query
# per run. Checking many runs at once (an import), `names_known` answers from one
# query for all their names instead.
_known_names = contextvars.ContextVar("taskadmin_known_names", default=None)
# Runs listed by name in task_name_shared's message: 5, and whether there are more.
SHARED_LISTED = 6


def runs_named(names, *, chunk=500):
    """{task name: [(pk, title)] of its newest SHARED_LISTED + 1 saved runs} for
    each of `names` but "" ([] when no saved run uses it); one query per `chunk` names."""
    names = sorted({name for name in names if name})
    found = {name: [] for name in names}
    for start in range(0, len(names), chunk):
        rows = (
            TaskRun.objects.filter(task_name__in=names[start : start + chunk])
            .annotate(
                place=Window(
                    RowNumber(),
                    partition_by=F("task_name"),
                    order_by=(F("created_at").desc(), F("pk").desc()),
                )
            )
            # One more than listed: the run being checked may be among them.
            .filter(place__lte=SHARED_LISTED + 1)
            .order_by("task_name", "place")
            .values_list("task_name", "pk", "task_title")
        )
        for name, pk, title in rows:
            found[name].append((pk, title))
    return found


@contextlib.contextmanager
def names_known(known):
    """Within this block, task_name_shared reads the runs using a name from `known`
    ({name: [(pk, title)] newest first, as `runs_named` gives}, which the caller
    keeps up to date) instead of querying, for every name it holds."""
    token = _known_names.set(known)
    try:
        yield known
    finally:
        _known_names.reset(token)


def _shared_name_runs(run):
    known = _known_names.get()
    if known is not None and run.task_name in known:
        others = [(pk, title) for pk, title in known[run.task_name] if pk is None or pk != run.pk]
        return others[:SHARED_LISTED]
    return list(
        TaskRun.objects.filter(task_name=run.task_name)
        .exclude(pk=run.pk)
        .order_by("-created_at", "-pk")
        .values_list("pk", "task_title")[:SHARED_LISTED]
    )


def _shared_name_message(run):
    others = _shared_name_runs(run)
    listed = ", ".join(f"#{pk} {title}" for pk, title in others[:5])
    more = " and more" if len(others) > 5 else ""
    return (
        f"Other runs use the task name “{run.task_name}” ({listed}{more}): together they form "
        "one Mephisto task, so maximum units per worker counts across all of them. "
        f"Use a new name such as “{next_task_name(run.task_name)}” to make this a task of its own."
    )


# Mephisto's EC2 architect uses the task name as the subdomain
# (mephisto.architect.subdomain defaults to ${mephisto.task.task_name}) and its
# Heroku architect builds the app name from it ("_" becomes "-", then anything
# but letters, digits and "-" is dropped: heroku_architect.py, __get_app_name).
# Without an architect chosen yet, either may be used.
HOST_NAME_ARCHITECTS = ("ec2", "heroku", "")


def host_name_part(name):
    """The task name as Mephisto's EC2 and Heroku architects put it in a host name."""
    return re.sub(r"[^a-zA-Z0-9-]", "", name.replace("_", "-"))


def _architects_named(run):
    if run.architect == "ec2":
        return "Mephisto's EC2 architect (the subdomain)"
    if run.architect == "heroku":
        return "Mephisto's Heroku architect (the app name)"
    return "Mephisto's EC2 and Heroku architects (the subdomain, the app name)"


def shared_in_file(run):
    """The task_name_shared warning for a run whose name runs earlier in the same
    import file use (the database does not hold them yet)."""
    return Finding(
        "task_name_shared",
        WARNING,
        "task_name",
        f"Runs earlier in this file use the task name “{run.task_name}”: together they "
        "form one Mephisto task, so maximum units per worker counts across all of them.",
    )


def next_task_name(name):
    """pilot → pilot-2 → pilot-3: the next free-looking name in a series."""
    stem, dash, number = name.rpartition("-")
    if dash and number.isdigit():
        return f"{stem}-{int(number) + 1}"
    return f"{name}-2"


def _prolific_minimum(run):
    rate = _rate_of(run)
    return rate is not None and rate < _min_rate()


def _rate_of(run):
    return money.hourly_rate(run.task_reward, run.provider, run.estimated_minutes)


def _min_rate():
    return money.CENT * round(float(settings.TASKADMIN_PROLIFIC_MIN_HOURLY_RATE) * 100)


RULES = (
    # -- Errors ----------------------------------------------------------------------
    Rule(
        "mturk_reward_positive",
        ERROR,
        "task_reward",
        ("task_reward",),
        MTURK_PROVIDERS,
        lambda run: run.task_reward <= 0,
        lambda run: "MTurk does not post unpaid tasks: give a reward above $0.00.",
    ),
    Rule(
        "mturk_title_length",
        ERROR,
        "task_title",
        ("task_title",),
        MTURK_PROVIDERS,
        lambda run: len(run.task_title) > 128,
        lambda run: (
            f"MTurk takes at most 128 characters in a title; this one has {len(run.task_title)}."
        ),
    ),
    Rule(
        "mturk_description_length",
        ERROR,
        "task_description",
        ("task_description",),
        MTURK_PROVIDERS,
        lambda run: len(run.task_description) > 2000,
        lambda run: (
            "MTurk takes at most 2,000 characters in a description; "
            f"this one has {len(run.task_description):,}."
        ),
    ),
    Rule(
        "mturk_tags_length",
        ERROR,
        "task_tags",
        ("task_tags",),
        MTURK_PROVIDERS,
        lambda run: len(run.task_tags) > 1000,
        lambda run: (
            f"MTurk takes at most 1,000 characters of keywords; these have {len(run.task_tags):,}."
        ),
    ),
    *(
        Rule(
            f"mturk_{name}_range",
            ERROR,
            name,
            (name,),
            MTURK_PROVIDERS,
            lambda run, name=name: not MTURK_SHORTEST <= getattr(run, name) <= MTURK_LONGEST,
            lambda run: "MTurk accepts between 30 seconds and 365 days here.",
        )
        for name in ("task_lifetime_in_seconds", "assignment_duration_in_seconds")
    ),
    Rule(
        "prolific_whole_cents",
        ERROR,
        "task_reward",
        ("task_reward",),
        (Provider.PROLIFIC,),
        lambda run: run.task_reward != run.task_reward.to_integral_value(),
        lambda run: (
            "Prolific pays whole cents and Mephisto passes int(task_reward): "
            f"{run.task_reward} would pay {int(run.task_reward)}. Enter whole cents, such as 70."
        ),
    ),
    Rule(
        "prolific_reward_positive",
        ERROR,
        "task_reward",
        ("task_reward",),
        (Provider.PROLIFIC,),
        lambda run: run.task_reward <= 0,
        lambda run: "Prolific does not run unpaid studies: give a reward in cents, such as 70.",
    ),
    Rule(
        "prolific_needs_minutes",
        ERROR,
        "estimated_minutes",
        (),
        (Provider.PROLIFIC,),
        # Empty only: 0 minutes is its field's own error ("at least 1").
        lambda run: run.estimated_minutes in (None, ""),
        lambda run: "Prolific needs the estimated completion time to judge the hourly rate.",
    ),
    Rule(
        "prolific_minimum_rate",
        ERROR,
        "task_reward",
        ("task_reward", "estimated_minutes"),
        (Provider.PROLIFIC,),
        _prolific_minimum,
        lambda run: (
            f"Prolific requires at least {money.prolific_currency()}{_min_rate()} an hour: "
            f"{int(run.task_reward)}¢ for {run.estimated_minutes} minutes pays "
            f"{money.prolific_currency()}{_rate_of(run)} an hour."
        ),
    ),
    # -- Warnings --------------------------------------------------------------------
    Rule(
        "reward_above_confirm_threshold",
        WARNING,
        "task_reward",
        ("task_reward",),
        None,
        lambda run: (
            money.reward_in_currency(run.task_reward, run.provider) > TaskRun.REWARD_CONFIRM_ABOVE
        ),
        lambda run: (
            f"{money.format_reward(run.task_reward, run.provider)} per unit is more than "
            f"{money.currency_symbol(run.provider)}{TaskRun.REWARD_CONFIRM_ABOVE}: make sure it "
            "is not a typo before workers are paid it."
        ),
    ),
    Rule(
        "patience_shorter_than_two_assignments",
        WARNING,
        "no_submission_patience",
        ("no_submission_patience", "assignment_duration_in_seconds"),
        None,
        lambda run: run.no_submission_patience < 2 * run.assignment_duration_in_seconds,
        lambda run: (
            f"Patience ({humanize_seconds(run.no_submission_patience)}) is shorter than twice the "
            f"assignment duration ({humanize_seconds(run.assignment_duration_in_seconds)}): "
            "Mephisto starts the patience clock at launch, so a healthy run whose first "
            "submission takes longer is shut down."
        ),
    ),
    Rule(
        "resume_ignores_these_values",
        WARNING,
        "resume_incomplete_run",
        (),
        None,
        lambda run: run.resume_incomplete_run,
        lambda run: (
            "Mephisto resumes the last run of this task name with that run's stored config, "
            "so the other values here are ignored."
        ),
    ),
    Rule(
        "script_without_rebuild",
        WARNING,
        "post_install_script",
        ("post_install_script",),
        None,
        lambda run: not run.force_rebuild,
        lambda run: (
            "The post-install script runs only when Mephisto rebuilds the webapp, which it "
            "skips when the webapp has not changed: tick force rebuild to be sure it runs."
        ),
    ),
    Rule(
        "task_name_in_host_name",
        WARNING,
        "task_name",
        ("task_name",),
        None,
        lambda run: (
            run.architect in HOST_NAME_ARCHITECTS
            and not hydra.has_interpolation(run.task_name)
            and host_name_part(run.task_name) != run.task_name
        ),
        lambda run: (
            f"{_architects_named(run)} put the task name in a host name, keeping only letters,"
            f" digits and '-': “{run.task_name}” becomes “{host_name_part(run.task_name)}”."
            " Choose such a name yourself to know what workers' browsers will show."
        ),
    ),
    Rule(
        "task_name_shared",
        WARNING,
        "task_name",
        ("task_name",),
        None,
        lambda run: bool(_shared_name_runs(run)),
        _shared_name_message,
    ),
)


WARNING_CODES = tuple(rule.code for rule in RULES if rule.strength == WARNING)


@dataclass(frozen=True)
class Finding:
    code: str
    strength: str
    field: str
    message: str

    @property
    def field_label(self):
        return capfirst(TaskRun._meta.get_field(self.field).verbose_name)


def check(run, strength=None):
    """The rules `run` breaks, in the order above; only one strength if given."""
    usable = {}
    return [
        Finding(rule.code, rule.strength, rule.field, rule.message(run))
        for rule in RULES
        if (strength is None or rule.strength == strength)
        and rule.applies_to(run, usable)
        and rule.broken(run)
    ]
