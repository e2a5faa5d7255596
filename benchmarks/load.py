"""Load test: N concurrent real browser sessions against one rnnlab server.

Some sessions ask for the same experiment, others for different ones. Every session must get its result,
identical experiments must be trained once, and ``/_stcore/health`` must answer within a second throughout.

    python -m benchmarks.load --sessions 10          # starts its own server on a free port
    python -m benchmarks.load --sessions 10 --url http://127.0.0.1:8501   # against a running server

Chromium is Debian's (``apt-get install -y chromium``); Playwright drives it. Only loopback addresses are used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("RNNLAB_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"


def experiment_query(index: int, size: str = "n_series=600&n_steps=30&epochs=3") -> str:
    """A small experiment (``size``: its link's size fields); different indexes give different experiments
    (training seeds)."""
    return f"model=gru&mode=seq2seq&horizon=3&{size}&train_seed={index}"


@dataclass
class LoadReport:
    sessions: int
    distinct: int
    seconds: float
    session_seconds: list[float] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    #: Per session: the query it opened and the start of the experiment key its page showed with the result.
    queries: list[str] = field(default_factory=list)
    shown_keys: list[str] = field(default_factory=list)
    health_max: float = 0.0
    health_p50: float = 0.0
    health_checks: int = 0
    health_failures: int = 0
    trainings_started: int | None = None
    stored_runs: int | None = None
    slow_health: list[tuple[float, float]] = field(default_factory=list)

    def ok(self) -> bool:
        return (len(self.outcomes) == self.sessions and all(o in ("trained", "stored") for o in self.outcomes)
                and self.health_failures == 0 and self.health_max < 1.0
                and self.trainings_started == self.distinct and self.stored_runs == self.distinct)

    def markdown(self) -> str:
        return (f"| {self.sessions} | {self.distinct} | {self.seconds:.0f} s | "
                f"{statistics.median(self.session_seconds):.1f} s / {max(self.session_seconds):.1f} s | "
                f"{self.trainings_started} | {self.health_checks} | {self.health_p50 * 1000:.0f} ms / "
                f"{self.health_max * 1000:.0f} ms |")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(home: Path, workers: int = 2) -> tuple[subprocess.Popen, str]:
    """Start ``python -m rnnlab.dashboard.server`` on a free loopback port and wait until it is healthy."""
    port = free_port()
    env = {**os.environ, "RNNLAB_HOME": str(home), "RNNLAB_WORKERS": str(workers), "PYTHONPATH": str(ROOT),
           "TF_CPP_MIN_LOG_LEVEL": "3", "RNNLAB_JOBS_PER_OWNER": "2", "RNNLAB_QUEUE_LENGTH": "64",
           "RNNLAB_CALIBRATE": "0",  # measuring the workers would add its own trainings to the counts
           "RNNLAB_START_CLUSTER": "1"}  # warm workers at the first session, as on a deployed server
    log = open(home.parent / f"load-server-{port}.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "rnnlab.dashboard.server", "--server.port", str(port),
                             "--server.address", "127.0.0.1"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(base, proc=proc)
    except RuntimeError:
        proc.kill()
        proc.wait(30)
        raise
    return proc, base


def wait_healthy(base: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> None:
    """Wait until ``base``/_stcore/health answers ``ok``; RuntimeError after ``timeout`` s or when ``proc``
    (the server) exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as response:
                if response.read() == b"ok":
                    return
        except OSError:
            pass
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server at {base} exited with status {proc.returncode}")
        time.sleep(0.3)
    raise RuntimeError(f"the server at {base} did not become healthy within {timeout:.0f} s")


def _renice_browsers() -> None:
    """Run the test's Chromium processes at the lowest priority. In a classroom the browsers are on the
    students' machines; here they share two cores with the server and must not take its CPU.

    Linux's autogroup scheduling (``/proc/sys/kernel/sched_autogroup_enabled``) shares the CPU between
    sessions first and applies a process's nice value only inside its session. Playwright starts each browser
    in a session of its own, so ten reniced browsers still took ten shares against the server's one, and the
    server waited seconds for a core. The session's own nice value (``/proc/<pid>/autogroup``) is what counts.
    Only this process's own descendants (the browsers Playwright started for it) are touched.
    """
    import psutil

    for proc in psutil.Process().children(recursive=True):
        try:
            if "chromium" not in proc.name():
                continue
            if proc.nice() < 19:
                proc.nice(19)
            _renice_autogroup(proc.pid)
        except (psutil.Error, OSError):
            continue


def _renice_autogroup(pid: int, proc_root: Path = Path("/proc")) -> None:
    """Set the nice value of ``pid``'s autogroup (its session's CPU share) to 19, where the kernel has one."""
    path = proc_root / str(pid) / "autogroup"
    try:
        if path.exists() and not path.read_text().rstrip().endswith("nice 19"):
            path.write_text("19")
    except OSError:  # no autogroup scheduling, or not allowed: the plain nice value is all there is
        pass


PROBE_SCRIPT = """
import sys, time, urllib.request
url, interval, t0 = sys.argv[1], float(sys.argv[2]), time.monotonic()
while True:
    started = time.monotonic()
    try:
        ok = urllib.request.urlopen(url, timeout=5).read() == b"ok"
        print(f"{started - t0:.3f} {time.monotonic() - started:.4f} {int(ok)}", flush=True)
    except OSError:
        print(f"{started - t0:.3f} nan 0", flush=True)
    time.sleep(interval)
"""


class HealthProbe(threading.Thread):
    """Polls /_stcore/health every ``interval`` seconds from a process of its own, recording each answer's
    latency. (In this process the probe would share the interpreter with Playwright, whose message handling
    for ten browsers can hold it for most of a second, and the probe would time that, not the server.)"""

    def __init__(self, base: str, interval: float = 0.25, renice: bool = True) -> None:
        super().__init__(daemon=True)
        self.base, self.interval, self.renice = base, interval, renice
        self.latencies: list[float] = []
        self.slow: list[tuple[float, float]] = []  # (seconds since start, latency) of answers over 0.5 s
        self.failures = 0
        self._proc: subprocess.Popen | None = None

    def run(self) -> None:
        self._proc = subprocess.Popen([sys.executable, "-c", PROBE_SCRIPT, f"{self.base}/_stcore/health",
                                       str(self.interval)], stdout=subprocess.PIPE, text=True)
        for line in self._proc.stdout:
            if self.renice:
                _renice_browsers()
            at, latency, ok = line.split()
            if latency == "nan" or ok != "1":
                self.failures += 1
                continue
            self.latencies.append(float(latency))
            if self.latencies[-1] > 0.5:
                self.slow.append((float(at), self.latencies[-1]))

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)
        self.join(10)


