"""One config, five paths, one verdict.

The same task-run config, sometimes valid and sometimes not, goes in through every
write path and every reader:

1. the browser form (`tasks:run-create`), posted as a browser posts it;
2. the form's live preview (`tasks:run-preview`), answering JSON;
3. the admin's add form (`admin:tasks_taskrun_add`, "Save");
4. the import (`importing.parse` + `importing.preview`) of a Hydra YAML file, the
   format that carries the launch setup (provider, blueprint and its main file,
   Prolific's completion time) as well as the task section;
5. `services.run_save` on a `TaskRun(**values)`.

Each path gives a verdict: valid or not, the fields in error, and (for a valid
config) the codes of the warnings it asks about before saving. Every path must give
the same verdict, and no path may answer 5xx or raise. Then a valid config, with
every warning acknowledged, is saved through each path in turn, and the stored rows
must be equal field by field.

Where a path cannot carry a value as generated, the mapping is written out here
(`FOR_THE_IMPORT`, `FORM_CANNOT_POST`, `form_text`), never hidden by a weaker check.

Bounded and repeatable: a fixed seed and a fixed number of examples
(VERDICT_EXAMPLES=N scales them; VERDICT_SHRINK=1 shrinks a failure).
"""

import json
import os
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tasks import hydra, importing, rules, services
from tasks.durations import compact_seconds
from tasks.models import TaskRun
from tasks.providers import (
    BLUEPRINT_MAIN_ARGUMENT,
    PROLIFIC_DEFAULT_MINUTES,
    PROLIFIC_MINUTES_ARGUMENT,
    Provider,
)
from tests.conftest import VALID_RUN, form_data
from tests.strategies import task_configs

SCALE = float(os.environ.get("VERDICT_EXAMPLES", "1"))
# How many configs went through all the paths, for the report at the end of a run.
TRIED = {"configs": 0, "valid": 0}


def verdicts(examples):
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        derandomize=True,
        database=None,
        # Shrinking a failure to its smallest example can take minutes (each try
        # is a dozen requests): VERDICT_SHRINK=1 asks for it.
        phases=[p for p in Phase if p != Phase.shrink or os.environ.get("VERDICT_SHRINK")],
        # Each example cleans the runs table itself (see `clean_slate`).
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# -- The configs --------------------------------------------------------------------
# A config is the model's view of a run: {field: value} for every editable field, with
# the reward as a Decimal and durations in seconds, or a mutation of one of them that
# some rule (or some type check) must refuse.

LAUNCH_SETUP = st.fixed_dictionaries(
    {
        "provider": st.sampled_from(list(Provider.values)),
        "architect": st.sampled_from(["", "local", "heroku", "ec2"]),
        "blueprint": st.sampled_from(["", *BLUEPRINT_MAIN_ARGUMENT]),
        "blueprint_source": st.sampled_from(["", "task.html", "src/app.jsx"]),
        "estimated_minutes": st.sampled_from([None, 1, 5, 30, 90]),
        "planned_units": st.sampled_from([None, None, 1, 250]),
    }
)


def nested(levels):
    """aux_parameters nested `levels` deep ({} is one level)."""
    value = {}
    for _ in range(levels - 1):
        value = {"a": value}
    return value


class Huge:
    """An integer of 5,000 digits, more than Python reads or prints: each path is
    given it as it would arrive (digits in a post or a file, an int to the service)."""

    DIGITS = "9" * 5000
    TOKEN = "HUGE-NUMBER-HERE"

    def __repr__(self):
        return "<5,000 nines>"


