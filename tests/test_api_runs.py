"""The runs API: list, read, create, update, delete, clone, launch and archive.

Writes are checked by the run form and saved by tasks.services, so the API
refuses what the form refuses, with the same messages, per field.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from tasks import services
from tasks.models import TaskRun
from tests.api import *  # noqa: F403  (the fixtures)

NEW = {
    "task_title": "Rate the sentences",
    "task_description": "Read each sentence and rate how natural it sounds.",
    "task_reward": 0.5,
    "task_tags": "text, rating",
}


def detail(run):
    return reverse("api:run-detail", args=[run.pk])


# -- List ----------------------------------------------------------------------------


def test_the_list_pages_through_the_runs_newest_first(editor_api, make_run):
    runs = [make_run(task_title=f"Run {n}") for n in range(3)]
    response = editor_api.get("/api/runs/?page_size=2")
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["count_capped"], body["page"], body["pages"]) == (3, False, 1, 2)
    assert [run["id"] for run in body["results"]] == [runs[2].pk, runs[1].pk]
    assert body["previous"] is None
    assert body["next"] == "http://testserver/api/runs/?page_size=2&page=2"
    second = editor_api.get(body["next"]).json()
    assert [run["id"] for run in second["results"]] == [runs[0].pk]
    assert second["next"] is None


def test_the_list_searches_as_the_list_page_does(editor_api, make_run):
    make_run(task_title="Label birds", task_tags="images")
    make_run(task_title="Rate sentences", task_tags="text")
    body = editor_api.get("/api/runs/?q=BIRD").json()
    assert [run["task_title"] for run in body["results"]] == ["Label birds"]


def test_the_list_filters_by_status_and_provider_and_sorts(editor_api, editor, make_run):
    b = make_run(task_title="B", provider="mturk_sandbox")
    a = make_run(task_title="A", provider="mturk_sandbox")
    make_run(task_title="C", provider="mock")
    archived = make_run(task_title="D", provider="mturk_sandbox")
    services.run_archive(archived, by=editor)
    titles = [
        run["task_title"]
        for run in editor_api.get("/api/runs/?provider=mturk_sandbox&sort=title").json()["results"]
    ]
    assert titles == [a.task_title, b.task_title]
    archived_only = editor_api.get("/api/runs/?status=archived").json()["results"]
    assert [run["id"] for run in archived_only] == [archived.pk]


@pytest.mark.parametrize(
    "query, message",
    [
        (
            "status=gone",
            "status must be one of current, draft, launched, archived, all; not 'gone'.",
        ),
        (
            "provider=aws",
            "provider must be one of mock, inhouse, mturk, mturk_sandbox, prolific; not 'aws'.",
        ),
        (
            "sort=password",
            "sort must be one of title, -title, name, -name, reward, -reward, created,"
            " -created, updated, -updated; not 'password'.",
        ),
        ("page=0", "page must be a whole number from 1 to 9,223,372,036,854,775,807."),
        ("page=abc", "page must be a whole number from 1 to 9,223,372,036,854,775,807."),
        ("page_size=101", "page_size must be a whole number from 1 to 100."),
        ("q=" + "x" * 201, "Search text can be at most 200 characters; this has 201."),
    ],
)  # fmt: skip
def test_a_list_query_it_cannot_read_is_refused_with_a_message(editor_api, query, message):
    response = editor_api.get(f"/api/runs/?{query}")
    assert response.status_code == 400
    assert response.json() == {"code": "invalid", "detail": message}


def test_a_page_past_the_last_is_not_found(editor_api, make_run):
    make_run()
    response = editor_api.get("/api/runs/?page=3")
    assert response.status_code == 404
    assert response.json()["detail"] == "No page 3: there are 1."


# -- One run -------------------------------------------------------------------------


def test_one_run_comes_with_its_config_bookkeeping_and_etag(editor_api, make_run):
    run = make_run(task_reward=Decimal("1.25"), aux_parameters={"seed": 3})
    response = editor_api.get(detail(run))
    assert response.status_code == 200
    assert response["ETag"] == '"v1"'
    body = response.json()
    assert body["url"] == f"http://testserver/api/runs/{run.pk}"
    assert body["page_url"] == f"http://testserver/runs/{run.pk}/"
    assert body["task_reward"] == 1.25
    assert body["aux_parameters"] == {"seed": 3}
    assert (body["status"], body["version"]) == ("draft", 1)
    assert set(TaskRun.EDITABLE_FIELDS) <= set(body)


def test_a_run_that_does_not_exist_is_404(editor_api):
    assert editor_api.get("/api/runs/999").status_code == 404
    assert editor_api.get(f"/api/runs/{2**64}").status_code == 404


# -- Create --------------------------------------------------------------------------


def test_create_saves_through_the_service_and_records_the_token(editor_api, editor):
    response = editor_api.post("/api/runs/", NEW, format="json")
    assert response.status_code == 201
    run = TaskRun.objects.get(pk=response.json()["id"])
    assert response["Location"] == f"/api/runs/{run.pk}"
    assert (run.task_title, run.task_reward, run.created_by) == (
        NEW["task_title"],
        Decimal("0.50"),
        editor,
    )
    # Fields left out take the model's defaults.
    assert run.assignment_duration_in_seconds == 1800
    record = run.history.get()
    assert record.history_change_reason.startswith("api (token ")


def test_create_refuses_per_field_with_the_forms_messages(editor_api):
    response = editor_api.post(
        "/api/runs/",
        {**NEW, "task_reward": 0.005, "task_title": "", "allowed_concurrent": -1},
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["errors"] == {
        "task_title": ["This field is required."],
        "task_reward": ["Use at most 2 decimal places: providers pay in whole cents."],
        "allowed_concurrent": ["Use 0 for no limit: a negative limit would block every worker."],
    }
    assert not TaskRun.objects.exists()


def test_create_refuses_a_value_of_the_wrong_type_and_an_unknown_field(editor_api):
    response = editor_api.post(
        "/api/runs/",
        {**NEW, "task_title": 5, "force_rebuild": "yes", "status": "launched", "colour": "red"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "task_title": ["Must be text, not 5."],
        "force_rebuild": ['Must be true or false, not "yes".'],
        "status": ["Unknown field. It is read-only."],
        "colour": ["Unknown field."],
    }
    assert not TaskRun.objects.exists()


def test_create_with_an_unread_warning_is_refused_with_its_code_and_message(editor_api):
    response = editor_api.post("/api/runs/", {**NEW, "task_reward": 70}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "unread_warnings",
        "detail": 'Not saved: read these warnings, then send their codes as "acknowledge"'
        " to save anyway.",
        "warnings": [
            {
                "code": "reward_above_confirm_threshold",
                "field": "task_reward",
                "message": "$70.00 per unit is more than $50.00: make sure it is not a typo"
                " before workers are paid it.",
            }
        ],
    }
    assert not TaskRun.objects.exists()


def test_acknowledged_warnings_save_and_are_recorded_in_history(editor_api):
    response = editor_api.post(
        "/api/runs/",
        {**NEW, "task_reward": 70, "acknowledge": ["reward_above_confirm_threshold"]},
        format="json",
    )
    assert response.status_code == 201
    run = TaskRun.objects.get()
    assert run.acknowledged_warnings == ["reward_above_confirm_threshold"]
    assert run.history.get().acknowledged_warnings == ["reward_above_confirm_threshold"]
    assert response.json()["acknowledged_warnings"] == ["reward_above_confirm_threshold"]


# -- Update --------------------------------------------------------------------------


def test_update_with_the_version_changes_only_the_fields_given(editor_api, make_run):
    run = make_run(task_tags="a, b")
    response = editor_api.patch(detail(run), {"task_title": "Renamed", "version": 1}, format="json")
    assert response.status_code == 200
    assert response["ETag"] == '"v2"'
    run.refresh_from_db()
    assert (run.task_title, run.task_tags, run.version) == ("Renamed", "a, b", 2)


def test_update_with_if_match_from_the_etag(editor_api, make_run):
    run = make_run()
    etag = editor_api.get(detail(run))["ETag"]
    response = editor_api.patch(
        detail(run), {"task_title": "Renamed"}, format="json", HTTP_IF_MATCH=etag
    )
    assert response.status_code == 200
    assert TaskRun.objects.get().task_title == "Renamed"


def test_update_without_a_version_is_refused(editor_api, make_run):
    run = make_run()
    response = editor_api.patch(detail(run), {"task_title": "Renamed"}, format="json")
    assert response.status_code == 428
    assert response.json()["code"] == "version_required"
    bad = editor_api.patch(detail(run), {"task_title": "R"}, format="json", HTTP_IF_MATCH="*")
    assert bad.status_code == 400
    assert TaskRun.objects.get().task_title == run.task_title


def test_update_of_an_older_version_is_a_conflict_naming_what_changed(editor_api, editor, make_run):
    run = make_run()
    other = TaskRun.objects.get(pk=run.pk)
    other.task_description = "Someone else's description."
    services.run_save(other, by=editor, via="browser")
    response = editor_api.patch(detail(run), {"task_title": "Mine", "version": 1}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "conflict"
    assert body["current_version"] == 2
    assert body["changed_by_others"] == ["task_description"]
    assert body["changed_by_you"] == ["task_title"]
    assert "Fields changed meanwhile: task_description." in body["detail"]
    assert TaskRun.objects.get().task_title == run.task_title


def test_update_refuses_per_field_and_changes_nothing(editor_api, make_run):
    run = make_run()
    response = editor_api.patch(
        detail(run), {"task_lifetime_in_seconds": 0, "version": 1}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["task_lifetime_in_seconds"]
    assert TaskRun.objects.get().version == 1


def test_update_of_a_launched_run_is_refused(editor_api, editor, make_run):
    run = make_run()
    services.run_launch(run, by=editor)
    response = editor_api.patch(detail(run), {"task_title": "X", "version": 2}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "code": "read_only",
        "detail": "This run was launched, so its config is read-only: clone it to change it.",
    }


def test_update_warns_and_records_the_acknowledgement(editor_api, make_run):
    run = make_run()
    refused = editor_api.patch(detail(run), {"task_reward": 80, "version": 1}, format="json")
    assert refused.status_code == 400
    assert [w["code"] for w in refused.json()["warnings"]] == ["reward_above_confirm_threshold"]
    saved = editor_api.patch(
        detail(run),
        {"task_reward": 80, "version": 1, "acknowledge": ["reward_above_confirm_threshold"]},
        format="json",
    )
    assert saved.status_code == 200
    latest = run.history.order_by("-history_id").first()
    assert latest.acknowledged_warnings == ["reward_above_confirm_threshold"]


# -- Delete, clone, launch, archive -------------------------------------------------


def test_delete_removes_a_draft_and_keeps_its_history(editor_api, make_run):
    run = make_run()
    assert editor_api.delete(detail(run)).status_code == 204
    assert not TaskRun.objects.exists()
    assert TaskRun.history.filter(id=run.pk, history_type="-").exists()


def test_a_launched_run_cannot_be_deleted(editor_api, editor, make_run):
    run = make_run()
    services.run_launch(run, by=editor)
    response = editor_api.delete(detail(run))
    assert response.status_code == 400
    assert response.json()["detail"].startswith("A launched run cannot be deleted")
    assert TaskRun.objects.filter(pk=run.pk).exists()


def test_clone_makes_a_draft_recorded_as_cloned_with_changes_given(editor_api, make_run):
    run = make_run(task_name="pilot")
    response = editor_api.post(
        reverse("api:run-clone", args=[run.pk]),
        {"task_name": "pilot-2", "task_title": "Second pilot"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    clone = TaskRun.objects.get(pk=response.json()["id"])
    assert (clone.cloned_from, clone.task_name, clone.task_title) == (
        run,
        "pilot-2",
        "Second pilot",
    )


def test_clone_unchanged_asks_about_the_shared_task_name(editor_api, make_run):
    run = make_run(task_name="pilot")
    url = reverse("api:run-clone", args=[run.pk])
    refused = editor_api.post(url, format="json")
    assert refused.status_code == 400
    assert [w["code"] for w in refused.json()["warnings"]] == ["task_name_shared"]
    saved = editor_api.post(url, {"acknowledge": ["task_name_shared"]}, format="json")
    assert saved.status_code == 201


def test_launch_records_mephistos_run_id_and_locks_the_config(editor_api, make_run):
    run = make_run()
    response = editor_api.post(
        reverse("api:run-launch", args=[run.pk]), {"mephisto_task_run_id": "17"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["mephisto_task_run_id"]) == (
        "launched",
        "17",
    )
    run.refresh_from_db()
    assert run.was_launched and run.launched_at is not None
    again = editor_api.post(reverse("api:run-launch", args=[run.pk]), format="json")
    assert again.status_code == 400
    assert again.json()["detail"] == "Only a draft can be marked as launched."


def test_launch_asks_about_a_warning_that_arose_since_the_save(editor_api, editor, make_run):
    run = make_run(task_name="shared")
    services.run_save(
        TaskRun(**{**NEW, "task_reward": Decimal("0.5"), "task_name": "shared"}),
        by=editor,
        via="test",
        acknowledged=["task_name_shared"],
    )
    url = reverse("api:run-launch", args=[run.pk])
    refused = editor_api.post(url, {"mephisto_task_run_id": "9"}, format="json")
    assert refused.status_code == 400
    assert [w["code"] for w in refused.json()["warnings"]] == ["task_name_shared"]
    assert TaskRun.objects.get(pk=run.pk).status == "draft"
    done = editor_api.post(
        url, {"mephisto_task_run_id": "9", "acknowledge": ["task_name_shared"]}, format="json"
    )
    assert done.status_code == 200


def test_launch_refuses_an_unknown_field_or_a_non_text_id(editor_api, make_run):
    run = make_run()
    url = reverse("api:run-launch", args=[run.pk])
    assert editor_api.post(url, {"mephisto_task_run_id": 9}, format="json").status_code == 400
    assert editor_api.post(url, {"task_run": "9"}, format="json").status_code == 400
    assert TaskRun.objects.get().status == "draft"


def test_archive_and_unarchive(editor_api, make_run):
    run = make_run()
    archived = editor_api.post(reverse("api:run-archive", args=[run.pk]))
    assert (archived.status_code, archived.json()["status"]) == (200, "archived")
    twice = editor_api.post(reverse("api:run-archive", args=[run.pk]))
    assert (twice.status_code, twice.json()["detail"]) == (400, "This run is archived already.")
    back = editor_api.post(reverse("api:run-unarchive", args=[run.pk]))
    assert (back.status_code, back.json()["status"]) == (200, "draft")


def test_an_acknowledged_code_that_names_no_warning_is_refused(editor_api):
    response = editor_api.post("/api/runs/", {**NEW, "acknowledge": ["bogus"]}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "acknowledge": ["Select a valid choice. bogus is not one of the available choices."]
    }
    assert not TaskRun.objects.exists()


def test_a_runs_history_comes_a_page_at_a_time_with_a_link_to_the_older_versions(
    editor_api, make_run, editor
):
    from tasks import history, services

    run = make_run()
    for n in range(history.PAGE_SIZE + 3):
        run.task_title = f"Title {n}"
        run = services.run_save(
            run, by=editor, via="test", acknowledged=[w.code for w in services.warnings_for(run)]
        )
    url = f"/api/runs/{run.pk}/history"
    first = editor_api.get(url)
    assert first.status_code == 200
    assert len(first.json()) == history.PAGE_SIZE
    assert first.json()[0]["version"] == run.version
    assert first.json()[0]["changed"] == ["task_title"]
    older = first["Link"].split(">")[0].lstrip("<")
    second = editor_api.get(older)
    assert [v["version"] for v in second.json()] == list(range(4, 0, -1))
    assert "Link" not in second
    assert editor_api.get(url, {"before": "x"}).status_code == 400
