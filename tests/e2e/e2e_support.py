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

from helpers import CHROMIUM_ARGS, IDLE, free_port, stop, wait_healthy  # noqa: E402,F401


def start_server(home: Path, extra_env: dict[str, str] | None = None, *,
                 trains: bool = False) -> tuple[subprocess.Popen, str, Path]:
    """Start ``python -m rnnlab.dashboard.server`` on the store at ``home`` (one worker unless ``extra_env`` says
    otherwise) and wait until it is healthy; stop it with :func:`helpers.stop`. A server whose tests train
    (``trains``) starts its cluster at boot, as a deployed one does; the others never start one. Like every
    process of the suite it does not calibrate (helpers.py). Returns the process, its address and its log."""
    port = free_port()
    log = home.parent / f"streamlit-{port}.log"
    env = {**os.environ, "RNNLAB_HOME": str(home), "RNNLAB_WORKERS": "1", "PYTHONPATH": str(ROOT),
           "TF_CPP_MIN_LOG_LEVEL": "3", "RNNLAB_START_CLUSTER": "1" if trains else "0", **(extra_env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rnnlab.dashboard.server", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc=proc)
    except RuntimeError as exc:
        stop(proc)
        raise RuntimeError(f"{exc}\n{log.read_text()[-3000:]}") from None
    return proc, base, log


def e2e_home(tmp_path_factory, name: str) -> Path:
    """A fresh store for a test server, or a copy of RNNLAB_E2E_HOME (a full-size store, for the documentation's
    screenshots: ``RNNLAB_E2E_HOME=... RNNLAB_SCREENSHOTS=docs pytest tests/e2e``)."""
    home = tmp_path_factory.mktemp(name) / "home"
    source = os.environ.get("RNNLAB_E2E_HOME")
    if source:
        shutil.copytree(source, home)
    return home


#: The file uploader's input, for ``set_input_files``.
UPLOAD = "[data-testid='stFileUploaderDropzoneInput']"


def wait_idle(page, timeout: float = 60_000) -> None:
    """Wait until Streamlit has finished running the page's script."""
    page.wait_for_selector(IDLE, timeout=timeout)


#: True once no element is loading any more (a chart still loading shows as a grey skeleton).
LOADED = """() => document.querySelectorAll('[data-testid="stSkeleton"]').length === 0"""
#: True once every chart of the page is drawn: nothing loading, and an SVG in every Plotly chart.
DRAWN = """() => document.querySelectorAll('[data-testid="stSkeleton"]').length === 0
    && [...document.querySelectorAll('[data-testid="stPlotlyChart"]')].every(c => c.querySelector('.main-svg'))"""

#: Resolves once the element has stayed in place for two animation frames (a scroll or a layout shift is over).
SETTLED = """element => new Promise(resolve => {
    let last = null;
    const check = () => {
        const top = element.getBoundingClientRect().top;
        if (top === last) { resolve(true); } else { last = top; requestAnimationFrame(check); }
    };
    requestAnimationFrame(check);
})"""


def wait_drawn(page, timeout: float = 30_000) -> None:
    """Wait until the page's script has finished and its charts are drawn (they draw after the script, and the
    page's layout shifts as they do)."""
    wait_idle(page, timeout)
    page.wait_for_function(DRAWN, timeout=timeout)


SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def screenshot(page, name: str, at=None) -> Path:
    """Save a full-page screenshot (and a copy under docs/screenshots/ when RNNLAB_SCREENSHOTS=docs); with
    ``at`` (a locator), the part of the page around it, scrolled into view."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.wait_for_function(LOADED, timeout=30_000)
    page.mouse.move(1, 1)  # a pointer left over a chart would draw Plotly's toolbar over its title
    if at is not None:
        at.scroll_into_view_if_needed()
        at.evaluate("e => e.scrollIntoView({block: 'start'})")
        at.evaluate(SETTLED)
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("RNNLAB_SCREENSHOTS") == "docs":
        docs = ROOT / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, docs / f"{name}.png")
    return path
