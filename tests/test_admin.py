"""The Django admin: list, search, filter, edit, save as new, clone and export actions."""

import json

import pytest
from django.urls import reverse

from tasks import rules, services
from tasks.models import TaskRun
from tests.conftest import form_data

CHANGELIST = reverse("admin:tasks_taskrun_changelist")
ADD = reverse("admin:tasks_taskrun_add")


def change_url(run):
    return reverse("admin:tasks_taskrun_change", args=[run.pk])


@pytest.fixture
def admin_client_(client, editor):
    """The editor is staff with every task-run permission: enough for the admin."""
    client.force_login(editor)
    return client


def test_changelist_lists_runs_with_their_key_fields(admin_client_, make_run):
    make_run(task_title="Listed run", task_name="pilot")
    html = admin_client_.get(CHANGELIST).text
    assert "Listed run" in html
    assert "pilot" in html
    assert "0.50" in html


def test_changelist_search_covers_title_name_and_tags(admin_client_, make_run):
    make_run(task_title="Alpha", task_tags="x")
    make_run(task_title="Beta", task_name="beta-name", task_tags="y")
    make_run(task_title="Gamma", task_tags="audio")
    for query, expected in (("alpha", "Alpha"), ("beta-name", "Beta"), ("audio", "Gamma")):
        response = admin_client_.get(CHANGELIST, {"q": query})
        assert [run.task_title for run in response.context["cl"].result_list] == [expected]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"force_rebuild__exact": "1"}, ["Rebuilt"]),
        ({"resume_incomplete_run__exact": "1"}, ["Resumed"]),
        ({"task_name": "grouped"}, ["Grouped"]),
    ],
)
def test_changelist_filters(admin_client_, make_run, params, expected):
    make_run(task_title="Rebuilt", force_rebuild=True)
    make_run(task_title="Resumed", resume_incomplete_run=True)
    make_run(task_title="Grouped", task_name="grouped")
    response = admin_client_.get(CHANGELIST, params)
    assert [run.task_title for run in response.context["cl"].result_list] == expected


def test_changelist_offers_the_created_date_filter(admin_client_, make_run):
    make_run()
    html = admin_client_.get(CHANGELIST).text
    assert "By created at" in html


def test_change_form_groups_fields_like_the_browser_form(admin_client_, make_run):
    html = admin_client_.get(change_url(make_run())).text
    positions = [html.index(f">{legend}<") for legend, _ in TaskRun.FORM_GROUPS]
    assert positions == sorted(positions)
    assert ">Bookkeeping<" in html
    for name in TaskRun.CONFIG_FIELDS:
        assert f'name="{name}"' in html, name


def test_change_form_saves_valid_changes(admin_client_, editor, make_run):
    run = make_run()
    response = admin_client_.post(change_url(run), form_data(run, task_title="Edited", _save=""))
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.task_title == "Edited"
    assert run.updated_by == editor


def test_change_form_enforces_the_same_validation(admin_client_, make_run):
    run = make_run()
    response = admin_client_.post(
        change_url(run), form_data(run, task_reward="0.005", task_lifetime_in_seconds="12x")
    )
    assert response.status_code == 200
    html = response.text
    assert "Use at most 2 decimal places: providers pay in whole cents." in html
    assert "Enter whole seconds (45) or whole units d, h, m, s" in html
    run.refresh_from_db()
    assert str(run.task_reward) == "0.50"
    assert run.task_lifetime_in_seconds == 2678400


def test_add_form_starts_from_the_defaults_and_records_the_creator(admin_client_, editor):
    assert 'value="2678400"' in admin_client_.get(ADD).text
    admin_client_.post(ADD, form_data(_save=""))
    run = TaskRun.objects.get()
    assert run.created_by == editor


def test_save_as_new_creates_a_clone_recorded_with_its_origin(admin_client_, editor, make_run):
    original = make_run(task_title="Original")
    response = admin_client_.post(
        change_url(original), form_data(original, task_title="Copy", _saveasnew="")
    )
    assert response.status_code == 302
    copy = TaskRun.objects.exclude(pk=original.pk).get()
    assert copy.task_title == "Copy"
    assert copy.cloned_from == original
    assert copy.created_by == editor
    original.refresh_from_db()
    assert original.task_title == "Original"


