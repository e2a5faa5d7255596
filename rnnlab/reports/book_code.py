"""The book's chapter-15 results and its code as written, in plain Keras, for side-by-side reproduction.

``REFERENCE`` holds the published validation MSEs (``../shared/reference/chapter15_results.md``). The
``book_*`` functions are the notebook's cells as the book writes them (Sequential models, global seeds,
``np.random.seed(42)`` data), changed only where Keras 3 requires it (``learning_rate=`` instead of ``lr=``,
an ``Input`` layer instead of ``input_shape=``). ``python -m rnnlab reproduce`` trains both these and
rnnlab's own models in one run, so accuracy and speed are compared on the same machine at the same time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class Reference:
    """One row of the book's results: what it trains and the validation MSE it printed."""

    model: str
    mode: str
    label: str
    printed: float
    spread: tuple[float, float] | None = None
    note: str = ""

    @property
    def horizon(self) -> int:
        return 1 if self.mode == "one_step" else 10

    def accepted_range(self, tolerance: float = 0.15) -> tuple[float, float]:
        """The wider of the published spread and ±``tolerance`` around the printed figure."""
        low, high = self.printed * (1 - tolerance), self.printed * (1 + tolerance)
        if self.spread is not None:
            low, high = min(low, self.spread[0]), max(high, self.spread[1])
        return low, high

    def accepts(self, value: float) -> bool:
        low, high = self.accepted_range()
        return low <= value <= high


REFERENCE: tuple[Reference, ...] = (
    Reference("naive", "one_step", "naive: last value", 0.020211367),
    Reference("linear", "one_step", "Flatten -> Dense(1)", 0.004168, (0.00415, 0.00417)),
    Reference("simple_rnn", "one_step", "SimpleRNN(1), Adam lr 0.005", 0.010882, (0.01085, 0.01089)),
    Reference("deep_rnn", "one_step", "SimpleRNN(20) x2 -> SimpleRNN(1)", 0.002911, (0.00289, 0.00293)),
    Reference("deep_rnn_dense", "one_step", "SimpleRNN(20) x2 -> Dense(1)", 0.002624, (0.00258, 0.00268)),
    Reference("lstm", "one_step", "LSTM(20) x2 -> Dense(1)", 0.00243, None, "measured baseline, not in the book"),
    Reference("gru", "one_step", "GRU(20) x2 -> Dense(1)", 0.00295, None, "measured baseline, not in the book"),
    Reference("naive", "seq2vec", "naive: last value x10", 0.25697407),
    Reference("deep_rnn_dense", "iterative", "deep_rnn_dense rolled forward", 0.027511, (0.0273, 0.0285)),
    Reference("linear", "seq2vec", "Flatten -> Dense(10)", 0.0187, None, "last-epoch val_loss"),
    Reference("deep_rnn_dense", "seq2vec", "SimpleRNN(20) x2 -> Dense(10)", 0.0085, None, "last-epoch val_loss"),
    Reference("deep_rnn_dense", "seq2seq", "SimpleRNN(20) x2 -> TD Dense(10), lr 0.01", 0.0096, (0.0078, 0.0096)),
    Reference("layernorm_rnn", "seq2seq", "LayerNorm cell x2 -> TD Dense(10)", 0.0121),
    Reference("lstm", "seq2seq", "LSTM(20) x2 -> TD Dense(10)", 0.00856),
    Reference("gru", "seq2seq", "GRU(20) x2 -> TD Dense(10)", 0.0103, (0.0103, 0.0111)),
    Reference("conv_gru", "seq2seq", "Conv1D(20,4,2) -> GRU(20) x2 -> TD Dense(10)", 0.0080, (0.0067, 0.0081)),
    Reference("wavenet", "seq2seq", "WaveNet, dilations 1,2,4,8 x2", 0.0072, (0.0072, 0.0095)),
)


# --------------------------------------------------------------------------------------------------
# The book's code
# --------------------------------------------------------------------------------------------------
def book_generate_time_series(batch_size, n_steps):
    """The book's generator, as written (global NumPy random state)."""
    freq1, freq2, offsets1, offsets2 = np.random.rand(4, batch_size, 1)
    time_ = np.linspace(0, 1, n_steps)
    series = 0.5 * np.sin((time_ - offsets1) * (freq1 * 10 + 10))  # wave 1
    series += 0.2 * np.sin((time_ - offsets2) * (freq2 * 20 + 20))  # + wave 2
    series += 0.1 * (np.random.rand(batch_size, n_steps) - 0.5)  # + noise
    return series[..., np.newaxis].astype(np.float32)


def book_data(horizon: int, n_series: int = 10_000, n_steps: int = 50) -> dict[str, np.ndarray]:
    """The book's splits: one step ahead (``y``), ten ahead (``Y``) and the seq2seq targets (``Y_seq``)."""
    np.random.seed(42)
    series = book_generate_time_series(n_series, n_steps + horizon)
    n_train, n_valid = int(n_series * 0.7), int(n_series * 0.9)
    out = {"X_train": series[:n_train, :n_steps], "X_valid": series[n_train:n_valid, :n_steps]}
    if horizon == 1:
        out.update(y_train=series[:n_train, -1], y_valid=series[n_train:n_valid, -1])
        return out
    out.update(Y_train=series[:n_train, -horizon:, 0], Y_valid=series[n_train:n_valid, -horizon:, 0])
    Y = np.empty((n_series, n_steps, horizon))
    for step_ahead in range(1, horizon + 1):
        Y[..., step_ahead - 1] = series[..., step_ahead:step_ahead + n_steps, 0]
    out.update(Yseq_train=Y[:n_train], Yseq_valid=Y[n_train:n_valid])
    return out


