"""The run form's extra help, checked through Django's test client: the large-reward
tick, the live preview view and the page parts the form's script relies on."""

import json
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from tasks import exporting, rules
from tasks.models import TaskRun
from tests.conftest import VALID_RUN, form_data
from tests.html import field_block

PREVIEW = reverse("tasks:run-preview")
CREATE = reverse("tasks:run-create")
LARGE_REWARD = "reward_above_confirm_threshold"


def warnings_for(**overrides):
    return [
        (finding.code, finding.message)
        for finding in rules.check(TaskRun(**{**VALID_RUN, **overrides}), rules.WARNING)
    ]


# -- A large reward: a warning to tick, not an error (the model accepts it).


def test_reward_above_50_per_unit_warns_beside_the_reward_and_waits_for_the_tick(editor_client):
    response = editor_client.post(CREATE, form_data(task_reward="50.01"))
    assert not TaskRun.objects.exists()
    block = field_block(response.text, "task_reward")
    assert "$50.01 per unit is more than $50.00: make sure it is not a typo" in block
    assert f'name="acknowledge" value="{LARGE_REWARD}"' in block


def test_ticking_the_large_reward_warning_saves_it(editor_client):
    response = editor_client.post(CREATE, form_data(task_reward="75", acknowledge=LARGE_REWARD))
    assert response.status_code == 302
    run = TaskRun.objects.get()
    assert (run.task_reward, run.acknowledged_warnings) == (Decimal("75.00"), [LARGE_REWARD])


def test_reward_of_exactly_50_draws_no_warning(db):
    assert warnings_for(task_reward=Decimal("50.00")) == []


def test_large_reward_warning_says_the_amount_and_the_threshold(db):
    assert warnings_for(task_reward=Decimal("120.00")) == [
        (
            LARGE_REWARD,
            "$120.00 per unit is more than $50.00: make sure it is not a typo before workers"
            " are paid it.",
        )
    ]


def test_prolific_rewards_are_judged_in_currency_not_cents(db, settings):
    settings.TASKADMIN_PROLIFIC_CURRENCY = "GBP"
    prolific = {"provider": "prolific", "estimated_minutes": 10}
    assert warnings_for(**prolific, task_reward=Decimal("5000")) == []
    assert warnings_for(**prolific, task_reward=Decimal("5001")) == [
        (
            LARGE_REWARD,
            "5001¢ (£50.01) per unit is more than £50.00: make sure it is not a typo before"
            " workers are paid it.",
        )
    ]


def test_the_threshold_is_the_models_one_constant(db, monkeypatch):
    monkeypatch.setattr(TaskRun, "REWARD_CONFIRM_ABOVE", Decimal("10.00"))
    assert [code for code, _ in warnings_for(task_reward=Decimal("10.01"))] == [LARGE_REWARD]


def test_the_model_itself_accepts_a_large_reward(make_run):
    assert make_run(task_reward=Decimal("500.00")).task_reward == Decimal("500.00")


def test_admin_durations_are_text_inputs_that_take_units(client, editor):
    client.force_login(editor)
    page = client.get(reverse("admin:tasks_taskrun_add")).content.decode()
    for name in TaskRun.DURATION_FIELDS:
        assert f'<input type="text" name="{name}"' in page


# -- The live preview: the form's values in, the export (or what stops it) out.


@pytest.mark.parametrize(
    "provider",
    [
        {"provider": "mturk_sandbox", "task_reward": "0.5"},
        {"provider": "prolific", "task_reward": "150", "estimated_minutes": "10"},
    ],
    ids=["dollars", "cents"],
)
def test_preview_of_a_valid_form_is_the_export_of_the_saved_run_byte_for_byte(
    editor_client, provider
):
    data = form_data(
        **provider,
        task_name="pictures-1",
        task_tags="images, , Images, cats",
        task_lifetime_in_seconds="1d 12h",
        aux_parameters='{"zeta": [1, 2.5], "alpha": "café ${name}"}',
        task_description="Line one\r\nLine two",
    )
    preview = editor_client.post(PREVIEW, data)
    editor_client.post(CREATE, data)
    run = TaskRun.objects.get()
    export = editor_client.get(reverse("tasks:run-export", args=[run.pk]))

    assert preview.status_code == 200
    assert preview.json()["config"].encode() == export.content
    assert preview.json()["errors"] == []


def test_preview_saves_nothing(editor_client):
    editor_client.post(PREVIEW, form_data())
    assert TaskRun.objects.count() == 0


def test_preview_lists_what_stops_the_export_in_form_order(editor_client):
    answer = editor_client.post(
        PREVIEW, form_data(task_title="", task_reward="0.005", submission_timeout="12x")
    ).json()
    assert answer["config"] is None
    assert answer["errors"] == [
        {"field": "task_title", "label": "Task title", "messages": ["This field is required."]},
        {
            "field": "task_reward",
            "label": "Task reward",
            "messages": ["Use at most 2 decimal places: providers pay in whole cents."],
        },
        {
            "field": "submission_timeout",
            "label": "Submission timeout",
            "messages": [
                "Enter whole seconds (45) or whole units d, h, m, s (90s, 30m, 12h, 31d, 1d 12h)."
            ],
        },
    ]


