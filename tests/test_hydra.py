"""tasks.hydra: escaping for OmegaConf, quoting for Hydra, bounded YAML loading.

Every reader and writer is checked against the real Hydra override parser and
OmegaConf's YAML loader: Taskadmin must read a file exactly as Mephisto will.
"""

import math
import shlex
from pathlib import Path

import pytest
import yaml
from hydra.core.override_parser.overrides_parser import OverridesParser
from hypothesis import given, settings
from hypothesis import strategies as st
from omegaconf import OmegaConf

from tasks import hydra

B = "\\"


def hydra_value(word):
    """The value Hydra's own parser gives for one override word."""
    [override] = OverridesParser.create().parse_overrides([word])
    return override.value()


def omegaconf_value(text, key):
    """The value OmegaConf gives for `key` of a YAML text, interpolations unresolved."""
    return OmegaConf.to_container(OmegaConf.create(text))[key]


# -- OmegaConf interpolations ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["plain", "${x}", B + "${x}", B + B + "${x}", "a" + B + "b", "${x}" + B, "$", "${", "{$}"],
)
def test_escaped_interpolations_resolve_to_the_text_in_omegaconf(text):
    escaped = hydra.escape_interpolations(text)
    assert OmegaConf.create({"a": escaped}).a == text
    assert hydra.unescape_interpolations(escaped) == text


def test_an_unescaped_interpolation_is_refused():
    with pytest.raises(hydra.InterpolationError):
        hydra.unescape_interpolations("Hello ${name}")


# -- Override lines, read by Hydra's parser ---------------------------------------------


def read_one(line):
    [(key, value)] = hydra.split_overrides(line)
    return key, value


@pytest.mark.parametrize(
    ("line", "value"),
    [
        # A word as Hydra receives it, quoted here for the shell that hands it over.
        (r"'mephisto.task.task_tags=static\,task\,testing'", "static,task,testing"),
        ("key=blender_90M:blender_3B:10", "blender_90M:blender_3B:10"),
        (r"'task_title=Rate images \(quick\)'", "Rate images (quick)"),
        ("task_name=0802", "0802"),
        ("a=1e-1", 0.1),
        ("a=1e5", 100000.0),
        ("a=[1,2]", [1, 2]),
        ("a={x:1}", {"x": 1}),
        ("a=null", None),
        ("a='${b}'", "${b}"),
        ("a=true", True),
        ("a=1_000", 1000),
        ("'a=two words'", "two words"),
        ("""'a="say \\"hi\\""'""", 'say "hi"'),
        ("a=", ""),
        ("a=str(1)", "1"),
        ("'a=[x, {y: [null]}]'", ["x", {"y": [None]}]),
    ],
)
def test_override_values_are_what_hydra_reads(line, value):
    [word] = shlex.split(line)
    assert hydra_value(word) == value
    key, read = read_one(line)
    assert read == value
    assert type(read) is type(value)
    assert key == word.partition("=")[0]


def test_task_name_0802_is_text_as_in_hydra():
    assert read_one("mephisto.task.task_name=0802") == ("mephisto.task.task_name", "0802")


def test_add_and_force_add_prefixes_set_the_key():
    assert hydra.split_overrides("+a=1 ++b.c=x mephisto/provider=mock") == [
        ("a", 1),
        ("b.c", "x"),
        ("mephisto/provider", "mock"),
    ]


def test_comments_and_line_breaks_are_shell_words():
    assert hydra.split_overrides("a=1\n  b=2  # c=3\n") == [("a", 1), ("b", 2)]