async def _session(browser, base: str, query: str, timeout_ms: int) -> tuple[str, float, str]:
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(timeout_ms)
    started = time.monotonic()
    try:
        await page.goto(f"{base}/train?{query}")
        await page.wait_for_selector(IDLE)
        button = page.locator(".st-key-train").get_by_role("button").first  # Train, or Join this training
        if await button.is_enabled():
            await button.click()
        done = page.get_by_text(re.compile(r"Trained in [\d.]+ s|Stored result"))
        await done.first.wait_for()
        text = await done.first.inner_text()
        caption = await page.get_by_text(re.compile(r"experiment [0-9a-f]{12}")).first.inner_text()
        key = re.search(r"experiment ([0-9a-f]{12})", caption).group(1)
        return ("stored" if "Stored" in text else "trained"), time.monotonic() - started, key
    finally:
        await context.close()


async def _sessions(base: str, queries: list[str], timeout_ms: int, stagger: float):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            async def delayed(i, q):
                await asyncio.sleep(i * stagger)
                return await _session(browser, base, q, timeout_ms)

            return await asyncio.gather(*(delayed(i, q) for i, q in enumerate(queries)))
        finally:
            await browser.close()


def _in_fresh_thread(fn):
    """Run ``fn()`` in a new thread and return its result. Playwright's sync API (the browser tests' fixtures)
    keeps an event loop running in the calling thread, where asyncio.run() is refused."""
    box: dict = {}

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # re-raised in the caller
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def _read_counters(base: str) -> int | None:
    """'Trainings started' from the Home page, read in a browser (the counters live in the server)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(base)
        page.wait_for_selector(IDLE)
        metric = page.get_by_test_id("stMetric").filter(has_text="Trainings started")
        value = metric.get_by_test_id("stMetricValue").inner_text()
        browser.close()
        return int(value.strip())


def run_load(base: str, sessions: int, *, distinct: int | None = None, home: Path | None = None,
             timeout_s: float = 600, stagger: float = 0.2, size: str | None = None,
             renice: bool = True) -> LoadReport:
    """Drive ``sessions`` browser sessions at once against ``base``; returns the measurements. ``size``: the
    experiments' size fields as a link writes them (the benchmark's by default; the suite's test trains tinier
    ones). ``renice`` False leaves the browsers at the priority they started with: the benchmark lowers them so
    that what it measures is the server, while a test beside other tests would only wait longer for them."""
    distinct = distinct or max(2, sessions // 3)
    queries = [experiment_query(i % distinct, *([size] if size else [])) for i in range(sessions)]
    # The class arrives at a running server: one visitor has already trained something, so the workers are
    # up. Starting the cluster is a one-off cost the probe should not count as the class's load.
    _in_fresh_thread(lambda: asyncio.run(_sessions(base, ["model=naive&n_series=200&n_steps=20"],
                                                   int(timeout_s * 1000), 0)))
    started_before = _in_fresh_thread(lambda: _read_counters(base))
    probe = HealthProbe(base, renice=renice)
    probe.start()
    started = time.monotonic()
    try:
        outcomes = _in_fresh_thread(lambda: asyncio.run(_sessions(base, queries, int(timeout_s * 1000), stagger)))
    finally:
        probe.stop()
    report = LoadReport(sessions=sessions, distinct=distinct, seconds=time.monotonic() - started)
    report.outcomes = [o for o, _, _ in outcomes]
    report.session_seconds = [s for _, s, _ in outcomes]
    report.queries, report.shown_keys = queries, [k for _, _, k in outcomes]
    report.health_checks = len(probe.latencies)
    report.health_failures = probe.failures
    report.health_max = max(probe.latencies, default=0.0)
    report.health_p50 = statistics.median(probe.latencies) if probe.latencies else 0.0
    report.slow_health = [(round(t, 1), round(lat, 2)) for t, lat in probe.slow]
    report.trainings_started = _in_fresh_thread(lambda: _read_counters(base)) - started_before
    if home is not None:  # the warm-up's naive run is not one of the class's
        report.stored_runs = sum(1 for p in (home / "runs").iterdir() if not p.name.startswith(".")) - 1
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--distinct", type=int, default=None, help="distinct experiments (default sessions/3)")
    parser.add_argument("--url", default=None, help="a running server (default: start one)")
    args = parser.parse_args(argv)
    if not 1 <= args.sessions <= 50:
        parser.error("--sessions must be between 1 and 50")
    proc = None
    home = None
    if args.url is None:
        home = Path(tempfile.mkdtemp(prefix="rnnlab-load-")) / "home"
        proc, base = start_server(home)
    else:
        base = args.url
    try:
        report = run_load(base, args.sessions, distinct=args.distinct, home=home)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
    print("| sessions | distinct experiments | wall time | per session (median / max) | trainings started | "
          "health checks | health latency (median / max) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(report.markdown())
    print(json.dumps({"ok": report.ok(), "outcomes": report.outcomes, "trainings_started": report.trainings_started,
                      "stored_runs": report.stored_runs, "health_failures": report.health_failures,
                      "slow_health": report.slow_health}), file=sys.stderr)
    return 0 if report.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
