"""No page of the app asks for anything outside 127.0.0.1: no CDN, no fonts, no trackers."""

from urllib.parse import urlsplit

from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import is_local


def test_no_page_asks_for_anything_outside_127_0_0_1(page, log_in, superuser, make_run):
    run = make_run()
    other = make_run(task_title="Another run")
    requested = []
    page.on("request", lambda request: requested.append(request.url))

    page.goto(reverse("login"))
    log_in(superuser)
    pages = [
        reverse("tasks:run-list"),
        reverse("tasks:run-create"),
        reverse("tasks:run-detail", args=[run.pk]),
        reverse("tasks:run-edit", args=[run.pk]),
        reverse("tasks:run-clone", args=[run.pk]),
        reverse("tasks:run-delete", args=[run.pk]),
        reverse("tasks:run-history", args=[run.pk]),
        f"{reverse('tasks:runs-compare')}?pk={run.pk}&pk={other.pk}",
        reverse("admin:index"),
        reverse("admin:tasks_taskrun_changelist"),
        reverse("admin:tasks_taskrun_add"),
        reverse("admin:tasks_taskrun_change", args=[run.pk]),
        reverse("admin:tasks_taskrun_history", args=[run.pk]),
    ]
    for url in pages:
        page.goto(url)  # waits for the page's scripts, styles and images
    page.goto(reverse("tasks:run-list"))
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to Taskadmin")).to_be_visible()

    outside = [url for url in requested if not is_local(url)]
    assert outside == []
    # The check saw the pages and what they load: scripts, styles, the preview.
    paths = {urlsplit(url).path for url in requested}
    assert {urlsplit(url).path for url in pages} <= paths
    assert {"/static/tasks/run-form.js", reverse("tasks:run-preview")} <= paths
