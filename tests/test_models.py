"""The TaskRun model: Mephisto's documented fields, and the rules every path obeys."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from tasks import services
from tasks.models import TaskRun
from tests.conftest import VALID_RUN
from tests.reference import default_value, reference_rows

pytestmark = pytest.mark.django_db

REFERENCE = reference_rows()
MODEL_TYPES = {
    "str": (models.CharField, models.TextField),
    "int": (models.PositiveIntegerField,),
    "float": (models.DecimalField,),
    "bool": (models.BooleanField,),
}
# The page says "unknown" for these; what Mephisto actually declares decides.
UNKNOWN_TYPES = {
    "task_name": models.CharField,
    "resume_incomplete_run": models.BooleanField,
    "aux_parameters": models.JSONField,
}


def errors_for(**overrides):
    run = TaskRun(**{**VALID_RUN, **overrides})
    try:
        run.full_clean()
    except ValidationError as error:
        return error.message_dict
    return {}


# -- The fields, checked against Mephisto's reference page ---------------------------


def test_reference_page_documents_sixteen_fields():
    assert len(REFERENCE) == 16


def test_config_fields_are_the_documented_ones_in_documented_order():
    assert tuple(row["dest"] for row in REFERENCE) == TaskRun.CONFIG_FIELDS


def test_form_groups_hold_every_config_field_once_and_the_launch_setup():
    grouped = [name for _, names in TaskRun.FORM_GROUPS for name in names]
    assert len(grouped) == len(set(grouped))
    assert set(grouped) - set(TaskRun.CONFIG_FIELDS) == {
        "provider",
        "architect",
        "blueprint",
        "blueprint_source",
        "estimated_minutes",
        "planned_units",
        "blueprint_args",
        "architect_args",
        "provider_args",
        "defaults",
        "mephisto_extra",
        "top_level",
    }
    assert set(TaskRun.CONFIG_FIELDS) <= set(grouped)


@pytest.mark.parametrize("row", REFERENCE, ids=lambda row: row["dest"])
def test_field_type_matches_reference(row):
    field = TaskRun._meta.get_field(row["dest"])
    expected = MODEL_TYPES.get(row["type"]) or (UNKNOWN_TYPES[row["dest"]],)
    assert isinstance(field, expected)


@pytest.mark.parametrize("row", REFERENCE, ids=lambda row: row["dest"])
def test_field_default_matches_reference(row):
    field = TaskRun._meta.get_field(row["dest"])
    documented = default_value(row)
    if row["dest"] == "aux_parameters":
        assert field.get_default() == {}
    elif row["dest"] in ("task_name", "post_install_script"):
        assert field.get_default() == ""
    elif documented is None:
        assert not field.has_default()
    else:
        assert field.get_default() == documented


@pytest.mark.parametrize("row", REFERENCE, ids=lambda row: row["dest"])
def test_help_text_starts_with_the_documented_text(row):
    field = TaskRun._meta.get_field(row["dest"])
    assert field.help_text.startswith(row["help"])


@pytest.mark.parametrize("row", REFERENCE, ids=lambda row: row["dest"])
def test_required_flag_matches_reference(row):
    field = TaskRun._meta.get_field(row["dest"])
    if row["required"]:
        assert not field.blank, "a required field must be given a value"
    else:
        assert field.blank or field.has_default(), "an optional field needs a default"


# -- Rules: each with a value that passes and one that fails ---------------------------


def test_valid_run_passes():
    assert errors_for() == {}


@pytest.mark.parametrize("name", ["", "my-task", "pilot_2", "ABC123"])
def test_task_name_blank_or_letters_digits_dash_underscore_is_accepted(name):
    assert "task_name" not in errors_for(task_name=name)


@pytest.mark.parametrize(
    "name", ["Sample Questionnaire", "übersetzung-de-ja", "a.b", "x/y", "pairwise_${now:%H}"]
)
def test_task_name_may_be_any_text_as_mephisto_allows(name):
    # Mephisto refuses only an empty name; its architects tidy host names themselves.
    assert "task_name" not in errors_for(task_name=name)


def test_task_name_of_only_spaces_is_refused():
    assert errors_for(task_name="   ")["task_name"] == ["This field cannot be only spaces."]


@pytest.mark.parametrize("field", TaskRun.STRIPPED_FIELDS)
def test_spaces_around_free_text_are_dropped_as_the_form_drops_them(db, field):
    # Found by tests/test_verdicts.py: " \\" was saved as "\\" by the form and as
    # " \\" by the import and the service.
    values = {"task_name": "pilot", "post_install_script": "setup.sh", "blueprint_source": "a.html"}
    run = TaskRun(**{**VALID_RUN, field: f" \t{values.get(field, 'Some text')}\n "})
    run.full_clean()
    assert getattr(run, field) == values.get(field, "Some text")


@pytest.mark.parametrize("field", ["task_title", "task_description", "task_tags"])
def test_required_text_that_is_empty_is_refused(field):
    assert errors_for(**{field: ""})[field] == ["This field cannot be blank."]


@pytest.mark.parametrize("field", ["task_title", "task_description"])
def test_required_text_of_only_spaces_is_refused(field):
    assert errors_for(**{field: "  \n "})[field] == ["This field cannot be only spaces."]


@pytest.mark.parametrize("reward", ["0", "0.01", "0.5", "12.34", "99999999.99"])
def test_reward_of_zero_or_more_with_two_decimals_is_accepted(reward):
    assert "task_reward" not in errors_for(task_reward=Decimal(reward))


def test_negative_reward_is_refused_with_message():
    assert errors_for(task_reward=Decimal("-0.01"))["task_reward"] == [
        "The reward cannot be negative."
    ]


@pytest.mark.parametrize("reward", ["0.005", "1e-05", "12.345"])
def test_reward_with_more_than_two_decimals_is_refused_with_message(reward):
    assert errors_for(task_reward=Decimal(reward))["task_reward"] == [
        "Use at most 2 decimal places: providers pay in whole cents."
    ]


def test_reward_with_float_noise_is_refused_with_message():
    assert errors_for(task_reward=Decimal("0.30000000000000004"))["task_reward"] == [
        "Use at most 2 decimal places (providers pay in whole cents)"
        " and at most 8 digits before the point."
    ]


def test_reward_too_large_is_refused_with_message():
    assert errors_for(task_reward=Decimal("123456789"))["task_reward"] == [
        "Use at most 8 digits before the decimal point."
    ]


@pytest.mark.parametrize("reward", ["NaN", "Infinity", "-Infinity"])
def test_reward_that_is_not_finite_is_refused(reward):
    assert "task_reward" in errors_for(task_reward=Decimal(reward))


@pytest.mark.parametrize(
    "field",
    ["task_lifetime_in_seconds", "assignment_duration_in_seconds", "no_submission_patience"],
)
def test_duration_of_zero_is_refused_with_message(field):
    assert errors_for(**{field: 0})[field] == ["Must be at least 1 second: 0 would end it at once."]


@pytest.mark.parametrize("field", TaskRun.DURATION_FIELDS)
def test_duration_of_one_second_is_accepted(field):
    assert field not in errors_for(**{field: 1})


def test_submission_timeout_may_be_zero():
    assert "submission_timeout" not in errors_for(submission_timeout=0)


def test_negative_submission_timeout_is_refused():
    assert errors_for(submission_timeout=-1)["submission_timeout"] == [
        "Cannot be negative; 0 means not waiting at all."
    ]


@pytest.mark.parametrize("field", TaskRun.LIMIT_FIELDS)
def test_worker_limit_of_zero_means_no_limit_and_is_accepted(field):
    assert field not in errors_for(**{field: 0})


@pytest.mark.parametrize("field", TaskRun.LIMIT_FIELDS)
def test_negative_worker_limit_is_refused_with_message(field):
    assert errors_for(**{field: -1})[field] == [
        "Use 0 for no limit: a negative limit would block every worker."
    ]


@pytest.mark.parametrize("path", ["", "link.sh", "scripts/link-local.sh", "./setup.sh"])
def test_post_install_script_relative_inside_webapp_is_accepted(path):
    assert "post_install_script" not in errors_for(post_install_script=path)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "/etc/evil.sh",
            "Give the script's path relative to the webapp directory, without a leading '/'.",
        ),
        (
            "~/x.sh",
            "Give the script's path relative to the webapp directory, without a leading '/'.",
        ),
        ("../outside.sh", "The script must be inside the webapp directory: no '..' in its path."),
        (
            "scripts/../../x.sh",
            "The script must be inside the webapp directory: no '..' in its path.",
        ),
        (
            "scripts\\x.sh",
            "Use '/' between folders; backslashes and control characters are not allowed.",
        ),
        ("scripts/", "Name a script file, not a folder."),
    ],
)
def test_post_install_script_outside_webapp_is_refused_with_message(path, message):
    assert errors_for(post_install_script=path)["post_install_script"] == [message]


@pytest.mark.parametrize("value", [{}, {"a": 1}, {"nested": {"list": [1, 2, {"x": None}]}}])
def test_aux_parameters_json_object_is_accepted(value):
    assert "aux_parameters" not in errors_for(aux_parameters=value)


@pytest.mark.parametrize(
    ("value", "kind"),
    [([1, 2], "a list"), ("text", "a string"), (3, "a number"), (True, "true or false")],
)
def test_aux_parameters_that_is_not_an_object_is_refused_with_message(value, kind):
    assert errors_for(aux_parameters=value)["aux_parameters"] == [
        f'Must be a JSON object such as {{"key": "value"}}, not {kind}.'
    ]


# -- Tags ---------------------------------------------------------------------------


def test_tags_are_normalised_on_save(make_run):
    run = make_run(task_tags=" images ,, labelling, Images,  fast   work ,")
    run.refresh_from_db()
    assert run.task_tags == "images, labelling, fast work"
    assert run.tag_list == ["images", "labelling", "fast work"]


def test_tags_that_are_only_commas_are_refused_with_message():
    assert errors_for(task_tags=" , ,")["task_tags"] == [
        "Give at least one tag; separate several with commas."
    ]


# -- Database backstops ---------------------------------------------------------------


@pytest.mark.parametrize(
    "overrides",
    [
        {"task_reward": Decimal("-1")},
        {"task_lifetime_in_seconds": 0},
        {"assignment_duration_in_seconds": 0},
        {"no_submission_patience": 0},
        {"task_title": ""},
        {"task_tags": ""},
        {"post_install_script": "/abs.sh"},
        {"allowed_concurrent": -1},
    ],
    ids=lambda overrides: next(iter(overrides)),
)
def test_database_refuses_what_validation_refuses_even_without_full_clean(db, overrides):
    with pytest.raises(IntegrityError), transaction.atomic():
        TaskRun.objects.create(**{**VALID_RUN, **overrides})


# -- Clone -----------------------------------------------------------------------------


def test_clone_copies_every_config_field_and_records_its_origin(make_run, editor):
    original = make_run(
        task_name="pilot",
        task_lifetime_in_seconds=3600,
        allowed_concurrent=2,
        post_install_script="link.sh",
        force_rebuild=True,
        resume_incomplete_run=True,
        aux_parameters={"nested": {"a": [1, 2]}},
    )
    clone = services.run_clone(
        original, by=editor, acknowledged=["task_name_shared", "resume_ignores_these_values"]
    )
    clone.refresh_from_db()
    for name in TaskRun.CONFIG_FIELDS:
        assert getattr(clone, name) == getattr(original, name), name
    assert clone.pk != original.pk
    assert clone.cloned_from == original
    assert clone.created_by == editor
    assert clone.updated_by == editor
    assert list(original.clones.all()) == [clone]


def test_clone_gets_its_own_copy_of_aux_parameters(make_run, editor):
    original = make_run(aux_parameters={"nested": {"a": 1}})
    clone = original.clone(by=editor)
    clone.aux_parameters["nested"]["a"] = 2
    assert original.aux_parameters == {"nested": {"a": 1}}


def test_clone_without_saving_leaves_the_database_alone(make_run, editor):
    original = make_run()
    clone = original.clone(by=editor)
    assert clone.pk is None
    assert TaskRun.objects.count() == 1


def test_deleting_the_original_keeps_its_clones(make_run, editor):
    original = make_run()
    clone = services.run_clone(original, by=editor)
    original.delete()
    clone.refresh_from_db()
    assert clone.cloned_from is None


def test_line_breaks_are_stored_as_newlines_whatever_the_browser_sent(make_run):
    run = make_run(task_description="One\r\nTwo\rThree")
    run.refresh_from_db()
    assert run.task_description == "One\nTwo\nThree"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "nul\x00byte",
            "Text cannot contain the NUL character (\\u0000) or an unpaired"
            " surrogate escape (\\ud800 to \\udfff).",
        ),
        (
            "lone \ud800",
            "Text cannot contain the NUL character (\\u0000) or an unpaired"
            " surrogate escape (\\ud800 to \\udfff).",
        ),
        ("???", "“???” means “missing” to Mephisto's config: write what you mean."),
    ],
    ids=["nul", "surrogate", "missing"],
)
@pytest.mark.parametrize("field", ["task_title", "task_description", "task_tags", "task_name"])
def test_text_no_database_or_launch_can_take_is_refused_on_every_path(field, value, message):
    if field == "task_name":
        value = value.replace(" ", "")
    assert message in errors_for(**{field: value})[field]


def test_question_marks_inside_text_are_fine():
    assert errors_for(task_title="Which one??? Pick!") == {}


@pytest.mark.parametrize("field", [*TaskRun.DURATION_FIELDS, *TaskRun.LIMIT_FIELDS])
def test_whole_numbers_stop_where_postgresql_does_on_every_database(field):
    assert field not in errors_for(
        **{field: 2_147_483_647, "no_submission_patience": 2_147_483_647}
    )
    assert errors_for(**{field: 2_147_483_648})[field] == ["Use at most 2,147,483,647 here."]
