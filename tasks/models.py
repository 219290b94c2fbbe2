import copy
import functools
import pickle
import secrets
import uuid
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.validators import EMPTY_VALUES, MinValueValidator
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.expressions import DatabaseDefault
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from tasks import hydra, launch_args, money
from tasks.defaults_list import LAUNCH_GROUPS, launch_defaults, other_files
from tasks.providers import (
    BLUEPRINT_MAIN_ARGUMENT,
    LIVE_PROVIDERS,
    PROLIFIC_MINUTES_ARGUMENT,
    Provider,
)
from tasks.tags import split_tags, tidy_tags
from tasks.validators import (
    fits_an_integer_column,
    is_of_kind,
    text_problem,
    validate_blueprint_path,
    validate_choice_name,
    validate_defaults_list,
    validate_json_object,
    validate_mephisto_extra,
    validate_not_blank,
    validate_script_path,
    validate_storable_text,
    validate_tags,
    validate_top_level,
    wrong_type_message,
)
from tasks.verdicts import exactly, verdict

NO_NEGATIVE_LIMIT = "Use 0 for no limit: a negative limit would block every worker."
WHOLE_SECONDS = " Whole seconds; you may also type units such as 30m, 12h or 1d 12h."


def _snapshot(values):
    """A copy of field values that later changes to the run cannot reach.

    Only containers (aux_parameters) need copying; the rest are immutable, and
    deep-copying them for every run loaded would slow every page and export.
    """
    return {
        name: _copy(value) if isinstance(value, dict | list) else value
        for name, value in values.items()
    }


def _copy(container):
    # Most are empty; a pickle round trip copies the others' JSON data three
    # times faster than deepcopy.
    if not container:
        return type(container)()
    return pickle.loads(pickle.dumps(container, pickle.HIGHEST_PROTOCOL))


# Where full_clean's verdict may be remembered (TaskRun.mark_clean): this
# process, whose model code gave it, and the settings its rules read. A run
# pickled elsewhere (a stashed import) or checked under other settings is
# checked again.
_THIS_PROCESS = secrets.token_hex(8)
_VERDICT_SETTINGS = (
    "TASKADMIN_PROLIFIC_CURRENCY",
    "TASKADMIN_PROLIFIC_MIN_HOURLY_RATE",
    "TASKADMIN_PROLIFIC_FEE",
)


_KIND_OF = {
    models.BooleanField: "boolean",
    models.PositiveIntegerField: "integer",
    models.DecimalField: "number",
    models.CharField: "string",
    models.TextField: "string",
}


@functools.cache
def _concrete_attnames(model):
    return tuple(field.attname for field in model._meta.concrete_fields)


def _interpolation_problem(value):
    """Why OmegaConf could not read the first interpolation in `value` (a JSON
    value), or None."""
    for text in hydra.strings_in(value):
        problem = hydra.has_interpolation(text) and hydra.interpolation_problem(text)
        if problem:
            return problem
    return None


# What TaskRun._field_problems gives for a value its field stores as it is.
_UNCHANGED = object()


class EditConflict(Exception):
    """Someone else saved the run after this copy of it was loaded."""


