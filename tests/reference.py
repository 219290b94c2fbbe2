"""Mephisto's own reference page for the task-run arguments, parsed.

tests/data/mephisto-tasks-reference.txt is a copy of the page's text: a table
whose cells ran together (dest, type, default, help, choices, required).
"""

import re
from pathlib import Path

PAGE = Path(__file__).parent / "data" / "mephisto-tasks-reference.txt"

ROW = re.compile(
    r"^(?P<dest>[a-z_]+?)"
    r"(?P<type>str|int|float|bool|unknown)"
    r"(?P<default>\?\?\?|\d+|False|True|<dataclasses\._MISSING_TYPE[^>]*>|)"
    r"(?P<help>[A-Z].*?)"
    r"None(?P<required>True|False)$"
)

# Typos on the page that Taskadmin's help texts correct; the meaning stays.
SPELLING = {
    "Comma seperated": "Comma separated",
    "should be ran": "should be run",
    "task is ran": "task is run",
}


def reference_rows():
    rows = []
    for line in PAGE.read_text().splitlines():
        match = ROW.match(line.strip())
        if match:
            row = match.groupdict()
            for wrong, right in SPELLING.items():
                row["help"] = row["help"].replace(wrong, right)
            row["required"] = row["required"] == "True"
            rows.append(row)
    return rows


def default_value(row):
    """The documented default as a Python value, or None where the page gives none."""
    raw = row["default"]
    if raw in ("???", "") or raw.startswith("<dataclasses"):
        return None
    if raw in ("True", "False"):
        return raw == "True"
    return int(raw)