HUGE = Huge()
NOT_ASCII_DIGITS = "١٢"  # Arabic-Indic 12: str.isdigit() and int() accept it
BAD_INTEGERS = [
    -1,
    2**31,
    10**30,
    HUGE,
    1.5,
    1800.0,
    True,
    NOT_ASCII_DIGITS,
    "1_000",
    "twelve",
    [1],
]
BAD_TEXT = ["", "   ", "???", "a\x00b", "a\ud800b", None]
MUTATIONS = {
    "task_reward": [
        Decimal("0.005"),
        Decimal("1.999"),
        Decimal("-1"),
        Decimal("51"),
        Decimal("100"),
        Decimal("123456789"),
        10**30,
        HUGE,
        float("inf"),
        float("nan"),
        "abc",
        "١",
        True,
        None,
    ],
    "task_title": [*BAD_TEXT, "x" * 256, "a ${name} title", "t" * 129],
    "task_description": [*BAD_TEXT, "mentions ${x} once"],
    "task_tags": [*BAD_TEXT, " , ,", "a, A, a", "${tag}"],
    "task_name": ["bad name!", "é", "a\x00", "a" * 101],
    **dict.fromkeys(
        ("task_lifetime_in_seconds", "assignment_duration_in_seconds", "no_submission_patience"),
        [0, 10, 60, *BAD_INTEGERS],
    ),
    "submission_timeout": BAD_INTEGERS,
    **dict.fromkeys(TaskRun.LIMIT_FIELDS, BAD_INTEGERS),
    "post_install_script": ["/etc/x.sh", "../x.sh", "setup.sh", "a\\b.sh"],
    "aux_parameters": [
        nested(50),
        nested(51),
        nested(60),
        {1: "a"},
        {None: "b"},
        {"a": float("nan")},
        {"a": "x\x00y"},
        {"a": "\udc00"},
        {"big": HUGE},
        [],
        "text",
        None,
    ],
    "provider": ["MTurk", "", "prolific", "mturk"],
    "architect": ["aws"],
    "blueprint": ["static"],
    "blueprint_source": ["a\nb.html"],
    "estimated_minutes": [None, 0, -3, 2**31, 1.5, NOT_ASCII_DIGITS],
    "planned_units": [0, -1, 2**31, "many"],
}


@st.composite
def configs(draw, most_mutations=2):
    """A config from tests/strategies.py's valid ones, with up to two fields mutated."""
    values = {**draw(task_configs()), **draw(LAUNCH_SETUP)}
    for _ in range(draw(st.integers(0, most_mutations))):
        name = draw(st.sampled_from(sorted(MUTATIONS)))
        values[name] = draw(st.sampled_from(MUTATIONS[name]))
    if draw(st.booleans()):
        # Tempt the rules: patience shorter than two assignments, resume.
        values["no_submission_patience"] = 60
        values["resume_incomplete_run"] = True
    return values


# -- How each path is given the config --------------------------------------------


def form_text(name, value):
    """The text a browser posts for `value` in field `name`.

    Durations as "1d 12h", the reward as typed (cents for Prolific, as stored),
    aux_parameters as the JSON typed into its text area. A value of another type
    is posted as the text a person would type for it (1.5 as "1.5", True as
    "true"); what cannot be JSON (a key that is not text) is typed as Python writes
    it, which the JSON field refuses, as the import and the model refuse the key.
    """
    if value is None:
        return None  # left empty: absent from the post, like an empty field's value
    if isinstance(value, bool):
        return "true" if value else "false"
    if name == "aux_parameters":
        if _has_key_not_text(value):
            # json.dumps would quietly write None or 1 as the text "null" or "1".
            return repr(value)
        try:
            text = json.dumps(_with_huge(value), ensure_ascii=False, allow_nan=True)
            if _has_surrogate(text):
                text = json.dumps(_with_huge(value), allow_nan=True)  # typed as "\udc00"
            return text.replace(f'"{Huge.TOKEN}"', Huge.DIGITS)
        except (TypeError, ValueError):
            return repr(value)
    if name in TaskRun.DURATION_FIELDS and isinstance(value, int) and 0 < value < 10**12:
        return compact_seconds(value)
    if isinstance(value, Decimal):
        return f"{value:f}"
    if isinstance(value, float):
        return json.dumps(value)  # NaN, Infinity as JavaScript would print them
    if isinstance(value, Huge):
        return Huge.DIGITS
    if isinstance(value, list):
        return json.dumps(value)
    return str(value)


