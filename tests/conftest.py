"""Shared fixtures: a session home folder apart from the machine's, a temporary RNNLAB_HOME, tiny experiments that
train in a second or two, and one Dask cluster per test process for the tests that only need a working one."""

from __future__ import annotations

import fcntl
import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

# Nothing in the suite reads or writes the machine's home folder (~/.rnnlab: runs, uploads, cost figures): HOME
# and RNNLAB_HOME point into a folder of this test process for the whole session, set before anything else is
# imported, and every server and subprocess the tests start inherits them.
SESSION_HOME = Path(tempfile.mkdtemp(prefix="rnnlab-test-home-"))
os.environ["HOME"] = str(SESSION_HOME)
os.environ["RNNLAB_HOME"] = str(SESSION_HOME / ".rnnlab")

# XLA at optimisation level 0 in every process of the suite (set before anything imports JAX; the workers, servers
# and subprocesses inherit it, and the shared compilation cache is keyed by it): a tiny model compiles about a
# quarter faster, and a whole run of the suite took 556 s instead of 598 s on two cores. The numbers
# stay those of the default level to about 1e-5 (six of the seven golden models to the last digit), which is why
# the golden figures are trained in a process of their own at XLA's default level (test_golden.py).
XLA_TEST_FLAGS = "--xla_backend_optimization_level=0"
os.environ.setdefault("XLA_FLAGS", XLA_TEST_FLAGS)

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import ROOT, leave_idle, local_cluster, warm  # noqa: E402  (importing helpers puts the project on sys.path)

from distributed import Client  # noqa: E402
from fake_dask import FakeClient  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

from rnnlab.config.limits import JobSettings  # noqa: E402
from rnnlab.jobs import manager as manager_module  # noqa: E402  (its process-wide manager is replaced below)
from rnnlab.jobs.manager import JobManager, get_manager, reset_manager  # noqa: E402

def _scan_installed_components_once() -> None:
    """Every new AppTest scans the metadata of every installed package for Streamlit components (v2) before its
    first run: 0.3 s of CPU, 95% of a Train page's run in AppTest, and the suite makes hundreds of AppTests. The
    packages do not change during a session, so the scan's answer is kept for the session: each AppTest still
    registers what it finds, as before. (Streamlit's own module: if it moves, the scan simply runs every time.)"""
    try:
        from streamlit.components.v2 import manifest_scanner
    except ImportError:
        return
    scan = getattr(manifest_scanner, "scan_component_manifests", None)
    if scan is not None and not hasattr(scan, "cache_info"):
        manifest_scanner.scan_component_manifests = functools.lru_cache(maxsize=1)(scan)


_scan_installed_components_once()

#: tests/backend_tf/ runs in a TensorFlow process of its own (tests/test_backends.py), not in this one.
collect_ignore = [] if os.environ.get("RNNLAB_BACKEND") == "tensorflow" else ["backend_tf"]


#: The slowest files, handed out first. ``make test`` runs two test processes (``pytest -n 2 --dist loadfile``), each
#: given whole files in collection order as it runs short of work; a long file handed out last would run alone
#: while the other process idles. The lessons' store is warmed first (test_lessons.py), long before the lessons'
#: browser test reads it; the many quick files come last and even out the end. (Ordered by each file's time in a
#: whole run: the TensorFlow process of test_backends.py is a single test of over a minute.)
SLOW_FIRST = (
    "tests/test_lessons.py", "tests/test_backends.py", "tests/test_cli.py", "tests/e2e/test_sweep_browser.py",
    "tests/e2e/test_real_series_browser.py", "tests/e2e/test_browser.py",
    "tests/test_real_training.py", "tests/test_jobs.py", "tests/test_app.py", "tests/test_cluster.py",
    "tests/test_export.py", "tests/test_web_process.py", "tests/test_training.py", "tests/test_models.py",
    "tests/test_golden.py", "tests/e2e/test_lessons_browser.py", "tests/e2e/test_limits_browser.py",
    "tests/test_fairness.py", "tests/test_costs.py",
)


def pytest_configure(config) -> None:
    """Hand the files out in the order :func:`pytest_collection_modifyitems` gives them (pytest-xdist would hand
    out the files with the most tests first)."""
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items) -> None:
    """The files of :data:`SLOW_FIRST` first, in its order; the others after them, as collected."""
    rank = {name: i for i, name in enumerate(SLOW_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(SLOW_FIRST)))


