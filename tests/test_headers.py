"""Security headers on every response, pages that run under the Content-Security-Policy,
and cookies scripts cannot read."""

import base64
import hashlib
from html.parser import HTMLParser

import pytest
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.test import Client
from django.urls import reverse

from tests.conftest import form_data
from tests.pages import every_page


def _directives(header):
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.fixture
def pages(make_run, superuser):
    """(description, client, url) of every kind of page, as a superuser sees it."""
    run = make_run()
    other = make_run(task_title="Another run")
    client = Client()
    client.force_login(superuser)
    anonymous = Client()
    return run, [
        ("login", anonymous, reverse("login")),
        ("admin login", anonymous, reverse("admin:login")),
        *((name, client, url) for name, url in every_page(run, other, superuser)),
        ("export", client, reverse("tasks:run-export", args=[run.pk])),
    ]


def test_every_response_carries_the_security_headers(pages):
    _, cases = pages
    for description, client, url in cases:
        response = client.get(url)
        assert response.status_code == 200, description
        assert response["X-Content-Type-Options"] == "nosniff", description
        assert response["Referrer-Policy"] == "same-origin", description
        assert response["X-Frame-Options"] == "DENY", description
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", description
        assert "Content-Security-Policy" in response, description


def test_the_content_security_policy_runs_only_our_own_scripts(client, db):
    header = client.get(reverse("login"))["Content-Security-Policy"]
    policy = _directives(header)

    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header
    assert policy["script-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    # Our styles, and inline style attributes only by hash (one, in the admin's history).
    assert policy["style-src"][:2] == ["'self'", "'unsafe-hashes'"]
    assert all(source.startswith("'sha256-") for source in policy["style-src"][2:])
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]


def _same_origin(url):
    return url.startswith("/") and not url.startswith("//")


def _style_hash(value):
    return "'sha256-" + base64.b64encode(hashlib.sha256(value.encode()).digest()).decode() + "'"


class _InlineCode(HTMLParser):
    """Collects whatever the page's policy would block: inline scripts, event-handler
    attributes, javascript: URLs, inline styles it has no hash for, files from other hosts."""

    def __init__(self, policy):
        super().__init__()
        self.allowed_styles = set(_directives(policy)["style-src"])
        self.problems = []
        self._in_script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name == "style" and _style_hash(value) not in self.allowed_styles:
                self.problems.append(f"<{tag} style={value!r}>")
        if tag == "style":
            self.problems.append("<style> element")
        if tag == "script":
            if "src" in attrs:
                if not _same_origin(attrs["src"]):
                    self.problems.append(f"script from {attrs['src']}")
            elif attrs.get("type") != "application/json":
                self._in_script = tag
        if tag == "link" and attrs.get("rel") == "stylesheet" and not _same_origin(attrs["href"]):
            self.problems.append(f"stylesheet from {attrs['href']}")

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline script: {data.strip()[:60]!r}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None


def test_no_page_has_inline_script_handlers_or_styles_so_the_policy_breaks_none(pages):
    _, cases = pages
    for description, client, url in cases:
        response = client.get(url)
        if not response["Content-Type"].startswith("text/html"):
            continue
        parser = _InlineCode(response["Content-Security-Policy"])
        parser.feed(response.content.decode())
        assert parser.problems == [], description


def test_a_form_with_errors_has_no_inline_code_either(editor_client, db):
    response = editor_client.post(reverse("tasks:run-create"), form_data(task_reward="0.005"))
    parser = _InlineCode(response["Content-Security-Policy"])
    parser.feed(response.content.decode())

    assert response.status_code == 200
    assert parser.problems == []


def test_hsts_is_sent_over_https_only(settings, db):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    client = Client()  # the middleware reads these settings when the client's handler starts

    secure = client.get(reverse("login"), secure=True)
    plain = client.get(reverse("login"))

    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "Strict-Transport-Security" not in plain


def test_behind_a_tls_proxy_https_is_recognised_and_plain_http_redirected(settings, db):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    client = Client()

    plain = client.get(reverse("login"))
    proxied = client.get(reverse("login"), headers={"x-forwarded-proto": "https"})

    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver" + reverse("login")
    assert proxied.status_code == 200


def _log_in_through_the_form(username, password):
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("login"))
    token = page.context["csrf_token"]
    response = client.post(
        reverse("login"),
        {"username": username, "password": password, "csrfmiddlewaretoken": str(token)},
    )
    return page, response


def test_session_and_csrf_cookies_are_http_only_and_same_site(editor):
    page, response = _log_in_through_the_form("editor", "pw")

    assert response.status_code == 302
    session = response.cookies["sessionid"]
    csrf = page.cookies["csrftoken"]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    assert csrf["httponly"] is True
    assert csrf["samesite"] == "Lax"
    assert not session["secure"]


def test_with_https_on_the_cookies_travel_only_over_https(editor, settings):
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True

    page, response = _log_in_through_the_form("editor", "pw")

    assert response.cookies["sessionid"]["secure"] is True
    assert page.cookies["csrftoken"]["secure"] is True


def test_forms_still_work_with_an_http_only_csrf_cookie(editor):
    # The token comes from the page, not from a script reading the cookie.
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    page = client.get(reverse("tasks:run-create"))
    data = form_data(task_title="Posted with the page's token")

    response = client.post(
        reverse("tasks:run-create"),
        {**data, "csrfmiddlewaretoken": str(page.context["csrf_token"])},
    )

    assert response.status_code == 302
    assert client.post(reverse("tasks:run-create"), data).status_code == 403


def test_every_page_names_its_icon_so_no_browser_asks_for_a_missing_favicon(pages):
    """Without a <link rel="icon">, browsers ask for /favicon.ico: a 404 on every page."""
    _, cases = pages
    icon = static("tasks/favicon.svg")
    assert finders.find("tasks/favicon.svg")
    for description, client, url in cases:
        if description in ("export", "api docs"):  # a download; the docs use their own
            continue
        assert f'rel="icon" href="{icon}"' in client.get(url).text, description
