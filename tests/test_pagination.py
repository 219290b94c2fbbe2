"""Pages count the runs only up to a cap, and sort only on indexed columns."""

import pytest
from django.contrib import admin
from django.urls import reverse

from tasks import listing
from tasks.models import TaskRun
from tasks.pagination import CappedPaginator
from tasks.seeding import seed_runs

pytestmark = pytest.mark.django_db

CAP = CappedPaginator.cap
LIST = reverse("tasks:run-list")
CHANGELIST = reverse("admin:tasks_taskrun_changelist")


class CapOfThree(CappedPaginator):
    cap = 3


@pytest.fixture
def past_the_cap(db):
    """One run more than the paginator counts."""
    seed_runs(CAP + 1, batch_size=5000)


def test_cap_is_ten_thousand():
    assert CAP == 10_000


@pytest.mark.parametrize(
    ("runs", "count", "capped", "pages"),
    [(0, 0, False, 1), (2, 2, False, 1), (3, 3, False, 2), (4, 3, True, 2), (9, 3, True, 2)],
)
def test_count_stops_at_the_cap(make_run, runs, count, capped, pages):
    for number in range(runs):
        make_run(task_title=f"Run {number}")
    paginator = CapOfThree(TaskRun.objects.all(), 2)
    assert (paginator.count, paginator.capped, paginator.num_pages) == (count, capped, pages)


def test_counting_is_one_query_that_reads_at_most_cap_plus_one_rows(
    make_run, django_assert_num_queries
):
    for number in range(5):
        make_run(task_title=f"Run {number}")
    paginator = CapOfThree(listing.runs_for_list("run", "title"), 2)
    with django_assert_num_queries(1) as queries:
        assert (paginator.count, paginator.capped) == (3, True)
    sql = queries.captured_queries[0]["sql"]
    assert "LIMIT 4" in sql
    assert "ORDER BY" not in sql
    assert "JOIN" not in sql


def test_a_list_of_runs_is_counted_too():
    paginator = CapOfThree(["a", "b", "c", "d"], 2)
    assert (paginator.count, paginator.capped) == (3, True)
    assert list(paginator.page(2)) == ["c"]


def test_list_under_the_cap_shows_the_exact_count(viewer_client, make_run):
    make_run()
    make_run()
    html = viewer_client.get(LIST).text
    assert '<span class="text-body-secondary small me-auto">2 runs</span>' in html
    assert ">Export all 2 as JSON</button>" in html
    assert "Pages stop after" not in html


def test_list_past_the_cap_says_more_than_ten_thousand(viewer_client, past_the_cap, settings):
    settings.TASKADMIN_PAGE_SIZE = 25
    html = viewer_client.get(LIST).text
    assert '<span class="text-body-secondary small me-auto">More than 10,000 runs</span>' in html
    assert ">Export all as JSON</button>" in html
    assert "Page 1 of more than 400" in html
    assert (
        "Pages stop after the first 10,000 runs: narrow the search or reverse the sort"
        " to reach the others." in html
    )


def test_list_pages_past_the_cap_show_the_last_counted_page(viewer_client, past_the_cap):
    response = viewer_client.get(LIST, {"page": 9999, "sort": "created"})
    page = response.context["page"]
    assert page.number == page.paginator.num_pages
    assert page[len(page) - 1] == TaskRun.objects.order_by("created_at", "id")[CAP - 1]


def test_admin_past_the_cap_says_more_than_ten_thousand(admin_client, past_the_cap):
    html = admin_client.get(CHANGELIST).text
    assert "More than 10,000 task runs" in html
    assert "Select all matching task runs" in html
    assert "All matching task runs selected" in html
    # A search counts as far as the list page's does.
    search = admin_client.get(CHANGELIST, {"q": "the"}).text
    assert f"More than {listing.SEARCH_CAP:,} results" in search


def test_admin_under_the_cap_shows_the_exact_count(admin_client, make_run):
    make_run()
    html = admin_client.get(CHANGELIST).text
    assert "1 task run\n" in html
    assert "More than" not in html


