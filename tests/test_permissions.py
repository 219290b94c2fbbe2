"""Every page needs a login; Django's model permissions decide the rest."""

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse

from tests.conftest import form_data

# (url name, needs a run, method, the permissions it takes)
PAGES = [
    ("run-list", False, "get", {"view_taskrun"}),
    ("runs-export", False, "get", {"view_taskrun"}),
    ("run-detail", True, "get", {"view_taskrun"}),
    ("run-export", True, "get", {"view_taskrun"}),
    ("run-create", False, "get", {"add_taskrun"}),
    ("run-create", False, "post", {"add_taskrun"}),
    ("run-edit", True, "get", {"change_taskrun"}),
    ("run-edit", True, "post", {"change_taskrun"}),
    ("run-clone", True, "get", {"view_taskrun", "add_taskrun"}),
    ("run-clone", True, "post", {"view_taskrun", "add_taskrun"}),
    ("run-delete", True, "get", {"delete_taskrun"}),
    ("run-delete", True, "post", {"delete_taskrun"}),
]
IDS = [f"{method} {name}" for name, _, method, _ in PAGES]


def request(client, make_run, name, needs_run, method):
    run = make_run()
    url = reverse(f"tasks:{name}", args=[run.pk] if needs_run else [])
    if method == "post":
        return client.post(url, form_data(run))
    return client.get(url, {"scope": "all"} if name == "runs-export" else {})


@pytest.mark.parametrize(("name", "needs_run", "method", "perms"), PAGES, ids=IDS)
def test_anonymous_visitor_is_sent_to_the_login_page(
    client, make_run, name, needs_run, method, perms
):
    response = request(client, make_run, name, needs_run, method)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize(("name", "needs_run", "method", "perms"), PAGES, ids=IDS)
def test_user_without_the_permission_is_refused(
    client, nobody, make_run, name, needs_run, method, perms
):
    client.force_login(nobody)
    assert request(client, make_run, name, needs_run, method).status_code == 403


@pytest.mark.parametrize(("name", "needs_run", "method", "perms"), PAGES, ids=IDS)
def test_user_with_every_other_permission_is_still_refused(
    client, make_run, name, needs_run, method, perms
):
    others = Permission.objects.filter(content_type__app_label="tasks").exclude(codename__in=perms)
    user = User.objects.create_user("partial", password="pw")
    user.user_permissions.set(others)
    client.force_login(user)
    assert request(client, make_run, name, needs_run, method).status_code == 403


@pytest.mark.parametrize(("name", "needs_run", "method", "perms"), PAGES, ids=IDS)
def test_user_with_the_permission_gets_the_page(
    editor_client, make_run, name, needs_run, method, perms
):
    assert request(editor_client, make_run, name, needs_run, method).status_code in (200, 302)


def test_viewer_sees_no_edit_clone_or_delete_buttons(viewer_client, make_run):
    run = make_run()
    for page in (reverse("tasks:run-list"), run.get_absolute_url()):
        html = viewer_client.get(page).text
        for name in ("run-edit", "run-clone", "run-delete"):
            assert reverse(f"tasks:{name}", args=[run.pk]) not in html, (page, name)
        assert reverse("tasks:run-create") not in html
        assert reverse("tasks:run-export", args=[run.pk]) in html


def test_login_page_logs_a_user_in_and_returns_them_where_they_were(client, editor, make_run):
    run = make_run()
    response = client.post(
        reverse("login"), {"username": "editor", "password": "pw", "next": run.get_absolute_url()}
    )
    assert response["Location"] == run.get_absolute_url()
    assert client.get(run.get_absolute_url()).status_code == 200


def test_wrong_password_is_refused_with_a_message(client, editor):
    response = client.post(reverse("login"), {"username": "editor", "password": "nope"})
    assert "Your username and password didn't match. Please try again." in response.text


def test_logging_out_takes_a_post(editor_client):
    assert editor_client.post(reverse("logout"))["Location"] == reverse("login")
    assert editor_client.get(reverse("tasks:run-list")).status_code == 302
