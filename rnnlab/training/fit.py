"""Training, evaluation and inspection of one experiment. Runs in a worker process: imports Keras/TensorFlow.

:func:`run` returns a :class:`RunResult` made of plain data only (numbers, lists, NumPy arrays, bytes), so it
pickles across processes and the web process can show everything without importing TensorFlow.
"""

from __future__ import annotations

import logging
import math
import os
import platform
import tempfile
import time
from importlib import metadata
from datetime import datetime, timezone
from typing import Any, Callable

import numpy as np
from scipy.special import stdtrit

from rnnlab.training import backend, keras_private
from rnnlab.series import dataset as data_mod, windows
from rnnlab.forecasting import intervals, metrics, yardsticks
from rnnlab.training.backend import STEPS_PER_EXECUTION
from rnnlab.config import Experiment
from rnnlab.models.registry import build_model
from rnnlab.store.runs import RunResult

log = logging.getLogger(__name__)

EpochCallback = Callable[[dict[str, Any]], None]
StopCheck = Callable[[], bool]


class TrainingCancelled(Exception):
    """Raised by :func:`run` when ``should_stop`` asked it to stop."""


class TrainingFailed(Exception):
    """Raised by :func:`run` when training cannot produce a usable model (for example the loss diverged)."""


def versions(*, network: bool = True) -> dict[str, str]:
    """Versions of Python and the libraries a result depends on, and (for a network) the Keras backend it was
    trained on."""
    out = {"python": platform.python_version(), "numpy": np.__version__}
    if network:
        backend.configure()
        out.update(backend.versions())
    return out


# --------------------------------------------------------------------------------------------------
# Feeding arrays to Keras
# --------------------------------------------------------------------------------------------------
def _untuned(autotune: bool) -> bool:
    """True when Keras is fed through :func:`keras_private.untuned_batches`: on TensorFlow, unless ``autotune``
    asks for Keras' default pipeline. On JAX, Keras batches arrays without tf.data: they are passed as they are."""
    return not autotune and backend.backend_name() == "tensorflow"


def _fit_data(dataset: data_mod.Dataset, batch_size: int, autotune: bool) -> dict[str, Any]:
    """The training and validation arguments of ``model.fit``: the arrays themselves, shuffled every epoch
    by Keras, or on TensorFlow the same batches with autotuning off (see :mod:`rnnlab.training.keras_private`).
    A final model has no validation windows, so no validation curve: every window it could be checked on is one
    it trains on."""
    train, valid = dataset.train, dataset.valid
    if _untuned(autotune):
        out = {"x": keras_private.untuned_batches(train.X, train.y, batch_size=batch_size, shuffle=True)}
        if len(valid.X):
            out["validation_data"] = keras_private.untuned_batches(valid.X, valid.y, batch_size=batch_size,
                                                                   shuffle=False)
        return out
    out = {"x": train.X, "y": train.y, "batch_size": batch_size, "shuffle": True}
    if len(valid.X):
        out["validation_data"] = (valid.X, valid.y)
    return out


def _predict(model, x: np.ndarray, batch_size: int, autotune: bool) -> np.ndarray:
    """``model.predict`` on ``x`` in batches of ``batch_size`` (see :func:`_fit_data`)."""
    if _untuned(autotune):
        return model.predict(keras_private.untuned_batches(x, batch_size=batch_size, shuffle=False), verbose=0)
    return model.predict(x, batch_size=batch_size, verbose=0)


# --------------------------------------------------------------------------------------------------
# Forecasting
# --------------------------------------------------------------------------------------------------
def forecast(model, X: np.ndarray, experiment: Experiment, *, batch_size: int = 1024,
             autotune: bool = False) -> np.ndarray:
    """The model's forecast of the next ``horizon`` values for inputs ``X``: ``[n, horizon]`` float32.

    ``iterative`` feeds each one-step prediction back as the next input (growing the sequence for
    recurrent models, sliding a fixed window for fixed-length ones); ``seq2seq`` keeps the forecast made at
    the last time step.
    """
    mode, horizon = experiment.model.mode, experiment.series.horizon
    if mode == "iterative":
        fixed = experiment.model.entry.fixed_length
        n_steps = X.shape[1]
        window = X
        for _ in range(horizon):
            inputs = window[:, -n_steps:] if fixed else window
            step = _predict(model, inputs, batch_size, autotune)
            window = np.concatenate([window, step[:, np.newaxis, :1]], axis=1)
        return window[:, n_steps:, 0].astype(np.float32)
    out = _predict(model, X, batch_size, autotune)
    if mode == "seq2seq":
        out = out[:, -1, :]
    return np.asarray(out, dtype=np.float32).reshape(len(X), horizon)


