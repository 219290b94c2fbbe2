"""How values are written for Hydra/OmegaConf, and read back exactly.

Three layers, each with its own escaping rules (from Hydra's and OmegaConf's grammars):
- OmegaConf resolves `${...}` in any string value, so a literal `${` is written `\\${`
  (and the backslashes just before it are doubled).
- Hydra's override grammar reads a quoted value with `\\` as an escape only before the
  quote character (or the closing quote), so only those backslash runs are doubled.
- The shell reads the whole `key=value` argument, quoted with shlex.
"""

import re
import shlex
import sys

import yaml

MISSING = "???"  # OmegaConf's "missing value"

# -- OmegaConf interpolation escaping ------------------------------------------------
# OmegaConf reads a run of n backslashes before `${` as n // 2 backslashes, then an
# interpolation when n is even or the characters `${` when n is odd. Backslashes
# anywhere else are literal (checked against OmegaConf 2.3 in the tests).

_BEFORE_INTERPOLATION = re.compile(r"(\\*)\$\{")


def escape_interpolations(text):
    """The string OmegaConf resolves to exactly `text`."""
    return _BEFORE_INTERPOLATION.sub(lambda m: m[1] * 2 + "\\${", text)


class InterpolationError(ValueError):
    pass


def _unescape(match):
    if len(match[1]) % 2 == 0:
        raise InterpolationError(
            "holds an interpolation (${...}) that Taskadmin cannot resolve;"
            " write \\${ for the characters ${."
        )
    return match[1][: len(match[1]) // 2] + "${"


def unescape_interpolations(text):
    """Inverse of escape_interpolations; an unescaped `${...}` is refused."""
    return _BEFORE_INTERPOLATION.sub(_unescape, text)


def has_interpolation(text):
    """True when OmegaConf would resolve something in `text`: an unescaped `${`."""
    return any(len(match[1]) % 2 == 0 for match in _BEFORE_INTERPOLATION.finditer(text))


def strings_in(value):
    """Every string inside `value` (a JSON value; dict keys left out), without recursion."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def holds_interpolation(value):
    """True when any string inside `value` (a JSON value) has an interpolation."""
    return any(has_interpolation(text) for text in strings_in(value))


def interpolation_problem(text):
    """Why OmegaConf could not read `text` (a value with `${`), or None."""
    from omegaconf import grammar_parser
    from omegaconf.errors import GrammarParseError

    try:
        grammar_parser.parse(text)
    except GrammarParseError:
        return (
            f"“{text[:60]}” is not a valid OmegaConf interpolation; write \\${{ for the"
            " characters ${."
        )
    return None


def map_strings(value, function):
    """`value` with `function` applied to every string inside it (not to dict keys)."""
    if isinstance(value, str):
        return function(value)
    if isinstance(value, list):
        return [map_strings(item, function) for item in value]
    if isinstance(value, dict):
        return {key: map_strings(item, function) for key, item in value.items()}
    return value


# -- Integers too long to read --------------------------------------------------------


class LongInteger:
    """Stands for an integer literal of more digits than Python converts to or from text
    (`sys.get_int_max_str_digits()`, 4,300 by default; the run form refuses them too).
    Readers return it instead of failing, so the importer can say where it was."""

    def __init__(self, digits):
        self.digits = digits

    @classmethod
    def of(cls, value):
        """For an int already read (from hex, say): its decimal digits, near enough."""
        return cls(int(value.bit_length() * 0.30103) + 1)

    def __str__(self):
        return f"<a number of {self.digits:,} digits>"


def read_integer(text, base=10):
    """int(text, base), or a LongInteger when Python refuses that many digits."""
    try:
        return int(text, base)
    except ValueError:
        if not is_long_integer_text(text):
            raise
        return LongInteger(sum(char.isalnum() for char in text))


def is_long_integer_text(text):
    limit = sys.get_int_max_str_digits()
    return bool(limit) and sum(char.isdigit() for char in text) > limit


def too_long_to_print(value):
    """True for an int str() refuses (one read from hex or octal, say)."""
    limit = sys.get_int_max_str_digits()
    # bit_length first: computing 10 ** limit for every small number would be waste.
    return bool(limit) and value.bit_length() > 3 * limit and abs(value) >= 10**limit


# -- YAML ----------------------------------------------------------------------------

MAX_YAML_ALIASES = 20


class YAMLError(ValueError):
    pass


class BoundedSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses documents with many aliases (a "billion laughs" bomb)
    or a key given twice, and reads integers too long for Python as LongInteger."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self.alias_count = getattr(self, "alias_count", 0) + 1
            if self.alias_count > MAX_YAML_ALIASES:
                raise YAMLError(
                    f"uses more than {MAX_YAML_ALIASES} YAML aliases (*name);"
                    " write the values out instead."
                )
        return super().compose_node(parent, index)

    def construct_mapping(self, node, deep=False):
        # PyYAML keeps the last of two equal keys; OmegaConf (so Hydra and
        # Mephisto) refuses the file: "found duplicate key". So does the import.
        # Keys merged in with `<<: *alias` may be overridden, as in OmegaConf.
        if isinstance(node, yaml.MappingNode):
            seen = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                try:
                    duplicate = key in seen
                    seen.add(key)
                except TypeError:
                    continue  # unhashable: PyYAML itself says so below
                if duplicate:
                    mark = key_node.start_mark
                    raise YAMLError(
                        f"found duplicate key {_shown_key(key)} at line {mark.line + 1},"
                        f" column {mark.column + 1}: Hydra and OmegaConf refuse a key"
                        " given twice; keep one."
                    )
        return super().construct_mapping(node, deep)

    def construct_yaml_int(self, node):
        if is_long_integer_text(node.value):
            return LongInteger(sum(char.isalnum() for char in node.value))
        value = super().construct_yaml_int(node)
        if too_long_to_print(value):
            return LongInteger.of(value)
        return value


BoundedSafeLoader.add_constructor("tag:yaml.org,2002:int", BoundedSafeLoader.construct_yaml_int)


def _shown_key(key):
    if isinstance(key, str):
        return key.encode("utf-8", "backslashreplace").decode()
    return str(key)


def load_yaml(text):
    loader = BoundedSafeLoader(text)
    try:
        return loader.get_single_data()
    except yaml.YAMLError as error:
        raise YAMLError(f"not valid YAML: {_one_line(error)}") from None
    finally:
        loader.dispose()


def _one_line(error):
    return " ".join(str(error).split())


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper, text):
    # PyYAML may write these line breaks raw in a plain or single-quoted scalar,
    # where YAML folds them into a space: double quotes escape them (\N, \L, \P).
    text = str(text)  # a str enum (Provider.MOCK) is written as its value
    style = '"' if any(char in text for char in "\r\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_multi_representer(str, _represent_str)


def dump_yaml(document):
    return yaml.dump(
        document,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
    )


# -- Hydra command-line overrides ----------------------------------------------------

DICT_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_KEYWORDS = {"null", "true", "false", "inf", "nan"}
_QUOTE_RUNS = re.compile(r'(\\*)("|\Z)')


class OverrideError(ValueError):
    pass


def quote_string(text):
    """A Hydra double-quoted value that Hydra reads back as `text`."""
    return '"' + _QUOTE_RUNS.sub(lambda m: m[1] * 2 + ("\\" + m[2] if m[2] else ""), text) + '"'


def format_value(value):
    """A Python value (from JSON) as a Hydra override value; strings must be escaped first."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        # Hydra's exponent has no leading zero: 1e-05 is written 1e-5.
        return re.sub(r"e([+-]?)0*(\d)", r"e\1\2", repr(value))
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, list):
        return "[" + ",".join(format_value(item) for item in value) + "]"
    if isinstance(value, dict):
        for key in value:
            if not DICT_KEY.match(key) or key.lower() in _KEYWORDS:
                raise OverrideError(
                    f"the key {key!r} cannot be written as a Hydra command-line override"
                    " (use letters, digits and _); export as YAML or JSON instead."
                )
        return "{" + ",".join(f"{k}:{format_value(v)}" for k, v in value.items()) + "}"
    raise OverrideError(f"cannot write {type(value).__name__} as an override.")


