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
