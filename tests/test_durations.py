"""tasks.durations: what people type, what Mephisto stores, what pages show."""

import pytest

from tasks.durations import compact_seconds, humanize_seconds, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("45", 45),
        ("0", 0),
        ("90s", 90),
        ("30m", 1800),
        ("12h", 43200),
        ("31d", 2678400),
        ("1d 12h", 129600),
        ("1d12h", 129600),
        (" 2H 30M ", 9000),
        ("1h 1m 1s", 3661),
    ],
)
def test_seconds_and_units_are_parsed_to_whole_seconds(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["12x", "-5m", "1.5s", "", "m", "1 d 2", "١٢", "5 minutes"])
def test_anything_else_is_refused_with_what_is_accepted(text):
    with pytest.raises(ValueError) as error:
        parse_duration(text)
    assert str(error.value) == (
        "Enter whole seconds (45) or whole units d, h, m, s (90s, 30m, 12h, 31d, 1d 12h)."
    )


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0 seconds"),
        (1, "1 second"),
        (600, "10 minutes"),
        (1800, "30 minutes"),
        (43200, "12 hours"),
        (2678400, "31 days"),
        (90061, "1 day 1 hour 1 minute 1 second"),
    ],
)
def test_seconds_read_in_human_terms(seconds, text):
    assert humanize_seconds(seconds) == text


@pytest.mark.parametrize("seconds", [0, 1, 59, 60, 3661, 129600, 2678400, 31536000])
def test_compact_form_reads_back_to_the_same_seconds(seconds):
    assert parse_duration(compact_seconds(seconds)) == seconds
