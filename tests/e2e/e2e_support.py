"""Helpers for the browser tests: start a real server, wait for Streamlit, take screenshots."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from browser_check import CHROMIUM  # noqa: E402,F401

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(base: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"streamlit did not become healthy at {base}")


def start_server(home: Path, extra_env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str, Path]:
    port = free_port()
    log = home.parent / f"streamlit-{port}.log"
    env = {**os.environ, "RNNLAB_HOME": str(home), "RNNLAB_WORKERS": "1", "PYTHONPATH": str(ROOT),
           "TF_CPP_MIN_LOG_LEVEL": "3", **(extra_env or {})}
    proc = subprocess.Popen(
        [sys.executable, "-m", "rnnlab.dashboard.server", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base)
    except RuntimeError:
        proc.kill()
        raise RuntimeError(log.read_text()[-3000:])
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
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)


SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot (and a copy under docs/screenshots/ when RNNLAB_SCREENSHOTS=docs)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("RNNLAB_SCREENSHOTS") == "docs":
        docs = ROOT / "docs" / "screenshots"
        docs.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, docs / f"{name}.png")
    return path