def test_preview_says_each_valid_duration_in_words(editor_client):
    answer = editor_client.post(
        PREVIEW, form_data(task_lifetime_in_seconds="1d 12h", submission_timeout="12x")
    ).json()
    assert answer["durations"] == {
        "task_lifetime_in_seconds": "1 day 12 hours",
        "assignment_duration_in_seconds": "30 minutes",
        "no_submission_patience": "12 hours",
    }


def test_preview_lists_the_warnings_to_tick_but_still_shows_the_export(editor_client):
    answer = editor_client.post(PREVIEW, form_data(task_reward="75")).json()
    assert answer["errors"] == []
    assert answer["warnings"] == [
        {
            "code": "reward_above_confirm_threshold",
            "field": "task_reward",
            "label": "Task reward",
            "message": "$75.00 per unit is more than $50.00: make sure it is not a typo before"
            " workers are paid it.",
        }
    ]
    assert json.loads(answer["config"])["mephisto"]["task"]["task_reward"] == 75.0


def test_preview_of_an_edit_does_not_count_the_run_as_sharing_its_own_name(make_run, editor_client):
    run = make_run(task_name="pilot")
    edit_preview = reverse("tasks:run-edit-preview", args=[run.pk])
    assert editor_client.post(edit_preview, form_data(run)).json()["warnings"] == []
    # A new run with that name does share it.
    warnings = editor_client.post(PREVIEW, form_data(run)).json()["warnings"]
    assert [warning["field"] for warning in warnings] == ["task_name"]


def test_preview_of_an_edit_equals_the_export_of_the_run(make_run, editor_client):
    run = make_run(aux_parameters={"b": 1, "a": [True, None]}, task_reward=Decimal("0.30"))
    edit_preview = reverse("tasks:run-edit-preview", args=[run.pk])
    answer = editor_client.post(edit_preview, form_data(run)).json()
    assert answer["config"] == exporting.export_run(run)[2]
    assert TaskRun.objects.get().version == run.version  # nothing saved


def test_preview_of_an_edit_of_a_missing_run_is_404(editor_client):
    edit_preview = reverse("tasks:run-edit-preview", args=[999])
    assert editor_client.post(edit_preview, form_data()).status_code == 404


def test_preview_sends_anonymous_users_to_log_in(client):
    response = client.post(PREVIEW, form_data())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_preview_needs_the_permission_of_the_form_it_previews(client, nobody, make_run):
    run = make_run()
    edit_preview = reverse("tasks:run-edit-preview", args=[run.pk])
    client.force_login(nobody)
    assert client.post(PREVIEW, form_data()).status_code == 403
    assert client.post(edit_preview, form_data(run)).status_code == 403

    nobody.user_permissions.add(Permission.objects.get(codename="add_taskrun"))
    client.force_login(nobody)
    assert client.post(PREVIEW, form_data()).status_code == 200
    assert client.post(edit_preview, form_data(run)).status_code == 403

    nobody.user_permissions.set([Permission.objects.get(codename="change_taskrun")])
    client.force_login(nobody)
    assert client.post(PREVIEW, form_data()).status_code == 403
    assert client.post(edit_preview, form_data(run)).status_code == 200


def test_preview_is_forbidden_to_a_viewer(viewer_client):
    assert viewer_client.post(PREVIEW, form_data()).status_code == 403


def test_preview_only_answers_post(editor_client):
    assert editor_client.get(PREVIEW).status_code == 405


def test_preview_refuses_a_post_without_the_csrf_token(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert client.post(PREVIEW, form_data()).status_code == 403


# -- The page parts the form's script works with.


def test_form_page_loads_its_script_and_names_the_preview_url(editor_client, make_run):
    page = editor_client.get(CREATE).content.decode()
    assert '<script src="/static/tasks/run-form.js"></script>' in page
    assert f'data-preview-url="{PREVIEW}"' in page
    assert "<script>" not in page  # no inline script: a CSP can forbid it

    run = make_run()
    page = editor_client.get(reverse("tasks:run-edit", args=[run.pk])).content.decode()
    assert f'data-preview-url="{reverse("tasks:run-edit-preview", args=[run.pk])}"' in page


def test_form_sent_back_with_errors_counts_as_unsaved_and_links_each_error(editor_client):
    response = editor_client.post(CREATE, form_data(task_reward="0.005"))
    page = response.content.decode()
    assert "data-unsaved" in page
    assert (
        '<li data-field="task_reward"><a class="alert-link" href="#id_task_reward">Task reward</a>:'
        " Use at most 2 decimal places: providers pay in whole cents.</li>"
    ) in page


def test_fresh_form_is_not_unsaved(editor_client):
    assert "data-unsaved" not in editor_client.get(CREATE).content.decode()


def test_duration_hint_is_named_for_its_input(editor_client):
    page = editor_client.get(CREATE).content.decode()
    assert (
        '<output class="form-text d-block duration-human" id="id_submission_timeout_human"'
        ' for="id_submission_timeout" data-duration-for="id_submission_timeout"'
        ' aria-live="polite">10 minutes</output>'
    ) in page


def test_preview_costs_a_fixed_number_of_queries(
    editor_client, make_run, django_assert_num_queries
):
    for number in range(5):
        make_run(task_title=f"Run {number}")
    # Session, user and its two kinds of permissions; then the form saves
    # nothing but checks the model's six constraints, each a query inside a
    # savepoint (three statements).
    with django_assert_num_queries(4 + 6 * 3):
        assert editor_client.post(PREVIEW, form_data()).status_code == 200
