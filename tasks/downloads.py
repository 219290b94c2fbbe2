import re
import unicodedata

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

# Content types whose chunks are bytes, not text: no charset.
BINARY_TYPES = ("application/zip", "application/octet-stream")

# What may stay in a download's name: letters and digits of any script, and . _ -
_UNSAFE = re.compile(r"[^\w.-]+")


def safe_filename(filename, default="download"):
    """`filename` reduced to one harmless name: no folders, quotes, controls or leading dots.

    Unicode letters stay (Content-Disposition carries them as RFC 5987
    `filename*`); everything else becomes "-".
    """
    name = unicodedata.normalize("NFC", str(filename)).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("-", name).strip(".-_")
    if len(name) > 150:
        stem, dot, suffix = name.rpartition(".")
        name = f"{stem[: 149 - len(suffix)]}.{suffix}" if dot and len(suffix) <= 10 else name[:150]
    return name or default


def attachment(filename, content_type, content):
    """A response the browser saves as `filename` instead of showing it.

    The name is sanitised here, whatever the caller built it from, and the
    response is never cached by a shared proxy: exports sit behind a login.
    """
    if isinstance(content, (str, bytes)):
        if isinstance(content, str):
            content_type = f"{content_type}; charset=utf-8"
        response = HttpResponse(content, content_type=content_type)
    else:
        # An iterator of chunks (exporting.stream_runs: text for JSON, bytes for
        # a zip): each is sent as soon as it is made, so a long export never
        # sits whole in memory.
        if content_type not in BINARY_TYPES:
            content_type = f"{content_type}; charset=utf-8"
        response = StreamingHttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=safe_filename(filename)
    )
    response["Cache-Control"] = "private, no-store"
    return response


def file_attachment(filename, content_type, handle):
    """A download of an open binary file (a job's result in storage), streamed in
    blocks as FileResponse does; named and cached as `attachment` says."""
    response = FileResponse(handle, content_type=content_type or "application/octet-stream")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=safe_filename(filename)
    )
    response["Cache-Control"] = "private, no-store"
    return response
