"""The OpenAPI document at /api/schema/ validates, and the docs at /api/docs/ are
served from installed packages with nothing inline for the CSP to refuse."""

import re

import yaml
from django.urls import reverse
from openapi_spec_validator import validate

from tests.api import *  # noqa: F403  (the fixtures)


def test_the_openapi_document_validates_and_describes_every_endpoint(editor_api):
    response = editor_api.get("/api/schema/?format=json")
    assert response.status_code == 200
    spec = response.json()
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert set(spec["paths"]) == {
        "/api/config-schema.json",
        "/api/jobs/",
        "/api/jobs/{id}",
        "/api/jobs/{id}/download",
        "/api/runs/",
        "/api/runs/export",
        "/api/runs/import",
        "/api/runs/{id}",
        "/api/runs/{id}/archive",
        "/api/runs/{id}/clone",
        "/api/runs/{id}/config.{ext}",
        "/api/runs/{id}/history",
        "/api/runs/{id}/history/diff",
        "/api/runs/{id}/launch",
        "/api/runs/{id}/unarchive",
    }
    assert spec["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token (ta_...), made on /accounts/tokens/.",
    }


def test_the_openapi_document_takes_its_field_help_from_the_model(editor_api):
    spec = yaml.safe_load(editor_api.get("/api/schema/").content)
    title = spec["components"]["schemas"]["TaskRun"]["properties"]["task_title"]
    assert title["description"] == "Display title for your task on the crowd provider."


def test_the_openapi_document_needs_a_login_or_token(client):
    assert client.get("/api/schema/").status_code == 401


def test_the_docs_page_has_no_inline_script_or_style_and_no_outside_assets(editor_client):
    response = editor_client.get(reverse("api:docs"))
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and " style=" not in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(source.startswith("/") for source in sources)
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in sources
    script = editor_client.get(f"{reverse('api:docs')}?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "/api/schema/" in script.content.decode()


def test_the_docs_page_sends_a_visitor_to_the_login_first(client):
    response = client.get(reverse("api:docs"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
