"""A warning holds the save back until the user ticks that they have read it."""

from decimal import Decimal

from django.urls import reverse

from tasks import rules, services
from tasks.models import TaskRun
from tests.conftest import form_data
from tests.html import field_block

CREATE = reverse("tasks:run-create")
SHORT_PATIENCE = {"no_submission_patience": "30m", "assignment_duration_in_seconds": "30m"}


def test_a_warning_is_shown_beside_its_field_and_nothing_is_saved(editor_client):
    response = editor_client.post(CREATE, form_data(**SHORT_PATIENCE))
    assert response.status_code == 200
    assert not TaskRun.objects.exists()
    block = field_block(response.text, "no_submission_patience")
    assert "Mephisto starts the patience clock at launch" in block
    assert 'name="acknowledge" value="patience_shorter_than_two_assignments"' in block
    assert "I have read this" in block
    assert "Read the warning marked below and tick “I have read this” to save." in response.text


def test_ticking_the_warning_saves_and_the_history_records_it(editor_client):
    response = editor_client.post(
        CREATE, form_data(**SHORT_PATIENCE, acknowledge="patience_shorter_than_two_assignments")
    )
    assert response.status_code == 302
    run = TaskRun.objects.get()
    assert run.acknowledged_warnings == ["patience_shorter_than_two_assignments"]
    record = run.history.get()
    assert record.acknowledged_warnings == ["patience_shorter_than_two_assignments"]
    # The codes have a field of their own; the change reason says how it came in.
    assert record.history_change_reason == "browser"


def test_every_warning_must_be_ticked(editor_client):
    data = form_data(
        **SHORT_PATIENCE,
        resume_incomplete_run=True,
        acknowledge="patience_shorter_than_two_assignments",
    )
    response = editor_client.post(CREATE, data)
    assert "Read the warning marked below" in response.text
    code = "patience_shorter_than_two_assignments"
    assert f'value="{code}" id="acknowledge-{code}" checked' in response.text
    assert not TaskRun.objects.exists()


def test_a_run_without_warnings_saves_with_none_recorded(editor_client):
    editor_client.post(CREATE, form_data())
    assert TaskRun.objects.get().acknowledged_warnings == []


def test_cloning_a_named_run_shows_the_shared_name_warning_with_a_suggestion(
    editor_client, make_run
):
    original = make_run(task_name="study-pilot", task_title="Pilot")
    html = editor_client.get(reverse("tasks:run-clone", args=[original.pk])).text
    block = field_block(html, "task_name")
    assert "Other runs use the task name “study-pilot”" in block
    assert "Use a new name such as “study-pilot-2” to make this a task of its own." in block


def test_a_clone_renamed_as_suggested_saves_without_warnings(editor_client, make_run):
    original = make_run(task_name="study-pilot")
    response = editor_client.post(
        reverse("tasks:run-clone", args=[original.pk]),
        form_data(original, task_name="study-pilot-2"),
    )
    assert response.status_code == 302


def test_the_admin_holds_back_a_save_with_unread_warnings(client, editor, make_run):
    client.force_login(editor)
    run = make_run(task_reward=Decimal("0.50"))
    change = reverse("admin:tasks_taskrun_change", args=[run.pk])
    response = client.post(change, form_data(run, resume_incomplete_run=True, _save=""))
    assert response.status_code == 200
    assert "Mephisto resumes the last run of this task name" in response.text
    response = client.post(
        change,
        form_data(
            run, resume_incomplete_run=True, acknowledge="resume_ignores_these_values", _save=""
        ),
    )
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.resume_incomplete_run


def test_reverting_to_a_version_with_warnings_asks_first(editor_client, editor, make_run):
    run = make_run()
    run.resume_incomplete_run = True
    services.run_save(run, by=editor, via="test", acknowledged=["resume_ignores_these_values"])
    run.resume_incomplete_run = False
    services.run_save(run, by=editor, via="test")
    version = run.history.get(version=2)
    url = reverse("tasks:run-revert", args=[run.pk, version.history_id])
    response = editor_client.post(url)
    assert response.status_code == 200
    assert "Revert to version 2?" in response.text
    assert 'name="acknowledge" value="resume_ignores_these_values"' in response.text
    assert f'action="{url}"' in response.text
    assert not TaskRun.objects.get().resume_incomplete_run
    response = editor_client.post(url, {"acknowledge": "resume_ignores_these_values"})
    assert response.status_code == 302
    assert TaskRun.objects.get().resume_incomplete_run


def test_launching_asks_about_a_warning_that_arose_since_the_last_save(editor_client, make_run):
    run = make_run(task_name="study")
    make_run(task_name="study", task_title="Took the name since")
    url = reverse("tasks:run-status", args=[run.pk])
    response = editor_client.post(url, {"action": "launch", "mephisto_task_run_id": "m-9"})
    assert response.status_code == 200
    assert "Mark as launched?" in response.text
    assert 'name="mephisto_task_run_id" value="m-9"' in response.text
    assert TaskRun.objects.get(pk=run.pk).status == TaskRun.Status.DRAFT
    editor_client.post(
        url, {"action": "launch", "mephisto_task_run_id": "m-9", "acknowledge": "task_name_shared"}
    )
    run.refresh_from_db()
    assert (run.status, run.mephisto_task_run_id) == (TaskRun.Status.LAUNCHED, "m-9")
    assert run.acknowledged_warnings == ["task_name_shared"]


def test_many_warnings_acknowledged_in_the_form_save_on_every_database(editor_client, make_run):
    make_run(task_name="pilot_study")
    data = form_data(
        task_name="pilot_study",
        task_title="Pays a lot",
        task_reward="60",
        no_submission_patience="60",
        resume_incomplete_run=True,
        post_install_script="link.sh",
    )
    data["acknowledge"] = list(rules.WARNING_CODES)
    response = editor_client.post(CREATE, data)
    assert response.status_code == 302
    run = TaskRun.objects.get(task_title="Pays a lot")
    assert sorted(run.history.get().acknowledged_warnings) == sorted(rules.WARNING_CODES)


def test_two_warnings_on_one_field_each_get_a_tick_box_beside_it(editor_client, make_run):
    make_run(task_name="image_labels")
    response = editor_client.post(CREATE, form_data(task_name="image_labels"))
    block = field_block(response.text, "task_name")
    assert 'name="acknowledge" value="task_name_shared"' in block
    assert 'name="acknowledge" value="task_name_in_host_name"' in block
    data = form_data(task_name="image_labels")
    data["acknowledge"] = ["task_name_shared", "task_name_in_host_name"]
    assert editor_client.post(CREATE, data).status_code == 302
