"""Importing many runs: the bulk write path, its query count, its progress and its cap.

`importing.apply` saves through `services.run_create_many`, which checks each run
as `run_save` checks a new one and then inserts them in batches. These tests hold
it to the one-by-one path: the same runs, verdicts, warnings and history rows.
"""

import io
import json
import random
import sqlite3
import threading
import zipfile
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tasks import exporting, importing, querystrings, rules, services, stash
from tasks.models import TaskRun
from tasks.seeding import fake_run

pytestmark = pytest.mark.django_db

CORPUS = Path(__file__).parent / "data" / "configs"
TASK = {"task_title": "T", "task_description": "D", "task_reward": 0.5, "task_tags": "t"}
# The same run as the model holds it.
RUN = {**TASK, "task_reward": Decimal("0.5")}


def varied_configs(count, seed=1):
    """Whole configs of varied, valid runs, as the export writes them; some share a
    task name (a warning), some have other warnings."""
    rng = random.Random(seed)
    configs = []
    for number in range(count):
        run = fake_run(rng, number)
        if number % 7 == 3:
            run.task_name = "shared-name"
        configs.append(exporting.hydra_config(run))
    return configs


def jsonl(configs):
    return "\n".join(json.dumps(config) for config in configs).encode()


def mephisto_database(configs):
    """A database.db with Mephisto's task_runs table (schema as in test_importing)."""
    db = sqlite3.connect(":memory:")
    db.execute(
        "CREATE TABLE task_runs (task_run_id INTEGER PRIMARY KEY AUTOINCREMENT, task_id INTEGER,"
        " requester_id INTEGER, init_params TEXT, is_completed BOOLEAN, provider_type STRING,"
        " task_type STRING, sandbox BOOLEAN, creation_date DATETIME DEFAULT CURRENT_TIMESTAMP)"
    )
    db.executemany(
        "INSERT INTO task_runs (task_run_id, task_id, requester_id, init_params, is_completed,"
        " provider_type, task_type, sandbox, creation_date) VALUES (?, 1, 1, ?, 0, 'mock',"
        " 'mock', 1, '2024-03-01 12:30:00')",
        [
            (number, json.dumps(yaml.safe_dump(config["mephisto"])))
            for number, config in enumerate(configs, 1)
        ],
    )
    db.commit()
    data = db.serialize()
    db.close()
    return data


