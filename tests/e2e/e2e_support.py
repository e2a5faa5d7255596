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

from helpers import CHROMIUM_ARGS, IDLE, free_port, leave_idle, stop, wait_healthy  # noqa: E402,F401


def start_server(home: Path, extra_env: dict[str, str] | None = None, *,
                 trains_on=None) -> tuple[subprocess.Popen, str, Path]:
    """Start ``python -m rnnlab.dashboard.server`` on the store at ``home`` and wait until it is healthy; stop it
    with :func:`stop_server`. A server whose tests train is given ``trains_on``, the client of the cluster this
    test process shares (conftest.py's ``shared_cluster``): it trains there, as a deployed server trains on its
    ``RNNLAB_SCHEDULER``, and connects at boot. (A cluster of its own would be one more worker process importing
    Keras and compiling what the shared one has compiled; the tasks carry their series, and the results come back
    to the server's store.) The others never reach a cluster. Like every process of the suite it does not
    calibrate (helpers.py). Returns the process, its address and its log."""
    port = free_port()
    log = home.parent / f"streamlit-{port}.log"
    cluster = {"RNNLAB_SCHEDULER": trains_on.scheduler_info()["address"]} if trains_on is not None else {}
    env = {**os.environ, "RNNLAB_HOME": str(home), "RNNLAB_WORKERS": "1", "PYTHONPATH": str(ROOT),
           "TF_CPP_MIN_LOG_LEVEL": "3", "RNNLAB_START_CLUSTER": "1" if cluster else "0", **cluster,
           **(extra_env or {})}
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


def stop_server(proc: subprocess.Popen, trains_on=None) -> None:
    """Stop a server from :func:`start_server`, and leave the shared cluster it trained on idle for the next
    test (a training it cancelled stops at its next batch)."""
    stop(proc)
    if trains_on is not None:
        leave_idle(trains_on)


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
