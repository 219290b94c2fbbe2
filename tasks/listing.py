"""Searching and sorting the run list: shared by the list page and its export."""

from django.db import connections
from django.db.models import Q
from django.db.models.expressions import RawSQL

from tasks.models import TaskRun
from tasks.pagination import CappedPaginator

# What a column header may ask for, and the ordering it means. The id breaks
# ties so that paging through equal values neither skips nor repeats runs.
SORTS = {
    "title": ("task_title", "id"),
    "name": ("task_name", "id"),
    "reward": ("task_reward", "id"),
    "created": ("created_at", "id"),
    "updated": ("updated_at", "id"),
}
DEFAULT_SORT = "-created"

# The list's status filter: archived runs stay out of sight unless asked for.
STATUS_FILTERS = {
    "current": ("Drafts and launched", ~Q(status=TaskRun.Status.ARCHIVED)),
    "draft": ("Drafts", Q(status=TaskRun.Status.DRAFT)),
    "launched": ("Launched", Q(status=TaskRun.Status.LAUNCHED)),
    "archived": ("Archived", Q(status=TaskRun.Status.ARCHIVED)),
    "all": ("All", Q()),
}
DEFAULT_STATUS = "current"


# SQLite's trigram index of title, task name and tags (migration 0006).
SQLITE_SEARCH_TABLE = "tasks_taskrun_search"


def search(queryset, query, *, indexed=True):
    """Runs whose title, task name or tags contain every word of `query`, in any case.

    Backed by text indexes (migration 0006): PostgreSQL's trigram indexes serve
    these `icontains` lookups as they are. SQLite has no index for them, so
    there the trigram table first narrows the runs to those holding the word's
    trigrams, and `icontains` checks only those. Trigrams need 3 characters:
    shorter words are matched by scanning, on either database. `indexed=False`
    leaves the trigram table out: the same runs, found by checking each in turn.
    """
    words = (query or "").split()
    for word in words:
        queryset = queryset.filter(
            Q(task_title__icontains=word)
            | Q(task_name__icontains=word)
            | Q(task_tags__icontains=word)
        )
    long_words = [word for word in words if len(word) >= 3]
    if indexed and long_words and connections[queryset.db].vendor == "sqlite":
        # One lookup for all the words: FTS5 intersects them itself.
        trigrams = " AND ".join(_trigrams_query(word) for word in long_words)
        queryset = queryset.filter(pk__in=RawSQL(SQLITE_CANDIDATES, [trigrams]))
    return queryset


SQLITE_CANDIDATES = f"SELECT rowid FROM {SQLITE_SEARCH_TABLE} WHERE {SQLITE_SEARCH_TABLE} MATCH %s"


def search_to_count(queryset, query):
    """`search(queryset, query)` shaped for counting its first few matches.

    The same runs. On SQLite the trigram table is joined rather than asked
    for a list of ids: SQLite builds that list whole before it checks a run
    (tens of thousands of ids for a common word at 100,000 runs), while a join
    lets the index hand over its runs one at a time, so a count that stops at
    a cap stops reading there too. Only for counting: a page in an order of
    its own would make SQLite sort every match.
    """
    long_words = [word for word in (query or "").split() if len(word) >= 3]
    if not long_words or connections[queryset.db].vendor != "sqlite":
        return search(queryset, query)
    table, runs = SQLITE_SEARCH_TABLE, queryset.model._meta.db_table
    trigrams = " AND ".join(_trigrams_query(word) for word in long_words)
    # extra(): the ORM has no other way to add a table to the FROM clause.
    return search(queryset, query, indexed=False).extra(
        tables=[table], where=[f"{table} MATCH %s AND {table}.rowid = {runs}.id"], params=[trigrams]
    )


def _trigrams_query(word):
    """An FTS5 query for the runs holding trigrams that cover every letter of `word`.

    Every third trigram and the last one, ANDed: FTS5 answers that faster than
    the phrase of all of them (it skips through the rarest), and `icontains`
    then discards the few runs that hold the trigrams but not the word.
    """
    starts = sorted({*range(0, len(word) - 2, 3), len(word) - 3})
    return " AND ".join('"' + word[i : i + 3].replace('"', '""') + '"' for i in starts)


def parse_sort(value):
    """The sort key a request asked for, or the default when it is not one we offer."""
    if value and value.lstrip("-") in SORTS:
        return value
    return DEFAULT_SORT


def parse_status(value):
    return value if value in STATUS_FILTERS else DEFAULT_STATUS


def sort(queryset, key):
    descending = key.startswith("-")
    fields = SORTS[key.lstrip("-")]
    return queryset.order_by(*(f"-{f}" if descending else f for f in fields))


def runs_for_list(
    query="", sort_key=DEFAULT_SORT, status=DEFAULT_STATUS, *, indexed=True, provider=None
):
    """The runs matching `query`, `status` and (when given) `provider`, sorted."""
    queryset = TaskRun.objects.select_related("cloned_from", "mephisto_progress").filter(
        STATUS_FILTERS[parse_status(status)][1]
    )
    if provider is not None:
        queryset = queryset.filter(provider=provider)
    return sort(search(queryset, query, indexed=indexed), parse_sort(sort_key))


# A search counts its matches up to here: past that, narrowing it helps more
# than paging does. The count reads runs until it has met this many matches:
# about 2,500 for a word that one run in ten holds, however many runs there
# are. Counting to 1,000 read 10,000 of them at 100,000 runs (against at most
# the 1,000 there are at 1,000), which made a common word's search up to twice
# as slow on PostgreSQL as at 1,000 runs.
SEARCH_CAP = 250


def paginator_for(runs, query, per_page):
    """A CappedPaginator over `runs` (a queryset, ordered, not yet searched) matching `query`.

    Its count stops at a cap (SEARCH_CAP for a search, CappedPaginator's for
    the whole list), so it costs two queries whatever the number of runs: the
    capped count, and the page. A search for a word that more runs hold than
    the cap is served by reading the runs in page order and checking each
    (`search(..., indexed=False)`), which finds a page of them after a few
    hundred rows; looking all of them up in the trigram index and sorting them
    would cost more with each run that holds the word. The count reads the
    matches through search_to_count, which stops at the cap on both databases.
    The list page and the admin changelist both page through this.
    """
    searching = bool(query.split())
    cap = SEARCH_CAP if searching else CappedPaginator.cap
    paginator = CappedPaginator(
        search(runs, query), per_page, cap=cap, counted=search_to_count(runs, query)
    )
    if searching and paginator.capped:
        paginator.object_list = search(runs, query, indexed=False)
    return paginator


def page_of_runs(query, sort_key, status, number, per_page, *, provider=None):
    """The page `number` of the runs matching `query` and `status`, in the order `sort_key` asks.

    Two queries whatever the number of runs (see paginator_for).
    """
    return paginator_for(
        runs_for_list("", sort_key, status, provider=provider), query, per_page
    ).get_page(number)
