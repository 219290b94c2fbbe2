"""Hostile and careless requests get a clear answer, never a server error or a hang.

Typos in the run form, odd query strings, over-long logins, odd headers and
long diffs: each kind is tried on every path that reads it (browser form,
live preview, admin; list, compare, export, history), on SQLite and PostgreSQL.
"""

import random
import string
import time

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tasks.models import TaskRun
from tasks.querystrings import read_ids, search_problem
from tests.conftest import form_data

ADD = reverse("admin:tasks_taskrun_add")
CHANGELIST = reverse("admin:tasks_taskrun_changelist")

# -- Typos in the run form: a field's own error, never a 500 --------------------------
# A cross-field rule (Prolific's hourly rate) reads a value only once its own
# field has accepted it: minutes 0 used to divide by zero.

MINUTES_AT_LEAST_ONE = "Ensure this value is greater than or equal to 1."
REWARD_TOO_LONG = (
    "Use at most 2 decimal places (providers pay in whole cents) and at most 8 digits before "
    "the point."
)
NOT_A_NUMBER = "Enter a number."

PROLIFIC_TYPOS = [
    # (reward, minutes, field, message)
    ("100", "0", "estimated_minutes", MINUTES_AT_LEAST_ONE),
    ("1e30", "5", "task_reward", REWARD_TOO_LONG),
    ("1e400", "5", "task_reward", REWARD_TOO_LONG),
    ("inf", "5", "task_reward", NOT_A_NUMBER),
    ("nan", "5", "task_reward", NOT_A_NUMBER),
    ("1e30", "0", "estimated_minutes", MINUTES_AT_LEAST_ONE),
    ("inf", "0", "estimated_minutes", MINUTES_AT_LEAST_ONE),
    (
        "99999999.99",
        "0",
        "task_reward",
        "Prolific pays whole cents and Mephisto passes int(task_reward): 99999999.99 would pay "
        "99999999. Enter whole cents, such as 70.",
    ),
]


def _prolific(reward, minutes, **extra):
    return form_data(provider="prolific", task_reward=reward, estimated_minutes=minutes, **extra)


@pytest.mark.parametrize(("reward", "minutes", "field", "message"), PROLIFIC_TYPOS)
def test_prolific_typo_in_the_browser_form_is_shown_beside_its_field(
    editor_client, reward, minutes, field, message
):
    response = editor_client.post(reverse("tasks:run-create"), _prolific(reward, minutes))

    assert response.status_code == 200
    assert message in response.context["form"].errors[field]
    assert not TaskRun.objects.exists()


@pytest.mark.parametrize(("reward", "minutes", "field", "message"), PROLIFIC_TYPOS)
def test_prolific_typo_in_the_live_preview_is_listed_with_its_field(
    editor_client, reward, minutes, field, message
):
    response = editor_client.post(reverse("tasks:run-preview"), _prolific(reward, minutes))

    assert response.status_code == 200
    errors = {error["field"]: error["messages"] for error in response.json()["errors"]}
    assert message in errors[field]
    assert response.json()["config"] is None


@pytest.mark.parametrize(("reward", "minutes", "field", "message"), PROLIFIC_TYPOS)
def test_prolific_typo_in_the_admin_add_form_is_shown_beside_its_field(
    client, superuser, reward, minutes, field, message
):
    client.force_login(superuser)
    response = client.post(ADD, _prolific(reward, minutes, _save=""))

    assert response.status_code == 200
    assert message in response.context_data["adminform"].form.errors[field]
    assert not TaskRun.objects.exists()


def test_prolific_minutes_zero_on_a_run_built_in_code_is_a_field_error(db):
    run = TaskRun(**{**_model_values(), "provider": "prolific", "task_reward": 100})
    run.estimated_minutes = 0

    with pytest.raises(Exception) as caught:
        run.full_clean()

    assert caught.value.message_dict["estimated_minutes"] == [MINUTES_AT_LEAST_ONE]


def _model_values():
    return {
        "task_title": "Label the pictures",
        "task_description": "Look at each picture.",
        "task_tags": "images",
    }


# -- Ids in query strings: ASCII digits within the column, or nothing ---------------

