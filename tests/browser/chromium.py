"""Which Chromium the browser tests drive, and what happens when it is missing."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")

# --headless and --no-sandbox for a server without a display, running as root;
# the rest stop Chromium's own calls home (updates, sync, field trials), which
# would otherwise keep trying hosts outside 127.0.0.1.
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

REQUIRE_VARIABLE = "TASKADMIN_REQUIRE_BROWSER"


def launch_options(executable=CHROMIUM, environ=os.environ):
    """Playwright's launch options for Debian's Chromium.

    Skips the calling test when Chromium is missing, saying how to install it;
    fails it instead when TASKADMIN_REQUIRE_BROWSER=1 (as CI sets), so a
    missing browser can never pass as "skipped".
    """
    if not Path(executable).exists():
        message = (
            f"Chromium is not installed at {executable}, so the browser tests cannot run."
            " Install it with `apt-get install -y chromium` (Playwright's own browser"
            " download does not work here)."
        )
        if environ.get(REQUIRE_VARIABLE) == "1":
            pytest.fail(f"{message} {REQUIRE_VARIABLE}=1 requires them.", pytrace=False)
        pytest.skip(message)
    return {"executable_path": str(executable), "headless": True, "args": ARGS}