def _score(dataset: data_mod.Dataset, predictions: dict[str, np.ndarray], horizon: int):
    """Scores of the forecasts (given in the series' own units) and of the baselines on the same windows.

    ``rel_mae`` is the forecast's MAE over the naive forecast's on the same windows; a real series also has
    ``mase``, the MAE over the in-sample seasonal-naive error of the training period (M4's definition)."""
    results, naive_results, per_step, baselines = {}, {}, {}, {}
    for split in ("valid", "test"):
        actual = dataset.actual(split)
        naive = dataset.naive(split, horizon)
        results[split] = metrics.scores(actual, predictions[split], naive, scale=dataset.mase_scale)
        naive_results[split] = metrics.scores(actual, naive, naive, scale=dataset.mase_scale)
        if horizon > 1:
            per_step[split] = metrics.mse_per_step(actual, predictions[split])
        if dataset.seasonal is not None:
            seasonal = dataset.seasonal[split]
            rows = np.isfinite(seasonal).all(axis=1)
            baselines[split] = {"seasonal_naive": {
                **metrics.scores(actual[rows], seasonal[rows], naive[rows], scale=dataset.mase_scale),
                "windows": int(rows.sum()), "of": int(len(rows))}} if rows.any() else {}
    return results, naive_results, per_step, baselines


def future_forecast(model, dataset: data_mod.Dataset, experiment: Experiment) -> dict[str, Any] | None:
    """The next ``horizon`` values after the last observation of a real series, with their timestamps (None on
    the generated series). ``model`` None gives the naive forecast."""
    if dataset.series is None:
        return None
    horizon = experiment.series.horizon
    if model is None:  # the naive forecast: a baseline's windows are always scaled globally (Experiment)
        scaled = data_mod.naive_forecast(dataset.last_window, horizon)
    else:
        scaled = forecast(model, dataset.last_window, experiment)
    values = dataset.unscale(scaled, "last")[0]
    last_time = dataset.series.time_labels(np.array([len(dataset.series) - 1]))[0]
    out = {"time": dataset.series.future_times(horizon), "value": [float(v) for v in values],
           "last_time": last_time, "rolled_forward": experiment.model.mode == "iterative"}
    if experiment.series.final and model is not None:  # what pages and the CLI name as the forecast's maker
        seen = int(np.count_nonzero(dataset.series.observed))
        out["made_by"] = yardsticks.final_label(experiment.model.entry.display_name, seen, last_time)
    return out


# --------------------------------------------------------------------------------------------------
# Inspection (what the Inspect page shows, computed here so the web process needs no TensorFlow)
# --------------------------------------------------------------------------------------------------
def _layer_rows(model) -> list[dict[str, Any]]:
    rows = []
    for layer in model.layers:
        kind = type(layer).__name__
        if kind == "InputLayer":
            continue
        cell = getattr(layer, "cell", None)
        if kind == "RNN" and cell is not None:
            kind = f"RNN({type(cell).__name__})"
        shape = getattr(layer, "output", None)
        shape = tuple(shape.shape) if shape is not None else None
        rows.append({"name": layer.name, "type": kind, "output_shape": str(shape).replace("None", "batch", 1),
                     "params": int(layer.count_params())})
    return rows


RECURRENT_TYPES = ("SimpleRNN", "LSTM", "GRU", "RNN")


#: How many windows the saliency averages over.
SALIENCY_WINDOWS = 16


