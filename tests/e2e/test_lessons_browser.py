"""Lessons in a real browser on a warmed store: every lesson, presenter mode, and no training started."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from e2e_support import ROOT, e2e_home, screenshot, start_server, stop, wait_drawn, wait_idle

from rnnlab.lessons import guide


@pytest.fixture(scope="module")
def warmed_server(tmp_path_factory, warmed_home):
    """A server on the session's warmed store (small scale), or, for the documentation's screenshots, on a copy
    of RNNLAB_E2E_HOME warmed at the book's size."""
    if os.environ.get("RNNLAB_E2E_HOME"):
        home, scale = e2e_home(tmp_path_factory, "e2e-lessons"), "full"
        env = {**os.environ, "RNNLAB_HOME": str(home), "RNNLAB_LESSON_SCALE": scale, "TF_CPP_MIN_LOG_LEVEL": "3"}
        warm = subprocess.run([sys.executable, "-m", "rnnlab", "warm"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=3600)
        assert warm.returncode == 0, warm.stderr[-2000:]
    else:
        home, scale = warmed_home[0], "small"
    proc, base, _ = start_server(home, {"RNNLAB_LESSON_SCALE": scale})
    yield base
    stop(proc)


def trainings_started(page, base) -> int:
    page.goto(base)
    wait_idle(page)
    metric = page.get_by_test_id("stMetric").filter(has_text="Trainings started")
    return int(metric.get_by_test_id("stMetricValue").inner_text())


def test_every_lesson_then_presenter_mode(warmed_server, page):
    base = warmed_server
    page.goto(f"{base}/lessons?lesson=simple_rnn")
    wait_idle(page)
    page.get_by_role("heading", name=re.compile(r"^4\. A single recurrent neuron")).wait_for()
    page.get_by_text("The trained neuron, unrolled through time").wait_for()
    page.get_by_test_id("stPlotlyChart").nth(2).wait_for()
    screenshot(page, "lessons")

    page.goto(f"{base}/lessons?present=1")
    wait_idle(page)
    assert page.get_by_test_id("stSidebar").count() == 0 or not page.get_by_test_id("stSidebar").is_visible()
    for i, lesson in enumerate(guide.LESSONS):
        try:
            page.get_by_role("heading", name=f"{i + 1}. {lesson.title}").wait_for()
        except Exception:
            screenshot(page, f"failed-lesson-{i + 1}")
            raise
        assert page.get_by_text("Not trained yet").count() == 0
        assert page.get_by_test_id("stSelectbox").count() == 0  # no controls in presenter mode
        if lesson.id == "ten_steps":
            page.get_by_test_id("stPlotlyChart").nth(1).wait_for()
            screenshot(page, "presenter")
        if i < len(guide.LESSONS) - 1:
            wait_drawn(page)  # charts draw after the script, shifting the page: a click during that can miss
            page.get_by_role("button", name="Next →").click()
            try:
                page.get_by_role("heading", name=f"{i + 2}. {guide.LESSONS[i + 1].title}").wait_for()
            except Exception:
                screenshot(page, f"failed-next-{i + 1}")
                raise
            wait_idle(page)
    assert trainings_started(page, base) == 0

    page.goto(f"{base}/board")
    wait_idle(page)
    page.get_by_role("heading", name="Class board").wait_for()
    page.get_by_test_id("stDataFrame").nth(1).wait_for()
    screenshot(page, "board")
