"""tasks.tags: how a comma-separated tag list is cleaned up."""

import pytest

from tasks.tags import normalize_tags, split_tags


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("images, labelling", ["images", "labelling"]),
        ("  a ,b,,  c  ,", ["a", "b", "c"]),
        ("a, A, b, a", ["a", "b"]),
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
