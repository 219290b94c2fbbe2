"""Middleware: a write that waited out SQLite's lock is told to try again, not a 500.

SQLite lets one connection write at a time, and an import holds the write lock for
its whole transaction: minutes, for a big file in the background. A write
meanwhile (another import, a save) waits the connection's timeout (20 s:
settings.DATABASES) and then fails with "database is locked". The server is busy,
not broken: 503 with Retry-After, as JSON in the API like its other refusals.
The write that waited was not made (its transaction, if any, rolled back): while
an import holds the lock, that is a request's first write.
"""

from django.db import OperationalError
from django.http import HttpResponse, JsonResponse

RETRY_AFTER_SECONDS = 30
BUSY = (
    "The database is busy with another import (SQLite writes one change at a time);"
    " nothing was changed. Try again in a minute."
)


class BusyDatabaseMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not (isinstance(exception, OperationalError) and "database is locked" in str(exception)):
            return None
        if request.path_info.startswith("/api/"):
            response = JsonResponse({"code": "busy", "detail": BUSY}, status=503)
        else:
            response = HttpResponse(BUSY, status=503, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
