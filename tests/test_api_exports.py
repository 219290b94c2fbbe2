"""Exports through the API (one run in every format and target, many streamed), a
run's history and the diff of two versions, the JSON Schema, and the stable
/runs/<pk>/export.json download."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from tasks import exporting, schema, services
from tests.api import *  # noqa: F403  (the fixtures)


@pytest.mark.parametrize("ext, fmt", [("json", "json"), ("yaml", "yaml"), ("txt", "overrides")])
@pytest.mark.parametrize("target", exporting.TARGETS)
def test_one_run_exports_exactly_as_the_exporter_writes(editor_api, make_run, ext, fmt, target):
    run = make_run(task_name="labels")
    response = editor_api.get(f"/api/runs/{run.pk}/config.{ext}?target={target}")
    assert response.status_code == 200
    filename, content_type, content = exporting.export_run(run, fmt, target)
    assert response.content.decode() == content
    assert response["Content-Type"] == f"{content_type}; charset=utf-8"
    assert filename in response["Content-Disposition"]


def test_the_export_ignores_what_accept_asks_for(editor_api, make_run):
    run = make_run()
    response = editor_api.get(f"/api/runs/{run.pk}/config.yaml", HTTP_ACCEPT="application/yaml")
    assert response.status_code == 200


def test_an_export_the_target_cannot_hold_is_refused_with_the_exporters_message(
    editor_api, make_run
):
    run = make_run(aux_parameters={"seed": 3})
    response = editor_api.get(f"/api/runs/{run.pk}/config.yaml?target=1.5")
    assert response.status_code == 400
    with pytest.raises(exporting.ExportError) as error:
        exporting.export_run(run, "yaml", "1.5")
    assert response.json() == {"code": "invalid", "detail": str(error.value)}


def test_an_unknown_extension_or_target_is_refused(editor_api, make_run):
    run = make_run()
    assert editor_api.get(f"/api/runs/{run.pk}/config.exe").status_code == 404
    response = editor_api.get(f"/api/runs/{run.pk}/config.yaml?target=2.0")
    assert response.status_code == 400
    assert response.json()["detail"] == "target must be one of latest, 1.5, 1.1; not '2.0'."


def test_many_runs_export_as_one_streamed_json_array_in_list_order(editor_api, make_run):
    first = make_run(task_title="First bird")
    second = make_run(task_title="Second bird")
    make_run(task_title="A fish")
    response = editor_api.get("/api/runs/export?q=bird&sort=title")
    assert response.status_code == 200
    assert response.streaming
    content = b"".join(response.streaming_content).decode()
    assert content == exporting.export_runs([first, second], "json")[2]


def test_many_runs_by_id_as_a_zip_of_yaml_files(editor_api, make_run):
    runs = [make_run(task_name=f"run-{n}") for n in range(3)]
    response = editor_api.get(
        f"/api/runs/export?format=yaml&target=1.5&id={runs[0].pk}&id={runs[2].pk}&sort=created"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
    assert names == ["run-0.yaml", "run-2.yaml"]


def test_the_config_schema_is_the_models(editor_api):
    response = editor_api.get("/api/config-schema.json")
    assert response.status_code == 200
    assert response.json() == json.loads(json.dumps(schema.config_schema()))


# -- History -------------------------------------------------------------------------


def test_history_lists_versions_newest_first_with_who_how_and_what(editor_api, editor, make_run):
    run = make_run()
    run.task_title = "Second title"
    services.run_save(run, by=editor, via="browser")
    versions = editor_api.get(f"/api/runs/{run.pk}/history").json()
    assert [(v["version"], v["type"], v["user"], v["via"], v["changed"]) for v in versions] == [
        (2, "changed", "editor", "browser", ["task_title"]),
        (1, "created", None, None, []),
    ]


def test_the_diff_of_two_versions_names_each_changed_field(editor_api, editor, make_run):
    run = make_run(task_description="one\ntwo")
    run.task_description = "one\nthree"
    run.task_title = "New title"
    services.run_save(run, by=editor, via="browser")
    body = editor_api.get(f"/api/runs/{run.pk}/history/diff?from=1&to=2").json()
    assert [change["field"] for change in body["changes"]] == ["task_title", "task_description"]
    description = body["changes"][1]
    assert (description["before"], description["after"]) == ("one\ntwo", "one\nthree")
    assert description["lines"] == [[" ", "one"], ["-", "two"], ["+", "three"]]


@pytest.mark.parametrize(
    "query, status",
    [("", 400), ("?from=1", 400), ("?from=1&to=9", 404), ("?from=x&to=1", 400)],
)
def test_a_diff_needs_two_versions_the_run_has(editor_api, make_run, query, status):
    run = make_run()
    assert editor_api.get(f"/api/runs/{run.pk}/history/diff{query}").status_code == status


# -- The browser's side --------------------------------------------------------------


def test_the_stable_export_url_downloads_the_runs_json(editor_client, make_run):
    run = make_run()
    response = editor_client.get(f"/runs/{run.pk}/export.json")
    assert response.status_code == 200
    assert response.content.decode() == exporting.export_run(run, "json")[2]
    assert response["Content-Disposition"].startswith("attachment;")


def test_the_stable_export_url_needs_a_login(client, make_run):
    run = make_run()
    assert client.get(f"/runs/{run.pk}/export.json").status_code == 302


def test_the_run_page_shows_its_api_url(editor_client, make_run):
    run = make_run()
    page = editor_client.get(reverse("tasks:run-detail", args=[run.pk])).content.decode()
    assert f'<code id="api-url">http://testserver/api/runs/{run.pk}</code>' in page
