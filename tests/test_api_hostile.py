"""Hostile and careless input to the API: a clear 4xx, nothing changed, never a 5xx."""

import json

import pytest

from tasks.models import TaskRun
from tests.api import *  # noqa: F403  (the fixtures)

GOOD = {
    "task_title": "T",
    "task_description": "D",
    "task_reward": 0.5,
    "task_tags": "t",
}


def state():
    return list(TaskRun.objects.order_by("pk").values()), TaskRun.history.count()


@pytest.fixture
def run(make_run):
    return make_run()


@pytest.mark.parametrize(
    "body",
    [
        "{",
        "not json",
        '{"task_title": NaN}',
        '{"task_reward": Infinity}',
        "[" * 50_000 + "]" * 50_000,
        '{"task_title": "' + "\\ud800" + '"}',
        '{"task_title": "a\\u0000b"}',
        '{"provider": "\\ud800"}',
        '{"task_lifetime_in_seconds": "\\udfff"}',
        '{"\\ud800": 1}',
        '{"aux_parameters": {"\\ud800": "\\u0000"}}',
        '{"task_lifetime_in_seconds": 1' + "0" * 5000 + "}",
        '{"task_lifetime_in_seconds": 1' + "0" * 30 + "}",
        '{"task_reward": 0.30000000000000004}',
        '{"task_reward": "1_000"}',
        '{"task_reward": true}',
        '{"aux_parameters": []}',
        '{"aux_parameters": {"a": ' + "[" * 5000 + "]" * 5000 + "}}",
        '{"defaults": {"a": 1}}',
        '{"acknowledge": "reward_above_confirm_threshold"}',
        '{"acknowledge": [1]}',
        '{"version": "1"}',
        '{"version": true}',
        '{"version": 1' + "0" * 30 + "}",
        '{"task_title": "x", "task_title": "y", "version": 0}',
        "[]",
        '"a string"',
        "3",
        "null",
    ],
)
@pytest.mark.parametrize("write", ["create", "update", "clone"])
def test_a_malformed_body_is_a_4xx_and_changes_nothing(editor_api, run, body, write):
    url, method = {
        "create": ("/api/runs/", "post"),
        "update": (f"/api/runs/{run.pk}", "patch"),
        "clone": (f"/api/runs/{run.pk}/clone", "post"),
    }[write]
    if write == "update" and body.startswith("{") and '"version"' not in body:
        body = body[:-1] + ', "version": 1}' if body.endswith("}") else body
    before = state()
    response = getattr(editor_api, method)(url, body, content_type="application/json")
    assert 400 <= response.status_code < 500, response.content[:300]
    assert "detail" in response.json() or "errors" in response.json()
    assert state() == before


@pytest.mark.parametrize("write", ["create", "update"])
def test_no_body_at_all_is_a_4xx_and_changes_nothing(editor_api, run, write):
    # (No body at all clones a run unchanged: see test_api_runs.py.)
    before = state()
    if write == "create":
        response = editor_api.post("/api/runs/", "", content_type="application/json")
    else:
        response = editor_api.patch(f"/api/runs/{run.pk}", "", content_type="application/json")
    assert response.status_code in (400, 428)
    assert state() == before


def test_a_body_of_another_media_type_is_415(editor_api, run):
    before = state()
    response = editor_api.post("/api/runs/", "task_title=x", content_type="text/plain")
    assert response.status_code == 415
    assert state() == before


def test_a_huge_body_is_refused_before_it_is_read(editor_api, run):
    before = state()
    body = json.dumps({**GOOD, "task_description": "x" * 3_000_000})
    response = editor_api.post("/api/runs/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert state() == before


def test_text_longer_than_the_field_is_refused_per_field(editor_api):
    response = editor_api.post("/api/runs/", {**GOOD, "task_title": "x" * 300}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["task_title"] == [
        "Ensure this value has at most 255 characters (it has 300)."
    ]


@pytest.mark.parametrize(
    "query",
    [
        "q=%00",
        "page=%D9%A1",
        "page=1e3",
        "page=" + "9" * 30,
        "page_size=0",
        "page_size=-5",
        "sort=%00",
        "status=ALL",
        "provider=" + "x" * 5000,
        "q=" + "a%20" * 300,
        "&".join(["id=1"] * 1001),
    ],
)
def test_an_odd_query_string_is_a_400(editor_api, run, query):
    response = editor_api.get(f"/api/runs/?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"


@pytest.mark.parametrize(
    "query",
    ["q=%00", "format=exe", "target=%00", "id=abc&format=json", "status=nope"],
)
def test_an_odd_export_query_is_a_400_or_ignored_ids(editor_api, run, query):
    response = editor_api.get(f"/api/runs/export?{query}")
    if query.startswith("id=abc"):
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"[]\n"
    else:
        assert response.status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "/api/runs/99999999999999999999999",
        "/api/runs/99999999999999999999999/config.yaml",
        "/api/runs/0",
    ],
)
def test_an_id_no_run_has_is_404(editor_api, url):
    assert editor_api.get(url).status_code == 404


@pytest.mark.parametrize(
    "header", ['"v0"', "v1", '"1"', "W/", '"v' + "9" * 50 + '"', '"v9999999999"', "*"]
)
def test_an_if_match_header_it_cannot_read_is_a_400(editor_api, run, header):
    before = state()
    response = editor_api.patch(
        f"/api/runs/{run.pk}", {"task_title": "X"}, format="json", HTTP_IF_MATCH=header
    )
    assert response.status_code == 400
    assert state() == before


def test_a_launch_id_too_long_or_unstorable_is_refused(editor_api, run):
    for value in ["x" * 65, "a\x00b"]:
        response = editor_api.post(
            f"/api/runs/{run.pk}/launch", {"mephisto_task_run_id": value}, format="json"
        )
        assert response.status_code == 400
        assert "mephisto_task_run_id" in response.json()["errors"]
    assert TaskRun.objects.get().status == "draft"
