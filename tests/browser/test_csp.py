"""The Content-Security-Policy in a real browser: no page, the admin's included, breaks it,
and the scripts it allows (ours and the admin's) still work."""

from django.urls import reverse


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
    for url in [
        reverse("tasks:run-list"),
        reverse("tasks:run-list") + "?q=policy",
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
        reverse("admin:auth_user_changelist"),
        reverse("admin:auth_user_change", args=[superuser.pk]),
        reverse("tasks:run-create"),
    ]:
        response = page.goto(url)
        assert response.status == 200, url
        page.wait_for_load_state("networkidle")
    # The form's own script runs as the user types (live help and preview).
    page.fill("#id_task_title", "Typed under the policy")
    page.wait_for_load_state("networkidle")

    # The admin's script (actions.js) runs: "select all" ticks every row.
    page.goto(reverse("admin:tasks_taskrun_changelist"))
    page.check("#action-toggle")
    assert page.locator("input.action-select:checked").count() == 2

    assert violations == []