class TaskRun(models.Model):
    """One Mephisto task-run configuration: the `mephisto.task` section of a launch config.

    The config fields carry Mephisto's names, defaults and documented help texts
    (from its reference page, spelling fixed); everything else in the product
    (forms, admin, export, tests) reads them from here.

    Saves are versioned: saving a copy loaded at version N succeeds only while
    the database still holds version N (see save()), so two people editing the
    same run cannot silently overwrite each other. Every save is recorded in
    `history` with who made it and through which path.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        LAUNCHED = "launched", "Launched"
        ARCHIVED = "archived", "Archived"

    # -- The config: Mephisto's documented task-run arguments, in documented order.
    task_name = models.CharField(
        max_length=255,
        blank=True,
        default="",
        validators=[validate_not_blank],
        help_text=(
            "Grouping to launch this task run under, none defaults to the blueprint type."
            " Any text; leave empty for the default."
        ),
    )
    task_title = models.CharField(
        max_length=255,
        validators=[validate_not_blank],
        help_text="Display title for your task on the crowd provider.",
    )
    task_description = models.TextField(
        validators=[validate_not_blank],
        help_text="Longer form description for what your task entails.",
    )
    task_reward = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        error_messages={
            "max_decimal_places": "Use at most 2 decimal places: providers pay in whole cents.",
            # Django checks the digit count first, so 0.30000000000000004 lands here.
            "max_digits": (
                "Use at most 2 decimal places (providers pay in whole cents)"
                " and at most 8 digits before the point."
            ),
            "max_whole_digits": "Use at most 8 digits before the decimal point.",
            "min_value": "The reward cannot be negative.",
        },
        help_text=(
            "Amount to pay per worker per unit, in dollars."
            " MTurk: dollars with at most 2 decimal places, more than 0."
            " Prolific: Mephisto passes int(task_reward) as whole cents, so enter cents."
            " Mock and in-house runs may pay 0."
        ),
    )
    task_tags = models.TextField(
        validators=[validate_not_blank, validate_tags],
        help_text=(
            "Comma separated tags for workers to use to find your task."
            " Blanks and duplicates are dropped when saved."
            " Only MTurk reads them (as keywords, at most 1,000 characters)."
        ),
    )
    task_lifetime_in_seconds = models.PositiveIntegerField(
        error_messages={"min_value": "Must be at least 1 second: 0 would end it at once."},
        default=2678400,
        validators=[fits_an_integer_column, MinValueValidator(1)],
        help_text=(
            "The time that the task will last for before expiring."
            + WHOLE_SECONDS
            + " Only MTurk reads it (between 30 seconds and 365 days); other providers ignore it."
        ),
    )
    assignment_duration_in_seconds = models.PositiveIntegerField(
        error_messages={"min_value": "Must be at least 1 second: 0 would end it at once."},
        default=1800,
        validators=[fits_an_integer_column, MinValueValidator(1)],
        help_text="Time that workers have to work on your task once accepted." + WHOLE_SECONDS,
    )
    no_submission_patience = models.PositiveIntegerField(
        error_messages={"min_value": "Must be at least 1 second: 0 would end it at once."},
        default=43200,
        validators=[fits_an_integer_column, MinValueValidator(1)],
        help_text=(
            "How long to wait between task submissions before shutting the run down"
            " for a presumed issue. Value in seconds, default 12 hours."
            + WHOLE_SECONDS
            + " Mephisto starts this clock at launch, so the first submission must arrive"
            " within it."
        ),
    )
    allowed_concurrent = models.PositiveIntegerField(
        error_messages={"min_value": NO_NEGATIVE_LIMIT},
        default=0,
        help_text="Maximum units a worker is allowed to work on at once. (0 is infinite).",
        validators=[fits_an_integer_column],
    )
    maximum_units_per_worker = models.PositiveIntegerField(
        error_messages={"min_value": NO_NEGATIVE_LIMIT},
        default=0,
        help_text=(
            "Maximum tasks of this task name that a worker can work on across all tasks"
            " that share this task_name. (0 is infinite)."
            " Mephisto counts every run with the same task name together."
        ),
        validators=[fits_an_integer_column],
    )
    max_num_concurrent_units = models.PositiveIntegerField(
        error_messages={"min_value": NO_NEGATIVE_LIMIT},
        default=0,
        help_text=(
            "Maximum units that will be released simultaneously, setting a limit on"
            " concurrent connections to Mephisto overall. (0 is infinite)."
        ),
        validators=[fits_an_integer_column],
    )
    submission_timeout = models.PositiveIntegerField(
        error_messages={"min_value": "Cannot be negative; 0 means not waiting at all."},
        default=600,
        help_text=(
            "Time that mephisto will wait after marking a task done before abandoning"
            " waiting for the worker to actually press submit." + WHOLE_SECONDS
        ),
        validators=[fits_an_integer_column],
    )
    post_install_script = models.CharField(
        max_length=255,
        blank=True,
        default="",
        validators=[validate_script_path],
        help_text=(
            "The name of a shell script in your webapp directory that will run right after"
            " npm install and before npm build. This can be useful for local package"
            " development where you would want to link a package after installing"
            " dependencies from package.json."
            " Mephisto runs it only when it rebuilds the webapp (see force rebuild)."
        ),
    )
    force_rebuild = models.BooleanField(
        default=False,
        help_text=(
            "Determines if npm build should be run every time the task is run. By default"
            " there is an optimization that only builds the webapp when there is a change"
            " in its contents. It would make sense to set this to true when doing local"
            " package development as you want to force a rebuild after running the"
            " post_install_script."
        ),
    )
    resume_incomplete_run = models.BooleanField(
        default=False,
        help_text=(
            "Resume incomplete or interrupted TaskRun if it exists."
            " Mephisto then resumes the last run of this task name with that run's stored"
            " config, ignoring the values here."
        ),
    )
    aux_parameters = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_json_object],
        help_text="Any auxiliary parameter you need to pass for your task. A JSON object.",
    )

    # -- Launch setup: the rest of a launchable Hydra config, and what the
    # rules and the cost estimate need to know.
    provider = models.CharField(
        max_length=20,
        choices=Provider.choices,
        blank=True,
        default=Provider.MOCK,
        help_text=(
            "The crowd provider this run is meant for; it decides what some fields mean."
            " Leave empty to choose at launch (or in a file the defaults list names)."
        ),
    )
    # Any registered name: other packages register their own (ParlAI's
    # acute_eval blueprint, say). Taskadmin checks the arguments of the ones
    # Mephisto ships (tasks/launch_args.py) and keeps the others as written.
    architect = models.CharField(
        max_length=50,
        blank=True,
        default="",
        validators=[validate_choice_name],
        help_text="Where Mephisto serves the task from. Leave empty to choose at launch.",
    )
    blueprint = models.CharField(
        max_length=50,
        blank=True,
        default="",
        validators=[validate_choice_name],
        help_text="The kind of task. Leave empty to choose at launch.",
    )
    blueprint_source = models.CharField(
        "blueprint's main file",
        max_length=255,
        blank=True,
        default="",
        validators=[validate_blueprint_path],
        help_text=(
            "The blueprint's main required argument: task_source for static_task,"
            " static_react_task and remote_procedure, world_file for parlai_chat."
        ),
    )
    estimated_minutes = models.PositiveIntegerField(
        "estimated minutes per unit",
        null=True,
        blank=True,
        validators=[fits_an_integer_column, MinValueValidator(1)],
        help_text=(
            "How long one unit takes a worker. Prolific requires it and judges the"
            " hourly rate by it; it also feeds the cost estimate."
        ),
    )
    planned_units = models.PositiveIntegerField(
        "units to collect",
        null=True,
        blank=True,
        validators=[fits_an_integer_column, MinValueValidator(1)],
        help_text="How many units you plan to pay for: the basis of the cost estimate.",
    )
    acknowledged_warnings = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text="The warnings the last person to save read and accepted.",
    )

    # -- The rest of the Hydra config, kept as the file wrote it (OmegaConf's
    # text: "${task_dir}/x.html" is an interpolation Mephisto resolves at
    # launch, "\\${" a literal "${"). The task section is the fields above.
    defaults = models.JSONField(
        "defaults list",
        default=list,
        blank=True,
        validators=[validate_defaults_list],
        help_text=(
            "Hydra's defaults list, in order: the blueprint, architect and provider"
            " choices (kept in step with the fields above), _self_, and other config"
            ' files such as "base". A JSON list.'
        ),
    )
    blueprint_args = models.JSONField(
        "blueprint arguments",
        default=dict,
        blank=True,
        validators=[validate_json_object],
        help_text="mephisto.blueprint: the blueprint's other arguments. A JSON object.",
    )
    architect_args = models.JSONField(
        "architect arguments",
        default=dict,
        blank=True,
        validators=[validate_json_object],
        help_text="mephisto.architect: the architect's arguments. A JSON object.",
    )
    provider_args = models.JSONField(
        "provider arguments",
        default=dict,
        blank=True,
        validators=[validate_json_object],
        help_text="mephisto.provider: the provider's other arguments. A JSON object.",
    )
    mephisto_extra = models.JSONField(
        "other mephisto settings",
        default=dict,
        blank=True,
        validators=[validate_json_object, validate_mephisto_extra],
        help_text=(
            "The rest of the mephisto section, such as log_level and database. A JSON object."
        ),
    )
    top_level = models.JSONField(
        "top-level keys",
        default=dict,
        blank=True,
        validators=[validate_json_object, validate_top_level],
        help_text=(
            "Keys beside mephisto that the run script declares, such as task_dir and"
            " num_tasks. A JSON object."
        ),
    )
    unset_fields = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text=(
            "Task fields the config leaves to a file its defaults list names (such as"
            " base): not written on export, so that file's values hold at launch."
        ),
    )
    interpolated = models.JSONField(
        default=list,
        blank=True,
        editable=False,
        help_text=(
            "The task fields whose value is an OmegaConf interpolation as written"
            " (resolved by Mephisto at launch), not literal text."
        ),
    )

    # -- Bookkeeping: not part of the config Mephisto receives.
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        max_length=10,
        choices=Status.choices,
        default=Status.DRAFT,
        db_index=True,
        help_text="Draft runs can be edited; a launched run's config is read-only.",
    )
    launched_at = models.DateTimeField(null=True, blank=True)
    mephisto_task_run_id = models.CharField(
        "Mephisto task run id",
        max_length=64,
        blank=True,
        default="",
        validators=[validate_storable_text],
        help_text="The id Mephisto gave the run when it was launched, if you know it.",
    )
    version = models.PositiveIntegerField(
        default=1,
        help_text="Goes up by one with every save; guards against lost updates.",
        validators=[fits_an_integer_column],
    )
    history = HistoricalRecords(
        excluded_fields=["updated_at"],
        history_change_reason_field=models.CharField(max_length=200, null=True),
    )
    cloned_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clones",
        help_text="The run this one was cloned from.",
    )
    # With mephisto_task_run_id: where a run imported from a Mephisto database came from.
    mephisto_created_at = models.DateTimeField(
        "created in Mephisto",
        null=True,
        blank=True,
        help_text="When Mephisto created the run this one was imported from.",
    )

    # The order Mephisto's reference page documents; exports keep it.
    CONFIG_FIELDS = (
        "task_name",
        "task_title",
        "task_description",
        "task_reward",
        "task_tags",
        "task_lifetime_in_seconds",
        "assignment_duration_in_seconds",
        "no_submission_patience",
        "allowed_concurrent",
        "maximum_units_per_worker",
        "max_num_concurrent_units",
        "submission_timeout",
        "post_install_script",
        "force_rebuild",
        "resume_incomplete_run",
        "aux_parameters",
    )
    # The order a person fills them in: the config fields and the launch setup.
    FORM_GROUPS = (
        (
            "Launch setup",
            (
                "provider",
                "architect",
                "blueprint",
                "blueprint_source",
                "blueprint_args",
                "architect_args",
                "provider_args",
            ),
        ),
        (
            "What workers see",
            ("task_title", "task_description", "task_reward", "estimated_minutes", "task_tags"),
        ),
        (
            "Timing",
            (
                "task_lifetime_in_seconds",
                "assignment_duration_in_seconds",
                "no_submission_patience",
                "submission_timeout",
            ),
        ),
        (
            "Worker limits",
            ("allowed_concurrent", "maximum_units_per_worker", "max_num_concurrent_units"),
        ),
        ("Build", ("post_install_script", "force_rebuild")),
        ("Run", ("task_name", "resume_incomplete_run", "aux_parameters")),
        ("Cost estimate", ("planned_units",)),
        ("The rest of the config", ("defaults", "mephisto_extra", "top_level")),
    )
    # Everything a person edits: cloned, versioned, compared, locked once launched.
    EDITABLE_FIELDS = tuple(name for _, names in FORM_GROUPS for name in names)
    DURATION_FIELDS = (
        "task_lifetime_in_seconds",
        "assignment_duration_in_seconds",
        "no_submission_patience",
        "submission_timeout",
    )
    # The free-text fields (not the choices): stored without surrounding spaces.
    STRIPPED_FIELDS = (
        "task_name",
        "task_title",
        "task_description",
        "post_install_script",
        "blueprint_source",
    )
    LIMIT_FIELDS = ("allowed_concurrent", "maximum_units_per_worker", "max_num_concurrent_units")
    # Text a person writes for workers: typed in the form it is literal text
    # (a "${" in it is escaped in every export); only a config file can make
    # it an interpolation. Other text fields are config values: "${...}" in
    # them is an interpolation wherever it comes from.
    WORKER_TEXT_FIELDS = ("task_title", "task_description", "task_tags")
    CONFIG_TEXT_FIELDS = ("task_name", "post_install_script", "blueprint_source")
    # The whole-config sections besides the task fields, as stored.
    SECTION_FIELDS = ("blueprint_args", "architect_args", "provider_args", "mephisto_extra")
    JSON_OBJECT_FIELDS = ("aux_parameters", *SECTION_FIELDS, "top_level")
    # mephisto.blueprint/architect/provider: checked against the arguments the
    # chosen one declares (tasks/launch_args.py) when Mephisto ships it.
    ARGUMENT_SECTIONS = {
        "blueprint": "blueprint_args",
        "architect": "architect_args",
        "provider": "provider_args",
    }
    # What the blueprint's main argument is, for the message when it is missing.
    MAIN_ARGUMENT_MEANS = {
        "task_source": "the file workers are shown",
        "world_file": "the ParlAI world that runs the conversation",
    }
    # A reward above this, per unit in the provider's currency, is allowed but
    # likely a typo: a warning (tasks/rules.py) asks for a tick before saving.
    REWARD_CONFIRM_ABOVE = Decimal("50.00")

    class Meta:
        ordering = ["-created_at", "-id"]
        # One index per column the list and the admin sort by, with the id that
        # breaks ties (tasks.listing.SORTS): a page of 100,000 runs is then read
        # from the index instead of sorting the table. Scanned backwards for the
        # descending sorts. Search has its own text indexes (migration 0006).
        indexes = [
            models.Index(fields=["created_at", "id"], name="taskrun_created_id"),
            models.Index(fields=["updated_at", "id"], name="taskrun_updated_id"),
            models.Index(fields=["task_title", "id"], name="taskrun_title_id"),
            models.Index(fields=["task_name", "id"], name="taskrun_name_id"),
            models.Index(fields=["task_reward", "id"], name="taskrun_reward_id"),
            # The API's provider filter, in the default order: without it a
            # provider that few runs have is looked for in every row.
            models.Index(fields=["provider", "created_at", "id"], name="taskrun_provider_created"),
        ]
        constraints = [
            # Backstops for the field validators, which carry the messages.
            models.CheckConstraint(
                condition=Q(task_reward__gte=0), name="taskrun_reward_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(task_lifetime_in_seconds__gte=1),
                name="taskrun_lifetime_at_least_1s",
            ),
            models.CheckConstraint(
                condition=Q(assignment_duration_in_seconds__gte=1),
                name="taskrun_assignment_duration_at_least_1s",
            ),
            models.CheckConstraint(
                condition=Q(no_submission_patience__gte=1),
                name="taskrun_patience_at_least_1s",
            ),
            models.CheckConstraint(
                condition=~Q(task_title="") & ~Q(task_description="") & ~Q(task_tags=""),
                name="taskrun_text_fields_not_empty",
            ),
            models.CheckConstraint(
                condition=~Q(post_install_script__startswith="/"),
                name="taskrun_script_path_relative",
            ),
        ]

    def __str__(self):
        return self.task_title

    def save(self, *args, **kwargs):
        self._normalize()
        self._refuse_config_change_when_locked()
        with transaction.atomic():
            if self._state.adding or kwargs.get("force_insert"):
                # A new run starts its own history, even when its form came
                # from another run's page (admin "Save as new").
                self.version = 1
            else:
                self._claim_next_version()
            super().save(*args, **kwargs)
        self.remember_as_saved()

    def get_absolute_url(self):
        return reverse("tasks:run-detail", args=[self.pk])

    def delete(self, *args, **kwargs):
        if self.was_launched:
            raise ValidationError(
                "A launched run cannot be deleted: it records what was launched. "
                "Archive it to hide it from the list."
            )
        return super().delete(*args, **kwargs)

    @classmethod
    def from_db(cls, db, field_names, values, *args, **kwargs):
        run = super().from_db(db, field_names, values, *args, **kwargs)
        # What the database held, so a save can tell whether a launched run's
        # config is being changed without another query.
        run._loaded_status = run.__dict__.get("status")
        run._loaded_config = _snapshot(
            {name: run.__dict__[name] for name in cls.EDITABLE_FIELDS if name in run.__dict__}
        )
        return run

    def remember_as_saved(self):
        """Note the values just stored, so a later save can tell what changed (and
        whether a launched run's config is being changed) without another query."""
        self._loaded_status = self.status
        self._loaded_config = _snapshot(
            {name: getattr(self, name) for name in self.EDITABLE_FIELDS}
        )

    def _verdict_key(self):
        """What full_clean's verdict depends on, or None when a value is too long
        or too deep to write out (never remembered as clean then)."""
        try:
            # One repr for all the values: it tells 1, True, 1.0 and
            # Decimal("1.00") apart, and copies the containers.
            values = repr(list(map(self.__dict__.get, _concrete_attnames(type(self)))))
            loaded = repr(getattr(self, "_loaded_config", None))
        except (ValueError, RecursionError):
            return None
        return (
            _THIS_PROCESS,
            tuple(getattr(settings, name, None) for name in _VERDICT_SETTINGS),
            self._state.adding,
            exactly(getattr(self, "_loaded_status", None)),
            loaded,
            values,
        )

    def mark_clean(self):
        """Remember that full_clean (no unique, no constraint checks) has just passed.

        Call it right after such a full_clean returned: `is_marked_clean` then
        says True while every field value, the settings the rules read and the
        process are the same, so a second full_clean would give the same verdict
        (full_clean reads no database) and normalise nothing more.
        """
        self._marked_clean = self._verdict_key()

    def is_marked_clean(self):
        """True when `mark_clean` was called and nothing full_clean reads changed since."""
        marked = self.__dict__.get("_marked_clean")
        return marked is not None and marked == self._verdict_key()

    def clean_fields(self, exclude=None):
        # Django's Model.clean_fields, each field's checks remembered within a
        # batch (tasks.verdicts): a relation's check may read the database, so
        # it runs every time.
        exclude = set(exclude or ())
        # Stripped first, so the field checks (max_length) see what is stored.
        self._strip()
        errors = {}
        for field in self._meta.fields:
            if field.name in exclude or field.generated:
                continue
            value = getattr(self, field.attname)
            if field.is_relation:
                cleaned, problems = self._field_problems(field, value)
            else:
                cleaned, problems = verdict(
                    "field", field.name, value, functools.partial(self._field_problems, field)
                )
            if problems:
                errors[field.name] = list(problems)
            elif cleaned is not _UNCHANGED:
                setattr(self, field.attname, cleaned)
        if errors:
            raise ValidationError(errors)

    def _field_problems(self, field, value):
        """(the value to store, or _UNCHANGED; a tuple of ValidationErrors): the
        field's own checks of `value`, as Django's clean_fields makes them, the
        type first.

        Django's fields convert what they are given ("12" -> 12, 1.5 -> 1,
        True -> 1, 5 -> "5"): a value of another type is refused instead, as the
        import refuses it, so no path stores something other than what it was
        given. Forms hand over values they have parsed already.
        """
        kind = _KIND_OF.get(type(field))
        if (
            field.name in self.EDITABLE_FIELDS
            and value is not None
            and kind is not None
            and not is_of_kind(kind, value)
        ):
            return _UNCHANGED, (
                ValidationError(wrong_type_message(kind, value), code="wrong_type"),
            )
        if field.name == "aux_parameters" and value not in EMPTY_VALUES:
            # Before Django's JSONField.validate, which fails outright on what
            # json.dumps cannot write (an integer of 5,000 digits).
            try:
                validate_json_object(value)
            except ValidationError as error:
                return _UNCHANGED, tuple(error.error_list)
        # Skipped as Django skips them: an empty value of a blank=True field
        # (clean() checks the ones that matter), or the database's default.
        if (field.blank and value in field.empty_values) or isinstance(value, DatabaseDefault):
            return _UNCHANGED, ()
        try:
            cleaned = field.clean(value, self)
        except ValidationError as error:
            return _UNCHANGED, tuple(error.error_list)
        # A container comes back as it was given: the run keeps its own.
        return (_UNCHANGED if cleaned is value else cleaned), ()

    def clean(self):
        self._normalize()
        self._refuse_config_change_when_locked()
        # tasks.rules reads this model, so it is imported when first needed.
        from tasks import rules

        errors = {}
        # Django skips a blank=True field's validators for every "empty" value,
        # not only {} (or []): null would be saved (then fail at the database),
        # and "" or [] given for an object (or {} for the defaults list) kept.
        for name, kind, validate in (
            *((name, dict, validate_json_object) for name in self.JSON_OBJECT_FIELDS),
            ("defaults", list, validate_defaults_list),
        ):
            value = getattr(self, name)
            if value in EMPTY_VALUES and not isinstance(value, kind):
                try:
                    validate(value)
                except ValidationError as error:
                    errors[name] = error.error_list
        # Every text field alike: PostgreSQL would refuse the save (NUL,
        # unpaired surrogates) and Mephisto the launch ("???").
        for name in self.EDITABLE_FIELDS:
            value = getattr(self, name)
            problem = isinstance(value, str) and verdict("text", name, value, text_problem)
            if problem:
                errors.setdefault(name, []).append(ValidationError(problem, code="bad_text"))
        # Where "${" means an interpolation, OmegaConf must be able to read it.
        for name in (
            *self.CONFIG_TEXT_FIELDS,
            *self.SECTION_FIELDS,
            "top_level",
            *self.interpolated,
        ):
            value = getattr(self, name)
            problem = verdict("interpolation", name, value, _interpolation_problem)
            if problem:
                errors.setdefault(name, []).append(
                    ValidationError(problem, code="bad_interpolation")
                )
        self._check_launch_arguments(errors)
        for finding in rules.check(self, rules.ERROR):
            errors.setdefault(finding.field, []).append(
                ValidationError(finding.message, code=finding.code)
            )
        if errors:
            raise ValidationError(errors)

    def taken_arguments(self, group):
        """{argument: field} of `group`'s arguments that Taskadmin keeps as fields of
        its own (the blueprint's main file, Prolific's minutes): the export writes them."""
        if group == "blueprint" and self.blueprint in BLUEPRINT_MAIN_ARGUMENT:
            return {BLUEPRINT_MAIN_ARGUMENT[self.blueprint]: "blueprint_source"}
        if group == "provider" and self.provider == Provider.PROLIFIC:
            return {PROLIFIC_MINUTES_ARGUMENT: "estimated_minutes"}
        return {}

    def _check_launch_arguments(self, errors):
        """Add to `errors` what Mephisto would refuse at launch in the three sections."""
        # Required arguments are asked of a draft, still to be launched, whose
        # whole config is here: a file the defaults list names (- base) may give them.
        defaults = self.defaults if isinstance(self.defaults, list) else []
        complete = self.status == self.Status.DRAFT and not other_files(defaults)
        for group, field in self.ARGUMENT_SECTIONS.items():
            section = getattr(self, field)
            if field in errors or not isinstance(section, dict) or _unstorable(section):
                continue  # refused already (clean_fields refuses what cannot be stored)
            taken = self.taken_arguments(group)
            for key, field_name in taken.items():
                if key in section:
                    label = self._meta.get_field(field_name).verbose_name
                    errors.setdefault(field, []).append(
                        ValidationError(
                            f"mephisto.{group}.{key}: Taskadmin keeps it as the run's"
                            f" {label}; give it there, not here.",
                            code="argument_has_a_field",
                        )
                    )
            given = {key for key, name in taken.items() if getattr(self, name) not in ("", None)}
            name = getattr(self, group)
            for key, message in launch_args.problems(group, name, section, given=given):
                missing = section.get(key, launch_args.MISSING) == launch_args.MISSING
                if missing and not complete:
                    continue
                if missing and taken.get(key) == "blueprint_source":
                    means = self.MAIN_ARGUMENT_MEANS.get(key, "the blueprint's main file")
                    errors.setdefault("blueprint_source", []).append(
                        ValidationError(f"{name} needs {key}: {means}.", code="missing_argument")
                    )
                    continue
                errors.setdefault(field, []).append(
                    ValidationError(message, code="launch_argument")
                )

    def _normalize(self):
        # Every path (forms, admin, import, shell) stores text the same way:
        # free text without spaces around it (a form strips what it is posted),
        # line breaks as "\n" whatever the browser sent; a draft's tags without
        # blanks and duplicates (a launched run's record is what ran, and tags
        # with nothing to drop are kept exactly as written).
        self._strip()
        draft = self.status == self.Status.DRAFT
        if draft and isinstance(self.task_tags, str):
            self.task_tags = tidy_tags(self.task_tags)
        if isinstance(self.task_description, str):
            self.task_description = self.task_description.replace("\r\n", "\n").replace("\r", "\n")
        interpolated = {name for name in self.CONFIG_FIELDS if name in (self.interpolated or ())}
        for name in self.CONFIG_TEXT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str) and hydra.has_interpolation(value):
                interpolated.add(name)
            else:
                interpolated.discard(name)
        self.interpolated = [
            name for name in (*self.CONFIG_FIELDS, "blueprint_source") if name in interpolated
        ]
        names_files = isinstance(self.defaults, list) and other_files(self.defaults)
        self.unset_fields = [
            name for name in self.CONFIG_FIELDS if names_files and name in (self.unset_fields or ())
        ]
        if isinstance(self.defaults, list):
            self.defaults = launch_defaults(
                self.defaults,
                {group: getattr(self, group) for group in LAUNCH_GROUPS},
            )

    def _strip(self):
        # Text of only spaces is left as it is, for its field to refuse by name.
        for name in self.STRIPPED_FIELDS:
            value = getattr(self, name)
            if isinstance(value, str) and value.strip():
                setattr(self, name, value.strip())

    def _claim_next_version(self):
        """Move the stored version from ours to the next, or raise EditConflict.

        The check is in the UPDATE itself, so it holds across processes and
        databases: of two saves of the same version, exactly one matches a row.
        """
        claimed = TaskRun.objects.filter(pk=self.pk, version=self.version).update(
            version=F("version") + 1
        )
        if not claimed:
            raise EditConflict(f"Run #{self.pk} changed since version {self.version} was loaded.")
        self.version += 1

    @property
    def reward_display(self):
        return money.format_reward(self.task_reward, self.provider)

    @property
    def is_live(self):
        """Real workers are paid real money on this run's provider."""
        return self.provider in LIVE_PROVIDERS

    @property
    def was_launched(self):
        """Launched, or archived after being launched: the config is what ran."""
        return self.launched_at is not None and self.status != self.Status.DRAFT

    @property
    def config_locked(self):
        return (
            getattr(self, "_loaded_status", None)
            in (
                self.Status.LAUNCHED,
                self.Status.ARCHIVED,
            )
            and self.launched_at is not None
        )

    def changed_config_fields(self):
        loaded = getattr(self, "_loaded_config", {})
        return [
            name
            for name in self.EDITABLE_FIELDS
            if name in loaded and loaded[name] != getattr(self, name)
        ]

    def _refuse_config_change_when_locked(self):
        if self.config_locked and self.changed_config_fields():
            raise ValidationError(
                {
                    NON_FIELD_ERRORS: (
                        "This run was launched, so its config is read-only: clone it to change it."
                    )
                },
                code="locked",
            )

    @property
    def tag_list(self):
        return split_tags(self.task_tags)

    def clone(self, *, by):
        """A new, unsaved run with this one's config, recorded as cloned from it.

        Every config field is copied as it is, the title workers see included;
        only bookkeeping differs. tasks.services.run_clone saves it; a form may
        let the user change it first.
        """
        return TaskRun(
            **{name: copy.deepcopy(getattr(self, name)) for name in self.EDITABLE_FIELDS},
            cloned_from=self,
            created_by=by,
            updated_by=by,
        )