def _seed():
    import tensorflow as tf  # when it trains: importing REFERENCE must not load TensorFlow

    np.random.seed(42)
    tf.random.set_seed(42)


def _book_model(model: str, mode: str, n_steps: int):
    """The book's Sequential model and optimizer for one reference row."""
    import keras  # when it trains: importing REFERENCE must not load TensorFlow

    L = keras.layers
    seq = mode == "seq2seq"
    out = 10 if mode in ("seq2vec", "seq2seq") else 1
    lr = 0.001
    if model == "linear":
        layers = [L.Input([n_steps, 1]), L.Flatten(), L.Dense(out)]
    elif model == "simple_rnn":
        layers, lr = [L.Input([None, 1]), L.SimpleRNN(1)], 0.005
    elif model == "deep_rnn":
        layers = [L.Input([None, 1]), L.SimpleRNN(20, return_sequences=True), L.SimpleRNN(20, return_sequences=True),
                  L.SimpleRNN(1)]
    elif model in ("deep_rnn_dense", "lstm", "gru"):
        cls = {"deep_rnn_dense": L.SimpleRNN, "lstm": L.LSTM, "gru": L.GRU}[model]
        head = L.TimeDistributed(L.Dense(out)) if seq else L.Dense(out)
        layers = [L.Input([None, 1]), cls(20, return_sequences=True), cls(20, return_sequences=seq), head]
        if model == "deep_rnn_dense" and seq:
            lr = 0.01
    elif model == "layernorm_rnn":
        from rnnlab.models.cells import LNSimpleRNNCell as cell  # subclasses Keras: loaded when it trains

        layers = [L.Input([None, 1]), L.RNN(cell(20), return_sequences=True), L.RNN(cell(20), return_sequences=True),
                  L.TimeDistributed(L.Dense(10))]
    elif model == "conv_gru":
        layers = [L.Input([None, 1]), L.Conv1D(filters=20, kernel_size=4, strides=2, padding="valid"),
                  L.GRU(20, return_sequences=True), L.GRU(20, return_sequences=True), L.TimeDistributed(L.Dense(10))]
    elif model == "wavenet":
        layers = [L.Input([None, 1])]
        for rate in (1, 2, 4, 8) * 2:
            layers.append(L.Conv1D(filters=20, kernel_size=2, padding="causal", activation="relu", dilation_rate=rate))
        layers.append(L.Conv1D(filters=10, kernel_size=1))
    else:
        raise ValueError(f"no book code for model {model!r}")
    return keras.models.Sequential(layers), keras.optimizers.Adam(learning_rate=lr)


def train_book(ref: Reference, *, epochs: int = 20, n_series: int = 10_000,
               on_epoch: Callable[[int, int], None] | None = None,
               one_step_model: Any = None) -> dict[str, Any]:
    """Train one reference row with the book's code as written; return val MSE, parameters, s/epoch.

    ``iterative`` rolls forward the book's one-step ``deep_rnn_dense`` model (``one_step_model``, trained
    here if not given), as the book does.
    """
    import keras  # when it trains: importing REFERENCE must not load TensorFlow

    if ref.model == "naive":
        d = book_data(ref.horizon, n_series)
        if ref.horizon == 1:
            actual, predicted = d["y_valid"], d["X_valid"][:, -1]
        else:
            actual, predicted = d["Y_valid"], np.tile(d["X_valid"][:, -1], 10)
        return {"val_mse": float(np.mean((actual - predicted) ** 2)), "params": 0, "seconds_per_epoch": None,
                "first_epoch": None, "model": None}

    times: list[float] = []

    class Timer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.start)
            if on_epoch:
                on_epoch(epoch + 1, epochs)

    if ref.mode == "iterative":
        model = one_step_model
        if model is None:
            model = train_book(Reference("deep_rnn_dense", "one_step", "", 0.0), epochs=epochs, n_series=n_series,
                               on_epoch=on_epoch)["model"]
        d = book_data(10, n_series)
        X = d["X_valid"]
        for _ in range(10):
            y_pred_one = model.predict(X, verbose=0)[:, np.newaxis, :]
            X = np.concatenate([X, y_pred_one], axis=1)
        Y_pred = X[:, 50:, 0]
        return {"val_mse": float(np.mean((d["Y_valid"] - Y_pred) ** 2)), "params": model.count_params(),
                "seconds_per_epoch": None, "first_epoch": None, "model": model}

    d = book_data(ref.horizon, n_series)
    _seed()
    model, optimizer = _book_model(ref.model, ref.mode, 50)
    X_train, X_valid = d["X_train"], d["X_valid"]
    if ref.mode == "one_step":
        y_train, y_valid = d["y_train"], d["y_valid"]
    elif ref.mode == "seq2vec":
        y_train, y_valid = d["Y_train"], d["Y_valid"]
    else:
        y_train, y_valid = d["Yseq_train"], d["Yseq_valid"]
        if ref.model == "conv_gru":
            y_train, y_valid = y_train[:, 3::2], y_valid[:, 3::2]
    model.compile(loss="mse", optimizer=optimizer)
    model.fit(X_train, y_train, epochs=epochs, validation_data=(X_valid, y_valid), verbose=0, callbacks=[Timer()])
    pred = model.predict(X_valid, verbose=0)
    if ref.mode == "seq2seq":
        val_mse = float(np.mean((y_valid[:, -1] - pred[:, -1]) ** 2))  # the book's last_time_step_mse
    else:
        val_mse = float(np.mean((y_valid.reshape(pred.shape) - pred) ** 2))
    rest = times[1:] or times
    return {"val_mse": val_mse, "params": model.count_params(), "seconds_per_epoch": sum(rest) / len(rest),
            "first_epoch": times[0], "model": model}
