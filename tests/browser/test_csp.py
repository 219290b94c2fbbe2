"""The Content-Security-Policy in a real browser: no page, the admin's included, breaks it,
and the scripts it allows (ours and the admin's) still work."""

from django.urls import reverse

from tests.pages import every_page


def test_no_page_breaks_the_content_security_policy(page, log_in, superuser, make_run):
    run = make_run(task_title="Under the policy")
    other = make_run(task_title="Another run")
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(f"{page.url}: {message.text}")
            if "Content Security Policy" in message.text
            else None
        ),
    )

    page.goto(reverse("login"))
    log_in(superuser)
    for name, url in every_page(run, other, superuser):
        response = page.goto(url)
        assert response.status == 200, name
        page.wait_for_load_state("networkidle")
    # The form's own script runs as the user types (live help and preview).
    page.fill("#id_task_title", "Typed under the policy")
    page.wait_for_load_state("networkidle")

    # The admin's script (actions.js) runs: "select all" ticks every row.
    page.goto(reverse("admin:tasks_taskrun_changelist"))
    page.check("#action-toggle")
    assert page.locator("input.action-select:checked").count() == 2

    assert violations == []