ODD_IDS = ["²", "①", "١٢", "-1", "0", "1.0", "1e3", " 1", "", "%00", "99999999999999999999999"]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["1", "22"], [1, 22]),
        (["²", "①", "١٢", "-1", "0", "1.0", "1e3", " 1", "", "\x00"], []),
        (["9223372036854775807", "9223372036854775808"], [9223372036854775807]),
        (["99999999999999999999999"], []),
        (["2147483647", "2147483648"], [2147483647, 2147483648]),
    ],
)
def test_read_ids_keeps_ascii_digits_within_a_bigint_column(values, expected):
    assert read_ids(values) == expected


def test_read_ids_honours_a_smaller_column():
    assert read_ids(["2147483647", "2147483648"], maximum=2**31 - 1) == [2147483647]


@pytest.mark.parametrize("odd", ODD_IDS)
def test_history_diff_with_an_odd_version_asks_for_two_versions(editor_client, make_run, odd):
    run = make_run()
    first = run.history.get().history_id
    url = reverse("tasks:run-history-diff", args=[run.pk])

    response = editor_client.get(url, {"v": [str(first), odd]}, follow=True)

    assert response.status_code == 200
    assert "Pick two versions to compare." in _messages(response)


@pytest.mark.parametrize("odd", ODD_IDS)
def test_compare_with_an_odd_id_asks_for_two_runs(editor_client, make_run, odd):
    run = make_run()

    response = editor_client.get(
        reverse("tasks:runs-compare"), {"pk": [str(run.pk), odd]}, follow=True
    )

    assert response.status_code == 200
    assert "Tick exactly two runs to compare." in _messages(response)


@pytest.mark.parametrize("odd", ODD_IDS)
def test_export_of_only_odd_ids_asks_for_a_tick(editor_client, make_run, odd):
    make_run()

    response = editor_client.get(
        reverse("tasks:runs-export"), {"scope": "selected", "pk": odd}, follow=True
    )

    assert response.status_code == 200
    assert "Tick at least one run to export." in _messages(response)


def test_export_of_a_good_and_an_odd_id_exports_the_good_one(editor_client, make_run):
    run = make_run()

    response = editor_client.get(
        reverse("tasks:runs-export"),
        {"scope": "selected", "pk": [str(run.pk), "99999999999999999999999", "²"]},
    )

    assert response.status_code == 200
    assert b"Label the pictures" in b"".join(response.streaming_content)


@pytest.mark.parametrize(
    "path",
    [
        "/runs/99999999999999999999999/",
        "/runs/99999999999999999999999/history/",
        "/runs/1/history/99999999999999999999999/field/task_description.txt",
        "/admin/tasks/taskrun/99999999999999999999999/change/",
        "/admin/tasks/taskrun/%C2%B2/change/",
        "/admin/tasks/taskrun/99999999999999999999999/history/",
    ],
)
def test_an_id_beyond_the_column_in_the_path_is_not_found(client, superuser, make_run, path):
    make_run()
    client.force_login(superuser)

    response = client.get(path, follow=True)

    assert response.status_code in (200, 404)
    if response.status_code == 200:  # the admin sends you back to the list, saying why
        assert response.redirect_chain[-1][0] == "/admin/"


@pytest.mark.parametrize(
    "path",
    [
        "/admin/tasks/taskrun/abc/history/",
        "/admin/tasks/taskrun/%00/history/",
        "/admin/tasks/taskrun/%C2%B2/history/",
        "/admin/tasks/taskrun/abc/history/1/",
        "/admin/tasks/taskrun/{pk}/history/abc/",
        "/admin/tasks/taskrun/{pk}/history/1%00/",
        "/admin/tasks/taskrun/{pk}/history/%C2%B2/",
        "/admin/tasks/taskrun/{pk}/history/99999999999999999999999/",
    ],
)
def test_an_odd_id_on_the_admin_history_pages_is_not_found(client, superuser, make_run, path):
    # simple-history filtered by these as they came: "abc" was a 500.
    run = make_run()
    client.force_login(superuser)

    response = client.get(path.format(pk=run.pk))

    assert response.status_code == 404


# -- Search text: NUL and over-long queries are refused with a message ---------------

SEARCH_NUL = (
    "Search text cannot contain the NUL character (\\u0000) or an unpaired surrogate "
    "(\\ud800 to \\udfff)."
)
SEARCH_TOO_LONG = "Search text can be at most 200 characters; this has 5,000."


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("pictures", None),
        ("", None),
        ("a\x00b", SEARCH_NUL),
        ("\ud800", SEARCH_NUL),
        ("x" * 200, None),
        ("x" * 5000, SEARCH_TOO_LONG),
        ("a " * 2500, SEARCH_TOO_LONG),
    ],
)
def test_search_problem_names_what_a_database_would_refuse(query, problem):
    assert search_problem(query) == problem


