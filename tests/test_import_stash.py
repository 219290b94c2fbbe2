"""Uploads wait in the database between preview and apply: per user, with a quota and an
expiry, and applied once however many times (and however simultaneously) they are posted."""

import json
import re
import secrets
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tasks import stash
from tasks.models import ImportUpload, TaskRun

pytestmark = pytest.mark.django_db

FLAT = {"task_title": "Imported", "task_description": "D", "task_reward": 0.25, "task_tags": "t"}


def jsonl(count, title="Imported"):
    return "\n".join(json.dumps({**FLAT, "task_title": f"{title} {n}"}) for n in range(count))


def upload(client, content, name="runs.jsonl"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(reverse("tasks:run-import"), {"file": SimpleUploadedFile(name, data)})


def apply(client, token, mode="all", acknowledge=()):
    return client.post(
        reverse("tasks:run-import-apply"),
        {"token": token, "mode": mode, "acknowledge": list(acknowledge)},
    )


def messages_of(response):
    """The messages this response adds (earlier ones wait unread: redirects are not followed)."""
    return [str(m) for m in response.wsgi_request._messages._queued_messages]


def applied_already(count, upload):
    at = timezone.localtime(upload.applied_at).strftime("%H:%M")
    runs = f"{count} run{'s' if count != 1 else ''}"
    return (
        f"This import was applied already: {runs} imported at {at}."
        f' <a href="{reverse("tasks:run-list")}">See the task runs.</a>'
    )


def editor_named(username):
    user = User.objects.create_user(username=username, password="pw")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="tasks", codename__in=["view_taskrun", "add_taskrun"]
        )
    )
    return user


# -- Where uploads wait ------------------------------------------------------------------


def test_a_preview_keeps_the_upload_in_the_database_for_its_owner(editor_client, editor):
    response = upload(editor_client, jsonl(2))
    stored = ImportUpload.objects.get()
    assert (stored.owner, stored.name, bytes(stored.data), stored.size) == (
        editor,
        "runs.jsonl",
        jsonl(2).encode(),
        len(jsonl(2)),
    )
    assert stored.applied_at is None and stored.imported is None
    assert not TaskRun.objects.exists()
    # The page carries an unguessable token, not the row's id.
    assert response.context["token"] == stored.token
    assert len(stored.token) >= 43 and stored.token != str(stored.pk)
    assert f'name="token" value="{stored.token}"' in response.text


def test_the_import_view_writes_no_file(editor_client, monkeypatch, tmp_path):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    preview = upload(editor_client, jsonl(1))
    apply(editor_client, preview.context["token"])
    assert TaskRun.objects.count() == 1
    assert list(tmp_path.iterdir()) == []
    assert not (tmp_path / "taskadmin-imports").exists()


def test_the_import_page_lists_waiting_uploads_and_opens_one_again(editor_client):
    token = upload(editor_client, jsonl(3), name="three.jsonl").context["token"]
    page = editor_client.get(reverse("tasks:run-import"))
    assert [u.token for u in page.context["waiting"]] == [token]
    assert f"?token={token}" in page.text and "three.jsonl" in page.text

    again = editor_client.get(reverse("tasks:run-import"), {"token": token})
    assert again.context["token"] == token
    assert "three.jsonl: 3 new, 0 identical to saved runs (skipped), 0 invalid." in again.text


# -- Applied once ------------------------------------------------------------------------


def test_applying_the_same_preview_twice_imports_once_and_the_second_answer_says_so(
    editor_client,
):
    token = upload(editor_client, jsonl(3)).context["token"]

    first = apply(editor_client, token)
    assert first["Location"] == reverse("tasks:run-list")
    second = apply(editor_client, token)

    assert TaskRun.objects.count() == 3
    assert second.status_code == 302 and second["Location"] == reverse("tasks:run-import")
    stored = ImportUpload.objects.get()
    assert (stored.imported, bytes(stored.data)) == (3, b"")
    assert messages_of(second) == [applied_already(3, stored)]
    # Opening the preview again answers the same.
    reopened = editor_client.get(reverse("tasks:run-import"), {"token": token})
    assert messages_of(reopened) == [applied_already(3, stored)]
    followed = editor_client.get(reverse("tasks:run-import"))
    assert not followed.context["waiting"]


def test_a_refused_apply_leaves_the_upload_to_apply_again(editor_client):
    risky = json.dumps({**FLAT, "task_reward": 60})
    token = upload(editor_client, risky).context["token"]

    refused = apply(editor_client, token)
    assert refused.status_code == 200 and not TaskRun.objects.exists()
    assert ImportUpload.objects.get().applied_at is None

    apply(editor_client, token, acknowledge=["reward_above_confirm_threshold"])
    assert TaskRun.objects.count() == 1


