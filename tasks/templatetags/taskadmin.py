from django import template
from django.utils.html import format_html
from django.utils.http import urlencode

from tasks.durations import humanize_seconds as _humanize_seconds
from tasks.listing import DEFAULT_STATUS

register = template.Library()


@register.filter
def humanize_seconds(value):
    return _humanize_seconds(value)


@register.simple_tag(takes_context=True)
def sort_header(context, key, label):
    """A column heading that sorts by `key`, toggling direction, keeping the search."""
    current = context["sort"]
    params = _list_params(context, sort=f"-{key}" if current == key else key)
    arrow = {key: " ▲", f"-{key}": " ▼"}.get(current, "")
    aria = {key: "ascending", f"-{key}": "descending"}.get(current, "none")
    return format_html(
        '<a class="sort-link" href="?{}" aria-sort="{}">{}{}</a>',
        urlencode(params),
        aria,
        label,
        arrow,
    )


@register.simple_tag(takes_context=True)
def page_url(context, number):
    return "?" + urlencode(_list_params(context, page=number, sort=context["sort"]))


def _list_params(context, **params):
    """The list's current search and status filter, plus `params`."""
    if context.get("query"):
        params["q"] = context["query"]
    if context.get("status") and context["status"] != DEFAULT_STATUS:
        params["status"] = context["status"]
    return params
