"""How values are written for Hydra/OmegaConf, and read back exactly.

Three layers, each with its own escaping rules (from Hydra's and OmegaConf's grammars):
- OmegaConf resolves `${...}` in any string value, so a literal `${` is written `\\${`
  (and the backslashes just before it are doubled).
- Hydra's override grammar reads a quoted value with `\\` as an escape only before the
  quote character (or the closing quote), so only those backslash runs are doubled.
- The shell reads the whole `key=value` argument, quoted with shlex.
"""

import contextlib
import functools
import math
import re
import shlex
import sys

import yaml
from hydra._internal.grammar import grammar_functions
from hydra.core.override_parser.overrides_parser import OverridesParser, create_functions
from hydra.errors import OverrideParseException
from omegaconf._utils import get_yaml_loader

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


# OmegaConf's grammar parser takes about 0.4 ms a text, and an import repeats
# the same few texts in every run: remembered (a pure function of the text).
@functools.lru_cache(maxsize=1024)
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


# OmegaConf (so Hydra and Mephisto) reads YAML with its own loader: PyYAML's
# SafeLoader, but `1e-1` and `1e5` are floats and `2024-01-15` is text (no
# timestamps), and a key given twice is refused. Reading with the same class
# gives the same values. (It is in omegaconf._utils, hence the pinned version.)
_OmegaConfLoader = get_yaml_loader()


class BoundedSafeLoader(_OmegaConfLoader):
    """OmegaConf's loader that refuses documents with many aliases (a "billion laughs"
    bomb) or a key given twice, and reads integers too long for Python as LongInteger."""

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


# OmegaConf's loader also builds pathlib paths from `!!python/object/apply:pathlib.Path`
# tags; no config value Taskadmin keeps is a path object, so those tags are refused
# like every other python/ tag.
BoundedSafeLoader.yaml_constructors = {
    tag: constructor
    for tag, constructor in _OmegaConfLoader.yaml_constructors.items()
    if tag is None or not tag.startswith("tag:yaml.org,2002:python/")
}
BoundedSafeLoader.add_constructor("tag:yaml.org,2002:int", BoundedSafeLoader.construct_yaml_int)


try:
    from yaml.cyaml import CParser as _CParser
except ImportError:  # PyYAML built without libyaml: the Python loader only
    _CParser = None

if _CParser is not None:

    class _CComposedLoader(_CParser, BoundedSafeLoader):
        """BoundedSafeLoader's resolver and constructor on libyaml's parser and
        composer, which resolves each node's tag by calling the same resolver:
        for a text without aliases, whose alias count (all BoundedSafeLoader's
        composer adds) is nought."""

        def __init__(self, stream):
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    class _FastBoundedLoader(_CComposedLoader):
        """BoundedSafeLoader's composer, resolver and constructor on libyaml's events."""

        # The Python composer instead of libyaml's, so that aliases are counted
        # (BoundedSafeLoader.compose_node).
        get_single_node = yaml.composer.Composer.get_single_node
        get_node = yaml.composer.Composer.get_node
        check_node = yaml.composer.Composer.check_node


def _shown_key(key):
    if isinstance(key, str):
        return key.encode("utf-8", "backslashreplace").decode()
    return str(key)


def load_yaml(text):
    """The one document in `text`, read as OmegaConf reads it (YAMLError if not one).

    Read first with libyaml's C scanner and parser (PyYAML's own, several times
    faster: a Mephisto database holds thousands of these texts), feeding the
    same Python composer (libyaml's for a text without aliases), resolver and
    constructor as BoundedSafeLoader, so every value gets the same type. Both
    scanners accept the same printable characters; whatever the C one cannot
    read (or any error, such as a duplicate key) is read again by the
    pure-Python loader, whose verdict and message stand.
    """
    if _CParser is not None:
        loader = None
        try:
            # An alias is written *name: without a "*", there is none to count.
            loader = (_FastBoundedLoader if "*" in text else _CComposedLoader)(text)
            return loader.get_single_data()
        except Exception:  # noqa: BLE001 - the Python loader below gives the verdict
            pass
        finally:
            if loader is not None:
                loader.dispose()
    with _loader(text) as loader:
        return loader.get_single_data()


def load_yaml_documents(text, most=None):
    """Every document in `text` (`---` between them), each read as OmegaConf reads one;
    the alias limit is for the whole text. With `most`, reading stops after
    `most` + 1 documents that are not empty: enough to tell there are too many."""
    with _loader(text) as loader:
        documents, filled = [], 0
        while (most is None or filled <= most) and loader.check_data():
            documents.append(loader.get_data())
            filled += documents[-1] is not None
        return documents


