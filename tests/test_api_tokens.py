"""Personal API tokens: made and revoked by their owner (or an administrator), shown
once, stored as a hash, checked on every request, and throttled like the login."""

import hashlib
import re
import time

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from rest_framework.throttling import SimpleRateThrottle

from tasks.api import tokens
from tasks.models import ApiToken
from tests.api import *  # noqa: F403  (the fixtures)
from tests.api import bearer, token_client
from tests.locks import sqlite_write_lock_held_elsewhere

TOKEN = re.compile(r"ta_[A-Za-z0-9]{8}_[A-Za-z0-9_-]{43}")


# -- The token itself ----------------------------------------------------------------


def test_a_token_is_random_and_only_its_hash_is_kept(editor):
    token, text = tokens.issue(editor, "laptop")
    assert TOKEN.fullmatch(text)
    assert text.startswith(f"ta_{token.prefix}_")
    assert token.secret_hash == hashlib.sha256(text.encode()).hexdigest()
    stored = ApiToken.objects.values_list(flat=False).get()
    assert text not in str(stored)
    assert tokens.issue(editor, "laptop")[1] != text


def test_a_token_finds_its_user_until_revoked(editor):
    token, text = tokens.issue(editor, "laptop")
    assert tokens.find(text) == token
    assert tokens.find(text[:-1] + ("A" if text[-1] != "A" else "B")) is None
    assert tokens.find("ta_short") is None
    tokens.revoke(token)
    assert tokens.find(text) is None


def test_a_request_with_a_token_records_when_it_was_used(editor):
    client, token = token_client(editor)
    assert token.last_used_at is None
    assert client.get("/api/runs/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.django_db(transaction=True)
def test_recording_the_use_never_waits_for_another_process_holding_sqlites_write_lock(editor):
    """A script polls its big import's job while the import holds SQLite's write
    lock for minutes: its requests are answered at once, the use recorded later."""
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL locks the rows written, and an import writes no token")
    client, token = token_client(editor)
    with sqlite_write_lock_held_elsewhere():
        started = time.monotonic()
        response = client.get("/api/runs/")
        waited = time.monotonic() - started
    assert response.status_code == 200
    assert waited < 5
    token.refresh_from_db()
    assert token.last_used_at is None
    assert client.get("/api/runs/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_the_token_of_a_deactivated_user_no_longer_works(editor):
    client, _ = token_client(editor)
    editor.is_active = False
    editor.save()
    assert client.get("/api/runs/").status_code == 401


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer a b", "Bearer ta_\u00e9", "bearer nonsense", "Bearer " + "x" * 10_000],
)
def test_a_malformed_bearer_header_is_401(editor, header):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/runs/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


# -- Throttling ----------------------------------------------------------------------


def test_failed_token_attempts_from_one_address_are_throttled_like_logins(editor, settings):
    settings.TASKADMIN_API_TOKEN_FAILURE_LIMIT = 3
    client, _ = token_client(editor)
    wrong = bearer("ta_AAAAAAAA_" + "A" * 43)
    for _ in range(3):
        assert wrong.get("/api/runs/").status_code == 401
    refused = wrong.get("/api/runs/")
    assert refused.status_code == 429
    assert refused.json()["detail"].startswith(
        "Too many failed token attempts from this address; try again later."
    )
    assert int(refused["Retry-After"]) == 15 * 60
    # While it lasts, even the right token from that address waits.
    assert client.get("/api/runs/").status_code == 429
    # Another address is not affected.
    assert client.get("/api/runs/", REMOTE_ADDR="10.9.8.7").status_code == 200


def test_a_user_making_too_many_requests_is_told_429(editor, monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "3/minute"}
    )
    client, _ = token_client(editor)
    assert [client.get("/api/runs/").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert "Retry-After" in client.get("/api/runs/")


# -- The page ------------------------------------------------------------------------


def test_the_page_needs_a_login(client):
    response = client.get(reverse("api-tokens"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_new_token_is_shown_once(editor_client, editor):
    posted = editor_client.post(reverse("api-tokens"), {"name": "lab server"})
    # Post, then redirect: reloading the page that shows the token makes no other.
    assert posted.status_code == 302 and posted["Location"] == reverse("api-tokens")
    made = editor_client.get(reverse("api-tokens"))
    text = TOKEN.search(made.content.decode()).group(0)
    assert tokens.find(text).user == editor
    assert "it is shown only this once" in made.content.decode()
    later = editor_client.get(reverse("api-tokens")).content.decode()
    assert "lab server" in later
    assert text not in later
    assert f"ta_{ApiToken.objects.get().prefix}_…" in later
    assert ApiToken.objects.count() == 1


def test_a_token_needs_a_name(editor_client):
    response = editor_client.post(reverse("api-tokens"), {"name": "   "})
    assert response.status_code == 200
    assert "Give the token a name." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_making_or_revoking_a_token_needs_the_csrf_token(editor):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(editor)
    assert browser.post(reverse("api-tokens"), {"name": "x"}).status_code == 403
    token, _ = tokens.issue(editor, "kept")
    assert browser.post(reverse("api-token-revoke", args=[token.pk])).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None


def test_each_person_sees_and_revokes_only_their_own(editor_client, editor, viewer):
    mine, mine_text = tokens.issue(editor, "mine")
    theirs, theirs_text = tokens.issue(viewer, "theirs")
    page = editor_client.get(reverse("api-tokens")).content.decode()
    assert "mine" in page and "theirs" not in page
    refused = editor_client.post(reverse("api-token-revoke", args=[theirs.pk]))
    assert refused.status_code == 404
    assert tokens.find(theirs_text) is not None
    done = editor_client.post(reverse("api-token-revoke", args=[mine.pk]))
    assert done.status_code == 302
    assert tokens.find(mine_text) is None
    assert "revoked" in editor_client.get(reverse("api-tokens")).content.decode()


def test_revoking_is_a_post(editor_client, editor):
    token, text = tokens.issue(editor, "kept")
    assert editor_client.get(reverse("api-token-revoke", args=[token.pk])).status_code == 405
    assert tokens.find(text) is not None


# -- The admin -----------------------------------------------------------------------


def test_the_admin_lists_tokens_without_their_hash_and_cannot_make_one(client, superuser, editor):
    token, _ = tokens.issue(editor, "lab server")
    client.force_login(superuser)
    changelist = client.get(reverse("admin:tasks_apitoken_changelist")).content.decode()
    assert "lab server" in changelist and f"ta_{token.prefix}_…" in changelist
    change = client.get(reverse("admin:tasks_apitoken_change", args=[token.pk])).content.decode()
    assert token.secret_hash not in changelist + change
    assert client.get(reverse("admin:tasks_apitoken_add")).status_code == 403


def test_an_administrator_revokes_tokens_in_the_admin(client, superuser, editor):
    token, text = tokens.issue(editor, "lab server")
    client.force_login(superuser)
    response = client.post(
        reverse("admin:tasks_apitoken_changelist"),
        {"action": "revoke_selected", "_selected_action": [token.pk]},
        follow=True,
    )
    assert "Revoked 1 token." in response.content.decode()
    assert tokens.find(text) is None
