"""Pages cost the same number of queries whatever the number of runs they show.

The counts are pinned: a change that adds a query per row (or per page) shows up
here as a failure, at 5 runs and at 50 alike.
"""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from tasks import listing, services
from tasks.models import TaskRun
from tests.conftest import VALID_RUN, add_versions

# Every page starts with 4: session, user, user permissions, group permissions.
PAGES = {
    # + a count capped at 10,000 for the pager + one page of runs with their origins
    "list": (reverse("tasks:run-list"), {}, 6),
    "list-search-sorted": (reverse("tasks:run-list"), {"q": "run", "sort": "title"}, 6),
    "list-short-word-search": (reverse("tasks:run-list"), {"q": "ru", "sort": "-reward"}, 6),
    "list-page-2": (reverse("tasks:run-list"), {"page": "2"}, 6),
    # + the run with its origin and users, + its recent versions with their users
    "detail": (None, {}, 6),
    # + one capped count and the page: no full count, no filter or date
    # hierarchy that reads the whole table
    "admin-changelist": (reverse("admin:tasks_taskrun_changelist"), {}, 6),
    "admin-search": (reverse("admin:tasks_taskrun_changelist"), {"q": "run"}, 6),
    "admin-sorted": (reverse("admin:tasks_taskrun_changelist"), {"o": "-1"}, 6),
    "admin-page-2": (reverse("admin:tasks_taskrun_changelist"), {"p": "2"}, 6),
}


def fill(make_run, editor, count):
    """`count` runs, every other one a clone, so rows show their origin too."""
    runs = []
    for number in range(count):
        if runs and number % 2:
            runs.append(services.run_clone(runs[-1], by=editor, acknowledged=["task_name_shared"]))
        else:
            runs.append(
                make_run(task_title=f"Run {number}", task_name=f"run-{number}", task_tags="a, b, c")
            )
    return runs


@pytest.mark.parametrize("size", [5, 50])
@pytest.mark.parametrize("screen", PAGES)
def test_page_costs_a_fixed_number_of_queries(
    editor_client, editor, make_run, django_assert_num_queries, screen, size
):
    runs = fill(make_run, editor, size)
    url, params, expected = PAGES[screen]
    url = url or runs[-1].get_absolute_url()
    with django_assert_num_queries(expected):
        assert editor_client.get(url, params).status_code == 200


# -- A run's history: the same cost at 10 versions as at 300 ---------------------------

HISTORY_TABLE = TaskRun.history.model._meta.db_table

# Each: + the run (with its origin and users) + a bounded read of its versions.
HISTORY_PAGES = {
    # + its newest versions, five and the one before them, with their users
    "detail": ("tasks:run-detail", 6),
    # + one page of versions and the one before them
    "history": ("tasks:run-history", 6),
    # + the two versions asked for
    "diff": ("tasks:run-history-diff", 6),
    # simple-history's page: + the run, + a count and the newest page of versions
    # (a bounded subquery), + the user content type
    "admin-history": ("admin:tasks_taskrun_history", 8),
}


@pytest.mark.parametrize("versions", [10, 300])
@pytest.mark.parametrize("screen", HISTORY_PAGES)
def test_history_pages_read_the_same_whatever_the_number_of_versions(
    editor_client, make_run, django_assert_num_queries, screen, versions
):
    run = add_versions(make_run(), versions - 1)
    name, expected = HISTORY_PAGES[screen]
    newest_two = run.history.order_by("-history_id").values_list("history_id", flat=True)[:2]
    params = {"v": list(newest_two)} if screen == "diff" else {}
    ContentType.objects.clear_cache()  # whichever test ran first filled it
    with django_assert_num_queries(expected) as captured:
        assert editor_client.get(reverse(name, args=[run.pk]), params).status_code == 200
    # Every read of the history table is bounded: a LIMIT, or the ids asked for.
    reads = [q["sql"] for q in captured if HISTORY_TABLE in q["sql"]]
    assert reads
    assert all("LIMIT" in sql or '"history_id" IN (' in sql for sql in reads), reads


# -- Common words and deep pages at more runs than the search counts -------------------


def many_runs(count):
    """`count` runs whose titles all hold "Label", in one INSERT."""
    TaskRun.objects.bulk_create(
        TaskRun(**{**VALID_RUN, "task_title": f"Label batch {number}"}) for number in range(count)
    )


# A search counts its matches up to listing.SEARCH_CAP: past it, a common word
# is found by reading the runs in page order.
PAST_THE_CAP = listing.SEARCH_CAP + 100

DEEP_PAGES = {
    "list-common-word": (reverse("tasks:run-list"), {"q": "label"}, 6),
    "list-common-word-sorted": (reverse("tasks:run-list"), {"q": "label", "sort": "-title"}, 6),
    "list-deep-page": (reverse("tasks:run-list"), {"page": "14"}, 6),
    "list-common-word-deep-page": (reverse("tasks:run-list"), {"q": "label", "page": "10"}, 6),
    "admin-common-word": (reverse("admin:tasks_taskrun_changelist"), {"q": "label"}, 6),
    "admin-common-word-sorted": (
        reverse("admin:tasks_taskrun_changelist"),
        {"q": "label", "o": "-2"},
        6,
    ),
    "admin-common-word-filtered": (
        reverse("admin:tasks_taskrun_changelist"),
        {"q": "label", "status__exact": "draft"},
        6,
    ),
    "admin-deep-page": (reverse("admin:tasks_taskrun_changelist"), {"p": "4"}, 6),
    "admin-common-word-deep-page": (
        reverse("admin:tasks_taskrun_changelist"),
        {"q": "label", "p": "2"},
        6,
    ),
}


@pytest.mark.parametrize("size", [5, PAST_THE_CAP])
@pytest.mark.parametrize("screen", DEEP_PAGES)
def test_common_words_and_deep_pages_cost_the_same_past_the_search_cap(
    editor_client, db, django_assert_num_queries, screen, size
):
    many_runs(size)
    url, params, expected = DEEP_PAGES[screen]
    with django_assert_num_queries(expected):
        response = editor_client.get(url, params)
    assert response.status_code == 200
    asked = params.get("page") or params.get("p")
    if size == PAST_THE_CAP and asked:
        # The deep page asked for, not the first or an error page instead.
        shown = response.context.get("page")
        shown = shown.number if shown else response.context["cl"].page_num
        assert shown == int(asked)


def test_admin_search_for_a_common_word_pages_in_order_past_the_cap(editor_client, db):
    many_runs(PAST_THE_CAP)
    response = editor_client.get(
        reverse("admin:tasks_taskrun_changelist"), {"q": "label", "o": "1", "p": "2"}
    )
    changelist = response.context["cl"]
    assert changelist.paginator.capped
    titles = [run.task_title for run in changelist.result_list]
    assert titles == sorted(titles)
    assert len(titles) == changelist.list_per_page
    assert f"More than {listing.SEARCH_CAP:,} task runs" in response.text