@pytest.mark.parametrize(
    ("line", "shown"),
    [
        ("k=1,2", "1,2"),
        ("k=choice(1,2)", "choice(1,2)"),
        ("k=range(3)", "range(3)"),
        ("k=interval(0,1)", "interval(0,1)"),
        ("'k=glob(*)'", "glob(*)"),
        ("k=[choice(1,2)]", "[choice(1,2)]"),
        # The shell drops the backslashes: Hydra then sees a sweep too.
        (r"k=static\,task", "static,task"),
    ],
)
def test_sweeps_are_refused_naming_the_key(line, shown):
    with pytest.raises(hydra.OverrideError) as error:
        hydra.split_overrides(line)
    assert str(error.value) == (
        f"k: sweeps ({shown}) are not supported; give one value, or quote text with commas"
        """ for the shell and for Hydra: 'k="a,b"'."""
    )
    [word] = shlex.split(line)
    assert OverridesParser.create().parse_overrides([word])[0].is_sweep_override() or "[" in word


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("a=[1,", "'a=[1,' is not a valid Hydra override: no viable alternative at input '[1,'."),
        (
            "a=[1,2]]",
            "'a=[1,2]]' is not a valid Hydra override: extraneous input ']' expecting <EOF>.",
        ),
        (
            "a=é",
            "'a=é' is not a valid Hydra override: Hydra does not read 'é' at position 2"
            " outside quotes; quote the value.",
        ),
        (
            """'a="x'""",
            """'a="x' is not a valid Hydra override: the quote at position 2 is never closed.""",
        ),
        ("a", "'a' is not a key=value override."),
        ("~a.b", "'~a.b' deletes a.b; an import reads values only: remove it."),
        (
            "a=shuffle([1,2])",
            "'a=shuffle([1,2])' is not a valid Hydra override: ValueError while evaluating"
            " 'shuffle([1,2])': shuffle() gives a different order each time it is read; write"
            " the order.",
        ),
        ("a='x", "cannot be read as shell words: No closing quotation."),
    ],
)
def test_override_grammar_errors_name_the_word(line, message):
    with pytest.raises(hydra.OverrideError) as error:
        hydra.split_overrides(line)
    assert str(error.value) == message


def test_every_grammar_error_hydra_raises_is_an_override_error():
    for word in ("a=[1,", "a=é", "1a=1", "a=b=c", "a=${b", "a=int(1e400)", "a=tag(x,1)"):
        with pytest.raises(hydra.OverrideError):
            hydra.split_overrides(shlex.quote(word))


def test_an_integer_too_long_for_python_is_read_as_a_long_integer():
    [(key, value)] = hydra.split_overrides("a=1" + "0" * 5000)
    assert (key, value.digits) == ("a", 5001)
    with pytest.raises(hydra.OverrideError) as error:
        hydra.split_overrides("a=[1" + "0" * 5000 + "]")
    assert str(error.value) == "a: a number of 5,001 digits is too long to read (at most 4,300)."


def test_override_bounds():
    deep = "a=" + "[" * 101 + "]" * 101
    with pytest.raises(hydra.OverrideError, match=r"^a: nested too deeply\.$"):
        hydra.split_overrides(deep)
    assert read_one("a=" + "[" * 100 + "]" * 100)[1] is not None
    with pytest.raises(hydra.OverrideError) as error:
        hydra.split_overrides("a=[" + ",".join(["1"] * 1002) + "]")
    assert str(error.value) == (
        "a: more than 1,000 list or dict items in one value; export as YAML or JSON instead."
    )
    quoted = "'a=[" + ",".join(['"x,y"'] * 600) + "]'"
    assert len(read_one(quoted)[1]) == 600  # commas in quotes are not items
    many = " ".join(f"a{n}=[" + ",".join(["1"] * 900) + "]" for n in range(12))
    with pytest.raises(hydra.OverrideError, match="more than 10,000 list or dict items in all"):
        hydra.split_overrides(many)
    with pytest.raises(hydra.OverrideError, match="more than 1,000 overrides"):
        hydra.split_overrides("a=1 " * 1001)
    with pytest.raises(hydra.OverrideError) as error:
        hydra.split_overrides("a=" + "x" * 100_000)
    assert str(error.value) == (
        "100,002 characters; an overrides file is a launch command line of at most 100,000."
        " Export long values as YAML or JSON instead."
    )


# -- Override values written for Hydra --------------------------------------------------


@pytest.mark.parametrize("text", ['say "hi"', "ends with " + B, B + '"', "", "a'b", "x" + B + B])
def test_quoted_strings_read_back_by_hydra(text):
    assert hydra_value(f"k={hydra.quote_string(text)}") == text
    assert read_one(hydra.format_override("k", text)) == ("k", text)


