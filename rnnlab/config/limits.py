"""Operator settings: what a shared instance accepts and how it runs trainings, read from ``RNNLAB_*`` variables.

Each setting is declared once, as a dataclass field made by :func:`setting`: its default, its environment
variable, its kind (a whole number, seconds, a flag or a Dask address), its bounds and what it does; one reader,
:meth:`OperatorSettings.from_env`, reads them all the same way. Two classes of settings use it: :class:`Limits`,
the upper bounds on every experiment a person asks for (the field table, :mod:`rnnlab.config.fields`, names the
limit that caps a field), and :class:`JobSettings`, the job system's limits and cluster. The README's
configuration table is checked against the declarations by the tests.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Mapping

from rnnlab.env import env_int
from rnnlab.errors import SettingError


@dataclass(frozen=True)
class Setting:
    """How one operator setting is read from the environment.

    ``kind`` is ``whole`` (a whole number of at least ``minimum``), ``seconds`` (a number between ``minimum``
    and ``maximum``), ``flag`` (1/0, true/false, yes/no) or ``address`` (a Dask scheduler address);
    ``allowed`` says, for a flag or an address, what the value must be in the words of the refusal.
    """

    env: str
    meaning: str
    kind: str = "whole"
    minimum: int = 1
    maximum: int | None = None
    allowed: str = ""


def setting(default: Any, env: str, meaning: str, **how: Any) -> Any:
    """A dataclass field holding an operator setting: its default, its variable ``env``, what it does, and
    :class:`Setting`'s other attributes (``kind``, ``minimum``, ``maximum``, ``allowed``) as keywords."""
    return dataclasses.field(default=default, metadata={"setting": Setting(env, meaning, **how)})


_ADDRESSES = ("tcp://", "tls://", "inproc://", "ws://", "wss://")
_FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def _seconds(raw: str, spec: Setting) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not spec.minimum <= value <= spec.maximum:
        raise SettingError(f"{spec.env}={raw!r} must be a number of seconds between {spec.minimum} and {spec.maximum}")
    return value


def _flag(raw: str, spec: Setting) -> bool:
    raw = raw.lower()
    if raw not in _FLAGS:
        raise SettingError(f"{spec.env}={raw!r} must be {spec.allowed}")
    return _FLAGS[raw]


def _address(raw: str, spec: Setting) -> str:
    if not raw.startswith(_ADDRESSES):
        raise SettingError(f"{spec.env}={raw!r} must be {spec.allowed}")
    return raw


_READERS: dict[str, Callable[[str, Setting], Any]] = {"seconds": _seconds, "flag": _flag, "address": _address}


def read_setting(spec: Setting, environ: Mapping[str, str]) -> Any:
    """The value of ``spec``'s variable in ``environ``, or None when it is unset or blank. A bad value raises
    :class:`~rnnlab.errors.SettingError` naming the variable, the value and what is allowed."""
    if spec.kind == "whole":
        return env_int(environ, spec.env, low=spec.minimum)
    raw = (environ.get(spec.env) or "").strip()
    return _READERS[spec.kind](raw, spec) if raw else None


class OperatorSettings:
    """What every class of operator settings can do; its fields are made by :func:`setting`."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Any:
        """The settings from ``environ`` (default ``os.environ``), defaults for the variables not set; a bad
        value raises :class:`~rnnlab.errors.SettingError` (a ValueError) naming the variable, the value and what
        is allowed."""
        environ = os.environ if environ is None else environ
        values = {}
        for field in dataclasses.fields(cls):
            value = read_setting(field.metadata["setting"], environ)
            if value is not None:
                values[field.name] = value
        return cls(**values)

    @classmethod
    def declarations(cls) -> list[dict[str, Any]]:
        """Every setting: ``name``, ``default``, ``env``, ``meaning``, ``kind``, ``minimum``, ``maximum`` and
        ``allowed`` (documentation, tests)."""
        return [{"name": f.name, "default": f.default, **dataclasses.asdict(f.metadata["setting"])}
                for f in dataclasses.fields(cls)]


@dataclass(frozen=True)
class Limits(OperatorSettings):
    """Upper bounds applied to every experiment a person asks for."""

    max_series: int = setting(20_000, "RNNLAB_MAX_SERIES", "most series an experiment may generate (or windows one "
                              "training takes from a real series)", minimum=100)
    max_steps: int = setting(500, "RNNLAB_MAX_STEPS", "longest input (`n_steps`)", minimum=5)
    max_horizon: int = setting(50, "RNNLAB_MAX_HORIZON", "most steps ahead")
    max_epochs: int = setting(200, "RNNLAB_MAX_EPOCHS", "most epochs")
    max_units: int = setting(256, "RNNLAB_MAX_UNITS", "most units (or filters) per layer")
    max_layers: int = setting(6, "RNNLAB_MAX_LAYERS", "most stacked layers")
    #: At least 10,000, so that every model fits at the book's size (WaveNet has 6,010 parameters).
    max_params: int = setting(2_000_000, "RNNLAB_MAX_PARAMS", "most trainable parameters in one model",
                              minimum=10_000)
    max_upload_mb: int = setting(5, "RNNLAB_MAX_UPLOAD_MB", "largest CSV file accepted, in MB (in the browser and on "
                                 "the command line)")
    max_rows: int = setting(100_000, "RNNLAB_MAX_ROWS", "most rows of a CSV file", minimum=100)
    max_columns: int = setting(50, "RNNLAB_MAX_COLUMNS", "most columns of a CSV file")

    @classmethod
    def unbounded(cls) -> "Limits":
        """No operator limit at all: for reading stored runs and the lessons' pre-trained book runs."""
        return cls(**{f.name: 2**31 - 1 for f in dataclasses.fields(cls)})


