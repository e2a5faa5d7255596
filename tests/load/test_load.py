"""The load benchmark's own logic: the browsers' priority and the sizing of its measurements. (Its smoke run, three
sessions at once, is in tests/e2e/test_browser.py, on that module's server.)"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def test_browsers_lose_priority_across_autogroups(tmp_path):
    """The benchmark's own browsers get nice 19 and so does their session (autogroup): under autogroup
    scheduling a plain nice 19 left each browser an equal share with the server (health took 3.8 s).
    Processes the benchmark did not start are left alone."""
    import os
    import subprocess

    import psutil

    from benchmarks.load import _renice_autogroup, _renice_browsers

    # The autogroup file as the kernel shows it, in a stand-in /proc: rewritten to 19 once, then left.
    fake = tmp_path / "proc" / "4242"
    fake.mkdir(parents=True)
    (fake / "autogroup").write_text("/autogroup-17 nice 0\n")
    _renice_autogroup(4242, proc_root=tmp_path / "proc")
    assert (fake / "autogroup").read_text() == "19"
    _renice_autogroup(4343, proc_root=tmp_path / "proc")  # no such process: nothing happens

    chromium = tmp_path / "chromium"  # a process named like the browser
    chromium.symlink_to(subprocess.run(["which", "sleep"], capture_output=True, text=True).stdout.strip())
    ours = subprocess.Popen([str(chromium), "30"], start_new_session=True)
    # Not ours: started by a shell that exits at once, so it is nobody's child here.
    subprocess.run(["sh", "-c", f"setsid {chromium} 31 & echo $! > {tmp_path / 'stranger'}"], check=True)
    stranger = psutil.Process(int((tmp_path / "stranger").read_text()))
    try:
        _renice_browsers()
        assert psutil.Process(ours.pid).nice() == 19
        assert stranger.nice() == os.nice(0)
        autogroup = Path(f"/proc/{ours.pid}/autogroup")
        if autogroup.exists():  # a kernel with autogroup scheduling: the session's share is lowered too
            assert autogroup.read_text().rstrip().endswith("nice 19")
    finally:
        ours.kill()
        ours.wait()
        stranger.kill()


def test_watch_figures_are_the_servers_own_per_session_and_minute():
    """``--watch`` reads a process's own CPU time and memory from /proc, and reports per watching session and
    minute what the sessions added to the server's time with nobody watching."""
    import os
    import time

    from benchmarks.load import Window, WatchReport, cpu_seconds, rss_mb

    before = cpu_seconds(os.getpid())
    end = time.process_time() + 0.3
    while time.process_time() < end:  # busy in this process
        pass
    assert 0.2 <= cpu_seconds(os.getpid()) - before <= 1.0
    assert 10 < rss_mb(os.getpid()) < 10_000
    idle = Window(seconds=30.0, cpu=1.5, rss=200.0, health=[0.002])
    watching = Window(seconds=30.0, cpu=7.5, rss=260.0, health=[0.003, 0.4])
    arrived = dict(sent_delays=[1.0] * 19 + [4.0], alone_seconds=2.5)
    report = WatchReport(sessions=20, idle=idle, watching=watching, result_delays=[30.0] * 20, **arrived)
    assert report.per_watcher == (15.0 - 3.0) / 20 and report.rss_per_session == 3.0
    assert report.on_own_browsers() == 4.0 + 2.5  # the last session's message, plus one page drawing it alone
    line = report.markdown()
    assert report.ok() and "| 20 | ? | 3.0 s | 15.0 s | **0.60 s** | 100 |" in line
    assert "| not measured | 1.0 s / 4.0 s | 2.5 s | 6.5 s | 30.0 s / 30.0 s |" in line
    # the server's own note of each send, when there is one, is the server's part: the browsers' late frames
    # (they share the server's cores here) do not count against it
    noted = WatchReport(sessions=20, idle=idle, watching=watching, result_delays=[30.0] * 20,
                        sent_delays=[25.0] * 20, alone_seconds=2.5, server_sent_delays=[0.5] * 19 + [2.0])
    assert noted.on_own_browsers() == 2.0 + 2.5 and noted.ok()
    assert "| 0.5 s / 2.0 s | 25.0 s / 25.0 s | 2.5 s | 4.5 s |" in noted.markdown()
    partial = WatchReport(sessions=20, idle=idle, watching=watching, result_delays=[30.0] * 20,
                          sent_delays=[25.0] * 20, alone_seconds=2.5, server_sent_delays=[0.5] * 19)
    assert partial.on_own_browsers() == 25.0 + 2.5 and not partial.ok()  # one session unnoted: the frames decide
    assert "| 19 of 20 noted |" in partial.markdown()
    # the result must reach every session, in time, and every page must show it
    late = dict(sent_delays=[1.0] * 19 + [18.0], alone_seconds=2.5)
    assert not WatchReport(sessions=20, idle=idle, watching=watching, result_delays=[3.0] * 20, **late).ok()
    lost = dict(sent_delays=[1.0] * 19 + [None], alone_seconds=2.5)
    assert not WatchReport(sessions=20, idle=idle, watching=watching, result_delays=[3.0] * 20, **lost).ok()
    assert not WatchReport(sessions=20, idle=idle, watching=watching, result_delays=[3.0] * 19 + [None],
                           **arrived).ok()
    assert not WatchReport(sessions=20, idle=idle, watching=watching, result_delays=[3.0] * 20).ok()  # unmeasured
    assert not WatchReport(sessions=20, idle=idle, watching=watching, still_running=False,
                           result_delays=[3.0] * 20, **arrived).ok()


