"""What a finished run can be downloaded as: predictions CSV, run JSON, and a standalone training script.

The script uses only NumPy and Keras (no rnnlab): it regenerates the same series with the same generator and
seed, builds the same architecture, and trains it with the same settings.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from rnnlab.config import Experiment
from rnnlab.data import Dataset
from rnnlab.models import output_size
from rnnlab.results import RunResult


def predictions_csv(result: RunResult, dataset: Dataset) -> str:
    """CSV with one row per forecast value: ``split, series, step, actual, predicted``.

    ``series`` is the index within the split; ``step`` counts steps ahead from 1.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["split", "series", "step", "actual", "predicted"])
    for split in ("valid", "test"):
        actual, predicted = getattr(dataset, split).future, result.predictions[split]
        if actual.shape != predicted.shape:
            raise ValueError(f"{split}: {predicted.shape[0]} predictions for {actual.shape[0]} series; the data changed")
        for i in range(actual.shape[0]):
            for step in range(actual.shape[1]):
                writer.writerow([split, i, step + 1, f"{actual[i, step]:.7g}", f"{predicted[i, step]:.7g}"])
    return out.getvalue()


def run_json(result: RunResult) -> dict[str, Any]:
    """The run as JSON-ready data: key, experiment, metrics, naive metrics, per-step MSE, history, layers."""
    summary = result.summary()
    keep = ("key", "experiment", "metrics", "naive_metrics", "mse_per_step", "history", "params_total", "layers",
            "train_seconds", "versions", "created")
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

_LAYERNORM_CELL = '''
class LNSimpleRNNCell(keras.layers.Layer):
    """SimpleRNNCell without activation -> LayerNormalization -> tanh (the book's custom cell)."""

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units
        self.output_size = units
        self.simple_rnn_cell = keras.layers.SimpleRNNCell(units, activation=None)
        self.layer_norm = keras.layers.LayerNormalization()
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.simple_rnn_cell.build(input_shape)
        self.layer_norm.build((input_shape[0], self.units))
        self.built = True

    def call(self, inputs, states, training=False):
        outputs, new_states = self.simple_rnn_cell(inputs, states)
        norm_outputs = self.activation(self.layer_norm(outputs))
        return norm_outputs, [norm_outputs]
'''


def _layers(exp: Experiment) -> list[str]:
    """Keras layer expressions equivalent to rnnlab's builder for ``exp``."""
    m, s = exp.model, exp.series
    out = output_size(exp)
    seq2seq = m.mode == "seq2seq"
    L = "keras.layers"
    if m.name == "linear":
        return [f"{L}.Input(shape=({s.n_steps}, 1))", f"{L}.Flatten()", f"{L}.Dense({out})"]
    if m.name == "simple_rnn":
        return [f"{L}.Input(shape=(None, 1))", f"{L}.SimpleRNN(1)"]
    if m.name == "deep_rnn":
        hidden = [f"{L}.SimpleRNN({m.units}, return_sequences=True)"] * m.layers
        return [f"{L}.Input(shape=(None, 1))", *hidden, f"{L}.SimpleRNN(1)"]
    if m.name == "wavenet":
        convs = [f'{L}.Conv1D({m.filters}, kernel_size={m.kernel_size}, padding="causal", activation="relu", '
                 f"dilation_rate={rate})" for rate in m.dilations]
        return [f"{L}.Input(shape=(None, 1))", *convs, f"{L}.Conv1D({out}, kernel_size=1)"]
    layer = {"deep_rnn_dense": f"{L}.SimpleRNN({{units}}, return_sequences={{seq}})",
             "lstm": f"{L}.LSTM({{units}}, return_sequences={{seq}})",
             "gru": f"{L}.GRU({{units}}, return_sequences={{seq}})",
             "conv_gru": f"{L}.GRU({{units}}, return_sequences={{seq}})",
             "layernorm_rnn": f"{L}.RNN(LNSimpleRNNCell({{units}}), return_sequences={{seq}})"}[m.name]
    stack = [layer.format(units=m.units, seq=seq2seq or i < m.layers - 1) for i in range(m.layers)]
    first = [f"{L}.Input(shape=(None, 1))"]
    if m.name == "conv_gru":
        first.append(f'{L}.Conv1D({m.filters}, kernel_size={m.kernel_size}, strides={m.strides}, padding="valid")')
    return [*first, *stack, f"{L}.Dense({out})"]