def test_save_as_new_with_an_error_saves_nothing(admin_client_, make_run):
    original = make_run()
    response = admin_client_.post(
        change_url(original), form_data(original, task_reward="-1", _saveasnew="")
    )
    assert response.status_code == 200
    assert TaskRun.objects.count() == 1


def test_clone_action_clones_every_selected_run(admin_client_, editor, make_run):
    a, b, _ = make_run(task_title="A"), make_run(task_title="B"), make_run(task_title="C")
    response = admin_client_.post(
        CHANGELIST, {"action": "clone_selected", "_selected_action": [a.pk, b.pk]}, follow=True
    )
    assert "Cloned 2 task runs." in response.text
    clones = TaskRun.objects.filter(cloned_from__isnull=False).order_by("task_title")
    assert [(c.task_title, c.cloned_from_id, c.created_by) for c in clones] == [
        ("A", a.pk, editor),
        ("B", b.pk, editor),
    ]


def test_export_action_downloads_the_selected_runs_as_json(admin_client_, make_run):
    a, _, c = make_run(task_title="A"), make_run(task_title="B"), make_run(task_title="C")
    response = admin_client_.post(
        CHANGELIST, {"action": "export_json", "_selected_action": [a.pk, c.pk]}
    )
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="taskruns-')
    titles = {
        doc["mephisto"]["task"]["task_title"]
        for doc in json.loads(b"".join(response.streaming_content))
    }
    assert titles == {"A", "C"}


def test_viewer_may_export_but_not_clone_or_edit_in_the_admin(client, viewer, make_run):
    client.force_login(viewer)
    run = make_run()
    html = client.get(CHANGELIST).text
    assert 'value="export_json"' in html
    assert 'value="clone_selected"' not in html
    response = client.post(CHANGELIST, {"action": "clone_selected", "_selected_action": [run.pk]})
    assert TaskRun.objects.count() == 1
    assert response.status_code in (200, 302)
    assert client.post(change_url(run), form_data(run, task_title="X")).status_code == 403


def test_admin_requires_staff_login(client, make_run):
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# -- The write path in the admin ---------------------------------------------------------


@pytest.fixture
def launched_run(make_run, editor):
    run = make_run(task_title="Launched", task_name="launched-study")
    services.run_launch(run, by=editor, mephisto_task_run_id="m-7")
    return TaskRun.objects.get(pk=run.pk)


def history_form_url(run):
    record = run.history.order_by("history_id").first()
    return reverse("admin:tasks_taskrun_simple_history", args=[run.pk, record.history_id])


@pytest.mark.parametrize("user", ["viewer", "editor"])
def test_a_version_page_in_the_admin_refuses_a_post_and_changes_nothing(
    client, request, user, launched_run
):
    client.force_login(request.getfixturevalue(user))
    response = client.post(
        history_form_url(launched_run), form_data(launched_run, task_title="Rewritten", _save="")
    )
    assert response.status_code == 405
    run = TaskRun.objects.get(pk=launched_run.pk)
    assert (run.task_title, run.status, run.mephisto_task_run_id) == (
        "Launched",
        TaskRun.Status.LAUNCHED,
        "m-7",
    )
    assert run.history.count() == 2


def test_a_version_page_in_the_admin_shows_the_config_read_only(admin_client_, make_run):
    run = make_run(task_title="Shown")
    html = admin_client_.get(history_form_url(run)).text
    assert "Shown" in html
    assert 'name="task_title"' not in html
    assert 'name="_save"' not in html


def test_save_as_new_on_a_launched_run_starts_a_draft_with_its_config(
    admin_client_, editor, launched_run
):
    # The change page showed the config read-only, so the post holds none of it.
    response = admin_client_.post(change_url(launched_run), {"_saveasnew": ""})
    assert response.status_code == 200
    assert "Other runs use the task name “launched-study”" in response.text
    response = admin_client_.post(
        change_url(launched_run), {"_saveasnew": "", "acknowledge": "task_name_shared"}
    )
    assert response.status_code == 302
    copy = TaskRun.objects.exclude(pk=launched_run.pk).get()
    assert copy.status == TaskRun.Status.DRAFT
    assert copy.cloned_from == launched_run
    for name in TaskRun.EDITABLE_FIELDS:
        assert getattr(copy, name) == getattr(launched_run, name), name