def post_of(values, **extra):
    data = {}
    for name in TaskRun.EDITABLE_FIELDS:
        value = values.get(name)
        if name in ("force_rebuild", "resume_incomplete_run"):
            if value:
                data[name] = "on"  # an unticked box is absent
            continue
        text = form_text(name, value)
        data[name] = "" if text is None else text
    return {**data, **extra}


# A browser encodes the post as UTF-8, which cannot carry an unpaired surrogate
# (Django's test client fails to encode it, a real browser sends U+FFFD instead).
# A config holding one in a text field goes through the import and the service only;
# in aux_parameters it is typed as the escape "\udc00", which every path reads.
def form_cannot_post(values):
    return any(isinstance(value, str) and _has_surrogate(value) for value in values.values())


def _has_key_not_text(value):
    if isinstance(value, dict):
        return any(not isinstance(k, str) or _has_key_not_text(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_key_not_text(item) for item in value)
    return False


def _has_surrogate(text):
    return any("\ud800" <= char <= "\udfff" for char in text)


def json_number(value):
    """A reward as a config file writes it: an integer when whole, else a float."""
    if isinstance(value, Decimal) and value.is_finite():
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def for_the_import(values):
    """The config as a Hydra config file can say it, field by field.

    - planned_units is Taskadmin's own (the cost estimate): no config file has it.
    - estimated_minutes is written only as Prolific's completion time; a Prolific
      config without it gets Mephisto's default of 5 minutes, as Mephisto would.
    - blueprint_source is written only as a chosen blueprint's main argument.
    """
    seen = dict(values)
    seen["planned_units"] = None
    if values["provider"] != Provider.PROLIFIC:
        seen["estimated_minutes"] = None
    elif values["estimated_minutes"] is None:
        seen["estimated_minutes"] = PROLIFIC_DEFAULT_MINUTES
    if values["blueprint"] not in BLUEPRINT_MAIN_ARGUMENT:
        seen["blueprint_source"] = ""
    return seen


def _with_huge(value):
    if isinstance(value, Huge):
        return Huge.TOKEN
    if isinstance(value, dict):
        return {key: _with_huge(item) for key, item in value.items()}
    return value


def yaml_document(values):
    """The config as a Hydra YAML file (what tasks.exporting.to_yaml writes for a run)."""
    # Every choice is written, an empty one too (`provider: ''` is refused as the
    # form refuses it; left out, the provider would be Mephisto's default).
    defaults = [
        {f"/mephisto/{group}": values[group]} for group in ("blueprint", "architect", "provider")
    ]
    mephisto = {}
    main = BLUEPRINT_MAIN_ARGUMENT.get(values["blueprint"])
    if main and values["blueprint_source"]:
        mephisto["blueprint"] = {main: values["blueprint_source"]}
    if values["provider"] == Provider.PROLIFIC and values["estimated_minutes"] is not None:
        mephisto["provider"] = {PROLIFIC_MINUTES_ARGUMENT: values["estimated_minutes"]}
    task = {}
    for name in TaskRun.CONFIG_FIELDS:
        value = values[name]
        if name == "task_name" and value == "":
            value = None  # the exporter's spelling of "the blueprint type"
        elif name == "task_reward":
            value = json_number(value)
        if isinstance(value, str | dict | list):
            value = hydra.map_strings(value, hydra.escape_interpolations)
        task[name] = _with_huge(value)
    mephisto["task"] = task
    document = {"defaults": [*defaults, "_self_"], "mephisto": mephisto}
    text = "# @package _global_\n" + hydra.dump_yaml(document).replace(Huge.TOKEN, Huge.DIGITS)
    return text.encode("utf-8", "surrogatepass")


def model_values(values):
    """The values the import hands the model for a config (and the service is given):
    a JSON number as a Decimal reward, a null task name as "", digits as an int."""
    values = {name: _as_int(value) for name, value in values.items()}
    reward = values["task_reward"]
    if isinstance(reward, int | float) and not isinstance(reward, bool):
        values["task_reward"] = Decimal(reward) if isinstance(reward, int) else Decimal(str(reward))
    if values["task_name"] is None:
        values["task_name"] = ""
    return values


def _as_int(value):
    if isinstance(value, Huge):
        return 10**5000
    if isinstance(value, dict):
        return {key: _as_int(item) for key, item in value.items()}
    return value


# -- Verdicts -------------------------------------------------------------------------

# The fields an import error names: "field: message", or the Prolific section's key.
IMPORT_FIELD_NAMES = {f"mephisto.provider.{PROLIFIC_MINUTES_ARGUMENT}": "estimated_minutes"}


class Verdict:
    # Set when the import refused the whole file at its first unreadable value
    # (ImportFailure): it names that value's field and judges no other.
    whole_file = False

    def __init__(self, errors, warnings=()):
        self.errors = frozenset(errors)
        self.warnings = frozenset(warnings) if not self.errors else frozenset()

    @property
    def valid(self):
        return not self.errors

    def __eq__(self, other):
        return (self.errors, self.warnings) == (other.errors, other.warnings)

    def __repr__(self):
        if self.errors:
            return f"<invalid: {sorted(self.errors)}>"
        return f"<valid, warnings {sorted(self.warnings)}>"


def form_errors(errors):
    # "acknowledge" holds the save back for unread warnings: not a field in error.
    return {name for name in errors if name != "acknowledge"}


def saved_without_warnings(response):
    """A post with nothing to acknowledge is saved at once: valid, no warnings.
    The run is removed again, so the next path is asked in the same clean state."""
    assert response.status_code == 302
    TaskRun.objects.all().delete()
    return Verdict(())


def by_form(client, values):
    response = client.post(reverse("tasks:run-create"), post_of(values))
    if response.status_code != 200:
        return saved_without_warnings(response)
    form = response.context["form"]
    return Verdict(form_errors(form.errors), [w.code for w in form.warnings])


def by_preview(client, values):
    response = client.post(reverse("tasks:run-preview"), post_of(values))
    assert response.status_code == 200
    answer = response.json()
    errors = {error["field"] for error in answer["errors"]}
    assert (answer["config"] is None) == bool(errors)
    return Verdict(errors, [warning["code"] for warning in answer["warnings"]])


def by_admin(client, values):
    response = client.post(reverse("admin:tasks_taskrun_add"), post_of(values, _save=""))
    if response.status_code != 200:
        return saved_without_warnings(response)
    form = response.context["adminform"].form
    return Verdict(form_errors(form.errors), [w.code for w in form.warnings])


def _import_batch(values):
    return importing.preview(importing.parse("run.yaml", yaml_document(values)))


def import_field(message):
    """The field an import message names ("task_reward: Must be ...")."""
    name = message.partition(":")[0]
    return IMPORT_FIELD_NAMES.get(name, name)


def by_import(values):
    try:
        batch = _import_batch(values)
    except importing.ImportFailure as refused:
        # The whole file refused before any field is read: a value no later step
        # could handle. The message names where: "run.yaml: mephisto.task.<field>...";
        # only "nested too deeply" names no field, and only aux_parameters nests.
        message = str(refused)
        named = [name for name in TaskRun.CONFIG_FIELDS if f"mephisto.task.{name}" in message]
        if not named:
            assert "nested too deeply" in message, message
            named = ["aux_parameters"]
        verdict = Verdict(named)
        verdict.whole_file = True
        return verdict
    (doc,) = batch.documents
    return Verdict({import_field(e) for e in doc.errors}, [w.code for w in doc.warnings])


def by_service(editor, values):
    try:
        with_rollback(lambda: services.run_save(TaskRun(**values), by=editor, via="test"))
    except ValidationError as error:
        return Verdict(error.message_dict)
    except services.UnreadWarnings as error:
        return Verdict((), error.codes)
    return Verdict(())


class _Rollback(Exception):
    pass


def with_rollback(save):
    """Run `save`, then undo it: verdicts are asked in a clean state."""
    from django.db import transaction

    try:
        with transaction.atomic():
            save()
            raise _Rollback
    except _Rollback:
        pass


@pytest.fixture
def clean_slate(db):
    """Remove every run: a warning such as task_name_shared depends on the others."""

    def clean():
        TaskRun.objects.all().delete()

    return clean


@verdicts(150)
@given(values=configs())
def test_every_path_gives_the_same_verdict_and_none_fails(
    editor, editor_client, clean_slate, values
):
    clean_slate()
    TRIED["configs"] += 1
    expected = by_service(editor, model_values(values))
    found = {}
    if not form_cannot_post(values):
        found["form"] = by_form(editor_client, values)
        found["preview"] = by_preview(editor_client, values)
        found["admin"] = by_admin(editor_client, values)
    # The import is judged against the service given what the file can say.
    imported = for_the_import(values)
    expected_import = expected if imported == values else by_service(editor, model_values(imported))

    assert found == dict.fromkeys(found, expected), values
    verdict = by_import(values)
    if verdict.whole_file:
        # One field named, among those every other path finds in error.
        assert len(verdict.errors) == 1, values
        assert verdict.errors <= expected_import.errors, (verdict, expected_import, values)
    else:
        assert verdict == expected_import, values
    assert TaskRun.objects.count() == 0


# -- Saving a valid config through each path stores the same row ------------------


def stored(run):
    run.refresh_from_db()
    return {
        **{name: getattr(run, name) for name in TaskRun.EDITABLE_FIELDS},
        "acknowledged_warnings": sorted(run.acknowledged_warnings),
    }


EVERY_WARNING = list(rules.WARNING_CODES)


def save_by_form(client, values):
    response = client.post(reverse("tasks:run-create"), post_of(values, acknowledge=EVERY_WARNING))
    assert response.status_code == 302, response.context and response.context["form"].errors


def save_by_admin(client, values):
    response = client.post(
        reverse("admin:tasks_taskrun_add"),
        post_of(values, acknowledge=EVERY_WARNING, _save=""),
    )
    assert response.status_code == 302, response.context and (
        response.context["adminform"].form.errors
    )


def save_by_import(editor, values):
    batch = importing.parse("run.yaml", yaml_document(values))
    importing.apply(batch, by=editor, acknowledged=EVERY_WARNING)


def save_by_service(editor, values):
    services.run_save(TaskRun(**values), by=editor, via="test", acknowledged=EVERY_WARNING)


def row_saved(clean_slate, save):
    clean_slate()
    save()
    (run,) = TaskRun.objects.all()
    row = stored(run)
    clean_slate()
    return row


@verdicts(40)
@given(values=configs(most_mutations=0))
def test_a_valid_config_is_stored_the_same_through_every_path(
    editor, editor_client, clean_slate, values
):
    clean_slate()
    values = model_values(values)
    if not by_service(editor, values).valid:
        return  # a valid field can still break a rule across fields (Prolific's rate)
    TRIED["valid"] += 1
    reference = row_saved(clean_slate, lambda: save_by_service(editor, values))

    assert row_saved(clean_slate, lambda: save_by_form(editor_client, values)) == reference
    assert row_saved(clean_slate, lambda: save_by_admin(editor_client, values)) == reference
    imported = for_the_import(values)
    if imported != values:
        reference = row_saved(clean_slate, lambda: save_by_service(editor, imported))
    assert row_saved(clean_slate, lambda: save_by_import(editor, values)) == reference


# -- What the verdicts found: each was a disagreement between paths or a failure --------


def service_errors(editor, **overrides):
    run = TaskRun(**{**VALID_RUN, **overrides})
    with pytest.raises(ValidationError) as refused:
        services.run_save(run, by=editor, via="test")
    return refused.value.message_dict


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"task_reward": "abc", "estimated_minutes": 5}, "task_reward"),
        ({"task_reward": Decimal(100), "estimated_minutes": "x"}, "estimated_minutes"),
    ],
)
def test_a_prolific_run_given_text_for_a_number_is_refused_not_a_crash(editor, overrides, field):
    # The Prolific rate rule compared the text with a number: a TypeError.
    errors = service_errors(editor, provider="prolific", **overrides)

    assert set(errors) == {field}


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("allowed_concurrent", 1.5, "Must be a whole number such as 1800, not 1.5."),
        ("allowed_concurrent", 1800.0, "Must be a whole number such as 1800, not 1800.0."),
        ("submission_timeout", True, "Must be a whole number such as 1800, not true."),
        ("planned_units", "5", 'Must be a whole number such as 1800, not "5".'),
        ("task_reward", "0.50", 'Must be a number such as 0.5, not "0.50".'),
        ("task_title", 5, "Must be text, not 5."),
        ("force_rebuild", "yes", 'Must be true or false, not "yes".'),
    ],
)
def test_the_service_refuses_a_value_of_another_type_as_the_import_does(
    editor, field, value, message
):
    # Django's fields converted them silently (1.5 was saved as 1, True as 1);
    # the import refused each with this message.
    assert service_errors(editor, **{field: value}) == {field: [message]}
    document = {"mephisto": {"task": {**VALID_RUN, "task_reward": 0.5, field: value}}}
    if field in TaskRun.CONFIG_FIELDS:
        (doc,) = importing.parse("run.json", json.dumps(document).encode()).documents
        assert doc.errors == [f"{field}: {message}"]


