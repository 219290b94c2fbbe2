"""tasks.importing: every source, every refusal, and the one-transaction apply."""

import io
import json
import sqlite3
import zipfile
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks import exporting, importing
from tasks.models import TaskRun
from tests.strategies import task_configs

FLAT = {
    "task_title": "Label the pictures",
    "task_description": "Pick a label.",
    "task_reward": 0.5,
    "task_tags": "images",
}


def parse(name, content):
    data = content if isinstance(content, bytes) else content.encode()
    return importing.parse(name, data)


def only(batch):
    [doc] = batch.documents
    return doc


def failure(name, content):
    with pytest.raises(importing.ImportFailure) as error:
        parse(name, content)
    return str(error.value)


# -- Sources -------------------------------------------------------------------------


def test_flat_task_fields_get_defaults_for_missing_ones():
    run = only(parse("run.json", json.dumps(FLAT))).run
    assert run.task_reward == Decimal("0.5")
    assert run.task_lifetime_in_seconds == 2678400
    assert run.aux_parameters == {}


def test_nested_mephisto_task_document_is_read():
    doc = only(parse("run.json", json.dumps({"mephisto": {"task": FLAT}})))
    assert doc.run.task_title == "Label the pictures"


def test_whole_hydra_config_keeps_every_section():
    text = (
        "# @package _global_\ndefaults:\n  - _self_\ntask_dir: /srv/task\nnum_tasks: 3\n"
        "mephisto:\n  blueprint:\n    x: 1\n  architect:\n    port: '3000'\n"
        "  log_level: debug\n  database:\n    _database_type: singleton\n"
        "  task:\n    task_title: T\n    task_description: D\n    task_reward: 1\n"
        "    task_tags: t\n"
    )
    batch = parse("conf.yaml", text)
    run = only(batch).run
    assert run.task_title == "T"
    assert (run.defaults, run.blueprint_args, run.architect_args) == (
        ["_self_"],
        {"x": 1},
        {"port": "3000"},
    )
    assert run.mephisto_extra == {"log_level": "debug", "database": {"_database_type": "singleton"}}
    assert run.top_level == {"task_dir": "/srv/task", "num_tasks": 3}
    assert (run.provider, run.architect, run.blueprint) == ("", "", "")
    assert batch.notices == []


def test_json_array_names_each_item():
    batch = parse("runs.json", json.dumps([FLAT, {**FLAT, "task_reward": -1}]))
    assert [doc.source for doc in batch.documents] == ["runs.json item 1", "runs.json item 2"]
    assert batch.errors == ["runs.json item 2: task_reward: The reward cannot be negative."]


def test_json_lines_errors_name_the_line_and_field():
    lines = [json.dumps(FLAT)] * 6 + [json.dumps({**FLAT, "task_reward": -1})]
    batch = parse("runs.jsonl", "\n".join(lines))
    assert batch.errors == ["runs.jsonl line 7: task_reward: The reward cannot be negative."]


def test_a_broken_json_line_is_one_invalid_document():
    batch = parse("runs.jsonl", json.dumps(FLAT) + "\n{oops\n")
    assert batch.errors == [
        "runs.jsonl line 2: not valid JSON: Expecting property name enclosed in double quotes"
        " at column 2."
    ]


def test_zip_of_files_reads_each_member():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.json", json.dumps(FLAT))
        archive.writestr("b.jsonl", json.dumps({**FLAT, "task_title": "B"}))
    batch = parse("bundle.zip", buffer.getvalue())
    assert [d.source for d in batch.documents] == ["bundle.zip/a.json", "bundle.zip/b.jsonl line 1"]


def test_overrides_line_is_read_like_hydra(make_run):
    run = make_run(task_title="It's “quoted”, with $5 and ${x}")
    doc = only(parse("run.overrides.txt", exporting.to_overrides(run)))
    assert doc.run.task_title == run.task_title


def mephisto_database(path, rows):
    """A database.db with Mephisto's task_runs table."""
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TABLE task_runs (task_run_id INTEGER PRIMARY KEY AUTOINCREMENT, task_id INTEGER,"
        " requester_id INTEGER, init_params TEXT, is_completed BOOLEAN, provider_type STRING,"
        " task_type STRING, sandbox BOOLEAN, creation_date DATETIME DEFAULT CURRENT_TIMESTAMP)"
    )
    for run_id, created, mephisto_yaml in rows:
        connection.execute(
            "INSERT INTO task_runs (task_run_id, task_id, requester_id, init_params, is_completed,"
            " provider_type, task_type, sandbox, creation_date) VALUES (?, 1, 1, ?, 0, 'mock',"
            " 'mock', 1, ?)",
            (run_id, json.dumps(mephisto_yaml), created),
        )
    connection.commit()
    connection.close()
    return path.read_bytes()


