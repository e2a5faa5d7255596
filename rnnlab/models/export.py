"""What a finished run can be downloaded as: predictions CSV, run JSON, and a standalone training script.

The script uses only NumPy and Keras (no rnnlab): it regenerates the same series with the same generator and
seed, builds the same architecture (written from the registry's description of the model, the one the Keras
builder reads), and trains it with the same settings.
"""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path
from typing import Any

import numpy as np

from rnnlab.config import Experiment
from rnnlab.forecasting import intervals as conformal
from rnnlab.series.dataset import Dataset
from rnnlab.models.registry import CustomCell
from rnnlab.store.runs import RunResult


def intervals(result: RunResult, dataset: Dataset, levels=conformal.DEFAULT_LEVELS,
              future: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The run's conformal intervals (:func:`rnnlab.forecasting.intervals.of_run`): calibrated on its validation
    forecasts, then, on a real series, online over its test windows as each error becomes known, and scored
    there; around ``future`` (a forecast past the end: this run's own by default, or a final model's); None for
    a run without validation forecasts (a final model)."""
    valid, test = result.predictions.get("valid"), result.predictions.get("test")
    if valid is None or not len(valid):
        return None
    future = result.future if future is None else future
    origins = dataset.origins["test"] if dataset.origins is not None and test is not None else None
    return conformal.of_run(dataset.actual("valid"), valid, dataset.actual("test") if test is not None else None,
                            test, future["value"] if future else None, levels=levels, origins=origins)


def predictions_csv(result: RunResult, dataset: Dataset, levels=conformal.DEFAULT_LEVELS) -> str:
    """CSV with one row per forecast value: ``split, series, step, actual, predicted`` (and ``time``, the time of
    the forecast value, on a real series), in the series' own units; then ``lower_80, upper_80``... for each of
    ``levels`` on a real series (:func:`intervals`: a validation row gets the half-width calibrated on the whole
    validation period, a test row the one its window had online, from the errors known at its origin).

    ``series`` is the index within the split; ``step`` counts steps ahead from 1.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    real = dataset.series is not None
    found = intervals(result, dataset, levels) if real else None
    shown = {int(level): entry for level, entry in (found or {"levels": {}})["levels"].items()
             if entry["halfwidth"] is not None}
    widths = {"valid": {level: np.broadcast_to(entry["valid_halfwidth"], result.predictions["valid"].shape)
                        for level, entry in shown.items()},
              "test": {level: np.asarray(entry["test_halfwidth"]) for level, entry in shown.items()
                       if entry["test_halfwidth"] is not None}}
    bounds = [f"{side}_{level}" for level in shown for side in ("lower", "upper")]
    writer.writerow(["split", "series", "step", *(["time"] if real else []), "actual", "predicted", *bounds])
    for split in ("valid", "test"):
        actual, predicted = dataset.actual(split), result.predictions[split]
        if actual.shape != predicted.shape:
            raise ValueError(f"{split}: {predicted.shape[0]} predictions for {actual.shape[0]} series; the data changed")
        times = None
        if real:
            index = dataset.origins[split][:, None] + np.arange(actual.shape[1])[None, :]
            times = np.asarray(dataset.series.time_labels(index.ravel())).reshape(index.shape)
        for i in range(actual.shape[0]):
            for step in range(actual.shape[1]):
                when = [times[i, step]] if real else []
                guess = predicted[i, step]
                band = [f"{guess + sign * width[i, step]:.7g}" for width in widths[split].values() for sign in (-1, 1)]
                writer.writerow([split, i, step + 1, *when, f"{actual[i, step]:.7g}", f"{guess:.7g}", *band])
    return out.getvalue()


def future_csv(result: RunResult, found: dict[str, Any] | None = None) -> str:
    """CSV of the forecast past the end of a real series: ``time,value``, then ``lower_80,upper_80``... for each
    level of ``found`` (:func:`intervals` of the run that calibrates them) with a finite interval."""
    if not result.future:
        raise ValueError("this run has no forecast past the end: it was trained on the generated series")
    shown = {level: entry for level, entry in (found or {"levels": {}})["levels"].items()
             if entry.get("future_lower") is not None}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["time", "value", *(f"{side}_{level}" for level in shown for side in ("lower", "upper"))])
    for i, (when, value) in enumerate(zip(result.future["time"], result.future["value"])):
        band = [f"{entry[f'future_{side}'][i]:.7g}" for entry in shown.values() for side in ("lower", "upper")]
        writer.writerow([when, f"{value:.7g}", *band])
    return out.getvalue()