def format_override(key, value):
    """One shell word: key=value, quoted so a shell hands Hydra exactly that text."""
    return shlex.quote(f"{key}={format_value(value)}")


def split_overrides(text):
    """[(key, value), ...] from a line of overrides as a shell would pass them to Hydra."""
    try:
        words = shlex.split(text, comments=True)
    except ValueError as error:
        raise OverrideError(f"cannot be read as shell words: {error}.") from None
    pairs = []
    for word in words:
        key, sep, raw = word.partition("=")
        if not sep or not re.fullmatch(r"\+{0,2}[A-Za-z_][\w./]*", key):
            raise OverrideError(f"{word!r} is not a key=value override.")
        pairs.append((key.lstrip("+"), parse_value(raw, key)))
    return pairs


_INT = re.compile(r"[+-]?(0|[1-9](_?\d)*)\Z")
_FLOAT = re.compile(r"[+-]?((\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?|inf|nan)\Z", re.IGNORECASE)


def parse_value(text, key="value"):
    parser = _ValueParser(text, key)
    value = parser.element(depth=0)
    parser.skip_ws()
    if parser.pos != len(text):
        if text[parser.pos] == ",":
            raise OverrideError(f"{key}: sweeps (a,b) are not supported; give one value.")
        raise OverrideError(f"{key}: unexpected {text[parser.pos]!r} at position {parser.pos}.")
    return value


