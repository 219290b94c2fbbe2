"""tasks.launch_args: Mephisto 1.5.2's declared arguments, and what it would refuse."""

import json

import pytest

from tasks import launch_args
from tasks.launch_args import KINDS, arguments, problems

REFERENCE = json.loads(launch_args.SOURCE.read_text())
EVERY_ARGUMENT = [
    (group, name, entry["dest"])
    for group in launch_args.GROUPS
    for name, entries in REFERENCE[group].items()
    for entry in entries
]


@pytest.mark.parametrize(("group", "name", "dest"), EVERY_ARGUMENT)
def test_every_argument_of_the_reference_loads_with_a_known_type(group, name, dest):
    argument = arguments(group, name)[dest]
    assert argument.type in KINDS
    assert argument.help_text
    if argument.default not in (launch_args.MISSING,) and not argument.required:
        assert "Default: " in argument.help_text


def test_a_default_factory_reads_as_an_empty_container():
    argument = arguments("architect", "heroku")["heroku_config_args"]
    assert argument.default == {}
    assert argument.help_text.endswith("Default: {}.")


def test_help_text_says_required_or_the_default():
    static = arguments("blueprint", "static_task")
    assert static["task_source"].help_text == (
        "Path to source HTML file for the task being run. Required."
    )
    assert static["units_per_assignment"].help_text == (
        "How many workers you want to do each assignment. Default: 1."
    )
    assert static["data_csv"].help_text == (
        "Path to csv file containing task data. No default: left empty, it is not set."
    )


def test_unknown_key_is_refused_with_the_launch_consequence():
    assert problems("blueprint", "static_task", {"foo": 1}, given={"task_source"}) == [
        (
            "foo",
            "mephisto.blueprint.foo: Mephisto's static_task blueprint has no argument foo;"
            " it would refuse the config at launch.",
        )
    ]


def test_unknown_key_close_to_a_declared_one_gets_a_suggestion():
    assert problems("blueprint", "static_task", {"data_cvs": "d.csv"}, given={"task_source"}) == [
        (
            "data_cvs",
            "mephisto.blueprint.data_cvs: Mephisto's static_task blueprint has no argument"
            " data_cvs; it would refuse the config at launch. Did you mean data_csv?",
        )
    ]


@pytest.mark.parametrize(
    ("group", "name", "key", "value", "said"),
    [
        ("blueprint", "static_task", "units_per_assignment", "2", "the text “2”"),
        ("blueprint", "static_task", "units_per_assignment", 2.0, "the number 2.0"),
        ("blueprint", "static_task", "units_per_assignment", True, "true (true or false)"),
        ("blueprint", "static_task", "use_golds", 1, "the number 1"),
        ("blueprint", "static_task", "use_golds", "yes", "the text “yes”"),
        ("blueprint", "static_task", "data_csv", 3, "the number 3"),
        ("blueprint", "static_task", "data_csv", None, "null"),
        ("blueprint", "static_task", "preview_source", ["a"], "a list"),
        ("provider", "prolific", "prolific_eligibility_requirements", {}, "a mapping"),
        ("architect", "heroku", "heroku_config_args", [], "a list"),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(group, name, key, value, said):
    kind = KINDS[arguments(group, name)[key].type]
    assert problems(group, name, {key: value}, given={"task_source"}) == [
        (
            key,
            f"mephisto.{group}.{key}: Mephisto's {name} {group} takes {kind} here, not {said};"
            " it would refuse the config at launch.",
        )
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("units_per_assignment", 2),
        ("use_golds", False),
        ("data_csv", "data.csv"),
        ("preview_source", None),
        ("preview_source", "preview.html"),
        ("units_per_assignment", "${num_units}"),
        ("use_golds", "${golds}"),
        ("data_csv", "${task_dir}/data.csv"),
        ("units_per_assignment", "???"),
    ],
)
def test_right_types_interpolations_and_missing_pass(key, value):
    assert problems("blueprint", "static_task", {key: value}, given={"task_source"}) == []


def test_lists_and_mappings_pass_where_declared():
    assert problems("provider", "prolific", {"prolific_eligibility_requirements": []}) == []
    assert problems("architect", "heroku", {"heroku_config_args": {"A": "b"}}) == []


def test_a_required_argument_left_out_is_named():
    assert problems("blueprint", "mock", {}) == [
        (
            "num_assignments",
            "mephisto.blueprint.num_assignments: Mephisto's mock blueprint requires"
            " num_assignments (How many workers you want to do each assignment).",
        )
    ]
    assert problems("blueprint", "static_task", {}) == [
        (
            "task_source",
            "mephisto.blueprint.task_source: Mephisto's static_task blueprint requires"
            " task_source (Path to source HTML file for the task being run).",
        )
    ]
    assert problems("blueprint", "static_task", {}, given={"task_source"}) == []
    assert problems("blueprint", "mock", {"num_assignments": "???"})[0][0] == "num_assignments"


def test_the_selector_must_name_the_chosen_one():
    assert problems("architect", "local", {"_architect_type": "local"}) == []
    assert problems("architect", "local", {"_architect_type": "ec2"}) == [
        (
            "_architect_type",
            "mephisto.architect._architect_type: says ec2, but the architect chosen is local;"
            " leave it out (the defaults list sets it).",
        )
    ]


def test_names_mephisto_does_not_ship_and_no_name_are_not_checked():
    assert arguments("blueprint", "acute_eval") is None
    assert problems("blueprint", "acute_eval", {"anything": object()}) == []
    assert problems("blueprint", "", {"anything": 1}) == []
