"""What the log lines hold: each request's id, and nothing that could forge a line.

Each request's id is on its log lines and in its X-Request-ID response header.
django-guid does the work (a new id per request, or the proxy's X-Request-ID,
kept in a context variable for the log filter). Its own check of an incoming
id lets through whatever `uuid.UUID()` parses, which includes whitespace and a
newline around the digits ("\\n" and 31 hex digits passes), and the id is
written into every log line: `drop_malformed_request_id` removes such a header
before django-guid reads it, so it makes a new id instead.
"""

import logging
import re

from django_guid.log_filters import CorrelationId

HEADER = "HTTP_X_REQUEST_ID"

# 32 hex digits, with or without the hyphens of the usual UUID form (nginx's
# $request_id is the former): nothing else ever reaches a log line.
WELL_FORMED = re.compile(
    r"[0-9a-fA-F]{32}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def drop_malformed_request_id(get_response):
    """Middleware, first in the list: forget an incoming X-Request-ID that is not a plain UUID."""

    def middleware(request):
        value = request.META.get(HEADER)
        if value is not None and not WELL_FORMED.fullmatch(value):
            del request.META[HEADER]
        return get_response(request)

    return middleware


class RequestIdFilter(CorrelationId):
    """Sets `record.request_id`: the current request's id, or "-" outside a request."""

    def __init__(self):
        super().__init__(correlation_id_field="request_id")

    def filter(self, record):
        super().filter(record)
        if record.request_id is None:
            record.request_id = "-"
        return True


# C0 and C1 control characters and Unicode's line and paragraph separators.
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


class OneLineFormatter(logging.Formatter):
    """Writes each record's line with its control characters escaped (a newline as `\\n`).

    Log messages quote what visitors send (a username at a failed login, say),
    so a newline there could otherwise start a forged line. A traceback, which
    follows the line, keeps its lines.
    """

    def formatMessage(self, record):
        return CONTROL.sub(_escaped, super().formatMessage(record))


def _escaped(match):
    return match.group().encode("unicode_escape").decode("ascii")