def saliency(model, X: np.ndarray, experiment: Experiment) -> list[float]:
    """Which past steps drive the forecast: the mean over the windows ``X`` of the absolute gradient of the
    model's first forecast step (its output at the last time step, for seq2seq) with respect to each input step,
    on the network's scale. One value per input step, oldest first; a linear model's are its weights' sizes."""
    import keras  # workers only: the web process never imports TensorFlow

    x = np.asarray(X[:SALIENCY_WINDOWS], dtype=np.float32)
    seq2seq = experiment.model.mode == "seq2seq"

    def first_step(out):
        return out[:, -1, 0] if seq2seq else keras.ops.reshape(out, (out.shape[0], -1))[:, 0]

    if keras.backend.backend() == "jax":
        import jax  # the JAX backend's own autodiff: Keras 3 has no backend-neutral gradient

        def total(trainable, non_trainable, inputs):
            out, _ = model.stateless_call(trainable, non_trainable, inputs, training=False)
            return first_step(out).sum()

        # Compiled as one program, with the weights as arguments (not constants): the compilation cache then
        # serves every training of the same shape, and the gradient took a third of the time it took op by op.
        grads = jax.jit(jax.grad(total, argnums=2))([v.value for v in model.trainable_variables],
                                                    [v.value for v in model.non_trainable_variables], x)
    else:
        import tensorflow as tf  # the TensorFlow backend's

        inputs = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(inputs)
            total = tf.reduce_sum(first_step(model(inputs, training=False)))
        grads = tape.gradient(total, inputs)
    return np.abs(np.asarray(grads))[..., 0].mean(axis=0).astype(float).round(8).tolist()


def hidden_states(model, sample: np.ndarray) -> dict[str, list]:
    """Every recurrent layer's hidden state at each time step of one input window ``sample`` (``[time, 1]``):
    ``{layer name: [time][units]}``. Each layer is cloned with ``return_sequences`` and its trained weights and
    fed what the layer itself is fed, all in one model run once (one compilation, weights as arguments; it had
    been a model and a predict per layer, then the clone run op by op, each op compiled on its own)."""
    import keras  # workers only: the web process never imports TensorFlow

    layers = [layer for layer in model.layers if type(layer).__name__ in RECURRENT_TYPES]
    if not layers:
        return {}
    outputs = []
    for layer in layers:
        config = layer.get_config()
        config["return_sequences"] = True
        config["name"] = f"{layer.name}_unrolled"
        clone = type(layer).from_config(config)
        outputs.append(clone(layer.input))  # on the trained model's own graph: fed what the layer is fed
        clone.set_weights(layer.get_weights())
    states = keras.Model(model.inputs, outputs).predict(sample[np.newaxis], verbose=0)
    states = states if isinstance(states, (list, tuple)) else [states]
    return {layer.name: np.asarray(values)[0].astype(float).round(6).tolist() for layer, values in zip(layers, states)}


def _inspect(model, experiment: Experiment, sample: np.ndarray, windows: np.ndarray) -> dict[str, Any]:
    """Hidden states of every recurrent layer over one sample series, a single neuron's three weights, and the
    saliency of the input steps over a few ``windows``."""
    out: dict[str, Any] = {"sample_input": sample[:, 0].astype(float).tolist(),
                           "hidden_states": hidden_states(model, sample)}
    if len(windows):
        out["saliency"] = saliency(model, windows, experiment)
        out["saliency_windows"] = min(len(windows), SALIENCY_WINDOWS)
    neuron = experiment.model.entry.single_neuron(experiment)
    if neuron is not None:
        kernel, recurrent_kernel, bias = model.get_layer(neuron).get_weights()
        out["weights"] = {"w_x": float(kernel[0, 0]), "w_y": float(recurrent_kernel[0, 0]), "b": float(bias[0])}
    return out


