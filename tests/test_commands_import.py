"""import_task_runs, check_task_config and export_task_runs --format/--target."""

import json

import pytest
from django.core.management import CommandError, call_command

from tasks.models import TaskRun

FLAT = {"task_title": "From a file", "task_description": "D", "task_reward": 1, "task_tags": "t"}


@pytest.fixture
def runs_file(tmp_path):
    def write(*documents, name="runs.jsonl"):
        path = tmp_path / name
        path.write_text("\n".join(json.dumps(d) for d in documents))
        return str(path)

    return write


@pytest.mark.django_db
def test_import_dry_run_changes_nothing(runs_file, capsys):
    call_command("import_task_runs", runs_file(FLAT), "--dry-run")
    assert capsys.readouterr().out.splitlines() == [
        "new        runs.jsonl line 1: From a file",
        "Dry run: nothing imported.",
    ]
    assert not TaskRun.objects.exists()


@pytest.mark.django_db
def test_import_saves_and_reports(runs_file, capsys):
    call_command("import_task_runs", runs_file(FLAT))
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Imported 1 task run; skipped 0 identical, 0 invalid."
    )
    assert TaskRun.objects.get().task_title == "From a file"


@pytest.mark.django_db
def test_import_with_invalid_runs_fails_unless_only_valid(runs_file):
    path = runs_file(FLAT, {**FLAT, "task_reward": "free"})
    with pytest.raises(CommandError, match="Nothing imported: 1 run is invalid."):
        call_command("import_task_runs", path)
    assert not TaskRun.objects.exists()
    call_command("import_task_runs", path, "--only-valid")
    assert TaskRun.objects.count() == 1


def test_check_passes_valid_files_without_a_database(runs_file, capsys):
    path = runs_file(FLAT)
    call_command("check_task_config", path)
    assert capsys.readouterr().out == f"{path}: 1 valid task run.\n"


def test_check_stops_at_the_first_invalid_file_printing_every_error(runs_file, capsys):
    bad = runs_file({**FLAT, "task_reward": -1, "task_tags": ""}, name="bad.jsonl")
    good = runs_file(FLAT, name="good.jsonl")
    with pytest.raises(CommandError, match=r"bad.jsonl: 2 error\(s\)."):
        call_command("check_task_config", bad, good)
    assert capsys.readouterr().err.splitlines() == [
        "bad.jsonl line 1: task_reward: The reward cannot be negative.",
        "bad.jsonl line 1: task_tags: This field cannot be blank.",
    ]


def test_check_refuses_an_empty_file(tmp_path):
    (tmp_path / "empty.yaml").write_text("")
    with pytest.raises(CommandError, match="empty.yaml is empty."):
        call_command("check_task_config", str(tmp_path / "empty.yaml"))


@pytest.mark.django_db
def test_export_command_takes_format_and_target(make_run, tmp_path):
    run = make_run()
    out = tmp_path / "run.yaml"
    call_command(
        "export_task_runs", str(run.pk), "--format", "yaml", "--target", "1.5", "-o", str(out)
    )
    text = out.read_text()
    assert text.startswith("# @package _global_\n") and "aux_parameters" not in text


@pytest.mark.django_db
def test_export_command_refuses_a_target_that_loses_a_value(make_run):
    run = make_run(aux_parameters={"a": 1})
    with pytest.raises(CommandError, match="Mephisto 1.1 has no aux_parameters"):
        call_command("export_task_runs", str(run.pk), "--target", "1.1")


RISKY = {**FLAT, "resume_incomplete_run": True, "task_reward": 60}


@pytest.mark.django_db
def test_import_lists_warnings_and_refuses_until_each_is_acknowledged(runs_file, capsys):
    path = runs_file(RISKY)
    with pytest.raises(CommandError) as refused:
        call_command("import_task_runs", path, "--acknowledge", "resume_ignores_these_values")
    assert str(refused.value) == (
        "Nothing imported: read the warnings and acknowledge each one"
        " (reward_above_confirm_threshold)."
        " Add --acknowledge reward_above_confirm_threshold to import."
    )
    assert "warning    runs.jsonl line 1: resume_ignores_these_values: Mephisto resumes" in (
        capsys.readouterr().out
    )
    assert not TaskRun.objects.exists()


@pytest.mark.django_db
def test_import_with_every_warning_acknowledged_saves(runs_file):
    call_command(
        "import_task_runs",
        runs_file(RISKY),
        "--acknowledge",
        "resume_ignores_these_values,reward_above_confirm_threshold",
    )
    run = TaskRun.objects.get()
    assert run.acknowledged_warnings == [
        "reward_above_confirm_threshold",
        "resume_ignores_these_values",
    ]