def corpus_zip():
    """Every corpus file (Mephisto's and ParlAI's example shapes) that imports."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(CORPUS.iterdir()):
            if path.name not in ("interpolated_reward.yaml", "unknown_task_field.yaml"):
                archive.writestr(path.name, path.read_bytes())
    return buffer.getvalue()


FILES = {
    "runs.jsonl": lambda: jsonl(varied_configs(60)),
    "database.db": lambda: mephisto_database(varied_configs(40, seed=2)),
    "corpus.zip": corpus_zip,
}


def one_by_one(batch, *, by, acknowledged):
    """The import as it was before the bulk path: preview, then run_save per new run."""
    importing.preview(batch)
    for doc in batch.documents:
        if doc.status == importing.NEW:
            services.run_save(
                doc.run, by=by, via=f"import: {batch.name}", acknowledged=acknowledged
            )


def saved_state():
    """Every run and history row, as comparable values (ids and times left out)."""
    skipped = {"id", "created_at", "updated_at", "history_id", "history_date"}
    runs = [
        {k: v for k, v in row.items() if k not in skipped}
        for row in TaskRun.objects.order_by("pk").values()
    ]
    history = [
        {k: v for k, v in row.items() if k not in skipped}
        for row in TaskRun.history.order_by("history_id").values()
    ]
    return runs, history


def verdicts(batch):
    return [
        (doc.source, doc.status, doc.errors, [(w.code, w.message) for w in doc.warnings])
        for doc in batch.documents
    ]


@pytest.mark.parametrize("name", FILES)
def test_bulk_import_saves_what_saving_one_by_one_saves(name, editor, make_run):
    data = FILES[name]()
    # A saved run sharing a name with some of the file's: the warning lists it.
    make_run(task_name="shared-name", task_title="Saved before")
    codes = list(rules.WARNING_CODES)

    batch = importing.preview(importing.parse(name, data))
    bulk_verdicts = verdicts(batch)
    result = importing.apply(batch, by=editor, acknowledged=codes)
    bulk = saved_state()
    assert len(result.created) == sum(doc.status == importing.NEW for doc in batch.documents)

    TaskRun.objects.exclude(task_title="Saved before").delete()
    TaskRun.history.exclude(task_title="Saved before").delete()
    batch = importing.parse(name, data)
    one_by_one(batch, by=editor, acknowledged=codes)
    assert verdicts(batch) == bulk_verdicts
    assert saved_state() == bulk


def test_preview_warnings_are_those_each_run_gets_on_its_own(make_run):
    for number in range(7):
        make_run(task_name="shared-name", task_title=f"Saved {number}")
    batch = importing.preview(importing.parse("runs.jsonl", jsonl(varied_configs(30))))
    new = [doc for doc in batch.documents if doc.status == importing.NEW]
    assert any(w.code == "task_name_shared" for doc in new for w in doc.warnings)
    for doc in new:
        alone = services.warnings_for(doc.run)  # a query of its own for the name
        assert doc.warnings[: len(alone)] == alone


def import_queries(count, editor):
    data = jsonl({**TASK, "task_title": f"Run {n}", "task_name": f"n-{n}"} for n in range(count))
    batch = importing.parse("runs.jsonl", data)
    with CaptureQueriesContext(connection) as queries:
        result = importing.apply(batch, by=editor)
    assert len(result.created) == count
    return len(queries)


def test_an_import_costs_the_same_queries_for_10_runs_as_for_200(editor, django_assert_num_queries):
    # The saved runs with these titles; those with these task names, for the
    # preview and again for the save; the runs, then their history rows (one
    # INSERT each up to 500 runs); two savepoints (apply's, run_create_many's);
    # on PostgreSQL, the lock that lets one import through at a time.
    queries = 9 + (connection.vendor == "postgresql")
    assert import_queries(10, editor) == queries
    TaskRun.objects.all().delete()
    data = jsonl({**TASK, "task_title": f"Run {n}", "task_name": f"n-{n}"} for n in range(200))
    batch = importing.parse("runs.jsonl", data)
    with django_assert_num_queries(queries):
        importing.apply(batch, by=editor)
    assert TaskRun.objects.count() == TaskRun.history.filter(history_type="+").count() - 10 == 200


def test_a_bad_run_at_the_end_of_many_saves_nothing(editor):
    runs = [TaskRun(**{**RUN, "task_title": f"Run {n}"}) for n in range(600)]
    runs.append(TaskRun(**{**RUN, "task_reward": -1}))
    with pytest.raises(ValidationError):
        services.run_create_many(runs, by=editor, via="test")
    assert not TaskRun.objects.exists()
    assert not TaskRun.history.exists()


def test_a_warning_an_earlier_run_of_the_file_brings_on_refuses_the_whole_import(editor):
    # Saved one by one, the first run's name makes the second's shared.
    runs = [TaskRun(**{**RUN, "task_name": "same", "task_title": f"Run {n}"}) for n in range(2)]
    with pytest.raises(services.UnreadWarnings) as error:
        services.run_create_many(runs, by=editor, via="test")
    assert (error.value.run, error.value.codes) == (runs[1], ["task_name_shared"])
    assert not TaskRun.objects.exists()


def test_bulk_created_runs_carry_who_and_how_in_their_history(editor):
    runs = [TaskRun(**{**RUN, "task_title": f"Run {n}"}) for n in range(3)]
    services.run_create_many(runs, by=editor, via="import: runs.jsonl")
    for run in runs:
        [record] = run.history.all()
        assert (record.history_type, record.history_user, record.version) == ("+", editor, 1)
        assert record.history_change_reason == "import: runs.jsonl"
        assert (run.created_by, run.updated_by, run.version) == (editor, editor, 1)
    with pytest.raises(ValueError, match="creates new runs only"):
        services.run_create_many(runs, by=editor, via="again")


def test_bulk_created_runs_read_back_as_they_were_saved_and_dated_in_their_history(editor):
    runs = [
        TaskRun(
            **{**RUN, "task_title": f"Run {n}"},
            aux_parameters={"nested": {"list": [1, "two", None]}},
            defaults=["_self_", {"blueprint": "static_task"}],
            blueprint="static_task",
            blueprint_source="task.html",
            blueprint_args={"data_csv": "data.csv"},
        )
        for n in range(3)
    ]
    services.run_create_many(runs, by=editor, via="import: runs.jsonl")
    for run in runs:
        stored = TaskRun.objects.get(pk=run.pk)
        for field in TaskRun._meta.concrete_fields:
            assert getattr(stored, field.attname) == getattr(run, field.attname), field.name
        [record] = stored.history.all()
        assert record.history_date == stored.created_at
        assert record.instance.aux_parameters == {"nested": {"list": [1, "two", None]}}


# Values bulk_create would have sent through each field's get_db_prep_save, which
# tasks.bulk sends as they are or prepares itself.
INTEGER_MAX = querystrings.INTEGER_MAX
KOLKATA = timezone(timedelta(hours=5, minutes=30))
EDGE_VALUES = {
    "reward of the most digits": {"task_reward": Decimal("99999999.99")},
    "reward written with an exponent": {"task_reward": Decimal("1E+1")},
    "reward as a whole number": {"task_reward": 3},
    "reward of zero": {"task_reward": Decimal("0.00")},
    "integers at the column's limit": {
        "task_lifetime_in_seconds": INTEGER_MAX,
        "assignment_duration_in_seconds": INTEGER_MAX,
        "no_submission_patience": INTEGER_MAX,
        "allowed_concurrent": INTEGER_MAX,
        "maximum_units_per_worker": INTEGER_MAX,
        "max_num_concurrent_units": INTEGER_MAX,
        "submission_timeout": INTEGER_MAX,
        "planned_units": INTEGER_MAX,
    },
    "text beyond ASCII, escapes and line breaks": {
        "task_title": "Ünïcödé ☃ 𝄞 \\u0000",
        "task_description": "line 1\r\nline 2\ttab \\x00 ${not.resolved}",
        "task_tags": "𝄞, ü, ü",
        "task_name": "  naïve  ",
    },
    "JSON beyond ASCII, with escapes, nested lists and big numbers": {
        "aux_parameters": {
            "ü": ["\\u0000", [1, [2.5, None, True, -0.0]], {"": ""}],
            "big": 2**62,
            "small": -1.5e-300,
        },
        "blueprint_args": {"data_json": "𝄞.json", "list": [[[]]]},
    },
    "nullable fields left empty": {"estimated_minutes": None, "planned_units": None},
    "a launched run's dates in another time zone": {
        "status": "launched",
        "launched_at": datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=KOLKATA),
        "mephisto_task_run_id": "7",
        "mephisto_created_at": datetime(2024, 2, 29, 23, 59, 59, tzinfo=UTC),
    },
}


def raw_rows(model):
    """Every row of `model`'s table as the database holds it (no converters), ids
    and times of the save left out."""
    skipped = {"id", "created_at", "updated_at", "history_id", "history_date"}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {model._meta.db_table} ORDER BY 1")
        names = [column[0] for column in cursor.description]
        return [
            {name: value for name, value in zip(names, row, strict=True) if name not in skipped}
            for row in cursor.fetchall()
        ]


@pytest.mark.parametrize("values", EDGE_VALUES.values(), ids=EDGE_VALUES)
def test_bulk_created_runs_store_exactly_what_run_save_stores(editor, values):
    codes = list(rules.WARNING_CODES)
    services.run_create_many(
        [TaskRun(**{**RUN, **values})], by=editor, via="import: edge.json", acknowledged=codes
    )
    bulk = saved_state(), raw_rows(TaskRun), raw_rows(TaskRun.history.model)
    TaskRun.objects.all().delete()
    TaskRun.history.all().delete()
    services.run_save(
        TaskRun(**{**RUN, **values}), by=editor, via="import: edge.json", acknowledged=codes
    )
    assert (saved_state(), raw_rows(TaskRun), raw_rows(TaskRun.history.model)) == bulk


@pytest.mark.django_db(transaction=True)
def test_one_file_imported_twice_at_once_is_imported_once(editor):
    """Two imports of one file side by side (two API posts, two workers): the second
    finds the first's runs identical, as it would after it, on both databases."""
    data = jsonl({**TASK, "task_title": f"Run {n}"} for n in range(3))
    imported, release = threading.Event(), threading.Event()
    second = []

    def first_import():
        with transaction.atomic():  # held open until the second has started
            importing.apply(importing.parse("runs.jsonl", data), by=editor)
            imported.set()
            release.wait(10)
        connection.close()

    def second_import():
        second.append(importing.apply(importing.parse("runs.jsonl", data), by=editor))
        connection.close()

    threads = [threading.Thread(target=first_import), threading.Thread(target=second_import)]
    threads[0].start()
    imported.wait(10)
    threads[1].start()
    threads[1].join(1)  # it waits for the first to commit, or has imported meanwhile
    release.set()
    for thread in threads:
        thread.join(20)
    assert (len(second[0].created), second[0].identical) == (0, 3)
    assert TaskRun.objects.count() == TaskRun.history.count() == 3


