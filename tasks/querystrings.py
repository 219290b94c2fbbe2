"""Reading what a query string asks for: ids and search text, whatever was typed.

Query strings are typed, pasted and crafted: every view that reads ids or a
search from one goes through here, so an odd value means "none" or a message,
never a database error.
"""

import re

from tasks.validators import UNSTORABLE_TEXT

# The largest id a bigint column (TaskRun's primary key) holds; SQLite's
# integers stop there too, and a larger one fails the query there.
BIGINT_MAX = 2**63 - 1
# history_id (django-simple-history's AutoField) is an integer column.
INTEGER_MAX = 2**31 - 1

# ASCII only: str.isdigit() also accepts "²" and "①", which int() refuses.
_ID = re.compile(r"[1-9][0-9]{0,18}\Z", re.ASCII)

SEARCH_MAX_CHARS = 200
SEARCH_UNSTORABLE = (
    "Search text cannot contain the NUL character (\\u0000) or an unpaired surrogate "
    "(\\ud800 to \\udfff)."
)


def read_ids(values, *, maximum=BIGINT_MAX):
    """The values that are ids (ASCII digits, 1 to `maximum`), as ints, in order.

    Anything else is left out, as if it had not been sent: a stale or crafted
    link then finds nothing instead of failing.
    """
    ids = []
    for value in values:
        if _ID.match(value) and int(value) <= maximum:
            ids.append(int(value))
    return ids


PARAMETERS_UNSTORABLE = (
    "Searches and filters cannot contain the NUL character (\\u0000) or an unpaired "
    "surrogate (\\ud800 to \\udfff)."
)


def unstorable(params):
    """Whether any name or value in `params` (a QueryDict) holds what no database takes."""
    return any(
        UNSTORABLE_TEXT.search(text) for key, values in params.lists() for text in (key, *values)
    )


def search_problem(query):
    """Why `query` cannot be searched for, or None.

    PostgreSQL refuses NUL in any text it is given (a LIKE pattern included);
    a very long query would build a query of thousands of clauses.
    """
    if UNSTORABLE_TEXT.search(query):
        return SEARCH_UNSTORABLE
    if len(query) > SEARCH_MAX_CHARS:
        return f"Search text can be at most {SEARCH_MAX_CHARS} characters; this has {len(query):,}."
    return None