def standalone_script(experiment: Experiment) -> str:
    """A self-contained Python script (NumPy + Keras) that regenerates this experiment's data and trains the
    same model with the same settings, printing the validation MSE."""
    exp = experiment
    s, m, t = exp.series, exp.model, exp.train
    n_train, n_valid, _ = s.split_sizes()
    generator = _GENERATOR.format(a1=s.wave1_amplitude, f1min=s.wave1_freq_min, f1max=s.wave1_freq_max,
                                  a2=s.wave2_amplitude, f2min=s.wave2_freq_min, f2max=s.wave2_freq_max, noise=s.noise)
    if m.name == "naive":
        model_code = "model = None  # the naive forecast repeats the last value; nothing to train"
    else:
        layers = "".join(f"    {layer},\n" for layer in _layers(exp))
        model_code = (
            f"keras.utils.set_random_seed({t.seed})\n"
            f"model = keras.Sequential([\n{layers}])\n"
            f"optimizer = keras.optimizers.get({{'class_name': {t.optimizer!r}, "
            f"'config': {{'learning_rate': {t.learning_rate!r}}}}})\n"
            "model.compile(loss='mse', optimizer=optimizer)\n"
            "model.summary()\n"
            f"model.fit(X_train, y_train, epochs={t.epochs}, batch_size={t.batch_size}, "
            "validation_data=(X_valid, y_valid))"
        )
    if m.mode in ("one_step", "iterative"):
        targets = "y = series[:, n_steps, :1]"
    elif m.mode == "seq2vec":
        targets = "y = series[:, n_steps:, 0]"
    else:
        steps = ""
        if m.name == "conv_gru":
            steps = f"\ny = y[:, {m.kernel_size - 1}::{m.strides}]  # one target per convolution output"
        targets = ("y = np.empty((len(series), n_steps, horizon), dtype=np.float32)\n"
                   "for step_ahead in range(1, horizon + 1):\n"
                   "    y[..., step_ahead - 1] = series[:, step_ahead:step_ahead + n_steps, 0]" + steps)
    if m.name == "naive":
        forecast = "Y_pred = np.repeat(X_valid[:, -1, :1], horizon, axis=1)"
    elif m.mode == "iterative":
        window = "window[:, -n_steps:]" if m.name == "linear" else "window"
        forecast = ("window = X_valid\n"
                    "for _ in range(horizon):\n"
                    f"    step = model.predict({window}, verbose=0)\n"
                    "    window = np.concatenate([window, step[:, np.newaxis, :1]], axis=1)\n"
                    "Y_pred = window[:, n_steps:, 0]")
    elif m.mode == "seq2seq":
        forecast = "Y_pred = model.predict(X_valid, verbose=0)[:, -1, :]  # the forecast made at the last time step"
    else:
        forecast = "Y_pred = model.predict(X_valid, verbose=0).reshape(len(X_valid), horizon)"
    cell = _LAYERNORM_CELL if m.name == "layernorm_rnn" else ""
    return f'''"""rnnlab experiment {exp.key()[:12]}: {exp.describe()}.

Regenerates the data and trains the model with plain NumPy + Keras (no rnnlab needed):
    pip install numpy tensorflow
    python {m.name}_{exp.key()[:8]}.py
"""
import numpy as np
import keras
{generator}{cell}
n_series, n_steps, horizon = {s.n_series}, {s.n_steps}, {s.horizon}
series = generate_time_series(n_series, n_steps + horizon, seed={s.seed})
X = series[:, :n_steps]
{targets}
X_train, y_train = X[:{n_train}], y[:{n_train}]
X_valid, y_valid = X[{n_train}:{n_train + n_valid}], y[{n_train}:{n_train + n_valid}]
future_valid = series[{n_train}:{n_train + n_valid}, n_steps:, 0]

{model_code}

{forecast}
print("validation MSE:", float(np.mean((future_valid - Y_pred) ** 2)))
'''
