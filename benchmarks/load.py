"""Load test: N concurrent real browser sessions against one rnnlab server.

Some sessions ask for the same experiment, others for different ones. Every session must get its result,
identical experiments must be trained once, and ``/_stcore/health`` must answer within a second throughout.

    python -m benchmarks.load --sessions 10          # starts its own server on a free port
    python -m benchmarks.load --sessions 10 --url http://127.0.0.1:8501   # against a running server

``--watch`` measures what a class watching one training costs the server: one visitor starts a long training and
leaves, the server's own CPU time (``/proc/<pid>/stat``: utime + stime of the server process; the Dask workers
are processes of their own and are not counted) is taken over a window with nobody watching, then over the same
window while N browser sessions watch its live progress on the Train page. Reported per level: CPU seconds per
watching session per minute (and so the watchers one core holds), resident memory per session, the health
latency during the window, and how long after the training finished each session got its result: when the
server's message with it reached the session's connection (the first websocket frame that holds "Trained in"),
and when the page showed it. The browsers run on the server's own cores (30 pages drawing their charts at once),
so the second measures this machine more than the server; what one student's own browser adds is measured at the
end, by one page opening the stored result alone.

    python -m benchmarks.load --watch --sessions 10,20,30     # a fresh server for each level
    python -m benchmarks.load --watch --sessions 10,20,30 --app-root /tmp/before   # serve another checkout

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


def start_server(home: Path, workers: int = 2, *, root: Path = ROOT, env_extra: dict[str, str] | None = None,
                 sent_log: Path | None = None) -> tuple[subprocess.Popen, str]:
    """Start ``python -m rnnlab.dashboard.server`` on a free loopback port and wait until it is healthy. ``root``:
    the checkout to serve (its ``rnnlab`` and ``app.py``; another one than this benchmark's measures an older
    commit with the same benchmark); ``env_extra``: more environment for the server; ``sent_log``: start it
    through :mod:`benchmarks.sendlog`, which notes there when each connection is sent the result."""
    port = free_port()
    env = {**os.environ, "RNNLAB_HOME": str(home), "RNNLAB_WORKERS": str(workers),
           "PYTHONPATH": str(root) + (os.pathsep + str(ROOT) if sent_log is not None else ""),
           "TF_CPP_MIN_LOG_LEVEL": "3", "RNNLAB_JOBS_PER_OWNER": "2", "RNNLAB_QUEUE_LENGTH": "64",
           "RNNLAB_CALIBRATE": "0",  # measuring the workers would add its own trainings to the counts
           "RNNLAB_START_CLUSTER": "1",  # warm workers at the first session, as on a deployed server
           **(env_extra or {}), **({"RNNLAB_BENCH_SENT_LOG": str(sent_log)} if sent_log is not None else {})}
    home.mkdir(parents=True, exist_ok=True)
    log = open(home.parent / f"load-server-{port}.log", "w")
    module = "benchmarks.sendlog" if sent_log is not None else "rnnlab.dashboard.server"
    proc = subprocess.Popen([sys.executable, "-m", module, "--server.port", str(port),
                             "--server.address", "127.0.0.1"], cwd=root, env=env, stdout=log,
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
        #: (this process's time.monotonic() when the answer arrived, latency) of every answer, for windows
        self.timed: list[tuple[float, float]] = []
        self.failures = 0
        self.failed_at: list[float] = []
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
                self.failed_at.append(time.monotonic())
                continue
            self.latencies.append(float(latency))
            self.timed.append((time.monotonic(), self.latencies[-1]))
            if self.latencies[-1] > 0.5:
                self.slow.append((float(at), self.latencies[-1]))

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(10)
        self.join(10)

    def window(self, start: float, end: float) -> tuple[list[float], int]:
        """The latencies of the answers that arrived between ``start`` and ``end`` (time.monotonic()), and the
        failed probes in that time."""
        return ([lat for at, lat in self.timed if start <= at <= end],
                sum(1 for at in self.failed_at if start <= at <= end))


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


async def _read_counters(browser, base: str) -> int:
    """'Trainings started' from the Home page, read in a page of ``browser`` (the counters live in the server)."""
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    try:
        page = await context.new_page()
        await page.goto(base)
        await page.wait_for_selector(IDLE)
        metric = page.get_by_test_id("stMetric").filter(has_text="Trainings started")
        return int((await metric.get_by_test_id("stMetricValue").inner_text()).strip())
    finally:
        await context.close()


async def _class(base: str, queries: list[str], timeout_ms: int, stagger: float, probe: "HealthProbe",
                 home: Path | None):
    """One browser for a whole level: a warm-up training, the counters before (trainings started; runs in the
    store at ``home``), the sessions at once (with ``probe`` running), the trainings counter after. Returns the
    sessions' outcomes, their seconds, the trainings they started and the runs stored before them. (Four browsers
    had been launched for this; each launch is seconds of CPU beside the server.)"""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            # The class arrives at a running server: one visitor has already trained something, so the workers
            # are up. Starting the cluster is a one-off cost the probe should not count as the class's load.
            await _session(browser, base, "model=naive&n_series=200&n_steps=20", timeout_ms)
            before = await _read_counters(browser, base)
            stored = _stored_runs(home) if home is not None else 0  # a server that has trained before

            async def delayed(i, q):
                await asyncio.sleep(i * stagger)
                return await _session(browser, base, q, timeout_ms)

            probe.start()
            started = time.monotonic()
            try:
                outcomes = await asyncio.gather(*(delayed(i, q) for i, q in enumerate(queries)))
            finally:
                probe.stop()
            seconds = time.monotonic() - started
            return outcomes, seconds, await _read_counters(browser, base) - before, stored
        finally:
            await browser.close()


def run_load(base: str, sessions: int, *, distinct: int | None = None, home: Path | None = None,
             timeout_s: float = 600, stagger: float = 0.2, size: str | None = None,
             renice: bool = True) -> LoadReport:
    """Drive ``sessions`` browser sessions at once against ``base``; returns the measurements. ``size``: the
    experiments' size fields as a link writes them (the benchmark's by default; the suite's test trains tinier
    ones). ``renice`` False leaves the browsers at the priority they started with: the benchmark lowers them so
    that what it measures is the server, while a test beside other tests would only wait longer for them."""
    distinct = distinct or max(2, sessions // 3)
    queries = [experiment_query(i % distinct, *([size] if size else [])) for i in range(sessions)]
    probe = HealthProbe(base, renice=renice)
    outcomes, seconds, started, stored_before = _in_fresh_thread(
        lambda: asyncio.run(_class(base, queries, int(timeout_s * 1000), stagger, probe, home)))
    report = LoadReport(sessions=sessions, distinct=distinct, seconds=seconds)
    report.outcomes = [o for o, _, _ in outcomes]
    report.session_seconds = [s for _, s, _ in outcomes]
    report.queries, report.shown_keys = queries, [k for _, _, k in outcomes]
    report.health_checks = len(probe.latencies)
    report.health_failures = probe.failures
    report.health_max = max(probe.latencies, default=0.0)
    report.health_p50 = statistics.median(probe.latencies) if probe.latencies else 0.0
    report.slow_health = [(round(t, 1), round(lat, 2)) for t, lat in probe.slow]
    report.trainings_started = started
    if home is not None:  # the runs the class stored (not the warm-up's, nor any stored before it)
        report.stored_runs = _stored_runs(home) - stored_before
    return report


def _stored_runs(home: Path) -> int:
    """How many runs the store at ``home`` holds."""
    runs = home / "runs"
    return sum(1 for p in runs.iterdir() if not p.name.startswith(".")) if runs.is_dir() else 0


# -- watching one training ------------------------------------------------------------------------------------
PROGRESS = re.compile(r"Epoch \d+ of \d+")
RESULT = re.compile(r"Trained in [\d.]+ s")
RESULT_BYTES = re.compile(rb"Trained in [\d.]+ s")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def watch_query(seed: int, epochs: int) -> str:
    """The training a class watches: the book's GRU (10,000 series of 50 steps, ten steps ahead) for ``epochs``
    epochs, long enough to outlast the measurement; ``seed`` keeps each level's training apart."""
    return f"model=gru&epochs={epochs}&train_seed={seed}"


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` itself (all its threads; not its children)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime: fields 14 and 15 of stat(5)


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@dataclass
class Window:
    """The server over one measurement window."""

    seconds: float
    cpu: float  # CPU seconds the server process used in the window
    rss: float  # median resident MB over the window
    health: list[float] = field(default_factory=list)
    health_failures: int = 0

    @property
    def cpu_per_minute(self) -> float:
        return self.cpu / self.seconds * 60


@dataclass
class WatchReport:
    sessions: int
    idle: Window
    watching: Window
    #: Whether the training was still running at the end of the window (else the window measured less)
    still_running: bool = True
    #: Per session: seconds from the run reaching the store to the session showing it (None: never shown)
    result_delays: list[float | None] = field(default_factory=list)
    #: Per session: seconds from the run reaching the store to the server's message with the result reaching the
    #: session's connection (None: never seen; an empty list: not measured)
    sent_delays: list[float | None] = field(default_factory=list)
    #: Per session: seconds from the run reaching the store to the server putting the message with the result in
    #: the session's socket (benchmarks.sendlog; an empty list: not measured). The server's part alone.
    server_sent_delays: list[float] = field(default_factory=list)
    #: Seconds one page, opened alone once every session had the result, took to show it (a student's own browser)
    alone_seconds: float | None = None
    open_seconds: float = 0.0  # opening every session until each showed the progress
    epochs: int = 0
    train_seconds: float | None = None  # the watched training's time, as its page reports it

    @property
    def per_watcher(self) -> float:
        """The server's CPU seconds per watching session per minute."""
        return (self.watching.cpu_per_minute - self.idle.cpu_per_minute) / self.sessions

    @property
    def rss_per_session(self) -> float:
        return (self.watching.rss - self.idle.rss) / self.sessions

    def shown(self) -> list[float]:
        return [d for d in self.result_delays if d is not None]

    def sent(self) -> list[float]:
        return [d for d in self.sent_delays if d is not None]

    def on_own_browsers(self) -> float | None:
        """The latest a session would show the result on a browser of its own: the server sending its message to
        the last session (as the server notes it; else as the browsers saw it arrive), plus one page drawing it
        alone (None when either was not measured)."""
        sent = self.server_sent_delays if len(self.server_sent_delays) == self.sessions else self.sent()
        if len(sent) != self.sessions or self.alone_seconds is None:
            return None
        return max(sent) + self.alone_seconds

    def ok(self, within: float = 20.0) -> bool:
        """Every session showed the progress, then the result, and would have shown it within ``within`` s of the
        training finishing on a browser of its own; the training outlasted the window, and every health probe in
        the window answered within a second."""
        own = self.on_own_browsers()
        return (self.still_running and len(self.shown()) == self.sessions and own is not None and own <= within
                and self.watching.health_failures == 0 and max(self.watching.health, default=0.0) < 1.0)

    def markdown(self) -> str:
        holds = 60 / self.per_watcher if self.per_watcher > 0 else float("inf")
        health = self.watching.health
        shown = self.shown()
        delay = (f"{statistics.median(shown):.1f} s / {max(shown):.1f} s" if len(shown) == self.sessions
                 else f"{len(shown)} of {self.sessions} shown")
        sent = self.sent()
        arrived = (f"{statistics.median(sent):.1f} s / {max(sent):.1f} s" if len(sent) == self.sessions
                   else f"{len(sent)} of {self.sessions} seen")
        server = self.server_sent_delays
        by_server = (f"{statistics.median(server):.1f} s / {max(server):.1f} s" if len(server) == self.sessions
                     else f"{len(server)} of {self.sessions} noted" if server else "not measured")
        alone = f"{self.alone_seconds:.1f} s" if self.alone_seconds is not None else "?"
        own = self.on_own_browsers()
        pace = f"{self.train_seconds / self.epochs:.2f} s" if self.train_seconds and self.epochs else "?"
        return (f"| {self.sessions} | {pace} | {self.idle.cpu_per_minute:.1f} s | {self.watching.cpu_per_minute:.1f} s | "
                f"**{self.per_watcher:.2f} s** | {holds:.0f} | {self.idle.rss:.0f} MB | "
                f"{self.rss_per_session:.1f} MB | "
                f"{statistics.median(health) * 1000 if health else float('nan'):.0f} ms / "
                f"{max(health, default=float('nan')) * 1000:.0f} ms | {by_server} | {arrived} | {alone} | "
                f"{f'{own:.1f} s' if own is not None else '?'} | {delay} |")


WATCH_HEADER = ("| watching sessions | training's s/epoch | server CPU, nobody watching (per min) | server CPU, N watching (per min) | "
                "CPU-s per watcher per min | watchers one core holds | server RSS, nobody watching | "
                "RSS per session | health latency in the window (median / max) | server sent the result after the "
                "run was stored (median / max) | result reached the session (median / max) | one page alone draws "
                "it | latest shown on browsers of their own | result shown here, every browser on the server's "
                "cores (median / max) |\n"
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def _say(text: str) -> None:
    """A line of progress on stderr (a level takes minutes)."""
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def _measure(pid: int, probe: HealthProbe, seconds: float) -> Window:
    """The server's CPU time and memory (sampled every second) over the next ``seconds``."""
    start, cpu0 = time.monotonic(), cpu_seconds(pid)
    samples = []
    while time.monotonic() - start < seconds:
        samples.append(rss_mb(pid))
        time.sleep(min(1.0, max(0.0, seconds - (time.monotonic() - start))))
    end, cpu1 = time.monotonic(), cpu_seconds(pid)
    health, failures = probe.window(start, end)
    return Window(seconds=end - start, cpu=cpu1 - cpu0, rss=statistics.median(samples), health=health,
                  health_failures=failures)


class _StorePoller(threading.Thread):
    """Notes when a run folder other than those there at the start appears in ``runs`` (the training is over and
    stored: the moment a page can show it)."""

    def __init__(self, runs: Path) -> None:
        super().__init__(daemon=True)
        self.runs, self.before = runs, self._names(runs)
        self.stored_at: float | None = None
        self.stored_wall: float | None = None  # the same moment on the wall clock (the server's log uses it)
        self._done = threading.Event()

    @staticmethod
    def _names(runs: Path) -> set[str]:
        return {p.name for p in runs.iterdir() if not p.name.startswith(".")} if runs.is_dir() else set()

    def run(self) -> None:
        while not self._done.is_set() and self.stored_at is None:
            if self._names(self.runs) - self.before:
                self.stored_at, self.stored_wall = time.monotonic(), time.time()
            self._done.wait(0.1)

    def stop(self) -> None:
        self._done.set()
        self.join(5)


async def _start_training(page, timeout_s: float) -> None:
    """Press Train on ``page`` until its progress shows an epoch. (A click that lands while the page is still
    settling after its first run can be lost; the page then sits at "Not trained yet". Pressing again is
    harmless: a second request for a running experiment joins it.)"""
    deadline = time.monotonic() + timeout_s
    while True:
        await page.wait_for_selector(IDLE)
        button = page.locator(".st-key-train").get_by_role("button").first
        if await button.is_enabled():
            await button.click()
        try:
            await page.get_by_text(PROGRESS).first.wait_for(timeout=30_000)
            return
        except Exception:  # noqa: BLE001 - Playwright's TimeoutError: press again, within the deadline
            if time.monotonic() > deadline:
                raise


def _result_listener(sent_at: list[float | None], i: int):
    """A page's websocket listener that notes in ``sent_at[i]`` when the first frame holding the result ("Trained
    in ...") arrives: the server has sent it; the page has yet to draw it."""
    def on_websocket(ws) -> None:
        def on_frame(payload) -> None:
            data = payload.encode() if isinstance(payload, str) else payload
            if sent_at[i] is None and RESULT_BYTES.search(data):
                sent_at[i] = time.monotonic()
        ws.on("framereceived", on_frame)
    return on_websocket


async def _watch(base: str, pid: int, home: Path, sessions: int, query: str, probe: HealthProbe, *,
                 window: float, settle: float, stagger: float, timeout_s: float,
                 sent_log: Path | None = None) -> WatchReport:
    from playwright.async_api import async_playwright

    timeout_ms = int(timeout_s * 1000)
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            # One visitor starts the training and leaves: it goes on without anyone watching.
            context = await browser.new_context(viewport={"width": 1200, "height": 900})
            page = await context.new_page()
            page.set_default_timeout(timeout_ms)
            await page.goto(f"{base}/train?{query}")
            await _start_training(page, timeout_s)
            await context.close()
            _say("training started; measuring the server with nobody watching")
            await asyncio.sleep(settle)
            idle = await asyncio.to_thread(_measure, pid, probe, window)
            _say(f"opening {sessions} sessions")

            # The class arrives and watches.
            poller = _StorePoller(home / "runs")
            poller.start()
            opened = time.monotonic()
            contexts = [await browser.new_context(viewport={"width": 1200, "height": 900}) for _ in range(sessions)]
            pages = []
            sent_at: list[float | None] = [None] * sessions
            for i, context in enumerate(contexts):
                page = await context.new_page()
                page.set_default_timeout(timeout_ms)
                page.on("websocket", _result_listener(sent_at, i))
                pages.append(page)

            async def open_one(i: int, page) -> None:
                await asyncio.sleep(i * stagger)
                await page.goto(f"{base}/train?{query}")
                await page.get_by_text(PROGRESS).first.wait_for()

            await asyncio.gather(*(open_one(i, page) for i, page in enumerate(pages)))
            open_seconds = time.monotonic() - opened
            _say(f"{sessions} sessions watching after {open_seconds:.0f} s; measuring")
            await asyncio.sleep(settle)
            watching = await asyncio.to_thread(_measure, pid, probe, window)
            still_running = poller.stored_at is None
            _say("waiting for the training to finish" if still_running else "the training finished in the window")

            trained: list[float] = []

            async def result_shown(page) -> float | None:
                try:
                    await page.get_by_text(RESULT).first.wait_for(timeout=timeout_ms)
                except Exception:  # noqa: BLE001 - a session that never shows it is reported as such
                    return None
                at = time.monotonic()
                text = await page.get_by_text(RESULT).first.inner_text()
                trained.append(float(re.search(r"Trained in ([\d.]+) s", text).group(1)))
                return at

            shown_at = await asyncio.gather(*(result_shown(page) for page in pages))
            poller.stop()
            for context in contexts:
                await context.close()
            # what a student's own browser adds: one page, alone now, drawing the stored result
            context = await browser.new_context(viewport={"width": 1200, "height": 900})
            page = await context.new_page()
            page.set_default_timeout(timeout_ms)
            every_shown = time.time()  # the server's sends to the class are the ones before this
            opened_alone = time.monotonic()
            await page.goto(f"{base}/train?{query}")
            await page.get_by_text(RESULT).first.wait_for()
            alone = time.monotonic() - opened_alone
            await context.close()
        finally:
            await browser.close()
    stored = poller.stored_at
    by_server = []
    if sent_log is not None and poller.stored_wall is not None:
        from benchmarks import sendlog

        by_server = [at - poller.stored_wall for at in sendlog.read(str(sent_log))
                     if poller.stored_wall <= at <= every_shown]

    def since_stored(moments: list[float | None]) -> list[float | None]:
        return [None if at is None or stored is None else max(at - stored, 0.0) for at in moments]

    return WatchReport(sessions=sessions, idle=idle, watching=watching, still_running=still_running,
                       result_delays=since_stored(shown_at), sent_delays=since_stored(sent_at), alone_seconds=alone,
                       server_sent_delays=by_server,
                       open_seconds=open_seconds,
                       epochs=int(re.search(r"epochs=(\d+)", query).group(1)),
                       train_seconds=trained[0] if trained else None)


def run_watch(base: str, pid: int, home: Path, sessions: int, *, epochs: int, seed: int = 1, window: float = 30.0,
              settle: float = 5.0, stagger: float = 0.3, timeout_s: float = 600, renice: bool = True,
              sent_log: Path | None = None) -> WatchReport:
    """``sessions`` browser sessions watch one running training at ``base``, whose server is process ``pid``
    with its store in ``home`` (and, when it was started through :mod:`benchmarks.sendlog`, its log of the
    results sent in ``sent_log``); see the module's docstring."""
    # The workers are up before anything is measured (a visitor has trained something already).
    _in_fresh_thread(lambda: asyncio.run(_sessions(base, ["model=naive&n_series=200&n_steps=20"],
                                                   int(timeout_s * 1000), 0)))
    _say(f"server up; {sessions} sessions will watch {watch_query(seed, epochs)}")
    probe = HealthProbe(base, renice=renice)
    probe.start()
    try:
        return _in_fresh_thread(lambda: asyncio.run(_watch(
            base, pid, home, sessions, watch_query(seed, epochs), probe, window=window, settle=settle,
            stagger=stagger, timeout_s=timeout_s, sent_log=sent_log)))
    finally:
        probe.stop()


#: The watched GRU's seconds per epoch under the class's load (0.5-0.7 s on two quiet cores): ``--seconds-per-epoch``.
SECONDS_PER_EPOCH = 0.7
#: Seconds to open one watching session, assumed for the first level: ``--seconds-per-session``. On two cores with
#: the training running, browsers at the lowest priority took 18.6 s each (1.5 s, assumed at first, let the training
#: end before the pages had opened).
SECONDS_PER_SESSION = 20.0
#: The next level assumes the opening time per session the level before measured, times this.
OPENING_MARGIN = 1.5


def watch_epochs(sessions: int, window: float, seconds_per_epoch: float = SECONDS_PER_EPOCH,
                 seconds_per_session: float = SECONDS_PER_SESSION) -> int:
    """Epochs that outlast one level: start, the idle window, opening the sessions (``seconds_per_session`` each),
    the watched window, with a margin."""
    return int((2 * window + 40 + seconds_per_session * sessions) / seconds_per_epoch)


def result_wait(epochs: int, seconds_per_epoch: float = SECONDS_PER_EPOCH) -> float:
    """Seconds the sessions wait for the watched training's result (and for anything else): three times the
    training's expected length, at least ten minutes. (At 20 sessions a fixed ten minutes ended before the
    714-epoch training did, and "result shown" went unmeasured.)"""
    return max(600.0, 3 * epochs * seconds_per_epoch)


def next_seconds_per_session(current: float, report: WatchReport) -> float:
    """What opening a session should be assumed to take at the next level: the larger of ``current`` and
    :data:`OPENING_MARGIN` times what it took at the level just measured."""
    return max(current, OPENING_MARGIN * report.open_seconds / max(1, report.sessions))


def main_watch(args) -> int:
    if args.url is not None and args.server_pid is None:
        raise SystemExit("--watch against --url needs --server-pid (the server's process id) and --home")
    root = Path(args.app_root).resolve() if args.app_root else ROOT
    reports = []
    per_session = args.seconds_per_session
    for i, n in enumerate(args.sessions):
        epochs = args.epochs or watch_epochs(n, args.window, args.seconds_per_epoch, per_session)
        env = {"RNNLAB_MAX_EPOCHS": str(max(epochs, 200)), "RNNLAB_MAX_JOB_SECONDS": "7200",
               "RNNLAB_JOB_TIMEOUT": "7200"}
        proc, sent_log = None, None
        if args.url is None:  # a fresh server for each level: memory and caches start alike
            home = Path(tempfile.mkdtemp(prefix="rnnlab-watch-")) / "home"
            sent_log = home.parent / "sent.jsonl"
            proc, base = start_server(home, root=root, env_extra=env, sent_log=sent_log)
            pid = proc.pid
        else:
            base, pid, home = args.url, args.server_pid, Path(args.home)
        try:
            # the wait for the result outlasts the training even if the class slows it to a third of its pace
            report = run_watch(base, pid, home, n, epochs=epochs, seed=100 + i, window=args.window,
                               renice=not args.no_renice, timeout_s=result_wait(epochs, args.seconds_per_epoch),
                               sent_log=sent_log)
        finally:
            if proc is not None:
                proc.terminate()
                proc.wait(60)
        reports.append(report)
        per_session = next_seconds_per_session(per_session, report)
        print(json.dumps({"sessions": n, "epochs": epochs, "ok": report.ok(), "still_running": report.still_running,
                          "open_seconds": round(report.open_seconds, 1),
                          "idle_cpu_s": round(report.idle.cpu, 2), "watch_cpu_s": round(report.watching.cpu, 2),
                          "window_s": round(report.watching.seconds, 1), "rss_idle": round(report.idle.rss),
                          "rss_watch": round(report.watching.rss),
                          "health_failures": report.watching.health_failures,
                          "result_delays": [_tenths(d) for d in report.result_delays],
                          "sent_delays": [_tenths(d) for d in report.sent_delays],
                          "server_sent_delays": [_tenths(d) for d in report.server_sent_delays],
                          "alone_s": _tenths(report.alone_seconds)}),
              file=sys.stderr, flush=True)
    print(f"Served from {root}; {os.cpu_count()} cores; window {args.window:.0f} s.")
    print(WATCH_HEADER)
    for report in reports:
        print(report.markdown())
    return 0 if all(r.ok() for r in reports) else 1


def _tenths(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


def _session_counts(text: str) -> list[int]:
    counts = [int(part) for part in text.split(",") if part.strip()]
    if not counts or not all(1 <= n <= 50 for n in counts):
        raise argparse.ArgumentTypeError("sessions: one or more counts between 1 and 50, such as 10,20,30")
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=_session_counts, default=[10],
                        help="sessions, or several levels measured one after the other (10,20,30)")
    parser.add_argument("--distinct", type=int, default=None, help="distinct experiments (default sessions/3)")
    parser.add_argument("--url", default=None, help="a running server (default: start one)")
    parser.add_argument("--watch", action="store_true",
                        help="measure the server's CPU and memory per session watching one running training")
    parser.add_argument("--window", type=float, default=30.0, help="--watch: seconds of each measurement window")
    parser.add_argument("--epochs", type=int, default=None,
                        help="--watch: epochs of the watched training (default: enough to outlast the level)")
    parser.add_argument("--seconds-per-epoch", type=float, default=SECONDS_PER_EPOCH,
                        help="--watch: the GRU's pace on this machine under the class's load, to size the training "
                             "(default %(default)s s)")
    parser.add_argument("--seconds-per-session", type=float, default=SECONDS_PER_SESSION,
                        help="--watch: how long opening one watching session takes, to size the training of the first "
                             "level (default %(default)s s; later levels use what the level before measured, with a margin, "
                             "if longer)")
    parser.add_argument("--no-renice", action="store_true",
                        help="--watch: leave the browsers at their priority (a smoke run on a busy machine)")
    parser.add_argument("--app-root", default=None,
                        help="serve this checkout instead of the benchmark's own (a worktree of an older commit)")
    parser.add_argument("--server-pid", type=int, default=None, help="--watch with --url: the server's process id")
    parser.add_argument("--home", default=None, help="--watch with --url: the server's RNNLAB_HOME")
    args = parser.parse_args(argv)
    if args.watch:
        return main_watch(args)
    status = 0
    print("| sessions | distinct experiments | wall time | per session (median / max) | trainings started | "
          "health checks | health latency (median / max) |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for sessions in args.sessions:
        status |= _main_load(args, sessions)
    return status


def _main_load(args, sessions: int) -> int:
    proc = None
    home = None
    if args.url is None:
        home = Path(tempfile.mkdtemp(prefix="rnnlab-load-")) / "home"
        proc, base = start_server(home, root=Path(args.app_root).resolve() if args.app_root else ROOT)
    else:
        base = args.url
    try:
        report = run_load(base, sessions, distinct=args.distinct, home=home)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(30)
    print(report.markdown(), flush=True)
    print(json.dumps({"ok": report.ok(), "outcomes": report.outcomes, "trainings_started": report.trainings_started,
                      "stored_runs": report.stored_runs, "health_failures": report.health_failures,
                      "slow_health": report.slow_health}), file=sys.stderr)
    return 0 if report.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
