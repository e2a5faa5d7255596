"""The model zoo: one registry from a model name to its builder and its metadata.

Importing this module is cheap: Keras is imported inside the builders only, so the web process can list
models, check specs and count parameters without TensorFlow.

Every builder has the signature ``builder(experiment) -> keras.Model`` and uses the Functional API. The
output shape follows the forecast mode:

* ``one_step`` and ``iterative``: ``[batch, 1]`` (the next value; ``iterative`` rolls it forward);
* ``seq2vec``: ``[batch, horizon]`` (all future values from the last time step);
* ``seq2seq``: ``[batch, time, horizon]`` (at every time step, the next ``horizon`` values).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

if TYPE_CHECKING:  # pragma: no cover
    from rnnlab.config import Experiment

ALL_MODES = ("one_step", "iterative", "seq2vec", "seq2seq")
RECURRENT_PARAMS = ("units", "layers")


@dataclass(frozen=True)
class ModelEntry:
    """Registry entry: what a model is, what it supports, and how to build it."""

    name: str
    display_name: str
    description: str
    modes: tuple[str, ...]
    book_mode: str
    params: tuple[str, ...] = ()
    defaults: Mapping[str, Any] = field(default_factory=dict)
    book_learning_rate: Mapping[str, float] = field(default_factory=dict)
    builder: Callable[["Experiment"], Any] | None = None
    count: Callable[["Experiment"], int] | None = None
    check: Callable[["Experiment"], None] | None = None
    fixed_length: bool = False
    #: Compile with XLA where ``python -m rnnlab bench`` (docs/benchmarks.md) shows a clear speed-up (1.5x or
    #: more) and a validation MSE within 2% of the run without it: the recurrent models (2-7x faster, most equal
    #: to 1e-6). Off for the linear model (no speed-up) and WaveNet (its MSE moved by 3%).
    jit_compile: bool = True
    param_help: Mapping[str, str] = field(default_factory=dict)

    @property
    def trainable(self) -> bool:
        """False for baselines computed without training (the naive forecast)."""
        return self.builder is not None

    def count_params(self, experiment: "Experiment") -> int | None:
        """Parameter count computed from the layer shapes alone (no Keras), or None for the naive model."""
        return None if self.count is None else self.count(experiment)


# --------------------------------------------------------------------------------------------------
# Parameter counts from layer shapes: the formulas the Inspect page shows.
# --------------------------------------------------------------------------------------------------
def dense_params(inputs: int, units: int) -> int:
    """Dense: ``units x (inputs + 1)``."""
    return units * (inputs + 1)


def simple_rnn_params(inputs: int, units: int) -> int:
    """SimpleRNN: ``units x (inputs + units + 1)``."""
    return units * (inputs + units + 1)


def lstm_params(inputs: int, units: int) -> int:
    """LSTM: four gates, ``4 x units x (inputs + units + 1)``."""
    return 4 * units * (inputs + units + 1)


def gru_params(inputs: int, units: int) -> int:
    """GRU (Keras' reset_after=True): three gates with two biases, ``3 x units x (inputs + units + 2)``."""
    return 3 * units * (inputs + units + 2)


def layernorm_rnn_params(inputs: int, units: int) -> int:
    """SimpleRNNCell plus LayerNormalization (gain and offset): ``units x (inputs + units + 1) + 2 x units``."""
    return units * (inputs + units + 1) + 2 * units


def conv1d_params(inputs: int, filters: int, kernel_size: int) -> int:
    """Conv1D: ``filters x (kernel_size x inputs + 1)``."""
    return filters * (kernel_size * inputs + 1)


def output_size(experiment: "Experiment") -> int:
    """Values the model emits per prediction: 1 for one-step models, ``horizon`` otherwise."""
    return 1 if experiment.model.mode in ("one_step", "iterative") else experiment.series.horizon


def _count_linear(exp: "Experiment") -> int:
    return dense_params(exp.series.n_steps, output_size(exp))


def _count_simple_rnn(exp: "Experiment") -> int:
    return simple_rnn_params(1, 1)


def _count_deep_rnn(exp: "Experiment") -> int:
    units, layers = exp.model.units, exp.model.layers
    total = simple_rnn_params(1, units) + (layers - 1) * simple_rnn_params(units, units)
    return total + simple_rnn_params(units, 1)


def _count_stack(cell_count: Callable[[int, int], int]) -> Callable[["Experiment"], int]:
    def count(exp: "Experiment") -> int:
        units, layers = exp.model.units, exp.model.layers
        total = cell_count(1, units) + (layers - 1) * cell_count(units, units)
        return total + dense_params(units, output_size(exp))

    return count


def _count_conv_gru(exp: "Experiment") -> int:
    m = exp.model
    total = conv1d_params(1, m.filters, m.kernel_size)
    total += gru_params(m.filters, m.units) + (m.layers - 1) * gru_params(m.units, m.units)
    return total + dense_params(m.units, output_size(exp))


def _count_wavenet(exp: "Experiment") -> int:
    m = exp.model
    total = conv1d_params(1, m.filters, m.kernel_size)
    total += (len(m.dilations) - 1) * conv1d_params(m.filters, m.filters, m.kernel_size)
    return total + conv1d_params(m.filters, output_size(exp), 1)


def conv_output_steps(n_steps: int, kernel_size: int, strides: int) -> list[int]:
    """Input time indices at which a 'valid' strided Conv1D emits an output (the book's ``Y[:, 3::2]``)."""
    return list(range(kernel_size - 1, n_steps, strides))


def _check_conv_gru(exp: "Experiment") -> None:
    if exp.model.kernel_size > exp.series.n_steps:
        raise ValueError(
            f"ModelSpec.kernel_size={exp.model.kernel_size} is longer than the input (n_steps={exp.series.n_steps}): "
            "it must be at most n_steps"
        )


# --------------------------------------------------------------------------------------------------
# Builders (Keras imported here only)
# --------------------------------------------------------------------------------------------------
def _keras():
    import keras  # noqa: PLC0415 - lazy on purpose: the web process never imports TensorFlow

    return keras


def _output_head(keras, x, exp: "Experiment"):
    """The Dense head: one value, ``horizon`` values, or ``horizon`` values at every time step."""
    return keras.layers.Dense(output_size(exp), name="output")(x)


def build_linear(exp: "Experiment"):
    """Flatten -> Dense: one weight per input time step plus a bias (51 parameters in the book)."""
    keras = _keras()
    inputs = keras.Input(shape=(exp.series.n_steps, 1), name="series")
    x = keras.layers.Flatten(name="flatten")(inputs)
    outputs = _output_head(keras, x, exp)
    return keras.Model(inputs, outputs, name="linear")


def build_simple_rnn(exp: "Experiment"):
    """A single recurrent neuron, SimpleRNN(1): three parameters (w_x, w_y, b)."""
    keras = _keras()
    inputs = keras.Input(shape=(None, 1), name="series")
    outputs = keras.layers.SimpleRNN(1, name="rnn")(inputs)
    return keras.Model(inputs, outputs, name="simple_rnn")


def build_deep_rnn(exp: "Experiment"):
    """``layers`` x SimpleRNN(units, return_sequences) -> SimpleRNN(1) (the book's first deep RNN)."""
    keras = _keras()
    inputs = keras.Input(shape=(None, 1), name="series")
    x = inputs
    for i in range(exp.model.layers):
        x = keras.layers.SimpleRNN(exp.model.units, return_sequences=True, name=f"rnn_{i + 1}")(x)
    outputs = keras.layers.SimpleRNN(1, name="rnn_output")(x)
    return keras.Model(inputs, outputs, name="deep_rnn")


_LAYERNORM_CELL = None


def layer_norm_cell_class():
    """The book's custom cell: SimpleRNNCell (no activation) -> LayerNormalization -> tanh.

    Defined on first use (it subclasses a Keras class) and registered so ``.keras`` files load back.
    """
    global _LAYERNORM_CELL
    if _LAYERNORM_CELL is not None:
        return _LAYERNORM_CELL
    keras = _keras()

    @keras.saving.register_keras_serializable(package="rnnlab")
    class LNSimpleRNNCell(keras.layers.Layer):
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

        def get_config(self):
            config = super().get_config()
            config.update({"units": self.units, "activation": keras.activations.serialize(self.activation)})
            return config

    _LAYERNORM_CELL = LNSimpleRNNCell
    return LNSimpleRNNCell


def _recurrent_layer(keras, kind: str, units: int, return_sequences: bool, name: str):
    if kind == "simple_rnn":
        return keras.layers.SimpleRNN(units, return_sequences=return_sequences, name=name)
    if kind == "lstm":
        return keras.layers.LSTM(units, return_sequences=return_sequences, name=name)
    if kind == "gru":
        return keras.layers.GRU(units, return_sequences=return_sequences, name=name)
    if kind == "layernorm_rnn":
        return keras.layers.RNN(layer_norm_cell_class()(units), return_sequences=return_sequences, name=name)
    raise ValueError(f"unknown recurrent layer kind {kind!r}")


def _stack(keras, x, kind: str, exp: "Experiment"):
    """``layers`` recurrent layers; the last returns sequences only in seq2seq mode."""
    seq2seq = exp.model.mode == "seq2seq"
    for i in range(exp.model.layers):
        last = i == exp.model.layers - 1
        x = _recurrent_layer(keras, kind, exp.model.units, return_sequences=seq2seq or not last, name=f"{kind}_{i + 1}")(x)
    return x


def recurrent_builder(kind: str, model_name: str) -> Callable[["Experiment"], Any]:
    """Builder shared by the SimpleRNN, LSTM, GRU and LayerNorm stacks: recurrent layers -> Dense head."""

    def build(exp: "Experiment"):
        keras = _keras()
        inputs = keras.Input(shape=(None, 1), name="series")
        x = _stack(keras, inputs, kind, exp)
        outputs = _output_head(keras, x, exp)
        return keras.Model(inputs, outputs, name=model_name)

    build.__doc__ = f"{kind} x layers -> Dense head."
    return build


def build_conv_gru(exp: "Experiment"):
    """Conv1D (valid, strided) -> GRU stack -> Dense: the convolution shortens the sequence."""
    keras = _keras()
    m = exp.model
    inputs = keras.Input(shape=(None, 1), name="series")
    x = keras.layers.Conv1D(m.filters, kernel_size=m.kernel_size, strides=m.strides, padding="valid", name="conv1d")(inputs)
    x = _stack(keras, x, "gru", exp)
    outputs = _output_head(keras, x, exp)
    return keras.Model(inputs, outputs, name="conv_gru")


def build_wavenet(exp: "Experiment"):
    """Causal Conv1D layers with growing dilation rates -> Conv1D(horizon, 1) (a simplified WaveNet)."""
    keras = _keras()
    m = exp.model
    inputs = keras.Input(shape=(None, 1), name="series")
    x = inputs
    for i, rate in enumerate(m.dilations):
        x = keras.layers.Conv1D(
            m.filters, kernel_size=m.kernel_size, padding="causal", activation="relu", dilation_rate=rate,
            name=f"conv_dilation_{rate}_{i + 1}",
        )(x)
    outputs = keras.layers.Conv1D(output_size(exp), kernel_size=1, name="output")(x)
    return keras.Model(inputs, outputs, name="wavenet")


def receptive_field(kernel_size: int, dilations: tuple[int, ...]) -> int:
    """Time steps a stack of causal dilated convolutions sees: ``1 + sum((kernel_size - 1) x rate)``."""
    return 1 + sum((kernel_size - 1) * rate for rate in dilations)


# --------------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------------
_RNN_HELP = {
    "units": "Neurons per recurrent layer (the book uses 20).",
    "layers": "Recurrent layers stacked on top of each other (the book uses 2).",
}
_CONV_HELP = {
    "filters": "Convolution filters (output channels) per Conv1D layer.",
    "kernel_size": "Time steps each convolution looks at.",
    "strides": "Step between convolution windows: 2 halves the sequence length.",
    "dilations": "Dilation rate of each causal convolution layer; each doubling doubles the reach.",
}
_STACK_DEFAULTS = {"units": 20, "layers": 2}

REGISTRY: dict[str, ModelEntry] = {
    entry.name: entry
    for entry in (
        ModelEntry(
            "naive", "Naive forecast", "Predicts that the series stays at its last value: the baseline to beat.",
            modes=("one_step", "seq2vec"), book_mode="one_step",
        ),
        ModelEntry(
            "linear", "Linear model", "Flatten -> Dense: a weighted sum of the last n_steps values (51 parameters).",
            modes=("one_step", "iterative", "seq2vec"), book_mode="one_step", builder=build_linear,
            count=_count_linear, fixed_length=True, jit_compile=False,
        ),
        ModelEntry(
            "simple_rnn", "Simple RNN (one neuron)", "A single recurrent neuron, SimpleRNN(1): only 3 parameters.",
            modes=("one_step", "iterative"), book_mode="one_step", builder=build_simple_rnn,
            count=_count_simple_rnn,
            book_learning_rate={"one_step": 0.005, "iterative": 0.005},
        ),
        ModelEntry(
            "deep_rnn", "Deep RNN", "Stacked SimpleRNN(20) layers ending in a SimpleRNN(1) output layer.",
            modes=("one_step", "iterative"), book_mode="one_step", params=RECURRENT_PARAMS,
            defaults=_STACK_DEFAULTS, builder=build_deep_rnn, count=_count_deep_rnn,
            param_help=_RNN_HELP,
        ),
        ModelEntry(
            "deep_rnn_dense", "Deep RNN + Dense output",
            "Stacked SimpleRNN(20) layers with a Dense output layer: faster and as accurate.",
            modes=ALL_MODES, book_mode="one_step", params=RECURRENT_PARAMS, defaults=_STACK_DEFAULTS,
            builder=recurrent_builder("simple_rnn", "deep_rnn_dense"), count=_count_stack(simple_rnn_params), book_learning_rate={"seq2seq": 0.01}, param_help=_RNN_HELP,
        ),
        ModelEntry(
            "layernorm_rnn", "RNN with layer normalization",
            "Custom cell: SimpleRNNCell -> LayerNormalization -> tanh, stacked, with a Dense output.",
            modes=ALL_MODES, book_mode="seq2seq", params=RECURRENT_PARAMS, defaults=_STACK_DEFAULTS,
            builder=recurrent_builder("layernorm_rnn", "layernorm_rnn"), count=_count_stack(layernorm_rnn_params), param_help=_RNN_HELP,
        ),
        ModelEntry(
            "lstm", "LSTM", "Long short-term memory layers (gated cells with a long-term state), Dense output.",
            modes=ALL_MODES, book_mode="seq2seq", params=RECURRENT_PARAMS, defaults=_STACK_DEFAULTS,
            builder=recurrent_builder("lstm", "lstm"), count=_count_stack(lstm_params),
            param_help=_RNN_HELP,
        ),
        ModelEntry(
            "gru", "GRU", "Gated recurrent unit layers (a lighter LSTM), Dense output.",
            modes=ALL_MODES, book_mode="seq2seq", params=RECURRENT_PARAMS, defaults=_STACK_DEFAULTS,
            builder=recurrent_builder("gru", "gru"), count=_count_stack(gru_params),
            param_help=_RNN_HELP,
        ),
        ModelEntry(
            "conv_gru", "Conv1D + GRU",
            "A strided 1-D convolution shortens the sequence, then GRU layers forecast from it.",
            modes=("one_step", "seq2vec", "seq2seq"), book_mode="seq2seq",
            params=("filters", "kernel_size", "strides", *RECURRENT_PARAMS),
            defaults={"filters": 20, "kernel_size": 4, "strides": 2, **_STACK_DEFAULTS},
            builder=build_conv_gru, count=_count_conv_gru, check=_check_conv_gru,
            param_help={**_CONV_HELP, **_RNN_HELP},
        ),
        ModelEntry(
            "wavenet", "WaveNet",
            "Causal convolutions with dilation rates 1, 2, 4, 8 (twice): a long reach with few parameters.",
            modes=("seq2seq",), book_mode="seq2seq", params=("filters", "kernel_size", "dilations"),
            defaults={"filters": 20, "kernel_size": 2, "dilations": (1, 2, 4, 8, 1, 2, 4, 8)},
            builder=build_wavenet, count=_count_wavenet, param_help=_CONV_HELP,
            jit_compile=False,
        ),
    )
}


def get_entry(name: Any) -> ModelEntry:
    """The registry entry for ``name``; an unknown name raises ValueError listing the valid ones."""
    if not isinstance(name, str) or name not in REGISTRY:
        raise ValueError(f"unknown model {name!r}: allowed {', '.join(REGISTRY)}")
    return REGISTRY[name]


def build_model(experiment: "Experiment"):
    """Build the (uncompiled) Keras model of ``experiment``. Imports Keras."""
    entry = get_entry(experiment.model.name)
    if entry.builder is None:
        raise ValueError(f"model {entry.name!r} is a baseline computed without a network; there is nothing to build")
    return entry.builder(experiment)
