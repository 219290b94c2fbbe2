"""Syncing from a Mephisto database built by Mephisto 1.1.1's own code (tests/mephisto.py):
runs launched from Taskadmin exports are linked, the others imported, and each
linked run shows its progress and spend against its estimate."""

import sqlite3
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from tasks import exporting, mephisto_sync
from tasks.models import ImportUpload, Job, MephistoProgress, MephistoUnlink, TaskRun
from tests.mephisto import build_database, handmade_database, mephisto_node
from tests.worker import start_worker

LABELS = {
    "task_name": "label-pictures",
    "task_title": "Label the pictures",
    "task_description": "Look at each picture and pick the label that fits best.",
    "task_reward": Decimal("0.50"),
    "task_tags": "images, labelling",
    "provider": "mturk_sandbox",
    "architect": "local",
    "blueprint": "static_task",
    "blueprint_source": "${task_dir}/webapp/task.html",
    "architect_args": {"hostname": "localhost"},
    "top_level": {"task_dir": "/srv/tasks/labels"},
    "planned_units": 3,
}
RATINGS = {
    "task_title": "Rate the sentences",
    "task_description": "Say how natural each sentence sounds.",
    "task_reward": Decimal("0.20"),
    "task_tags": "text",
    "provider": "mock",
    "architect": "local",
    "blueprint": "static_task",
    "blueprint_source": "/srv/tasks/ratings/task.html",
    "planned_units": 10,
}
AUDIO = {
    "task_title": "Transcribe the audio",
    "task_description": "Write down what you hear.",
    "task_reward": Decimal("1.00"),
    "task_tags": "audio",
    "provider": "mock",
    "architect": "local",
    "blueprint": "static_task",
    "blueprint_source": "/srv/tasks/audio/task.html",
}
DAY = "2026-11-02"
LABEL_UNITS = [
    {"status": "accepted", "worker": "w1", "at": f"{DAY} 10:05:00"},
    {"status": "accepted", "worker": "w2", "at": f"{DAY} 11:10:00"},
    {"status": "soft_rejected", "worker": "w3", "at": f"{DAY} 12:00:00"},
    {"status": "rejected", "worker": "w1", "at": f"{DAY} 12:30:00"},
    {"status": "launched"},
    {"status": "expired", "worker": "w4", "at": f"{DAY} 13:00:00"},
]


