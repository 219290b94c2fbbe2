"""The list and detail pages in a real browser: clone, export, what a viewer may do."""

import json
from decimal import Decimal
from pathlib import Path

from django.urls import reverse
from playwright.sync_api import expect

from tasks.models import TaskRun
from tests.browser.conftest import screenshot


def row(page, title):
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=title, exact=True))


def test_clone_from_the_list_change_one_field_and_save_lists_both_with_origin(
    page, log_in, editor, make_run
):
    original = make_run(task_title="Label the pictures", task_name="pictures")
    log_in(editor)
    page.goto(reverse("tasks:run-list"))
    row(page, "Label the pictures").get_by_role("link", name="Clone").click()
    expect(page.get_by_role("heading", name="Clone of “Label the pictures”")).to_be_visible()
    expect(page.get_by_label("Task name")).to_have_value("pictures")
    page.get_by_label("Task title").fill("Label the pictures, round 2")
    # Sharing the task name is worth a warning, shown as soon as the clone opens.
    expect(page.locator("#warning-task_name_shared")).to_contain_text(
        f"Other runs use the task name “pictures” (#{original.pk} Label the pictures)"
    )
    page.get_by_label("I have read this").check()
    page.get_by_role("button", name="Save clone").click()

    expect(page.get_by_role("alert")).to_have_text(
        f"Created “Label the pictures, round 2” as a clone of #{original.pk}."
    )
    page.get_by_role("link", name="Runs", exact=True).click()
    expect(page.get_by_text("2 runs")).to_be_visible()
    expect(row(page, "Label the pictures, round 2")).to_contain_text(
        f"cloned from #{original.pk} Label the pictures"
    )
    expect(row(page, "Label the pictures")).not_to_contain_text("cloned from")
    clone = TaskRun.objects.exclude(pk=original.pk).get()
    assert (clone.cloned_from, clone.task_name) == (original, "pictures")
    screenshot(page, "list")


def test_export_selected_from_the_list_downloads_the_ticked_runs(page, log_in, viewer, make_run):
    make_run(task_title="First")
    make_run(task_title="Second", task_reward=Decimal("1.25"))
    make_run(task_title="Third")
    log_in(viewer)
    page.goto(reverse("tasks:run-list"))
    page.get_by_label("Select “First”").check()
    page.get_by_label("Select “Second”").check()
    with page.expect_download() as download:
        page.get_by_role("button", name="Export selected as JSON").click()

    assert download.value.suggested_filename.startswith("taskruns-")
    documents = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    tasks = [document["mephisto"]["task"] for document in documents]
    assert [(task["task_title"], task["task_reward"]) for task in tasks] == [
        ("Second", 1.25),
        ("First", 0.5),
    ]


def test_viewer_sees_no_edit_buttons_and_gets_403_on_the_edit_url(page, log_in, viewer, make_run):
    run = make_run()
    log_in(viewer)
    page.goto(reverse("tasks:run-list"))
    expect(row(page, run.task_title).get_by_role("link", name="View")).to_be_visible()
    for name in ("New run", "Edit", "Clone"):
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)

    page.get_by_role("link", name=run.task_title).click()
    expect(page.get_by_role("link", name="Export JSON")).to_be_visible()
    for name in ("Edit", "Clone", "Delete"):
        expect(page.get_by_role("link", name=name, exact=True)).to_have_count(0)
    for name in ("Mark as launched", "Archive"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)

    response = page.goto(reverse("tasks:run-edit", args=[run.pk]))
    assert response.status == 403
