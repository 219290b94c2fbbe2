"""The benchmark's and the load test's requests exist: a page that moved would
otherwise be timed as a cheap 404 (bench/ does the timing, never the tests)."""

from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve

from bench import load
from bench import run as bench

VALUES = {"pk": 1, "other": 2, "rare": "pilot-1", "common": "street"}


@pytest.mark.parametrize(
    "page", [*bench.PAGES, *bench.HISTORY_PAGES], ids=lambda page: f"{page.group}: {page.label}"
)
def test_every_benchmarked_page_but_the_api_has_a_route(page):
    path = urlsplit(page.path.format(**VALUES)).path
    try:
        resolve(path, urlconf="bench.urls")
    except Resolver404:
        # The API's endpoints are listed before they exist; the benchmark skips them.
        assert page.group == "api", f"{page.label}: {path} has no route"


def test_every_load_test_action_has_the_statuses_it_may_answer():
    actions = {action for action in load.ACTIONS if action not in ("edit", "clone", "import")}
    assert actions <= set(load.EXPECTED)


@pytest.mark.urls("bench.urls")
def test_the_stock_admin_lists_and_searches_runs(client, superuser, make_run):
    make_run(task_title="Label the street images", task_name="street-pilot-1")
    make_run(task_title="Rate the movie reviews")
    client.force_login(superuser)
    listed = client.get("/stock-admin/tasks/taskrun/")
    assert listed.status_code == 200
    assert "Label the street images" in listed.text
    found = client.get("/stock-admin/tasks/taskrun/", {"q": "street-pilot"})
    assert "Label the street images" in found.text
    assert "Rate the movie reviews" not in found.text
