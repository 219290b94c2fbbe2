"""Export targets and formats: Hydra YAML, command-line overrides, zips, round trips."""

import io
import json
import subprocess
import zipfile
from decimal import Decimal

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from hypothesis import HealthCheck, given, settings
from omegaconf import OmegaConf

from tasks import exporting, hydra, importing, rules
from tasks.defaults_list import SELF
from tasks.models import TaskRun
from tests.conftest import VALID_RUN
from tests.strategies import task_configs, whole_configs

pytestmark = pytest.mark.django_db
# Derandomized: the same examples on every run, so CI is repeatable.
ROUND_TRIP = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# The whole config is slower to generate and save: fewer examples, same seed.
WHOLE_CONFIG = settings(ROUND_TRIP, max_examples=30)


def run_from(values, **extra):
    run = TaskRun(**values, **extra)
    run.full_clean()
    run.save()
    return run


def shell_words(line):
    """The words a real POSIX shell passes to a program for `line`."""
    script = f"python3 -c 'import json, sys; print(json.dumps(sys.argv[1:]))' {line}"
    return json.loads(
        subprocess.run(["sh", "-c", script], capture_output=True, text=True, check=True).stdout
    )


def hydra_reads(line):
    """{field: value} as Hydra parses the overrides and OmegaConf resolves them."""
    overrides = OverridesParser.create().parse_overrides(shell_words(line))
    config = OmegaConf.create(
        {
            o.key_or_group.removeprefix("mephisto.task."): o.value()
            for o in overrides
            if o.key_or_group.startswith("mephisto.task.")
        }
    )
    return OmegaConf.to_container(config, resolve=True)


def omegaconf_reads(text):
    """The YAML read by OmegaConf's own loader, as Hydra reads a config file."""
    return OmegaConf.to_container(OmegaConf.create(text), resolve=True)


# -- Targets -------------------------------------------------------------------------


def test_latest_target_exports_all_sixteen_fields(make_run):
    assert list(exporting.task_config(make_run())) == list(TaskRun.CONFIG_FIELDS)


def test_target_1_5_leaves_out_aux_parameters_at_its_default(make_run):
    config = exporting.task_config(make_run(), "1.5")
    assert list(config) == [n for n in TaskRun.CONFIG_FIELDS if n != "aux_parameters"]


def test_target_1_1_leaves_out_resume_and_aux_parameters_at_their_defaults(make_run):
    config = exporting.task_config(make_run(), "1.1")
    assert len(config) == 14
    assert "resume_incomplete_run" not in config and "aux_parameters" not in config


def test_target_lacking_a_set_field_refuses_the_export_naming_it(make_run):
    run = make_run(aux_parameters={"seed": 1})
    with pytest.raises(exporting.ExportError) as error:
        exporting.export_run(run, "yaml", "1.5")
    assert str(error.value) == (
        "Mephisto 1.5 has no aux_parameters: this run sets it, and the value would be lost."
        " Export for a newer target, or reset it to its default."
    )


def test_target_1_1_refuses_a_run_that_resumes(make_run):
    with pytest.raises(exporting.ExportError, match="Mephisto 1.1 has no resume_incomplete_run"):
        exporting.export_runs([make_run(resume_incomplete_run=True)], "json", "1.1")


def test_unknown_format_is_refused(make_run):
    with pytest.raises(
        ValueError, match="Unknown export format 'xml'; choose from json, yaml, overrides."
    ):
        exporting.export_run(make_run(), "xml")


def test_a_title_of_three_question_marks_is_refused_as_missing(db):
    # The model refuses "???" too; this is a row saved before it did.
    run = TaskRun.objects.create(**{**VALID_RUN, "task_title": "???"})
    with pytest.raises(exporting.ExportError) as error:
        exporting.export_run(run, "yaml")
    assert str(error.value) == "task_title: the value ??? means “missing” to Mephisto."


# -- YAML ----------------------------------------------------------------------------


