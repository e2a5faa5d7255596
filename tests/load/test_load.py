"""A small load test in the suite: three concurrent browser sessions, two of them asking for the same run."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from benchmarks.load import run_load, start_server  # noqa: E402

sys.path.insert(0, str(ROOT / "tests"))
from browser_check import need_browser  # noqa: E402


def test_three_sessions_share_work_and_health_stays_fast(tmp_path):
    need_browser()
    home = tmp_path / "home"
    proc, base = start_server(home)
    try:
        report = run_load(base, 3, distinct=2, home=home, timeout_s=300)
    finally:
        proc.terminate()
        proc.wait(30)
    assert report.outcomes.count("trained") + report.outcomes.count("stored") == 3, report.outcomes
    assert report.trainings_started == 2 and report.stored_runs == 2  # sessions 0 and 2 shared one training
    assert report.health_failures == 0 and report.health_checks > 10
    assert report.health_max < 1.0, f"/_stcore/health took {report.health_max:.2f} s"


def test_browsers_lose_priority_across_autogroups():
    """A browser in a session of its own gets its session's nice value lowered, not only its own: under
    autogroup scheduling a plain nice 19 left each browser an equal share with the server (health took 3.8 s)."""
    import subprocess

    import pytest

    from benchmarks.load import _renice_autogroup

    proc = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        path = Path(f"/proc/{proc.pid}/autogroup")
        if not path.exists():
            pytest.skip("this kernel has no autogroup scheduling: plain nice values apply")
        assert path.read_text().rstrip().endswith("nice 0")
        _renice_autogroup(proc.pid)
        assert path.read_text().rstrip().endswith("nice 19")
    finally:
        proc.kill()
        proc.wait()
