"""Durations as people write them ("1d 12h") and as Mephisto wants them (whole seconds)."""

import re

UNITS = {"d": 86400, "h": 3600, "m": 60, "s": 1}

ACCEPTED = "whole seconds (45) or whole units d, h, m, s (90s, 30m, 12h, 31d, 1d 12h)"

_PART = re.compile(r"(\d+)\s*([dhms])")
_WHOLE = re.compile(r"^(?:\d+\s*[dhms]\s*)+$")


def parse_duration(text):
    """Return the number of seconds in `text`, or raise ValueError.

    Accepts a plain whole number of seconds or a sequence of whole numbers with
    units: "45", "90s", "30m", "1d 12h". Case and spaces between parts do not
    matter; fractions, signs and unknown units are refused.
    """
    value = str(text).strip().lower()
    if value.isdigit() and value.isascii():
        return int(value)
    if value.isascii() and _WHOLE.match(value):
        return sum(int(n) * UNITS[unit] for n, unit in _PART.findall(value))
    raise ValueError(f"Enter {ACCEPTED}.")


_NAMES = (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1))


def humanize_seconds(seconds):
    """Say a number of seconds the way a person would: 2678400 -> "31 days"."""
    if seconds is None:
        return ""
    seconds = int(seconds)
    if seconds == 0:
        return "0 seconds"
    parts = []
    for name, size in _NAMES:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count} {name}{'' if count == 1 else 's'}")
    return " ".join(parts)


def compact_seconds(seconds):
    """The shortest form parse_duration reads back: 129600 -> "1d 12h"."""
    seconds = int(seconds)
    if seconds == 0:
        return "0"
    parts = []
    for unit, size in UNITS.items():
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return " ".join(parts)