@pytest.mark.parametrize(
    ("query", "message"),
    [("\x00", SEARCH_NUL), ("pic\x00tures", SEARCH_NUL), ("x" * 5000, SEARCH_TOO_LONG)],
)
def test_the_list_refuses_a_hostile_search_with_a_message_and_no_runs(
    editor_client, make_run, query, message
):
    make_run()

    response = editor_client.get(reverse("tasks:run-list"), {"q": query})

    assert response.status_code == 400
    assert response.context["search_problem"] == message
    assert list(response.context["page"]) == []
    assert "Label the pictures" not in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        "a " * 100,  # a hundred one-letter words
        "%_\\'\"*",  # LIKE and FTS5 syntax
        '"pictures" OR NEAR(a b)',
        "🙂" * 50,
    ],
)
def test_the_list_answers_odd_but_storable_searches(editor_client, make_run, query):
    make_run()

    response = editor_client.get(reverse("tasks:run-list"), {"q": query})

    assert response.status_code == 200


def test_exporting_a_hostile_search_goes_back_to_the_list_which_says_why(editor_client, make_run):
    make_run()

    response = editor_client.get(
        reverse("tasks:runs-export"), {"scope": "all", "q": "pic\x00"}, follow=True
    )

    assert response.status_code == 400
    assert response.context["search_problem"] == SEARCH_NUL


@pytest.mark.parametrize(
    "params",
    [
        {"page": "²"},
        {"page": "-1"},
        {"page": "0"},
        {"page": "1e400"},
        {"page": "99999999999999999999999"},
        {"page": "\x00"},
        {"sort": "\x00"},
        {"sort": "-"},
        {"sort": "--title"},
        {"sort": "__class__"},
        {"status": "\x00"},
        {"status": "__all__"},
        {"format": "\x00", "target": "../../etc"},
    ],
)
def test_the_list_and_its_export_answer_odd_parameters(editor_client, make_run, params):
    make_run()

    listed = editor_client.get(reverse("tasks:run-list"), params)
    exported = editor_client.get(reverse("tasks:runs-export"), {"scope": "all", **params})

    assert listed.status_code == 200
    assert "Label the pictures" in listed.content.decode()
    assert exported.status_code == 200


@pytest.mark.parametrize(
    "params",
    [
        {"q": "\x00"},
        {"q": "x" * 5000},
        {"o": "²"},
        {"o": "99999999999999999999999"},
        {"o": "-"},
        {"o": "1.-2.x"},
        {"status__exact": "\x00"},
        {"provider__exact": "nope"},
        {"created_at__gte": "2024-02-30"},
        {"created_at__gte": "\x00"},
        {"id__exact": "99999999999999999999999"},
        {"p": "²"},
        {"p": "99999999999999999999999"},
        {"_changelist_filters": "\x00"},
    ],
)
def test_the_admin_changelist_answers_odd_parameters(client, superuser, make_run, params):
    make_run()
    client.force_login(superuser)

    response = client.get(CHANGELIST, params, follow=True)

    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "message", "listed"),
    [
        # Back to the whole list, which the message heads.
        (
            "pic\x00",
            "Searches and filters cannot contain the NUL character (\\u0000) or an "
            "unpaired surrogate (\\ud800 to \\udfff).",
            1,
        ),
        ("x" * 5000, SEARCH_TOO_LONG, 0),
    ],
)
def test_the_admin_search_refuses_a_hostile_search_with_a_message(
    client, superuser, make_run, query, message, listed
):
    make_run()
    client.force_login(superuser)

    response = client.get(CHANGELIST, {"q": query}, follow=True)

    assert response.status_code == 200
    assert message in _messages(response)
    assert response.context_data["cl"].result_count == listed


# -- Logging in: an over-long username is a form error before django-axes sees it ----