def test_discard_deletes_the_upload_and_a_later_apply_imports_nothing(editor_client):
    preview = upload(editor_client, jsonl(2))
    token = preview.context["token"]
    assert f'formaction="{reverse("tasks:run-import-discard")}"' in preview.text

    response = editor_client.post(reverse("tasks:run-import-discard"), {"token": token})
    assert response["Location"] == reverse("tasks:run-import")
    assert messages_of(response) == ["Discarded runs.jsonl; nothing was imported from it."]
    assert not ImportUpload.objects.exists()

    late = apply(editor_client, token)
    assert messages_of(late) == ["That upload has expired; choose the file again."]
    assert not TaskRun.objects.exists()


@pytest.mark.parametrize("token", ["", "x" * 65, "a\x00b", "../etc", "é"])
def test_a_malformed_token_is_an_expired_upload_not_an_error(editor_client, token):
    response = apply(editor_client, token)
    assert messages_of(response) == ["That upload has expired; choose the file again."]
    discard = editor_client.post(reverse("tasks:run-import-discard"), {"token": token})
    assert discard.status_code == 302


# -- Only the owner --------------------------------------------------------------------------


def test_another_users_token_is_404_and_imports_or_discards_nothing(editor_client, db):
    token = upload(editor_client, jsonl(2)).context["token"]
    other = Client()
    other.force_login(editor_named("someone-else"))

    assert apply(other, token).status_code == 404
    assert other.post(reverse("tasks:run-import-discard"), {"token": token}).status_code == 404
    assert other.get(reverse("tasks:run-import"), {"token": token}).status_code == 404
    assert not TaskRun.objects.exists()
    assert ImportUpload.objects.get().applied_at is None


def test_the_waiting_list_shows_only_your_own_uploads(editor_client, db):
    upload(editor_client, jsonl(1))
    other = Client()
    other.force_login(editor_named("someone-else"))
    assert not other.get(reverse("tasks:run-import")).context["waiting"]


# -- Expiry and quota --------------------------------------------------------------------------


def test_an_expired_upload_says_so_and_imports_nothing(editor_client):
    token = upload(editor_client, jsonl(2)).context["token"]
    ImportUpload.objects.update(created_at=timezone.now() - timedelta(hours=24, seconds=1))

    response = apply(editor_client, token)

    assert response["Location"] == reverse("tasks:run-import")
    assert messages_of(response) == ["That upload has expired; choose the file again."]
    assert not TaskRun.objects.exists()


def test_expired_uploads_of_everyone_are_deleted_when_a_new_upload_arrives(editor_client, db):
    other = Client()
    other.force_login(editor_named("someone-else"))
    upload(other, jsonl(1))
    upload(editor_client, jsonl(1))
    ImportUpload.objects.update(created_at=timezone.now() - timedelta(hours=25))
    kept = upload(editor_client, jsonl(1), name="fresh.jsonl").context["token"]

    assert list(ImportUpload.objects.values_list("token", flat=True)) == [kept]


def test_uploads_beyond_the_count_quota_are_refused_and_not_stored(editor_client, settings):
    settings.TASKADMIN_IMPORT_PENDING_MAX = 2
    upload(editor_client, jsonl(1))
    upload(editor_client, jsonl(2))

    response = upload(editor_client, jsonl(3))

    assert response.status_code == 200 and "token" not in response.context
    assert (
        "You have 2 uploads waiting to be imported; at most 2 may wait at a time."
        " Import or discard one of your earlier uploads first (listed below)."
    ) in response.context["form"].errors["file"]
    assert ImportUpload.objects.count() == 2
    # Applied uploads do not count.
    apply(editor_client, ImportUpload.objects.first().token)
    assert "token" in upload(editor_client, jsonl(3)).context


def test_uploads_beyond_the_byte_quota_are_refused_and_not_stored(editor_client, settings):
    settings.TASKADMIN_IMPORT_PENDING_MAX_BYTES = 1_000_000
    upload(editor_client, " " * 600_000 + jsonl(1))

    response = upload(editor_client, " " * 500_000 + jsonl(1))

    assert (
        "Your uploads waiting to be imported would take 1.1 MB; at most 1.0 MB may wait at a"
        " time. Import or discard one of your earlier uploads first (listed below)."
    ) in response.context["form"].errors["file"]
    assert ImportUpload.objects.count() == 1