@dataclass(frozen=True)
class JobSettings(OperatorSettings):
    """The job system's limits and cluster (:mod:`rnnlab.jobs`)."""

    scheduler: str | None = setting(None, "RNNLAB_SCHEDULER", "a Dask scheduler to train on (default: an embedded "
                                    "cluster)", kind="address", allowed="a Dask address such as tcp://host:8786")
    workers: int = setting(0, "RNNLAB_WORKERS", "worker processes of the embedded cluster (0: one per core)")
    job_timeout: float = setting(900.0, "RNNLAB_JOB_TIMEOUT", "seconds one training may run before it is stopped",
                                 kind="seconds", maximum=7 * 24 * 3600)
    jobs_per_owner: int = setting(2, "RNNLAB_JOBS_PER_OWNER", "requests one person may have queued or running")
    queue_length: int = setting(200, "RNNLAB_QUEUE_LENGTH", "trainings queued or running in all")
    max_job_seconds: int = setting(600, "RNNLAB_MAX_JOB_SECONDS", "the longest training (estimated) one request may "
                                   "be; longer ones are refused before they start")
    sweep_jobs: int = setting(60, "RNNLAB_MAX_SWEEP_JOBS", "most trainings in one sweep (or set of repeats)")
    owner_seconds: int = setting(3600, "RNNLAB_MAX_OWNER_SECONDS", "most estimated seconds of training one person "
                                 "may have queued or running in all")
    calibrate: bool = setting(True, "RNNLAB_CALIBRATE", "measure this instance's workers for the cost estimates "
                              "when the server starts (0: the shipped figures)", kind="flag",
                              allowed="1 (measure the workers at start) or 0 (use the shipped figures)")
    start_cluster: bool = setting(True, "RNNLAB_START_CLUSTER", "start the training cluster when the server starts, "
                                  "so its workers are warm by the first training (0: at the first training, and "
                                  "the workers are not measured at start)", kind="flag",
                                  allowed="1 (start the training cluster with the server) or 0 (at the first training)")

    def worker_count(self) -> int:
        """Worker processes of the embedded cluster: ``workers``, or one per core when it is 0."""
        return self.workers or (os.cpu_count() or 1)


@dataclass(frozen=True)
class StoreSettings(OperatorSettings):
    """How much disk the instance keeps (:mod:`rnnlab.store.quota`): the run store's quota, the JAX compilation
    cache's, and how long an uploaded series no run uses is kept."""

    store_mb: int = setting(2048, "RNNLAB_STORE_MB", "most megabytes the stored runs may take; beyond it the least "
                            "recently used runs that are not pinned are removed (and trained again when asked for)",
                            minimum=10)
    compile_cache_mb: int = setting(512, "RNNLAB_COMPILE_CACHE_MB", "most megabytes of JAX's compilation cache (the "
                                    "least recently used compiled models go first)", minimum=16)
    upload_days: int = setting(30, "RNNLAB_UPLOAD_DAYS", "days an uploaded series is kept when no stored run uses it")


_OVERRIDE: contextvars.ContextVar[Limits | None] = contextvars.ContextVar("rnnlab_limits", default=None)


def limits() -> Limits:
    """The limits in force: those of :func:`using_limits` if active, else the environment's (re-read on every
    call; it is cheap)."""
    return _OVERRIDE.get() or Limits.from_env()


@contextlib.contextmanager
def using_limits(value: Limits) -> Iterator[Limits]:
    """Check every experiment built inside the block against ``value`` instead of the environment's limits."""
    token = _OVERRIDE.set(value)
    try:
        yield value
    finally:
        _OVERRIDE.reset(token)
