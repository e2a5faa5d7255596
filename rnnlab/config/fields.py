"""The field table: every experiment setting, declared once.

A :class:`Field` says what a setting is called (its flat name is also its URL parameter, its CLI flag
``--flat-name`` and its widget key), which spec it belongs to, its type, its bounds (a number, or the operator
limit that caps it), its default (the book's; a model's registry entry or the forecast mode may say otherwise),
its help text, and how its widget looks. Spec validation (:mod:`rnnlab.config.specs`), the dashboard's widgets,
the CLI's flags, link parsing and writing (:func:`rnnlab.config.specs.parse_flat`,
:func:`rnnlab.config.specs.to_query`) and every help text derive from
:data:`FIELDS`; nothing else states a bound or a default.

Plain Python: the web process imports it cheaply.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from rnnlab.config.limits import Limits
from rnnlab.errors import FieldError
from rnnlab.models.registry import REGISTRY, ModelEntry, get_entry
from rnnlab.series import catalog, scaling, windows

MODES = ("one_step", "iterative", "seq2vec", "seq2seq")
MODE_LABELS = {
    "one_step": "One step ahead",
    "iterative": "Several steps, iterative (one-step model rolled forward)",
    "seq2vec": "Several steps, sequence-to-vector (all steps at once)",
    "seq2seq": "Sequence-to-sequence (a forecast at every time step)",
}
OPTIMIZER_LABELS = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop", "nadam": "Nadam"}
OPTIMIZERS = tuple(OPTIMIZER_LABELS)
#: Where a network on a real series starts (the ``start`` field; rnnlab.training.fit.start_at_zero).
START_LABELS = {"zero": "Zero (naive)", "random": "Random (book)"}
#: Longest text accepted for one value (URL parameters and CLI options are untrusted).
MAX_TEXT = 200

#: A bound: a number, the name of a :class:`~rnnlab.config.limits.Limits` attribute, or a function of them.
Bound = int | float | str | Callable[[Limits], int] | None


def _data_label(data_id: str) -> str:
    if data_id == catalog.GENERATED:
        return "Generated: the book's sine waves"
    if data_id in catalog.bundled_names():
        return catalog.bundled_meta(data_id)["title"]
    return f"Uploaded file ({data_id})"


def _resolve(bound: Bound, lim: Limits) -> Any:
    if isinstance(bound, str):
        return getattr(lim, bound)
    if callable(bound):
        return bound(lim)
    return bound


def _number(value: float) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


@dataclass(frozen=True)
class Field:
    """One experiment setting. See the module docstring for what derives from it."""

    name: str
    section: str  #: ``series``, ``model`` or ``train``: the spec that holds it
    kind: str  #: ``int``, ``float``, ``choice``, ``ints`` (whole numbers, written ``1,2,4``) or ``bool`` (``1``/``0``)
    label: str
    help: str
    default: Any = None
    low: int | float | None = None
    high: Bound = None  #: for ``ints``, the bound of each entry
    count: tuple[int, Bound] | None = None  #: for ``ints``: how many entries (at least, at most)
    choices: tuple[str, ...] | Callable[[], tuple[str, ...]] = ()
    choice_label: Callable[[str], str] | None = None
    group: str = ""  #: where the widget sits: data, waves, splits, model, training
    widget: str = ""  #: number, select, radio or text; by kind when empty
    step: int | float | None = None
    format: str | None = None
    attr: str = ""  #: the spec's attribute when it differs from the flat name (``train_seed`` -> ``seed``)
    mode_defaults: Mapping[str, Any] = field(default_factory=dict)
    #: A hyperparameter only some models use; the registry entry's ``params`` says which.
    model_param: bool = False
    #: The data it applies to: ``all``, ``generated`` (the book's generator) or ``real`` (a real series).
    applies: str = "all"
    #: The default on a real series, where it differs.
    real_default: Any = None
    #: The schema version that added it: a field added later is left out of an experiment's canonical form
    #: while it is unset, so every key made before it stays the same.
    since: int = 1
    #: Its command-line option when it is not ``--flat-name``.
    cli: str = ""
    #: Why it is refused when set on data it does not apply to (a value a link made for other data carries is
    #: otherwise ignored); empty: ignored.
    refused: str = ""

    # -- names --------------------------------------------------------------------------------------------
    @property
    def attribute(self) -> str:
        """The attribute of the spec that stores this field."""
        return self.attr or self.name

    @property
    def flag(self) -> str:
        """The command-line option: ``--n-series``."""
        return self.cli or "--" + self.name.replace("_", "-")

    @property
    def widget_kind(self) -> str:
        """The widget that edits it: ``number``, ``select``, ``radio`` or ``text``."""
        return self.widget or {"int": "number", "float": "number", "choice": "select", "ints": "text",
                               "bool": "checkbox"}[self.kind]

    def options(self) -> tuple[str, ...]:
        """The allowed values of a choice field."""
        return self.choices() if callable(self.choices) else self.choices

    def option_label(self, value: str) -> str:
        """How a choice is shown in a widget."""
        return self.choice_label(value) if self.choice_label else value

    # -- bounds -------------------------------------------------------------------------------------------
    def bounds(self, lim: Limits) -> tuple[Any, Any]:
        """``(low, high)`` under the limits ``lim`` (of each entry, for a list)."""
        return self.low, _resolve(self.high, lim)

    def count_bounds(self, lim: Limits) -> tuple[int, int]:
        """How many entries a list field may have under ``lim``."""
        if self.count is None:
            raise TypeError(f"{self.name} is not a list field")
        return self.count[0], _resolve(self.count[1], lim)

    def limit_name(self) -> str | None:
        """The operator limit that caps this field (or its entries), if any."""
        return self.high if isinstance(self.high, str) else None

    def allowed(self, lim: Limits) -> str:
        """What is allowed, in words: ``1 to 200``, ``one of: adam, sgd``."""
        if self.kind == "choice":
            return "one of: " + ", ".join(self.options())
        if self.kind == "bool":
            return "1 (yes) or 0 (no)"
        low, high = self.bounds(lim)
        if self.kind == "ints":
            n_low, n_high = self.count_bounds(lim)
            return f"{n_low} to {n_high} whole numbers from {low} to {_number(high)}"
        return f"{_number(low)} to {_number(high)}"

    # -- checking -----------------------------------------------------------------------------------------
    def check(self, value: Any, lim: Limits) -> Any:
        """``value`` normalised (whole floats to ints, lists to tuples), or FieldError saying what is allowed."""
        if self.kind == "int":
            return self._check_int(self.name, value, *self.bounds(lim))
        if self.kind == "float":
            return self._check_float(value, *self.bounds(lim))
        if self.kind == "bool":
            if value in (0, 1):  # True, False, 1, 0 (and 1.0, 0.0)
                return bool(value)
            raise FieldError(self.name, f"{self.name}={value!r} must be 1 (yes) or 0 (no)")
        if self.kind == "choice":
            if self.name == "model":
                try:
                    return get_entry(value).name
                except ValueError as exc:
                    raise FieldError(self.name, str(exc)) from None
            if self.name == "data":
                return catalog.check_id(value)
            if value not in self.options():
                raise FieldError(self.name, f"{self.name}={value!r} is not one of: {', '.join(self.options())}")
            return value
        if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
            raise FieldError(self.name, f"{self.name}={value!r} must be a list of whole numbers, e.g. 1,2,4,8")
        value = tuple(value)
        n_low, n_high = self.count_bounds(lim)
        if not n_low <= len(value) <= n_high:
            raise FieldError(self.name, f"{self.name} has {len(value)} entries: allowed {n_low} to {n_high}")
        return tuple(self._check_int(self.name, item, *self.bounds(lim)) for item in value)

    def _check_int(self, name: str, value: Any, low: int, high: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise FieldError(self.name, f"{name}={value!r} must be a whole number between {low} and {high}")
        if not low <= value <= high:
            raise FieldError(self.name, f"{name}={value} is out of range: allowed {low} to {high}"
                             + self._limit_hint())
        return value

    def _check_float(self, value: Any, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise FieldError(self.name, f"{self.name}={value!r} must be a number between {low:g} and {high:g}")
        value = float(value)
        if not math.isfinite(value):
            raise FieldError(self.name, f"{self.name}={value} must be a finite number between {low:g} and {high:g}")
        if not low <= value <= high:
            raise FieldError(self.name, f"{self.name}={value:g} is out of range: allowed {low:g} to {high:g}")
        return value

    def _limit_hint(self) -> str:
        name = self.limit_name() or (self.count[1] if self.count and isinstance(self.count[1], str) else None)
        if name is None:
            return ""
        env = next(d["env"] for d in Limits.declarations() if d["name"] == name)
        return f" (this instance's limit, {env})"

    # -- text: URL parameters, CLI options, text widgets ---------------------------------------------------
    def parse(self, raw: Any) -> Any:
        """The value written as ``raw`` (text from a link, the command line or a text widget); values that
        are not text are returned as they are, for :meth:`check`. Unreadable text raises FieldError."""
        if not isinstance(raw, str):
            return raw
        text = raw.strip()
        if len(text) > MAX_TEXT:
            raise FieldError(self.name, f"{self.name}: value is {len(text)} characters long; at most {MAX_TEXT} "
                                        "are accepted")
        if self.kind == "choice":
            return text
        if self.kind == "bool":
            words = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}
            if text.lower() not in words:
                raise FieldError(self.name, f"{self.name}={text!r} must be 1 (yes) or 0 (no)")
            return words[text.lower()]
        if self.kind == "ints":
            try:
                return tuple(int(part) for part in text.replace(";", ",").split(",") if part.strip())
            except ValueError:
                raise FieldError(self.name, f"{self.name}={text!r} must be whole numbers separated by commas, "
                                            "e.g. 1,2,4,8") from None
        if self.kind == "int":
            try:
                return int(text)
            except ValueError:
                pass
            try:
                number = float(text)
            except ValueError:
                number = math.nan
            if not number.is_integer():
                raise FieldError(self.name, f"{self.name}={text!r} is not a whole number")
            return int(number)
        try:
            return float(text)
        except ValueError:
            raise FieldError(self.name, f"{self.name}={text!r} is not a number") from None

    def text(self, value: Any) -> str:
        """``value`` written so that :meth:`parse` gives it back exactly (floats in their shortest exact form)."""
        if self.kind == "ints":
            return ",".join(str(v) for v in value)
        if self.kind == "float":
            return repr(float(value))
        if self.kind == "bool":
            return "1" if value else "0"
        return str(value)

    def shown(self, value: Any) -> str:
        """``value`` for people to read: thousands separated, floats short, lists comma-separated."""
        return self.text(value) if self.kind in ("ints", "choice", "bool") else _number(value)

    def widget_value(self, value: Any) -> Any:
        """``value`` as its widget holds it (text for a list, the value itself otherwise)."""
        return self.text(value) if self.widget_kind == "text" else value

    # -- defaults -----------------------------------------------------------------------------------------
    def applies_to(self, data: str | None) -> bool:
        """Whether the field means anything for this data source (the waves mean nothing on a real series)."""
        return self.applies == "all" or (self.applies == "real") == catalog.is_real(data)

    def default_for(self, entry: ModelEntry | None = None, mode: str | None = None, data: str | None = None) -> Any:
        """The book's value for model ``entry`` in forecast ``mode`` on ``data``: the entry's own default (per
        mode, then for the model), the real series' or the mode's, or the table's."""
        if self.name == "mode":
            return entry.book_mode if entry is not None else get_entry(FIELDS["model"].default).book_mode
        if catalog.is_real(data) and self.real_default is not None:
            return self.real_default
        if entry is not None:
            if self.name in entry.mode_defaults.get(mode, {}):
                return entry.mode_defaults[mode][self.name]
            if self.name in entry.defaults:
                return entry.defaults[self.name]
        return self.mode_defaults.get(mode, self.default)

    def clamp(self, value: Any, lim: Limits) -> Any:
        """``value`` brought within the operator's limit (a default never exceeds what the instance allows)."""
        low, high = self.bounds(lim)
        if self.kind == "ints":
            _, n_high = self.count_bounds(lim)
            return tuple(min(item, high) for item in value[:n_high])
        if self.kind in ("int", "float") and high is not None:
            return min(value, high)
        return value

    def help_for(self, entry: ModelEntry | None = None, mode: str | None = None, data: str | None = None) -> str:
        """The help text with the default for this model, mode and data (the book's, on its own data)."""
        if self.name == "n_steps" and catalog.is_real(data):
            return f"{self.help} (default: {windows.REAL_INPUT_TEXT})"
        default = self.default_for(entry, mode, data)
        if self.kind == "choice" or default is None:
            return self.help
        return f"{self.help} ({'default' if catalog.is_real(data) else 'the book'}: {self.shown(default)})"


