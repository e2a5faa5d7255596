"""Soak: a synthetic class on one server for a long while, its memory sampled (not part of the suite).

    python -m benchmarks.soak --minutes 60                # the issue's hour: 6 browsers, a 40 MB store quota
    python -m benchmarks.soak --minutes 5 --sessions 3    # a quick look

Each of ``--sessions`` real browsers (Debian's Chromium through Playwright, as ``benchmarks.load``) loops over
what a student does: train a new small experiment and watch it to the end (each has a training seed of its own, so
the store keeps growing and, with a small ``--store-mb``, evicting), open a stored one again, and browse the
Compare, Lessons and Class board pages. Every ``--every`` seconds it samples the server's and the workers' resident
memory (``/proc``), the run store's size, and the health latency. At the end it prints a markdown table of the
samples and the verdict: the server's and the workers' memory growth from the end of the warm-up (the first
quarter of the run, at least 5 minutes) to the end (goal: under 10%), the store within its quota, and nothing
failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.load import CHROMIUM, CHROMIUM_ARGS, IDLE, HealthProbe, start_server
from rnnlab.store import quota
from rnnlab.store.runstore import RunStore

SMALL = "model={model}&n_series=400&n_steps=20&epochs={epochs}&train_seed={seed}"
MODELS = ("linear", "gru", "simple_rnn", "lstm")
BROWSE = ("compare", "lessons", "board", "")


def rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[int]:
    """Every process under ``pid`` (the embedded cluster's workers and their helpers)."""
    out, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            tasks = Path(f"/proc/{parent}/task").iterdir()
            kids = [int(k) for t in tasks for k in (t / "children").read_text().split()]
        except OSError:
            kids = []
        out += kids
        todo += kids
    return out


@dataclass
class Soak:
    started: float = field(default_factory=time.monotonic)
    samples: list[dict] = field(default_factory=list)
    actions: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    seed: int = 1000

    def count(self, action: str) -> None:
        self.actions[action] = self.actions.get(action, 0) + 1


async def _student(browser, base: str, soak: Soak, deadline: float, rng: random.Random) -> None:
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(300_000)
    trained: list[str] = []
    try:
        while time.monotonic() < deadline:
            roll = rng.random()
            try:
                if roll < 0.45 or not trained:  # train something new and watch it
                    soak.seed += 1
                    query = SMALL.format(model=rng.choice(MODELS), epochs=rng.choice((2, 3, 5)), seed=soak.seed)
                    await _train(page, base, query)
                    trained.append(query)
                    soak.count("train and watch")
                elif roll < 0.6:  # open one of one's own runs again (stored, or evicted and trained again)
                    await _train(page, base, rng.choice(trained))
                    soak.count("reopen a run")
                else:
                    where = rng.choice(BROWSE)
                    await page.goto(f"{base}/{where}")
                    await page.wait_for_selector(IDLE)
                    if await page.get_by_test_id("stException").count():
                        raise RuntimeError(f"/{where} shows an exception")
                    soak.count(f"browse /{where}")
            except Exception as exc:  # noqa: BLE001 - every failure is a finding: count it, go on
                soak.failures.append(f"{time.monotonic() - soak.started:.0f}s: {type(exc).__name__}: {exc}"[:300])
            await asyncio.sleep(rng.uniform(1, 4))
    finally:
        await context.close()


async def _train(page, base: str, query: str) -> None:
    await page.goto(f"{base}/train?{query}")
    await page.wait_for_selector(IDLE)
    button = page.locator(".st-key-train").get_by_role("button").first  # Train, or Join this training
    done = page.get_by_text(re.compile(r"Trained in [\d.]+ s|Stored result")).first
    await button.or_(done).first.wait_for()  # the page has drawn one or the other
    if not await done.is_visible() and await button.is_enabled():
        await button.click()
    await done.wait_for()
    if await page.get_by_test_id("stException").count():
        raise RuntimeError(f"the Train page shows an exception for {query}")


async def _class(base: str, sessions: int, soak: Soak, deadline: float, seed: int) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            await asyncio.gather(*(_student(browser, base, soak, deadline, random.Random(seed + i))
                                   for i in range(sessions)))
        finally:
            await browser.close()


def _sampler(server_pid: int, home: Path, probe: HealthProbe, soak: Soak, every: float, stop: threading.Event):
    while not stop.is_set():
        workers = descendants(server_pid)
        sizes = quota.runs_bytes(RunStore(home))
        latencies = probe.latencies[-int(every / probe.interval) or -1:]
        soak.samples.append({"minute": (time.monotonic() - soak.started) / 60, "server_mb": rss_mb(server_pid),
                             "workers_mb": sum(rss_mb(w) for w in workers), "processes": len(workers),
                             "store_mb": sum(sizes.values()) / quota.MB, "runs": len(sizes),
                             "health_max": max(latencies, default=float("nan")),
                             "trainings": soak.actions.get("train and watch", 0)})
        stop.wait(every)


def report(soak: Soak, quota_mb: int, minutes: float) -> tuple[str, bool]:
    """The samples as a markdown table, and the verdict (growth under 10% after the warm-up, the store within its
    quota, nothing failed)."""
    rows = ["| minute | server RSS (MB) | workers RSS (MB) | store (MB) | runs | trainings so far | health max (s) |",
            "|---:|---:|---:|---:|---:|---:|---:|"]
    for s in soak.samples:
        rows.append(f"| {s['minute']:.0f} | {s['server_mb']:.0f} | {s['workers_mb']:.0f} | {s['store_mb']:.1f} | "
                    f"{s['runs']} | {s['trainings']} | {s['health_max']:.2f} |")
    warm = max(5.0, minutes / 4)
    after = [s for s in soak.samples if s["minute"] >= warm] or soak.samples[-1:]
    first = after[0]
    tail = [s for s in soak.samples if s["minute"] >= soak.samples[-1]["minute"] - max(1.0, minutes / 10)]

    def growth(key: str) -> float:
        end = statistics.median(s[key] for s in tail)
        return (end - first[key]) / first[key] * 100 if first[key] else 0.0

    server, workers = growth("server_mb"), growth("workers_mb")
    biggest = max(s["store_mb"] for s in soak.samples)
    ok = server < 10 and workers < 10 and biggest <= quota_mb and not soak.failures
    actions = ", ".join(f"{name} {n}" for name, n in sorted(soak.actions.items()))
    words = [f"{minutes:.0f} minutes; actions: {actions}; failures: {len(soak.failures)}.",
             f"Memory growth from minute {first['minute']:.0f} (after the warm-up) to the end (median of the last "
             f"samples): server {server:+.1f}%, workers {workers:+.1f}% (goal: under 10%). The store's largest size "
             f"{biggest:.1f} MB against its quota of {quota_mb} MB. Verdict: {'passed' if ok else 'FAILED'}."]
    return "\n".join(rows + [""] + words + [f"- {f}" for f in soak.failures[:20]]), ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="how long the class works (default 60)")
    parser.add_argument("--sessions", type=int, default=6, help="browsers at once (default 6)")
    parser.add_argument("--store-mb", type=int, default=40, help="the store's quota, RNNLAB_STORE_MB (default 40: "
                                                                 "small enough that the hour evicts)")
    parser.add_argument("--every", type=float, default=60.0, help="seconds between samples (default 60)")
    parser.add_argument("--seed", type=int, default=7, help="the class's random choices")
    args = parser.parse_args(argv)
    if args.minutes <= 0 or args.sessions < 1 or args.store_mb < 10 or args.every <= 0:
        parser.error("--minutes and --every must be positive, --sessions at least 1, --store-mb at least 10")
    home = Path(tempfile.mkdtemp(prefix="rnnlab-soak-")) / "home"
    home.mkdir()
    os.environ["RNNLAB_STORE_MB"] = str(args.store_mb)
    proc, base = start_server(home)
    probe = HealthProbe(base)
    probe.start()
    soak, stop = Soak(), threading.Event()
    sampler = threading.Thread(target=_sampler, args=(proc.pid, home, probe, soak, args.every, stop), daemon=True)
    sampler.start()
    try:
        asyncio.run(_class(base, args.sessions, soak, time.monotonic() + args.minutes * 60, args.seed))
    finally:
        stop.set()
        sampler.join(10)
        probe.stop()
        proc.terminate()
        try:
            proc.wait(30)
        except Exception:  # noqa: BLE001
            proc.kill()
    text, ok = report(soak, args.store_mb, args.minutes)
    print(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