def run_json(result: RunResult) -> dict[str, Any]:
    """The run as JSON-ready data: key, experiment, metrics, naive metrics, per-step MSE, history, layers."""
    summary = result.summary()
    keep = ("key", "experiment", "metrics", "naive_metrics", "mse_per_step", "history", "params_total", "layers",
            "train_seconds", "versions", "created", "baselines", "future")
    return {name: summary[name] for name in keep}


_GENERATOR = '''
def generate_time_series(batch_size, n_steps, seed):
    """Two sine waves with random frequencies and offsets, plus uniform noise (Hands-On ML, chapter 15)."""
    rng = np.random.RandomState(seed)
    freq1, freq2, offsets1, offsets2 = rng.rand(4, batch_size, 1)
    time = np.linspace(0, 1, n_steps)
    series = {a1!r} * np.sin((time - offsets1) * (freq1 * ({f1max!r} - {f1min!r}) + {f1min!r}))
    series += {a2!r} * np.sin((time - offsets2) * (freq2 * ({f2max!r} - {f2min!r}) + {f2min!r}))
    series += {noise!r} * (rng.rand(batch_size, n_steps) - 0.5)
    return series[..., np.newaxis].astype(np.float32)
'''

CELLS_FILE = Path(__file__).with_name("cells.py")


def cell_source(class_name: str) -> str:
    """The source of one of rnnlab's cells (:mod:`rnnlab.models.cells`), read as text: the web process, which makes
    the script, never imports Keras."""
    text = CELLS_FILE.read_text(encoding="utf-8")
    for node in ast.parse(text).body:
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            return ast.get_source_segment(text, node)
    raise ValueError(f"rnnlab.models.cells has no class {class_name!r}")


def model_code(experiment: Experiment) -> str:
    """The ``build_model()`` function of the script: rnnlab's layers for ``experiment``, from the same
    description the Keras builder uses (:meth:`rnnlab.models.registry.ModelEntry.layers`)."""
    entry = experiment.model.entry
    if not entry.trainable:
        return ('def build_model():\n    """The naive forecast repeats the last value: there is no network."""\n'
                "    return None\n")
    layers = entry.layers(experiment)
    lines = [f"        keras.Input(shape={entry.input_shape(experiment)!r}, name='series'),"]
    lines += [f"        {layer.code()}," for layer in layers]
    cells = sorted({a.class_name for layer in layers for a in layer.keras_call()[1] if isinstance(a, CustomCell)})
    sources = "".join(f"\n\n{cell_source(name)}\n" for name in cells)
    body = "\n".join(lines)
    return (f'{sources.lstrip()}{chr(10) * 2 if sources else ""}'
            f'def build_model():\n    """The model rnnlab trained: the same layers, names and sizes."""\n'
            f"    return keras.Sequential([\n{body}\n    ], name={entry.name!r})\n")


def _targets(experiment: Experiment) -> str:
    mode = experiment.model.mode
    if mode in ("one_step", "iterative"):
        return "y = series[:, n_steps, :1]"
    if mode == "seq2vec":
        return "y = series[:, n_steps:, 0]"
    code = ("y = np.empty((len(series), n_steps, horizon), dtype=np.float32)\n"
            "for step_ahead in range(1, horizon + 1):\n"
            "    y[..., step_ahead - 1] = series[:, step_ahead:step_ahead + n_steps, 0]")
    steps = experiment.model.entry.output_steps(experiment)
    if steps is not None:
        stride = steps[1] - steps[0] if len(steps) > 1 else experiment.series.n_steps
        code += f"\ny = y[:, {steps[0]}::{stride}]  # one target per output of the strided convolution"
    return code