# --------------------------------------------------------------------------------------------------
# The entry point
# --------------------------------------------------------------------------------------------------
def run(
    experiment: Experiment,
    on_epoch: EpochCallback | None = None,
    should_stop: StopCheck | None = None,
    *,
    save_model: bool = True,
    jit_compile: bool | None = None,
    data_autotune: bool = False,
    steps_per_execution: int | None = None,
) -> RunResult:
    """Train and evaluate ``experiment``.

    Args:
        experiment: what to train.
        on_epoch: called after every epoch with ``{"epoch", "epochs", "loss", "val_loss", "seconds"}``.
        should_stop: checked at each epoch's start and end and after every training and validation
            batch; when it returns True the training stops and :class:`TrainingCancelled` is raised.
        save_model: include the trained model as ``.keras`` bytes.
        jit_compile: on TensorFlow, override the registry's XLA setting (``python -m rnnlab bench`` measures
            both); ``RNNLAB_XLA=0`` turns XLA off for every run of the process. JAX always compiles.
        data_autotune: feed Keras its default, autotuned tf.data pipeline instead of the same pipeline with
            autotuning off (see :mod:`rnnlab.training.keras_private`); for ``bench --compare autotune``.
        steps_per_execution: batches per compiled call; by default the backend's
            (:data:`rnnlab.training.backend.STEPS_PER_EXECUTION`). Progress and cancellation are checked once per call.

    Returns:
        The :class:`RunResult`. Raises :class:`TrainingFailed` if the loss diverges.
    """
    started = time.perf_counter()
    entry = experiment.model.entry
    dataset = data_mod.make_dataset(experiment)
    if entry.method is not None:
        return _classical_result(experiment, dataset, started)
    if not entry.trainable:
        return _naive_result(experiment, dataset, started)

    engine = backend.configure()
    import keras  # workers only: the web process never imports TensorFlow

    keras.backend.clear_session()
    backend.seed(experiment.train.seed)
    model = build_model(experiment)
    start = start_at_zero(model) if experiment.series.start == "zero" else None
    optimizer = keras.optimizers.get({"class_name": experiment.train.optimizer,
                                      "config": {"learning_rate": experiment.train.learning_rate}})
    if engine == "jax":
        jit_compile = True  # JAX always compiles with XLA (without it, it runs op by op)
    elif jit_compile is None:
        jit_compile = entry.jit_compile and os.environ.get("RNNLAB_XLA", "1").strip() != "0"
    model.compile(loss="mse", optimizer=optimizer, jit_compile=jit_compile,
                  steps_per_execution=STEPS_PER_EXECUTION[engine] if steps_per_execution is None else steps_per_execution)

    history: list[dict[str, float]] = []
    callback = _ProgressCallback(keras, experiment.train.epochs, history, on_epoch, should_stop)
    batch_size = experiment.train.batch_size
    train_started = time.perf_counter()
    model.fit(**_fit_data(dataset, batch_size, data_autotune), epochs=experiment.train.epochs,
              callbacks=[callback], verbose=0)
    train_seconds = time.perf_counter() - train_started

    # a final model (trained on all the data) has nothing left to score: no predictions, empty metrics
    splits = () if experiment.series.final else ("valid", "test")
    predictions = _split_forecasts(model, dataset, experiment, splits, data_autotune)
    start_kept = _start_beaten(dataset, predictions["valid"]) if start is not None and splits else None
    if start_kept is not None and start_kept["kept"]:
        model.set_weights(start)  # back to the start, and its forecasts
        predictions = _split_forecasts(model, dataset, experiment, splits, data_autotune)
    for split, values in predictions.items():
        if not np.isfinite(values).all():
            raise TrainingFailed(f"the model's {split} forecasts are not finite: try a smaller learning rate")
    scored, naive_scored, per_step, baselines = (_score(dataset, predictions, experiment.series.horizon) if splits
                                                 else ({}, {}, {}, {}))
    future = future_forecast(model, dataset, experiment)
    if future is not None and not np.isfinite(future["value"]).all():  # a final model's only output
        raise TrainingFailed("the model's forecast past the end is not finite: try a smaller learning rate")
    return RunResult(
        key=experiment.key(), experiment=experiment.to_dict(), history=history, metrics=scored,
        naive_metrics=naive_scored, mse_per_step=per_step, params_total=int(model.count_params()),
        layers=_layer_rows(model), predictions=predictions, wall_seconds=time.perf_counter() - started,
        train_seconds=train_seconds, versions=versions(), jit_compile=bool(jit_compile),
        inspect=_inspect(model, experiment, dataset.valid.X[0] if len(dataset.valid) else dataset.train.X[-1],
                         dataset.valid.X if len(dataset.valid) else dataset.train.X[-SALIENCY_WINDOWS:]),
        model_bytes=model_to_bytes(model) if save_model else None, created=_now(), baselines=baselines, future=future,
        start=start_kept)


def start_at_zero(model) -> list:
    """Set the last layer that has weights to zero, so that the network's output is zero whatever its input (no
    output activation follows it in any model of the registry: tests/test_start.py checks every family), and
    return the weights it now has, to go back to (:func:`_start_beaten` decides). On a real series scaled by first
    differences or relative to the last input, the zero output is the naive forecast: the network starts from it."""
    last = [layer for layer in model.layers if layer.weights][-1]
    last.set_weights([np.zeros_like(w) for w in last.get_weights()])
    return model.get_weights()


