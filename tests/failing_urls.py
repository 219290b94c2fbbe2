"""A URL whose view fails, for tests/test_logging.py (nothing else uses it)."""

from django.urls import path


def fail(request):
    raise RuntimeError("the view failed on purpose")


urlpatterns = [path("fail", fail)]
