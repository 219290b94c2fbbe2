"""Searching and sorting the run list: shared by the list page and its export."""

from django.db.models import Q

from tasks.models import TaskRun

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


def search(queryset, query):
    """Runs whose title, task name or tags contain every word of `query`."""
    for word in (query or "").split():
        queryset = queryset.filter(
            Q(task_title__icontains=word)
            | Q(task_name__icontains=word)
            | Q(task_tags__icontains=word)
        )
    return queryset


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


def runs_for_list(query="", sort_key=DEFAULT_SORT, status=DEFAULT_STATUS):
    queryset = TaskRun.objects.select_related("cloned_from").filter(
        STATUS_FILTERS[parse_status(status)][1]
    )
    return sort(search(queryset, query), parse_sort(sort_key))
