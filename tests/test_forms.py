"""TaskRunForm: the model's fields and rules, with friendlier inputs."""

import pytest
from crispy_forms.layout import HTML
from django import forms

from tasks.forms import TaskRunForm
from tasks.models import TaskRun
from tests.conftest import form_data

pytestmark = pytest.mark.django_db


def test_form_holds_every_editable_field_the_version_and_the_warnings_read():
    # Then one input per argument the chosen names declare: a new run is for
    # the mock provider, whose one argument is requester_name.
    assert tuple(TaskRunForm().fields) == (
        *TaskRun.EDITABLE_FIELDS,
        "version",
        "acknowledge",
        "provider_args__requester_name",
    )
    assert isinstance(TaskRunForm().fields["version"].widget, forms.HiddenInput)


@pytest.mark.parametrize(
    "name",
    [name for name in TaskRun.EDITABLE_FIELDS if name not in TaskRun.ARGUMENT_SECTIONS.values()],
)
def test_every_field_shows_the_models_help_text(name):
    assert TaskRunForm().fields[name].help_text == TaskRun._meta.get_field(name).help_text


def test_a_new_form_starts_from_mephistos_defaults():
    form = TaskRunForm()
    for name in TaskRun.CONFIG_FIELDS:
        field = TaskRun._meta.get_field(name)
        if field.has_default():
            assert form[name].initial == field.get_default(), name


def test_required_fields_are_the_ones_without_a_default():
    required = {name for name, field in TaskRunForm().fields.items() if field.required}
    assert required == {
        "task_title",
        "task_description",
        "task_reward",
        "task_tags",
        *TaskRun.DURATION_FIELDS,
        *TaskRun.LIMIT_FIELDS,
    }


def test_layout_groups_follow_the_models_groups():
    fieldsets = TaskRunForm().helper.layout.fields
    assert [fieldset.legend for fieldset in fieldsets] == [
        legend for legend, _ in TaskRun.FORM_GROUPS
    ]
    # The main file and the three argument sections are one included block
    # (tasks/_launch_arguments.html).
    sections = ("blueprint_source", *TaskRun.ARGUMENT_SECTIONS.values())
    assert [
        [getattr(item, "field", item) for item in fieldset.fields if not isinstance(item, HTML)]
        for fieldset in fieldsets
    ] == [[name for name in names if name not in sections] for _, names in TaskRun.FORM_GROUPS]


def test_valid_form_saves_a_run_with_normalised_tags():
    form = TaskRunForm(form_data(task_tags="b, a,, B"))
    assert form.is_valid(), form.errors
    run = form.save()
    assert run.task_tags == "b, a"


@pytest.mark.parametrize(
    ("typed", "seconds"),
    [("45", 45), ("90s", 90), ("30m", 1800), ("12h", 43200), ("31d", 2678400), ("1d 12h", 129600)],
)
def test_durations_accept_seconds_or_units_and_store_whole_seconds(typed, seconds):
    # A patience long enough not to draw the "patience too short" warning.
    form = TaskRunForm(
        form_data(assignment_duration_in_seconds=typed, no_submission_patience="90d")
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["assignment_duration_in_seconds"] == seconds
    assert type(form.save().assignment_duration_in_seconds) is int


@pytest.mark.parametrize("typed", ["12x", "-5m", "1.5s", "1800.0"])
def test_bad_duration_is_refused_saying_what_is_accepted(typed):
    form = TaskRunForm(form_data(task_lifetime_in_seconds=typed))
    assert form.errors["task_lifetime_in_seconds"] == [
        "Enter whole seconds (45) or whole units d, h, m, s (90s, 30m, 12h, 31d, 1d 12h)."
    ]


def test_zero_assignment_duration_is_refused_with_the_models_message():
    form = TaskRunForm(form_data(assignment_duration_in_seconds="0"))
    assert form.errors["assignment_duration_in_seconds"] == [
        "Must be at least 1 second: 0 would end it at once."
    ]


def test_reward_with_three_decimals_is_refused_with_message():
    form = TaskRunForm(form_data(task_reward="0.005"))
    assert form.errors["task_reward"] == [
        "Use at most 2 decimal places: providers pay in whole cents."
    ]


def test_reward_with_float_noise_is_refused_with_message():
    form = TaskRunForm(form_data(task_reward="0.30000000000000004"))
    assert form.errors["task_reward"] == [
        "Use at most 2 decimal places (providers pay in whole cents)"
        " and at most 8 digits before the point."
    ]


@pytest.mark.parametrize("typed", ["NaN", "inf", "-Infinity", "abc", "1,5"])
def test_reward_that_is_not_a_finite_number_is_refused(typed):
    assert TaskRunForm(form_data(task_reward=typed)).errors["task_reward"] == ["Enter a number."]


def test_negative_reward_is_refused_with_message():
    form = TaskRunForm(form_data(task_reward="-1"))
    assert form.errors["task_reward"] == ["The reward cannot be negative."]


def test_negative_limit_is_refused_with_message():
    form = TaskRunForm(form_data(maximum_units_per_worker="-3"))
    assert form.errors["maximum_units_per_worker"] == [
        "Use 0 for no limit: a negative limit would block every worker."
    ]


def test_whitespace_only_title_is_refused():
    assert TaskRunForm(form_data(task_title="   ")).errors["task_title"] == [
        "This field is required."
    ]


def test_malformed_aux_parameters_says_where():
    form = TaskRunForm(form_data(aux_parameters='{\n  "a": 1,\n  "b": \n}'))
    assert form.errors["aux_parameters"] == ["Not valid JSON: Expecting value at line 4, column 1."]


@pytest.mark.parametrize(
    ("typed", "kind"), [("[1, 2]", "a list"), ('"text"', "a string"), ("3", "a number")]
)
def test_aux_parameters_that_is_not_an_object_is_refused(typed, kind):
    form = TaskRunForm(form_data(aux_parameters=typed))
    assert form.errors["aux_parameters"] == [
        f'Must be a JSON object such as {{"key": "value"}}, not {kind}.'
    ]


def test_empty_aux_parameters_means_an_empty_object():
    form = TaskRunForm(form_data(aux_parameters="  "))
    assert form.is_valid(), form.errors
    assert form.save().aux_parameters == {}


def test_aux_parameters_are_shown_pretty_printed(make_run):
    run = make_run(aux_parameters={"a": {"b": [1, 2]}})
    assert TaskRunForm(instance=run)["aux_parameters"].value() == (
        '{\n  "a": {\n    "b": [\n      1,\n      2\n    ]\n  }\n}'
    )


def test_invalid_form_keeps_what_the_user_typed():
    typed = form_data(
        task_title="My title",
        task_lifetime_in_seconds="12x",
        task_reward="0.005",
        aux_parameters='{"a": ',
    )
    form = TaskRunForm(typed)
    assert not form.is_valid()
    for name in ("task_title", "task_lifetime_in_seconds", "task_reward", "aux_parameters"):
        assert str(form[name].value()) == typed[name], name


def test_duration_input_shows_its_value_in_human_terms():
    html = str(TaskRunForm()["task_lifetime_in_seconds"])
    assert 'value="2678400"' in html
    assert ">31 days</output>" in html