@contextlib.contextmanager
def _loader(text):
    """A BoundedSafeLoader for `text`, its errors as YAMLError. Making the loader
    reads the text already: a character YAML refuses (a lone surrogate or a
    control character, which a Mephisto database's init_params may hold as a
    JSON escape) fails there, before any document is read."""
    loader = None
    try:
        loader = BoundedSafeLoader(text)
        yield loader
    except yaml.YAMLError as error:
        raise YAMLError(f"not valid YAML: {_one_line(error)}") from None
    finally:
        if loader is not None:
            loader.dispose()


def _one_line(error):
    return " ".join(str(error).split())


class _Dumper(yaml.SafeDumper):
    """SafeDumper that writes a string plain only when both OmegaConf's loader and
    PyYAML's read it back as that string: `1e5` (a float to OmegaConf) and
    `2024-01-15` (a date to PyYAML) are quoted."""


_Dumper.yaml_implicit_resolvers = {
    first: list(
        dict.fromkeys(
            [
                *yaml.SafeDumper.yaml_implicit_resolvers.get(first, []),
                *_OmegaConfLoader.yaml_implicit_resolvers.get(first, []),
            ]
        )
    )
    for first in {
        *yaml.SafeDumper.yaml_implicit_resolvers,
        *_OmegaConfLoader.yaml_implicit_resolvers,
    }
}