def _new_upload_token():
    return secrets.token_urlsafe(32)


class ImportUpload(models.Model):
    """A file uploaded for import, waiting between its preview and its apply (or a
    Mephisto database.db waiting for its sync job: purpose "sync").

    The preview page cannot post the file again, so its bytes wait here, in the
    database every app process and host shares, under an unguessable token the
    page carries (never the pk). Only `owner` may apply or discard it. Applying
    claims the row in the import's own transaction (tasks.stash.apply): the same
    upload is imported once, however many times it is posted.
    """

    class Purpose(models.TextChoices):
        IMPORT = "import", "Import"
        # A Mephisto database.db waiting for its sync job (tasks.background);
        # deleted as the job ends, never listed on the import page.
        SYNC = "sync", "Mephisto sync"

    token = models.CharField(max_length=64, unique=True, default=_new_upload_token, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_uploads"
    )
    purpose = models.CharField(
        max_length=10,
        choices=Purpose.choices,
        default=Purpose.IMPORT,
        help_text="What the upload waits for: an import, or a sync from Mephisto.",
    )
    name = models.CharField(max_length=255, help_text="The uploaded file's name.")
    data = models.BinaryField(help_text="The file's bytes; emptied once it is imported.")
    size = models.PositiveIntegerField(help_text="The file's size in bytes.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    imported = models.PositiveIntegerField(
        null=True, blank=True, help_text="How many runs applying it created."
    )

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["owner", "applied_at"], name="importupload_owner_pending")]

    def __str__(self):
        return self.name


