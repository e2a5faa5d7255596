"""Where an experiment's series comes from: the book's generator, a bundled real series, or an uploaded file.

A data id names the source: ``generated`` (the chapter's sine waves), a bundled series' name (shipped in
``rnnlab/datasets/`` with its provenance and licence, its content pinned by a checksum in its metadata), or
``upload-<20 hex digits>`` (the start of the SHA-256 of the prepared series, so equal data gets equal ids).
Uploaded series are kept under ``$RNNLAB_HOME/datasets/<id>/``. An id can be known or guessed (it is a hash of
the data, and runs name it), so it opens nothing by itself: an upload is opened by a *link key*, an unguessable
token made for the person who uploaded it (:func:`new_link`) and carried in their links (``key=``), the way an
unlisted document is shared; only the key's SHA-256 is kept, beside the series. A worker needs no shared disk: it
is handed the prepared series with its task and :func:`register` makes it known in that process.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rnnlab.errors import FieldError, SeriesError
from rnnlab.paths import default_home

if TYPE_CHECKING:
    from rnnlab.series.prepare import PreparedSeries

GENERATED = "generated"
UPLOAD_ID = re.compile(r"upload-[0-9a-f]{20}")
#: A link key: 22 URL-safe characters, 128 random bits (``secrets.token_urlsafe(16)``).
LINK_KEY = re.compile(r"[A-Za-z0-9_-]{22}")
#: What a link to an upload without its key is told (the pages and their tests look for these words).
NOT_SHARED = "is a file someone uploaded to this server, and they have not shared it"
DATASETS = Path(__file__).resolve().parents[1] / "datasets"

_REGISTERED: dict[str, PreparedSeries] = {}
_LOCK = threading.Lock()


@dataclass(frozen=True)
class SeriesInfo:
    """What the pages and the specs need to know about a real series, without loading it."""

    id: str
    kind: str  #: ``bundled`` or ``upload``
    title: str
    step: str
    season: int
    points: int
    unit: str = ""
    meta: dict[str, Any] = field(default_factory=dict)


@lru_cache(maxsize=1)
def _bundled() -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(DATASETS.glob("*.json")):
        meta = json.loads(path.read_text(encoding="utf-8"))
        found[meta["name"]] = meta
    return found


def bundled_names() -> tuple[str, ...]:
    """The bundled real series, by name."""
    return tuple(_bundled())


def bundled_meta(name: str) -> dict[str, Any]:
    """A bundled series' metadata (title, step, season, unit, what it teaches, source, licence...)."""
    return dict(_bundled()[name])


def is_real(data_id: str | None) -> bool:
    """True for a bundled or uploaded series, False for the generated one."""
    return data_id not in (None, GENERATED)


def is_upload(data_id: Any) -> bool:
    """True for an uploaded series' id."""
    return isinstance(data_id, str) and UPLOAD_ID.fullmatch(data_id) is not None


def check_id(data_id: Any) -> str:
    """``data_id`` if it names a possible source, else FieldError saying what is allowed."""
    if data_id == GENERATED or data_id in _bundled() or (isinstance(data_id, str) and UPLOAD_ID.fullmatch(data_id)):
        return data_id
    shown = str(data_id) if len(str(data_id)) <= 40 else str(data_id)[:40] + "…"
    raise FieldError("data", f"data={shown!r} is not a known series: allowed {GENERATED}, "
                             f"{', '.join(bundled_names())}, or an uploaded file's upload-… id")


def uploads_folder(home: Path | None = None) -> Path:
    """Where the uploaded series are kept: ``datasets/`` in the store's home (``RNNLAB_HOME`` by default)."""
    return (home or default_home()) / "datasets"


_uploads = uploads_folder


def info(data_id: str, home: Path | None = None) -> SeriesInfo:
    """What is known about a real series (FieldError if this server does not have it)."""
    if data_id in _bundled():
        meta = bundled_meta(data_id)
        return SeriesInfo(id=data_id, kind="bundled", title=meta["title"], step=meta["step"], season=meta["season"],
                          points=len(load(data_id)), unit=meta.get("unit", ""), meta=meta)
    if data_id in _REGISTERED:
        prepared = _REGISTERED[data_id]
        return SeriesInfo(id=data_id, kind="upload", title=prepared.name, step=prepared.step,
                          season=prepared.season, points=len(prepared), unit=prepared.unit)
    path = _uploads(home) / str(data_id) / "meta.json"
    if UPLOAD_ID.fullmatch(str(data_id)) and path.is_file():
        meta = json.loads(path.read_text(encoding="utf-8"))
        return SeriesInfo(id=data_id, kind="upload", title=meta["title"], step=meta["step"], season=meta["season"],
                          points=meta["points"], unit=meta.get("unit", ""), meta=meta)
    raise FieldError("data", f"the series {data_id!r} is not on this server (an uploaded file stays with the "
                             "server it was uploaded to): upload the file again")


def load(data_id: str, home: Path | None = None) -> PreparedSeries:
    """The prepared series ``data_id`` (FieldError if this server does not have it)."""
    if data_id in _bundled():
        return _load_bundled(data_id)
    with _LOCK:
        if data_id in _REGISTERED:
            return _REGISTERED[data_id]
    folder = _uploads(home) / str(data_id)
    if not (UPLOAD_ID.fullmatch(str(data_id)) and (folder / "series.npz").is_file()):
        info(data_id, home)  # raises the message
    from rnnlab.series.prepare import PreparedSeries  # pandas: only loading a series needs it, not a cached train

    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    with np.load(folder / "series.npz", allow_pickle=False) as npz:
        times = npz["times"].astype("datetime64[s]") if npz["times"].size else None
        prepared = PreparedSeries(values=npz["values"], times=times, freq=meta["freq"], step=meta["step"],
                                  season=meta["season"], name=meta["title"], unit=meta.get("unit", ""),
                                  report=meta.get("report", {}))
    if upload_id(prepared) != data_id:
        raise SeriesError(f"the stored series {data_id} does not match its id: it was damaged; upload it again")
    return prepared


