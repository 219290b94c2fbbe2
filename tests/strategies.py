"""Hypothesis strategies: valid task-run configs, the kind a researcher could write."""

from decimal import Decimal

from hypothesis import strategies as st

from tasks import launch_args
from tasks.defaults_list import LAUNCH_GROUPS, SELF
from tasks.models import TaskRun
from tasks.providers import BLUEPRINT_MAIN_ARGUMENT, PROLIFIC_MINUTES_ARGUMENT

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


# -- The rest of the config: OmegaConf's text, as a config file writes it ----------------

# Values of the blueprint/architect/provider sections, the other mephisto settings
# and the top-level keys: "${...}" there is an interpolation Mephisto resolves at
# launch (kept as written), "\\${" a literal "${". Plus text YAML and Hydra would
# read as another type if written bare.
section_text = st.one_of(
    st.text(
        st.characters(whitelist_categories=("L", "N"), whitelist_characters=" -_./:,'\"é#"),
        max_size=20,
    ).filter(lambda s: s != "???"),
    st.sampled_from(
        [
            "${task_dir}/x",
            "${task_dir}/server_files/task.html",
            "pairwise_${current_time}_block",
            "\\${literal}",
            "costs \\${5} and ${task_dir}/y",
            "null",
            "true",
            "1e5",
            "0802",
            "~",
            "",
            "blender_90M:blender_3B:10",
        ]
    ),
)
section_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    section_text,
)
section_values = st.recursive(
    section_leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(aux_keys, inner, max_size=3),
    max_leaves=6,
)


def sections(leave_out=()):
    keys = aux_keys.filter(lambda key: key not in leave_out)
    return st.dictionaries(keys, section_values, max_size=4)


_ARGUMENT_VALUES = {
    "str": section_text,
    "Optional": st.one_of(st.none(), section_text),
    "int": st.one_of(st.integers(-(2**31), 2**31 - 1), st.just("${task_dir}")),
    "bool": st.booleans(),
    "list": st.lists(section_leaves, max_size=3),
    "Dict": st.dictionaries(aux_keys, section_text, max_size=3),
}


def launch_sections(group, name, leave_out=()):
    """A section for `name`: for one Mephisto ships, some of its declared arguments
    with values of their types (or interpolations); for another, any keys."""
    declared = launch_args.arguments(group, name) if name else None
    if declared is None:
        return sections(leave_out)
    names = [n for n in declared if not n.startswith("_") and n not in leave_out]
    return st.lists(st.sampled_from(names), unique=True, max_size=4).flatmap(
        lambda chosen: st.fixed_dictionaries(
            {n: _ARGUMENT_VALUES[declared[n].type] for n in chosen}
        )
    )


@st.composite
def whole_configs(draw):
    """Model field values for a valid run with the whole config: launch choices,
    a defaults list of a shape Mephisto's examples write, the three sections, the
    other mephisto settings and top-level keys."""
    values = draw(task_configs())
    blueprint = draw(
        st.sampled_from(["", "static_task", "parlai_chat", "remote_procedure", "acute_eval"])
    )
    choices = {
        "provider": draw(st.sampled_from(["mock", "inhouse", ""])),
        "architect": draw(st.sampled_from(["", "local", "ec2", "heroku", "mock"])),
        "blueprint": blueprint,
    }
    main = BLUEPRINT_MAIN_ARGUMENT.get(blueprint)
    # Hydra appends _self_ to a list without it; both shapes are written.
    with_self = draw(st.booleans())
    defaults = [{f"/mephisto/{g}": choices[g]} for g in LAUNCH_GROUPS if choices[g]]
    values.update(
        choices,
        defaults=[*defaults, SELF] if with_self else defaults,
        # Mephisto's blueprints cannot launch without their main file.
        blueprint_source=draw(
            st.sampled_from(["${task_dir}/server_files/task.html", "build/bundle.js"])
        )
        if main
        else "",
        blueprint_args=draw(launch_sections("blueprint", blueprint, leave_out=(main,))),
        architect_args=draw(launch_sections("architect", choices["architect"])),
        provider_args=draw(
            launch_sections("provider", choices["provider"], leave_out=(PROLIFIC_MINUTES_ARGUMENT,))
        ),
        mephisto_extra=draw(sections(leave_out=("task", *LAUNCH_GROUPS))),
        top_level=draw(sections(leave_out=("mephisto", "defaults"))),
    )
    return values
