"""Two people edit the same run: the second save is refused, nothing is lost."""

import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from tasks.models import EditConflict, TaskRun
from tests.conftest import form_data
from tests.html import field_block


def edit(run):
    return reverse("tasks:run-edit", args=[run.pk])


# -- The model ------------------------------------------------------------------------


def test_saving_a_stale_copy_raises_and_changes_nothing(make_run):
    run = make_run(task_title="Start")
    first, second = TaskRun.objects.get(pk=run.pk), TaskRun.objects.get(pk=run.pk)
    first.task_title = "First"
    first.save()
    second.task_title = "Second"
    with pytest.raises(EditConflict):
        second.save()
    run.refresh_from_db()
    assert (run.task_title, run.version) == ("First", 2)


def test_every_save_moves_the_version_on(make_run):
    run = make_run()
    run.save()
    run.save()
    run.refresh_from_db()
    assert run.version == 3


# -- The browser form -----------------------------------------------------------------


@pytest.fixture
def two_editors(editor, db):
    """Two browsers logged in as editors, each with the edit page open."""
    first, second = Client(), Client()
    first.force_login(editor)
    second.force_login(editor)
    return first, second


def test_second_save_of_the_same_version_gets_a_conflict_page(two_editors, make_run):
    first, second = two_editors
    run = make_run(task_title="Original", task_reward=Decimal("0.50"), allowed_concurrent=0)
    opened = form_data(run)  # both pages were opened at version 1
    assert first.post(edit(run), {**opened, "task_title": "Their title"}).status_code == 302

    response = second.post(edit(run), {**opened, "task_reward": "0.75", "allowed_concurrent": "4"})
    assert response.status_code == 409
    html = response.text
    assert "Not saved: someone else saved this run while you were editing it" in html
    rows = {row.name: row for row in response.context["form"].conflict.rows}
    assert list(rows) == ["task_title", "task_reward", "allowed_concurrent"]
    title = rows["task_title"]
    assert (title.original, title.other, title.yours) == ("Original", "Their title", "Original")
    assert title.changed_by_other and not title.changed_by_you
    reward = rows["task_reward"]
    assert (reward.original, reward.other, reward.yours) == (
        "$0.50 per unit",
        "$0.50 per unit",
        "$0.75 per unit",
    )
    run.refresh_from_db()
    assert (run.task_title, run.task_reward, run.version) == ("Their title", Decimal("0.50"), 2)


def test_conflict_page_keeps_your_changes_on_top_of_theirs_and_saving_applies_both(
    two_editors, make_run
):
    first, second = two_editors
    run = make_run(task_title="Original")
    opened = form_data(run)
    first.post(edit(run), {**opened, "task_title": "Their title"})
    response = second.post(edit(run), {**opened, "task_reward": "0.75", "task_tags": "x, y"})
    form = response.context["form"]
    html = response.text
    assert 'value="Their title"' in field_block(html, "task_title")
    assert 'value="0.75"' in field_block(html, "task_reward")
    assert 'value="x, y"' in field_block(html, "task_tags")
    assert 'name="version" value="2"' in html

    again = second.post(edit(run), form.data)
    assert again.status_code == 302
    run.refresh_from_db()
    assert (run.task_title, run.task_reward, run.task_tags, run.version) == (
        "Their title",
        Decimal("0.75"),
        "x, y",
        3,
    )


def test_a_browsers_line_breaks_do_not_count_as_a_change(two_editors, make_run):
    first, second = two_editors
    run = make_run(task_description="Line one\nLine two")
    opened = form_data(run, task_description="Line one\r\nLine two")
    first.post(edit(run), {**opened, "task_title": "Theirs"})
    response = second.post(edit(run), {**opened, "task_reward": "0.90"})
    assert [row.name for row in response.context["form"].conflict.rows] == [
        "task_title",
        "task_reward",
    ]


def test_both_changing_the_same_field_is_marked_and_yours_is_in_the_form(two_editors, make_run):
    first, second = two_editors
    run = make_run(task_title="Original")
    opened = form_data(run)
    first.post(edit(run), {**opened, "task_title": "Theirs"})
    response = second.post(edit(run), {**opened, "task_title": "Mine"})
    (row,) = response.context["form"].conflict.rows
    assert row.clash
    assert "both changed" in response.text
    assert 'value="Mine"' in field_block(response.text, "task_title")


# -- The admin ------------------------------------------------------------------------


def test_admin_refuses_a_stale_save_and_shows_what_changed(two_editors, make_run):
    first, second = two_editors
    run = make_run(task_title="Original")
    change = reverse("admin:tasks_taskrun_change", args=[run.pk])
    opened = form_data(run, _save="")
    assert first.post(change, {**opened, "task_title": "Theirs"}).status_code == 302

    response = second.post(change, {**opened, "max_num_concurrent_units": "7"})
    assert response.status_code == 200
    html = response.text
    assert "Someone else saved this run while you were editing it." in html
    assert "Saved by someone else meanwhile" in html
    run.refresh_from_db()
    assert (run.task_title, run.max_num_concurrent_units) == ("Theirs", 0)

    again = second.post(change, {**response.context["adminform"].form.data, "_save": ""})
    assert again.status_code == 302
    run.refresh_from_db()
    assert (run.task_title, run.max_num_concurrent_units, run.version) == ("Theirs", 7, 3)


# -- Two real requests at the same moment, against the running app ------------------------


class Browser:
    """An HTTP client for the live server that keeps its cookies, as a browser would."""

    def __init__(self, base, session_cookie):
        self.base = base
        self.cookies = {"sessionid": session_cookie}
        self.opener = urllib.request.build_opener(_NoRedirect)

    def _request(self, path, data=None):
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "Referer": self.base + path,
        }
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            response = self.opener.open(request, timeout=30)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return response.status, response.read().decode()

    def get(self, path):
        return self._request(path)

    def post(self, path, data):
        return self._request(path, data)[0]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_saves_of_one_version_never_overwrite_each_other(live_server, editor):
    run = TaskRun.objects.create(
        task_title="Original", task_description="d", task_reward=Decimal("1.00"), task_tags="t"
    )
    session = Client()
    session.force_login(editor)
    cookie = session.cookies["sessionid"].value
    browsers = [Browser(live_server.url, cookie), Browser(live_server.url, cookie)]
    posts = []
    for browser, title in zip(browsers, ("From A", "From B"), strict=True):
        status, html = browser.get(edit(run))
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        posts.append({**form_data(run, task_title=title), "csrfmiddlewaretoken": token})

    start = threading.Barrier(2)
    statuses = [None, None]

    def save(index):
        start.wait()
        statuses[index] = browsers[index].post(edit(run), posts[index])

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses) == [302, 409]
    winner = ("From A", "From B")[statuses.index(302)]
    run.refresh_from_db()
    assert (run.task_title, run.version) == (winner, 2)
    assert TaskRun.history.filter(id=run.pk).count() == 2
