from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@require_GET
def healthz(request):
    """For a proxy or orchestrator: 200 "ok" when the database answers, else 503.

    No login, so it says nothing else: no error text, versions or host names.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


API_NOT_FOUND = "No such API endpoint; see /api/docs/."


def not_found(request, exception):
    """The site's 404 (handler404): under /api/ JSON, as the API's other answers (a
    job's URL with a slash too many matches no route), else Django's page."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"code": "not_found", "detail": API_NOT_FOUND}, status=404)
    return defaults.page_not_found(request, exception)
