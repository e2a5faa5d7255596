"""The run store: one content-addressed folder per experiment key.

Layout under ``RNNLAB_HOME`` (default ``~/.rnnlab``)::

    runs/<key>/experiment.json   the experiment (to_dict) and its key
    runs/<key>/result.json       metrics, history, layers, inspection data, versions
    runs/<key>/predictions.npz   validation and test forecasts, [n, horizon] float32
    runs/<key>/model.keras       the trained model (absent for the naive baseline)
    runs/<key>/manifest.json     size and SHA-256 of each file above

A run is written into a temporary folder (``runs/.tmp-*``) and renamed into place in one step, so readers never
see half a run and two concurrent writers of the same key leave one complete copy. A write that fails (no space,
a read-only store, no permission) raises :class:`StoreWriteFailed` with the reason and leaves nothing behind; it
is never mistaken for a concurrent writer that won. Before a run goes into place the store keeps within its quota
(:mod:`rnnlab.store.quota`: least recently used runs that are not pinned are evicted). A temporary folder left
behind by a writer that was killed is removed by a later write once it is :data:`ORPHAN_SECONDS` old. Reading
checks the manifest, the JSON and the key; a damaged entry is logged and treated as missing (it will be trained
again, and the damaged copy is then moved to ``damaged/``), never a crash. NumPy and the standard library only.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import time
import uuid
from collections import OrderedDict
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping

import numpy as np

from rnnlab.config import experiment_key
from rnnlab.config.limits import StoreSettings
from rnnlab.config.sections import NETWORK_SIDE
from rnnlab.paths import default_home
from rnnlab.store import quota
from rnnlab.store.runs import RunResult, RunSummary

log = logging.getLogger(__name__)

FILES = ("experiment.json", "result.json", "predictions.npz")
MODEL_FILE = "model.keras"
MANIFEST = "manifest.json"
#: Age after which a temporary folder is taken for the leftover of a killed writer (a write takes seconds).
ORPHAN_SECONDS = 600.0


#: Verified summaries by run folder, with the files' modification times when they were verified: listing a
#: store (the Compare page, the class board every few seconds) re-reads only runs whose files changed. The
#: least recently used entries beyond :data:`SUMMARY_CACHE_RUNS` are dropped (a term's store can hold more runs
#: than the web process should keep in memory). Each entry keeps the run's experiment (as stored) and its listing
#: view, not the whole ``result.json`` (8.7 kB instead of 34 kB: readers of a whole run read the file again).
_SUMMARIES: OrderedDict[Path, tuple[tuple[int, ...], dict[str, Any], RunSummary]] = OrderedDict()
SUMMARY_CACHE_RUNS = 5000


class DamagedRun(Exception):
    """A stored run failed its checks (reported in the log; callers treat the run as missing)."""


class StoreWriteFailed(Exception):
    """A run could not be kept: the disk is full, the store is read-only or not ours, or its quota is taken by
    runs that may not be evicted. ``reason`` says which, in words fit to show; nothing of the run was left."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _reason(exc: OSError) -> str:
    """An OSError in words: ``No space left on device``, ``Read-only file system``, ``Permission denied``..."""
    return exc.strerror or str(exc) or type(exc).__name__


def _is_key(key: Any) -> bool:
    return isinstance(key, str) and len(key) == 64 and all(c in "0123456789abcdef" for c in key)


