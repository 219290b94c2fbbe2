from django.http import HttpResponse


def attachment(filename, content_type, content):
    """A response the browser saves as `filename` instead of showing it."""
    response = HttpResponse(content, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
