"""tasks.tags: how a comma-separated tag list is cleaned up."""

import pytest

from tasks.tags import TagReading, normalize_tags, read_tags, split_tags


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("images, labelling", ["images", "labelling"]),
        ("  a ,b,,  c  ,", ["a", "b", "c"]),
        ("a, A, b, a", ["a", "b"]),
        ("Straße, STRASSE, strasse", ["Straße"]),
        ("two  words,  spaced   out", ["two words", "spaced out"]),
        ("", []),
        (" , , ", []),
        (None, []),
    ],
)
def test_tags_are_trimmed_and_blanks_and_duplicates_dropped_in_order(text, tags):
    assert split_tags(text) == tags


def test_normalised_tags_are_joined_with_comma_and_space_and_stable():
    once = normalize_tags(" b,a ,b, c")
    assert once == "b, a, c"
    assert normalize_tags(once) == once


def test_reading_says_which_tags_are_dropped_and_why():
    assert read_tags("Straße, STRASSE, , images,Images,") == TagReading(
        tags=["Straße", "images"],
        duplicates=[("STRASSE", "Straße"), ("Images", "images")],
        blanks=1,
    )


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("a, b", ""),
        ("a, ", ""),
        ("a, , b", "Dropped when saved: 1 blank."),
        (",,a", "Dropped when saved: 2 blanks."),
        ("a, A, , ,", "Dropped when saved: “A” (same as “a”), 2 blanks."),
    ],
)
def test_dropped_note_names_duplicates_then_counts_blanks(text, note):
    assert read_tags(text).dropped_note() == note
