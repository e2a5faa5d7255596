"""The run store within its disk: usage by kind, pins, and least-recently-used eviction.

A shared instance runs for a term: every training, sweep point, repeat and backtest fold is a stored run, so the
store would grow without bound. :meth:`rnnlab.store.runstore.RunStore.put` calls :func:`make_room` before a new
run goes into place: when the runs would take more than the quota (``RNNLAB_STORE_MB``,
:class:`~rnnlab.config.limits.StoreSettings`), the least recently used runs that are not protected are removed,
and each removal is logged. A removed run is simply trained again when someone asks for it.

*Recently used* is the run folder's modification time: set when the run is written and refreshed (at most once a
minute, :data:`TOUCH_SECONDS`) whenever the run is read in full (:meth:`RunStore.get`: a page showing it, a
request the store answers). *Protected* runs are never removed: those an operator (or a report) pinned
(``pins/<key>``, whose text says why), every lesson run, and the runs the class board shows (the best per model on
the lessons' data). Plain Python.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from rnnlab.lessons import guide
from rnnlab.series import catalog
from rnnlab.store.runs import best_per_model, group_repeats
from rnnlab.training.backend import jax_cache_dir

if TYPE_CHECKING:
    from rnnlab.store.runstore import RunStore

log = logging.getLogger(__name__)

PINS = "pins"
#: A run's last use is refreshed at most this often (a page rerun reads the same run every second).
TOUCH_SECONDS = 60.0
MB = 1024 * 1024


def tree_bytes(path: Path) -> tuple[int, int]:
    """Bytes of every file under ``path`` and how many files (0, 0 when it does not exist)."""
    total = count = 0
    for dirpath, _, files in os.walk(path):
        for name in files:
            try:
                total += os.stat(os.path.join(dirpath, name)).st_size
                count += 1
            except FileNotFoundError:  # removed while we walked
                continue
    return total, count


def run_bytes(folder: Path) -> int:
    """Bytes of the files of one run folder (0 when it is gone)."""
    try:
        return sum(entry.stat().st_size for entry in os.scandir(folder) if entry.is_file())
    except FileNotFoundError:
        return 0


#: Each store's run sizes, by key, with the folder's inode: a run never changes once in place, so every write
#: (which checks the quota) stats each folder once instead of reading every file's size again. A folder replaced
#: (a damaged copy) has a new inode and is measured again.
_SIZES: dict[Path, dict[str, tuple[int, int]]] = {}


def runs_bytes(store: "RunStore") -> dict[str, int]:
    """Bytes of each stored run folder, by key."""
    known, fresh = _SIZES.get(store.runs, {}), {}
    for key in store.keys():
        folder = store.runs / key
        try:
            inode = folder.stat().st_ino
        except FileNotFoundError:  # evicted meanwhile
            continue
        cached = known.get(key)
        fresh[key] = cached if cached is not None and cached[0] == inode else (inode, run_bytes(folder))
    _SIZES[store.runs] = fresh
    return {key: size for key, (_, size) in fresh.items()}


def usage(store: "RunStore") -> dict[str, dict[str, int]]:
    """What the instance keeps on disk, by kind: ``runs`` (the run store), ``uploads`` (uploaded series),
    ``compilation cache`` (JAX's, where the workers keep it) and ``damaged`` (runs that failed their checks,
    moved aside): each ``{"bytes": ..., "files": ...}`` (``runs`` counts runs)."""
    sizes = runs_bytes(store)
    out = {"runs": {"bytes": sum(sizes.values()), "files": len(sizes)}}
    for kind, path in (("uploads", uploads_folder(store)),
                       ("compilation cache", jax_cache_dir(store.root)),
                       ("damaged", store.root / "damaged")):
        size, files = tree_bytes(path)
        out[kind] = {"bytes": size, "files": files}
    return out


def uploads_folder(store: "RunStore") -> Path:
    """Where the uploaded series are kept (:func:`rnnlab.series.catalog.save_upload`), beside the runs."""
    return catalog.uploads_folder(store.root)


def expire_uploads(store: "RunStore", days: int, now: float | None = None) -> list[str]:
    """Remove the uploaded series older than ``days`` days that no stored run uses; their ids (logged)."""
    now = time.time() if now is None else now
    root = uploads_folder(store)
    if not root.is_dir():
        return []
    used = {run.experiment.series.data for run in store.list()}
    removed = []
    for folder in sorted(root.iterdir()):
        meta = folder / "meta.json"
        try:
            old = now - meta.stat().st_mtime > days * 86400
        except FileNotFoundError:
            continue
        if old and folder.name not in used:
            aside = root / f".expired-{folder.name}-{uuid.uuid4().hex}"
            try:
                os.rename(folder, aside)
            except OSError:
                continue
            shutil.rmtree(aside, ignore_errors=True)
            removed.append(folder.name)
    if removed:
        log.warning("run store: removed %d uploaded series unused for %d days: %s", len(removed), days,
                    ", ".join(removed))
    return removed


def last_used(folder: Path) -> float:
    """When the run in ``folder`` was last written or read in full (its folder's modification time)."""
    return folder.stat().st_mtime


def touch(folder: Path, now: float | None = None) -> None:
    """Mark the run in ``folder`` as used now (at most once per :data:`TOUCH_SECONDS`; a read-only store or a run
    removed meanwhile is left alone)."""
    now = time.time() if now is None else now
    try:
        if now - folder.stat().st_mtime > TOUCH_SECONDS:
            os.utime(folder, (now, now))
    except OSError:
        pass


# -- pins ------------------------------------------------------------------------------------------------
def pin(store: "RunStore", keys: Iterable[str], why: str) -> list[str]:
    """Protect the runs ``keys`` from eviction (whether or not they are stored yet); the keys pinned."""
    folder = store.root / PINS
    folder.mkdir(parents=True, exist_ok=True)
    done = []
    for key in keys:
        store.path(key)  # a ValueError for anything but a run key
        (folder / key).write_text(why + "\n", encoding="utf-8")
        done.append(key)
    return done


def unpin(store: "RunStore", keys: Iterable[str]) -> list[str]:
    """Let the runs ``keys`` be evicted again; the keys that were pinned."""
    done = []
    for key in keys:
        store.path(key)
        try:
            (store.root / PINS / key).unlink()
            done.append(key)
        except FileNotFoundError:
            continue
    return done


def pinned(store: "RunStore") -> dict[str, str]:
    """The pinned keys and why each was pinned."""
    folder = store.root / PINS
    if not folder.is_dir():
        return {}
    out = {}
    for path in folder.iterdir():
        if len(path.name) == 64:
            try:
                out[path.name] = path.read_text(encoding="utf-8").strip()
            except OSError:
                continue
    return out


def lesson_keys() -> set[str]:
    """The keys of every lesson run, at every lesson scale (``warm`` trains them; the Lessons page shows them)."""
    return {exp.key() for scale in guide.SCALES for exp in guide.lesson_experiments(scale)}


def board_keys(store: "RunStore") -> set[str]:
    """The runs the class board shows: on each lesson series, the best configuration's runs per model and mode."""
    keys: set[str] = set()
    for spec in guide.lesson_series():
        runs = store.list(series=spec)
        best = {row["key"] for row in best_per_model(runs)}
        for group in group_repeats(runs):
            if any(r.key in best for r in group.runs):
                keys.update(r.key for r in group.runs)
    return keys


def protected(store: "RunStore") -> dict[str, str]:
    """Every run eviction must keep, and why: pinned, a lesson run, or on the class board."""
    out = {key: "lesson" for key in lesson_keys()}
    out.update({key: "class board" for key in board_keys(store)})
    out.update(pinned(store))
    return out


# -- eviction --------------------------------------------------------------------------------------------
class StoreFull(Exception):
    """No room for a run even after evicting every run that may go (``evicted``): the message says what takes
    the space."""

    def __init__(self, message: str, evicted: list[tuple[str, int]]) -> None:
        super().__init__(message)
        self.evicted = evicted


def make_room(store: "RunStore", incoming: int, quota: int, keep: Iterable[str] = ()) -> list[tuple[str, int]]:
    """Evict the least recently used unprotected runs until the runs plus ``incoming`` bytes fit in ``quota``
    bytes; the evicted keys with their sizes (logged). ``keep`` (the run being written) is never evicted.

    Raises:
        StoreFull: the protected runs alone leave no room.
    """
    sizes = runs_bytes(store)
    used = sum(sizes.values())
    if used + incoming <= quota:
        return []
    keep_set = set(keep) | set(protected(store))
    candidates = []
    for key in sizes:
        if key in keep_set:
            continue
        try:
            candidates.append((last_used(store.runs / key), key))
        except FileNotFoundError:
            continue
    evicted = []
    for _, key in sorted(candidates):
        if used + incoming <= quota:
            break
        if evict(store, key):
            used -= sizes[key]
            evicted.append((key, sizes[key]))
    if evicted:
        log.warning("run store: over its quota of %.0f MB, evicted %d least recently used run(s) (%.1f MB): %s",
                    quota / MB, len(evicted), sum(b for _, b in evicted) / MB, ", ".join(k[:12] for k, _ in evicted))
    if used + incoming > quota:
        raise StoreFull(f"the store is full: its runs take {used / MB:.1f} MB of the {quota / MB:.0f} MB quota "
                        f"(RNNLAB_STORE_MB) and the rest are pinned, lesson or class-board runs; unpin some with "
                        f"`python -m rnnlab store unpin` or raise RNNLAB_STORE_MB", evicted)
    return evicted


def evict(store: "RunStore", key: str) -> bool:
    """Remove run ``key`` at once for readers (renamed aside, then deleted); False when it was already gone."""
    folder = store.path(key)
    aside = store.runs / f".evict-{key[:12]}-{uuid.uuid4().hex}"
    try:
        os.rename(folder, aside)
    except FileNotFoundError:
        return False
    store.forget(folder)
    shutil.rmtree(aside, ignore_errors=True)
    return True


#: How often the web server tidies the store (:func:`housekeeping`).
HOUSEKEEPING_SECONDS = 6 * 3600


def housekeeping(store: "RunStore", upload_days: int) -> None:
    """What a long-running instance does now and then: remove the uploads no run used for ``upload_days`` days,
    and bring the runs within the quota (an operator may have lowered it). Errors are logged, never raised."""
    try:
        expire_uploads(store, upload_days)
        make_room(store, 0, store.quota_bytes())
    except StoreFull as exc:
        log.warning("run store: %s", exc)
    except OSError:
        log.exception("run store: housekeeping failed")