@pytest.mark.parametrize("username", ["x" * 151, "x" * 256, "x" * 10_000, "ed\x00itor"])
@pytest.mark.parametrize("url", [reverse("login"), reverse("admin:login")])
def test_an_impossible_username_is_a_normal_login_error(client, editor, url, username):
    response = client.post(url, {"username": username, "password": "pw"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not response.wsgi_request.user.is_authenticated


@pytest.mark.parametrize(
    ("data", "headers"),
    [
        ({"next": "/\x00"}, {}),
        ({"extra\x00": "x"}, {}),
        ({}, {"user-agent": "bot\x00"}),
        ({}, {"accept": "text/html\x00"}),
    ],
)
@pytest.mark.parametrize("url", [reverse("login"), reverse("admin:login")])
def test_a_login_with_a_nul_anywhere_axes_records_is_a_normal_login_error(
    client, editor, url, data, headers
):
    response = client.post(
        url, {"username": "editor", "password": "wrong", **data}, headers=headers
    )

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not response.wsgi_request.user.is_authenticated


def test_the_login_page_says_the_usual_words_for_an_over_long_username(client, db):
    response = client.post(reverse("login"), {"username": "x" * 256, "password": "pw"})

    assert "Your username and password didn't match." in response.content.decode()


def test_a_150_character_username_still_logs_in(client, db):
    User.objects.create_user(username="u" * 150, password="pw")

    response = client.post(reverse("login"), {"username": "u" * 150, "password": "pw"})

    assert response.status_code == 302


# -- Mephisto's run id: refused with a message, nothing changes ----------------------


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        (
            "run\x00id",
            "Mephisto task run id: Text cannot contain the NUL character (\\u0000) or an "
            "unpaired surrogate escape (\\ud800 to \\udfff).",
        ),
        (
            "r" * 65,
            "Mephisto task run id: Ensure this value has at most 64 characters (it has 65).",
        ),
    ],
)
def test_mark_as_launched_refuses_an_unstorable_mephisto_id(
    editor_client, make_run, posted, message
):
    run = make_run()

    response = editor_client.post(
        reverse("tasks:run-status", args=[run.pk]),
        {"action": "launch", "mephisto_task_run_id": posted},
        follow=True,
    )

    assert response.status_code == 200
    assert _messages(response) == [message]
    run.refresh_from_db()
    assert (run.status, run.launched_at, run.mephisto_task_run_id, run.version) == (
        TaskRun.Status.DRAFT,
        None,
        "",
        1,
    )


def test_mark_as_launched_keeps_a_64_character_mephisto_id_whole(editor_client, make_run):
    run = make_run()

    editor_client.post(
        reverse("tasks:run-status", args=[run.pk]),
        {"action": "launch", "mephisto_task_run_id": " " + "r" * 64 + " "},
    )

    run.refresh_from_db()
    assert (run.status, run.mephisto_task_run_id) == (TaskRun.Status.LAUNCHED, "r" * 64)


def test_the_model_field_refuses_a_nul_in_the_mephisto_id(make_run):
    run = make_run()
    run.mephisto_task_run_id = "a\x00b"

    with pytest.raises(Exception) as caught:
        run.full_clean()

    assert list(caught.value.message_dict) == ["mephisto_task_run_id"]


# -- Long diffs stay cheap ----------------------------------------------------------


def _random_text(lines, seed):
    rng = random.Random(seed)
    return "\n".join(
        " ".join("".join(rng.choices(string.ascii_lowercase, k=6)) for _ in range(10))
        for _ in range(lines)
    )


def _two_versions(make_run, before, after):
    run = make_run(task_description=before)
    run.task_description = after
    run.save()
    return run, list(run.history.order_by("history_id").values_list("history_id", flat=True))


@pytest.mark.parametrize(("lines", "line_by_line"), [(600, True), (5000, False)])
def test_the_diff_of_two_long_random_descriptions_answers_within_seconds(
    editor_client, make_run, lines, line_by_line
):
    run, ids = _two_versions(make_run, _random_text(lines, 1), _random_text(lines, 2))

    started = time.monotonic()
    response = editor_client.get(reverse("tasks:run-history-diff", args=[run.pk]), {"v": ids})
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert elapsed < 5
    (change,) = response.context["changes"]
    assert change.too_long is not line_by_line
    assert bool(change.lines) is line_by_line
    page = response.content.decode()
    for history_id in ids:
        link = reverse("tasks:run-history-field", args=[run.pk, history_id, "task_description"])
        assert (link in page) is not line_by_line


def test_a_diff_of_similar_lines_stays_cheap(editor_client, make_run):
    # ndiff compares every changed line with every other, character by character.
    before = "\n".join(f"line {i} of the same kind aaaa" for i in range(1000))
    after = "\n".join(f"line {i} of the same kind aaab" for i in range(1000))
    run, ids = _two_versions(make_run, before, after)

    started = time.monotonic()
    response = editor_client.get(reverse("tasks:run-history-diff", args=[run.pk]), {"v": ids})

    assert response.status_code == 200
    assert time.monotonic() - started < 5


