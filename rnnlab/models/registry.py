"""The model zoo: one registry from a model name to everything rnnlab knows about that model.

For a given experiment, a model is described as a list of :class:`Layer` objects. Everything else derives from
that one description: the Keras model (:func:`build_model`, in workers only), the parameter count checked
before anything is trained, the formula behind each layer's count (the Inspect page), the time steps a
sequence-to-sequence model forecasts from, and the layers of the exported standalone script
(:mod:`rnnlab.models.export`). Callers ask the registry entry; they never branch on a model's name.

Importing this module is cheap (no Keras): the web process lists models, checks experiments and counts
parameters with it. The output shape follows the forecast mode:

* ``one_step`` and ``iterative``: ``[batch, 1]`` (the next value; ``iterative`` rolls it forward);
* ``seq2vec``: ``[batch, horizon]`` (all future values from the last time step);
* ``seq2seq``: ``[batch, time, horizon]`` (at every time step, the next ``horizon`` values).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Mapping

from rnnlab.training import backend
from rnnlab.errors import FieldError

if TYPE_CHECKING:  # pragma: no cover
    from rnnlab.config import Experiment

ALL_MODES = ("one_step", "iterative", "seq2vec", "seq2seq")
RECURRENT_PARAMS = ("units", "layers")
RECURRENT_KINDS = ("SimpleRNN", "LSTM", "GRU", "LNSimpleRNN")


# --------------------------------------------------------------------------------------------------
# Parameter counts from layer shapes
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


# --------------------------------------------------------------------------------------------------
# The description of a model
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CustomCell:
    """A recurrent cell of rnnlab's own (:mod:`rnnlab.models.cells`), wrapped in ``keras.layers.RNN``."""

    class_name: str
    units: int

    def code(self) -> str:
        return f"{self.class_name}({self.units})"


