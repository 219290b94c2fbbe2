"""Pages cost the same number of queries whatever the number of runs they show.

The counts are pinned: a change that adds a query per row (or per page) shows up
here as a failure, at 5 runs and at 50 alike.
"""

import pytest
from django.urls import reverse

from tasks import services

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