def recorder():
    calls = []
    return calls, lambda done, total: calls.append((done, total))


def test_parse_preview_and_apply_report_progress_up_to_their_total(editor):
    data = jsonl({**TASK, "task_title": f"Run {n}"} for n in range(600))
    read, progress = recorder()
    batch = importing.parse("runs.jsonl", data, progress=progress)
    assert read == [(250, None), (500, None), (600, 600)]

    previewed, progress = recorder()
    importing.preview(batch, progress=progress)
    assert previewed == [(250, 600), (500, 600), (600, 600)]

    applied, progress = recorder()
    importing.apply(batch, by=editor, progress=progress)
    done = [done for done, _ in applied]
    assert done == sorted(done) and done[-1] == 1800
    assert {total for _, total in applied} == {1800}


def test_apply_with_nothing_new_still_ends_its_progress(editor, make_run):
    make_run(**RUN)
    batch = importing.parse("run.json", json.dumps(TASK).encode())
    applied, progress = recorder()
    assert importing.apply(batch, by=editor, progress=progress).created == []
    assert applied[-1] == (3, 3)


def test_a_file_over_the_run_cap_is_refused(settings):
    assert settings.TASKADMIN_IMPORT_MAX_RUNS == 200_000
    settings.TASKADMIN_IMPORT_MAX_RUNS = 5
    with pytest.raises(importing.ImportFailure) as error:
        importing.parse("runs.jsonl", jsonl([TASK] * 6))
    assert str(error.value) == (
        "runs.jsonl holds more than 5 task runs; import at most that many at a time."
    )