def _forecast(experiment: Experiment) -> str:
    entry, mode = experiment.model.entry, experiment.model.mode
    if not entry.trainable:
        return "Y_pred = np.repeat(X_valid[:, -1, :1], horizon, axis=1)"
    if mode == "iterative":
        window = "window[:, -n_steps:]" if entry.fixed_length else "window"
        return ("window = X_valid\n"
                "    for _ in range(horizon):\n"
                f"        step = model.predict({window}, verbose=0)\n"
                "        window = np.concatenate([window, step[:, np.newaxis, :1]], axis=1)\n"
                "    Y_pred = window[:, n_steps:, 0]")
    if mode == "seq2seq":
        return "Y_pred = model.predict(X_valid, verbose=0)[:, -1, :]  # the forecast made at the last time step"
    return "Y_pred = model.predict(X_valid, verbose=0).reshape(len(X_valid), horizon)"


def standalone_script(experiment: Experiment, backend: str = "jax") -> str:
    """A self-contained Python script (NumPy + Keras) that regenerates this experiment's data and trains the
    same model with the same settings, printing the validation MSE. Importing it only defines
    ``generate_time_series`` and ``build_model``. The generated series only (a real one is not regenerated).
    ``backend`` is the Keras backend the run was trained on: the script asks for the same one."""
    exp = experiment
    if exp.series.real:
        raise ValueError("the standalone script regenerates the book's series; it is not made for a real series")
    s, t = exp.series, exp.train
    n_train, n_valid, _ = s.split_sizes()
    generator = _GENERATOR.format(a1=s.wave1_amplitude, f1min=s.wave1_freq_min, f1max=s.wave1_freq_max,
                                  a2=s.wave2_amplitude, f2min=s.wave2_freq_min, f2max=s.wave2_freq_max, noise=s.noise)
    if exp.model.entry.trainable:
        train = (f"keras.utils.set_random_seed({t.seed})\n"
                 "    model = build_model()\n"
                 f"    optimizer = keras.optimizers.get({{'class_name': {t.optimizer!r}, "
                 f"'config': {{'learning_rate': {t.learning_rate!r}}}}})\n"
                 "    model.compile(loss='mse', optimizer=optimizer)\n"
                 "    model.summary()\n"
                 f"    model.fit(X_train, y_train, epochs={t.epochs}, batch_size={t.batch_size}, "
                 "validation_data=(X_valid, y_valid))")
    else:
        train = "model = build_model()  # the naive forecast: nothing to train"
    key = exp.key()
    return f'''"""rnnlab experiment {key[:12]}: {exp.describe()}.

Regenerates the data and trains the model with plain NumPy + Keras (no rnnlab needed); rnnlab trained it on
Keras' {backend} backend:
    pip install numpy {"jax keras" if backend == "jax" else "tensorflow"}
    python {exp.model.name}_{key[:8]}.py
"""
import os

os.environ.setdefault("KERAS_BACKEND", "{backend}")

import numpy as np  # noqa: E402
import keras  # noqa: E402

{generator}

{model_code(exp)}

if __name__ == "__main__":
    n_series, n_steps, horizon = {s.n_series}, {s.n_steps}, {s.horizon}
    series = generate_time_series(n_series, n_steps + horizon, seed={s.seed})
    X = series[:, :n_steps]
    {_indent(_targets(exp))}
    X_train, y_train = X[:{n_train}], y[:{n_train}]
    X_valid, y_valid = X[{n_train}:{n_train + n_valid}], y[{n_train}:{n_train + n_valid}]
    future_valid = series[{n_train}:{n_train + n_valid}, n_steps:, 0]

    {train}

    {_forecast(exp)}
    print("validation MSE:", float(np.mean((future_valid - Y_pred) ** 2)))
'''


def _indent(code: str) -> str:
    return code.replace("\n", "\n    ")