MEPHISTO_YAML = (
    "blueprint:\n  _blueprint_type: static_task\narchitect:\n  _architect_type: local\n"
    "task:\n  task_name: pics\n  task_title: Label the pictures\n  task_description: Pick.\n"
    "  task_reward: 0.3\n  task_tags: images\n  task_lifetime_in_seconds: 86400\n"
)


def test_mephisto_database_rows_keep_their_run_id_and_creation_date(tmp_path):
    data = mephisto_database(tmp_path / "database.db", [(7, "2024-03-01 12:30:00", MEPHISTO_YAML)])
    batch = parse("database.db", data)
    doc = only(batch)
    assert doc.source == "database.db task_run 7"
    assert doc.run.task_reward == Decimal("0.3")
    assert doc.run.mephisto_task_run_id == "7"
    assert doc.run.mephisto_created_at == datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
    assert (doc.run.blueprint, doc.run.architect) == ("static_task", "local")
    assert doc.run.status == "launched"
    assert doc.run.launched_at == datetime(2024, 3, 1, 12, 30, tzinfo=UTC)
    assert batch.notices == [
        "database.db: imported each run's mephisto.task section and its provider, architect"
        " and blueprint choices; their other settings are ignored."
    ]


def test_a_sqlite_file_without_task_runs_is_refused(tmp_path):
    connection = sqlite3.connect(tmp_path / "other.db")
    connection.execute("CREATE TABLE t (x)")
    connection.commit()
    connection.close()
    assert failure("other.db", (tmp_path / "other.db").read_bytes()) == (
        "other.db is not a Mephisto database (no readable task_runs table: no such table:"
        " task_runs)."
    )


def test_hydra_defaults_list_gives_the_launch_setup():
    text = (
        "defaults:\n  - /mephisto/blueprint: static_task\n  - /mephisto/provider: mturk_sandbox\n"
        "  - _self_\nmephisto:\n  blueprint:\n    task_source: build/bundle.js\n"
        "  task:\n    task_title: T\n    task_description: D\n    task_reward: 1.5\n"
        "    task_tags: t\n"
    )
    batch = parse("conf.yaml", text)
    run = only(batch).run
    assert (run.provider, run.blueprint, run.blueprint_source) == (
        "mturk_sandbox",
        "static_task",
        "build/bundle.js",
    )
    assert batch.notices == []


@pytest.mark.parametrize("fmt", ["yaml", "overrides"])
def test_a_prolific_run_round_trips_with_its_completion_time(make_run, fmt):
    run = make_run(provider="prolific", task_reward=Decimal("150"), estimated_minutes=10)
    content = exporting.export_run(run, fmt)[2]
    assert "prolific_estimated_completion_time_in_minutes" in content
    doc = only(parse(f"run.{'yaml' if fmt == 'yaml' else 'overrides.txt'}", content))
    assert doc.errors == []
    assert (doc.run.provider, doc.run.task_reward, doc.run.estimated_minutes) == (
        "prolific",
        Decimal("150"),
        10,
    )


def test_a_prolific_config_without_a_completion_time_gets_mephistos_default_of_5():
    text = (
        "defaults:\n  - /mephisto/provider: prolific\nmephisto:\n  task:\n"
        "    task_title: T\n    task_description: D\n    task_reward: 70\n    task_tags: t\n"
    )
    doc = only(parse("conf.yaml", text))
    assert doc.errors == []
    assert doc.run.estimated_minutes == 5


def test_a_completion_time_that_is_not_a_whole_number_is_refused():
    text = (
        "defaults:\n  - /mephisto/provider: prolific\nmephisto:\n  provider:\n"
        "    prolific_estimated_completion_time_in_minutes: ten\n  task:\n"
        "    task_title: T\n    task_description: D\n    task_reward: 70\n    task_tags: t\n"
    )
    assert only(parse("conf.yaml", text)).errors == [
        "mephisto.provider.prolific_estimated_completion_time_in_minutes: "
        + importing._type_error("integer", "ten"),
        "estimated_minutes: Prolific needs the estimated completion time to judge the hourly rate.",
    ]