def export_of(values):
    """The YAML a researcher downloads for a run with `values` (exported for 1.1)."""
    run = TaskRun(**values)
    run.full_clean(validate_constraints=False)  # no database here: module scope
    return exporting.to_yaml(run, target="1.1")


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A database.db Mephisto made: the labels run (6 units), the ratings run (1),
    and an audio run launched from a config Taskadmin never saw."""
    path = tmp_path_factory.mktemp("mephisto") / "database.db"
    ids = build_database(
        path,
        [
            {"config": export_of(LABELS), "created": f"{DAY} 09:00:00", "units": LABEL_UNITS},
            {
                "config": export_of(RATINGS),
                "created": f"{DAY} 09:30:00",
                "units": [{"status": "completed", "worker": "w5", "at": f"{DAY} 10:00:00"}],
            },
            {"config": export_of(AUDIO), "created": f"{DAY} 09:45:00", "units": []},
        ],
    )
    assert ids == ["1", "2", "3"]
    return path


@pytest.fixture
def drafts(make_run):
    return make_run(**LABELS), make_run(**RATINGS)


def sync(path, capsys=None):
    call_command("sync_mephisto", str(path))
    return capsys.readouterr().out.splitlines() if capsys else None


@pytest.mark.django_db
def test_runs_launched_from_exports_are_linked_and_the_rest_imported(database, drafts, capsys):
    labels, ratings = drafts
    out = sync(database, capsys)
    labels.refresh_from_db()
    ratings.refresh_from_db()
    audio = TaskRun.objects.get(task_title="Transcribe the audio")
    assert out == [
        f"linked     Mephisto run 1 → #{labels.pk} Label the pictures",
        f"linked     Mephisto run 2 → #{ratings.pk} Rate the sentences",
        f"imported   Mephisto run 3 → #{audio.pk} Transcribe the audio",
        "Synced database.db: 2 runs linked, 1 imported, progress read for 3.",
    ]
    assert (labels.status, labels.mephisto_task_run_id) == ("launched", "1")
    assert labels.launched_at == labels.mephisto_created_at == datetime(2026, 11, 2, 9, tzinfo=UTC)
    assert labels.history.first().history_change_reason == (
        "sync: database.db: linked to Mephisto run 1"
    )
    assert (ratings.status, ratings.mephisto_task_run_id) == ("launched", "2")
    assert (audio.status, audio.mephisto_task_run_id) == ("launched", "3")
    assert audio.history.first().history_change_reason == (
        "sync: database.db: imported Mephisto run 3"
    )
    assert {p.run_id: p.link for p in MephistoProgress.objects.all()} == {
        labels.pk: "launched",
        ratings.pk: "launched",
        audio.pk: "imported",
    }


@pytest.mark.django_db
def test_progress_and_spend_of_a_linked_run(database, drafts):
    labels, _ = drafts
    sync(database)
    labels.refresh_from_db()
    progress = mephisto_sync.progress_of(labels)
    synced_at = progress.pop("synced_at")
    assert datetime.fromisoformat(synced_at) <= datetime.now(UTC)
    assert progress == {
        "mephisto_task_run_id": "1",
        "link": "launched",
        "source": "database.db",
        "units": 6,
        "finished": 4,  # accepted 2, soft-rejected 1, rejected 1
        "planned_units": 3,
        "units_by_status": {
            "launched": 1,
            "accepted": 2,
            "soft_rejected": 1,
            "rejected": 1,
            "expired": 1,
        },
        "workers": 4,
        "currency": "$",
        # Mephisto's spent budget: accepted, soft-rejected and launched units.
        "rewards": "2.00",
        "fee": "0.40",  # MTurk's 20%, as the estimate computes it
        "spent": "2.40",
        "estimate": "1.80",  # 3 planned units of $0.50, plus 20%
        "over_estimate": True,
        "series": [
            ["2026-11-02T10:00:00+00:00", 1, "0.60"],
            ["2026-11-02T11:00:00+00:00", 2, "1.20"],
            ["2026-11-02T12:00:00+00:00", 4, "1.80"],
            ["2026-11-02T13:00:00+00:00", 4, "1.80"],
            # The launched unit, which no worker took, counts from its creation.
            [progress["series"][-1][0], 4, "2.40"],
        ],
    }


@pytest.mark.django_db
def test_a_run_within_its_estimate_is_not_flagged(database, drafts):
    _, ratings = drafts
    sync(database)
    ratings.refresh_from_db()
    progress = mephisto_sync.progress_of(ratings)
    assert (progress["spent"], progress["estimate"], progress["over_estimate"]) == (
        "0.20",
        "2.00",
        False,
    )
    assert (progress["finished"], progress["workers"]) == (1, 1)


@pytest.mark.django_db
def test_syncing_twice_changes_nothing_the_second_time(database, drafts, capsys):
    sync(database)
    runs = {
        run.pk: (run.version, run.status, run.mephisto_task_run_id) for run in TaskRun.objects.all()
    }
    history = TaskRun.history.count()
    figures = list(MephistoProgress.objects.values_list("run", "units", "spent", "series"))
    capsys.readouterr()
    out = sync(database, capsys)
    assert out == ["Synced database.db: 0 runs linked, 0 imported, progress read for 3."]
    assert {
        r.pk: (r.version, r.status, r.mephisto_task_run_id) for r in TaskRun.objects.all()
    } == runs
    assert TaskRun.history.count() == history
    assert list(MephistoProgress.objects.values_list("run", "units", "spent", "series")) == figures


@pytest.mark.django_db
def test_a_draft_whose_config_differs_is_not_linked(database, make_run):
    other = make_run(**{**LABELS, "task_reward": Decimal("0.60")})
    sync(database)
    other.refresh_from_db()
    assert (other.status, other.mephisto_task_run_id) == ("draft", "")
    # Mephisto's run 1 matched nothing, so it came in as a run of its own.
    imported = TaskRun.objects.get(mephisto_task_run_id="1")
    assert (imported.task_reward, imported.status) == (Decimal("0.50"), "launched")


@pytest.mark.django_db
def test_a_different_launch_setup_is_not_linked(database, make_run):
    other = make_run(**{**LABELS, "architect_args": {"hostname": "example.org"}})
    sync(database)
    other.refresh_from_db()
    assert other.mephisto_task_run_id == ""


@pytest.mark.django_db
def test_a_run_marked_launched_by_hand_is_given_the_id(database, make_run, editor):
    run = make_run(**RATINGS)
    run.status, run.launched_at = "launched", datetime(2026, 11, 2, 9, 31, tzinfo=UTC)
    run.save()
    sync(database)
    run.refresh_from_db()
    assert (run.status, run.mephisto_task_run_id) == ("launched", "2")
    assert run.launched_at == datetime(2026, 11, 2, 9, 31, tzinfo=UTC)
    assert run.mephisto_progress.link == "marked"


@pytest.mark.django_db
def test_unlinking_from_the_run_page_undoes_the_link_and_sticks(
    database, drafts, editor_client, editor, capsys
):
    labels, _ = drafts
    sync(database)
    response = editor_client.post(reverse("tasks:run-unlink", args=[labels.pk]))
    assert response.status_code == 302
    labels.refresh_from_db()
    assert (labels.status, labels.mephisto_task_run_id, labels.launched_at) == ("draft", "", None)
    assert labels.history.first().history_change_reason == ("browser: unlinked from Mephisto run 1")
    assert labels.history.first().history_user == editor
    assert not MephistoProgress.objects.filter(run=labels).exists()
    assert MephistoUnlink.objects.get().mephisto_task_run_id == "1"
    capsys.readouterr()
    out = sync(database, capsys)
    labels.refresh_from_db()
    assert labels.mephisto_task_run_id == ""
    assert out == [
        f"skipped    Mephisto run 1 matches no run, and was unlinked by hand from #{labels.pk}:"
        " left alone.",
        "Synced database.db: 0 runs linked, 0 imported, progress read for 2, 1 skipped.",
    ]


@pytest.mark.django_db
def test_the_run_page_shows_progress_spend_and_a_chart(database, drafts, viewer_client):
    labels, _ = drafts
    sync(database)
    page = viewer_client.get(labels.get_absolute_url()).content.decode()
    assert "<progress" in page
    assert "4 of 3 planned units finished" in page
    assert "Spent $2.40" in page
    assert "over the estimate of $1.80" in page
    assert "<svg" in page
    assert "Unlink" not in page  # a viewer cannot change runs


@pytest.mark.django_db
def test_the_list_shows_progress(database, drafts, viewer_client):
    sync(database)
    page = viewer_client.get(reverse("tasks:run-list")).content.decode()
    assert "4/3 units" in page
    assert "$2.40 of $1.80" in page


@pytest.mark.django_db
def test_sync_without_a_path_reads_the_setting(database, drafts, settings, capsys):
    settings.MEPHISTO_DATABASE = str(database)
    call_command("sync_mephisto")
    assert capsys.readouterr().out.splitlines()[-1] == (
        "Synced database.db: 2 runs linked, 1 imported, progress read for 3."
    )


@pytest.mark.parametrize("size", [3, 30])
@pytest.mark.parametrize(
    "page",
    ["tasks:run-list", "tasks:run-detail", "admin:tasks_taskrun_changelist"],
)
def test_pages_with_progress_cost_a_fixed_number_of_queries(
    editor_client, tmp_path, django_assert_num_queries, page, size
):
    # Hand-written (fast) Mephisto rows: every run imported, each with units.
    path = handmade_database(
        tmp_path / "database.db",
        [mephisto_node(task_title=f"Run {n}") for n in range(size)],
        units=[(n + 1, "accepted", 0.5, n) for n in range(size)],
    )
    mephisto_sync.apply(mephisto_sync.read_path(path), by=None)
    assert MephistoProgress.objects.count() == size
    run = TaskRun.objects.order_by("pk").last()
    url = reverse(page, args=[run.pk]) if page == "tasks:run-detail" else reverse(page)
    # As in test_query_counts: session, user, 2 × permissions, a capped count and
    # the page (or the run and its recent versions): progress rides along.
    with django_assert_num_queries(6):
        response = editor_client.get(url)
    assert response.status_code == 200
    marker = 'id="mephisto-progress"' if page == "tasks:run-detail" else "1/1 units"
    assert marker in response.content.decode()


@pytest.mark.django_db
def test_the_admin_unlink_action(database, drafts, admin_client):
    labels, _ = drafts
    sync(database)
    response = admin_client.post(
        reverse("admin:tasks_taskrun_changelist"),
        {"action": "unlink_mephisto", "_selected_action": [labels.pk]},
    )
    assert response.status_code == 302
    labels.refresh_from_db()
    assert (labels.status, labels.mephisto_task_run_id) == ("draft", "")
    assert labels.history.first().history_change_reason == "admin: unlinked from Mephisto run 1"


def _node(source, **task):
    node = mephisto_node(**task)
    node["blueprint"]["task_source"] = source
    return node


def _run(source, **values):
    return TaskRun(
        task_title="Handmade",
        task_description="D",
        task_reward=Decimal("0.50"),
        task_tags="t",
        provider="mock",
        architect="local",
        blueprint="static_task",
        blueprint_source=source,
        **values,
    )


@pytest.mark.parametrize(
    ("ours", "theirs", "expected"),
    [
        ("/srv/task.html", "/srv/task.html", True),
        ("/srv/task.html", "/srv/other.html", False),
        ("${task_dir}/task.html", "/home/me/labels/task.html", True),
        ("${task_dir}/task.html", "/home/me/labels/task.htm", False),
        ("${task_dir}/webapp/${oc.env:NAME}.html", "/x/webapp/labels.html", True),
        ("${task_dir}/webapp/${oc.env:NAME}.html", "/x/app/labels.html", False),
        # Escaped: the characters ${, not an interpolation.
        ("/srv/\\${task_dir}.html", "/srv/${task_dir}.html", True),
        ("/srv/\\${task_dir}.html", "/srv/anything.html", False),
    ],
)
def test_matching_reads_interpolations_as_mephisto_resolved_them(ours, theirs, expected):
    assert mephisto_sync.matches(_run(ours), _node(theirs)) is expected


def test_matching_a_crafted_value_against_many_interpolations_is_linear():
    ours = "/${a}" * 40 + ".html"
    theirs = "/" + "a/" * 500_000 + "x"  # no ".html": every piece is tried, once
    assert mephisto_sync.matches(_run(ours), _node(theirs)) is False


def test_task_fields_mephisto_does_not_declare_are_not_compared():
    # Exported for 1.5 (with resume_incomplete_run), launched on 1.1.1 without it.
    run = _run("/srv/task.html", resume_incomplete_run=True)
    assert mephisto_sync.matches(run, _node("/srv/task.html")) is True


def test_a_different_task_value_or_launch_choice_does_not_match():
    assert (
        mephisto_sync.matches(_run("/srv/task.html"), _node("/srv/task.html", task_tags="u"))
        is False
    )
    other = _run("/srv/task.html")
    other.provider = "mturk_sandbox"
    assert mephisto_sync.matches(other, _node("/srv/task.html")) is False


# -- The sync page: a background job ---------------------------------------------------------
# Jobs run at once here (tests/settings.py's ImmediateBackend): the request that
# queues the sync has done it by the time it answers, as a worker would have.


def upload_sync(client, path, name="database.db"):
    with open(path, "rb") as file:
        return client.post(
            reverse("tasks:mephisto-sync"), {"database": SimpleUploadedFile(name, file.read())}
        )


def job_of(response):
    """The job a response redirected to."""
    assert response.status_code == 302, response
    prefix = reverse("tasks:job-list")
    assert response["Location"].startswith(prefix)
    return Job.objects.get(pk=response["Location"][len(prefix) :].strip("/"))


@pytest.mark.django_db
def test_an_upload_is_synced_by_a_job_whose_page_says_what_it_did(
    database, drafts, editor_client, editor
):
    labels, ratings = drafts
    job = job_of(upload_sync(editor_client, database))
    audio = TaskRun.objects.get(task_title="Transcribe the audio")
    assert (job.kind, job.status, job.owner, job.error) == (
        "mephisto_sync",
        "succeeded",
        editor,
        "",
    )
    assert job.title == "Sync of database.db"
    assert job.summary == {
        "name": "database.db",
        "line": "2 runs linked, 1 imported, progress read for 3.",
        "task_runs": 3,
        "units": 7,
        "linked": 2,
        "imported": 1,
        "unchanged": 0,
        "updated": 3,
        "skipped": 0,
        "first_linked": [
            {"pk": labels.pk, "title": "Label the pictures", "mephisto": "1"},
            {"pk": ratings.pk, "title": "Rate the sentences", "mephisto": "2"},
        ],
        "first_imported": [{"pk": audio.pk, "title": "Transcribe the audio", "mephisto": "3"}],
        "first_skipped": [],
    }
    labels.refresh_from_db()
    assert (labels.status, labels.mephisto_task_run_id) == ("launched", "1")
    assert labels.history.first().history_user == editor
    assert labels.history.first().history_change_reason == (
        "sync: database.db: linked to Mephisto run 1"
    )
    # The upload waited in the database only for its job.
    assert not ImportUpload.objects.exists()
    page = editor_client.get(job.get_absolute_url()).text
    assert "Synced database.db: 2 runs linked, 1 imported, progress read for 3." in page
    assert 'Units read</dt><dd class="col-sm-8">7</dd>' in page
    assert f'Mephisto run 1 → <a href="{labels.get_absolute_url()}">#{labels.pk} Label' in page
    assert f'Mephisto run 3 → <a href="{audio.get_absolute_url()}">#{audio.pk} Transcribe' in page


@pytest.mark.django_db
def test_syncing_again_counts_the_runs_linked_already_as_unchanged(database, drafts, editor_client):
    job_of(upload_sync(editor_client, database))
    versions = list(TaskRun.objects.order_by("pk").values_list("version", flat=True))
    again = job_of(upload_sync(editor_client, database))
    assert {key: again.summary[key] for key in ("linked", "imported", "unchanged", "updated")} == {
        "linked": 0,
        "imported": 0,
        "unchanged": 3,
        "updated": 3,
    }
    assert list(TaskRun.objects.order_by("pk").values_list("version", flat=True)) == versions
    assert 'Linked already (run unchanged)</dt><dd class="col-sm-8">3</dd>' in (
        editor_client.get(again.get_absolute_url()).text
    )


@pytest.mark.django_db
def test_runs_skipped_are_listed_with_their_reasons(tmp_path, editor_client, make_run):
    path = handmade_database(tmp_path / "database.db", [mephisto_node()])
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE task_runs SET init_params = '{not json'")
    connection.close()
    job = job_of(upload_sync(editor_client, path))
    assert job.summary["skipped"] == 1
    (line,) = job.summary["first_skipped"]
    assert line.startswith("Mephisto run 1 matches no run and cannot be imported: init_params:")
    assert line.replace("'", "&#x27;") in editor_client.get(job.get_absolute_url()).text


@pytest.mark.django_db
def test_the_servers_database_is_synced_by_a_job_too(database, drafts, editor_client, settings):
    settings.MEPHISTO_DATABASE = str(database)
    response = editor_client.post(reverse("tasks:mephisto-sync"), {"source": "server"})
    job = job_of(response)
    assert (job.status, job.title, job.params) == (
        "succeeded",
        f"Sync of the server's {database}",
        {"source": "server"},
    )
    assert job.summary["line"] == "2 runs linked, 1 imported, progress read for 3."
    # Without the setting there is no server's database to sync.
    settings.MEPHISTO_DATABASE = ""
    assert (
        editor_client.post(reverse("tasks:mephisto-sync"), {"source": "server"}).status_code == 400
    )


@pytest.mark.django_db
def test_a_database_that_cannot_be_read_fails_its_job_with_the_reason_and_changes_nothing(
    tmp_path, editor_client, make_run
):
    run = make_run()
    path = handmade_database(tmp_path / "database.db", [mephisto_node()])
    data = bytearray(path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)
    path.write_bytes(bytes(data))
    job = job_of(upload_sync(editor_client, path))
    message = (
        "database.db cannot be read as Mephisto's database (database disk image is malformed)."
    )
    assert (job.status, job.error, job.summary) == ("failed", message, {})
    assert list(TaskRun.objects.values_list("pk", "version")) == [(run.pk, run.version)]
    assert not MephistoProgress.objects.exists() and not ImportUpload.objects.exists()
    page = editor_client.get(job.get_absolute_url()).text
    assert message.replace("'", "&#x27;") in page
    assert "Nothing was changed." in page


@pytest.mark.django_db
def test_what_needs_no_reading_is_refused_at_once_without_a_job(tmp_path, editor_client, settings):
    path = tmp_path / "database.db"
    path.write_text("task_runs,units\n")
    response = upload_sync(editor_client, path)
    assert response.status_code == 400
    assert "database.db is not an SQLite database, so not Mephisto&#x27;s database.db." in (
        response.text
    )
    settings.MEPHISTO_DATABASE = str(tmp_path / "missing.db")
    response = editor_client.post(reverse("tasks:mephisto-sync"), {"source": "server"})
    assert response.status_code == 400
    assert f"{tmp_path / 'missing.db'} does not exist or is not a file." in response.text
    assert not Job.objects.exists() and not ImportUpload.objects.exists()


@pytest.mark.django_db
def test_a_database_on_disk_over_the_path_limit_is_refused_before_it_is_copied(
    tmp_path, editor_client, settings
):
    path = handmade_database(tmp_path / "database.db", [mephisto_node()])
    size = path.stat().st_size
    settings.TASKADMIN_SYNC_MAX_PATH_BYTES = size - 1
    message = (
        f"database.db is {size / 1_000_000:.1f} MB; a sync reads at most"
        f" {(size - 1) / 1_000_000:.1f} MB from the server's disk (TASKADMIN_SYNC_MAX_PATH_BYTES)."
    )
    with pytest.raises(mephisto_sync.SyncFailure) as failure:
        mephisto_sync.read_path(path)
    assert str(failure.value) == message
    with pytest.raises(CommandError) as failure:
        call_command("sync_mephisto", str(path))
    assert str(failure.value) == message
    settings.MEPHISTO_DATABASE = str(path)
    response = editor_client.post(reverse("tasks:mephisto-sync"), {"source": "server"})
    assert response.status_code == 400
    assert not Job.objects.exists() and not TaskRun.objects.exists()


# -- Progress while it runs ---------------------------------------------------------------------


@pytest.mark.django_db
def test_reading_and_applying_report_each_stage_as_they_go(tmp_path):
    path = handmade_database(
        tmp_path / "database.db",
        [mephisto_node(task_title=f"Run {n}") for n in range(60)],
        units=[(1 + n % 60, "accepted", 0.5, n) for n in range(12_000)],
    )
    seen = []
    snapshot = mephisto_sync.read_path(path, progress=lambda *call: seen.append(call))
    mephisto_sync.apply(snapshot, by=None, progress=lambda *call: seen.append(call))
    assert seen == [
        ("copying", 0, None),
        ("task runs", 0, 60),
        ("units", 0, 12_000),
        ("units", 10_000, 12_000),
        ("units", 12_000, 12_000),
        ("agents", 0, 0),
        ("linking", 0, 60),
        ("linking", 50, 60),
        ("figures", 0, 60),
    ]


@pytest.mark.django_db
def test_the_job_page_names_the_stage_of_a_running_sync(editor_client, editor):
    from tasks import background, jobs

    job = Job.objects.create(owner=editor, kind="mephisto_sync", title="Sync of database.db")
    shown = {}

    def work(job, report):
        progress = background.SyncProgress(report)
        progress("task runs", 0, 3)
        progress("units", 10_000, 40_000)
        shown["page"] = editor_client.get(job.get_absolute_url()).text
        return {}

    jobs.run(job.pk, work)
    assert "Reading units: 10000 of 40000 (25%)" in shown["page"]


# -- Who may sync -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_users_who_may_add_and_change_runs_may_sync(client, viewer, tmp_path):
    from tests.conftest import _user

    path = handmade_database(tmp_path / "database.db", [mephisto_node()])
    adder = _user("adder", "view_taskrun", "add_taskrun")
    for user in (viewer, adder):
        client.force_login(user)
        assert client.get(reverse("tasks:mephisto-sync")).status_code == 403
        assert upload_sync(client, path).status_code == 403
        assert client.post(reverse("tasks:mephisto-sync"), {"source": "server"}).status_code == 403
    client.logout()
    response = upload_sync(client, path)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not Job.objects.exists() and not ImportUpload.objects.exists()
    assert not TaskRun.objects.exists()


@pytest.mark.django_db
def test_queueing_a_sync_is_csrf_protected(editor, tmp_path, settings):
    path = handmade_database(tmp_path / "database.db", [mephisto_node()])
    settings.MEPHISTO_DATABASE = str(path)
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert upload_sync(client, path).status_code == 403
    assert client.post(reverse("tasks:mephisto-sync"), {"source": "server"}).status_code == 403
    assert not Job.objects.exists() and not TaskRun.objects.exists()


@pytest.mark.django_db
def test_a_sync_job_page_costs_what_any_job_page_costs(
    tmp_path, editor_client, django_assert_num_queries
):
    path = handmade_database(
        tmp_path / "database.db", [mephisto_node(task_title=f"Run {n}") for n in range(30)]
    )
    job = job_of(upload_sync(editor_client, path))
    assert len(job.summary["first_imported"]) == 20
    # session, user, permissions (user's, groups'), + the job: the summary holds the titles
    with django_assert_num_queries(5):
        page = editor_client.get(job.get_absolute_url()).text
    assert "The first 20 imported" in page


# -- A real worker --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_syncs_an_upload_queued_in_the_database(client, database_tasks, tmp_path):
    """Queued in the database, run by `manage.py db_worker` in another process: the
    upload waits in the database (not on the import page) until the worker syncs it."""
    from tests.conftest import _user

    client.force_login(_user("sync-worker", "view_taskrun", "add_taskrun", "change_taskrun"))
    path = handmade_database(
        tmp_path / "database.db",
        [mephisto_node(task_title=f"Run {n}") for n in range(3)],
        units=[(1 + n % 3, "accepted", 0.5, n) for n in range(300)],
    )
    job = job_of(upload_sync(client, path, name="lab-2.db"))
    assert job.status == "queued"
    assert "Waiting for a worker" in client.get(job.get_absolute_url()).text
    assert ImportUpload.objects.get().purpose == "sync"
    assert "lab-2.db" not in client.get(reverse("tasks:run-import")).text
    worker = start_worker("--batch")
    try:
        output, _ = worker.communicate(timeout=300)
    finally:
        worker.kill()
    assert worker.returncode == 0, output
    job.refresh_from_db()
    assert (job.status, job.error) == ("succeeded", "")
    assert (job.summary["imported"], job.summary["units"]) == (3, 300)
    assert TaskRun.objects.filter(status="launched").count() == 3
    assert not ImportUpload.objects.exists()
    assert "Synced lab-2.db: 0 runs linked, 3 imported" in client.get(job.get_absolute_url()).text
