"""The API's JSON reader: DRF's, refusing what a config file may not hold either.

A key given twice (JSON keeps the last, silently; the import refuses it),
NaN and Infinity, and nesting too deep for Python's reader are refused as
a 400 "JSON parse error", never a 500.
"""

import codecs
import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser


class _DuplicateKey(ValueError):
    pass


def _unique(pairs):
    seen = {}
    for key, value in pairs:
        if key in seen:
            raise _DuplicateKey(f"the key {json.dumps(key)[:60]} is given twice")
        seen[key] = value
    return seen


def _no_constants(name):
    raise ValueError(f"{name} is not a number JSON allows")


class StrictJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.getreader(encoding)(stream).read()
            return json.loads(text, object_pairs_hook=_unique, parse_constant=_no_constants)
        except RecursionError:
            raise ParseError("JSON parse error - nested too deeply.") from None
        except ValueError as error:  # JSONDecodeError, UnicodeDecodeError, the two above
            raise ParseError(f"JSON parse error - {error}") from None
