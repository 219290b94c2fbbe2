"""No XSS: hostile text in every text field and in aux_parameters comes out escaped
on every page, in the admin, in messages and in the JSON export."""

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from tasks.models import TaskRun
from tests.conftest import form_data

SCRIPT = '<script>alert("xss")</script>'
IMG = '"><img src=x onerror=alert(1)>'
SVG = "'><svg onload=alert(2)>"
TEXTAREA = "</textarea><script>alert(3)</script>"
TEMPLATE = "{{ request.user.password }}{% debug %}"
PAYLOADS = (SCRIPT, IMG, SVG, TEXTAREA, TEMPLATE)

# What must never reach a page unescaped: the start of each injected element.
MARKUP = ("<script>alert", "<img src=x", "<svg onload", "</textarea><script")


def hostile_config():
    """Every text field and aux_parameters' keys and values full of payloads."""
    return {
        "task_title": SCRIPT + IMG,
        "task_description": "\n".join(PAYLOADS),
        "task_tags": ", ".join(PAYLOADS),
        # Both are refused by their validators; stored anyway (an old import, the
        # shell), they must still come out escaped.
        "task_name": IMG,
        "post_install_script": SVG + ".sh",
        "task_reward": Decimal("0.50"),
        "aux_parameters": {
            SCRIPT: IMG,
            IMG: [SVG, {TEXTAREA: SCRIPT}],
            "template": TEMPLATE,
        },
    }


def _store(run, *, by, via):
    # Straight to the database, past the rules (the task name holds markup no
    # rule allows): whatever is stored, every page must escape it.
    run._history_user, run._change_reason = by, via
    run.save()
    return run


@pytest.fixture
def hostile_run(db, editor):
    run = _store(TaskRun(**hostile_config()), by=editor, via=IMG)
    # A second version, so history pages have a change to show.
    run.task_description = SCRIPT + " (second version)"
    run.aux_parameters = {**run.aux_parameters, TEXTAREA: IMG}
    _store(run, by=editor, via=SCRIPT)
    # A clone shows its origin's title in the list, the detail page and the admin.
    clone = _store(run.clone(by=editor), by=editor, via=f"clone of #{run.pk}")
    return run, clone


def assert_escaped(content, *, shown=(SCRIPT,)):
    """No payload's markup in the page, and the payloads in `shown` visibly there, escaped."""
    text = content.decode()
    for markup in MARKUP:
        assert markup not in text
    assert "{% debug %}" not in text or escape("{% debug %}") in text
    for payload in shown:
        assert escape(payload) in text


def page_urls(run, clone):
    return {
        "list": reverse("tasks:run-list"),
        "detail": reverse("tasks:run-detail", args=[run.pk]),
        "clone detail": reverse("tasks:run-detail", args=[clone.pk]),
        "edit form": reverse("tasks:run-edit", args=[run.pk]),
        "clone form": reverse("tasks:run-clone", args=[run.pk]),
        "delete confirmation": reverse("tasks:run-delete", args=[run.pk]),
        "admin changelist": reverse("admin:tasks_taskrun_changelist"),
        "admin change form": reverse("admin:tasks_taskrun_change", args=[run.pk]),
        "admin clone change form": reverse("admin:tasks_taskrun_change", args=[clone.pk]),
        "admin delete": reverse("admin:tasks_taskrun_delete", args=[run.pk]),
        "admin history": reverse("admin:tasks_taskrun_history", args=[run.pk]),
        "history": reverse("tasks:run-history", args=[run.pk]),
        "history diff": reverse("tasks:run-history-diff", args=[run.pk])
        + "?"
        + "&".join(f"v={record.history_id}" for record in run.history.all()),
        "compare": reverse("tasks:runs-compare") + f"?pk={run.pk}&pk={clone.pk}",
    }


@pytest.mark.parametrize(
    "page_name",
    [
        "list",
        "detail",
        "clone detail",
        "edit form",
        "clone form",
        "delete confirmation",
        "admin changelist",
        "admin change form",
        "admin clone change form",
        "admin delete",
        "admin history",
        "history",
        "history diff",
        "compare",
    ],
)
def test_pages_escape_hostile_titles(hostile_run, editor_client, page_name):
    response = editor_client.get(page_urls(*hostile_run)[page_name])

    assert response.status_code == 200
    assert_escaped(response.content)


@pytest.mark.parametrize(
    "page_name", ["detail", "edit form", "clone form", "admin change form", "compare"]
)
def test_pages_showing_every_field_escape_every_payload(hostile_run, editor_client, page_name):
    response = editor_client.get(page_urls(*hostile_run)[page_name])

    assert_escaped(response.content, shown=(SCRIPT, IMG, SVG, TEXTAREA))


def test_the_detail_page_escapes_aux_parameters_keys_values_task_name_and_script(
    hostile_run, editor_client
):
    run, _ = hostile_run
    text = editor_client.get(reverse("tasks:run-detail", args=[run.pk])).content.decode()

    # The pretty JSON is shown in <pre>: keys and values escaped, JSON quotes included.
    assert escape(json.dumps(SCRIPT)) + ": " + escape(json.dumps(IMG)) in text
    assert escape(json.dumps(TEXTAREA)) in text
    assert f"<code>{escape(IMG)}</code>" in text  # task_name
    assert escape(SVG + ".sh") in text