def test_a_list_of_documents_may_hold_more_values_than_one_document():
    # 4,000 items of 31 values: more than MAX_NODES together, each far below it.
    data = json.dumps([[1] * 30] * 4000).encode()
    batch = importing.parse("runs.json", data)
    assert len(batch.documents) == 4000
    assert batch.errors[0] == "runs.json item 1: must be a mapping of task fields, not a list."


def test_one_document_over_the_value_limit_is_refused_by_its_place():
    data = json.dumps([TASK, {"mephisto": {"x": [0] * importing.MAX_NODES}}]).encode()
    with pytest.raises(importing.ImportFailure) as error:
        importing.parse("runs.json", data)
    assert str(error.value) == "runs.json item 2 holds more than 100000 values."


def test_the_import_command_draws_no_progress_bar_off_a_terminal(tmp_path, capsys):
    path = tmp_path / "runs.jsonl"
    path.write_bytes(jsonl({**TASK, "task_title": f"Run {n}"} for n in range(300)))
    call_command("import_task_runs", str(path))
    captured = capsys.readouterr()
    assert captured.err == ""
    assert (
        captured.out.splitlines()[-1] == "Imported 300 task runs; skipped 0 identical, 0 invalid."
    )


def test_an_upload_applied_from_the_stash_reports_its_progress(editor):
    upload = stash.put(
        editor, "runs.jsonl", jsonl({**TASK, "task_title": f"R{n}"} for n in range(3))
    )
    applied, progress = recorder()
    batch = importing.parse(upload.name, bytes(upload.data))
    result = stash.apply(upload, batch, by=editor, progress=progress)
    assert len(result.created) == 3
    assert applied[-1] == (9, 9)
