"""How often the Train page polls a running training, and the live loss figure shared by everyone watching it
(rnnlab.dashboard.training_view). The browser side (the curve grows, the result appears) is in tests/e2e; the
server's cost per watching session is the load benchmark's (``python -m benchmarks.load --watch``)."""

from __future__ import annotations

import threading

from rnnlab.dashboard import training_view
from rnnlab.dashboard.training_view import LiveCurves, poll_seconds


def snap(state: str = "running", epoch: int = 0, elapsed: float = 0.0) -> dict:
    return {"state": state, "epoch": epoch, "epochs": 100, "elapsed": elapsed, "history": []}


def history(n: int) -> list[dict]:
    return [{"epoch": i, "loss": 1.0 / i, "val_loss": 1.1 / i, "seconds": 0.5} for i in range(1, n + 1)]


def test_polls_every_second_while_compiling_and_about_once_per_epoch_after():
    assert poll_seconds(snap("queued")) == 2.0
    assert poll_seconds(snap("running", epoch=0, elapsed=4.0)) == 1.0  # compiling: the first epoch shows at once
    assert poll_seconds(snap("running", epoch=10, elapsed=5.0)) == 2.0  # fast epochs: at least two seconds apart
    assert poll_seconds(snap("running", epoch=10, elapsed=30.0)) == 3.0  # one poll per epoch
    assert poll_seconds(snap("running", epoch=2, elapsed=120.0)) == 5.0  # long epochs: the end is seen within 5 s


def test_a_finished_training_is_noticed_well_within_twenty_seconds():
    """Whatever the job's pace, the progress line polls at least every five seconds (the panel around it, with the
    curve, every CURVE_SECONDS): the page reruns (and shows the result) soon after the training ends."""
    worst = max(poll_seconds(snap(state, epoch, elapsed)) for state in ("queued", "running")
                for epoch in (0, 1, 5, 50) for elapsed in (0.5, 10.0, 600.0, 36000.0))
    assert worst <= 5.0 and training_view.CURVE_SECONDS <= 15.0


def test_watchers_share_one_figure_built_at_most_once_per_interval(monkeypatch):
    built: list[int] = []
    real = training_view.loss_curves

    def counting(runs):
        built.append(len(next(iter(runs.values()))))
        return real(runs)

    monkeypatch.setattr(training_view, "loss_curves", counting)
    curves = LiveCurves(seconds=5.0)
    first = curves.figure("k" * 64, "gru", history(3), now=100.0)
    # thirty sessions polling within the interval, epochs arriving meanwhile: the same figure, built once
    for i in range(30):
        assert curves.figure("k" * 64, "gru", history(3 + i // 10), now=100.0 + i * 0.1) is first
    assert built == [3]
    later = curves.figure("k" * 64, "gru", history(6), now=105.5)  # older than the interval and behind: rebuilt
    assert later is not first and built == [3, 6]
    assert curves.figure("k" * 64, "gru", history(6), now=500.0) is later  # nothing new: kept however old
    assert built == [3, 6]
    trace = later.data[0]
    assert list(trace.x) == [1, 2, 3, 4, 5, 6]  # the curve shows every epoch it was built with


def test_the_shared_figures_are_bounded_and_kept_per_training():
    curves = LiveCurves(seconds=5.0, size=3)
    figures = {str(i) * 64: curves.figure(str(i) * 64, "gru", history(2), now=0.0) for i in range(5)}
    assert len(curves._figures) == 3 and list(curves._figures) == ["2" * 64, "3" * 64, "4" * 64]
    assert curves.figure("4" * 64, "gru", history(2), now=1.0) is figures["4" * 64]
    assert curves.figure("3" * 64, "lstm", history(2), now=1.0) is not figures["4" * 64]


def test_many_sessions_at_once_get_a_figure_each_time():
    curves = LiveCurves(seconds=0.0)
    errors: list[BaseException] = []

    def watch(n: int) -> None:
        try:
            for i in range(5):
                assert curves.figure("a" * 64, "gru", history(1 + (n + i) % 7)).data
        except BaseException as exc:  # re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=watch, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
