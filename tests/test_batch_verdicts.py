"""Checks remembered within a batch (tasks.verdicts): faster, never different.

An import checks each distinct value of a field once and reuses the verdict for
every run that holds exactly the same value. These tests hold the import to the
verdicts it gives without the memo: every run holding a refused value is refused
with the same message, values that are equal but of another type (1, true, 1.0)
get their own verdicts, runs never share a container, and what cannot be written
out (an integer of 5,000 digits) is refused, not a crash.
"""

import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tasks import importing, verdicts
from tasks.models import TaskRun

pytestmark = pytest.mark.django_db

TASK = {"task_title": "T", "task_description": "D", "task_reward": 0.5, "task_tags": "t"}


def jsonl(*tasks):
    return "\n".join(json.dumps({"mephisto": {"task": task}}) for task in tasks).encode()


def parsed(*tasks):
    return importing.parse("runs.jsonl", jsonl(*tasks)).documents


def test_every_run_holding_a_refused_value_is_refused_with_the_same_message():
    tasks = [{**TASK, "task_title": f"T{n}", "task_reward": 0.125} for n in range(3)]
    docs = parsed(*tasks)
    assert [doc.errors for doc in docs] == [
        ["task_reward: Use at most 2 decimal places: providers pay in whole cents."]
    ] * 3


def test_a_refused_value_in_a_later_run_is_refused_after_valid_runs_used_the_field():
    docs = parsed(
        {**TASK, "task_title": "a", "submission_timeout": 60},
        {**TASK, "task_title": "b", "submission_timeout": 60},
        {**TASK, "task_title": "c", "submission_timeout": -1},
    )
    assert [doc.status for doc in docs] == [importing.NEW, importing.NEW, importing.INVALID]
    assert docs[2].errors == ["submission_timeout: Cannot be negative; 0 means not waiting at all."]


@pytest.mark.parametrize("order", [("true", "one"), ("one", "true")])
def test_equal_values_of_another_type_get_their_own_verdict(order):
    given = {"true": True, "one": 1}
    docs = parsed(
        *({**TASK, "task_title": title, "force_rebuild": given[title]} for title in order)
    )
    verdict = {title: doc.errors for title, doc in zip(order, docs, strict=True)}
    assert verdict == {
        "true": [],
        "one": ["force_rebuild: Must be true or false, not 1."],
    }


def test_a_whole_number_and_a_decimal_reward_are_stored_each_as_given():
    docs = parsed(
        {**TASK, "task_title": "int", "task_reward": 1},
        {**TASK, "task_title": "float", "task_reward": 1.0},
        {**TASK, "task_title": "cents", "task_reward": 1.25},
    )
    assert [doc.errors for doc in docs] == [[], [], []]
    assert [doc.run.task_reward for doc in docs] == [Decimal("1"), Decimal("1.0"), Decimal("1.25")]


def test_runs_holding_the_same_object_do_not_share_it():
    aux = {"dataset": "birds/v2", "languages": ["en", "de"]}
    first, second = parsed(
        {**TASK, "task_title": "a", "aux_parameters": aux},
        {**TASK, "task_title": "b", "aux_parameters": aux},
    )
    assert first.run.aux_parameters == second.run.aux_parameters == aux
    assert first.run.aux_parameters is not second.run.aux_parameters
    first.run.aux_parameters["languages"].append("fr")
    assert second.run.aux_parameters == aux


def test_an_import_saves_each_run_its_own_values():
    aux = {"units_per_assignment": 3}
    batch = importing.parse(
        "runs.jsonl",
        jsonl(
            {**TASK, "task_title": "a", "aux_parameters": aux, "task_reward": 2},
            {**TASK, "task_title": "b", "aux_parameters": aux, "task_reward": 2.0},
        ),
    )
    importing.apply(importing.preview(batch))
    stored = dict(TaskRun.objects.values_list("task_title", "task_reward"))
    assert stored == {"a": Decimal("2.00"), "b": Decimal("2.00")}
    assert list(TaskRun.objects.values_list("aux_parameters", flat=True)) == [aux, aux]


def test_a_number_too_long_to_write_is_refused_within_a_batch_not_a_crash():
    with verdicts.remembered():
        for title in ("a", "b"):
            run = TaskRun(**{**TASK, "task_title": title, "aux_parameters": {"n": 10**5000}})
            with pytest.raises(ValidationError) as refused:
                run.full_clean(validate_unique=False, validate_constraints=False)
            assert refused.value.message_dict["aux_parameters"] == [
                "Numbers must have at most 4,300 digits."
            ]


def test_outside_a_batch_every_check_runs():
    calls = []

    def check(value):
        calls.append(value)
        return value * 2

    assert [verdicts.verdict("c", "f", 2, check) for _ in range(3)] == [4, 4, 4]
    assert calls == [2, 2, 2]


def test_within_a_batch_each_distinct_value_is_checked_once():
    calls = []

    def check(value):
        calls.append(value)
        return str(value)

    with verdicts.remembered():
        with verdicts.remembered():  # nested: the same batch
            assert verdicts.verdict("c", "f", 1, check) == "1"
        for value in (1, True, 1.0, 1, True, {"a": 1}, {"a": 1}, {"a": True}):
            verdicts.verdict("c", "f", value, check)
        verdicts.verdict("c", "other field", 1, check)
        verdicts.verdict("other check", "f", 1, check)
    assert calls == [1, True, 1.0, {"a": 1}, {"a": True}, 1, 1]
    verdicts.verdict("c", "f", 1, check)  # the batch has ended: checked again
    assert len(calls) == 8


def test_what_a_check_raises_is_not_remembered():
    calls = []

    def check(value):
        calls.append(value)
        raise ValueError("no")

    with verdicts.remembered():
        for _ in range(2):
            with pytest.raises(ValueError):
                verdicts.verdict("c", "f", 1, check)
    assert calls == [1, 1]


def test_the_memo_stops_growing_at_its_bound_and_still_answers(monkeypatch):
    monkeypatch.setattr(verdicts, "MAX_REMEMBERED", 3)
    calls = []

    def check(value):
        calls.append(value)
        return -value

    with verdicts.remembered():
        answers = [verdicts.verdict("c", "f", value, check) for value in [*range(10), *range(10)]]
        memo = verdicts._memo.get()
        assert len(memo) == 3
    assert answers == [-value for value in [*range(10), *range(10)]]
    # The first three were remembered; the other seven are checked each time.
    assert len(calls) == 10 + 7


def test_a_json_line_with_an_escaped_backslash_before_u_d800_is_text_not_a_surrogate():
    [doc] = parsed({**TASK, "aux_parameters": {"path": "C:\\ud800"}})
    assert doc.errors == []
    assert doc.run.aux_parameters == {"path": "C:\\ud800"}


def test_a_json_line_nested_too_deeply_is_refused():
    value = "x"
    for _ in range(importing.MAX_DEPTH):
        value = [value]
    with pytest.raises(importing.ImportFailure) as refused:
        parsed({**TASK, "aux_parameters": {"deep": value}})
    assert str(refused.value) == (
        f"runs.jsonl line 1 is nested too deeply (more than {importing.MAX_DEPTH} levels)."
    )