def test_floats_use_hydras_exponent_form():
    assert hydra.format_value(1e-05) == "1e-5"
    assert hydra_value("k=1e-5") == 1e-05


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**20), 10**20)
    | st.floats(allow_nan=False)
    | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.from_regex(hydra.DICT_KEY, fullmatch=True).filter(
                lambda key: key.lower() not in {"null", "true", "false", "inf", "nan"}
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(derandomize=True, max_examples=200, deadline=None)
@given(value=json_values)
def test_any_value_written_as_an_override_reads_back_exactly_in_hydra(value):
    if "\x00" in repr(value):
        return  # no command line carries a NUL (the exporter refuses it)
    word = f"k={hydra.format_value(value)}"
    assert hydra_value(word) == value
    assert read_one(hydra.format_override("k", value)) == ("k", value)


# -- YAML, read with OmegaConf's rules ------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("task_title: 2024-01-15\n", "2024-01-15"),
        ("task_title: 2024-01-15 10:00:00\n", "2024-01-15 10:00:00"),
        ("task_reward: 1e-1\n", 0.1),
        ("task_reward: 1e5\n", 100000.0),
        ("task_reward: 1.5e3\n", 1500.0),
        ("task_reward: .5\n", 0.5),
        ("task_name: 0802\n", "0802"),
        ("task_name: 0o17\n", "0o17"),
        ("task_name: 017\n", 15),
        ("task_name: yes\n", True),
        ("task_name: null\n", None),
        ("task_name: '1e5'\n", "1e5"),
        ("task_name: ${x}\n", "${x}"),
    ],
)
def test_yaml_values_are_what_omegaconf_reads(text, value):
    key = text.partition(":")[0]
    assert omegaconf_value(text, key) == value
    read = hydra.load_yaml(text)[key]
    assert read == value
    assert type(read) is type(value)


CONFIGS = Path(__file__).parent / "data" / "configs"


@pytest.mark.parametrize(
    "name",
    sorted(path.name for path in CONFIGS.glob("*.yaml") if "\n---" not in path.read_text()),
)
def test_a_real_config_reads_the_same_composed_by_libyaml_as_by_the_python_loader(name):
    # load_yaml lets libyaml compose a text without aliases ("*"); the pure
    # Python loader is the reference. repr tells 1, 1.0, True and "1" apart.
    text = (CONFIGS / name).read_text()
    assert "*" not in text
    expected = yaml.load(text, Loader=hydra.BoundedSafeLoader)
    assert repr(hydra.load_yaml(text)) == repr(expected)


@pytest.mark.parametrize(
    "text",
    [
        "a: '*not an alias'\nb: 1e5\nc: 017\n",
        "a: &x {b: [1, 2.0, yes, null, 1e-1]}\nc: *x\n",
        "list:\n  - {x: 0802}\n  - ${oc.env:HOME}\n  - '2024-01-15'\n",
    ],
)
def test_yaml_with_or_without_aliases_reads_as_the_python_loader_reads_it(text):
    expected = yaml.load(text, Loader=hydra.BoundedSafeLoader)
    assert repr(hydra.load_yaml(text)) == repr(expected)


def test_yaml_infinity_is_a_float_as_in_omegaconf():
    assert math.isinf(hydra.load_yaml("a: .inf\n")["a"])
    assert math.isinf(omegaconf_value("a: .inf\n", "a"))


def test_yaml_with_many_aliases_is_refused():
    text = "a: &a 1\n" + "".join(f"b{n}: *a\n" for n in range(25))
    with pytest.raises(hydra.YAMLError, match="more than 20 YAML aliases"):
        hydra.load_yaml(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: !!python/object/apply:os.system ['true']\n",
        # OmegaConf's own loader builds these; Taskadmin keeps no path objects.
        "a: !!python/object/apply:pathlib.Path ['/etc']\n",
        "a: !!python/object/apply:pathlib.PosixPath ['/etc']\n",
    ],
)
def test_yaml_with_python_tags_is_refused(text):
    with pytest.raises(hydra.YAMLError, match="not valid YAML: could not determine a constructor"):
        hydra.load_yaml(text)


def test_yaml_with_a_key_given_twice_is_refused_as_omegaconf_refuses_it():
    with pytest.raises(Exception, match="duplicate key"):
        OmegaConf.create("a: 1\na: 2\n")
    with pytest.raises(hydra.YAMLError) as error:
        hydra.load_yaml("a: 1\na: 2\n")
    assert str(error.value) == (
        "found duplicate key a at line 2, column 1: Hydra and OmegaConf refuse a key given"
        " twice; keep one."
    )


