"""Realistic, varied task runs in bulk: for demos, load tests and the benchmark.

`fake_runs` builds unsaved runs that pass the model's validation; `seed_runs`
writes them in batches with `bulk_create`, so 100,000 runs take seconds, not
the minutes that 100,000 `save()` calls would.
"""

import random
from decimal import Decimal

from django.db import connections, transaction

from tasks.models import TaskRun
from tasks.tags import normalize_tags

VERBS = ("Label", "Rate", "Transcribe", "Describe", "Compare", "Annotate", "Review", "Translate")
THINGS = (
    "street images",
    "product photos",
    "news headlines",
    "short dialogues",
    "bird recordings",
    "medical abstracts",
    "chat transcripts",
    "handwritten receipts",
    "movie reviews",
    "satellite tiles",
)
STAGES = ("pilot", "batch", "round", "wave")
SENTENCES = (
    "Read the instructions carefully before you start.",
    "Each unit takes about two minutes.",
    "Answers are checked against gold questions.",
    "Skip any item you cannot judge with confidence.",
    "Use the keyboard shortcuts shown under the task to go faster.",
    "Please do not use machine translation.",
    "Contact the requester through the platform if something is unclear.",
)
TAGS = (
    "images",
    "text",
    "audio",
    "labelling",
    "rating",
    "transcription",
    "nlp",
    "vision",
    "quick",
    "survey",
    "pilot",
    "english",
    "multilingual",
    "qualification",
)
REWARDS = tuple(Decimal(cents) / 100 for cents in (0, 5, 10, 25, 50, 75, 100, 150, 250, 500))
LIFETIMES = (3600, 86400, 604800, 2678400)
ASSIGNMENT_DURATIONS = (300, 900, 1800, 3600)
PATIENCES = (3600, 21600, 43200, 86400)
SUBMISSION_TIMEOUTS = (0, 120, 600)
LIMITS = (0, 0, 0, 1, 2, 5, 10, 50)
SCRIPTS = ("", "", "", "", "link_packages.sh", "scripts/post_install.sh")
CLONE_SHARE = 0.1


def fake_run(rng, number):
    """One varied, valid, unsaved run; `number` makes its title and task name unique."""
    thing = rng.choice(THINGS)
    stage = rng.choice(STAGES)
    aux = {}
    if rng.random() < 0.6:
        aux = {
            "units_per_assignment": rng.randint(1, 20),
            "gold_share": rng.choice((0.05, 0.1, 0.2)),
            "dataset": f"{thing.replace(' ', '_')}/v{rng.randint(1, 9)}",
            "languages": rng.sample(("en", "de", "fr", "es", "zh", "hi"), rng.randint(1, 3)),
        }
    return TaskRun(
        task_name=(
            "" if rng.random() < 0.2 else f"{thing.split()[-1]}-{stage}-{number}".replace(" ", "-")
        ),
        task_title=f"{rng.choice(VERBS)} the {thing} ({stage} {number})",
        task_description=" ".join(rng.sample(SENTENCES, rng.randint(2, 4))),
        task_reward=rng.choice(REWARDS),
        task_tags=normalize_tags(", ".join(rng.sample(TAGS, rng.randint(1, 4)))),
        task_lifetime_in_seconds=rng.choice(LIFETIMES),
        assignment_duration_in_seconds=rng.choice(ASSIGNMENT_DURATIONS),
        no_submission_patience=rng.choice(PATIENCES),
        allowed_concurrent=rng.choice(LIMITS),
        maximum_units_per_worker=rng.choice(LIMITS),
        max_num_concurrent_units=rng.choice(LIMITS),
        submission_timeout=rng.choice(SUBMISSION_TIMEOUTS),
        post_install_script=rng.choice(SCRIPTS),
        force_rebuild=rng.random() < 0.1,
        resume_incomplete_run=rng.random() < 0.3,
        aux_parameters=aux,
    )


def seed_runs(count, *, batch_size=2000, seed=0, by=None):
    """Create `count` runs in batches; about one in ten is a clone of an earlier one.

    Returns the number created. Deterministic for a given `seed` (apart from
    timestamps and primary keys), so benchmarks compare like with like.
    """
    rng = random.Random(seed)
    start = TaskRun.objects.count()
    created = 0
    previous = []  # the last saved batch: what clones are made from
    while created < count:
        batch = []
        for number in range(start + created, start + min(created + batch_size, count)):
            if previous and rng.random() < CLONE_SHARE:
                batch.append(rng.choice(previous).clone(by=by))
            else:
                run = fake_run(rng, number)
                run.created_by = run.updated_by = by
                batch.append(run)
        with transaction.atomic():
            # bulk_create skips save(): fake_run already stores tags normalised.
            previous = TaskRun.objects.bulk_create(batch)
        created += len(batch)
    _tidy_up(connections[TaskRun.objects.db])
    return created


def _tidy_up(connection):
    """Fresh statistics, so the query planner knows the table grew.

    PostgreSQL's autovacuum would catch up within minutes, SQLite never by
    itself. On PostgreSQL, VACUUM also merges the trigram indexes' pending
    lists, which every search reads through until then (outside a transaction
    only: VACUUM cannot run inside one).
    """
    table = TaskRun._meta.db_table
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute(f"{'VACUUM ' if vacuum else ''}ANALYZE {table}")
