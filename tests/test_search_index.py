"""Search is served by text indexes and always agrees with the runs as they are now."""

import pytest
from django.db import connection
from django.urls import reverse

from tasks import listing
from tasks.models import TaskRun
from tasks.seeding import seed_runs

pytestmark = pytest.mark.django_db


def found(query):
    return sorted(run.task_title for run in listing.search(TaskRun.objects.all(), query))


def test_a_renamed_run_is_found_by_its_new_title_only(make_run):
    run = make_run(task_title="Label the pictures")
    run.task_title = "Transcribe the speech"
    run.save()
    assert found("pictures") == []
    assert found("transcribe") == ["Transcribe the speech"]


def test_a_run_changed_by_a_queryset_update_is_found_by_its_new_tags(make_run):
    run = make_run(task_tags="images")
    TaskRun.objects.filter(pk=run.pk).update(task_tags="audio")
    assert found("images") == []
    assert found("audio") == [run.task_title]


def test_a_deleted_run_is_no_longer_found(make_run):
    make_run(task_title="Label the pictures").delete()
    assert found("label") == []


def test_runs_created_in_bulk_are_found():
    seed_runs(20)
    title = TaskRun.objects.order_by("pk").first().task_title
    assert title in found(title.split("(")[1].rstrip(")"))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("LABEL", ["Label the pictures"]),
        ("abe", ["Label the pictures"]),
        ("la", ["Label the pictures", "Rate 50% of the lines"]),
        ("e", ["Label the pictures", "Rate 50% of the lines"]),
        ("50%", ["Rate 50% of the lines"]),
        ("5%", []),
        ("_pil", ["Rate 50% of the lines"]),
        ("x_p", []),
        ('"the', []),
        ("the*", []),
        ("NOT", []),
        ("lines nlp_pilot", ["Rate 50% of the lines"]),
    ],
)
def test_words_match_literally_in_any_case(make_run, query, expected):
    make_run(task_title="Label the pictures", task_tags="images")
    make_run(task_title="Rate 50% of the lines", task_name="nlp_pilot", task_tags="text, lab")
    assert found(query) == expected


def test_admin_search_uses_the_same_search(admin_client, make_run):
    make_run(task_title="Rate the sentences", task_name="nlp-pilot")
    make_run(task_title="Label the pictures")
    response = admin_client.get(reverse("admin:tasks_taskrun_changelist"), {"q": "PILOT"})
    assert [run.task_title for run in response.context["cl"].result_list] == ["Rate the sentences"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's search table")
def test_sqlite_looks_words_up_in_its_trigram_table():
    plan = listing.search(TaskRun.objects.all(), "pictures").explain()
    assert "VIRTUAL TABLE INDEX" in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's trigram indexes")
def test_postgresql_has_a_trigram_index_per_searched_column():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tasks_taskrun'"
            " AND indexdef LIKE '%gin_trgm_ops%' ORDER BY indexname"
        )
        names = [name for name, _ in cursor.fetchall()]
    assert names == ["taskrun_task_name_trgm", "taskrun_task_tags_trgm", "taskrun_task_title_trgm"]