def test_several_yaml_documents_are_read_in_order_with_one_alias_limit():
    assert hydra.load_yaml_documents("a: 1\n---\nb: 2\n") == [{"a": 1}, {"b": 2}]
    assert hydra.load_yaml_documents("a: 1\n") == [{"a": 1}]
    documents = "".join("---\na: &a 1\nb: [*a, *a, *a]\n" for _ in range(7))
    with pytest.raises(hydra.YAMLError, match="more than 20 YAML aliases"):
        hydra.load_yaml_documents(documents)
    with pytest.raises(hydra.YAMLError, match="expected a single document"):
        hydra.load_yaml("a: 1\n---\nb: 2\n")


# -- YAML, written so OmegaConf reads the same strings --------------------------------------


@pytest.mark.parametrize("text", ["0\x85", "a\u2028b", "c\u2029", "x\ry", "tab\tand  spaces "])
def test_yaml_keeps_unusual_line_breaks_exactly(text):
    assert hydra.load_yaml(hydra.dump_yaml({"a": text})) == {"a": text}


@pytest.mark.parametrize(
    "text", ["1e5", "1e-1", "1_000.5", ".5", "1:20", "2024-01-15", "0802", "yes", "~", "null", ""]
)
def test_yaml_quotes_strings_omegaconf_would_read_as_something_else(text):
    written = hydra.dump_yaml({"a": text})
    assert omegaconf_value(written, "a") == text
    assert hydra.load_yaml(written) == {"a": text}


def test_yaml_writes_1e5_text_quoted():
    assert hydra.dump_yaml({"task_name": "1e5"}) == "task_name: '1e5'\n"


@settings(derandomize=True, max_examples=200, deadline=None)
@given(text=st.text(max_size=40))
def test_any_string_written_as_yaml_reads_back_as_the_same_string_in_omegaconf(text):
    written = hydra.dump_yaml({"a": text, text: "key"})
    assert omegaconf_value(written, "a") == text
    assert omegaconf_value(written, text) == "key"
    assert hydra.load_yaml(written) == {"a": text, text: "key"}


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    text=st.from_regex(
        r"[-+]?[0-9_.:eE]{1,12}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9:.]{1,12})?", fullmatch=True
    )
)
def test_number_and_date_like_strings_written_as_yaml_stay_strings_in_omegaconf(text):
    assert omegaconf_value(hydra.dump_yaml({"a": text}), "a") == text


# -- YAML written as PyYAML writes it ----------------------------------------------------

# Text that touches every choice PyYAML's emitter makes: plain, single- or
# double-quoted, folded past 80 columns, resolved as another type.
yaml_text = st.lists(
    st.one_of(
        st.sampled_from(
            [
                " ",
                "  ",
                ": ",
                " #",
                "#",
                "'",
                '"',
                "-",
                "? ",
                "---",
                "...",
                ",",
                "[",
                "{",
                "*",
                "&",
                "!",
                "|",
                ">",
                "%",
                "@",
                "`",
                "true",
                "null",
                "~",
                "1e5",
                "0x1F",
                "2024-01-15",
                "yes",
                "on",
                "1_000",
                ".inf",
                "é",
                "漢字",
                "🙂",
                "\t",
                "\n",
                "\r",
                "\x85",
                "\u2028",
                "\x7f",
                "\ufeff",
                "word",
                "a longer run of words to fold",
            ]
        ),
        st.text(max_size=5),
    ),
    max_size=40,
).map("".join)
yaml_values = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(),
        yaml_text,
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(yaml_text, children, max_size=4)
    ),
    max_leaves=12,
)


@given(st.dictionaries(yaml_text, yaml_values, min_size=1, max_size=6))
@settings(max_examples=400, deadline=None)
def test_yaml_is_written_byte_for_byte_as_pyyaml_writes_it(document):
    assert hydra.dump_yaml(document) == hydra._pyyaml_dump(document)


def test_long_text_folds_at_spaces_past_eighty_columns_as_pyyaml_does():
    document = {"mephisto": {"task": {"task_description": "word " * 40 + "end", "q": "'x' " * 30}}}
    text = hydra.dump_yaml(document)
    assert text == hydra._pyyaml_dump(document)
    assert "\n      word" in text


def test_text_pyyaml_double_quotes_is_left_to_pyyaml():
    document = {"a": "line one\nline two", "b": ["tab\there"], "c": [[1]]}
    with pytest.raises(hydra._Unsupported):
        hydra._BlockWriter().document(document)
    assert hydra.dump_yaml(document) == hydra._pyyaml_dump(document)
