"""Downloads: a harmless file name, the right content type, saved rather than shown."""

import json

import pytest
from django.urls import reverse

from tasks.downloads import attachment, safe_filename


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("taskrun-1-image-labels.json", "taskrun-1-image-labels.json"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\win.ini", "win.ini"),
        ('a"b;c.json', "a-b-c.json"),
        ("line\r\nSet-Cookie: x=1.json", "line-Set-Cookie-x-1.json"),
        ("\x00\x1fnul.json", "nul.json"),
        (".bashrc", "bashrc"),
        ("...", "download"),
        ("", "download"),
        ("run with spaces.json", "run-with-spaces.json"),
        ("Étiquettes-图像.json", "Étiquettes-图像.json"),
    ],
)
def test_safe_filename_keeps_one_plain_name(given, expected):
    assert safe_filename(given) == expected


def test_safe_filename_shortens_a_long_name_but_keeps_its_extension():
    name = safe_filename("x" * 300 + ".json")

    assert len(name) == 150
    assert name.endswith("xx.json")


def test_attachment_sets_type_disposition_and_no_caching():
    response = attachment('../a"b.json', "application/json", "{}")

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="a-b.json"'
    assert response["Cache-Control"] == "private, no-store"
    assert response.content == b"{}"


def test_a_non_ascii_name_is_sent_the_rfc_5987_way():
    response = attachment("Étiquettes.json", "application/json", "{}")

    assert response["Content-Disposition"] == ("attachment; filename*=utf-8''%C3%89tiquettes.json")


def test_a_run_export_is_a_json_attachment_named_after_the_run(make_run, viewer_client):
    run = make_run(task_name="image-labels", task_title='../../"; evil.sh')

    response = viewer_client.get(reverse("tasks:run-export", args=[run.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="taskrun-{run.pk}-image-labels.json"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert json.loads(response.content)["mephisto"]["task"]["task_title"] == '../../"; evil.sh'


def test_a_run_named_only_by_a_hostile_title_gets_a_safe_name(make_run, viewer_client):
    run = make_run(task_title='"><img src=x onerror=alert(1)>/../../x')

    response = viewer_client.get(reverse("tasks:run-export", args=[run.pk]))

    assert response["Content-Disposition"] == (
        f'attachment; filename="taskrun-{run.pk}-img-srcx-onerroralert1x.json"'
    )


def test_an_export_of_several_runs_is_a_json_attachment_too(make_run, viewer_client):
    make_run()

    response = viewer_client.get(reverse("tasks:runs-export"), {"scope": "all"})

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="taskruns-')
    assert response["Content-Disposition"].endswith('.json"')
    assert response["Cache-Control"] == "private, no-store"
