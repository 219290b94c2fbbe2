"""Every change is recorded with who, when and how; diffs, revert, compare, delete."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tasks import history, services
from tasks.models import TaskRun
from tests.conftest import add_versions, form_data

CHANGELIST = reverse("admin:tasks_taskrun_changelist")


def records(run):
    """(version, user, path) of each recorded version, oldest first."""
    return [
        (r.version, r.history_user.username if r.history_user else None, r.history_change_reason)
        for r in TaskRun.history.filter(id=run.pk).order_by("history_id")
    ]


# -- Every path records who, when and how ---------------------------------------------


def test_browser_create_and_edit_are_recorded(editor_client):
    editor_client.post(reverse("tasks:run-create"), form_data(task_title="v1"))
    run = TaskRun.objects.get()
    editor_client.post(reverse("tasks:run-edit", args=[run.pk]), form_data(run, task_title="v2"))
    assert records(run) == [(1, "editor", "browser"), (2, "editor", "browser")]


def test_browser_clone_is_recorded_with_its_origin(editor_client, make_run):
    original = make_run()
    editor_client.post(reverse("tasks:run-clone", args=[original.pk]), form_data(original))
    clone = TaskRun.objects.exclude(pk=original.pk).get()
    assert records(clone) == [(1, "editor", f"browser: clone of #{original.pk}")]


def test_admin_edit_save_as_new_and_clone_action_are_recorded(client, editor, make_run):
    client.force_login(editor)
    run = make_run()
    change = reverse("admin:tasks_taskrun_change", args=[run.pk])
    client.post(change, form_data(run, task_title="Edited", _save=""))
    run.refresh_from_db()
    client.post(change, form_data(run, task_title="Copy", _saveasnew=""))
    client.post(CHANGELIST, {"action": "clone_selected", "_selected_action": [run.pk]})
    assert records(run)[-1] == (2, "editor", "admin")
    copy, action_clone = TaskRun.objects.exclude(pk=run.pk).order_by("pk")
    assert records(copy) == [(1, "editor", f"admin: clone of #{run.pk}")]
    assert records(action_clone) == [(1, "editor", f"admin: clone of #{run.pk}")]


def test_status_changes_are_recorded(editor, make_run):
    run = make_run()
    services.run_launch(run, by=editor, mephisto_task_run_id="42")
    services.run_archive(run, by=editor)
    assert [path for _, _, path in records(run)] == [None, "status: launched", "status: archived"]
    statuses = TaskRun.history.filter(id=run.pk).order_by("history_id")
    assert [r.status for r in statuses] == ["draft", "launched", "archived"]


def test_each_version_holds_the_full_config(editor, make_run):
    run = make_run(task_title="Before", aux_parameters={"a": 1})
    run.task_title = "After"
    run.aux_parameters = {"a": 2}
    services.run_save(run, by=editor, via="shell")
    before, after = TaskRun.history.filter(id=run.pk).order_by("history_id")
    assert history.config_of(before)["task_title"] == "Before"
    assert history.config_of(before)["aux_parameters"] == {"a": 1}
    assert history.config_of(after)["task_title"] == "After"
    assert set(history.config_of(after)) == set(TaskRun.EDITABLE_FIELDS)


# -- History page and diffs -----------------------------------------------------------


def test_history_page_lists_versions_newest_first_with_what_changed(
    viewer_client, editor, make_run
):
    run = make_run(task_title="One")
    run.task_title, run.task_reward = "Two", Decimal("1.00")
    services.run_save(run, by=editor, via="browser")
    response = viewer_client.get(reverse("tasks:run-history", args=[run.pk]))
    assert [version.number for version in response.context["versions"]] == [2, 1]
    html = response.text
    assert html.index("<td>v2 ") < html.index("<td>v1</td>")
    assert "Task title, Task reward" in html
    assert ">browser<" in html


def test_diff_shows_each_changed_field_and_long_text_line_by_line(viewer_client, editor, make_run):
    run = make_run(task_description="Line one\nLine two\nLine three", task_reward=Decimal("0.50"))
    run.task_description = "Line one\nLine 2\nLine three"
    run.task_reward = Decimal("0.75")
    services.run_save(run, by=editor, via="browser")
    first, second = TaskRun.history.filter(id=run.pk).order_by("history_id")
    response = viewer_client.get(
        reverse("tasks:run-history-diff", args=[run.pk]),
        {"v": [second.history_id, first.history_id]},
    )
    changes = {change.name: change for change in response.context["changes"]}
    assert list(changes) == ["task_description", "task_reward"]
    assert changes["task_reward"].before == "$0.50 per unit"
    assert changes["task_reward"].after == "$0.75 per unit"
    assert changes["task_description"].lines == [
        (" ", "Line one"),
        ("-", "Line two"),
        ("+", "Line 2"),
        (" ", "Line three"),
    ]
    assert '<span class="diff-del">- Line two</span>' in response.text


def test_diff_of_versions_from_another_run_is_refused(viewer_client, make_run):
    run, other = make_run(), make_run()
    foreign = TaskRun.history.filter(id=other.pk).first()
    own = TaskRun.history.filter(id=run.pk).first()
    response = viewer_client.get(
        reverse("tasks:run-history-diff", args=[run.pk]),
        {"v": [own.history_id, foreign.history_id]},
    )
    assert response["Location"] == reverse("tasks:run-history", args=[run.pk])


# -- Revert ---------------------------------------------------------------------------


def test_revert_restores_an_old_config_as_a_new_version(editor_client, editor, make_run):
    run = make_run(task_title="Original", maximum_units_per_worker=3)
    run.task_title, run.maximum_units_per_worker = "Changed", 9
    services.run_save(run, by=editor, via="browser")
    first = TaskRun.history.filter(id=run.pk).order_by("history_id").first()
    response = editor_client.post(reverse("tasks:run-revert", args=[run.pk, first.history_id]))
    assert response["Location"] == run.get_absolute_url()
    run.refresh_from_db()
    assert (run.task_title, run.maximum_units_per_worker, run.version) == ("Original", 3, 3)
    assert records(run)[-1] == (3, "editor", "revert to version 1")
    assert len(records(run)) == 3


def test_viewer_cannot_revert(viewer_client, make_run):
    run = make_run()
    record = TaskRun.history.filter(id=run.pk).first()
    assert (
        viewer_client.post(
            reverse("tasks:run-revert", args=[run.pk, record.history_id])
        ).status_code
        == 403
    )


# -- Compare two runs -----------------------------------------------------------------


def test_compare_shows_two_runs_side_by_side_with_differences_marked(viewer_client, make_run):
    a = make_run(task_title="Alpha", task_reward=Decimal("0.50"))
    b = make_run(task_title="Beta", task_reward=Decimal("0.50"), allowed_concurrent=2)
    response = viewer_client.get(reverse("tasks:runs-compare"), {"pk": [a.pk, b.pk]})
    rows = {
        label: (left, right, differs) for label, left, right, differs in response.context["rows"]
    }
    assert rows["Task title"] == ("Alpha", "Beta", True)
    assert rows["Task reward"] == ("$0.50 per unit", "$0.50 per unit", False)
    assert rows["Allowed concurrent"] == ("no limit", "2", True)
    assert "2 fields differ, highlighted below." in response.text


@pytest.mark.parametrize("count", [1, 3])
def test_compare_needs_exactly_two_runs(viewer_client, make_run, count):
    runs = [make_run() for _ in range(count)]
    response = viewer_client.get(
        reverse("tasks:runs-compare"), {"pk": [r.pk for r in runs]}, follow=True
    )
    assert "Tick exactly two runs to compare." in response.text


# -- Delete keeps history -------------------------------------------------------------


def test_deleting_a_draft_keeps_its_history(editor_client, make_run):
    run = make_run()
    pk = run.pk
    editor_client.post(reverse("tasks:run-delete", args=[pk]))
    assert not TaskRun.objects.filter(pk=pk).exists()
    assert [r.history_type for r in TaskRun.history.filter(id=pk).order_by("history_id")] == [
        "+",
        "-",
    ]


def test_admin_shows_the_history(client, editor, make_run):
    client.force_login(editor)
    run = make_run()
    run.task_title = "Changed"
    services.run_save(run, by=editor, via="browser")
    html = client.get(reverse("admin:tasks_taskrun_history", args=[run.pk])).text
    assert "browser" in html
    assert "editor" in html


def test_history_page_shows_ten_versions_at_a_time_and_pages_back(editor_client, make_run):
    run = add_versions(make_run(), 19)  # 20 versions
    url = reverse("tasks:run-history", args=[run.pk])
    first = editor_client.get(url)
    assert [v.number for v in first.context["versions"]] == list(range(20, 10, -1))
    # The oldest on the page still says what it changed, from the version before it.
    assert first.context["versions"][-1].changed == ["Task title"]
    older = first.context["older"]
    assert f'href="{url}?before={older}">Older versions</a>' in first.text
    assert first.text.count('badge text-bg-primary">current<') == 1

    second = editor_client.get(url, {"before": older})
    assert [v.number for v in second.context["versions"]] == list(range(10, 0, -1))
    assert second.context["older"] is None
    assert "Older versions" not in second.text
    assert f'href="{url}">Newest versions</a>' in second.text
    assert "current<" not in second.text
    # Every version here is an old one: each can be reverted to.
    assert second.text.count(">Revert to this</button>") == 10


@pytest.mark.parametrize("before", ["abc", "0", "-5", str(2**31), ""])
def test_history_page_with_an_odd_starting_point_starts_from_the_newest(
    viewer_client, make_run, before
):
    run = add_versions(make_run(), 2)
    response = viewer_client.get(reverse("tasks:run-history", args=[run.pk]), {"before": before})
    assert [v.number for v in response.context["versions"]] == [3, 2, 1]


def test_run_page_shows_the_last_five_versions(viewer_client, make_run):
    run = add_versions(make_run(), 9)
    response = viewer_client.get(run.get_absolute_url())
    versions = response.context["recent_versions"]
    assert [v.number for v in versions] == [10, 9, 8, 7, 6]
    assert versions[-1].changed == ["Task title"]


def test_admin_history_shows_the_newest_ten_versions(client, editor, make_run):
    client.force_login(editor)
    run = add_versions(make_run(), 19)
    response = client.get(reverse("admin:tasks_taskrun_history", args=[run.pk]))
    assert [r.version for r in response.context["page_obj"]] == list(range(20, 10, -1))
