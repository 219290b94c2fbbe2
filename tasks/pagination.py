"""Pages that cost the same at 100,000 runs as at 100."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedPaginator(Paginator):
    """A paginator that counts the matching runs only up to `cap`.

    Counting every matching row is a full scan on each page load; beyond a few
    thousand runs the exact number helps nobody. So `count` stops at `cap`,
    `capped` says that there are more, and the pages stop after `cap` rows
    (narrow the search or flip the sort to reach the others). Bounding the
    pages also bounds the OFFSET a page costs.
    """

    cap = 10_000

    def __init__(self, *args, cap=None, counted=None, **kwargs):
        """`counted`: the same rows as the object list, in a shape cheaper to count
        (listing.search_to_count); by default the object list itself."""
        super().__init__(*args, **kwargs)
        if cap is not None:
            self.cap = cap
        self.counted = counted

    @cached_property
    def _counted(self):
        rows = self.object_list if self.counted is None else self.counted
        if hasattr(rows, "values"):
            # The order and the joins do not change a count.
            return rows.order_by().values("pk")[: self.cap + 1].count()
        return len(rows)

    @cached_property
    def count(self):
        return min(self._counted, self.cap)

    @cached_property
    def capped(self):
        return self._counted > self.cap

    def page(self, number):
        # Always a whole page's LIMIT, never "LIMIT count" as Django's paginator
        # asks when the page is the last: told that one row is wanted, PostgreSQL
        # reads the runs in order hoping to meet it soon, which for a search
        # that matches one run in 100,000 means reading them all.
        # Past the cap, pages stop at the cap all the same.
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if self.capped:
            top = min(top, self.count)
        return self._get_page(self.object_list[bottom:top], number, self)
