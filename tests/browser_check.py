"""Is a browser available for the browser tests? (Debian's Chromium, driven by Playwright.)"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from helpers import CHROMIUM  # (the load benchmark's: one way to find the browser)

REQUIRE = os.environ.get("RNNLAB_REQUIRE_BROWSER") == "1"


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


def need_browser() -> None:
    """Skip the calling test with the reason when there is no browser; fail instead in CI."""
    reason = browser_missing()
    if reason is not None:
        if REQUIRE:
            pytest.fail(f"RNNLAB_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")
