"""Background work in a real browser: a large import queued, its progress shown while a
real worker does it, its preview, then the import itself, under the site's CSP."""

import json
import re

from django.urls import reverse
from playwright.sync_api import expect

from tasks.models import Job, TaskRun
from tests.browser.conftest import screenshot
from tests.worker import start_worker

# Enough runs that the work outlasts a few of the page's once-a-second polls.
RUNS = 4000
FLAT = {"task_description": "D", "task_reward": 0.25, "task_tags": "t"}


def test_a_large_import_shows_progress_then_its_preview_and_imports_in_the_background(
    page, log_in, editor, database_tasks, settings, tmp_path
):
    settings.TASKADMIN_IMPORT_INLINE_RUNS = 5
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    runs = tmp_path / "runs.jsonl"
    runs.write_text("\n".join(json.dumps({**FLAT, "task_title": f"Run {n}"}) for n in range(RUNS)))
    log_in(editor)
    page.goto(reverse("tasks:run-import"))
    page.set_input_files("#id_file", runs)
    page.get_by_role("button", name="Preview").click()

    # No worker yet: the job waits, and its page says so.
    expect(page).to_have_url(re.compile(r"/jobs/[0-9a-f-]{36}/$"))
    expect(page.get_by_text("Waiting for a worker to start it…")).to_be_visible()
    expect(page.locator("#job-status")).to_contain_text("You may leave this page")
    screenshot(page, "job-queued")

    worker = start_worker("--interval", "0.2")
    try:
        # The bar follows the worker (polled every second), then the page turns
        # into the preview when the job ends.
        step = page.locator("#job-step")
        expect(step).to_contain_text(re.compile(r"\d+ (so far|of \d+)"), timeout=60_000)
        bar = page.locator("#job-progress .progress-bar")
        assert bar.evaluate("bar => bar.style.width").endswith("%")  # set by jobs.js
        screenshot(page, "job-progress")
        expect(page.get_by_text(f"runs.jsonl: {RUNS:,} new, 0 identical")).to_be_visible(
            timeout=120_000
        )
        expect(page.get_by_text(f"New: {RUNS:,} (the first 20 shown;")).to_be_visible()
        screenshot(page, "job-preview")

        page.get_by_role("button", name=f"Import {RUNS:,} runs").click()
        expect(page.get_by_role("heading", name="Import of runs.jsonl")).to_be_visible()
        expect(page.locator("#job-result")).to_have_text(
            f"Imported {RUNS:,} task runs from runs.jsonl; skipped 0 identical, 0 invalid.",
            timeout=120_000,
        )
        screenshot(page, "job-imported")
    finally:
        worker.terminate()
        worker.wait(timeout=30)
    assert TaskRun.objects.count() == RUNS
    assert [job.status for job in Job.objects.order_by("created_at")] == ["succeeded"] * 2

    page.get_by_role("link", name="Background work", exact=True).click()
    expect(page.locator("#job-list tbody tr")).to_have_count(2)
    screenshot(page, "job-list")
    assert violations == []
