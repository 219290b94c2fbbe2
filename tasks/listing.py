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


def sort(queryset, key):
    descending = key.startswith("-")
    fields = SORTS[key.lstrip("-")]
    return queryset.order_by(*(f"-{f}" if descending else f for f in fields))


def runs_for_list(query="", sort_key=DEFAULT_SORT):
    queryset = TaskRun.objects.select_related("cloned_from")
    return sort(search(queryset, query), parse_sort(sort_key))
