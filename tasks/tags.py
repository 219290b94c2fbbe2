"""Task tags: what workers search for, stored as one comma-separated string."""

import functools
from dataclasses import dataclass

SEPARATOR = ", "


@dataclass(frozen=True)
class TagReading:
    """How a typed tag list is cleaned up: what is kept and what is dropped."""

    tags: list  # kept, in order, as saved
    duplicates: list  # (tag as typed, the kept spelling it repeats), in order
    blanks: int  # empty entries between commas

    def dropped_note(self):
        """ "Dropped when saved: “Images” (same as “images”), 1 blank." or ""."""
        notes = [f"“{tag}” (same as “{first}”)" for tag, first in self.duplicates]
        if self.blanks:
            notes.append("1 blank" if self.blanks == 1 else f"{self.blanks} blanks")
        return f"Dropped when saved: {', '.join(notes)}." if notes else ""


def read_tags(text):
    """Clean up the comma-separated tags in `text`, saying what was dropped and why.

    Each tag is trimmed and its inner spaces collapsed; blanks are dropped, and
    so are duplicates, compared with casefold() ("Images" and "images", "Straße"
    and "STRASSE" are one keyword to a worker searching for it): the first
    spelling is kept. The entry after the last comma is not counted as a blank
    even when empty: that is where the next tag is being typed.
    """
    first_spelling = {}
    tags, duplicates, blanks = [], [], 0
    parts = (text or "").split(",")
    for index, raw in enumerate(parts):
        tag = " ".join(raw.split())
        key = tag.casefold()
        if not tag:
            blanks += index < len(parts) - 1
        elif key in first_spelling:
            duplicates.append((tag, first_spelling[key]))
        else:
            first_spelling[key] = tag
            tags.append(tag)
    return TagReading(tags=tags, duplicates=duplicates, blanks=blanks)


def split_tags(text):
    """The tags in `text`, trimmed, without blanks and duplicates, in order (see read_tags)."""
    return read_tags(text).tags


# A pure function of the text, repeated for every run of an import.
@functools.lru_cache(maxsize=1024)
def tidy_tags(text):
    """`text` as saved: kept as written (bar the spaces around it) when cleaning it
    up would drop nothing, "static,task,testing" say; else normalize_tags(text).

    Nothing to drop: no blank, no duplicate, and no tag with spaces to collapse.
    """
    stripped = text.strip()
    reading = read_tags(stripped)
    parts = stripped.split(",")
    clean = (
        not reading.duplicates
        and not reading.blanks
        and all(part.strip() and " ".join(part.split()) == part.strip() for part in parts)
    )
    return stripped if clean else normalize_tags(text)


def normalize_tags(text):
    return SEPARATOR.join(split_tags(text))
