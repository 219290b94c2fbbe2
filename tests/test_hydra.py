"""tasks.hydra: escaping for OmegaConf, quoting for Hydra, bounded YAML loading."""

import pytest
from hydra.core.override_parser.overrides_parser import OverridesParser
from omegaconf import OmegaConf

from tasks import hydra

B = "\\"


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


@pytest.mark.parametrize("text", ['say "hi"', "ends with " + B, B + '"', "", "a'b", "x" + B + B])
def test_quoted_strings_read_back_by_hydra(text):
    [override] = OverridesParser.create().parse_overrides([f"k={hydra.quote_string(text)}"])
    assert override.value() == text
    assert hydra.parse_value(hydra.quote_string(text)) == text


def test_floats_use_hydras_exponent_form():
    assert hydra.format_value(1e-05) == "1e-5"
    assert hydra.parse_value("1e-5") == 1e-05


def test_sweeps_are_refused():
    with pytest.raises(hydra.OverrideError, match="sweeps"):
        hydra.parse_value("1,2", "k")


def test_yaml_with_many_aliases_is_refused():
    text = "a: &a 1\n" + "".join(f"b{n}: *a\n" for n in range(25))
    with pytest.raises(hydra.YAMLError, match="more than 20 YAML aliases"):
        hydra.load_yaml(text)


def test_yaml_with_python_tags_is_refused():
    with pytest.raises(hydra.YAMLError, match="not valid YAML"):
        hydra.load_yaml("a: !!python/object/apply:os.system ['true']\n")


@pytest.mark.parametrize("text", ["0\x85", "a\u2028b", "c\u2029", "x\ry", "tab\tand  spaces "])
def test_yaml_keeps_unusual_line_breaks_exactly(text):
    assert hydra.load_yaml(hydra.dump_yaml({"a": text})) == {"a": text}
