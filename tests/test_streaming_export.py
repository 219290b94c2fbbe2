"""Exporting every run streams: read in chunks, written as it comes, same bytes."""

import io
import json
import zipfile
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


def test_runs_come_in_chunks_of_the_chunk_size_then_the_closing_bracket():
    seed_runs(exporting.EXPORT_CHUNK_SIZE + 1)
    chunks = list(exporting.iter_json_array(every_run()))
    assert len(chunks) == 3
    assert chunks[0].startswith('[\n  {\n    "defaults": [')
    assert chunks[0].count('\n  {\n    "defaults"') == exporting.EXPORT_CHUNK_SIZE
    assert chunks[1].startswith(',\n  {\n    "defaults": [')
    assert chunks[1].count('\n  {\n    "defaults"') == 1
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
    with pytest.raises(
        ValueError, match="Unknown export format 'xml'; choose from json, yaml, overrides."
    ):
        exporting.stream_runs(every_run(), "xml")


def test_stream_runs_refuses_an_unknown_target():
    with pytest.raises(ValueError, match="Unknown export target '2.0'; choose from latest"):
        exporting.stream_runs(every_run(), "yaml", "2.0")


class Counted:
    """The runs, handed out one by one, counting how many were taken."""

    def __init__(self, runs):
        self.runs, self.taken = runs, 0

    def __iter__(self):
        for run in self.runs:
            self.taken += 1
            yield run


@pytest.mark.parametrize("fmt", exporting.FORMATS)
def test_first_bytes_come_before_the_last_run_is_read(fmt):
    seed_runs(3 * exporting.EXPORT_CHUNK_SIZE)
    runs = Counted(exporting.export_rows(every_run()))
    _, _, chunks = exporting.stream_runs(runs, fmt)
    first = next(chunks)
    assert first[:2] in ("[\n", b"PK")
    assert runs.taken == exporting.EXPORT_CHUNK_SIZE
    rest = list(chunks)
    assert runs.taken == 3 * exporting.EXPORT_CHUNK_SIZE
    assert len(rest) >= 2


@pytest.mark.parametrize("fmt", exporting.FORMATS)
def test_rows_read_from_a_queryset_export_as_the_runs_themselves(make_run, fmt):
    # Every attribute a writer reads must be among EXPORT_COLUMNS.
    make_run(
        task_title="Odd ${x} 'quotes' \"double\" and: colons # hash",
        task_description="A long description " * 10,
        task_reward=Decimal("120"),
        provider="prolific",
        estimated_minutes=7,
        blueprint="static_task",
        blueprint_source="${task_dir}/index.html",
        blueprint_args={"units_per_assignment": 2},
        architect="local",
        architect_args={"hostname": "localhost"},
        provider_args={"prolific_id_option": "url_parameters"},
        mephisto_extra={"log_level": "info"},
        top_level={"task_dir": "/srv/tasks", "num_tasks": 3},
        interpolated=["blueprint_source"],
        aux_parameters={"b": [1, 2.5, None, True], "a": {"text": "x"}},
    )
    make_run(
        task_name="second",
        task_reward=Decimal("12.30"),
        defaults=["base", "_self_"],
        unset_fields=["submission_timeout"],
    )
    if fmt == "overrides":
        TaskRun.objects.filter(task_name="second").delete()  # base: no command line
    expected = exporting.export_runs(list(every_run()), fmt)[2]
    assert exporting.export_runs(every_run(), fmt)[2] == expected


@pytest.mark.parametrize("fmt", ["yaml", "overrides"])
def test_each_zip_member_is_the_one_run_export(fmt):
    seed_runs(2 * exporting.EXPORT_CHUNK_SIZE + 3)
    _, content_type, chunks = exporting.stream_runs(every_run(), fmt)
    assert content_type == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None
    members = archive.infolist()
    runs = list(every_run())
    assert len(members) == len(runs)
    for member, run in zip(members, runs, strict=True):
        assert member.date_time == (1980, 1, 1, 0, 0, 0)
        assert member.compress_type == zipfile.ZIP_DEFLATED
        assert archive.read(member).decode() == exporting.export_run(run, fmt)[2]
    names = [member.filename for member in members]
    assert len(set(names)) == len(names)


def test_streamed_zip_is_byte_identical_to_the_whole_export(make_run):
    runs = [make_run(task_name="same"), make_run(task_name="same"), make_run(task_title="Other")]
    whole = exporting.export_runs(runs, "yaml")[2]
    assert b"".join(exporting.stream_runs(every_run(), "yaml")[2]) == whole
    names = zipfile.ZipFile(io.BytesIO(whole)).namelist()
    assert names == ["same.yaml", "same-2.yaml", "other.yaml"]


@pytest.mark.parametrize("fmt", exporting.FORMATS)
def test_progress_hears_the_count_then_each_chunk_then_the_end(fmt):
    seed_runs(exporting.EXPORT_CHUNK_SIZE + 10)
    heard = []
    _, _, chunks = exporting.stream_runs(
        every_run(), fmt, progress=lambda done, total: heard.append((done, total))
    )
    for _ in chunks:
        pass
    total = exporting.EXPORT_CHUNK_SIZE + 10
    assert heard == [(0, total), (exporting.EXPORT_CHUNK_SIZE, total), (total, total)]


def test_progress_of_an_iterator_of_unknown_length_has_no_total(make_run):
    make_run()
    heard = []
    chunks = exporting.stream_runs(
        iter(every_run()), "json", progress=lambda done, total: heard.append((done, total))
    )[2]
    list(chunks)
    assert heard == [(0, None), (1, None)]


def test_an_error_in_the_first_runs_is_raised_before_anything_is_sent(make_run):
    make_run(resume_incomplete_run=True)
    with pytest.raises(exporting.ExportError, match="Mephisto 1.1 has no resume_incomplete_run"):
        exporting.stream_runs(every_run(), "yaml", "1.1")


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


def test_admin_zip_export_is_streamed_as_binary(client, superuser):
    seed_runs(3)
    client.force_login(superuser)
    pks = list(TaskRun.objects.values_list("pk", flat=True))
    response = client.post(
        reverse("admin:tasks_taskrun_changelist"),
        {"action": "export_yaml", "_selected_action": pks},
    )
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(archive.namelist()) == 3


def test_list_export_of_overrides_is_a_streamed_zip(viewer_client):
    seed_runs(4)
    response = viewer_client.get(
        reverse("tasks:runs-export"), {"scope": "all", "format": "overrides"}
    )
    assert response.streaming
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert len(archive.namelist()) == 4


def test_command_writes_a_zip_of_every_run(tmp_path):
    seed_runs(5)
    target = tmp_path / "runs.zip"
    call_command("export_task_runs", "--format", "yaml", "-o", str(target))
    assert target.read_bytes() == exporting.export_runs(list(every_run()), "yaml")[2]


def test_command_exports_the_pks_given_in_their_order(tmp_path):
    seed_runs(4)
    first, second, *_ = every_run()
    target = tmp_path / "runs.json"
    call_command("export_task_runs", str(second.pk), str(first.pk), "-o", str(target))
    assert target.read_text() == exporting.export_runs([second, first])[2]


def test_command_shows_no_progress_bar_when_standard_error_is_not_a_terminal(tmp_path):
    seed_runs(3)
    stderr = io.StringIO()
    call_command("export_task_runs", "-o", str(tmp_path / "runs.json"), stderr=stderr)
    assert stderr.getvalue() == f"Wrote {tmp_path / 'runs.json'}\n"
