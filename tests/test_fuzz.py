"""Fuzzing the run form: generated posts never crash the app; each is saved valid or
refused with messages, and the database holds exactly the ones saved.

Bounded and repeatable: a fixed number of examples from a fixed seed
(FUZZ_EXAMPLES=N scales them all, FUZZ_RANDOM=1 draws new ones each run).
"""

import json
import os
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import escape
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tasks import rules
from tasks.defaults_list import LAUNCH_GROUPS, launch_defaults
from tasks.durations import compact_seconds, parse_duration
from tasks.models import TaskRun
from tasks.tags import tidy_tags
from tests.conftest import VALID_RUN, form_data

SCALE = float(os.environ.get("FUZZ_EXAMPLES", "1"))


def fuzz(examples):
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        derandomize=not os.environ.get("FUZZ_RANDOM"),
        database=None,
        # The examples share one test's database on purpose: each checks the
        # rows it added against what it expected.
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# PostgreSQL's integer. The model refuses more there, but SQLite's range is
# 64 bits: values in between are valid on one database only, so no test uses them.
MAX_INT = 2147483647
TOO_BIG = str(10**20)  # beyond both

# -- What a browser may post. Never lone surrogates: no browser can encode them.
any_char = st.characters(exclude_categories=("Cs",))
printable = st.characters(exclude_categories=("Cs", "Cc"))
any_text = st.text(any_char, max_size=300)


def visible(text):
    return bool(text.strip())


valid_title = st.text(printable, min_size=1, max_size=255).filter(visible)
valid_description = st.text(
    st.characters(exclude_categories=("Cs", "Cc"), include_characters="\n\t"),
    min_size=1,
    max_size=400,
).filter(visible)
valid_reward = st.decimals(
    min_value=0, max_value=Decimal("99999999.99"), places=2, allow_nan=False
).map(lambda d: f"{d:f}")
tag = st.text(st.characters(exclude_categories=("Cs", "Cc"), exclude_characters=","), max_size=30)
valid_tags = st.lists(tag.filter(visible), min_size=1, max_size=5).map(", ".join)
seconds = st.integers(min_value=1, max_value=MAX_INT)
valid_duration = st.one_of(seconds.map(str), seconds.map(compact_seconds))
valid_timeout = st.one_of(st.just("0"), valid_duration)
valid_limit = st.integers(min_value=0, max_value=MAX_INT).map(str)
valid_task_name = st.from_regex(r"\A[A-Za-z0-9_-]{0,100}\Z")
valid_script = st.one_of(
    st.just(""), st.from_regex(r"\A[a-z0-9_]{1,20}(/[a-z0-9_]{1,20}){0,3}\.sh\Z")
)
json_text = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))
json_value = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**18), max_value=10**18)
    | st.floats(allow_nan=False, allow_infinity=False)
    | json_text,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(json_text, children, max_size=3)
    ),
    max_leaves=12,
)
valid_aux = st.dictionaries(json_text, json_value, max_size=4)

VALID = {
    "task_title": valid_title,
    "task_description": valid_description,
    "task_reward": valid_reward,
    "task_tags": valid_tags,
    "task_lifetime_in_seconds": valid_duration,
    "assignment_duration_in_seconds": valid_duration,
    "no_submission_patience": valid_duration,
    "submission_timeout": valid_timeout,
    "allowed_concurrent": valid_limit,
    "maximum_units_per_worker": valid_limit,
    "max_num_concurrent_units": valid_limit,
    "task_name": valid_task_name,
    "post_install_script": valid_script,
    # Launch setup. Mock and in-house only: the paid providers' rules are
    # tested on their own (tests/test_rules.py).
    "provider": st.sampled_from(["mock", "inhouse"]),
    "architect": st.sampled_from(["", "local", "heroku", "ec2"]),
    "blueprint": st.sampled_from(
        ["", "static_task", "static_react_task", "remote_procedure", "parlai_chat"]
    ),
    # Given: a static_task (or parlai_chat) run cannot be saved without it.
    "blueprint_source": st.text(printable, min_size=1, max_size=255).filter(str.strip),
    "estimated_minutes": st.one_of(st.just(""), st.integers(1, MAX_INT).map(str)),
    "planned_units": st.one_of(st.just(""), st.integers(1, MAX_INT).map(str)),
}
BOOLEANS = ("force_rebuild", "resume_incomplete_run")
# Ticking every warning's "I have read this": warnings hold a save back, they
# do not make a run invalid.
READ_EVERY_WARNING = list(rules.WARNING_CODES)