def _unstorable(value):
    """True when `value` (a JSON object) holds what no database stores (NUL, an
    unpaired surrogate, too deep): messages naming its keys could not be shown."""
    try:
        validate_json_object(value)
    except ValidationError:
        return True
    return False


class MephistoProgress(models.Model):
    """What Mephisto's database said about a linked run at the last sync.

    One per run linked to a Mephisto task run (its `mephisto_task_run_id`),
    written by tasks.mephisto_sync only: units by status, workers and money, and
    a short series for the chart. The figures are Mephisto's; the estimate they
    are compared with is the run's own (tasks.costs).
    """

    class Link(models.TextChoices):
        LAUNCHED = "launched", "a draft the sync marked as launched"
        MARKED = "marked", "a run marked as launched by hand, given its id by the sync"
        IMPORTED = "imported", "imported by the sync (it matched no run)"
        TYPED = "typed", "linked by hand (its Mephisto id typed in)"

    run = models.OneToOneField(
        TaskRun, on_delete=models.CASCADE, primary_key=True, related_name="mephisto_progress"
    )
    link = models.CharField(
        max_length=10,
        choices=Link.choices,
        help_text="How the run came to be linked: unlinking undoes what the sync did.",
    )
    provider = models.CharField(
        max_length=50, blank=True, help_text="The provider_type Mephisto ran it on."
    )
    units_by_status = models.JSONField(
        default=dict, help_text='Mephisto\'s units of the run by status: {"accepted": 12, ...}.'
    )
    units = models.PositiveIntegerField(default=0, help_text="All of the run's units.")
    finished = models.PositiveIntegerField(
        default=0,
        help_text="Units a worker finished: completed, accepted, rejected or soft-rejected.",
    )
    workers = models.PositiveIntegerField(
        default=0, help_text="Distinct workers who took one of the run's units."
    )
    rewards = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        default=0,
        help_text=(
            "Rewards of the units Mephisto counts as spent budget (launched, assigned,"
            " completed, accepted, soft-rejected), in the provider's currency."
        ),
    )
    fee = models.DecimalField(
        max_digits=16, decimal_places=2, default=0, help_text="The provider's fee on them."
    )
    spent = models.DecimalField(
        max_digits=16, decimal_places=2, default=0, help_text="Rewards plus fee."
    )
    series = models.JSONField(
        default=list,
        help_text=(
            "[[ISO time, units finished, money spent], ...]: at most a few dozen points,"
            " cumulative, for the chart."
        ),
    )
    source = models.CharField(max_length=255, help_text="The database it was read from.")
    synced_at = models.DateTimeField(help_text="When the figures were read.")

    class Meta:
        verbose_name_plural = "Mephisto progress"

    def __str__(self):
        return f"Mephisto progress of run #{self.run_id}"

    @property
    def estimate(self):
        from tasks import costs

        return costs.estimate(self.run)

    @property
    def currency(self):
        return money.currency_symbol(self.run.provider or self.provider)

    @property
    def over_estimate(self):
        """True when the money spent passes the run's estimate (False without one)."""
        estimate = self.estimate
        return estimate is not None and self.spent > estimate.total


