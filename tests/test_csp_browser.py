"""The Content-Security-Policy in a real browser: every page, the admin's included,
loads without one violation, and the admin's scripts still work.

Runs headless Debian Chromium (apt-get install -y chromium); skipped without it.
"""

import os
import shutil

import pytest
from django.contrib.auth.models import User

CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM), reason="needs Chromium: apt-get install -y chromium"
    ),
]


@pytest.fixture
def pages(live_server, make_run):
    """Paths of every kind of page, and a superuser to see them (made before the
    browser starts: Playwright's event loop forbids database calls in this thread)."""
    User.objects.create_superuser("csp", password="csp-password")
    run = make_run(task_title="Under the policy")
    other = make_run(task_title="Another run")
    return [
        "/",
        "/?q=policy",
        f"/runs/{run.pk}/",
        "/runs/new/",
        f"/runs/{run.pk}/edit/",
        f"/runs/{run.pk}/clone/",
        f"/runs/{run.pk}/delete/",
        f"/runs/{run.pk}/history/",
        f"/runs/compare/?pk={run.pk}&pk={other.pk}",
        "/admin/",
        "/admin/tasks/taskrun/",
        "/admin/tasks/taskrun/add/",
        f"/admin/tasks/taskrun/{run.pk}/change/",
        f"/admin/tasks/taskrun/{run.pk}/history/",
        "/admin/auth/user/",
    ]


def test_no_page_breaks_the_policy_and_the_admin_scripts_run(live_server, pages):
    from playwright.sync_api import sync_playwright

    violations = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        page.on(
            "console",
            lambda message: (
                violations.append(f"{page.url}: {message.text}")
                if "Content Security Policy" in message.text
                else None
            ),
        )
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", "csp")
        page.fill("#id_password", "csp-password")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        for path in pages:
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            page.wait_for_load_state("networkidle")

        # The admin's own JavaScript (actions.js) runs: "select all" ticks every row.
        page.goto(f"{live_server.url}/admin/tasks/taskrun/")
        page.check("#action-toggle")
        assert page.locator("input.action-select:checked").count() == 2
        browser.close()

    assert violations == []
