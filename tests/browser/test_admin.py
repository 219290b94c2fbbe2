"""The admin in a real browser: save as new, and the bulk clone and export actions."""

import json
from pathlib import Path

from django.urls import reverse
from playwright.sync_api import expect

from tasks.models import TaskRun
from tests.browser.conftest import screenshot


def test_admin_save_as_new_records_the_original(page, log_in, editor, make_run):
    original = make_run(task_title="Label the pictures")
    log_in(editor)
    page.goto(reverse("admin:tasks_taskrun_change", args=[original.pk]))
    screenshot(page, "admin-change")
    page.get_by_label("Task title").fill("Label the pictures, again")
    page.get_by_label("Task lifetime in seconds").fill("2d 6h")
    page.get_by_role("button", name="Save as new").first.click()

    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    copy = TaskRun.objects.get(task_title="Label the pictures, again")
    assert (copy.cloned_from, copy.task_lifetime_in_seconds) == (original, 194400)
    assert TaskRun.objects.get(pk=original.pk).task_title == "Label the pictures"


def test_admin_bulk_clone_and_export_actions(page, log_in, editor, make_run):
    make_run(task_title="First")
    make_run(task_title="Second")
    log_in(editor)
    page.goto(reverse("admin:tasks_taskrun_changelist"))
    page.locator("#action-toggle").check()
    page.get_by_role("combobox", name="Action").select_option(label="Clone selected task runs")
    page.get_by_role("button", name="Run", exact=True).click()

    expect(page.locator(".messagelist")).to_have_text("Cloned 2 task runs.")
    assert sorted(run.task_title for run in TaskRun.objects.filter(cloned_from__isnull=False)) == [
        "First",
        "Second",
    ]
    screenshot(page, "admin-list")

    page.locator("#action-toggle").check()
    page.get_by_role("combobox", name="Action").select_option(label="Export selected as JSON")
    with page.expect_download() as download:
        page.get_by_role("button", name="Run", exact=True).click()
    documents = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    titles = sorted(document["mephisto"]["task"]["task_title"] for document in documents)
    assert titles == ["First", "First", "Second", "Second"]