@dataclass(frozen=True)
class Layer:
    """One layer of a model, as the builder, the parameter formulas and the exported script all read it.

    ``kind`` is a ``keras.layers`` class (Flatten, Dense, SimpleRNN, LSTM, GRU, Conv1D) or ``LNSimpleRNN``
    (the book's LayerNorm cell in a ``keras.layers.RNN``); ``inputs`` is the number of values that reach it
    per time step (per sample for a Dense layer after Flatten); ``units`` its units or filters.
    """

    kind: str
    name: str
    inputs: int
    units: int = 0
    return_sequences: bool = False
    kernel_size: int = 1
    strides: int = 1
    padding: str = "valid"
    dilation_rate: int = 1
    activation: str | None = None

    def params(self) -> int:
        """Trainable parameters, from the shapes alone."""
        counts = {"Flatten": lambda: 0, "Dense": lambda: dense_params(self.inputs, self.units),
                  "SimpleRNN": lambda: simple_rnn_params(self.inputs, self.units),
                  "LSTM": lambda: lstm_params(self.inputs, self.units),
                  "GRU": lambda: gru_params(self.inputs, self.units),
                  "LNSimpleRNN": lambda: layernorm_rnn_params(self.inputs, self.units),
                  "Conv1D": lambda: conv1d_params(self.inputs, self.units, self.kernel_size)}
        return counts[self.kind]()

    def formula(self) -> str:
        """Where :meth:`params` comes from, in words (the Inspect page and the lessons show it)."""
        i, u = self.inputs, self.units
        return {
            "Flatten": "no weights: reshapes the input",
            "Dense": f"{u} × ({i} inputs + 1 bias)",
            "SimpleRNN": f"{u} × ({i} inputs + {u} recurrent + 1 bias)",
            "LSTM": f"4 gates × {u} × ({i} inputs + {u} recurrent + 1 bias)",
            "GRU": f"3 gates × {u} × ({i} inputs + {u} recurrent + 2 biases)",
            "LNSimpleRNN": f"{u} × ({i} inputs + {u} recurrent + 1 bias) + 2 × {u} (LayerNorm scale, offset)",
            "Conv1D": f"{u} filters × ({self.kernel_size} taps × {i} channels + 1 bias)",
        }[self.kind]

    @property
    def recurrent(self) -> bool:
        return self.kind in RECURRENT_KINDS

    def keras_call(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        """``(keras.layers class, positional arguments, keyword arguments)`` that make this layer."""
        named = {"name": self.name}
        if self.kind == "Flatten":
            return "Flatten", (), named
        if self.kind == "Dense":
            return "Dense", (self.units,), named
        if self.kind == "LNSimpleRNN":
            return "RNN", (CustomCell("LNSimpleRNNCell", self.units),), {"return_sequences": self.return_sequences,
                                                                          **named}
        if self.recurrent:
            return self.kind, (self.units,), {"return_sequences": self.return_sequences, **named}
        kwargs: dict[str, Any] = {"kernel_size": self.kernel_size}
        if self.strides != 1:
            kwargs["strides"] = self.strides
        kwargs["padding"] = self.padding
        if self.dilation_rate != 1:
            kwargs["dilation_rate"] = self.dilation_rate
        if self.activation:
            kwargs["activation"] = self.activation
        return "Conv1D", (self.units,), {**kwargs, **named}

    def code(self) -> str:
        """The Python expression that makes this layer (``keras.layers.GRU(20, return_sequences=True, ...)``)."""
        cls, args, kwargs = self.keras_call()
        parts = [a.code() if isinstance(a, CustomCell) else repr(a) for a in args]
        parts += [f"{k}={v!r}" for k, v in kwargs.items()]
        return f"keras.layers.{cls}({', '.join(parts)})"


def output_size(experiment: "Experiment") -> int:
    """Values the model emits per prediction: 1 for one-step models, ``horizon`` otherwise."""
    return 1 if experiment.model.mode in ("one_step", "iterative") else experiment.series.horizon


def _returns_sequences(experiment: "Experiment", last: bool) -> bool:
    return experiment.model.mode == "seq2seq" or not last


def _linear(exp: "Experiment") -> list[Layer]:
    return [Layer("Flatten", "flatten", 1), Layer("Dense", "output", exp.series.n_steps, output_size(exp))]


def _simple_rnn(exp: "Experiment") -> list[Layer]:
    return [Layer("SimpleRNN", "rnn", 1, 1)]


def _deep_rnn(exp: "Experiment") -> list[Layer]:
    m = exp.model
    stack = [Layer("SimpleRNN", f"rnn_{i + 1}", 1 if i == 0 else m.units, m.units, return_sequences=True)
             for i in range(m.layers)]
    return [*stack, Layer("SimpleRNN", "rnn_output", m.units, 1)]


def _recurrent_stack(exp: "Experiment", kind: str, prefix: str, inputs: int) -> list[Layer]:
    m = exp.model
    return [Layer(kind, f"{prefix}_{i + 1}", inputs if i == 0 else m.units, m.units,
                  return_sequences=_returns_sequences(exp, i == m.layers - 1)) for i in range(m.layers)]


def _stacked(kind: str, prefix: str) -> Callable[["Experiment"], list[Layer]]:
    """Recurrent layers of one kind with a Dense head (the SimpleRNN, LSTM, GRU and LayerNorm stacks)."""

    def describe(exp: "Experiment") -> list[Layer]:
        stack = _recurrent_stack(exp, kind, prefix, 1)
        return [*stack, Layer("Dense", "output", exp.model.units, output_size(exp))]

    return describe


def _conv_gru(exp: "Experiment") -> list[Layer]:
    m = exp.model
    conv = Layer("Conv1D", "conv1d", 1, m.filters, kernel_size=m.kernel_size, strides=m.strides)
    return [conv, *_recurrent_stack(exp, "GRU", "gru", m.filters), Layer("Dense", "output", m.units, output_size(exp))]


def _wavenet(exp: "Experiment") -> list[Layer]:
    m = exp.model
    convs = [Layer("Conv1D", f"conv_dilation_{rate}_{i + 1}", 1 if i == 0 else m.filters, m.filters,
                   kernel_size=m.kernel_size, padding="causal", dilation_rate=rate, activation="relu")
             for i, rate in enumerate(m.dilations)]
    return [*convs, Layer("Conv1D", "output", m.filters, output_size(exp), kernel_size=1)]


def receptive_field(kernel_size: int, dilations: tuple[int, ...]) -> int:
    """Time steps a stack of causal dilated convolutions sees: ``1 + sum((kernel_size - 1) x rate)``."""
    return 1 + sum((kernel_size - 1) * rate for rate in dilations)


def kept_steps(layers: list[Layer], n_steps: int) -> list[int]:
    """Input time indices at which the last layer still has an output: a 'valid' strided Conv1D keeps only
    ``kernel_size - 1, kernel_size - 1 + strides, ...`` (the book's ``Y[:, 3::2]``)."""
    steps = list(range(n_steps))
    for layer in layers:
        if layer.kind == "Conv1D" and layer.padding == "valid":
            steps = steps[(layer.kernel_size - 1) * layer.dilation_rate::layer.strides]
    return steps


# --------------------------------------------------------------------------------------------------
# The registry
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelEntry:
    """Registry entry: what a model is, what it supports, its book settings, and its layers."""

    name: str
    display_name: str
    description: str
    modes: tuple[str, ...]
    book_mode: str
    #: The model's layers for an experiment; None for a forecaster without a network (baselines, classical).
    describe: Callable[["Experiment"], list[Layer]] | None = None
    #: The hyperparameter fields it uses (rnnlab.config.fields); the others are stored as None.
    params: tuple[str, ...] = ()
    #: Field defaults where the book differs from the field table, for every mode...
    defaults: Mapping[str, Any] = field(default_factory=dict)
    #: ...and for one mode only.
    mode_defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: The input has a fixed length (a Flatten layer): iterative forecasts slide a window over it.
    fixed_length: bool = False
    #: Compile with XLA where ``python -m rnnlab bench`` (docs/benchmarks.md) shows a clear speed-up (1.5x or
    #: more) and a validation MSE within 2% of the run without it: the recurrent models (2-7x faster, most equal
    #: to 1e-6). Off for the linear model (no speed-up) and WaveNet (its MSE moved by 3%).
    jit_compile: bool = True
    #: "network" (a Keras model trained by gradient descent), "baseline" (the naive and seasonal-naive forecasts)
    #: or "classical" (ETS, ARIMA, Theta, fitted by statsmodels on the workers): how a run of it is made.
    kind: str = "network"
    #: Only on a real series (bundled or uploaded): the generated series has no time order, no season and no
    #: training period to fit a classical model on.
    real_only: bool = False
    #: The :data:`rnnlab.forecasting.classical.METHODS` name that forecasts it (seasonal naive, ETS, ARIMA, Theta),
    #: fitted on the series itself; None for the networks and for the naive forecast, read off each window.
    method: str | None = None

    @property
    def trainable(self) -> bool:
        """False for baselines and classical forecasters (nothing for Keras to train)."""
        return self.describe is not None

    def layers(self, experiment: "Experiment") -> list[Layer]:
        """The model's layers for ``experiment`` (empty for the naive forecast)."""
        return [] if self.describe is None else self.describe(experiment)

    def input_shape(self, experiment: "Experiment") -> tuple[int | None, int]:
        """The shape of one input: ``(n_steps, 1)`` for a fixed-length model, ``(None, 1)`` (any length) else."""
        return (experiment.series.n_steps if self.fixed_length else None, 1)

    def count_params(self, experiment: "Experiment") -> int | None:
        """Parameter count computed from the layer shapes alone (no Keras), or None for the naive model."""
        return None if self.describe is None else sum(layer.params() for layer in self.layers(experiment))

    def output_steps(self, experiment: "Experiment") -> list[int] | None:
        """For a seq2seq model whose output sequence is shorter than its input (a strided convolution), the
        input time indices it forecasts from; None when every time step has an output."""
        if experiment.model.mode != "seq2seq":
            return None
        steps = kept_steps(self.layers(experiment), experiment.series.n_steps)
        return None if len(steps) == experiment.series.n_steps else steps

    def check(self, experiment: "Experiment") -> None:
        """Raise FieldError when the model cannot forecast this data: a real-series model on the generated series,
        or layers that cannot process the input (a convolution longer than it)."""
        if self.real_only and not experiment.series.real:
            raise FieldError("model", f"{self.display_name} ({self.name}) needs a real series: choose one with "
                                      "--dataset NAME or --data FILE (on the Train page, a bundled or uploaded "
                                      "series); the generated series has no time order or season to fit it on")
        if self.describe is not None and not kept_steps(self.layers(experiment), experiment.series.n_steps):
            raise FieldError("kernel_size", f"kernel_size={experiment.model.kernel_size} is longer than the input "
                                            f"(n_steps={experiment.series.n_steps}): it must be at most n_steps")

    def single_neuron(self, experiment: "Experiment") -> str | None:
        """The layer name of a model that is one recurrent neuron (its three weights can be shown), else None."""
        layers = self.layers(experiment)
        if len(layers) == 1 and layers[0].kind == "SimpleRNN" and layers[0].units == 1 == layers[0].inputs:
            return layers[0].name
        return None


def _forecaster(name: str, display_name: str, description: str, *, kind: str) -> "ModelEntry":
    """A forecaster fitted by rnnlab.forecasting.classical (its method has the entry's name): one step or a
    horizon at once, real series only."""
    return ModelEntry(name, display_name, description, modes=("one_step", "seq2vec"), book_mode="one_step",
                      kind=kind, real_only=True, method=name)


_STACK = {"params": RECURRENT_PARAMS}

REGISTRY: dict[str, ModelEntry] = {
    entry.name: entry
    for entry in (
        ModelEntry(
            "naive", "Naive forecast", "Predicts that the series stays at its last value: the baseline to beat.",
            modes=("one_step", "seq2vec"), book_mode="one_step", kind="baseline",
        ),
        ModelEntry(
            "linear", "Linear model", "Flatten -> Dense: a weighted sum of the last n_steps values (51 parameters).",
            modes=("one_step", "iterative", "seq2vec"), book_mode="one_step", describe=_linear, fixed_length=True,
            jit_compile=False,
        ),
        ModelEntry(
            "simple_rnn", "Simple RNN (one neuron)", "A single recurrent neuron, SimpleRNN(1): only 3 parameters.",
            modes=("one_step", "iterative"), book_mode="one_step", describe=_simple_rnn,
            defaults={"learning_rate": 0.005},
        ),
        ModelEntry(
            "deep_rnn", "Deep RNN", "Stacked SimpleRNN(20) layers ending in a SimpleRNN(1) output layer.",
            modes=("one_step", "iterative"), book_mode="one_step", describe=_deep_rnn, **_STACK,
        ),
        ModelEntry(
            "deep_rnn_dense", "Deep RNN + Dense output",
            "Stacked SimpleRNN(20) layers with a Dense output layer: faster and as accurate.",
            modes=ALL_MODES, book_mode="one_step", describe=_stacked("SimpleRNN", "simple_rnn"),
            mode_defaults={"seq2seq": {"learning_rate": 0.01}}, **_STACK,
        ),
        ModelEntry(
            "layernorm_rnn", "RNN with layer normalization",
            "Custom cell: SimpleRNNCell -> LayerNormalization -> tanh, stacked, with a Dense output.",
            modes=ALL_MODES, book_mode="seq2seq", describe=_stacked("LNSimpleRNN", "layernorm_rnn"), **_STACK,
        ),
        ModelEntry(
            "lstm", "LSTM", "Long short-term memory layers (gated cells with a long-term state), Dense output.",
            modes=ALL_MODES, book_mode="seq2seq", describe=_stacked("LSTM", "lstm"), **_STACK,
        ),
        ModelEntry(
            "gru", "GRU", "Gated recurrent unit layers (a lighter LSTM), Dense output.",
            modes=ALL_MODES, book_mode="seq2seq", describe=_stacked("GRU", "gru"), **_STACK,
        ),
        ModelEntry(
            "conv_gru", "Conv1D + GRU",
            "A strided 1-D convolution shortens the sequence, then GRU layers forecast from it.",
            modes=("one_step", "seq2vec", "seq2seq"), book_mode="seq2seq", describe=_conv_gru,
            params=("filters", "kernel_size", "strides", *RECURRENT_PARAMS),
            defaults={"kernel_size": 4, "strides": 2},
        ),
        ModelEntry(
            "wavenet", "WaveNet",
            "Causal convolutions with dilation rates 1, 2, 4, 8 (twice): a long reach with few parameters.",
            modes=("seq2seq",), book_mode="seq2seq", describe=_wavenet, params=("filters", "kernel_size", "dilations"),
            defaults={"dilations": (1, 2, 4, 8, 1, 2, 4, 8)}, jit_compile=False,
        ),
        _forecaster("seasonal_naive", "Seasonal naive forecast",
                    "Repeats the value one season earlier (real series; the last value when there is no season).",
                    kind="baseline"),
        _forecaster("ets", "ETS (exponential smoothing)",
                    "Error, trend and season chosen by AICc on the training period, as R's ets "
                    "(statsmodels; real series).",
                    kind="classical"),
        _forecaster("arima", "ARIMA",
                    "(Seasonal) ARIMA chosen by a stepwise AICc search, as R's auto.arima (statsmodels; real series).",
                    kind="classical"),
        _forecaster("theta", "Theta method",
                    "The Theta method with the series' season, refit at each origin (statsmodels; real series).",
                    kind="classical"),
    )
}


def get_entry(name: Any) -> ModelEntry:
    """The registry entry for ``name``; an unknown name raises ValueError listing the valid ones."""
    if not isinstance(name, str) or name not in REGISTRY:
        shown = str(name) if len(str(name)) <= 40 else str(name)[:40] + "…"
        raise FieldError("model", f"unknown model {shown!r}: allowed {', '.join(REGISTRY)}")
    return REGISTRY[name]


def build_model(experiment: "Experiment"):
    """Build the (uncompiled) Keras model of ``experiment`` from its description. Imports Keras (on the backend
    of ``RNNLAB_BACKEND``)."""
    backend.configure()
    import keras  # workers only: the web process never imports TensorFlow

    entry = get_entry(experiment.model.name)
    if not entry.trainable:
        raise ValueError(f"model {entry.name!r} is a baseline computed without a network; there is nothing to build")
    inputs = keras.Input(shape=entry.input_shape(experiment), name="series")
    x = inputs
    for layer in entry.layers(experiment):
        cls, args, kwargs = layer.keras_call()
        args = tuple(_custom_cell(a) if isinstance(a, CustomCell) else a for a in args)
        x = getattr(keras.layers, cls)(*args, **kwargs)(x)
    return keras.Model(inputs, x, name=entry.name)


def _custom_cell(cell: CustomCell):
    from rnnlab.models import cells  # subclasses Keras: workers only, the web process never imports TensorFlow

    return getattr(cells, cell.class_name)(cell.units)
