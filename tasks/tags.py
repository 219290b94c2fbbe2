"""Task tags: what workers search for, stored as one comma-separated string."""

SEPARATOR = ", "


def split_tags(text):
    """The tags in `text`, trimmed, without blanks and duplicates, in order.

    Duplicates are compared case-insensitively ("Images" and "images" are one
    keyword to a worker searching for it); the first spelling is kept.
    """
    seen = set()
    tags = []
    for raw in (text or "").split(","):
        tag = " ".join(raw.split())
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    return tags


def normalize_tags(text):
    return SEPARATOR.join(split_tags(text))
