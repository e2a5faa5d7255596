"""Lessons, presenter mode, class board and `warm`: with a warmed store nothing trains."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from rnnlab.jobs.manager import get_manager, reset_manager
from rnnlab.lessons import beatbook, guide
from rnnlab.store.runstore import RunStore

from helpers import ROOT, WARM_ENV, child_env, stop, warm, wait_for


def test_warm_trains_every_lesson_run_then_nothing(warmed_home):
    home, first = warmed_home
    n = len(guide.lesson_experiments("small"))
    assert f"warm: trained {n}, already stored 0, lesson runs {n} (small)" in first.stdout
    assert "[#" in first.stderr  # a progress bar
    store = RunStore(home)
    assert all(store.has(e.key()) for e in guide.lesson_experiments("small"))
    # again: nothing to train, and Keras is not even imported (a container restarted on a warmed store starts at once)
    code = ("import sys; from rnnlab.cli import main; status = main(['warm']); "
            "print('KERAS' if 'keras' in sys.modules else 'NO_KERAS'); sys.exit(status)")
    second = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env=child_env(**WARM_ENV, RNNLAB_HOME=str(home)))
    assert second.returncode == 0, second.stderr[-2000:]
    assert f"warm: trained 0, already stored {n}" in second.stdout and "NO_KERAS" in second.stdout


def test_warm_resumes_after_an_interruption(warmed_home, tmp_path):
    """A warm killed mid-way leaves only whole runs, and the next one trains just what is missing. (It starts
    from the session's warmed store with two runs taken out, so it trains two runs, not all of them: it is killed
    while training the second, after the first is stored.)"""
    home = tmp_path / "home"
    shutil.copytree(warmed_home[0], home)
    store = RunStore(home)
    n = len(guide.lesson_experiments("small"))
    for key in [e.key() for e in guide.lesson_experiments("small")][-2:]:
        shutil.rmtree(home / "runs" / key)
    proc = subprocess.Popen([sys.executable, "-m", "rnnlab", "warm"], cwd=ROOT,
                            env=child_env(**WARM_ENV, RNNLAB_HOME=str(home)), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: len(list(store.keys())) >= n - 1, 300, 0.05)
        proc.send_signal(signal.SIGKILL)  # the hardest interruption: no chance to clean up
    finally:
        stop(proc, 60)
    done_before = {k: (home / "runs" / k / "result.json").stat().st_mtime for k in store.keys()}
    assert len(done_before) == n - 1
    assert not any(p.name.startswith(".tmp") for p in (home / "runs").iterdir())  # nothing half-written
    again = warm(home)
    assert again.returncode == 0, again.stderr[-2000:]
    assert f"already stored {len(done_before)}" in again.stdout and f"trained {n - len(done_before)}" in again.stdout
    assert {k: (home / "runs" / k / "result.json").stat().st_mtime for k in done_before} == done_before
    assert len(list(store.keys())) == n


def test_bad_scale_is_refused(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "rnnlab", "warm"], cwd=ROOT, capture_output=True, text=True,
                          env=child_env(**{**WARM_ENV, "RNNLAB_HOME": str(tmp_path), "RNNLAB_LESSON_SCALE": "huge"}))
    assert proc.returncode == 2 and "RNNLAB_LESSON_SCALE='huge' is not one of: full, small" in proc.stderr


@pytest.fixture
def lesson_app(warmed_home, monkeypatch):
    home, _ = warmed_home
    monkeypatch.setenv("RNNLAB_HOME", str(home))
    monkeypatch.setenv("RNNLAB_LESSON_SCALE", "small")
    monkeypatch.setenv("RNNLAB_WORKERS", "1")
    reset_manager()

    def make(**query) -> AppTest:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
        at.query_params.update({k: str(v) for k, v in query.items()})
        at.switch_page("pages/lessons.py")
        return at.run()

    yield make
    reset_manager()


def test_walk_every_lesson_without_training(lesson_app):
    at = lesson_app()
    seen = []
    for i, lesson in enumerate(guide.LESSONS):
        assert not at.exception, at.exception
        assert at.title[0].value == f"{i + 1}. {lesson.title}"
        assert not at.warning, [w.value for w in at.warning]  # every run is stored
        if lesson.runs:
            table = at.table[0].value
            assert list(table.index) == [run.label for run in lesson.runs]
            assert list(table["the book's"]) == ["–" if run.book_mse is None else f"{run.book_mse:g}"
                                                 for run in lesson.runs]
        seen.append(lesson.id)
        if i < len(guide.LESSONS) - 1:
            at.button(key="lesson_next").click().run()
    assert seen == [lesson.id for lesson in guide.LESSONS]
    assert at.query_params["lesson"] == guide.LESSONS[-1].id
    at.selectbox(key="lesson_pick").set_value(3).run()  # jump straight to a lesson
    assert at.title[0].value.startswith(f"4. {guide.LESSONS[3].title}")
    at.button(key="lesson_prev").click().run()
    assert at.title[0].value.startswith(f"3. {guide.LESSONS[2].title}")
    assert get_manager().stats()["started"] == 0 and not get_manager().started


def test_presenter_mode_has_no_controls(lesson_app):
    at = lesson_app(present=1, lesson="simple_rnn")
    assert not at.exception
    assert at.title[0].value == "4. A single recurrent neuron: 3 parameters"
    assert not at.selectbox and not at.number_input and not at.radio  # only the previous/next buttons
    assert [b.label for b in at.button] == ["← Previous", "Next →"]
    at.button(key="lesson_next").click().run()
    assert at.title[0].value.startswith("5. Deep RNNs")
    assert at.query_params["present"] == "1"
    assert get_manager().stats()["started"] == 0


def test_class_board_lists_the_best_runs(lesson_app):
    at = lesson_app()
    at.switch_page("pages/board.py").run()
    assert not at.exception
    frames = [df.value for df in at.dataframe]
    assert len(frames) == 3  # one step ahead, ten steps ahead, and the real series' lesson
    assert [h.value for h in at.subheader] == ["One step ahead", "10 steps ahead",
                                               "Weekly atmospheric CO₂ at Mauna Loa, 1958–2001: one step ahead"]
    assert set(frames[2]["model"]) == {"naive", "linear", "gru"}  # both scalings' runs on one board
    assert frames[2].loc[frames[2]["model"] == "linear", "runs"].iloc[0] == 2
    one_step = frames[0]
    assert set(one_step["model"]) == {"naive", "linear", "simple_rnn", "deep_rnn", "deep_rnn_dense"}
    assert list(one_step["best validation MSE"]) == sorted(one_step["best validation MSE"])
    # The dashed naive line: its value comes from the runs' own naive scores, equal to the naive run's MSE.
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    naive_mse = float(one_step.loc[one_step["model"] == "naive", "best validation MSE"].iloc[0])
    assert [t["name"] for t in chart["data"]][-1] == f"naive forecast ({naive_mse:.3g})"
    assert chart["layout"]["shapes"][0]["y0"] == pytest.approx(naive_mse)
    assert not at.button and not at.number_input  # read-only


def test_the_last_lesson_shows_the_sweeps_winners_with_their_spread(lesson_app):
    found = beatbook.load_results()
    assert found and not found["quick"], "rnnlab/beatbook_results.json: run python -m rnnlab beat-the-book"
    at = lesson_app(lesson="beat_the_book")
    assert not at.exception and not at.warning
    assert [t.value.index.name for t in at.table] == ["configuration"] * len(found["tasks"])
    for task, table in zip(found["tasks"], at.table):
        frame = table.value
        assert list(frame.index) == [f["configuration"] for f in task["finalists"]]
        assert list(frame["beats the target"]) == ["yes" if f["beats"] else "no" for f in task["finalists"]]
    headers = [h.value for h in at.subheader]
    assert any(h.startswith("One step ahead: the book's 0.002624, the target 0.00210") for h in headers)
    assert len(at.get("plotly_chart")) == len(found["tasks"])


def test_the_last_lesson_says_when_the_sweeps_were_not_run(lesson_app, monkeypatch, tmp_path):
    monkeypatch.setattr(beatbook, "RESULTS_FILE", tmp_path / "missing.json")
    at = lesson_app(lesson="beat_the_book")
    assert not at.exception
    assert any("python -m rnnlab beat-the-book" in w.value for w in at.warning)


def test_the_finalists_are_named_by_what_sets_them_apart():
    """Two GRUs on one chart need more than 'gru': the settings they differ in, defaults shown by value."""
    finalists = [{"experiment": {"model": "gru", "mode": "one_step", "units": "64", "learning_rate": "0.003"}},
                 {"experiment": {"model": "gru", "mode": "one_step", "units": "64"}}]
    assert beatbook.short_labels(finalists) == ["gru lr 0.003", "gru lr 0.001"]
    mixed = [{"experiment": {"model": "gru", "mode": "seq2seq"}}, {"experiment": {"model": "wavenet", "mode": "seq2seq"}}]
    assert beatbook.short_labels(mixed) == ["gru", "wavenet"]
    for task in beatbook.load_results()["tasks"]:
        labels = beatbook.short_labels(task["finalists"])
        assert len(set(labels)) == len(labels)


def test_the_real_series_lesson_says_who_loses_and_shows_the_best_with_its_band(lesson_app):
    at = lesson_app(lesson="real_data")
    assert not at.exception and not at.warning
    verdicts = [m.value for m in at.markdown if m.value.startswith("- **")]
    expected = []
    for run in guide.LESSONS[-1].runs[1:]:  # each network, judged by its stored test MAE against the naive one's
        stored = RunStore().get(run.experiment().key())
        loses = stored.metrics["test"]["mae"] > stored.naive_metrics["test"]["mae"]
        expected.append((run.label, "it loses to repeating the last value." if loses else "it earns its place."))
    assert [(v.split("**")[1], v.rsplit(": ", 1)[1]) for v in verdicts] == expected
    best = min((r for r in guide.LESSONS[-1].runs if r.model != "naive"),
               key=lambda r: RunStore().get(r.experiment().key()).val_mse)
    assert f"The best on validation: {best.label}" in [h.value for h in at.subheader]
    assert "How sure is it?" in [h.value for h in at.subheader] and "Diagnostics" in [h.value for h in at.subheader]
    assert not at.multiselect  # the lesson's levels are the defaults: no control (presenter mode has none)