def test_an_unknown_provider_is_refused_by_the_model():
    text = "defaults:\n  - /mephisto/provider: nowhere\nmephisto:\n  task:\n    task_title: T\n"
    text += "    task_description: D\n    task_reward: 1\n    task_tags: t\n"
    assert only(parse("conf.yaml", text)).errors == [
        "provider: Value 'nowhere' is not a valid choice."
    ]


# -- Read as Hydra and OmegaConf read (issue 12, items 6, 7 and 11) --------------------

TASK_OVERRIDES = (
    "mephisto.task.task_title=T mephisto.task.task_description=D"
    " mephisto.task.task_reward=0.5 mephisto.task.task_tags=t "
)


@pytest.mark.parametrize(
    ("word", "field", "value"),
    [
        # Each word as a shell line writes it, so that Hydra is handed what it reads.
        # (task_tags itself is normalised by the model to "static, task, testing".)
        (r"'mephisto.task.task_title=static\,task\,testing'", "task_title", "static,task,testing"),
        (
            "mephisto.task.task_title=blender_90M:blender_3B:10",
            "task_title",
            "blender_90M:blender_3B:10",
        ),
        (r"'mephisto.task.task_title=Rate images \(quick\)'", "task_title", "Rate images (quick)"),
        ("mephisto.task.task_name=0802", "task_name", "0802"),
        ("mephisto.task.task_reward=1e-1", "task_reward", Decimal("0.1")),
        (
            "'mephisto.task.aux_parameters={x:1,y:[1,2],z:null}'",
            "aux_parameters",
            {"x": 1, "y": [1, 2], "z": None},
        ),
        ("++mephisto.task.maximum_units_per_worker=3", "maximum_units_per_worker", 3),
    ],
)
def test_override_values_are_read_as_hydra_reads_them(word, field, value):
    doc = only(parse("launch.txt", TASK_OVERRIDES + word))
    assert doc.errors == []
    assert getattr(doc.run, field) == value


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "mephisto.task.task_reward=1,2",
            "launch.txt: mephisto.task.task_reward: sweeps (1,2) are not supported; give one"
            """ value, or quote text with commas for the shell and for Hydra:"""
            """ 'mephisto.task.task_reward="a,b"'.""",
        ),
        (
            "mephisto.task.task_reward=choice(1,2)",
            "launch.txt: mephisto.task.task_reward: sweeps (choice(1,2)) are not supported;"
            """ give one value, or quote text with commas for the shell and for Hydra:"""
            """ 'mephisto.task.task_reward="a,b"'.""",
        ),
        (
            "mephisto.task.task_title=[1,",
            "launch.txt: 'mephisto.task.task_title=[1,' is not a valid Hydra override:"
            " no viable alternative at input '[1,'.",
        ),
        (
            "~mephisto.task.task_title",
            "launch.txt: '~mephisto.task.task_title' deletes mephisto.task.task_title; an import"
            " reads values only: remove it.",
        ),
    ],
)
def test_overrides_hydra_would_not_take_as_one_value_are_refused_naming_the_key(line, message):
    assert failure("launch.txt", line) == message


def test_an_override_float_in_a_whole_number_field_is_refused_as_mephisto_would():
    doc = only(parse("launch.txt", TASK_OVERRIDES + "mephisto.task.task_lifetime_in_seconds=1e5"))
    assert doc.errors == [
        "task_lifetime_in_seconds: Must be a whole number such as 1800, not 100000.0."
    ]


YAML_TASK = "task_title: T\ntask_description: D\ntask_reward: 0.5\ntask_tags: t\n"


@pytest.mark.parametrize(
    ("line", "field", "value"),
    [
        ("task_title: 2024-01-15", "task_title", "2024-01-15"),
        ("task_reward: 1e-1", "task_reward", Decimal("0.1")),
        ("task_reward: 1e1", "task_reward", Decimal("10.0")),
        ("task_name: 0802", "task_name", "0802"),
    ],
)
def test_yaml_values_are_read_as_omegaconf_reads_them(line, field, value):
    text = YAML_TASK.replace(f"{field}: ", f"old_{field}: ") + line + "\n"
    text = "\n".join(row for row in text.splitlines() if not row.startswith("old_"))
    doc = only(parse("conf.yaml", text))
    assert doc.errors == []
    assert getattr(doc.run, field) == value


