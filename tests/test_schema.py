"""tasks.schema: the JSON Schema is generated from the model and agrees with it."""

import json

import jsonschema
import pytest
from hypothesis import given, settings

from tasks import exporting, schema
from tasks.models import TaskRun
from tests.strategies import task_configs

SCHEMA = schema.config_schema()
TASK = SCHEMA["$defs"]["task"]


def errors(document):
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [error.message for error in validator.iter_errors(document)]


def test_schema_is_valid_draft_2020_12():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_properties_are_the_config_fields_in_documented_order():
    assert tuple(TASK["properties"]) == TaskRun.CONFIG_FIELDS


@pytest.mark.parametrize("name", TaskRun.CONFIG_FIELDS)
def test_descriptions_are_the_help_texts(name):
    assert TASK["properties"][name]["description"] == TaskRun._meta.get_field(name).help_text


def test_required_are_the_fields_without_defaults():
    assert TASK["required"] == ["task_title", "task_description", "task_reward", "task_tags"]


def test_types_defaults_and_minimums_come_from_the_model():
    props = TASK["properties"]
    assert props["task_lifetime_in_seconds"] == {
        "type": "integer",
        "description": TaskRun._meta.get_field("task_lifetime_in_seconds").help_text,
        "default": 2678400,
        "minimum": 1,
    }
    assert props["allowed_concurrent"]["minimum"] == 0
    assert props["task_reward"]["type"] == "number" and props["task_reward"]["minimum"] == 0
    assert (
        props["task_name"]["type"] == ["string", "null"] and props["task_name"]["default"] is None
    )
    assert props["force_rebuild"]["default"] is False
    assert props["aux_parameters"]["type"] == "object"
    assert props["task_title"]["maxLength"] == 255


@settings(max_examples=60, deadline=None)
@given(values=task_configs())
def test_every_valid_run_export_passes_the_schema(values):
    run = TaskRun(**values)
    run.full_clean(validate_constraints=False)  # no database here
    assert errors(json.loads(exporting.dumps(exporting.run_to_config(run)))) == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("task_lifetime_in_seconds", 1800.5, "1800.5 is not of type 'integer'"),
        ("task_reward", -1, "-1 is less than the minimum of 0"),
        ("colour", "red", "Additional properties are not allowed ('colour' was unexpected)"),
        ("task_name", 5, "5 is not of type 'string', 'null'"),
    ],
)
def test_schema_refuses_what_the_model_refuses(field, value, message):
    task = {"task_title": "T", "task_description": "D", "task_reward": 1, "task_tags": "t"}
    assert errors({"mephisto": {"task": {**task, field: value}}}) == [message]


def test_schema_command_prints_the_schema(capsys):
    from django.core.management import call_command

    call_command("task_run_schema")
    assert json.loads(capsys.readouterr().out) == SCHEMA