@pytest.mark.parametrize("field", ["allowed_concurrent", "estimated_minutes", "planned_units"])
@pytest.mark.parametrize("typed", [NOT_ASCII_DIGITS, "1_000", "5.0", "²"])
def test_whole_numbers_are_typed_in_ascii_digits_as_a_config_file_writes_them(
    editor_client, field, typed
):
    # int() reads "١٢" and "1_000", and Django's IntegerField drops ".0": the form
    # saved what no config file (and so no import) can hold.
    response = editor_client.post(reverse("tasks:run-create"), form_data(**{field: typed}))

    assert response.context["form"].errors[field] == ["Enter a whole number."]


@pytest.mark.parametrize("typed", ["١", "0_5", "٠.٥"])
def test_a_reward_is_typed_in_ascii_digits(editor_client, typed):
    response = editor_client.post(reverse("tasks:run-create"), form_data(task_reward=typed))

    assert response.context["form"].errors["task_reward"] == ["Enter a number."]


def test_aux_parameters_with_a_number_too_long_to_write_is_refused_by_the_service(editor):
    # Django's JSONField.validate failed with ValueError (json.dumps of 5,000 digits).
    errors = service_errors(editor, aux_parameters={"big": 10**5000})

    assert errors == {"aux_parameters": ["Numbers must have at most 4,300 digits."]}


def test_the_live_preview_names_each_warning_by_its_code(editor_client):
    response = editor_client.post(reverse("tasks:run-preview"), form_data(task_reward="60"))

    assert [w["code"] for w in response.json()["warnings"]] == ["reward_above_confirm_threshold"]


def test_how_many_configs_were_tried():
    """Not a check: the count the two tests above tried in this session, on -s."""
    print(f"\nverdicts: {TRIED['configs']} configs through 5 paths,", end=" ")
    print(f"{TRIED['valid']} valid ones saved through 4")
