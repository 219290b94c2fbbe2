"""Helpers for the API's tests: tokens for the cast of users, and clients carrying them."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tasks.api import tokens

# The fixtures, for `from tests.api import *` in the API's test files.
__all__ = ["anonymous_api", "editor_api", "fresh_throttles", "nobody_api", "viewer_api"]


@pytest.fixture(autouse=True)
def fresh_throttles():
    """Throttle counts live in the cache, which outlives a test: start each from zero."""
    cache.clear()
    yield
    cache.clear()


def bearer(text):
    """A client that sends `text` as its bearer token on every request."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {text}")
    return client


def token_client(user, name="script"):
    """(client, ApiToken) for a fresh token of `user`."""
    token, text = tokens.issue(user, name)
    return bearer(text), token


@pytest.fixture
def editor_api(editor):
    return token_client(editor)[0]


@pytest.fixture
def viewer_api(viewer):
    return token_client(viewer)[0]


@pytest.fixture
def nobody_api(nobody):
    return token_client(nobody)[0]


@pytest.fixture
def anonymous_api():
    return APIClient()