class RunStore:
    """Content-addressed store of finished runs.

    Args:
        root: the store's home folder; defaults to :func:`default_home`. Created on first write.
        quota_mb: most megabytes the runs may take (default ``RNNLAB_STORE_MB``, read at each write).
    """

    def __init__(self, root: str | os.PathLike | None = None, quota_mb: int | None = None) -> None:
        self.root = Path(root) if root is not None else default_home()
        self.runs = self.root / "runs"
        self.quota_mb = quota_mb

    def quota_bytes(self) -> int:
        """The most bytes the runs may take."""
        mb = self.quota_mb if self.quota_mb is not None else StoreSettings.from_env().store_mb
        return mb * quota.MB

    def forget(self, folder: Path) -> None:
        """Drop ``folder``'s cached summary (its run was evicted or moved aside)."""
        _SUMMARIES.pop(folder, None)

    # -- paths --------------------------------------------------------------------------------------
    def path(self, key: str) -> Path:
        """Folder of run ``key``. Raises ValueError unless ``key`` is a 64-character hex digest."""
        if not _is_key(key):
            raise ValueError(f"not a run key: {str(key)[:80]!r} (expected 64 lowercase hex characters)")
        return self.runs / key

    # -- writing ------------------------------------------------------------------------------------
    def put(self, result: RunResult) -> Path:
        """Store ``result`` atomically under its key and return the run's folder.

        If an intact run with the same key is already there it is kept (equal keys mean equal
        experiments); a damaged one is replaced.

        Raises:
            StoreWriteFailed: the run could not be kept (the reason says why); nothing of it is left behind.
        """
        final = self.path(result.key)
        if experiment_key(result.experiment) != result.key:
            raise ValueError("the result's key does not match its experiment; refusing to store it")
        try:
            self.runs.mkdir(parents=True, exist_ok=True)
            self.remove_orphans()
            tmp = self.runs / f".tmp-{result.key[:12]}-{uuid.uuid4().hex}"
            tmp.mkdir()
        except OSError as exc:
            raise StoreWriteFailed(_reason(exc)) from exc
        try:
            return self._put(result, tmp, final)
        except OSError as exc:
            raise StoreWriteFailed(_reason(exc)) from exc
        except quota.StoreFull as exc:
            raise StoreWriteFailed(str(exc)) from exc
        finally:  # whatever happened, no temporary folder stays (after a success it is the run, renamed)
            shutil.rmtree(tmp, ignore_errors=True)

    def _put(self, result: RunResult, tmp: Path, final: Path) -> Path:
        """Write ``result`` into ``tmp`` and rename it into place at ``final`` (after making room for it); what is
        left of ``tmp`` is :meth:`put`'s to remove."""
        payloads = {
            "experiment.json": _json_bytes({"key": result.key, "experiment": result.experiment}),
            "result.json": _json_bytes(result.summary()),
            "predictions.npz": _npz_bytes(result.predictions),
        }
        if result.model_bytes:
            payloads[MODEL_FILE] = result.model_bytes
        manifest = {name: {"size": len(blob), "sha256": hashlib.sha256(blob).hexdigest()}
                    for name, blob in payloads.items()}
        payloads[MANIFEST] = _json_bytes({"key": result.key, "files": manifest})
        for name, blob in payloads.items():
            _write_synced(tmp / name, blob)
        _fsync_dir(tmp)
        if final.exists():
            if self._check(result.key, deep=True) is not None:
                return final  # an intact copy is there already (the caller removes ours)
            self._discard(final, "replacing a damaged copy")
        quota.make_room(self, sum(len(b) for b in payloads.values()), self.quota_bytes(), keep=[result.key])
        try:
            os.rename(tmp, final)
        except OSError:
            if self._check(result.key, deep=False) is None:
                raise  # not a writer that won: the rename itself failed
            # Another writer renamed the same key into place first: its copy is as good as ours (ours is removed).
        _fsync_dir(self.runs)
        return final

    def remove_orphans(self, max_age: float = ORPHAN_SECONDS) -> list[str]:
        """Remove temporary folders older than ``max_age`` seconds (what a killed writer left); their names."""
        removed = []
        now = time.time()
        leftovers = [*self.runs.glob(".tmp-*"), *self.runs.glob(".evict-*")] if self.runs.is_dir() else []
        for folder in leftovers:
            try:
                if now - folder.stat().st_mtime > max_age:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed.append(folder.name)
            except FileNotFoundError:  # its writer finished (or another cleaner was faster)
                continue
        if removed:
            log.warning("run store: removed %d unfinished write(s) left behind: %s", len(removed), ", ".join(removed))
        return removed

    def _discard(self, folder: Path, why: str) -> None:
        trash = self.root / "damaged"
        trash.mkdir(parents=True, exist_ok=True)
        target = trash / f"{folder.name}-{uuid.uuid4().hex[:8]}"
        log.warning("run store: %s %s (moved to %s)", why, folder.name, target)
        try:
            os.rename(folder, target)
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)

    # -- reading ------------------------------------------------------------------------------------
    def _check(self, key: str, *, deep: bool) -> dict[str, Any] | None:
        """The run's parsed ``result.json`` if the run passes its checks, else None (and a log line)."""
        return self._guarded(key, lambda: self._load_checked(key, deep=deep))

    @staticmethod
    def _guarded(key: str, read: Callable[[], Any]) -> Any:
        """``read()``, or None when the run is missing, or damaged (which is logged)."""
        try:
            return read()
        except FileNotFoundError:
            return None
        except (DamagedRun, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("run store: run %s is damaged and is treated as missing: %s", key[:12], exc)
            return None

    def _load_checked(self, key: str, *, deep: bool) -> dict[str, Any]:
        folder = self.path(key)
        if not folder.is_dir():
            raise FileNotFoundError(folder)
        manifest = json.loads((folder / MANIFEST).read_bytes())
        if manifest.get("key") != key:
            raise DamagedRun("manifest names another key")
        files = manifest["files"]
        missing = [name for name in FILES if name not in files]
        if missing:
            raise DamagedRun(f"manifest lacks {', '.join(missing)}")
        for name, meta in files.items():
            if deep or name != MODEL_FILE:
                _read_verified(folder / name, meta)
                continue
            try:
                size = (folder / name).stat().st_size
            except FileNotFoundError:
                raise DamagedRun(f"{name} is missing") from None
            if size != meta["size"]:
                raise DamagedRun(f"{name} has {size} bytes, expected {meta['size']}")
        stored = json.loads((folder / "experiment.json").read_bytes())
        if stored.get("key") != key or experiment_key(stored["experiment"]) != key:
            raise DamagedRun("experiment does not hash to the folder's key")
        result = json.loads((folder / "result.json").read_bytes())
        if result.get("key") != key or result.get("experiment") != stored["experiment"]:
            raise DamagedRun("result.json belongs to another experiment")
        return result

    def _cached(self, key: str) -> tuple[dict[str, Any], RunSummary] | None:
        """The stored experiment of an intact run and its listing view, verified once per change of its files."""
        folder = self.path(key)
        try:
            stamp = tuple((folder / name).stat().st_mtime_ns for name in (MANIFEST, *FILES))
        except FileNotFoundError:
            stamp = None
        cached = _SUMMARIES.get(folder)
        if stamp is not None and cached is not None and cached[0] == stamp:
            return cached[1], cached[2]
        summary = self._check(key, deep=False)
        run = None if summary is None else self._guarded(key, lambda: RunSummary.from_json(summary))
        if run is None:
            _SUMMARIES.pop(folder, None)
            return None
        experiment = summary["experiment"]
        if stamp is not None:
            _SUMMARIES[folder] = (stamp, experiment, run)
            _SUMMARIES.move_to_end(folder)
            while len(_SUMMARIES) > SUMMARY_CACHE_RUNS:
                _SUMMARIES.popitem(last=False)
        return experiment, run

    def summary(self, key: str) -> RunSummary | None:
        """The listing view of run ``key``, or None if it is missing or damaged."""
        cached = self._cached(key) if _is_key(key) else None
        return None if cached is None else cached[1]

    def verify(self, key: str) -> bool:
        """True if run ``key`` passes every check, its model's checksum included (a damaged one is logged)."""
        return _is_key(key) and self._check(key, deep=True) is not None

    def has(self, key: str) -> bool:
        """True if an intact run ``key`` is stored."""
        return _is_key(key) and self._cached(key) is not None

    def get(self, key: str, *, with_model: bool = False) -> RunResult | None:
        """The stored run ``key``, or None if it is missing or damaged (damage is logged).

        Args:
            key: experiment key.
            with_model: also read ``model.keras`` into ``model_bytes``.
        """
        if not _is_key(key):
            return None
        folder = self.path(key)
        if with_model:
            summary = self._check(key, deep=True)
        elif self._cached(key) is None:  # its files verified once per change, as listings verify them
            return None
        else:
            summary = self._guarded(key, lambda: json.loads((folder / "result.json").read_bytes()))
        if summary is None:
            return None
        quota.touch(folder)  # used: the last to be evicted

        def read() -> RunResult:
            with np.load(folder / "predictions.npz", allow_pickle=False) as npz:
                predictions = {name: npz[name] for name in npz.files}
            model = folder / MODEL_FILE
            model_bytes = model.read_bytes() if with_model and model.exists() else None
            return RunResult(**summary, predictions=predictions, model_bytes=model_bytes)

        return self._guarded(key, read)

    def model_bytes(self, key: str) -> bytes | None:
        """The bytes of run ``key``'s ``model.keras`` checked against the manifest, or None (no model, or a
        damaged one, which is logged). Reads only the manifest and the model: pages call it on every rerun."""
        if not _is_key(key):
            return None
        folder = self.path(key)

        def read() -> bytes | None:
            entry = json.loads((folder / MANIFEST).read_bytes())["files"].get(MODEL_FILE)
            return None if entry is None else _read_verified(folder / MODEL_FILE, entry)

        return self._guarded(key, read)

    def keys(self) -> Iterator[str]:
        """Keys of every folder in the store (intact or not), in no particular order."""
        if not self.runs.is_dir():
            return iter(())
        return (p.name for p in self.runs.iterdir() if _is_key(p.name) and p.is_dir())

    def list(self, *, series: Mapping[str, Any] | None = None, model: str | None = None,
             mode: str | None = None, backtests: bool = False) -> list[RunSummary]:
        """The intact runs, newest first.

        Args:
            series: keep runs whose experiment's ``series`` section equals this (``SeriesSpec`` as a dict), but for
                its scaling and start (how a network sees and starts on the same windows: ``NETWORK_SIDE``).
            model: keep runs of this registry model.
            mode: keep runs in this forecast mode.
            backtests: instead, keep the backtest folds on that series (its section but for the fold).
        """
        ignored = ("folds", "fold", *NETWORK_SIDE) if backtests else NETWORK_SIDE
        if series is not None:
            series = {k: v for k, v in series.items() if k not in ignored}
        out = []
        for key in self.keys():
            cached = self._cached(key)
            if cached is None:
                continue
            exp = cached[0]
            data = exp["series"]
            if backtests and "fold" not in data:
                continue
            data = {k: v for k, v in data.items() if k not in ignored}
            if series is not None and data != dict(series):
                continue
            if model is not None and exp["model"]["name"] != model:
                continue
            if mode is not None and exp["model"]["mode"] != mode:
                continue
            out.append(cached[1])
        out.sort(key=lambda run: run.created, reverse=True)
        return out


# --------------------------------------------------------------------------------------------------
def _read_verified(path: Path, meta: Mapping[str, Any]) -> bytes:
    """The bytes of ``path`` if they match the manifest entry ``meta`` (size and SHA-256), else DamagedRun."""
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        raise DamagedRun(f"{path.name} is missing") from None
    if len(blob) != meta["size"]:
        raise DamagedRun(f"{path.name} has {len(blob)} bytes, expected {meta['size']}")
    if hashlib.sha256(blob).hexdigest() != meta["sha256"]:
        raise DamagedRun(f"{path.name} does not match its checksum")
    return blob


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, indent=1, allow_nan=True).encode("utf-8")


def _npz_bytes(arrays: Mapping[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **{name: np.asarray(value, dtype=np.float32) for name, value in arrays.items()})
    return buffer.getvalue()


def _write_synced(path: Path, blob: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(blob)
        fh.flush()
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