def test_yaml_1e5_is_a_float_and_refused_for_a_whole_number_field():
    doc = only(parse("conf.yaml", YAML_TASK + "task_lifetime_in_seconds: 1e5\n"))
    assert doc.errors == [
        "task_lifetime_in_seconds: Must be a whole number such as 1800, not 100000.0."
    ]


@pytest.mark.django_db
def test_a_task_name_that_looks_like_a_number_exports_quoted_and_imports_as_text(make_run):
    run = make_run(task_name="1e5")
    content = exporting.to_yaml(run)
    assert "  task_name: '1e5'\n" in content
    doc = only(importing.preview(parse("run.yaml", content)))
    assert (doc.errors, doc.run.task_name, doc.status) == ([], "1e5", importing.IDENTICAL)


def test_a_multi_document_yaml_file_is_a_list_of_runs():
    text = (
        "---\n"
        + YAML_TASK
        + "---\n"
        + YAML_TASK.replace("0.5", "-1")
        + "---\nmephisto:\n  task:\n"
        + "".join(f"    {row}\n" for row in YAML_TASK.splitlines())
        + "---\n"
    )
    batch = parse("runs.yaml", text)
    assert [doc.source for doc in batch.documents] == [
        "runs.yaml document 1",
        "runs.yaml document 2",
        "runs.yaml document 3",
    ]
    assert batch.errors == ["runs.yaml document 2: task_reward: The reward cannot be negative."]
    assert batch.documents[2].run.task_title == "T"


def test_a_yaml_document_that_is_a_list_names_document_and_item():
    text = YAML_TASK + "---\n- " + YAML_TASK.replace("\n", "\n  ").replace("0.5", "-1")
    batch = parse("runs.yaml", text)
    assert batch.errors == [
        "runs.yaml document 2 item 1: task_reward: The reward cannot be negative."
    ]


def test_one_yaml_document_keeps_the_file_name():
    assert only(parse("conf.yaml", "---\n" + YAML_TASK)).source == "conf.yaml"


# -- Refusals --------------------------------------------------------------------------


def test_unknown_keys_are_refused_by_name():
    doc = only(parse("run.json", json.dumps({**FLAT, "reward": 1, "colour": "red"})))
    assert doc.messages == [
        "run.json: unknown fields reward, colour: Mephisto would refuse the config."
    ]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("task_lifetime_in_seconds", 1800.0, "Must be a whole number such as 1800, not 1800.0."),
        ("task_lifetime_in_seconds", "1800", 'Must be a whole number such as 1800, not "1800".'),
        ("allowed_concurrent", True, "Must be a whole number such as 1800, not true."),
        ("task_reward", "0.5", 'Must be a number such as 0.5, not "0.5".'),
        ("force_rebuild", "yes", 'Must be true or false, not "yes".'),
        ("task_title", ["a"], 'Must be text, not ["a"].'),
        ("aux_parameters", [1], 'Must be a JSON object such as {"key": "value"}, not a list.'),
    ],
)
def test_wrong_types_get_a_message_not_a_crash(field, value, message):
    doc = only(parse("run.json", json.dumps({**FLAT, field: value})))
    assert doc.errors == [f"{field}: {message}"]


def test_missing_required_field_says_so():
    doc = only(parse("run.json", json.dumps({k: v for k, v in FLAT.items() if k != "task_tags"})))
    assert doc.errors == ["task_tags: This field cannot be blank."]


def test_three_question_marks_mean_missing():
    doc = only(
        parse("conf.yaml", "task_title: '???'\ntask_description: D\ntask_reward: 1\ntask_tags: t\n")
    )
    assert doc.errors == ["task_title: This field cannot be blank."]


def test_an_interpolation_a_file_gives_is_kept_as_written():
    doc = only(
        parse("conf.yaml", "task_title: ${x}\ntask_description: D\ntask_reward: 1\ntask_tags: t\n")
    )
    assert (doc.errors, doc.run.task_title, doc.run.interpolated) == ([], "${x}", ["task_title"])


def test_an_interpolation_cannot_stand_for_a_number():
    doc = only(
        parse(
            "conf.yaml",
            "task_title: T\ntask_description: D\ntask_reward: ${r}\ntask_tags: t\n",
        )
    )
    assert doc.errors == [
        "task_reward: an interpolation (${r}) cannot stand for a number or true/false here:"
        " Taskadmin checks the value, so give it."
    ]


