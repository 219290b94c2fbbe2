"""Every kind of page a signed-in superuser can open, for checks that must hold on all of them."""

from django.urls import reverse


def every_page(run, other, user):
    """(name, path) of each page: the dashboard's and the admin's, for two runs and a user."""
    return [
        ("list", reverse("tasks:run-list")),
        ("search", reverse("tasks:run-list") + "?q=pictures"),
        ("detail", reverse("tasks:run-detail", args=[run.pk])),
        ("edit", reverse("tasks:run-edit", args=[run.pk])),
        ("clone", reverse("tasks:run-clone", args=[run.pk])),
        ("delete", reverse("tasks:run-delete", args=[run.pk])),
        ("history", reverse("tasks:run-history", args=[run.pk])),
        ("compare", reverse("tasks:runs-compare") + f"?pk={run.pk}&pk={other.pk}"),
        ("import", reverse("tasks:run-import")),
        ("background work", reverse("tasks:job-list")),
        ("password change", reverse("password_change")),
        ("api tokens", reverse("api-tokens")),
        ("api docs", reverse("api:docs")),
        ("admin index", reverse("admin:index")),
        ("admin changelist", reverse("admin:tasks_taskrun_changelist")),
        ("admin add", reverse("admin:tasks_taskrun_add")),
        ("admin change", reverse("admin:tasks_taskrun_change", args=[run.pk])),
        ("admin delete", reverse("admin:tasks_taskrun_delete", args=[run.pk])),
        ("admin history", reverse("admin:tasks_taskrun_history", args=[run.pk])),
        ("admin users", reverse("admin:auth_user_changelist")),
        ("admin user", reverse("admin:auth_user_change", args=[user.pk])),
        ("admin add user", reverse("admin:auth_user_add")),
        ("admin password change", reverse("admin:password_change")),
        ("admin groups", reverse("admin:auth_group_changelist")),
        ("admin api tokens", reverse("admin:tasks_apitoken_changelist")),
        ("admin jobs", reverse("admin:tasks_job_changelist")),
        # Last: the browser test types into this form once it is open.
        ("create", reverse("tasks:run-create")),
    ]
