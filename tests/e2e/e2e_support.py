"""Helpers for the browser tests: start a real server, wait for Streamlit, take screenshots."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from browser_check import CHROMIUM  # noqa: E402,F401

from helpers import CHROMIUM_ARGS, IDLE, free_port, wait_healthy  # noqa: E402,F401


def start_server(home: Path, extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    log = home.parent / f"streamlit-{port}.log"
    # RNNLAB_CALIBRATE=0: the shipped cost figures; measuring the workers would train 20 runs at every start.
    env = {**os.environ, "RNNLAB_HOME": str(home), "RNNLAB_WORKERS": "1", "PYTHONPATH": str(ROOT),
           "TF_CPP_MIN_LOG_LEVEL": "3", "RNNLAB_CALIBRATE": "0", **(extra_env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rnnlab.dashboard.server", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc=proc)
    except RuntimeError as exc:
        proc.kill()
        raise RuntimeError(f"{exc}\n{log.read_text()[-3000:]}") from None
    return proc, base, log


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()


def e2e_home(tmp_path_factory, name: str) -> Path:
    """A fresh store for a test server, or a copy of RNNLAB_E2E_HOME (a full-size store, for the documentation's
    screenshots: ``RNNLAB_E2E_HOME=... RNNLAB_SCREENSHOTS=docs pytest tests/e2e``)."""
    home = tmp_path_factory.mktemp(name) / "home"
    source = os.environ.get("RNNLAB_E2E_HOME")
    if source:
        shutil.copytree(source, home)
    return home


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished running the page's script."""
    page.wait_for_selector(IDLE, timeout=timeout)


SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def screenshot(page, name: str, at=None) -> Path:
    """Save a full-page screenshot (and a copy under docs/screenshots/ when RNNLAB_SCREENSHOTS=docs); with
    ``at`` (a locator), the part of the page around it, scrolled into view."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    # Elements still loading (charts) show as grey skeletons: wait for them to be drawn.
    page.wait_for_function("document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0", timeout=30_000)
    page.mouse.move(1, 1)  # a pointer left over a chart would draw Plotly's toolbar over its title
    if at is not None:
        at.scroll_into_view_if_needed()
        at.evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("RNNLAB_SCREENSHOTS") == "docs":
        docs = ROOT / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, docs / f"{name}.png")
    return path
