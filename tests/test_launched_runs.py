"""Status: draft → launched → archived. What was launched stays what it was."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tasks import services
from tasks.models import TaskRun
from tests.conftest import form_data

LOCKED = "This run was launched, so its config is read-only: clone it to change it."


@pytest.fixture
def launched(make_run, editor):
    run = make_run(task_title="Launched run")
    services.run_launch(run, by=editor, mephisto_task_run_id="mephisto-17")
    return run


def status_url(run):
    return reverse("tasks:run-status", args=[run.pk])


def test_a_new_run_is_a_draft(make_run):
    assert make_run().status == TaskRun.Status.DRAFT


def test_marking_launched_records_when_and_the_mephisto_id(editor_client, make_run):
    run = make_run()
    response = editor_client.post(
        status_url(run), {"action": "launch", "mephisto_task_run_id": " 1234 "}
    )
    assert response["Location"] == run.get_absolute_url()
    run.refresh_from_db()
    assert run.status == "launched"
    assert run.launched_at is not None
    assert run.mephisto_task_run_id == "1234"


def test_only_a_draft_can_be_launched(launched, editor_client):
    response = editor_client.post(status_url(launched), {"action": "launch"}, follow=True)
    assert "Only a draft can be marked as launched." in response.text


def test_viewer_cannot_change_the_status(viewer_client, make_run):
    run = make_run()
    assert viewer_client.post(status_url(run), {"action": "launch"}).status_code == 403
    run.refresh_from_db()
    assert run.status == "draft"


def test_unknown_status_action_is_a_bad_request(editor_client, make_run):
    assert editor_client.post(status_url(make_run()), {"action": "explode"}).status_code == 400


# -- Read-only everywhere ---------------------------------------------------------------


def test_launched_config_cannot_be_changed_in_the_model(launched):
    launched.task_title = "Sneaky"
    with pytest.raises(ValidationError) as error:
        launched.save()
    assert error.value.messages == [LOCKED]
    with pytest.raises(ValidationError):
        launched.full_clean()
    assert TaskRun.objects.get(pk=launched.pk).task_title == "Launched run"


def test_launched_edit_page_sends_you_to_the_run_with_a_message(editor_client, launched):
    response = editor_client.post(
        reverse("tasks:run-edit", args=[launched.pk]),
        form_data(launched, task_title="Changed"),
        follow=True,
    )
    assert response.redirect_chain == [(launched.get_absolute_url(), 302)]
    assert LOCKED in response.text
    launched.refresh_from_db()
    assert launched.task_title == "Launched run"


def test_launched_detail_offers_clone_but_not_edit_or_delete(editor_client, launched):
    html = editor_client.get(launched.get_absolute_url()).text
    assert reverse("tasks:run-edit", args=[launched.pk]) not in html
    assert reverse("tasks:run-delete", args=[launched.pk]) not in html
    assert reverse("tasks:run-clone", args=[launched.pk]) in html
    assert "as Mephisto task run <code>mephisto-17</code>" in html


def test_launched_run_is_read_only_in_the_admin(client, editor, launched):
    client.force_login(editor)
    change = reverse("admin:tasks_taskrun_change", args=[launched.pk])
    html = client.get(change).text
    assert 'name="task_title"' not in html
    assert "its config is read-only" in html
    client.post(change, form_data(launched, task_title="Changed", _save=""))
    launched.refresh_from_db()
    assert launched.task_title == "Launched run"


def test_a_clone_of_a_launched_run_is_an_editable_draft(launched, editor):
    clone = services.run_clone(launched, by=editor)
    assert clone.status == "draft"
    clone.task_title = "Next pilot"
    clone.save()


def test_archiving_a_launched_run_keeps_its_config_locked(launched, editor):
    services.run_archive(launched, by=editor)
    launched.task_title = "Changed"
    with pytest.raises(ValidationError):
        launched.save()


# -- Delete ---------------------------------------------------------------------------


def test_deleting_a_launched_run_is_refused_with_a_message(editor_client, launched):
    page = editor_client.get(reverse("tasks:run-delete", args=[launched.pk])).text
    assert "cannot be deleted" in page
    response = editor_client.post(reverse("tasks:run-delete", args=[launched.pk]), follow=True)
    assert (
        "A launched run cannot be deleted: it records what was launched. "
        "Archive it to hide it from the list." in response.text
    )
    assert TaskRun.objects.filter(pk=launched.pk).exists()


def test_admin_bulk_delete_keeps_launched_runs(client, editor, launched, make_run):
    client.force_login(editor)
    draft = make_run()
    response = client.post(
        reverse("admin:tasks_taskrun_changelist"),
        {"action": "delete_selected", "_selected_action": [launched.pk, draft.pk], "post": "yes"},
        follow=True,
    )
    assert "Kept 1 launched run: a launched run cannot be deleted." in response.text
    assert list(TaskRun.objects.values_list("pk", flat=True)) == [launched.pk]


def test_admin_has_no_delete_for_a_launched_run(client, editor, launched):
    client.force_login(editor)
    assert client.get(reverse("admin:tasks_taskrun_delete", args=[launched.pk])).status_code == 403


def test_admin_actions_mark_launched_and_archive(client, editor, make_run):
    client.force_login(editor)
    run = make_run()
    changelist = reverse("admin:tasks_taskrun_changelist")
    response = client.post(changelist, {"action": "mark_launched", "_selected_action": [run.pk]})
    assert response.status_code == 302  # back to the list, no download
    run.refresh_from_db()
    assert run.status == "launched"
    client.post(changelist, {"action": "archive_selected", "_selected_action": [run.pk]})
    run.refresh_from_db()
    assert run.status == "archived"


# -- Archived runs leave the default list ---------------------------------------------


def test_archived_runs_are_hidden_from_the_list_and_shown_with_the_filter(
    viewer_client, editor, make_run
):
    make_run(task_title="Current")
    old = make_run(task_title="Old")
    services.run_archive(old, by=editor)
    titles = lambda params: [r.task_title for r in viewer_client.get("/", params).context["page"]]  # noqa: E731
    assert titles({}) == ["Current"]
    assert titles({"status": "archived"}) == ["Old"]
    assert titles({"status": "all"}) == ["Old", "Current"]


def test_unarchiving_brings_a_run_back_to_where_it_was(editor, launched, make_run):
    draft = make_run()
    for run in (launched, draft):
        services.run_archive(run, by=editor)
        services.run_unarchive(run, by=editor)
    assert (launched.status, draft.status) == ("launched", "draft")