def test_admin_counts_once_and_never_the_whole_table(admin_client, make_run):
    make_run()
    cl = admin_client.get(CHANGELIST).context["cl"]
    assert cl.show_full_result_count is False
    assert isinstance(cl.paginator, CappedPaginator)


# -- Sorting --------------------------------------------------------------------------


def index_fields():
    return [list(index.fields) for index in TaskRun._meta.indexes]


@pytest.mark.parametrize("key", listing.SORTS)
def test_every_sort_of_the_list_is_an_index(key):
    assert list(listing.SORTS[key]) in index_fields()


def test_admin_sorts_only_by_indexed_columns(admin_client, make_run):
    make_run()
    html = admin_client.get(CHANGELIST).text
    columns = {"task_title": "task_title", "task_name": "task_name", "reward": "task_reward"}
    for column, field in {**columns, "created_at": "created_at"}.items():
        assert [field, "id"] in index_fields()
        assert f'class="sortable column-{column}' in html, column
    for column in ("provider_badge", "status", "cloned_from_link"):
        assert f'<th scope="col" class="column-{column}">' in html, column


def test_admin_has_no_filter_or_date_hierarchy_that_reads_every_run(admin_client, make_run):
    make_run()
    cl = admin_client.get(CHANGELIST).context["cl"]
    assert cl.date_hierarchy is None
    assert cl.model_admin.show_facets == admin.ShowFacets.NEVER
    assert [spec.title for spec in cl.filter_specs] == [
        "status",
        "provider",
        "force rebuild",
        "resume incomplete run",
        "created at",
    ]


# -- Searches -------------------------------------------------------------------------


def test_a_search_counts_up_to_two_hundred_and_fifty(viewer_client):
    seed_runs(listing.SEARCH_CAP + 1)  # every seeded title holds "the"
    html = viewer_client.get(LIST, {"q": "the"}).text
    assert (
        '<span class="text-body-secondary small me-auto">More than 250 runs matching “the”</span>'
        in html
    )
    assert "Pages stop after the first 250 runs" in html


@pytest.mark.parametrize("sort", ["-created", "title", "-reward", "name"])
@pytest.mark.parametrize("number", [1, 2, 10])
def test_a_search_past_its_cap_pages_like_the_indexed_search(sort, number):
    seed_runs(listing.SEARCH_CAP + 50)
    page = listing.page_of_runs("the", sort, listing.DEFAULT_STATUS, number, 25)
    indexed = listing.runs_for_list("the", sort)[(number - 1) * 25 : number * 25]
    assert page.paginator.capped
    assert [run.pk for run in page] == [run.pk for run in indexed]


def test_a_search_past_its_cap_costs_two_queries(django_assert_num_queries):
    seed_runs(listing.SEARCH_CAP + 1)
    with django_assert_num_queries(2):
        assert len(listing.page_of_runs("the", "-created", listing.DEFAULT_STATUS, 1, 25)) == 25


def test_scanning_and_indexed_search_find_the_same_runs(make_run):
    make_run(task_title="Label the pictures", task_tags="images")
    make_run(task_title="Rate the sentences", task_name="nlp-pilot", task_tags="text")
    for query in ("the", "PILOT", "pictures images", "te", "nothing-like-it"):
        indexed = listing.search(TaskRun.objects.all(), query)
        scanned = listing.search(TaskRun.objects.all(), query, indexed=False)
        assert set(indexed) == set(scanned), query


def test_the_last_page_asks_for_a_whole_page_of_rows(make_run, django_assert_num_queries):
    # "LIMIT 1" for a search that finds one run makes PostgreSQL read the runs
    # in order until it meets that one: all of them.
    make_run()
    with django_assert_num_queries(2) as queries:
        assert len(listing.page_of_runs("", "-created", listing.DEFAULT_STATUS, 1, 25)) == 1
    assert queries.captured_queries[1]["sql"].endswith("LIMIT 25")
