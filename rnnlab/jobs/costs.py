"""What a training will cost, before it starts: seconds per epoch and in all, on this instance.

The work of an epoch comes from the model's description (:meth:`rnnlab.models.registry.ModelEntry.layers`): each layer's
parameters (to the power 0.6: wide layers use the CPU better) times the time steps it is applied to, times the windows of an epoch (a backward pass costs about
twice a forward one), and the sequential steps of its batches (a recurrent layer walks its time steps one by
one, and at 20 units that walk, not the arithmetic, is most of the time). Time is
``a x floating-point operations + b x sequential steps`` per epoch, plus the compilation of the first epoch and
the forecasts and saving after the last. The four numbers are measured per model family by a short
calibration on the workers (:func:`calibration_experiments`, two small trainings each: one with batches of
32 and one of 128, so operations and steps can be told apart), kept beside the run store, in
``<home>/costs-<backend>.json`` (``$RNNLAB_HOME`` unless a caller names its store's home). Until an instance has
calibrated, the numbers measured on a two-core machine (``rnnlab/jobs/cost_defaults.json``, made by
``python -m rnnlab calibrate --shipped``) stand in. ``python -m rnnlab bench --estimates`` checks estimates
against measured times.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Mapping

from rnnlab.training.backend import backend_name
from rnnlab.config import Experiment
from rnnlab.models.registry import REGISTRY
from rnnlab.paths import default_home
from rnnlab.series import catalog, windows

DEFAULTS_FILE = Path(__file__).with_name("cost_defaults.json")
#: The calibration's two trainings per family: small, three epochs, batches of 32 and of 128.
CALIBRATION = {"n_series": 2000, "epochs": 3, "train_seed": 7}
CALIBRATION_BATCHES = (32, 128)
#: Wider layers use the CPU better: on two cores a layer's time per application grows as its parameters to this
#: power, not in proportion (``bench --estimates``: with 1.0, WaveNet with 64 filters was overestimated 4x).
WIDTH_EXPONENT = 0.6
#: Order-of-magnitude figures for when no calibration exists at all (seconds per operation, per sequential
#: step, to compile, around training).
ROUGH = {"a": 1e-10, "b": 2e-5, "compile": 3.0, "post": 1.0}


@dataclass(frozen=True)
class Work:
    """What one epoch of an experiment does, counted from its description.

    ``flops``: floating-point operations, each layer's counted as its parameters to the power
    :data:`WIDTH_EXPONENT` (a training window costs three forward passes: forward, and a backward pass about
    twice as dear; a validation window one). ``loops``: sequential steps, batch by batch (a recurrent
    layer steps through its time steps one after the other whatever its size; every batch also costs one step
    for the rest of the model), weighted like the flops. ``forward_*``: the same for one pass over the
    validation set, which the forecasts after training repeat for the validation and test sets.
    """

    flops: float
    loops: float
    forward_flops: float
    forward_loops: float
    train_windows: int
    valid_windows: int


def _applications(experiment: Experiment) -> list[tuple[Any, int]]:
    """Each layer with the number of times one window applies it (its output time steps, for a sequence)."""
    steps = experiment.series.n_steps
    out = []
    for layer in experiment.model.entry.layers(experiment):
        if layer.kind == "Flatten":
            steps = 1
            out.append((layer, 0))
            continue
        if layer.kind == "Conv1D":
            if layer.padding == "valid":
                steps = max(1, (steps - (layer.kernel_size - 1) * layer.dilation_rate - 1) // layer.strides + 1)
            out.append((layer, steps))
            continue
        out.append((layer, steps))
        if layer.recurrent and not layer.return_sequences:
            steps = 1
    return out


def window_counts(experiment: Experiment) -> tuple[int, int]:
    """Training and validation windows (series, for the generated data) of one epoch."""
    s = experiment.series
    if not s.real:
        n_train, n_valid, _ = s.split_sizes()
        return n_train, n_valid
    points = catalog.info(s.data).points
    where = windows.periods(points, s.train_fraction, s.valid_fraction, s.folds, s.fold, final=bool(s.final))
    train = windows.window_count(0, where.train_end, s.n_steps, s.horizon)
    valid = windows.window_count(where.train_end, where.valid_end, s.n_steps, s.horizon)
    return math.ceil(train / (s.stride or 1)), valid


def work(experiment: Experiment) -> Work:
    """The operations and sequential steps of one epoch of ``experiment``."""
    applications = _applications(experiment)
    forward = 2.0 * sum(layer.params() ** WIDTH_EXPONENT * times for layer, times in applications)
    loop = 1 + sum(times for layer, times in applications if layer.recurrent)
    train, valid = window_counts(experiment)
    batch = experiment.train.batch_size
    train_batches, valid_batches = math.ceil(train / batch), math.ceil(valid / batch)
    return Work(flops=3.0 * forward * train + forward * valid,
                loops=float(loop * (3 * train_batches + valid_batches)),
                forward_flops=forward * valid, forward_loops=float(loop * valid_batches),
                train_windows=train, valid_windows=valid)


#: A classical forecaster's seconds (statsmodels, on one core of a busy 2-core machine): selecting and fitting the
#: model once, and each window's update and forecast (``a + b x the series' points``: Theta refits on every window's
#: whole history). Measured with ``classical.backtest`` at h = 12 on us_unemployment (828 points, 226 windows):
#: fits 0.03 / 3.1 / 10.2 / 0.03 s and windows 0.5 / 9 / 16 / 142 ms for seasonal naive / ETS / ARIMA / Theta, and
#: on elnino_sst (732 points, 198 windows) 9 / 29 / 80 / 96 ms a window all told; Theta 200-300 ms a window on the
#: 2,000-3,400-point series (rnnlab/forecasting/classical.py).
#: ``refit``: the chosen form refit on all the data for the future, 0.2-0.3 s for ETS and 0.5-1.1 s for ARIMA on
#: both series.
CLASSICAL_SECONDS = {"seasonal_naive": {"fit": 0.05, "refit": 0.05, "a": 0.001, "b": 0.0},
                     "ets": {"fit": 3.5, "refit": 0.3, "a": 0.012, "b": 0.0},
                     "arima": {"fit": 11.0, "refit": 1.0, "a": 0.02, "b": 0.0},
                     "theta": {"fit": 0.05, "refit": 0.1, "a": 0.1, "b": 5e-5}}


def classical_seconds(experiment: Experiment) -> float:
    """Seconds a classical forecaster's run takes: its model selected and fitted on the training period, refit on
    all the data for the future (not for a backtest fold) and one update per window."""
    s = experiment.series
    c = CLASSICAL_SECONDS[experiment.model.entry.method]
    points = catalog.info(s.data).points
    where = windows.periods(points, s.train_fraction, s.valid_fraction, s.folds, s.fold)
    scored = (windows.window_count(where.train_end, where.valid_end, s.n_steps, s.horizon)
              + windows.window_count(where.valid_end, where.test_end, s.n_steps, s.horizon))
    refit = 0.0 if s.fold is not None else c["refit"]
    return 0.5 + c["fit"] + refit + (scored + 1) * (c["a"] + c["b"] * points)


@dataclass(frozen=True)
class Estimate:
    """Seconds a training is expected to take on this instance."""

    per_epoch: float
    first_epoch: float
    total: float
    calibrated: bool  #: measured on this instance (False: the shipped two-core figures)
    compile: float = 0.0  #: the compilation charged to the first epoch (0 when its shape is compiled already)

    @property
    def work(self) -> float:
        """The seconds of the training itself, without its compilation: how one person's jobs are ordered (the
        one of a shape that happens to carry the compilation is not the dearer for it)."""
        return self.total - self.compile

    def text(self) -> str:
        """``about 40 s``, ``about 3 min``, ``about 2.5 h``."""
        return f"about {seconds_text(self.total)}"


def seconds_text(seconds: float) -> str:
    """A duration for people: ``8 s``, ``40 s``, ``3 min``, ``2.5 h``."""
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min" if seconds >= 600 else f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


#: Where a training runs, for its calibration: on a worker of the cluster (one thread), or in the command line's
#: own process (every core: ``python -m rnnlab train`` without ``--scheduler``), which trains faster.
WHERE = ("workers", "here")


def calibration_path(engine: str | None = None, home: Path | None = None, where: str = "workers") -> Path:
    """Where the instance whose run store is at ``home`` (default: ``RNNLAB_HOME``) keeps its calibration for
    backend ``engine`` (default: the configured one), for trainings on its workers or ``here`` (the command
    line's own process)."""
    if where not in WHERE:
        raise ValueError(f"where={where!r}: allowed {', '.join(WHERE)}")
    return (home or default_home()) / f"costs-{engine or backend_name()}{'' if where == 'workers' else '-here'}.json"


def shipped_key(engine: str, where: str = "workers") -> str:
    """The entry of :data:`DEFAULTS_FILE` that holds the shipped figures of ``engine`` for ``where``."""
    return engine if where == "workers" else f"{engine}-{where}"


def load_coefficients(engine: str | None = None, home: Path | None = None,
                      where: str = "workers") -> tuple[dict[str, Any], bool]:
    """The per-family numbers, and whether they were measured on the instance whose run store is at ``home``
    (default: ``RNNLAB_HOME``; else they are the shipped ones). ``where="here"``: the command line's own
    process's: measured here (``calibrate --here``), else the shipped figures of a process on two cores
    (``calibrate --here --shipped``), else this instance's workers'. (A worker trains on one thread and the
    process on every core: the workers' figures overestimated the process's trainings by 2.2-2.8x.)"""
    engine = engine or backend_name()
    shipped = _shipped()
    found = [calibration_path(engine, home, where)]
    if where == "here":
        found += [shipped_key(engine, where), calibration_path(engine, home)]
    found += [engine, *shipped]  # another backend's shipped figures are better than nothing
    for source in found:
        try:
            if isinstance(source, Path):
                return json.loads(source.read_text(encoding="utf-8"))["families"], True
            return shipped[source]["families"], False
        except (OSError, ValueError, KeyError, TypeError):
            pass
    return {}, False  # no figures at all (a checkout being calibrated)


def _shipped() -> dict[str, Any]:
    """The figures rnnlab ships (:data:`DEFAULTS_FILE`), by :func:`shipped_key`; empty when there are none."""
    try:
        return json.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def has_shipped(engine: str | None = None, where: str = "workers") -> bool:
    """Whether rnnlab ships figures of ``engine`` (default: the configured one) measured ``where``."""
    return shipped_key(engine or backend_name(), where) in _shipped()


#: Beside a run store, the compiled shapes (:func:`compiled_shape`, hashed) of the trainings the command line
#: made in its own process: their programs are in the store's compilation cache (on JAX, which keeps one).
HERE_SHAPES = "compiled-here-{engine}.txt"
#: The most shapes remembered (the oldest are dropped): a few hundred kB at most.
HERE_SHAPES_KEPT = 5000


def _shape_hash(experiment: Experiment) -> str:
    return hashlib.sha1(compiled_shape(experiment).encode()).hexdigest()[:20]


def _compiled_here(home: Path | None, engine: str) -> set[str]:
    """The hashed shapes the command line has trained in its own process with the store at ``home``, whose
    programs are in that store's compilation cache (JAX keeps one; TensorFlow compiles again in every process)."""
    if engine != "jax":
        return set()
    try:
        return set(((home or default_home()) / HERE_SHAPES.format(engine=engine)).read_text(encoding="utf-8").split())
    except OSError:
        return set()


def estimates_here(experiments: list[Experiment], home: Path | None = None,
                   engine: str | None = None) -> list[Estimate]:
    """What each of ``experiments`` should cost in the command line's own process, as one request: from its
    figures (:func:`load_coefficients` ``where="here"``), a shape charged its compilation once, and not at all
    when a training in this process with the store at ``home`` has compiled it (as :class:`Pricing` does for the
    workers)."""
    engine = engine or backend_name()
    coefficients, calibrated = load_coefficients(engine, home, where="here")
    seen = _compiled_here(home, engine)
    out = []
    for experiment in experiments:
        shape = _shape_hash(experiment)
        out.append(estimate(experiment, coefficients, calibrated, compiled=shape in seen))
        seen.add(shape)
    return out


def note_compiled_here(experiment: Experiment, home: Path | None = None, engine: str | None = None) -> None:
    """Remember that ``experiment``'s shape was trained in the command line's own process (best effort: a
    store that cannot be written only costs a later estimate its accuracy)."""
    engine = engine or backend_name()
    path = (home or default_home()) / HERE_SHAPES.format(engine=engine)
    try:
        lines = path.read_text(encoding="utf-8").split() if path.exists() else []
        shape = _shape_hash(experiment)
        if shape in lines:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text("\n".join([*lines, shape][-HERE_SHAPES_KEPT:]) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


@functools.lru_cache(maxsize=4096)  # priced on every page rerun for every job queued or running
def compiled_shape(experiment: Experiment) -> str:
    """What the compiled programs of ``experiment``'s training depend on: everything but its seeds, its number of
    epochs and its learning rate (a variable of the compiled step, not a constant). Two experiments with the same
    shape (a class's repeats of one model, or the same settings trained again for more epochs) compile once on a
    worker: the second finds the programs in the compilation cache."""
    flat = experiment.to_dict()
    train = {k: v for k, v in flat["train"].items() if k not in ("seed", "epochs", "learning_rate")}
    series = {k: v for k, v in flat["series"].items() if k not in ("seed",)}
    return json.dumps({**flat, "train": train, "series": series}, sort_keys=True, default=str)


def estimate(experiment: Experiment, coefficients: Mapping[str, Any] | None = None, calibrated: bool = True,
             engine: str | None = None, home: Path | None = None, compiled: bool = False) -> Estimate:
    """Seconds per epoch, for the first epoch, and in all, for ``experiment`` on one worker of this instance:
    with ``coefficients`` (measured here if ``calibrated``), else those :func:`load_coefficients` finds for
    ``engine`` at ``home``. ``compiled``: its shape (:func:`compiled_shape`) is in the compilation cache
    already, so its first epoch is not charged the compilation."""
    if coefficients is None:
        coefficients, calibrated = load_coefficients(engine, home)
    entry = experiment.model.entry
    if entry.method is not None:
        return Estimate(0.0, 0.0, classical_seconds(experiment), False)
    if not entry.trainable:
        return Estimate(0.0, 0.0, 0.5, calibrated)
    c = coefficients.get(experiment.model.name)
    if c is None:  # a family the calibration did not measure: assume the dearest one's figures
        c = {k: max(f[k] for f in coefficients.values()) for k in ROUGH} if coefficients else ROUGH
        calibrated = False
    w = work(experiment)
    per_epoch = c["a"] * w.flops + c["b"] * w.loops
    compile_s = 0.0 if compiled else c["compile"]
    first = per_epoch + compile_s
    after = c["post"] + 2 * (c["a"] * w.forward_flops + c["b"] * w.forward_loops)  # forecasts: valid and test
    return Estimate(per_epoch, first, first + (experiment.train.epochs - 1) * per_epoch + after, calibrated,
                    compile_s)


def calibration_experiments() -> list[Experiment]:
    """The short trainings that calibrate every model family (two each, see the module docstring)."""
    out = []
    for name, entry in REGISTRY.items():
        if entry.trainable:
            book = Experiment.book(name)
            out += [book.replace(**CALIBRATION, batch_size=batch) for batch in CALIBRATION_BATCHES]
    return out


def fit(results: Iterable[Any]) -> dict[str, dict[str, float]]:
    """Per-family numbers from the calibration trainings' results (``RunResult``): seconds per operation ``a``
    and per sequential step ``b`` from the two batch sizes' epochs, the compilation of the first epoch, and
    the fixed cost around training (data, model, saving) ``post``."""
    by_name: dict[str, dict[int, Any]] = {}
    for result in results:
        exp = result.spec
        by_name.setdefault(exp.model.name, {})[exp.train.batch_size] = (exp, result)
    families = {}
    for name, runs in by_name.items():
        (exp_s, small), (exp_l, large) = runs[CALIBRATION_BATCHES[0]], runs[CALIBRATION_BATCHES[1]]
        w_s, w_l = work(exp_s), work(exp_l)
        t_s, t_l = small.seconds_per_epoch, large.seconds_per_epoch
        # t = a*flops + b*loops for both; the flops are equal, the loops differ with the batch size.
        per_loop = max(0.0, (t_s - t_l) / (w_s.loops - w_l.loops))
        per_flop = (t_s - per_loop * w_s.loops) / w_s.flops
        if per_flop <= 0:  # all the time is in the steps: let them explain it
            per_flop, per_loop = 1e-15, t_s / w_s.loops
        # The least of the two: a worker's first job also pays for one-off set-up the others do not.
        compile_s = min(r.history[0]["seconds"] - t for r, t in ((small, t_s), (large, t_l)))
        post = min(r.wall_seconds - r.train_seconds - 2 * (per_flop * w.forward_flops + per_loop * w.forward_loops)
                   for r, w in ((small, w_s), (large, w_l)))
        families[name] = {"a": per_flop, "b": per_loop, "compile": max(0.0, compile_s), "post": max(0.05, post)}
    return families


def save(families: Mapping[str, Any], engine: str | None = None, path: Path | None = None,
         where: str = "workers") -> Path:
    """Keep a calibration (this instance's, or the shipped defaults when ``path`` is the defaults file, under
    :func:`shipped_key` for ``where`` the trainings ran)."""
    engine = engine or backend_name()
    record = {"backend": engine, "cores": os.cpu_count(), "measured": f"{datetime.now(timezone.utc):%Y-%m-%d}",
              "families": dict(families)}
    if path is not None and path == DEFAULTS_FILE:
        shipped = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        shipped[shipped_key(engine, where)] = {**record, "where": where}
        path.write_text(json.dumps(shipped, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return path
    path = path or calibration_path(engine)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return path
