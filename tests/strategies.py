"""Hypothesis strategies: valid task-run configs, the kind a researcher could write."""

from decimal import Decimal

from hypothesis import strategies as st

from tasks.models import TaskRun

# Any unicode except surrogates (not UTF-8) and NUL (no command line carries it).
CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
TRICKY = st.sampled_from(
    ['"', "'", "\\", "\n", ",", "$", "${x}", "\\${", "#", ": ", "é", "🙂", " "]
)
text = st.lists(st.one_of(CHARS.map(str), TRICKY), min_size=1, max_size=30).map("".join)
not_blank = text.filter(lambda s: s.strip() and s != "???")

rewards = st.one_of(
    st.sampled_from(["0", "0.01", "0.1", "0.29", "0.3", "0.99", "1", "99999999.99"]).map(Decimal),
    st.integers(0, 9_999_999_999).map(lambda cents: Decimal(cents) / 100),
)
tags = st.lists(text.filter(lambda s: "," not in s and s.strip()), min_size=1, max_size=4).map(
    ", ".join
)

json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
# Keys Hydra's override grammar can write unquoted.
aux_keys = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda k: k not in ("null", "true", "false", "inf", "nan")
)
aux_parameters = st.dictionaries(
    aux_keys,
    st.recursive(
        json_leaves,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(aux_keys, inner, max_size=3),
        max_leaves=8,
    ),
    max_size=4,
)


@st.composite
def task_configs(draw):
    """Model field values for a valid run."""
    seconds = st.integers(1, 10**9)
    limits = st.one_of(st.just(0), st.integers(0, 10**6))
    values = {
        "task_name": draw(
            st.one_of(st.just(""), st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True))
        ),
        "task_title": draw(not_blank.map(lambda s: s[:255])),
        "task_description": draw(not_blank),
        "task_reward": draw(rewards),
        "task_tags": draw(tags),
        "task_lifetime_in_seconds": draw(seconds),
        "assignment_duration_in_seconds": draw(seconds),
        "no_submission_patience": draw(seconds),
        "allowed_concurrent": draw(limits),
        "maximum_units_per_worker": draw(limits),
        "max_num_concurrent_units": draw(limits),
        "submission_timeout": draw(st.integers(0, 10**6)),
        "post_install_script": draw(
            st.one_of(
                st.just(""), st.from_regex(r"[a-z_]{1,8}(/[a-z_]{1,8}){0,2}\.sh", fullmatch=True)
            )
        ),
        "force_rebuild": draw(st.booleans()),
        "resume_incomplete_run": draw(st.booleans()),
        "aux_parameters": draw(aux_parameters),
    }
    assert set(values) == set(TaskRun.CONFIG_FIELDS)
    return values