@pytest.mark.parametrize("object_id", ["999999", "0", "abc", "%00"])
def test_save_as_new_from_a_run_that_does_not_exist_is_refused_with_a_message(
    admin_client_, object_id
):
    url = reverse("admin:tasks_taskrun_changelist") + f"{object_id}/change/"
    response = admin_client_.post(url, {**form_data(), "_saveasnew": ""}, follow=True)
    assert response.status_code == 200
    assert "doesn’t exist. Perhaps it was deleted?" in response.text
    assert not TaskRun.objects.exists()


def test_the_change_form_of_a_run_without_warnings_asks_about_none(admin_client_, make_run):
    html = admin_client_.get(change_url(make_run())).text
    assert 'name="acknowledge"' not in html
    for code in rules.WARNING_CODES:
        assert code not in html


def test_the_change_form_lists_only_the_warnings_that_apply_in_words(admin_client_, make_run):
    html = admin_client_.get(change_url(make_run(resume_incomplete_run=True))).text
    assert 'value="resume_ignores_these_values"' in html
    assert "Mephisto resumes the last run of this task name" in html
    assert 'value="reward_above_confirm_threshold"' not in html
    assert ">resume_ignores_these_values<" not in html


def test_clone_selected_asks_about_each_clones_warnings_first(admin_client_, make_run):
    plain = make_run(task_title="Plain")
    named = make_run(task_title="Named", task_name="pilot")
    selection = {"action": "clone_selected", "_selected_action": [plain.pk, named.pk]}
    response = admin_client_.post(CHANGELIST, selection)
    assert response.status_code == 200
    assert "Other runs use the task name “pilot”" in response.text
    assert f'name="acknowledge-{named.pk}" value="task_name_shared"' in response.text
    assert TaskRun.objects.count() == 2
    response = admin_client_.post(
        CHANGELIST, {**selection, f"acknowledge-{named.pk}": "task_name_shared"}
    )
    assert response.status_code == 302
    assert TaskRun.objects.count() == 4


def test_mark_launched_asks_about_warnings_not_read_when_saved(admin_client_, editor, make_run):
    run = make_run(task_name="study")
    make_run(task_name="study", task_title="Took the name since")
    selection = {"action": "mark_launched", "_selected_action": [run.pk]}
    response = admin_client_.post(CHANGELIST, selection)
    assert f'name="acknowledge-{run.pk}" value="task_name_shared"' in response.text
    assert TaskRun.objects.get(pk=run.pk).status == TaskRun.Status.DRAFT
    admin_client_.post(CHANGELIST, {**selection, f"acknowledge-{run.pk}": "task_name_shared"})
    assert TaskRun.objects.get(pk=run.pk).status == TaskRun.Status.LAUNCHED


# -- Django's stock admin, the benchmark's peer ---------------------------------------


def test_stock_admin_is_mounted_by_the_benchmark_urls_only(client, superuser, make_run, settings):
    make_run(task_title="Label the birds")
    client.force_login(superuser)
    assert client.get("/stock-admin/tasks/taskrun/").status_code == 404
    settings.ROOT_URLCONF = "bench.urls"
    response = client.get("/stock-admin/tasks/taskrun/", {"q": "label"})
    assert response.status_code == 200
    assert "Label the birds" in response.text
    # The project's own pages are all there beside it.
    assert client.get(reverse("admin:tasks_taskrun_changelist")).status_code == 200


@pytest.mark.parametrize(("order", "expected"), [("3", "ASC"), ("-3", "DESC")])
def test_admin_sort_breaks_ties_by_id_in_the_same_direction(
    admin_client_, make_run, order, expected
):
    # So that the (reward, id) index serves the sort: no sorting of every run.
    make_run(), make_run()
    response = admin_client_.get(reverse("admin:tasks_taskrun_changelist"), {"o": order})
    sql = str(response.context["cl"].result_list.query)
    assert sql.endswith(
        f'ORDER BY "tasks_taskrun"."task_reward" {expected}, "tasks_taskrun"."id" {expected}'
    )
