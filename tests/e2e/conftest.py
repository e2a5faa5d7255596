"""Browser tests: a real rnnlab server and Debian's Chromium driven by Playwright.

Without Chromium the tests skip with the reason, unless RNNLAB_REQUIRE_BROWSER=1 (CI), where they fail.
Screenshots go to test-artifacts/screenshots/ (and to docs/screenshots/ with RNNLAB_SCREENSHOTS=docs).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from browser_check import need_browser  # noqa: E402
from e2e_support import CHROMIUM, CHROMIUM_ARGS, e2e_home, start_server, stop_server  # noqa: E402


@pytest.fixture(autouse=True, scope="session")
def _need_browser():
    """Skip every browser test with the reason when Chromium is missing; fail instead in CI."""
    need_browser()


@pytest.fixture(scope="module")
def server(tmp_path_factory, shared_cluster):
    home = e2e_home(tmp_path_factory, "e2e")
    proc, base, log = start_server(home, trains_on=shared_cluster)
    yield {"base": base, "home": home, "log": log}
    stop_server(proc, shared_cluster)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1500}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


