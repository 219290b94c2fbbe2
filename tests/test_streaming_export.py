"""Exporting every run streams: read in chunks, written as it comes, same bytes."""

import json
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tasks import exporting, services
from tasks.models import TaskRun
from tasks.seeding import seed_runs

pytestmark = pytest.mark.django_db


def every_run():
    return TaskRun.objects.order_by("pk")


@pytest.mark.parametrize("count", [0, 1, 2, 30])
def test_streamed_array_is_byte_identical_to_the_whole_export(count):
    seed_runs(count)
    expected = exporting.export_runs(list(every_run()))[2]
    assert "".join(exporting.iter_json_array(every_run())) == expected
    assert "".join(exporting.iter_json_array(list(every_run()))) == expected


def test_empty_export_is_an_empty_array():
    assert "".join(exporting.iter_json_array(every_run())) == "[]\n"


def test_odd_values_stream_exactly_as_they_export(make_run):
    make_run(
        task_title='Ünïcödé “quotes” and "escapes"',
        task_description="Line one\nLine two\t${not_interpolated}",
        task_reward=Decimal("12.30"),
        aux_parameters={"nested": {"list": [1, 2.5, None, True], "text": "a\nb"}},
    )
    make_run(task_name="second")
    streamed = "".join(exporting.iter_json_array(every_run()))
    assert streamed == exporting.export_runs(list(every_run()))[2]


def test_each_run_is_its_own_chunk_then_the_closing_bracket(make_run):
    make_run(task_title="One")
    make_run(task_title="Two")
    chunks = list(exporting.iter_json_array(every_run()))
    assert len(chunks) == 3
    assert chunks[0].startswith('[\n  {\n    "defaults": [')
    assert chunks[1].startswith(',\n  {\n    "defaults": [')
    assert chunks[2] == "\n]\n"


def test_nothing_is_read_before_the_first_chunk_is_asked_for(make_run, django_assert_num_queries):
    make_run()
    with django_assert_num_queries(0):
        chunks = exporting.iter_json_array(every_run())
    with django_assert_num_queries(1):
        next(chunks)


def test_export_reads_every_run_in_one_query_without_joins(make_run, editor):
    for number in range(3):
        services.run_clone(make_run(task_title=f"Run {number}"), by=editor)
    with CaptureQueriesContext(connection) as queries:
        "".join(exporting.iter_json_array(every_run().select_related("cloned_from")))
    (query,) = queries
    assert "JOIN" not in query["sql"]


def test_stream_runs_names_the_file_like_the_whole_export():
    filename, content_type, chunks = exporting.stream_runs(every_run())
    assert filename.startswith("taskruns-") and filename.endswith(".json")
    assert content_type == "application/json"
    assert "".join(chunks) == "[]\n"


def test_stream_runs_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="Unknown export format 'xml'; choose from json."):
        exporting.stream_runs(every_run(), "xml")


# -- Browser, admin and command line --------------------------------------------------


def test_list_export_of_all_runs_is_a_streamed_attachment(viewer_client):
    seed_runs(40)
    response = viewer_client.get(reverse("tasks:runs-export"), {"scope": "all", "sort": "title"})
    assert response.streaming
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="taskruns-')
    body = b"".join(response.streaming_content).decode()
    expected = exporting.export_runs(list(TaskRun.objects.order_by("task_title", "id")))[2]
    assert body == expected


def test_admin_export_action_is_streamed(client, superuser):
    seed_runs(5)
    client.force_login(superuser)
    pks = list(TaskRun.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("admin:tasks_taskrun_changelist"),
        {"action": "export_json", "_selected_action": pks},
    )
    assert response.streaming
    assert len(json.loads(b"".join(response.streaming_content))) == 5


def test_command_writes_every_run_byte_identical_to_the_whole_export(tmp_path):
    seed_runs(30)
    target = tmp_path / "runs.json"
    call_command("export_task_runs", "-o", str(target))
    expected = exporting.export_runs(list(every_run()))[2]
    assert target.read_text(encoding="utf-8") == expected


def test_command_streams_every_run_to_standard_output(capsys):
    seed_runs(12)
    call_command("export_task_runs")
    assert capsys.readouterr().out == exporting.export_runs(list(every_run()))[2]