def _represent_str(dumper, text):
    # PyYAML may write these line breaks raw in a plain or single-quoted scalar,
    # where YAML folds them into a space: double quotes escape them (\N, \L, \P).
    text = str(text)  # a str enum (Provider.MOCK) is written as its value
    style = '"' if any(char in text for char in "\r\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_multi_representer(str, _represent_str)


def dump_yaml(document):
    """`document` (a dict from JSON) as block-style YAML: PyYAML's `yaml.dump` with
    the dumper above, byte for byte. Most documents are written by `_BlockWriter`,
    which writes what PyYAML would about 20 times faster; whatever it does not
    handle (text PyYAML double-quotes, a list in a list, ...) PyYAML writes."""
    try:
        return _BlockWriter().document(document)
    except _Unsupported:
        return _pyyaml_dump(document)


def _pyyaml_dump(document):
    return yaml.dump(
        document,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
    )


class _Unsupported(Exception):
    """The document holds something `_BlockWriter` leaves to PyYAML."""


# PyYAML's emitter settings that `dump_yaml` uses: 2-space indents, lines folded
# at spaces once past 80 columns.
_INDENT = 2
_WIDTH = 80
# Text PyYAML writes plain or single-quoted without escapes or line breaks:
# printable characters (allow_unicode) other than the line breaks \x85, \u2028
# and \u2029 and the byte-order mark. Anything else is double-quoted: PyYAML's job.
_QUOTABLE = re.compile(
    "[\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010fffe]*"
)
# What stops PyYAML's emitter writing quotable text plain in block context
# (Emitter.analyze_scalar): a document marker or an indicator first, ": " or
# " #" inside, a space first or last.
_NOT_PLAIN = re.compile(r"\A(?:---|\.\.\.|[#,\[\]{}&*!|>'\"%@`]|[?:-](?: |\Z)| )|: |:\Z| #| \Z")
_STR_TAG = "tag:yaml.org,2002:str"


def _implicit_tag(text):
    """The tag `_Dumper`'s resolver gives `text` written plain (BaseResolver.resolve)."""
    tag = _TAGS.get(text)
    if tag is None:
        resolvers = _Dumper.yaml_implicit_resolvers
        tag = next(
            (
                tag
                for tag, pattern in resolvers.get(text[:1], []) + resolvers.get(None, [])
                if pattern.match(text)
            ),
            _STR_TAG,
        )
        if len(_TAGS) < _CACHE_BOUND and len(text) <= 100:
            _TAGS[text] = tag
    return tag


# Texts met before (numbers, keys and values repeat from run to run), up to a
# small bound: the first documents fill it with what repeats (keys, "mock",
# 600), and memory stays the same however many runs are exported.
_CACHE_BOUND = 1_000
_TAGS = {}


def _plain_scalar(value):
    """(text, tag) of a non-string scalar as SafeRepresenter writes it, or None."""
    if value is None:
        return "null", "tag:yaml.org,2002:null"
    if value is True or value is False:
        return ("true" if value else "false"), "tag:yaml.org,2002:bool"
    if type(value) is int:
        return str(value), "tag:yaml.org,2002:int"
    if type(value) is float and value == value and value not in (math.inf, -math.inf):
        text = repr(value).lower()
        if "." not in text and "e" in text:
            text = text.replace("e", ".0e", 1)
        return text, "tag:yaml.org,2002:float"
    return None


class _BlockWriter:
    """PyYAML's Emitter, cut down to what exported configs hold: block mappings with
    text keys, block lists of scalars and mappings, {} and [], and scalars written
    plain or single-quoted. Its state (column, whitespace, indention) and its
    writers are Emitter's, line for line; anything else raises _Unsupported.
    """

    # Rendered keys, which repeat from run to run ("mephisto", "task_title", ...).
    _keys = {}

    def __init__(self):
        self.out = []
        self.column = 0
        self.whitespace = True
        self.indention = True
        self.seen = set()

    def document(self, document):
        if type(document) is not dict or not document:
            raise _Unsupported
        self.mapping(document, 0)
        self.write_indent(0)
        return "".join(self.out)

    def container(self, value):
        # PyYAML writes an object met twice as an anchor and an alias.
        if id(value) in self.seen:
            raise _Unsupported
        self.seen.add(id(value))

    def mapping(self, mapping, indent):
        self.container(mapping)
        for key, value in mapping.items():
            self.write_indent(indent)
            self.key(key)
            self.value(value, indent, in_mapping=True)

    def sequence(self, sequence, indent):
        self.container(sequence)
        for item in sequence:
            self.write_indent(indent)
            self.write_indicator("-", True, indention=True)
            if type(item) is list and item:
                raise _Unsupported  # a list in a list
            self.value(item, indent, in_mapping=False)

    def value(self, value, indent, in_mapping):
        kind = type(value)
        if kind is str:
            text = value
        elif kind is dict or kind is list:
            if not value:
                self.write_indicator("{" if kind is dict else "[", True, whitespace=True)
                self.write_indicator("}" if kind is dict else "]", False)
            elif kind is dict:
                self.mapping(value, indent + _INDENT)
            else:
                # A list in a mapping is not indented (Emitter's "indentless").
                self.sequence(value, indent if in_mapping else indent + _INDENT)
            return
        elif isinstance(value, str):
            text = str(value)  # a str enum (Provider.MOCK) is written as its value
        else:
            scalar = _plain_scalar(value)
            if scalar is None or _implicit_tag(scalar[0]) != scalar[1]:
                raise _Unsupported
            self.write_plain(scalar[0], indent + _INDENT)
            return
        if _written_plain(text):
            self.write_plain(text, indent + _INDENT)
        else:
            self.write_single_quoted(text, indent + _INDENT)

    def key(self, key):
        rendered = self._keys.get(key)
        if rendered is None:
            if type(key) is not str or not key or len(key) > 100:
                raise _Unsupported  # an empty or long key is written "? key"
            rendered = key if _written_plain(key) else "'" + key.replace("'", "''") + "'"
            rendered += ":"
            if len(self._keys) < _CACHE_BOUND:
                self._keys[key] = rendered
        # After write_indent: whitespace, so no space before the key.
        self.out.append(rendered)
        self.column += len(rendered)
        self.whitespace = False
        self.indention = False

    # -- Emitter's writers (yaml/emitter.py), for text without line breaks.

    def write_indicator(self, indicator, need_whitespace, whitespace=False, indention=False):
        data = indicator if self.whitespace or not need_whitespace else " " + indicator
        self.whitespace = whitespace
        self.indention = self.indention and indention
        self.column += len(data)
        self.out.append(data)

    def write_indent(self, indent):
        if (
            not self.indention
            or self.column > indent
            or (self.column == indent and not self.whitespace)
        ):
            self.out.append("\n")
            self.whitespace = self.indention = True
            self.column = 0
        if self.column < indent:
            self.whitespace = True
            self.out.append(" " * (indent - self.column))
            self.column = indent

    def write_plain(self, text, indent):
        if not self.whitespace:
            self.out.append(" ")
            self.column += 1
        self.whitespace = self.indention = False
        if self.column + len(text) <= _WIDTH + 1:
            # No space past the width, so no fold: most values.
            self.out.append(text)
            self.column += len(text)
        else:
            self.write_folded(text, indent, 0, len(text))

    def write_single_quoted(self, text, indent):
        self.write_indicator("'", True)
        quoted = text.replace("'", "''")
        # A space first or last is never folded.
        self.write_folded(quoted, indent, 1, len(quoted) - 1)
        self.write_indicator("'", False)

    def write_folded(self, text, indent, first, last):
        """Emitter.write_plain's and write_single_quoted's folding, for text without
        line breaks: a single space (not one of two) found past the width is a line
        break and the indent instead, if it is between `first` and `last` (exclusive)."""
        out, column, start = self.out, self.column, 0
        while True:
            # The first space whose column, when reached, is past the width.
            at = _SINGLE_SPACE.search(text, max(start + _WIDTH + 1 - column, start, first))
            if at is None or at.start() >= last:
                break
            out.append(text[start : at.start()])
            out.append("\n" + " " * indent)
            column, start = indent, at.start() + 1
        out.append(text[start:])
        self.column = column + len(text) - start


_SINGLE_SPACE = re.compile(r"(?<! ) (?! )")
# Texts met before, and whether each is written plain.
_PLAIN = {}


def _written_plain(text):
    """True when PyYAML writes `text` plain, False when single-quoted; raises
    _Unsupported when double-quoted (escapes, line breaks)."""
    plain = _PLAIN.get(text)
    if plain is None:
        if _QUOTABLE.fullmatch(text) is None:
            raise _Unsupported
        plain = bool(text) and _NOT_PLAIN.search(text) is None and _implicit_tag(text) == _STR_TAG
        if len(_PLAIN) < _CACHE_BOUND and len(text) <= 100:
            _PLAIN[text] = plain
    return plain


# -- Hydra command-line overrides ----------------------------------------------------

DICT_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_KEYWORDS = {"null", "true", "false", "inf", "nan"}
_QUOTE_RUNS = re.compile(r'(\\*)("|\Z)')


class OverrideError(ValueError):
    pass


def quote_string(text):
    """A Hydra double-quoted value that Hydra reads back as `text`."""
    if "\\" not in text and '"' not in text:
        return f'"{text}"'  # nothing to escape (most text): no regex
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


# An overrides file is a launch command line (one argument is at most 128 KiB on
# Linux), not a data file. Bounds on what Hydra's parser is given, measured:
# shlex takes about 15 s per MB; Hydra's ANTLR parser about 1 s per MB, 0.2 ms
# per override, and time growing with the square of a list's items (1,000 items
# 0.1 s, 10,000 items 9 s); nesting past a few hundred levels is a RecursionError.
MAX_OVERRIDES_CHARS = 100_000
MAX_OVERRIDES = 1_000  # words in one file
MAX_OVERRIDE_ITEMS = 1_000  # list/dict items in one value
MAX_OVERRIDE_FILE_ITEMS = 10_000  # in one file
# A guard for the recursion only: how deeply a value may nest is the model's
# rule (validators.MAX_NESTING), so the import and the form agree.
MAX_OVERRIDE_DEPTH = 100


@functools.wraps(grammar_functions.shuffle)
def _refuse_shuffle(*args, **kwargs):
    raise ValueError("shuffle() gives a different order each time it is read; write the order")


def _functions():
    """Hydra's own override functions (casts, sort, sweeps), but shuffle() refused: a
    config read twice must give the same value."""
    functions = create_functions()
    del functions.definitions["shuffle"], functions.functions["shuffle"]
    functions.register("shuffle", _refuse_shuffle)
    return functions


_PARSER = OverridesParser(_functions())


def split_overrides(text):
    """[(key, value), ...] read from shell words exactly as Hydra reads them.

    The text is split into shell words (comments allowed), each word parsed by
    Hydra's own override parser. A group choice keeps its key (`mephisto/provider`),
    `+key` and `++key` set the key as `key` does; a deletion (`~key`), a sweep
    (`a=1,2`, `choice(...)`, `range(...)`, `glob(...)`) or anything that is not
    one plain value is refused with an OverrideError naming the word or key.
    """
    if len(text) > MAX_OVERRIDES_CHARS:
        raise OverrideError(
            f"{len(text):,} characters; an overrides file is a launch command line of at most"
            f" {MAX_OVERRIDES_CHARS:,}. Export long values as YAML or JSON instead."
        )
    try:
        words = shlex.split(text, comments=True)
    except ValueError as error:
        raise OverrideError(f"cannot be read as shell words: {error}.") from None
    if len(words) > MAX_OVERRIDES:
        raise OverrideError(f"holds more than {MAX_OVERRIDES:,} overrides.")
    pairs, items = [], 0
    for word in words:
        key, value, count = _read_override(word)
        items += count
        if items > MAX_OVERRIDE_FILE_ITEMS:
            raise OverrideError(
                f"holds more than {MAX_OVERRIDE_FILE_ITEMS:,} list or dict items in all;"
                " export as YAML or JSON instead."
            )
        pairs.append((key, value))
    return pairs


def _read_override(word):
    """(key, value, items) for one override word, read by Hydra's parser."""
    if "=" not in word and not word.startswith("~"):
        raise OverrideError(f"{_shown(word)} is not a key=value override.")
    raw_key, _, raw_value = word.partition("=")
    shown_key = _shown_key(raw_key.lstrip("+~"))
    depth, items = _measure(raw_value)
    if depth > MAX_OVERRIDE_DEPTH:
        raise OverrideError(f"{shown_key}: nested too deeply.")
    if items > MAX_OVERRIDE_ITEMS:
        raise OverrideError(
            f"{shown_key}: more than {MAX_OVERRIDE_ITEMS:,} list or dict items in one value;"
            " export as YAML or JSON instead."
        )
    try:
        [override] = _PARSER.parse_overrides([word])
        value = override.value()
    except OverrideParseException as error:
        raise OverrideError(
            f"{_shown(word)} is not a valid Hydra override: {_detail(error, word)}."
        ) from None
    except ValueError as error:
        # Hydra calls int() on an integer literal: Python refuses one of more
        # than sys.get_int_max_str_digits() digits.
        digits = max(
            (len(run) for run in re.findall(r"\d+", raw_value.replace("_", ""))), default=0
        )
        limit = sys.get_int_max_str_digits()
        if not limit or digits <= limit:
            raise OverrideError(f"{_shown(word)} is not a valid Hydra override: {error}.") from None
        if not _INT.match(raw_value.strip()):
            raise OverrideError(
                f"{shown_key}: a number of {digits:,} digits is too long to read"
                f" (at most {limit:,})."
            ) from None
        return raw_key.lstrip("+"), LongInteger(digits), items
    except RecursionError:
        raise OverrideError(f"{shown_key}: nested too deeply.") from None
    key = override.key_or_group
    if override.package is not None:
        key = f"{key}@{override.package}"
    if override.is_delete():
        raise OverrideError(
            f"{_shown(word)} deletes {_shown_key(key)}; an import reads values only: remove it."
        )
    if override.is_sweep_override() or not _is_plain(value):
        raise OverrideError(_sweep_message(key, raw_value))
    return key, value, items


_INT = re.compile(r"[+-]?(0|[1-9](_?\d)*)\Z")
_HYDRA_HINT = re.compile(r"\nSee https://hydra\.cc/\S+ for details\s*\Z")
_LEXER_ERROR = "LexerNoViableAltException: "


def _detail(error, word):
    """Hydra's message for `word`, on one line, without its own headline or link."""
    message = _HYDRA_HINT.sub("", str(error))
    message = message.removeprefix(f"Error parsing override '{word}'\n")
    if message.startswith(_LEXER_ERROR):
        # "LexerNoViableAltException: WORD\n    ^": the caret marks where in WORD.
        caret = message.rpartition("\n")[2]
        position = max(len(caret) - len(_LEXER_ERROR) - 1, 0)
        char = word[position : position + 1]
        if char in ("'", '"'):
            return f"the quote at position {position} is never closed"
        return (
            f"Hydra does not read {_shown(char)} at position {position} outside quotes;"
            " quote the value"
        )
    return " ".join(message.split()).rstrip(".")


def _is_plain(value):
    """False for what Hydra gives that is not a config value: a sweep or glob inside
    a list or dict (`[choice(1,2)]`)."""
    if isinstance(value, list):
        return all(_is_plain(item) for item in value)
    if isinstance(value, dict):
        return all(_is_plain(key) and _is_plain(item) for key, item in value.items())
    return value is None or isinstance(value, str | int | float)


def _sweep_message(key, text):
    # A shell drops the backslash of `a\,b` and the quotes of `key="a,b"`: Hydra then
    # sees a sweep. Quoted for the shell as well, the comma reaches Hydra as text.
    return (
        f"{_shown_key(key)}: sweeps ({_shown(text)[1:-1]}) are not supported; give one value,"
        f""" or quote text with commas for the shell and for Hydra: '{_shown_key(key)}="a,b"'."""
    )


def _measure(text):
    """(nesting depth, list/dict items) of an override value, quoted text skipped,
    so that the parser is never given more than it reads quickly."""
    depth = deepest = items = 0
    quote = None
    position = 0
    while position < len(text):
        char = text[position]
        if char == "\\":
            position += 2  # an escaped character, in quotes or out
            continue
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char in "[{(":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]})":
            depth -= 1
        elif char == ",":
            items += 1
        position += 1
    return deepest, items


def _shown(text, limit=80):
    """Text for a message: quoted, unpaired surrogates escaped, long text cut."""
    text = _shown_key(text)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")
