"""End-to-end tests: Playwright drives Debian's Chromium against pytest-django's live_server.

Every test here gets a fresh browser context pointed at the live server and
fails if any page in it asks for anything outside 127.0.0.1.
"""

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client

from tests.browser.chromium import launch_options

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def pytest_configure(config):
    # Serve the app as 127.0.0.1, not "localhost": the pages must not ask for
    # anything outside 127.0.0.1, and the check compares host names.
    if not config.getoption("liveserver"):
        config.option.liveserver = "127.0.0.1"


def pytest_collection_modifyitems(config, items):
    """Mark the browser tests and run them last: the fast tests report first."""
    browser_dir = Path(__file__).parent
    browser, other = [], []
    for item in items:
        (browser if browser_dir in Path(item.path).parents else other).append(item)
    for item in browser:
        item.add_marker(pytest.mark.browser)
    items[:] = other + browser


@pytest.fixture(scope="session", autouse=True)
def _allow_django_inside_playwright():
    # Playwright's sync API runs an event loop in this thread, and Django refuses
    # ORM calls from a thread with a running loop. Only the browser tests (run
    # last, see above) need it, so it is set here rather than for the suite.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, **launch_options()}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args, live_server):
    return {
        **browser_context_args,
        "base_url": live_server.url,
        "accept_downloads": True,
    }


def is_local(url):
    parts = urlsplit(url)
    return parts.scheme in ("data", "blob", "about") or parts.hostname == "127.0.0.1"


def _record_outside(request, outside):
    if not is_local(request.url):
        outside.append(request.url)


@pytest.fixture
def outside_requests():
    """URLs the pages asked for outside 127.0.0.1, filled by every context below."""
    return []


@pytest.fixture
def new_context(new_context, outside_requests):
    """Contexts that record outside requests and wait for quiet before the test ends."""
    contexts = []

    def make(**kwargs):
        context = new_context(**{"viewport": DESKTOP, **kwargs})
        context.set_default_timeout(5000)
        context.on("request", lambda request: _record_outside(request, outside_requests))
        contexts.append(context)
        return context

    yield make
    # live_server flushes the database after each test: let requests in flight
    # (the live preview, a download) finish first.
    for context in contexts:
        for page in context.pages:
            page.wait_for_load_state("networkidle")
    assert outside_requests == [], "pages asked for something outside 127.0.0.1"


@pytest.fixture
def log_in(context, live_server):
    """log_in(user) gives the browser a session for `user`, without the login form."""

    def log_in(user, context=context):
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])

    return log_in


def screenshot(page, name):
    """Save the whole page as screenshots/<name>.png for people to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    # From the top, so the sticky preview sits where a person first sees it;
    # transitions finished, so a border fading from red is shown as it ends.
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True, animations="disabled")