def test_a_short_diff_is_still_line_by_line(editor_client, make_run):
    run, ids = _two_versions(make_run, "one\ntwo\nthree", "one\n2\nthree")

    response = editor_client.get(reverse("tasks:run-history-diff", args=[run.pk]), {"v": ids})

    (change,) = response.context["changes"]
    assert change.lines == [(" ", "one"), ("-", "two"), ("+", "2"), (" ", "three")]


def test_each_version_of_a_long_text_downloads_whole(editor_client, make_run):
    before, after = _random_text(5000, 1), _random_text(5000, 2)
    run, (first, second) = _two_versions(make_run, before, after)

    response = editor_client.get(
        reverse("tasks:run-history-field", args=[run.pk, first, "task_description"])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="run-{run.pk}-version-1-task_description.txt"'
    )
    assert response.content.decode() == before


@pytest.mark.parametrize(
    ("name", "status"), [("task_title", 200), ("task_reward", 404), ("__class__", 404)]
)
def test_only_text_fields_download(editor_client, make_run, name, status):
    run = make_run()
    history_id = run.history.get().history_id

    response = editor_client.get(
        reverse("tasks:run-history-field", args=[run.pk, history_id, name])
    )

    assert response.status_code == status


def test_a_version_of_another_run_does_not_download(editor_client, make_run):
    run, other = make_run(), make_run(task_title="Other")

    response = editor_client.get(
        reverse(
            "tasks:run-history-field",
            args=[run.pk, other.history.get().history_id, "task_description"],
        )
    )

    assert response.status_code == 404


def test_downloading_a_version_needs_view_permission(client, nobody, make_run):
    run = make_run()
    url = reverse(
        "tasks:run-history-field", args=[run.pk, run.history.get().history_id, "task_title"]
    )

    assert client.get(url).status_code == 302  # to the login page
    client.force_login(nobody)
    assert client.get(url).status_code == 403


# -- Odd headers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"accept-language": "\x00;q=zz, ,,;;, en-GB;q=2, *;q=-1" + "x" * 5000},
        {"accept-language": "zz-ZZ-" + "a" * 300},
        {"cookie": "sessionid=" + "x" * 8000 + "; csrftoken=\x00; " + "a=b; " * 500},
        {"x-forwarded-for": "not an address, ::::, 999.1.1.1, \x00"},
        {"x-forwarded-host": "evil.example\x00"},
        {"x-forwarded-proto": "gopher"},
        {"user-agent": "\x00" * 10 + "🙂" * 1000},
        {"referer": "javascript:alert(1)"},
    ],
)
def test_odd_headers_never_give_a_server_error(db, editor, headers):
    client = Client()

    page = client.get(reverse("login"), headers=headers)
    login = client.post(
        reverse("login"), {"username": "editor", "password": "wrong"}, headers=headers
    )

    assert page.status_code == 200
    assert login.status_code in (200, 403)  # 403: the CSRF cookie was the hostile header


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("evil.example", 400),
        ("a b", 400),
        ("\x00", 400),
        ("x" * 300, 400),
        ("127.0.0.1:99999999", 200),  # an allowed host; the port is the proxy's business
    ],
)
def test_an_odd_host_is_a_bad_request_unless_allowed(db, host, status):
    response = Client().get(reverse("login"), headers={"host": host})

    assert response.status_code == status


def _messages(response):
    return [str(message) for message in response.context["messages"]]


@pytest.mark.parametrize("odd", ODD_IDS)
@pytest.mark.parametrize("action", ["export_json", "clone_selected", "archive_selected"])
def test_an_admin_action_on_odd_ids_changes_nothing(client, superuser, make_run, action, odd):
    run = make_run()
    client.force_login(superuser)

    response = client.post(CHANGELIST, {"action": action, "_selected_action": [odd]}, follow=True)

    assert response.status_code == 200
    assert list(TaskRun.objects.values_list("pk", "version")) == [(run.pk, 1)]


@pytest.mark.parametrize("preset", ["\x00", "x" * 5000, "__class__", "²"])
def test_an_odd_preset_starts_from_the_defaults(editor_client, preset):
    response = editor_client.get(reverse("tasks:run-create"), {"preset": preset})

    assert response.status_code == 200