def test_the_history_diff_escapes_the_changed_description_and_aux_parameters(
    hostile_run, editor_client
):
    run, clone = hostile_run
    response = editor_client.get(page_urls(run, clone)["history diff"])

    assert response.status_code == 200
    assert_escaped(response.content, shown=(SCRIPT + " (second version)",))
    assert escape(json.dumps(TEXTAREA)[1:-1]) in response.content.decode()


def test_the_form_textarea_holds_aux_parameters_without_closing_early(hostile_run, editor_client):
    run, _ = hostile_run
    response = editor_client.get(reverse("tasks:run-edit", args=[run.pk]))
    text = response.content.decode()

    assert text.count("</textarea>") == text.count("<textarea")
    assert escape(json.dumps(TEXTAREA)) in text


def test_the_list_and_admin_searches_escape_the_query_they_show_back(hostile_run, editor_client):
    for url in (reverse("tasks:run-list"), reverse("admin:tasks_taskrun_changelist")):
        for query in (IMG, SCRIPT + " nothing-matches"):
            response = editor_client.get(url, {"q": query})
            assert response.status_code == 200
            assert_escaped(response.content, shown=(query,))


def test_a_refused_form_shows_the_posted_payloads_escaped(editor_client, db):
    data = form_data(
        task_title=SCRIPT,
        task_description=TEXTAREA,
        task_tags=IMG,
        task_name=SVG,
        post_install_script="/" + IMG,
        task_reward="0.005",
        assignment_duration_in_seconds=SCRIPT,
        aux_parameters='{"' + IMG.replace('"', '\\"') + '": ' + json.dumps(SCRIPT),
    )

    response = editor_client.post(reverse("tasks:run-create"), data)

    assert response.status_code == 200
    assert TaskRun.objects.count() == 0
    assert_escaped(response.content, shown=(SCRIPT, TEXTAREA, IMG, SVG))


def test_the_admin_add_form_shows_refused_payloads_escaped(editor_client, db):
    data = form_data(task_title=SCRIPT, task_description=TEXTAREA, task_reward="-1")

    response = editor_client.post(reverse("admin:tasks_taskrun_add"), data)

    assert response.status_code == 200
    assert_escaped(response.content, shown=(SCRIPT, TEXTAREA))


def test_saved_payloads_are_escaped_in_the_success_message(editor_client, db):
    data = form_data(task_title=SCRIPT + IMG, task_description=TEXTAREA, task_tags=SVG)
    data["aux_parameters"] = json.dumps({SCRIPT: IMG})

    response = editor_client.post(reverse("tasks:run-create"), data, follow=True)

    assert response.status_code == 200
    assert TaskRun.objects.get().task_title == SCRIPT + IMG
    assert_escaped(response.content, shown=(SCRIPT + IMG, TEXTAREA, SVG))


def test_admin_messages_escape_the_title_they_name(hostile_run, editor_client):
    run, _ = hostile_run
    data = form_data(run, task_title=IMG + "edited", task_name="")

    response = editor_client.post(
        reverse("admin:tasks_taskrun_change", args=[run.pk]), data, follow=True
    )

    assert response.status_code == 200
    assert_escaped(response.content, shown=(IMG + "edited",))


@pytest.mark.parametrize("many", [False, True], ids=["one run", "several runs"])
def test_the_json_export_is_inert_and_gives_back_the_exact_text(hostile_run, viewer_client, many):
    run, _ = hostile_run
    if many:
        response = viewer_client.get(reverse("tasks:runs-export"), {"scope": "all"})
        body = response.getvalue()  # streamed: read once
        document = json.loads(body)[-1]
    else:
        response = viewer_client.get(reverse("tasks:run-export", args=[run.pk]))
        body = response.content
        document = json.loads(body)

    # Never HTML: a JSON type the browser may not second-guess, saved as a file.
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment; ")
    # Quotes are escaped the JSON way, so no payload breaks out of its string...
    assert json.dumps(SCRIPT + IMG, ensure_ascii=False) in body.decode()
    # ...and every value comes back exactly as stored.
    task = document["mephisto"]["task"]
    run.refresh_from_db()
    for name in ("task_title", "task_description", "task_name", "post_install_script"):
        assert task[name] == getattr(run, name)
    assert task["task_title"] == SCRIPT + IMG
    assert task["task_tags"] == ", ".join(PAYLOADS)
    assert task["aux_parameters"] == {**hostile_config()["aux_parameters"], TEXTAREA: IMG}


def test_the_admin_export_action_is_inert_too(hostile_run, viewer_client):
    run, _ = hostile_run

    response = viewer_client.post(
        reverse("admin:tasks_taskrun_changelist"),
        {"action": "export_json", "_selected_action": [run.pk]},
    )

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; ")
    assert json.loads(response.getvalue())[0]["mephisto"]["task"]["task_title"] == SCRIPT + IMG