def test_empty_file_is_refused():
    assert failure("runs.json", b"  \n") == "runs.json is empty."


def test_non_utf8_file_is_refused():
    assert failure("runs.json", b'{"task_title": "\xff"}') == (
        "runs.json is not UTF-8 text (byte 0xff at position 16). Save it as UTF-8 and try again."
    )


def test_twenty_megabyte_file_is_refused(settings):
    settings.TASKADMIN_IMPORT_MAX_BYTES = 10_000_000
    data = b"[" + b" " * 20_000_000 + b"]"
    assert failure("big.json", data) == (
        "big.json is 20.0 MB; the import limit is 10.0 MB. Split it into smaller files."
    )


def test_yaml_bomb_is_refused():
    bomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
    for n in range(1, 10):
        bomb += f"a{n}: &a{n} [{','.join(['*a' + (str(n - 1) if n > 1 else '')] * 9)}]\n"
    assert failure("bomb.yaml", bomb) == (
        "bomb.yaml: uses more than 20 YAML aliases (*name); write the values out instead."
    )


def test_json_nested_ten_thousand_levels_is_refused():
    assert failure("deep.json", "[" * 10_000 + "]" * 10_000) == (
        "deep.json is nested too deeply (more than 54 levels)."
    )


def test_invalid_yaml_is_refused_with_where():
    assert failure("conf.yaml", "task_title: [unclosed\n").startswith("conf.yaml: not valid YAML:")


def test_a_scalar_document_is_refused():
    assert only(parse("run.json", "42")).messages == [
        "run.json: must be a mapping of task fields, not 42."
    ]


# -- Preview and apply -------------------------------------------------------------------


@pytest.mark.django_db
def test_preview_marks_new_and_identical(make_run):
    existing = make_run(
        task_title="Label the pictures", task_description="Pick a label.", task_tags="images"
    )
    batch = importing.preview(
        parse("runs.json", json.dumps([FLAT, {**FLAT, "task_title": "Other"}]))
    )
    assert [doc.status for doc in batch.documents] == ["identical", "new"]
    assert batch.documents[0].existing == existing


@pytest.mark.django_db
def test_apply_all_with_an_invalid_run_changes_nothing():
    batch = parse("runs.json", json.dumps([FLAT, {**FLAT, "task_reward": -1}]))
    with pytest.raises(importing.ImportRefused) as error:
        importing.apply(batch)
    assert str(error.value) == (
        "Nothing imported: 1 run is invalid. Fix the file, or import only the valid runs."
    )
    assert not TaskRun.objects.exists()


@pytest.mark.parametrize(
    ("documents", "message"),
    [
        (
            [{**FLAT, "task_reward": -1}, {**FLAT, "task_reward": 60}],
            "Nothing imported: 1 run is invalid. Fix the file, or import only the valid runs.",
        ),
        (
            [FLAT, {**FLAT, "task_title": "Other", "task_reward": 60}],
            "Nothing imported: read the warnings and acknowledge each one"
            " (reward_above_confirm_threshold).",
        ),
    ],
    ids=["invalid", "unread-warning"],
)
@pytest.mark.django_db
def test_a_refused_import_read_but_not_previewed_lists_its_new_runs_warnings(documents, message):
    # The background import parses and applies, with no preview in between:
    # the refusal's report must still show each new run's warnings.
    batch = parse("runs.json", json.dumps(documents))
    with pytest.raises(importing.ImportRefused) as error:
        importing.apply(batch)
    assert str(error.value) == message
    assert [[w.code for w in doc.warnings] for doc in error.value.batch.documents][-1] == [
        "reward_above_confirm_threshold"
    ]
    assert not TaskRun.objects.exists()


@pytest.mark.django_db
def test_apply_only_valid_saves_the_valid_ones(editor):
    batch = parse("runs.json", json.dumps([FLAT, {**FLAT, "task_reward": -1}]))
    result = importing.apply(batch, only_valid=True, by=editor)
    assert (len(result.created), result.identical, result.invalid) == (1, 0, 1)
    assert TaskRun.objects.get().created_by == editor