def pytest_unconfigure(config) -> None:
    """Remove the session's home folder."""
    shutil.rmtree(SESSION_HOME, ignore_errors=True)


@pytest.fixture(scope="session", autouse=True)
def shared_jax_cache(tmp_path_factory) -> Path:
    """One JAX compilation cache for the whole session, shared by both pytest processes and every worker or
    server they start (``helpers.child_env`` passes it on): the suite's tiny models recur in many tests, and
    each shape then compiles once instead of once per test. ``RNNLAB_JAX_CACHE`` set by hand wins."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    os.environ.setdefault("RNNLAB_JAX_CACHE", str(shared / "jax-cache"))
    return Path(os.environ["RNNLAB_JAX_CACHE"])


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh, empty RNNLAB_HOME for one test."""
    path = tmp_path / "rnnlab-home"
    monkeypatch.setenv("RNNLAB_HOME", str(path))
    return path


@pytest.fixture
def app(home, monkeypatch):
    """``app(page, **query)``: the app in Streamlit's AppTest, opened on ``page`` with ``query`` in its link, run
    once, on this test's store, with a fresh process-wide job manager (one worker)."""
    monkeypatch.setenv("RNNLAB_WORKERS", "1")
    reset_manager()

    def make(page: str | None = None, **query) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
        at.query_params.update({k: str(v) for k, v in query.items()})
        if page:
            at.switch_page(page)
        return at.run()

    yield make
    reset_manager()


@pytest.fixture
def fake_client() -> FakeClient:
    """A stand-in for Dask with one worker: what it is handed stays there until the test finishes it."""
    return FakeClient(workers=1)


@pytest.fixture
def fake_manager(app, fake_client, monkeypatch) -> JobManager:
    """The pages' job manager (``get_manager()``) on ``fake_client``: no cluster, and a job runs exactly when the
    test delivers its worker's "started" event (``helpers.started``); at most one request per person. (Its own
    client stays unset, so cancelling sends no signal to a cluster.)"""
    fake = JobManager(JobSettings(workers=1, jobs_per_owner=1))
    monkeypatch.setattr(fake, "_ensure_client", lambda: fake_client)
    monkeypatch.setattr(manager_module, "_MANAGER", fake)
    yield fake
    fake.close()


@pytest.fixture(scope="session")
def shared_cluster(shared_jax_cache) -> Client:
    """A client of the embedded Dask cluster this test process shares, started at the first test that needs it.
    One worker: with ``--dist loadfile`` each pytest-xdist worker is a process of its own, with its own cluster,
    and each worker process imports Keras and compiles what it trains. A test that needs a cluster of its own
    (one it kills a worker of, a real ``dask scheduler``, another number of workers) starts it instead."""
    with local_cluster(1) as cluster, Client(cluster) as client:
        yield client


@pytest.fixture
def on_shared_cluster(shared_cluster, monkeypatch) -> str:
    """Point the pages' job manager (``get_manager()``, through ``RNNLAB_SCHEDULER``) at the cluster this test
    process shares; returns its address. Afterwards the manager's unfinished jobs are cancelled and the cluster
    is left idle, so the next test finds it as new (each hand-over has a cancel signal of its own)."""
    address = shared_cluster.scheduler_info()["address"]
    monkeypatch.setenv("RNNLAB_SCHEDULER", address)
    reset_manager()
    yield address
    jobs = get_manager().jobs()
    for job in jobs:
        for owner in list(job.owners):
            get_manager().cancel(job.key, owner)
    reset_manager()
    leave_idle(shared_cluster)


@pytest.fixture(scope="session")
def warmed_home(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """A run store with every lesson run trained at the small scale, made once per test session by
    ``python -m rnnlab warm`` (the lessons' AppTest and browser tests read it; none of them writes to it).

    ``make test`` runs two pytest processes (pytest-xdist); the first to get here warms the store in the
    folder they share and the other waits for it (a file lock), so the lessons are trained once per session.
    Returns the store and the warm's completed process (its output).
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base  # this session's, for every worker
    home = shared / "lessons-home"
    with open(shared / "lessons-home.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / "lessons-home.json"
        if not done.exists():
            first = warm(home)
            assert first.returncode == 0, first.stderr[-3000:]
            done.write_text(json.dumps({"args": first.args, "returncode": 0, "stdout": first.stdout,
                                        "stderr": first.stderr}))
    return home, subprocess.CompletedProcess(**json.loads(done.read_text()))