# -- Values each field must refuse.
blank = st.text(st.sampled_from(" \t\n\r\u00a0\u3000"), max_size=5)
with_nul = st.builds(
    lambda a, b: f"{a}\x00{b}", st.text(printable, max_size=10), st.text(printable, max_size=10)
)
bad_duration = st.one_of(
    st.just("0"),
    st.integers(max_value=-1).map(str),
    st.sampled_from(["12x", "1.5s", "-5m", "1,000", "1e3", "0x10", "١٢", "1 d 2", "s", "½"]),
    st.just(TOO_BIG),
)
INVALID = {
    "task_title": st.one_of(
        blank,
        with_nul,
        st.text(printable, min_size=256, max_size=300).filter(lambda s: len(s.strip()) > 255),
    ),
    "task_description": st.one_of(blank, with_nul),
    "task_reward": st.one_of(
        st.decimals(max_value=Decimal("-0.01"), places=2, allow_nan=False).map(lambda d: f"{d:f}"),
        st.sampled_from(
            [
                "0.005",
                "0.001",
                "1.999",
                "NaN",
                "Infinity",
                "-Infinity",
                "1e400",
                "abc",
                "$1",
                "1,5",
                "",
                "123456789",
            ]
        ),
    ),
    "task_tags": st.one_of(blank, st.text(st.sampled_from(" ,"), max_size=6)),
    "task_lifetime_in_seconds": bad_duration,
    "assignment_duration_in_seconds": bad_duration,
    "no_submission_patience": bad_duration,
    "submission_timeout": st.sampled_from(["-1", "12x", "1.5", "", TOO_BIG]),
    "allowed_concurrent": st.one_of(
        st.integers(max_value=-1).map(str), st.sampled_from(["1.5", "x", "", TOO_BIG])
    ),
    "maximum_units_per_worker": st.sampled_from(["-1", "1e2", "", "two"]),
    "max_num_concurrent_units": st.sampled_from(["-5", "0.5", " ", "NaN"]),
    # Any text is a task name, but not only spaces, and a "${" must read as an interpolation.
    "task_name": st.sampled_from(["   ", "run ${", "a${b", "${oops"]),
    "post_install_script": st.sampled_from(
        ["/etc/x.sh", "~/x.sh", "../x.sh", "a/../../x.sh", "dir/", "a\\b.sh", "a\tb.sh"]
    ),
    "provider": st.one_of(st.sampled_from(["MTurk", "mechanical_turk"]), any_text),
    # Any registered name, but a name: no spaces, slashes or interpolations.
    "architect": st.sampled_from(["local host", "a/b", "${x}"]),
    "blueprint": st.sampled_from(["static task", "bad/name", "-x", "é"]),
    "blueprint_source": st.sampled_from(["a\nb.html", "x\x00", "task\r.js", "\x7f"]),
    "estimated_minutes": st.sampled_from(["0", "-3", "1.5", "ten", TOO_BIG]),
    "planned_units": st.sampled_from(["0", "-1", "2.5", "many", TOO_BIG]),
    "aux_parameters": st.one_of(
        st.sampled_from(
            [
                "[]",
                "1",
                '"text"',
                "null",
                "true",
                "{",
                '{"a": }',
                '{"a": NaN}',
                '{"a": Infinity}',
                '{"a": 1e400}',
                '{"a": "\\u0000"}',
                '{"\\ud800": 1}',
                "[" * 5000,
                "{'a': 1}",
                '{"a": ' + "9" * 5000 + "}",
            ]
        ),
        st.lists(json_value, max_size=3).map(json.dumps),
    ),
}


@st.composite
def valid_post(draw):
    data = {name: draw(strategy) for name, strategy in VALID.items()}
    data["aux_parameters"] = json.dumps(draw(valid_aux), ensure_ascii=draw(st.booleans()))
    for name in BOOLEANS:
        if draw(st.booleans()):
            data[name] = "on"
    data["acknowledge"] = READ_EVERY_WARNING
    return data