def test_the_watched_training_outlasts_the_sessions_opening_as_measured():
    """The training a level watches is sized from how long opening its sessions takes: at first from
    ``--seconds-per-session``, then from what the level before measured (twenty sessions took 373 s to open on two
    cores, and a training sized for 1.5 s per session had ended by then)."""
    from benchmarks.load import OPENING_MARGIN, Window, WatchReport, next_seconds_per_session, watch_epochs

    window = Window(seconds=30.0, cpu=1.0, rss=200.0, health=[0.01])
    ten = WatchReport(sessions=10, idle=window, watching=window, result_delays=[5.0] * 10, open_seconds=186.0)
    per_session = next_seconds_per_session(1.5, ten)
    assert abs(per_session - OPENING_MARGIN * 18.6) < 1e-9
    twenty = watch_epochs(20, 30.0, 0.7, per_session)
    assert twenty * 0.7 > 373 + 2 * 30  # opening twenty sessions and both windows fit in the training
    assert next_seconds_per_session(per_session, WatchReport(sessions=10, idle=window, watching=window,
                                                             open_seconds=20.0)) == per_session  # never less
    # the first level, sized from the default: ten sessions opening as slowly as measured still fit in its training
    assert watch_epochs(10, 30.0) * 0.7 > 186 + 2 * 30


def test_the_sessions_wait_for_the_result_longer_than_the_training_takes():
    """The wait for the watched training's result outlasts the training even at a third of its pace: at 20 sessions
    a fixed ten minutes ended before the 714-epoch training did, and "result shown" went unmeasured."""
    from benchmarks.load import SECONDS_PER_EPOCH, result_wait

    assert result_wait(714) >= 3 * 714 * SECONDS_PER_EPOCH > 600
    assert result_wait(50) == 600.0  # a short training: the ten minutes a page may take anyway


def test_the_server_notes_when_each_connection_is_first_sent_the_result(tmp_path, monkeypatch):
    """benchmarks.sendlog wraps Starlette's ``WebSocket.send_bytes`` in the benchmark's server process: one line
    per connection, at the first message holding the result, after it was sent."""
    import asyncio
    import threading

    from starlette.websockets import WebSocket

    from benchmarks import sendlog

    sent = []

    async def fake_send(self, data):  # the real one writes to a socket
        sent.append(data)

    monkeypatch.setattr(WebSocket, "send_bytes", fake_send)
    log = tmp_path / "sent.jsonl"
    sendlog.install(str(log))

    def send(*messages) -> None:
        """Send ``(connection, bytes)`` pairs in order, on an event loop in a thread of its own (in the suite a
        test process may already run one in this thread)."""
        async def session():
            for connection, data in messages:
                await WebSocket.send_bytes(connection, data)

        worker = threading.Thread(target=lambda: asyncio.run(session()))
        worker.start()
        worker.join(30)

    one, two = object.__new__(WebSocket), object.__new__(WebSocket)
    send((one, b"Epoch 3 of 9"), (one, b"...Trained in 12.5 s...."), (one, b"...Trained in 12.5 s.... (a rerun)"),
         (two, b"...Trained in 12.5 s...."))
    assert len(sent) == 4  # every message still goes out
    moments = sendlog.read(str(log))
    assert len(moments) == 2 and moments == sorted(moments)  # once per connection
    # a connection opened after another closed may get the closed one's id (CPython reuses freed memory): it is
    # noted too (regression: connections were told apart by id); here the new one's id() in sendlog is the closed one's
    closed = id(two)
    monkeypatch.setattr(sendlog, "id", lambda _: closed, raising=False)
    send((object.__new__(WebSocket), b"...Trained in 12.5 s...."))
    assert len(sendlog.read(str(log))) == 3
    assert sendlog.read(str(tmp_path / "none.jsonl")) == []
