"""The live preview's derived values: everything the run form shows beside its inputs
(tags as chips, the reward's unit and currency, the cost estimate, durations in words)
comes from the server, from the functions the model and the exports use."""

import json
import re
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from tasks import costs
from tasks.models import TaskRun
from tests.conftest import form_data
from tests.html import field_block

PREVIEW = reverse("tasks:run-preview")
CREATE = reverse("tasks:run-create")


def preview(client, url=PREVIEW, **overrides):
    response = client.post(url, form_data(**overrides))
    assert response.status_code == 200
    return response.json()


def text_of(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# -- Tags: cleaned up exactly as the model will save them.


def test_tags_that_casefold_alike_are_one_tag_and_the_blank_is_dropped(editor_client):
    answer = preview(editor_client, task_tags="Straße, STRASSE, , images")
    assert answer["tags"] == {
        "kept": ["Straße", "images"],
        "duplicates": [{"tag": "STRASSE", "same_as": "Straße"}],
        "blanks": 1,
        "note": "Dropped when saved: “STRASSE” (same as “Straße”), 1 blank.",
    }
    assert json.loads(answer["config"])["mephisto"]["task"]["task_tags"] == "Straße, images"


def test_the_tags_shown_are_the_tags_saved(editor_client):
    typed = "  fast   labelling , Images,images, ,, Straße,strasse,"
    answer = preview(editor_client, task_tags=typed)
    editor_client.post(CREATE, form_data(task_tags=typed))
    assert (
        answer["tags"]["kept"]
        == TaskRun.objects.get().tag_list
        == ["fast labelling", "Images", "Straße"]
    )
    assert answer["tags"]["note"] == (
        "Dropped when saved: “images” (same as “Images”), “strasse” (same as “Straße”), 2 blanks."
    )


def test_the_entry_after_the_last_comma_is_being_typed_not_a_blank(editor_client):
    assert preview(editor_client, task_tags="images, ")["tags"] == {
        "kept": ["images"],
        "duplicates": [],
        "blanks": 0,
        "note": "",
    }


def test_tags_are_read_even_when_the_field_is_refused(editor_client):
    answer = preview(editor_client, task_tags=" , ,")
    assert answer["errors"][0]["field"] == "task_tags"
    assert answer["tags"] == {
        "kept": [],
        "duplicates": [],
        "blanks": 2,
        "note": "Dropped when saved: 2 blanks.",
    }


def test_form_sent_back_shows_the_chips_as_the_server_reads_them(editor_client):
    page = editor_client.post(
        CREATE, form_data(task_tags="Straße, STRASSE, , images", task_reward="0.005")
    ).content.decode()
    block = field_block(page, "task_tags")
    assert (
        '<li class="badge rounded-pill tag-chip text-bg-secondary">Straße</li>'
        '<li class="badge rounded-pill tag-chip text-bg-secondary">images</li>'
        '<li class="badge rounded-pill tag-chip tag-chip-dropped"'
        ' title="Duplicate: dropped when saved">STRASSE</li>'
    ) in block
    assert "Dropped when saved: “STRASSE” (same as “Straße”), 1 blank." in block


# -- The reward: unit, tidy form and currency from tasks.money.


def test_dollar_reward_is_tidied_to_two_decimals(editor_client):
    assert preview(editor_client, provider="mturk_sandbox", task_reward=".5")["reward"] == {
        "unit": "$",
        "typed": "0.50",
        "text": "$0.50",
        "equivalent": "",
    }


def test_prolific_reward_is_whole_cents_with_its_currency_equivalent(editor_client, settings):
    settings.TASKADMIN_PROLIFIC_CURRENCY = "GBP"
    answer = preview(
        editor_client, provider="prolific", task_reward="150.0", estimated_minutes="10"
    )
    assert answer["reward"] == {
        "unit": "¢",
        "typed": "150",
        "text": "150¢ (£1.50)",
        "equivalent": "= 150¢ (£1.50) per unit",
    }


def test_a_reward_refused_by_a_rule_across_fields_is_still_said_in_currency(editor_client):
    answer = preview(editor_client, provider="prolific", task_reward="70", estimated_minutes="10")
    assert [error["field"] for error in answer["errors"]] == ["task_reward"]
    assert answer["reward"]["equivalent"] == "= 70¢ ($0.70) per unit"


@pytest.mark.parametrize("typed", ["0.005", "abc", "-1", "1e30", ""])
def test_a_reward_its_field_refuses_is_not_formatted(editor_client, typed):
    assert preview(editor_client, task_reward=typed)["reward"] == {
        "unit": "$",
        "typed": None,
        "text": None,
        "equivalent": "",
    }


# -- The cost estimate: tasks.costs, rendered by the template the page uses.


def test_estimate_is_the_cost_of_the_units_as_typed(editor_client):
    answer = preview(
        editor_client, provider="mturk_sandbox", task_reward="0.50", planned_units="300"
    )
    expected = costs.estimate(
        TaskRun(provider="mturk_sandbox", task_reward=Decimal("0.50"), planned_units=300)
    )
    assert answer["estimate_html"] == render_to_string(
        "tasks/_estimate.html", {"estimate": expected}
    )
    assert text_of(answer["estimate_html"]).startswith(
        "Estimated cost 300 units × $0.50 $150.00 Provider fee (20%) $30.00"
        " Total (estimate) $180.00 Assumes every one of the 300 units is completed"
    )


def test_estimate_equals_the_one_the_edit_page_shows(editor_client, make_run):
    run = make_run(provider="mturk", task_reward=Decimal("1.25"), planned_units=40)
    page = editor_client.get(reverse("tasks:run-edit", args=[run.pk])).content.decode()
    answer = preview(editor_client, reverse("tasks:run-edit-preview", args=[run.pk]), run=run)
    # The same markup, whitespace aside (crispy collapses the page's).
    assert " ".join(answer["estimate_html"].split()) in " ".join(page.split())
    assert "Total (estimate) $60.00" in text_of(answer["estimate_html"])


def test_estimate_never_uses_a_stored_value_the_form_now_refuses(editor_client, make_run):
    run = make_run(planned_units=300)
    answer = preview(
        editor_client,
        reverse("tasks:run-edit-preview", args=[run.pk]),
        run=run,
        planned_units="many",
    )
    assert text_of(answer["estimate_html"]) == (
        "Estimated cost Give the reward and the number of units to see what the run will cost."
    )


# -- Robust: no posted value makes the preview fail.

HOSTILE = [
    {"task_reward": "1e400"},
    {"task_reward": ".inf"},
    {"task_reward": "NaN"},
    {"task_reward": "9" * 5000},
    {"task_reward": "\x00"},
    {"planned_units": "-5"},
    {"planned_units": "99999999999999999999999"},
    {"planned_units": "²"},
    {"maximum_units_per_worker": "1" * 5000},
    {"provider": "nobody"},
    {"provider": "prolific", "task_reward": "1e30", "estimated_minutes": "10"},
    {"provider": "prolific", "task_reward": "100", "estimated_minutes": "abc"},
    {"task_tags": "\x00, a,"},
    {"task_tags": "," * 20000},
    {"task_tags": "a" * 100000},
]


@pytest.mark.parametrize("overrides", HOSTILE, ids=range(len(HOSTILE)))
def test_preview_answers_any_input_with_every_derived_value(editor_client, overrides):
    answer = preview(editor_client, **overrides)
    assert set(answer) == {
        "config",
        "errors",
        "warnings",
        "durations",
        "tags",
        "reward",
        "estimate_html",
        "arguments",
    }


def test_preview_answers_when_fields_are_missing_altogether(editor_client):
    response = editor_client.post(PREVIEW, {})
    assert response.status_code == 200
    assert response.json()["tags"]["kept"] == []
    assert response.json()["reward"]["typed"] is None