class MephistoUnlink(models.Model):
    """A link a person undid: the sync never links this pair again."""

    run = models.ForeignKey(TaskRun, on_delete=models.CASCADE, related_name="mephisto_unlinks")
    mephisto_task_run_id = models.CharField(max_length=64)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["mephisto_task_run_id"], name="mephistounlink_id")]

    def __str__(self):
        return f"run #{self.run_id} is not Mephisto run {self.mephisto_task_run_id}"


class ApiToken(models.Model):
    """A personal API token: its owner's model permissions, for scripts.

    The secret is shown once, when the token is made (tasks.api.tokens.issue),
    and only its SHA-256 is kept: the random part carries 256 bits, so a plain
    hash is as strong as a slow one and costs nothing per request. The short
    `prefix` in front of it finds the row; the hash is then compared.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(
        max_length=100, help_text="What the token is for, such as the machine or script using it."
    )
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    secret_hash = models.CharField("SHA-256 of the secret", max_length=64, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self):
        return self.revoked_at is None


def _job_result_path(job, filename):
    # One folder per job: its files go with it when it is pruned.
    return f"jobs/{job.pk}/{filename}"


class Job(models.Model):
    """One piece of background work (tasks.jobs, tasks.background) and its outcome.

    The row holds the final state; live progress (done, total, step) lives in
    the cache while the work runs (tasks.jobs.progress), because an import
    holds SQLite's write lock for its whole transaction. Only `owner` (or a
    superuser) sees a job. Its result file sits in the default storage
    (MEDIA_ROOT) and is served only through the job's download view.
    """

    class Kind(models.TextChoices):
        IMPORT_PREVIEW = "import_preview", "Import preview"
        IMPORT_APPLY = "import_apply", "Import"
        EXPORT = "export", "Export"
        MEPHISTO_SYNC = "mephisto_sync", "Mephisto sync"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="jobs"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    title = models.CharField(max_length=255, help_text="What the work is on, in words.")
    params = models.JSONField(
        default=dict, blank=True, help_text="The work's input (an upload's token, runs' ids)."
    )
    task_result_id = models.CharField(
        max_length=64, blank=True, help_text="The django.tasks result id of the queued task."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    summary = models.JSONField(
        default=dict, blank=True, help_text="Counts and the first rows of each kind."
    )
    error = models.TextField(blank=True, help_text="Why it failed, for people.")
    result = models.FileField(upload_to=_job_result_path, blank=True, max_length=255)
    result_name = models.CharField(
        max_length=255, blank=True, help_text="The name the result downloads as."
    )
    result_type = models.CharField(max_length=100, blank=True, help_text="Its content type.")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="job_owner_newest")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("tasks:job-detail", args=[self.pk])

    @property
    def done(self):
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)