@lru_cache(maxsize=None)
def _load_bundled(name: str) -> PreparedSeries:
    import pandas as pd  # only loading a series needs pandas, not a cached train

    from rnnlab.series.prepare import RawSeries, prepare  # pandas too

    meta = bundled_meta(name)
    path = DATASETS / meta["file"]
    blob = path.read_bytes()
    if "sha256" in meta and hashlib.sha256(blob).hexdigest() != meta["sha256"]:
        raise SeriesError(f"the bundled series {name} does not match the checksum in its metadata")
    frame = pd.read_csv(path)
    raw = RawSeries(values=frame["value"].to_numpy(dtype=np.float64),
                    times=pd.to_datetime(frame["time"]).to_numpy().astype("datetime64[s]"),
                    name=meta["title"], unit=meta.get("axis") or meta.get("unit", ""))
    return prepare(raw, season=meta["season"])


def upload_id(prepared: PreparedSeries) -> str:
    """The id an uploaded series gets: ``upload-`` and the start of its content hash."""
    return f"upload-{prepared.content_hash()[:20]}"


def register(data_id: str, prepared: PreparedSeries) -> None:
    """Make a series handed over with a task known in this process (workers share no disk with the app)."""
    with _LOCK:
        _REGISTERED[data_id] = prepared


def save_upload(prepared: PreparedSeries, *, owner: str, filename: str, home: Path | None = None) -> str:
    """Keep an uploaded series in the store (once per content) and return its id. ``owner`` (who uploaded it
    first) is recorded; what opens it is a link key (:func:`new_link`). Uploading the same data again adds
    nothing."""
    data_id = upload_id(prepared)
    root = _uploads(home)
    final = root / data_id
    if (final / "meta.json").is_file():
        return data_id
    root.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{data_id}-{uuid.uuid4().hex}"
    tmp.mkdir()
    try:
        times = prepared.times.astype("int64") if prepared.times is not None else np.zeros(0, dtype="int64")
        np.savez(tmp / "series.npz", values=prepared.values, times=times)
        meta = {"id": data_id, "title": prepared.name or filename, "filename": filename, "owner": owner,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "freq": prepared.freq, "step": prepared.step,
                "season": prepared.season, "points": len(prepared), "unit": prepared.unit,
                "report": prepared.report}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1, default=str), encoding="utf-8")
        try:
            os.rename(tmp, final)
        except OSError:  # someone stored the same data at the same moment
            shutil.rmtree(tmp, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return data_id


def _link_file(data_id: str, key: str, home: Path | None) -> Path:
    # Only the key's hash is kept: a copy of the store (or a look at its folder) opens nothing.
    return _uploads(home) / data_id / "links" / hashlib.sha256(key.encode("ascii")).hexdigest()


def new_link(data_id: str, home: Path | None = None) -> str:
    """A new link key that opens the uploaded series ``data_id`` (for the person who just uploaded it). It is
    random, not derived from the id; each upload of the same data gets its own, and each works until
    :func:`drop_link` (FieldError if this server does not have the series)."""
    if not is_upload(data_id):
        raise FieldError("data", f"{data_id!r} is not an uploaded series: it needs no link key")
    if not (_uploads(home) / data_id / "meta.json").is_file():
        raise FieldError("data", f"the series {data_id!r} is not on this server (an uploaded file stays with the "
                                 "server it was uploaded to): upload the file again")
    key = secrets.token_urlsafe(16)
    path = _link_file(data_id, key, home)
    path.parent.mkdir(exist_ok=True)
    path.write_text(time.strftime("%Y-%m-%dT%H:%M:%S") + "\n", encoding="utf-8")
    return key


def drop_link(data_id: str, key: str, home: Path | None = None) -> None:
    """Make link key ``key`` stop opening ``data_id`` (for everyone who has it). Nothing happens for a key that
    does not open it."""
    if is_upload(data_id) and isinstance(key, str) and LINK_KEY.fullmatch(key):
        _link_file(data_id, key, home).unlink(missing_ok=True)


def check_link(data_id: str, key: Any, home: Path | None = None) -> str:
    """``data_id`` if a link with key ``key`` may open it: the generated and bundled series need no key, an
    upload needs one that :func:`new_link` made for it. Otherwise FieldError (field ``key``) saying why: no key,
    not a key (cut off, mistyped), or a key that does not open this series (wrong, or replaced by a new link)."""
    if not is_upload(data_id):
        return data_id
    if key is None or key == "":
        raise FieldError("key", f"the link's series ({data_id}) {NOT_SHARED}: a link they share carries its "
                                "key (key=…), and this one has none")
    if not isinstance(key, str) or not LINK_KEY.fullmatch(key):
        shown = str(key) if len(str(key)) <= 40 else str(key)[:40] + "…"
        raise FieldError("key", f"the link's key={shown!r} is not a link key (22 letters, digits, - or _): it was "
                                f"cut off or mistyped, so the series {data_id} stays closed; ask for the link again")
    if not _link_file(data_id, key, home).is_file():
        raise FieldError("key", f"the link's key does not open the series {data_id}: it is mistyped, or the person "
                                "who uploaded it made a new link, which stops the old one; ask them for the link again")
    return data_id
