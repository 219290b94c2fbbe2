"""How the browser tests start Chromium, and what happens when it is not installed."""

import pytest

from tests.browser.chromium import launch_options

MISSING = "/nonexistent/chromium"
HINT = (
    "Chromium is not installed at /nonexistent/chromium, so the browser tests cannot run."
    " Install it with `apt-get install -y chromium` (Playwright's own browser download"
    " does not work here)."
)


def test_browser_tests_are_skipped_with_the_install_command_when_chromium_is_missing():
    with pytest.raises(pytest.skip.Exception) as skipped:
        launch_options(MISSING, environ={})
    assert str(skipped.value) == HINT


def test_missing_chromium_fails_the_browser_tests_when_required():
    with pytest.raises(pytest.fail.Exception) as failed:
        launch_options(MISSING, environ={"TASKADMIN_REQUIRE_BROWSER": "1"})
    assert str(failed.value) == f"{HINT} TASKADMIN_REQUIRE_BROWSER=1 requires them."


def test_chromium_starts_headless_without_sandbox_or_calls_home(tmp_path):
    chromium = tmp_path / "chromium"
    chromium.touch()
    options = launch_options(chromium, environ={"TASKADMIN_REQUIRE_BROWSER": "1"})
    assert (options["executable_path"], options["headless"]) == (str(chromium), True)
    assert " ".join(options["args"]) == (
        "--headless --no-sandbox --disable-gpu --disable-background-networking"
        " --disable-component-update --disable-sync"
    )
