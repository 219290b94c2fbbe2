"""Small readers for the HTML our pages render, so tests can say "beside the field"."""

import re


def field_block(html, name):
    """The markup of one form field's block: label, input, errors and help text."""
    start = html.index(f'id="div_id_{name}"')
    following = html.find('id="div_id_', start + 1)
    end = following if following != -1 else html.index("</form>", start)
    return html[start:end]


def field_errors(html, name):
    """The error messages shown beside a field, in order."""
    return re.findall(
        r'id="error_\d+_id_' + name + r'"><strong>(.*?)</strong>', field_block(html, name)
    )


def shown_value(html, name):
    """The text a detail page shows for a config value, tags and spaces collapsed."""
    match = re.search(r'id="value-' + name + r'">(.*?)</dd>', html, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())