_TABLE = (
    # -- which model (ModelSpec) ----------------------------------------------------------------------------
    Field("model", "model", "choice", "Model", "Model to train (python -m rnnlab list shows them all).",
          default="deep_rnn_dense", attr="name", group="model", choices=lambda: tuple(REGISTRY),
          choice_label=lambda name: REGISTRY[name].display_name),
    Field("mode", "model", "choice", "Forecast mode",
          "One step: the next value. Iterative: a one-step model fed its own forecasts. Sequence-to-vector: "
          "all future values at once. Sequence-to-sequence: a forecast at every time step (scored at the last "
          "one, as the book does).",
          choices=MODES, choice_label=MODE_LABELS.__getitem__, group="model", widget="radio"),
    # -- the data (SeriesSpec) ----------------------------------------------------------------------------
    Field("data", "series", "choice", "Series",
          "Where the series comes from: the book's generated sine waves, a real series shipped with rnnlab, "
          "or a CSV file you uploaded.",
          default=catalog.GENERATED, choices=lambda: (catalog.GENERATED, *catalog.bundled_names()),
          choice_label=_data_label, group="source", since=2, cli="--dataset"),
    Field("n_series", "series", "int", "Number of series", "How many series to generate.",
          default=10_000, low=100, high="max_series", group="data", step=500, applies="generated"),
    Field("n_steps", "series", "int", "Input steps (n_steps)",
          "Input length: time steps the model sees before forecasting.",
          default=50, low=5, high="max_steps", group="data", step=5),
    Field("horizon", "series", "int", "Steps ahead (horizon)",
          "How many future steps to forecast (1 = the next value).",
          default=1, low=1, high="max_horizon", group="data",
          mode_defaults={"iterative": 10, "seq2vec": 10, "seq2seq": 10}),
    Field("seed", "series", "int", "Data seed", "Seed of the data generator. Same seed, same series.",
          default=42, low=0, high=2**32 - 1, group="data", applies="generated"),
    Field("wave1_amplitude", "series", "float", "Slow wave: amplitude", "Amplitude of the slow sine wave.",
          default=0.5, low=0.0, high=10.0, group="waves", step=0.05, format="%.4g", applies="generated"),
    Field("wave1_freq_min", "series", "float", "Slow wave: lowest frequency",
          "Lowest angular frequency of the slow wave.",
          default=10.0, low=0.0, high=200.0, group="waves", step=1.0, format="%.4g", applies="generated"),
    Field("wave1_freq_max", "series", "float", "Slow wave: highest frequency",
          "Highest angular frequency of the slow wave (at least the lowest).",
          default=20.0, low=0.0, high=200.0, group="waves", step=1.0, format="%.4g", applies="generated"),
    Field("wave2_amplitude", "series", "float", "Fast wave: amplitude", "Amplitude of the fast sine wave.",
          default=0.2, low=0.0, high=10.0, group="waves", step=0.05, format="%.4g", applies="generated"),
    Field("wave2_freq_min", "series", "float", "Fast wave: lowest frequency",
          "Lowest angular frequency of the fast wave.",
          default=20.0, low=0.0, high=200.0, group="waves", step=1.0, format="%.4g", applies="generated"),
    Field("wave2_freq_max", "series", "float", "Fast wave: highest frequency",
          "Highest angular frequency of the fast wave (at least the lowest).",
          default=40.0, low=0.0, high=200.0, group="waves", step=1.0, format="%.4g", applies="generated"),
    Field("noise", "series", "float", "Noise width",
          "Width of the uniform noise added to every value (0.1 means ±0.05).",
          default=0.1, low=0.0, high=10.0, group="waves", step=0.01, format="%.4g", applies="generated"),
    Field("train_fraction", "series", "float", "Training share",
          "Share of the series used for training; with the validation share at most 0.95.",
          default=0.7, low=0.05, high=0.9, group="splits", step=0.05, format="%.4g"),
    Field("valid_fraction", "series", "float", "Validation share",
          "Share used for validation; the rest (at least 0.05) is the test set.",
          default=0.2, low=0.05, high=0.9, group="splits", step=0.05, format="%.4g", real_default=0.15),
    Field("stride", "series", "int", "Window stride",
          "Steps between the starts of two training windows (1: every window). By default the smallest that keeps "
          "one training within this instance's limit on windows (RNNLAB_MAX_SERIES).",
          low=1, high=10_000, group="real", applies="real", since=2),
    Field("season", "series", "int", "Season (steps)",
          "Steps back the seasonal-naive forecast looks: its forecast is the value one season earlier "
          "(by default the series' own: 7 for daily data, 12 for monthly, 52 for weekly, 24 for hourly).",
          low=1, high=1000, group="real", applies="real", since=2),
    Field("scaling", "series", "choice", "Scaling",
          "How a window's values are put on the network's scale. Global: the training period's mean and spread "
          "(values past its range, as a trend makes, are new to the network). Relative: each window minus its "
          "last input (the naive forecast is the zero output; a trend becomes a level). Per window: each window "
          "by its own mean and spread. First differences: the changes from step to step (the default on a real "
          "series: docs/scalings.md).",
          default="global", choices=scaling.SCALINGS, choice_label=scaling.LABELS.__getitem__, group="real",
          applies="real", since=2, real_default=scaling.REAL_DEFAULT,
          refused="scaling applies to a real series: the generated series are already on a common scale; use "
                  "--dataset NAME or --data FILE.csv"),
    Field("start", "series", "choice", "Network starts from",
          "Where a network's training starts. Zero output: its last layer starts at zero, so before training it "
          "forecasts the scaling's zero, which is the naive forecast with first differences or relative scaling "
          "(the mean with the others); it keeps what training taught it only if that beats the start on "
          "validation, and otherwise keeps the start (on a series that moves like a random walk nothing beats "
          "the naive forecast, and a network that tries only learns the noise); one that keeps its start "
          "forecasts past the end from the last window, with no final model (the default on a real series: "
          "README, 'Where a network starts', says why). Random: Keras' random initial weights, kept whatever the "
          "validation says (the book's way).",
          default="random", choices=tuple(START_LABELS), choice_label=START_LABELS.__getitem__, group="real",
          applies="real", since=2, real_default="zero",
          refused="start applies to a real series (a network's fallback to the naive forecast); use "
                  "--dataset NAME or --data FILE.csv"),
    Field("folds", "series", "int", "Backtest folds",
          "Rolling-origin backtest: the test period is cut into this many folds; each fold is forecast by a "
          "model trained on the past before it. Not all of it: the values before a fold's origin are split in the "
          "proportion of the training and validation shares, and the last valid / (train + valid) of them "
          "(0.15 / 0.85 = 17.6% with a real series' defaults) are the fold's validation period: no weight is "
          "fitted on them; the backtest's ranking and the choice of the best classical forecaster read them.",
          low=2, high=5, group="backtest", applies="real", since=2),
    Field("fold", "series", "int", "Fold", "Which fold of the backtest this training is (1 is the earliest).",
          low=1, high=5, group="backtest", applies="real", since=2),
    Field("final", "series", "bool", "Final model",
          "1: train on every window of the whole series (no validation or test period, so no scores) to forecast "
          "past its end with a model that saw all the data; pages and the CLI train it after the evaluated run "
          "and show its forecast.", default=False, group="final", widget="hidden", applies="real", since=2,
          refused="final=1 refits a network on all of a real series to forecast past its end: the generated "
                  "series has no end to forecast past; use --dataset NAME or --data FILE.csv"),
    # -- the model's hyperparameters (ModelSpec; the registry entry says which a model uses) -------------
    Field("units", "model", "int", "Units", "Neurons per recurrent layer.",
          default=20, low=1, high="max_units", group="model", model_param=True),
    Field("layers", "model", "int", "Layers", "Recurrent layers stacked on top of each other.",
          default=2, low=1, high="max_layers", group="model", model_param=True),
    Field("filters", "model", "int", "Filters", "Convolution filters (output channels) per Conv1D layer.",
          default=20, low=1, high="max_units", group="model", model_param=True),
    Field("kernel_size", "model", "int", "Kernel size", "Time steps each convolution looks at.",
          default=2, low=1, high=16, group="model", model_param=True),
    Field("strides", "model", "int", "Strides", "Step between convolution windows: 2 halves the sequence.",
          default=1, low=1, high=8, group="model", model_param=True),
    Field("dilations", "model", "ints", "Dilation rates",
          "Dilation rate of each causal convolution layer, comma-separated; each doubling doubles the reach.",
          default=(1, 2, 4, 8), low=1, high=128, count=(1, lambda lim: 4 * lim.max_layers), group="model",
          model_param=True),
    # -- the training (TrainSpec) -------------------------------------------------------------------------
    Field("epochs", "train", "int", "Epochs", "Passes over the training set.",
          default=20, low=1, high="max_epochs", group="training"),
    Field("batch_size", "train", "int", "Batch size", "Series per gradient step.",
          default=32, low=1, high=4096, group="training"),
    Field("optimizer", "train", "choice", "Optimizer", "The optimizer (the book: Adam).",
          default="adam", choices=OPTIMIZERS, choice_label=OPTIMIZER_LABELS.__getitem__, group="training"),
    Field("learning_rate", "train", "float", "Learning rate", "Optimizer step size.",
          default=1e-3, low=1e-6, high=1.0, group="training", step=1e-4, format="%.4g"),
    Field("train_seed", "train", "int", "Training seed", "Seed of weight initialisation and shuffling.",
          default=42, low=0, high=2**31 - 1, attr="seed", group="training"),
)

#: Every experiment setting by flat name, in the order widgets and help list them.
FIELDS: dict[str, Field] = {f.name: f for f in _TABLE}


def section_fields(section: str) -> list[Field]:
    """The fields of one spec (``series``, ``model`` or ``train``), in table order."""
    return [f for f in FIELDS.values() if f.section == section]


def group_fields(group: str) -> list[Field]:
    """The fields whose widgets sit together (``data``, ``waves``, ``splits``, ``model``, ``training``)."""
    return [f for f in FIELDS.values() if f.group == group]