def test_yaml_is_a_hydra_global_package_with_the_task_section(make_run):
    filename, content_type, content = exporting.export_run(make_run(task_name="labels"), "yaml")
    assert filename.endswith("-labels.yaml") and content_type == "application/yaml"
    assert content.startswith(
        "# @package _global_\ndefaults:\n- /mephisto/provider: mock\n- _self_\nmephisto:\n"
        "  task:\n    task_name: labels\n"
    )
    assert "    task_lifetime_in_seconds: 2678400\n" in content
    assert "    task_reward: 0.5\n" in content


def test_yaml_keeps_ints_as_ints_for_omegaconf(make_run):
    task = omegaconf_reads(exporting.to_yaml(make_run()))["mephisto"]["task"]
    assert type(task["task_lifetime_in_seconds"]) is int
    assert type(task["task_reward"]) is float


def test_yaml_escapes_interpolations_so_omegaconf_keeps_the_text(make_run):
    run = make_run(task_description="Type ${name} and \\${x} here")
    content = exporting.to_yaml(run)
    assert "Type \\${name} and \\\\\\${x} here" in content
    assert omegaconf_reads(content)["mephisto"]["task"]["task_description"] == run.task_description


# -- Overrides -----------------------------------------------------------------------


def test_overrides_quote_titles_for_shell_and_hydra(make_run):
    run = make_run(task_title='It\'s "big", costs $5 — ${x}', task_tags="a, b")
    line = exporting.to_overrides(run)
    assert line.startswith(
        "mephisto/provider=mock mephisto.task.task_name=null 'mephisto.task.task_title="
    )
    assert "mephisto.task.task_reward=0.5 " in line
    assert "'mephisto.task.task_tags=\"a, b\"'" in line
    read = hydra_reads(line)
    assert read["task_title"] == run.task_title
    assert read == exporting.task_values(run)


def test_overrides_refuse_aux_parameter_keys_hydra_cannot_write(make_run):
    with pytest.raises(exporting.ExportError) as error:
        exporting.to_overrides(make_run(aux_parameters={"two words": 1}))
    assert str(error.value) == (
        "aux_parameters: the key 'two words' cannot be written as a Hydra command-line"
        " override (use letters, digits and _); export as YAML or JSON instead."
    )


# -- Several runs ----------------------------------------------------------------------


def test_several_runs_in_yaml_are_a_zip_of_files_named_after_the_runs(make_run):
    runs = [
        make_run(task_name="same"),
        make_run(task_name="same"),
        make_run(task_title="Other one"),
    ]
    filename, content_type, content = exporting.export_runs(runs, "yaml")
    assert filename.endswith("-yaml.zip") and content_type == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(content)).namelist()
    assert names == ["same.yaml", "same-2.yaml", "other-one.yaml"]


def test_zips_are_byte_identical_for_the_same_runs(make_run):
    runs = [make_run(), make_run(task_title="Second")]
    assert (
        exporting.export_runs(runs, "overrides")[2] == exporting.export_runs(runs, "overrides")[2]
    )


# -- Round trips -----------------------------------------------------------------------


def round_trip(runs, fmt, single):
    """Export, import into an empty table, export again: both exports' content."""
    first = exporting.export_run(runs[0], fmt) if single else exporting.export_runs(runs, fmt)
    TaskRun.objects.all().delete()
    data = first[2].encode() if isinstance(first[2], str) else first[2]
    result = importing.apply(importing.parse(first[0], data), acknowledged=rules.WARNING_CODES)
    again = result.created if not single else result.created[:1]
    second = exporting.export_run(again[0], fmt) if single else exporting.export_runs(again, fmt)
    return first[2], second[2]


@pytest.mark.parametrize("fmt", exporting.FORMATS)
def test_one_run_round_trips_byte_identical(make_run, fmt):
    run = make_run(
        task_title="Ünïcode “quotes”, $HOME & ${x}", aux_parameters={"a": [1, {"b": None}]}
    )
    first, second = round_trip([run], fmt, single=True)
    assert first == second