def test_quota_and_expiry_are_settings(settings, editor):
    settings.TASKADMIN_IMPORT_EXPIRY_HOURS = 1
    settings.TASKADMIN_IMPORT_PENDING_MAX = 1
    first = stash.put(editor, "a.json", b"{}")
    with pytest.raises(stash.StashFull):
        stash.put(editor, "b.json", b"{}")
    ImportUpload.objects.update(created_at=timezone.now() - timedelta(minutes=61))
    assert stash.put(editor, "c.json", b"{}").name == "c.json"
    assert not ImportUpload.objects.filter(pk=first.pk).exists()


# -- Real simultaneous requests against the running app ------------------------------------------


class Browser:
    """An HTTP client for the live server that keeps its cookies and posts forms and files."""

    def __init__(self, base, user):
        session = Client()
        session.force_login(user)
        self.base = base
        self.cookies = {"sessionid": session.cookies["sessionid"].value}
        self.opener = urllib.request.build_opener(_NoRedirect)

    def request(self, path, body=None, content_type=None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(self.base + path, data=body, headers=headers)
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:
            response = error
        with response:
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
            return response.status, response.headers.get("Location"), response.read().decode()

    def csrf(self):
        _, _, html = self.request(reverse("tasks:run-import"))
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def post(self, path, fields):
        return self.request(path, urllib.parse.urlencode(fields, doseq=True).encode())

    def upload(self, path, fields, name, data):
        boundary = secrets.token_hex(16)
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'
            for key, value in fields.items()
        ]
        body = (
            "".join(parts).encode()
            + f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
            + data
            + f"\r\n--{boundary}--\r\n".encode()
        )
        return self.request(path, body, f"multipart/form-data; boundary={boundary}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def at_once(count, work):
    """Run work(index) in `count` threads released together; their results in order."""
    start = threading.Barrier(count)
    results = [None] * count

    def run(index):
        start.wait()
        try:
            results[index] = work(index)
        except Exception as error:  # reported by the assertions, not lost in a thread
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.mark.django_db(transaction=True)
def test_four_simultaneous_applies_of_one_50_run_preview_add_exactly_50_runs(live_server, editor):
    owner = Browser(live_server.url, editor)
    status, _, html = owner.upload(
        reverse("tasks:run-import"),
        {"csrfmiddlewaretoken": owner.csrf()},
        "runs.jsonl",
        jsonl(50).encode(),
    )
    assert status == 200, html
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    browsers = [Browser(live_server.url, editor) for _ in range(4)]
    forms = [{"csrfmiddlewaretoken": b.csrf(), "token": token, "mode": "all"} for b in browsers]

    results = at_once(4, lambda i: browsers[i].post(reverse("tasks:run-import-apply"), forms[i]))

    assert TaskRun.objects.count() == 50
    answers = sorted((status, location) for status, location, _ in results)
    assert answers == [
        (302, reverse("tasks:run-list")),
        (302, reverse("tasks:run-import")),
        (302, reverse("tasks:run-import")),
        (302, reverse("tasks:run-import")),
    ], (connection.vendor, results)
    stored = ImportUpload.objects.get()
    assert (stored.imported, stored.applied_at is not None) == (50, True)


@pytest.mark.django_db(transaction=True)
def test_six_users_previewing_at_once_never_get_a_server_error(live_server):
    users = [editor_named(f"importer-{n}") for n in range(6)]
    browsers = [Browser(live_server.url, user) for user in users]
    tokens = [b.csrf() for b in browsers]
    rounds = 3

    def preview(index):
        statuses = []
        for number in range(rounds):
            status, _, _ = browsers[index].upload(
                reverse("tasks:run-import"),
                {"csrfmiddlewaretoken": tokens[index]},
                f"user{index}-{number}.jsonl",
                jsonl(5, title=f"User {index}").encode(),
            )
            statuses.append(status)
        return statuses

    results = at_once(6, preview)

    assert results == [[200] * rounds] * 6
    for user in users:
        assert ImportUpload.objects.filter(owner=user).count() == rounds
    assert not TaskRun.objects.exists()


@pytest.mark.django_db
def test_a_file_name_no_database_stores_is_kept_with_escapes_as_the_jobs_write_them(editor):
    kept = stash.put(editor, "runs\x00\ud800.json", b"{}")
    assert kept.name == "runs\\x00\\ud800.json"
    assert ImportUpload.objects.get(pk=kept.pk).name == "runs\\x00\\ud800.json"
    assert stash.put(editor, "\x00" * 300 + ".json", b"{}").name == ("\\x00" * 300 + ".json")[-255:]