#: Blocks of consecutive validation windows whose mean paired errors estimate the noise of a training's gain over
#: its start (batch means: neighbouring windows overlap and their errors are correlated).
START_BLOCKS = 10
#: The one-sided 95% quantile of Student's t with one degree of freedom fewer than the blocks (1.833).
START_T = float(stdtrit(START_BLOCKS - 1, 0.95))


def _split_forecasts(model, dataset: data_mod.Dataset, experiment: Experiment, splits: tuple[str, ...],
                     autotune: bool) -> dict[str, np.ndarray]:
    """The model's forecasts of each split's windows, in the series' own units."""
    return {s: dataset.unscale(forecast(model, getattr(dataset, s).X, experiment, autotune=autotune), s)
            for s in splits}


def _start_beaten(dataset: data_mod.Dataset, learned: np.ndarray) -> dict[str, Any] | None:
    """Whether a training that started at zero (:func:`start_at_zero`) beat its start on the validation windows by
    more than chance, from its validation forecasts ``learned`` (series units): ``kept`` True when it did not,
    and the start's weights are to be put back.

    Each validation window's squared error is paired with the start's (its zero output's), and what was learned
    stays when the mean difference is below zero by more than :data:`START_T` standard errors, estimated from
    :data:`START_BLOCKS` blocks of consecutive windows: a one-sided test at 5%, as a forecaster compares two
    forecasts on the same windows. On a random walk a training that fits the noise moves the validation loss by a
    hair either way; the test keeps the start then. None with too few validation windows to decide on (it keeps
    what it learned).
    """
    if len(learned) < 2 * START_BLOCKS:
        return None
    actual = dataset.actual("valid").astype(np.float64)
    at_start = dataset.unscale(np.zeros(learned.shape, dtype=np.float32), "valid").astype(np.float64)
    mine = np.mean(np.square(learned.astype(np.float64) - actual), axis=1)
    theirs = np.mean(np.square(at_start - actual), axis=1)
    gain = mine - theirs
    blocks = np.array([block.mean() for block in np.array_split(gain, START_BLOCKS)])
    error = float(blocks.std(ddof=1) / np.sqrt(START_BLOCKS))
    return {"kept": not float(gain.mean()) + START_T * error < 0, "start_valid_mse": round(float(theirs.mean()), 8),
            "end_valid_mse": round(float(mine.mean()), 8), "gain": round(float(gain.mean()), 8),
            "gain_error": round(error, 8)}


def _naive_result(experiment: Experiment, dataset: data_mod.Dataset, started: float) -> RunResult:
    """The result of a baseline computed without a network (the naive forecast)."""
    horizon = experiment.series.horizon
    predictions = {s: dataset.naive(s, horizon) for s in ("valid", "test")}
    scored, naive_scored, per_step, baselines = _score(dataset, predictions, horizon)
    return RunResult(
        key=experiment.key(), experiment=experiment.to_dict(), history=[], metrics=scored,
        naive_metrics=naive_scored, mse_per_step=per_step, params_total=0, layers=[], predictions=predictions,
        wall_seconds=time.perf_counter() - started, train_seconds=0.0, versions=versions(network=False),
        created=_now(), baselines=baselines, future=future_forecast(None, dataset, experiment),
    )