def _expected(name, data):
    """What the field `name` of a post must be stored as, when valid."""
    text = data.get(name, "")
    if name == "task_reward":
        return Decimal(text.strip())
    if name == "task_tags":
        return tidy_tags(text)
    if name in (*TaskRun.SECTION_FIELDS, "top_level"):
        return json.loads(text) if text.strip() else {}
    if name == "defaults":
        entries = json.loads(text) if text.strip() else []
        return launch_defaults(entries, {group: data.get(group, "") for group in LAUNCH_GROUPS})
    if name == "aux_parameters":
        return numbers_as_decimals(json.loads(text) if text.strip() else {})
    if name in BOOLEANS:
        return text == "on"
    if name in TaskRun.DURATION_FIELDS:
        return parse_duration(text)
    if name in (*TaskRun.LIMIT_FIELDS, "estimated_minutes", "planned_units"):
        return int(text) if text.strip() else None
    return text.strip()


def expected_values(data):
    """What a valid post must be stored as."""
    return {name: _expected(name, data) for name in TaskRun.EDITABLE_FIELDS}


def numbers_as_decimals(value):
    """JSON with every number as a Decimal: PostgreSQL's jsonb keeps a number's
    value, not its spelling (7.2e+16 comes back as the integer 72000000000000000)."""
    if isinstance(value, dict):
        return {key: numbers_as_decimals(item) for key, item in value.items()}
    if isinstance(value, list):
        return [numbers_as_decimals(item) for item in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(repr(value))
    return value


def stored_values(run):
    values = {name: getattr(run, name) for name in TaskRun.EDITABLE_FIELDS}
    values["aux_parameters"] = numbers_as_decimals(values["aux_parameters"])
    return values


def assert_refused_with_messages(response):
    """The form shown again, saying why: the conflict page (409), or a banner
    (mistakes to correct, warnings to read) and every message beside its field."""
    form = response.context["form"]
    assert form.errors
    content = response.content.decode()
    if form.conflict:
        assert response.status_code == 409
        assert 'id="conflict"' in content
        return
    assert response.status_code == 200
    assert 'id="form-errors"' in content or 'id="unread-warnings"' in content
    for errors in form.errors.values():
        for message in errors:
            assert escape(message) in content


@pytest.fixture
def create_url():
    return reverse("tasks:run-create")


@fuzz(80)
@given(data=valid_post())
def test_every_valid_form_is_saved_exactly_as_posted(editor_client, create_url, data):
    before = set(TaskRun.objects.values_list("pk", flat=True))

    response = editor_client.post(create_url, data)

    assert response.status_code == 302, response.context and response.context["form"].errors
    (new_pk,) = set(TaskRun.objects.values_list("pk", flat=True)) - before
    assert stored_values(TaskRun.objects.get(pk=new_pk)) == expected_values(data)


@fuzz(120)
@given(data=valid_post(), field=st.sampled_from(sorted(INVALID)), bad=st.data())
def test_one_bad_field_is_refused_with_its_message_and_nothing_saved(
    editor_client, create_url, data, field, bad
):
    data[field] = bad.draw(INVALID[field])
    count = TaskRun.objects.count()

    response = editor_client.post(create_url, data)

    assert_refused_with_messages(response)
    assert field in response.context["form"].errors
    assert TaskRun.objects.count() == count


@st.composite
def any_post(draw):
    """Each field valid, invalid, arbitrary text or missing, plus a stray field.

    Returns the post and the names of the fields drawn valid.
    """
    data, valid = {}, set()
    for name in (*VALID, "aux_parameters"):
        kind = draw(st.sampled_from(["valid", "valid", "invalid", "any", "missing"]))
        if kind == "valid":
            data[name] = draw(VALID[name]) if name in VALID else json.dumps(draw(valid_aux))
            valid.add(name)
        elif kind == "invalid":
            data[name] = draw(INVALID[name])
        elif kind == "any":
            data[name] = draw(any_text)
    for name in BOOLEANS:
        choice = draw(st.sampled_from([None, "on", "false", ""]))
        if choice is not None:
            data[name] = choice
        valid.add(name)
    data["acknowledge"] = draw(
        st.sampled_from([READ_EVERY_WARNING, READ_EVERY_WARNING, [], ["not-a-warning"]])
    )
    if draw(st.booleans()):
        stray = draw(st.sampled_from(["id", "created_by", "cloned_from", "updated_at"]))
        data[stray] = draw(any_text)
    return data, valid


def assert_saved_as_posted(run, data, valid):
    """The run passes every model rule and holds each field that was posted valid."""
    run.full_clean()
    stored = stored_values(run)
    for name in valid:
        assert stored[name] == _expected(name, data), name


@pytest.fixture
def saved():
    """The runs the fuzzer saw saved, across its examples."""
    return set()


@fuzz(160)
@given(post=any_post())
def test_any_post_is_saved_valid_or_refused_with_messages_and_the_database_holds_exactly_the_saved(
    editor_client, create_url, saved, post
):
    data, valid = post

    response = editor_client.post(create_url, data)

    assert response.status_code in (200, 302)
    if response.status_code == 302:
        run = TaskRun.objects.latest("pk")
        assert response["Location"] == run.get_absolute_url()
        assert_saved_as_posted(run, data, valid)
        assert run.created_by.username == "editor"
        assert run.cloned_from is None
        saved.add(run.pk)
    else:
        assert_refused_with_messages(response)
    assert set(TaskRun.objects.values_list("pk", flat=True)) == saved


@fuzz(60)
@given(post=any_post(), loaded=st.sampled_from(["current", "current", "current", "stale", "x"]))
def test_an_edit_either_saves_the_whole_post_or_leaves_the_run_as_it_was(
    editor_client, make_run, post, loaded
):
    data, valid = post
    run = make_run()
    before = stored_values(run)
    # The version the page was loaded at, as the browser posts it back; now
    # and then a stale or mangled one, which must be refused as a conflict.
    data["version"] = {"current": run.version, "stale": run.version - 1}.get(loaded, loaded)

    response = editor_client.post(reverse("tasks:run-edit", args=[run.pk]), data)

    assert response.status_code in (200, 302, 409)
    if data["version"] != run.version:
        assert response.status_code == 409
    run.refresh_from_db()
    if response.status_code == 302:
        assert_saved_as_posted(run, data, valid)
    else:
        assert_refused_with_messages(response)
        assert stored_values(run) == before
    run.delete()


# -- What the fuzzer found: each was a 500 (or, for [] and null, a saved run
# Mephisto would refuse), on SQLite, PostgreSQL or both.
FOUND = {
    "[]": 'Must be a JSON object such as {"key": "value"}, not a list.',
    "null": 'Must be a JSON object such as {"key": "value"}, not null.',
    '{"a": NaN}': "Numbers must be finite: NaN, Infinity and values beyond 1e308 are not JSON.",
    '{"a": -Infinity}': (
        "Numbers must be finite: NaN, Infinity and values beyond 1e308 are not JSON."
    ),
    '{"a": [1e400]}': (
        "Numbers must be finite: NaN, Infinity and values beyond 1e308 are not JSON."
    ),
    '{"a": "x\\u0000y"}': (
        "Text cannot contain the NUL character (\\u0000) or an unpaired surrogate escape"
        " (\\ud800 to \\udfff)."
    ),
    '{"\\u0000": 1}': (
        "Text cannot contain the NUL character (\\u0000) or an unpaired surrogate escape"
        " (\\ud800 to \\udfff)."
    ),
    '{"a": {"b": "\\udc00"}}': (
        "Text cannot contain the NUL character (\\u0000) or an unpaired surrogate escape"
        " (\\ud800 to \\udfff)."
    ),
    '{"a": ' + "9" * 5000 + "}": "Not valid JSON: a number is too long.",
    "[" * 100000: "Not valid JSON: nested too deeply.",
}


@pytest.mark.parametrize("text", FOUND, ids=lambda text: text[:24])
def test_aux_parameters_the_database_cannot_store_are_refused_with_a_message(
    editor_client, create_url, text
):
    response = editor_client.post(create_url, form_data(aux_parameters=text))

    assert_refused_with_messages(response)
    assert response.context["form"].errors["aux_parameters"] == [FOUND[text]]
    assert TaskRun.objects.count() == 0


def test_the_model_refuses_an_empty_list_or_null_for_aux_parameters_too(db):
    for value, kind in (([], "a list"), (None, "null")):
        run = TaskRun(**VALID_RUN, aux_parameters=value)
        with pytest.raises(ValidationError) as refused:
            run.full_clean()
        assert refused.value.message_dict == {
            "aux_parameters": [f'Must be a JSON object such as {{"key": "value"}}, not {kind}.']
        }