@pytest.mark.django_db
def test_a_failure_half_way_leaves_the_database_as_it_was():
    batch = parse("runs.json", json.dumps([FLAT, {**FLAT, "task_title": "Second"}]))
    # The database refuses the second run (its constraint) after the first was saved.
    batch.documents[1].run.task_lifetime_in_seconds = 0
    with pytest.raises(Exception):  # noqa: B017 - whichever error, nothing may stay
        importing.apply(batch)
    assert not TaskRun.objects.exists()


def test_a_run_the_import_checked_gives_the_same_verdict_when_checked_again():
    # apply() trusts the parse's full_clean (TaskRun.mark_clean): a second one
    # must find nothing more to refuse or to normalise.
    messy = {**FLAT, "task_tags": " b, a ,, b ", "task_description": " one\r\ntwo\r "}
    run = only(parse("run.json", json.dumps(messy))).run
    assert run.is_marked_clean()
    before = {field.attname: getattr(run, field.attname) for field in run._meta.concrete_fields}
    run.full_clean(validate_unique=False, validate_constraints=False)
    after = {field.attname: getattr(run, field.attname) for field in run._meta.concrete_fields}
    assert after == before
    assert run.is_marked_clean()


def test_the_checked_mark_is_not_trusted_once_a_value_or_a_rules_setting_changes(settings):
    run = only(parse("run.json", json.dumps(FLAT))).run
    settings.TASKADMIN_PROLIFIC_MIN_HOURLY_RATE = 1000
    assert not run.is_marked_clean()
    settings.TASKADMIN_PROLIFIC_MIN_HOURLY_RATE = 8.0
    run = only(parse("run.json", json.dumps(FLAT))).run
    run.aux_parameters["key"] = "value"
    assert not run.is_marked_clean()


@pytest.mark.django_db
def test_a_run_changed_after_parsing_is_checked_again_when_applied():
    batch = parse("runs.json", json.dumps([FLAT]))
    batch.documents[0].run.task_reward = Decimal("-1")
    with pytest.raises(ValidationError) as error:
        importing.apply(batch)
    assert "task_reward" in error.value.message_dict
    assert not TaskRun.objects.exists()


@pytest.mark.django_db
def test_importing_the_same_file_twice_skips_the_second_time():
    data = json.dumps([FLAT]).encode()
    importing.apply(importing.parse("runs.json", data))
    result = importing.apply(importing.parse("runs.json", data))
    assert (len(result.created), result.identical) == (0, 1)
    assert TaskRun.objects.count() == 1


# -- Generated documents -------------------------------------------------------------------

BAD_VALUES = {
    "task_reward": st.one_of(
        st.decimals("-1000", "-0.01", places=2).map(float),
        st.just(0.005),
        st.text(max_size=5),
        st.booleans(),
    ),
    "task_lifetime_in_seconds": st.one_of(
        st.integers(max_value=0), st.floats(1, 10**6), st.text(max_size=5)
    ),
    "allowed_concurrent": st.one_of(
        st.integers(max_value=-1), st.none(), st.lists(st.integers(), max_size=2)
    ),
    "task_title": st.one_of(
        st.just(""), st.just("   "), st.integers(), st.text(min_size=256, max_size=300)
    ),
    "task_tags": st.one_of(st.just(" , ,"), st.none()),
    "task_name": st.one_of(st.just("   "), st.integers(), st.lists(st.text(), max_size=2)),
    "post_install_script": st.sampled_from(["/abs.sh", "../up.sh", "dir/", "a\\b.sh"]),
    "aux_parameters": st.one_of(
        st.lists(st.integers(), max_size=2), st.text(max_size=3), st.integers()
    ),
    "force_rebuild": st.one_of(st.text(max_size=3), st.integers()),
    "unknown_key": st.integers(),
}


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(values=task_configs(), field=st.sampled_from(sorted(BAD_VALUES)), data=st.data())
def test_invalid_generated_documents_are_refused_with_a_message_and_never_saved(
    values, field, data
):
    run = TaskRun(**values)
    run.full_clean()
    document = exporting.run_to_config(run)
    document["mephisto"]["task"][field] = data.draw(BAD_VALUES[field])
    batch = parse("runs.jsonl", json.dumps(document))
    doc = only(batch)
    assert doc.status == importing.INVALID
    assert doc.messages and all(m.startswith("runs.jsonl line 1: ") for m in doc.messages)
    assert any(field in message for message in doc.messages)
    with pytest.raises(importing.ImportRefused):
        importing.apply(batch)
    assert not TaskRun.objects.exists()
