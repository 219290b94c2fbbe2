"""The API's list and reads cost the same number of queries whatever the number of runs.

With a token: the token and its user (1), the user's and groups' permissions (2);
then the list's capped count, its page, and the page's users (3).
"""

import pytest

from tasks import services
from tests.api import *  # noqa: F403  (the fixtures)
from tests.api import token_client

CALLS = {
    "list": ("/api/runs/", 6),
    "list searched and sorted": ("/api/runs/?q=run&sort=-reward&page_size=100", 6),
    "list filtered, page 2": ("/api/runs/?provider=mock&status=all&page=2&page_size=2", 6),
    # + the run with its users
    "one run": (None, 4),
}


def fill(make_run, editor, count):
    runs = []
    for number in range(count):
        run = make_run(task_title=f"Run {number}", task_name=f"run-{number}")
        run.task_description = "Edited by the editor"
        runs.append(services.run_save(run, by=editor, via="test"))
    return runs


@pytest.mark.parametrize("size", [5, 50])
@pytest.mark.parametrize("call", CALLS)
def test_the_api_costs_a_fixed_number_of_queries(
    editor, make_run, django_assert_num_queries, call, size
):
    runs = fill(make_run, editor, size)
    client, token = token_client(editor)
    client.get("/api/runs/")  # last_used_at is written at most once a minute: now, not below
    url, expected = CALLS[call]
    with django_assert_num_queries(expected):
        response = client.get(url or f"/api/runs/{runs[-1].pk}")
    assert response.status_code == 200