class _ValueParser:
    """Hydra's value grammar, the parts a config needs: primitives, quoted strings, [..], {..}."""

    # A guard for the recursion only: how deeply a value may nest is the
    # model's rule (validators.MAX_NESTING), so the import and the form agree.
    MAX_DEPTH = 100

    def __init__(self, text, key):
        self.text, self.key, self.pos = text, key, 0

    def fail(self, what):
        raise OverrideError(f"{self.key}: {what}")

    def skip_ws(self):
        while self.pos < len(self.text) and self.text[self.pos] in " \t":
            self.pos += 1

    def element(self, depth):
        if depth > self.MAX_DEPTH:
            self.fail("nested too deeply.")
        self.skip_ws()
        char = self.text[self.pos : self.pos + 1]
        if char == "[":
            return self.container(depth, "]", self.element)
        if char == "{":
            return dict(self.container(depth, "}", self.pair))
        if char in ("'", '"'):
            return self.quoted(char)
        return self.primitive()

    def container(self, depth, close, item):
        self.pos += 1
        items = []
        self.skip_ws()
        if self.text.startswith(close, self.pos):
            self.pos += 1
            return items
        while True:
            items.append(item(depth + 1))
            self.skip_ws()
            char = self.text[self.pos : self.pos + 1]
            self.pos += 1
            if char == close:
                return items
            if char != ",":
                self.fail(f"expected ',' or '{close}' at position {self.pos - 1}.")

    def pair(self, depth):
        self.skip_ws()
        match = re.compile(r"[^:,{}\[\]]*").match(self.text, self.pos)
        key = match[0].strip()
        self.pos = match.end()
        if not self.text.startswith(":", self.pos) or not key:
            self.fail(f"expected key: value at position {self.pos}.")
        self.pos += 1
        return key, self.element(depth)

    def quoted(self, quote):
        start = self.pos
        i = start + 1
        while i < len(self.text):
            if self.text[i] == "\\":
                run_end = i
                while run_end < len(self.text) and self.text[run_end] == "\\":
                    run_end += 1
                if self.text.startswith(quote, run_end):
                    run = run_end - i
                    if run % 2:  # odd: an escaped quote inside the string
                        i = run_end + 1
                        continue
                    i = run_end  # even: escaped backslashes, then the closing quote
                else:
                    i = run_end
                    continue
            if self.text[i] == quote:
                self.pos = i + 1
                return re.sub(
                    r"(\\+)(" + re.escape(quote) + r"|\Z)",
                    lambda m: m[1][: len(m[1]) // 2] + m[2],
                    self.text[start + 1 : i],
                )
            i += 1
        self.fail("a quoted value is missing its closing quote.")

    def primitive(self):
        match = re.compile(r"[^,\[\]{}:'\"]*").match(self.text, self.pos)
        raw = match[0].strip()
        self.pos = match.end()
        if not raw:
            self.fail(f"expected a value at position {self.pos}.")
        lowered = raw.lower()
        if lowered == "null":
            return None
        if lowered in ("true", "false"):
            return lowered == "true"
        if _INT.match(raw):
            return read_integer(raw.replace("_", ""))
        if _FLOAT.match(raw):
            return float(raw)
        return raw
