"""Field checks remembered within one batch of runs.

A field's own checks (its type, Django's field validation, the text and
interpolation checks of TaskRun.clean, whether a rule may read the field) are
pure functions of the field's value: they read neither the database, nor the
settings, nor the rest of the run. An import of 30,000 runs repeats a few rewards,
durations, tag sets and sections thousands of times; inside `remembered()` each
distinct value is checked once and its verdict reused, so every run is still
checked exactly as the form checks it, by the same code.
"""

import contextvars
from contextlib import contextmanager

_memo = contextvars.ContextVar("taskadmin_remembered_verdicts", default=None)

# Distinct (check, field, value) verdicts kept in one batch. The values that
# repeat come early; one seen once (a title) is not worth keeping through a
# 100,000-run import, so the memo stops growing here.
MAX_REMEMBERED = 20_000

_PLAIN = frozenset((str, int, type(None)))


def exactly(value):
    """`value` in a form that compares equal only to the very same value: 1, True,
    1.0 and Decimal("1.00") differ, and a container is copied (as its repr)."""
    return value if type(value) in _PLAIN else (type(value), repr(value))


@contextmanager
def remembered():
    """Remember verdicts (`verdict`) until the block ends: one batch of runs.

    Nested blocks share the outer block's memo.
    """
    if _memo.get() is not None:
        yield
        return
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def verdict(check, name, value, compute):
    """compute(value), or what it gave for the same `check` of field `name` on
    exactly the same `value` earlier in the batch (see `remembered`).

    `compute` must be a pure function of `value` and return something immutable
    (a tuple, a string, a bool): one result serves many runs. What it raises
    propagates and is not remembered.
    """
    memo = _memo.get()
    if memo is None:
        return compute(value)
    try:
        key = (check, name, exactly(value))
    except (ValueError, RecursionError):
        # Too long or too deep to write out (an integer of 5,000 digits):
        # checked without the memo, to be refused with its message.
        return compute(value)
    try:
        return memo[key]
    except KeyError:
        pass
    result = compute(value)
    if len(memo) < MAX_REMEMBERED:
        memo[key] = result
    return result
