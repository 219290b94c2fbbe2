"""The Django admin: list, search, filter, edit, save as new, clone and export actions."""

import json

import pytest
from django.urls import reverse

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
