"""Who may do what: every page and download needs a login, model permissions decide the rest,
and repeated wrong passwords are throttled."""

import re

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.urls import get_resolver, reverse

from tasks import services
from tasks.models import TaskRun
from tests.conftest import form_data

ALL_PERMISSIONS = ("view_taskrun", "add_taskrun", "change_taskrun", "delete_taskrun")

# Pages anyone may open: logging in and out, and the proxy's health check.
PUBLIC = {"login", "logout", "healthz"}


def _app_patterns(patterns=None, prefix=""):
    """(route, name) of every URL outside the admin (which guards itself, tested below)."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if hasattr(pattern, "url_patterns"):
            if route != "admin/":
                yield from _app_patterns(pattern.url_patterns, route)
        else:
            yield route, pattern.name


PRIVATE_ROUTES = [(route, name) for route, name in _app_patterns() if name not in PUBLIC]


def user_with(*codenames, username=None, **flags):
    user = User.objects.create_user(
        username=username or "user-" + "-".join(codenames or ("none",)), password="pw", **flags
    )
    user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="tasks", codename__in=codenames)
    )
    return user


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_private_routes_are_every_page_and_download_of_the_dashboard():
    names = {name for _, name in PRIVATE_ROUTES}

    assert names >= {
        "run-list",
        "run-create",
        "runs-export",
        "run-detail",
        "run-edit",
        "run-clone",
        "run-delete",
        "run-export",
        "password_change",
    }


@pytest.mark.parametrize(("route", "name"), PRIVATE_ROUTES, ids=[n for _, n in PRIVATE_ROUTES])
@pytest.mark.parametrize("method", ["get", "post"])
def test_every_page_and_download_sends_an_anonymous_visitor_to_the_login_page(
    client, make_run, route, name, method
):
    run = make_run()
    url = "/" + re.sub(r"<int:\w+>", str(run.pk), route)
    url = re.sub(r"<uuid:\w+>", "0b5e2c1a-6f4d-4b8e-9c3a-2d7f1e0a9b64", url)  # a job's id

    response = getattr(client, method)(url, {"scope": "all"} if method == "get" else {})

    if route.startswith("api/") and name != "docs":
        # The API tells a script to authenticate instead of showing it a login page.
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login") + "?next=")
    assert TaskRun.objects.get() == run


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:index",
        "admin:tasks_taskrun_changelist",
        "admin:tasks_taskrun_add",
        "admin:auth_user_changelist",
    ],
)
def test_admin_pages_send_an_anonymous_visitor_to_the_admin_login(client, db, url_name):
    response = client.get(reverse(url_name))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize("action", ["change", "history", "delete"])
def test_admin_object_pages_send_an_anonymous_visitor_to_the_admin_login(client, make_run, action):
    run = make_run()

    response = client.get(reverse(f"admin:tasks_taskrun_{action}", args=[run.pk]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


# (url name, takes a pk, query string, the permissions it needs)
PAGES = [
    ("tasks:run-list", False, "", ("view_taskrun",)),
    ("tasks:run-detail", True, "", ("view_taskrun",)),
    ("tasks:run-export", True, "", ("view_taskrun",)),
    ("tasks:runs-export", False, "?scope=all", ("view_taskrun",)),
    ("tasks:run-create", False, "", ("add_taskrun",)),
    ("tasks:run-edit", True, "", ("change_taskrun",)),
    ("tasks:run-clone", True, "", ("view_taskrun", "add_taskrun")),
    ("tasks:run-delete", True, "", ("delete_taskrun",)),
]
PAGE_IDS = [name for name, *_ in PAGES]


def _page_url(name, takes_pk, query, pk):
    return reverse(name, args=[pk] if takes_pk else []) + query


@pytest.mark.parametrize(("name", "takes_pk", "query", "needs"), PAGES, ids=PAGE_IDS)
def test_a_user_with_exactly_the_needed_permissions_may_open_the_page(
    make_run, name, takes_pk, query, needs
):
    run = make_run()

    response = client_for(user_with(*needs)).get(_page_url(name, takes_pk, query, run.pk))

    assert response.status_code == 200


@pytest.mark.parametrize(("name", "takes_pk", "query", "needs"), PAGES, ids=PAGE_IDS)
def test_lacking_any_needed_permission_is_forbidden_even_with_all_the_others(
    make_run, name, takes_pk, query, needs
):
    run = make_run()
    for missing in needs:
        others = [codename for codename in ALL_PERMISSIONS if codename != missing]
        client = client_for(user_with(*others, username=f"without-{missing}"))

        assert client.get(_page_url(name, takes_pk, query, run.pk)).status_code == 403
        assert client.post(_page_url(name, takes_pk, query, run.pk)).status_code == 403


OBJECT_PAGES = [page for page in PAGES if page[1]]


@pytest.mark.parametrize(
    ("name", "takes_pk", "query", "needs"), OBJECT_PAGES, ids=[p[0] for p in OBJECT_PAGES]
)
def test_a_missing_run_is_403_without_permission_so_urls_do_not_reveal_which_runs_exist(
    db, nobody, name, takes_pk, query, needs
):
    assert client_for(nobody).get(reverse(name, args=[987654])).status_code == 403
    assert client_for(user_with(*needs)).get(reverse(name, args=[987654])).status_code == 404


def test_a_viewer_cannot_create_edit_clone_or_delete_by_posting(make_run, viewer_client):
    run = make_run(task_title="Before")
    changed = form_data(run, task_title="After")

    assert viewer_client.post(reverse("tasks:run-create"), changed).status_code == 403
    assert viewer_client.post(reverse("tasks:run-edit", args=[run.pk]), changed).status_code == 403
    assert viewer_client.post(reverse("tasks:run-clone", args=[run.pk]), changed).status_code == 403
    assert viewer_client.post(reverse("tasks:run-delete", args=[run.pk])).status_code == 403
    assert list(TaskRun.objects.values_list("task_title", flat=True)) == ["Before"]


def test_exporting_needs_the_view_permission_even_for_a_user_who_may_change_everything(make_run):
    run = make_run()
    client = client_for(user_with("add_taskrun", "change_taskrun", "delete_taskrun"))

    assert client.get(reverse("tasks:run-export", args=[run.pk])).status_code == 403
    assert client.get(reverse("tasks:runs-export"), {"scope": "all"}).status_code == 403
    selected = {"scope": "selected", "pk": [run.pk]}
    assert client.get(reverse("tasks:runs-export"), selected).status_code == 403


def test_runs_of_other_users_follow_the_same_model_permissions(make_run, editor, viewer):
    run = make_run(task_title="Editor's run", created_by=editor, updated_by=editor)
    viewer_client = client_for(viewer)
    other_editor = client_for(user_with("view_taskrun", "change_taskrun", username="other-editor"))

    assert (
        b"Editor&#x27;s run"
        in viewer_client.get(reverse("tasks:run-detail", args=[run.pk])).content
    )
    export = viewer_client.get(reverse("tasks:run-export", args=[run.pk]))
    assert export.status_code == 200
    assert "Editor's run" in export.content.decode()
    response = other_editor.post(
        reverse("tasks:run-edit", args=[run.pk]), form_data(run, task_title="Edited by another")
    )
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.task_title == "Edited by another"


def test_export_of_selected_runs_contains_only_the_ticked_existing_runs(make_run, viewer_client):
    first = make_run(task_title="First")
    make_run(task_title="Second")

    response = viewer_client.get(
        reverse("tasks:runs-export"), {"scope": "selected", "pk": [first.pk, 987654, "1 OR 1=1"]}
    )

    assert response.status_code == 200
    body = response.getvalue().decode()  # streamed: read once
    assert '"task_title": "First"' in body
    assert "Second" not in body


# -- The admin: the same model permissions.


def test_admin_needs_staff_status(make_run):
    client = client_for(user_with(*ALL_PERMISSIONS))  # not staff

    response = client.get(reverse("admin:tasks_taskrun_changelist"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_admin_staff_without_permissions_is_forbidden_task_runs(make_run):
    run = make_run()
    client = client_for(user_with(username="staff", is_staff=True))

    assert client.get(reverse("admin:tasks_taskrun_changelist")).status_code == 403
    assert client.get(reverse("admin:tasks_taskrun_change", args=[run.pk])).status_code == 403
    assert client.get(reverse("admin:tasks_taskrun_add")).status_code == 403


def test_admin_viewer_sees_a_read_only_run_and_cannot_save_it(make_run, viewer_client):
    run = make_run(task_title="Before")
    url = reverse("admin:tasks_taskrun_change", args=[run.pk])

    page = viewer_client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert viewer_client.post(url, form_data(run, task_title="After")).status_code == 403
    assert viewer_client.get(reverse("admin:tasks_taskrun_add")).status_code == 403
    run.refresh_from_db()
    assert run.task_title == "Before"


def test_admin_viewer_may_export_but_not_clone_or_delete_with_actions(make_run, viewer_client):
    run = make_run()
    url = reverse("admin:tasks_taskrun_changelist")

    for action in ("clone_selected", "delete_selected"):
        response = viewer_client.post(url, {"action": action, "_selected_action": [run.pk]})
        assert response.status_code in (200, 302)
        assert list(TaskRun.objects.all()) == [run]
    export = viewer_client.post(url, {"action": "export_json", "_selected_action": [run.pk]})
    assert export.status_code == 200
    assert export["Content-Disposition"].startswith("attachment;")


# -- Login throttling (django-axes): AXES_FAILURE_LIMIT wrong passwords lock a
# username from one address; the right password is then refused too.


def _login_post(client, username, password, url=None, **extra):
    return client.post(
        url or reverse("login"), {"username": username, "password": password}, **extra
    )


@pytest.fixture
def researcher(db):
    return User.objects.create_user("researcher", password="right-password")


def _is_logged_in(client):
    return client.get(reverse("tasks:run-list")).status_code != 302


def test_a_wrong_password_shows_the_login_form_again(client, researcher):
    response = _login_post(client, "researcher", "wrong")

    assert response.status_code == 200
    assert b"Your username and password didn't match." in response.content


def test_after_the_failure_limit_even_the_right_password_is_refused_with_429(
    client, researcher, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login_post(client, "researcher", "wrong")

    response = _login_post(client, "researcher", "right-password")

    assert response.status_code == 429
    assert b"Too many failed logins" in response.content
    assert not _is_logged_in(client)


def test_one_failure_fewer_than_the_limit_still_lets_the_right_password_in(
    client, researcher, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login_post(client, "researcher", "wrong")

    response = _login_post(client, "researcher", "right-password")

    assert response.status_code == 302
    assert _is_logged_in(client)


def test_a_successful_login_clears_the_count_of_failures(client, researcher, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login_post(client, "researcher", "wrong")
    _login_post(client, "researcher", "right-password")
    client.post(reverse("logout"))
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _login_post(client, "researcher", "wrong")

    assert _login_post(client, "researcher", "right-password").status_code == 302


def test_a_lockout_holds_one_username_from_one_address_only(client, researcher, settings):
    User.objects.create_user("colleague", password="colleague-password")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login_post(client, "researcher", "wrong")

    assert _login_post(Client(), "colleague", "colleague-password").status_code == 302
    elsewhere = _login_post(Client(), "researcher", "right-password", REMOTE_ADDR="192.0.2.7")
    assert elsewhere.status_code == 302


def test_the_admin_login_is_throttled_too(client, researcher, settings):
    researcher.is_staff = True
    researcher.save()
    url = reverse("admin:login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login_post(client, "researcher", "wrong", url=url)

    assert _login_post(client, "researcher", "right-password", url=url).status_code == 429


def test_code_that_logs_in_without_a_request_is_not_throttled(client, researcher, settings):
    # The test client's login() (and a shell's authenticate()) pass no request.
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        assert client.login(username="researcher", password="wrong") is False

    assert client.login(username="researcher", password="right-password") is True


# -- History, comparison and status changes follow the same permissions.


@pytest.fixture
def two_versions(make_run, editor):
    run = make_run(task_title="First version")
    run.task_title = "Second version"
    services.run_save(run, by=editor, via="test")
    other = make_run(task_title="Another run")
    return run, other


def _history_urls(run, other):
    ids = "&".join(f"v={record.history_id}" for record in run.history.all())
    return [
        reverse("tasks:run-history", args=[run.pk]),
        reverse("tasks:run-history-diff", args=[run.pk]) + "?" + ids,
        reverse("tasks:runs-compare") + f"?pk={run.pk}&pk={other.pk}",
    ]


def test_history_diff_and_compare_need_the_view_permission(two_versions, viewer):
    run, other = two_versions
    without_view = client_for(user_with("add_taskrun", "change_taskrun", "delete_taskrun"))

    for url in _history_urls(run, other):
        assert client_for(viewer).get(url).status_code == 200, url
        assert without_view.get(url).status_code == 403, url


def test_reverting_and_changing_status_need_the_change_permission(two_versions, viewer):
    run, _ = two_versions
    first = run.history.order_by("history_id").first()
    revert = reverse("tasks:run-revert", args=[run.pk, first.history_id])
    status = reverse("tasks:run-status", args=[run.pk])
    viewer_client = client_for(viewer)
    changer = client_for(user_with("change_taskrun", username="changer"))

    assert viewer_client.post(revert).status_code == 403
    assert viewer_client.post(status, {"action": "archive"}).status_code == 403
    run.refresh_from_db()
    assert (run.task_title, run.status) == ("Second version", "draft")

    assert changer.post(revert).status_code == 302
    run.refresh_from_db()
    assert run.task_title == "First version"