def _classical_result(experiment: Experiment, dataset: data_mod.Dataset, started: float) -> RunResult:
    """The result of a forecaster fitted on the series itself (seasonal naive, ETS, ARIMA, Theta): selected and
    fitted once on the training period, then forecasting each validation and test window from the values before
    its first target (the dataset's own origins, so it is scored on exactly the networks' windows); its future
    from a model fitted on all the data, with 80% and 95% intervals."""
    from rnnlab.forecasting import classical  # statsmodels: workers only, the web process never imports it

    spec, series, horizon = experiment.series, dataset.series, experiment.series.horizon
    method, season = experiment.model.entry.method, spec.season or series.season
    values, observed = series.filled(), series.observed
    where = windows.periods(len(values), spec.train_fraction, spec.valid_fraction, spec.folds, spec.fold)
    origins = np.concatenate([dataset.origins["valid"], dataset.origins["test"]])
    try:
        # one fit for both splits: the model is selected on the training period, the same for every window
        fitted = classical.backtest(method, values, observed, train_end=where.train_end, origins=origins,
                                    horizon=horizon, season=season)
        # the future from that form refit on all the data; a backtest fold is scored, never forecast past the end
        ahead = None if spec.fold is not None else classical.future(
            method, values, horizon=horizon, season=season, observed=observed, form=fitted.form)
    except ValueError as exc:
        raise TrainingFailed(str(exc)) from None
    n_valid = len(dataset.origins["valid"])
    predictions = {"valid": fitted.predictions[:n_valid], "test": fitted.predictions[n_valid:]}
    own = None
    if len(dataset.origins["test"]):
        try:  # the model's own intervals on the test windows, beside the conformal ones every run gets
            own = {str(lv): intervals.interval_scores(dataset.actual("test"), fitted.lower[lv][n_valid:],
                                                      fitted.upper[lv][n_valid:], lv) for lv in fitted.lower}
        except ValueError:  # a band statsmodels could not give (NaN): none rather than a wrong one
            own = None
    scored, naive_scored, per_step, baselines = _score(dataset, predictions, horizon)
    future = None
    if ahead is not None:
        future = {"time": series.future_times(horizon), "value": [float(v) for v in ahead.predictions[0]],
                  "last_time": series.time_labels(np.array([len(series) - 1]))[0], "rolled_forward": False,
                  "model": ahead.model,
                  # JSON keys are strings: the levels (80, 95) are stored as "80", "95"
                  "lower": {str(lv): [float(v) for v in band[0]] for lv, band in ahead.lower.items()},
                  "upper": {str(lv): [float(v) for v in band[0]] for lv, band in ahead.upper.items()}}
    return RunResult(
        key=experiment.key(), experiment=experiment.to_dict(), history=[], metrics=scored,
        naive_metrics=naive_scored, mse_per_step=per_step, params_total=0, layers=[], predictions=predictions,
        wall_seconds=time.perf_counter() - started, train_seconds=fitted.seconds,
        versions={**versions(network=False), "statsmodels": metadata.version("statsmodels")},
        created=_now(), baselines=baselines, future=future, forecaster=fitted.model, own_intervals=own,
    )


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def model_to_bytes(model) -> bytes:
    """The model as the bytes of a ``.keras`` file."""
    with tempfile.TemporaryDirectory(prefix="rnnlab-model-") as tmp:
        path = os.path.join(tmp, "model.keras")
        model.save(path)
        with open(path, "rb") as fh:
            return fh.read()


def model_from_bytes(blob: bytes):
    """Load a model saved by :func:`model_to_bytes` (imports Keras; registers rnnlab's custom cell)."""
    backend.configure()
    import keras  # workers only: the web process never imports TensorFlow

    import rnnlab.models.cells  # noqa: F401  (registers the custom cell, so the file loads back)
    with tempfile.TemporaryDirectory(prefix="rnnlab-model-") as tmp:
        path = os.path.join(tmp, "model.keras")
        with open(path, "wb") as fh:
            fh.write(blob)
        return keras.models.load_model(path)


class _ProgressCallback:
    """Keras callback (built lazily on the Keras base class): per-epoch history, progress, cancellation."""

    def __new__(cls, keras, epochs, history, on_epoch, should_stop):
        base = keras.callbacks.Callback

        class ProgressCallback(base):
            def _check(self):
                if should_stop is not None and should_stop():
                    raise TrainingCancelled("training was cancelled")

            def on_epoch_begin(self, epoch, logs=None):
                self._check()
                self._epoch_started = time.perf_counter()

            def on_train_batch_end(self, batch, logs=None):
                self._check()

            def on_test_batch_end(self, batch, logs=None):
                self._check()

            def on_epoch_end(self, epoch, logs=None):
                logs = logs or {}
                loss = float(logs.get("loss", math.nan))
                # None without validation windows (a final model): no curve rather than a made-up one
                val_loss = float(logs["val_loss"]) if "val_loss" in logs else None
                row = {"epoch": epoch + 1, "loss": loss, "val_loss": val_loss,
                       "seconds": time.perf_counter() - self._epoch_started}
                history.append(row)
                if not (math.isfinite(loss) and (val_loss is None or math.isfinite(val_loss))):
                    raise TrainingFailed(
                        f"the loss diverged at epoch {epoch + 1} (loss={loss}, val_loss={val_loss}): "
                        "try a smaller learning rate"
                    )
                if on_epoch is not None:
                    on_epoch({**row, "epochs": epochs})
                self._check()

        return ProgressCallback()