@pytest.mark.parametrize("fmt", exporting.FORMATS)
def test_several_runs_round_trip_byte_identical(make_run, fmt):
    runs = [make_run(task_title=f"Run {n}", task_reward=Decimal(n) / 100) for n in range(3)]
    first, second = round_trip(runs, fmt, single=False)
    assert first == second


@pytest.mark.parametrize("fmt", ["yaml", "overrides"])
def test_a_run_round_trips_with_its_launch_setup(make_run, fmt):
    run = make_run(
        provider="mturk_sandbox",
        blueprint="static_task",
        blueprint_source="build/${x}.js",
        architect="local",
    )
    first, second = round_trip([run], fmt, single=True)
    assert first == second
    imported = TaskRun.objects.get()
    assert (imported.provider, imported.architect, imported.blueprint_source) == (
        "mturk_sandbox",
        "local",
        "build/${x}.js",
    )


@pytest.mark.parametrize("fmt", exporting.FORMATS)
@ROUND_TRIP
@given(values=task_configs())
def test_any_valid_run_round_trips_byte_identical(db, fmt, values):
    try:
        first, second = round_trip([run_from(values)], fmt, single=True)
        assert first == second
    finally:
        TaskRun.objects.all().delete()


@ROUND_TRIP
@given(values=task_configs())
def test_hydra_and_omegaconf_read_back_exactly_what_was_exported(db, values):
    run = TaskRun(**values)
    run.full_clean()
    expected = exporting.task_values(run)
    assert omegaconf_reads(exporting.to_yaml(run))["mephisto"]["task"] == expected
    assert omegaconf_reads(exporting.export_run(run, "json")[2])["mephisto"]["task"] == expected
    assert hydra_reads(exporting.to_overrides(run)) == expected


def hydra_reads_whole(line):
    """The whole config an overrides line makes, as Hydra parses each word, with
    interpolations kept as written: group choices become defaults entries."""
    document = {"defaults": []}
    for override in OverridesParser.create().parse_overrides(shell_words(line)):
        key = override.key_or_group
        if "/" in key:
            document["defaults"].append({"/" + key: override.value()})
            continue
        *parents, leaf = key.split(".")
        node = document
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = override.value()
    return OmegaConf.to_container(OmegaConf.create(document), resolve=False)


def omegaconf_reads_unresolved(text):
    return OmegaConf.to_container(OmegaConf.create(text), resolve=False)


@pytest.mark.parametrize("fmt", exporting.FORMATS)
@WHOLE_CONFIG
@given(values=whole_configs())
def test_any_whole_config_round_trips_byte_identical(db, fmt, values):
    try:
        first, second = round_trip([run_from(values)], fmt, single=True)
        assert first == second
    finally:
        TaskRun.objects.all().delete()


@WHOLE_CONFIG
@given(values=whole_configs())
def test_hydra_and_omegaconf_read_back_the_whole_config_as_exported(db, values):
    run = TaskRun(**values)
    run.full_clean()
    expected = exporting.hydra_config(run)
    assert omegaconf_reads_unresolved(exporting.to_yaml(run)) == expected
    assert omegaconf_reads_unresolved(exporting.export_run(run, "json")[2]) == expected
    # A command line writes no _self_ (Hydra appends it when composing).
    on_line = {**expected, "defaults": [e for e in expected["defaults"] if e != SELF]}
    assert hydra_reads_whole(exporting.to_overrides(run)) == on_line


def test_overrides_the_import_would_refuse_as_too_long_are_not_written(make_run):
    run = make_run(task_description="x" * (hydra.MAX_OVERRIDES_CHARS + 1))
    with pytest.raises(exporting.ExportError) as error:
        exporting.to_overrides(run)
    assert str(error.value).startswith("The overrides come to ")
    assert str(error.value).endswith(
        f"characters; a launch command line is read up to {hydra.MAX_OVERRIDES_CHARS:,}:"
        " export as YAML or JSON instead."
    )
