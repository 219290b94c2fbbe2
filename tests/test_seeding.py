"""seed_task_runs: many varied, valid runs, written in batches."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tasks.models import TaskRun
from tasks.seeding import seed_runs
from tasks.tags import normalize_tags

pytestmark = pytest.mark.django_db


def configs():
    return [
        tuple(getattr(run, name) for name in TaskRun.CONFIG_FIELDS)
        for run in TaskRun.objects.order_by("pk")
    ]


def test_command_adds_the_number_of_runs_asked_for():
    out = StringIO()
    call_command("seed_task_runs", "--count", "250", "--batch-size", "100", stdout=out)
    assert out.getvalue() == "Added 250 task runs.\n"
    assert TaskRun.objects.count() == 250


def test_runs_are_written_in_batches(django_assert_num_queries):
    # One INSERT per batch of 100, each in its transaction, then ANALYZE.
    with django_assert_num_queries(1 + 3 * 3 + 1):
        seed_runs(300, batch_size=100)


def test_seeded_runs_pass_the_models_validation():
    seed_runs(300, batch_size=100)
    for run in TaskRun.objects.order_by("pk")[::7]:
        run.full_clean()


def test_about_one_run_in_ten_is_a_clone_of_an_earlier_one_with_its_config():
    seed_runs(1000, batch_size=100)
    clones = TaskRun.objects.exclude(cloned_from=None).select_related("cloned_from")
    assert 50 <= len(clones) <= 150
    for clone in clones:
        assert clone.cloned_from.pk < clone.pk
        for name in TaskRun.CONFIG_FIELDS:
            assert getattr(clone, name) == getattr(clone.cloned_from, name), name


def test_seeded_runs_vary_in_every_kind_of_field():
    seed_runs(500)
    originals = TaskRun.objects.filter(cloned_from=None)
    assert originals.values("task_title").distinct().count() == originals.count()
    for name in ("task_reward", "task_tags", "task_lifetime_in_seconds", "allowed_concurrent"):
        assert originals.values(name).distinct().count() > 3, name
    assert originals.filter(task_name="").exists()
    assert originals.filter(aux_parameters={}).exists()
    assert originals.exclude(aux_parameters={}).exists()


def test_seeded_tags_are_stored_normalised():
    seed_runs(200)
    for run in TaskRun.objects.all():
        assert run.task_tags == normalize_tags(run.task_tags)


def test_the_same_seed_gives_the_same_runs():
    seed_runs(120, batch_size=50, seed=7)
    first = configs()
    TaskRun.objects.all().delete()
    seed_runs(120, batch_size=50, seed=7)
    assert configs() == first


def test_seeding_again_adds_runs_with_new_titles():
    seed_runs(100)
    seed_runs(100)
    originals = TaskRun.objects.filter(cloned_from=None)
    assert TaskRun.objects.count() == 200
    assert originals.values("task_title").distinct().count() == originals.count()


def test_a_negative_count_is_refused():
    message = "--count must be 0 or more and --batch-size at least 1."
    with pytest.raises(CommandError, match=message):
        call_command("seed_task_runs", "--count", "-1")
