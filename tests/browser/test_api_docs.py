"""The API's docs page in Chromium: Swagger UI renders the OpenAPI document from the
sidecar's files, under the site's Content-Security-Policy, asking nothing outside."""

from django.urls import reverse

from tests.browser.conftest import screenshot


def test_the_api_docs_render_without_a_csp_violation(page, log_in, editor, make_run):
    run = make_run()
    problems = []
    page.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if "Content Security Policy" in message.text or message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    log_in(editor)
    response = page.goto(reverse("api:docs"))
    assert response.status == 200
    page.wait_for_load_state("networkidle")
    # Swagger UI drew the document: its title and the operations.
    page.locator(".swagger-ui .info .title").filter(has_text="Taskadmin API").wait_for()
    assert page.locator(".opblock-summary-path", has_text="/api/runs/{id}/launch").count() == 1
    # An operation opens, and "Try it out" reads a run with the session.
    page.locator("#operations-runs-runs_read .opblock-summary").click()
    page.locator("#operations-runs-runs_read .try-out__btn").click()
    page.locator("#operations-runs-runs_read input[placeholder='id']").fill(str(run.pk))
    page.locator("#operations-runs-runs_read .execute").click()
    status = page.locator(
        "#operations-runs-runs_read .live-responses-table tbody .response-col_status"
    )
    status.first.wait_for()
    assert status.first.inner_text().strip() == "200"
    screenshot(page, "api-docs")
    assert problems == []
