"""Experiment configuration: what data, which model, how to train.

Three frozen dataclasses, one per concern, compose into an :class:`Experiment`:

* :class:`SeriesSpec` — how the synthetic series are generated and split (the book's defaults);
* :class:`ModelSpec` — which registry model, which forecast mode, and its hyperparameters;
* :class:`TrainSpec` — epochs, batch size, optimizer, learning rate, seed.

Every field is checked when the object is built; a bad value raises ``ValueError`` naming the field, the
value and what is allowed. The same checks guard every entry point (widgets, URL query parameters, the
CLI), so nothing can bypass them. ``Experiment.key()`` is the SHA-256 of the canonical JSON of the
experiment: it names the cache entry, the Dask job and the run-store folder.

This module is plain Python (no NumPy, no TensorFlow) so the web process can import it cheaply.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from dataclasses import dataclass, field, fields
from typing import Any, Mapping

#: Bumped whenever a change would make an old stored result differ from a new run of the same experiment.
SCHEMA_VERSION = 1

MODES = ("one_step", "iterative", "seq2vec", "seq2seq")
MODE_LABELS = {
    "one_step": "One step ahead",
    "iterative": "Several steps, iterative (one-step model rolled forward)",
    "seq2vec": "Several steps, sequence-to-vector (all steps at once)",
    "seq2seq": "Sequence-to-sequence (a forecast at every time step)",
}
OPTIMIZERS = ("adam", "sgd", "rmsprop", "nadam")


# --------------------------------------------------------------------------------------------------
# Limits: what a shared instance accepts. Read from the environment so an operator can tighten them.
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Limits:
    """Upper bounds applied to every experiment, from ``RNNLAB_MAX_*`` environment variables."""

    max_series: int = 20_000
    max_steps: int = 500
    max_horizon: int = 50
    max_epochs: int = 200
    max_units: int = 256
    max_layers: int = 6
    max_params: int = 2_000_000

    ENV = {
        "max_series": "RNNLAB_MAX_SERIES",
        "max_steps": "RNNLAB_MAX_STEPS",
        "max_horizon": "RNNLAB_MAX_HORIZON",
        "max_epochs": "RNNLAB_MAX_EPOCHS",
        "max_units": "RNNLAB_MAX_UNITS",
        "max_layers": "RNNLAB_MAX_LAYERS",
        "max_params": "RNNLAB_MAX_PARAMS",
    }

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Limits":
        """Build the limits from ``environ`` (default ``os.environ``); a bad value raises ValueError."""
        environ = os.environ if environ is None else environ
        values = {}
        for name, var in cls.ENV.items():
            value = env_int(environ, var)
            if value is not None:
                values[name] = value
        return cls(**values)


def env_int(environ: Mapping[str, str], var: str, *, low: int = 1) -> int | None:
    """The whole number in environment variable ``var``; None when it is unset or blank.

    A value that is not a whole number of at least ``low`` raises ValueError naming the variable, the value
    and what is allowed (the operator reads it in the server's log or the CLI's error).
    """
    raw = (environ.get(var) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or value < low:
        raise ValueError(f"{var}={raw!r} must be a whole number of at least {low}")
    return value


def limits() -> Limits:
    """The limits in force now (re-read from the environment on every call; it is cheap)."""
    return Limits.from_env()


# --------------------------------------------------------------------------------------------------
# Field checks
# --------------------------------------------------------------------------------------------------
def _check_int(owner: str, name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ValueError(f"{owner}.{name}={value!r} must be a whole number between {low} and {high}")
    if not low <= value <= high:
        raise ValueError(f"{owner}.{name}={value} is out of range: allowed {low} to {high}")
    return value


def _check_float(owner: str, name: str, value: Any, low: float, high: float, *, open_low: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{owner}.{name}={value!r} must be a number between {low:g} and {high:g}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{owner}.{name}={value} must be a finite number between {low:g} and {high:g}")
    too_low = value <= low if open_low else value < low
    if too_low or value > high:
        bracket = "(" if open_low else "["
        raise ValueError(f"{owner}.{name}={value:g} is out of range: allowed {bracket}{low:g}, {high:g}]")
    return value


def _check_choice(owner: str, name: str, value: Any, choices: tuple[str, ...]) -> str:
    if value not in choices:
        raise ValueError(f"{owner}.{name}={value!r} is not one of: {', '.join(choices)}")
    return value


def _set(obj: Any, name: str, value: Any) -> None:
    # Frozen dataclasses normalise their own fields in __post_init__ (ints from integral floats, etc.).
    object.__setattr__(obj, name, value)


# --------------------------------------------------------------------------------------------------
# The three specs
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SeriesSpec:
    """How the synthetic series are generated and split. Defaults are the book's.

    Each series is ``wave1_amplitude * sin((t - o1) * f1) + wave2_amplitude * sin((t - o2) * f2)`` plus
    uniform noise of total width ``noise``, with ``t`` in [0, 1], offsets ``o`` uniform in [0, 1) and
    frequencies ``f`` uniform in ``[freq_min, freq_max)``. A series has ``n_steps + horizon`` values: the
    first ``n_steps`` are the model's input, the last ``horizon`` are to be forecast.
    """

    n_series: int = 10_000
    n_steps: int = 50
    horizon: int = 1
    seed: int = 42
    wave1_amplitude: float = 0.5
    wave1_freq_min: float = 10.0
    wave1_freq_max: float = 20.0
    wave2_amplitude: float = 0.2
    wave2_freq_min: float = 20.0
    wave2_freq_max: float = 40.0
    noise: float = 0.1
    train_fraction: float = 0.7
    valid_fraction: float = 0.2

    def __post_init__(self) -> None:
        lim = limits()
        o = "SeriesSpec"
        _set(self, "n_series", _check_int(o, "n_series", self.n_series, 100, lim.max_series))
        _set(self, "n_steps", _check_int(o, "n_steps", self.n_steps, 5, lim.max_steps))
        _set(self, "horizon", _check_int(o, "horizon", self.horizon, 1, lim.max_horizon))
        _set(self, "seed", _check_int(o, "seed", self.seed, 0, 2**32 - 1))
        for wave in ("wave1", "wave2"):
            _set(self, f"{wave}_amplitude", _check_float(o, f"{wave}_amplitude", getattr(self, f"{wave}_amplitude"), 0.0, 10.0))
            lo = _check_float(o, f"{wave}_freq_min", getattr(self, f"{wave}_freq_min"), 0.0, 200.0)
            hi = _check_float(o, f"{wave}_freq_max", getattr(self, f"{wave}_freq_max"), 0.0, 200.0)
            if hi < lo:
                raise ValueError(
                    f"{o}.{wave}_freq_max={hi:g} is below {wave}_freq_min={lo:g}: the maximum must be at least the minimum"
                )
            _set(self, f"{wave}_freq_min", lo)
            _set(self, f"{wave}_freq_max", hi)
        _set(self, "noise", _check_float(o, "noise", self.noise, 0.0, 10.0))
        _set(self, "train_fraction", _check_float(o, "train_fraction", self.train_fraction, 0.05, 0.95))
        _set(self, "valid_fraction", _check_float(o, "valid_fraction", self.valid_fraction, 0.05, 0.9))
        test_fraction = 1.0 - self.train_fraction - self.valid_fraction
        if test_fraction < 0.05 - 1e-9:
            raise ValueError(
                f"{o}.train_fraction + valid_fraction = {self.train_fraction + self.valid_fraction:g} leaves "
                f"{max(test_fraction, 0):.2f} for the test set: allowed at most 0.95 together"
            )
        for name, size in zip(("train", "valid", "test"), self.split_sizes()):
            if size < 10:
                raise ValueError(
                    f"{o}: the {name} split has only {size} series (n_series={self.n_series}); it needs at least 10"
                )

    def split_sizes(self) -> tuple[int, int, int]:
        """Number of series in the train, validation and test splits (the book's 7000 / 2000 / 1000)."""
        n_train = int(round(self.n_series * self.train_fraction))
        n_valid = int(round(self.n_series * self.valid_fraction))
        return n_train, n_valid, self.n_series - n_train - n_valid

    @property
    def length(self) -> int:
        """Values per generated series: inputs plus the values to forecast."""
        return self.n_steps + self.horizon


@dataclass(frozen=True)
class ModelSpec:
    """Which registry model to train, how it forecasts, and its hyperparameters.

    Hyperparameters a model does not use are stored as ``None`` so that they never change the experiment's
    key. Use :meth:`ModelSpec.book` to get the book's settings for a model.
    """

    name: str = "linear"
    mode: str = "one_step"
    units: int | None = None
    layers: int | None = None
    filters: int | None = None
    kernel_size: int | None = None
    strides: int | None = None
    dilations: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        from rnnlab.models import get_entry  # registry metadata only: no Keras import

        o = "ModelSpec"
        entry = get_entry(self.name)  # raises ValueError listing valid names
        _check_choice(o, "mode", self.mode, MODES)
        if self.mode not in entry.modes:
            raise ValueError(
                f"{o}.mode={self.mode!r} is not available for model {self.name!r}: allowed {', '.join(entry.modes)}"
            )
        lim = limits()
        bounds = {
            "units": (1, lim.max_units),
            "layers": (1, lim.max_layers),
            "filters": (1, lim.max_units),
            "kernel_size": (1, 16),
            "strides": (1, 8),
        }
        for name, (low, high) in bounds.items():
            value = getattr(self, name)
            if name not in entry.params:
                _set(self, name, None)
                continue
            if value is None:
                value = entry.defaults[name]
            _set(self, name, _check_int(o, name, value, low, high))
        if "dilations" in entry.params:
            value = self.dilations if self.dilations is not None else entry.defaults["dilations"]
            if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
                raise ValueError(f"{o}.dilations={value!r} must be a list of whole numbers, e.g. 1,2,4,8")
            value = tuple(value)
            if not 1 <= len(value) <= 4 * lim.max_layers:
                raise ValueError(f"{o}.dilations has {len(value)} entries: allowed 1 to {4 * lim.max_layers}")
            _set(self, "dilations", tuple(_check_int(o, "dilations", d, 1, 128) for d in value))
        else:
            _set(self, "dilations", None)

    @classmethod
    def book(cls, name: str, mode: str | None = None) -> "ModelSpec":
        """The book's settings for model ``name`` (in its book mode unless ``mode`` is given)."""
        from rnnlab.models import get_entry

        entry = get_entry(name)
        return cls(name=name, mode=mode or entry.book_mode)


@dataclass(frozen=True)
class TrainSpec:
    """How the model is fitted. Defaults are the book's (20 epochs, batch 32, Adam at 1e-3, seed 42)."""

    epochs: int = 20
    batch_size: int = 32
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    seed: int = 42

    def __post_init__(self) -> None:
        o = "TrainSpec"
        _set(self, "epochs", _check_int(o, "epochs", self.epochs, 1, limits().max_epochs))
        _set(self, "batch_size", _check_int(o, "batch_size", self.batch_size, 1, 4096))
        _check_choice(o, "optimizer", self.optimizer, OPTIMIZERS)
        _set(self, "learning_rate", _check_float(o, "learning_rate", self.learning_rate, 0.0, 1.0, open_low=True))
        _set(self, "seed", _check_int(o, "seed", self.seed, 0, 2**31 - 1))


# --------------------------------------------------------------------------------------------------
# The experiment
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Experiment:
    """One training experiment: data, model and training settings. Hashable, comparable, picklable."""

    series: SeriesSpec = field(default_factory=SeriesSpec)
    model: ModelSpec = field(default_factory=ModelSpec)
    train: TrainSpec = field(default_factory=TrainSpec)

    def __post_init__(self) -> None:
        for name, cls in (("series", SeriesSpec), ("model", ModelSpec), ("train", TrainSpec)):
            if not isinstance(getattr(self, name), cls):
                raise ValueError(f"Experiment.{name} must be a {cls.__name__}, got {type(getattr(self, name)).__name__}")
        mode, horizon = self.model.mode, self.series.horizon
        if mode == "one_step" and horizon != 1:
            raise ValueError(
                f"ModelSpec.mode='one_step' needs horizon=1, got horizon={horizon}: for several steps ahead choose "
                "iterative, seq2vec or seq2seq"
            )
        if mode in ("iterative", "seq2vec") and horizon < 2:
            raise ValueError(f"ModelSpec.mode={mode!r} forecasts several steps: it needs horizon of at least 2, got {horizon}")
        from rnnlab.models import get_entry

        entry = get_entry(self.model.name)
        if entry.check is not None:
            entry.check(self)
        n_params = entry.count_params(self)
        lim = limits()
        if n_params is not None and n_params > lim.max_params:
            raise ValueError(
                f"this model would have {n_params:,} parameters: allowed at most {lim.max_params:,} "
                "(use fewer units or layers)"
            )

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def book(cls, name: str, mode: str | None = None, horizon: int | None = None) -> "Experiment":
        """The book's experiment for model ``name``: its data, architecture, optimizer and learning rate.

        Args:
            name: a registry name (``python -m rnnlab list``).
            mode: forecast mode; defaults to the mode the book uses for this model.
            horizon: steps ahead; defaults to 1 for ``one_step`` and 10 otherwise.
        """
        from rnnlab.models import get_entry

        entry = get_entry(name)
        mode = mode or entry.book_mode
        if horizon is None:
            horizon = 1 if mode == "one_step" else 10
        lr = entry.book_learning_rate.get(mode, 1e-3)
        return cls(
            series=SeriesSpec(horizon=horizon),
            model=ModelSpec(name=name, mode=mode),
            train=TrainSpec(learning_rate=lr),
        )

    def replace(self, **changes: Any) -> "Experiment":
        """A copy with flat field changes applied, e.g. ``exp.replace(epochs=2, units=8)``."""
        flat = self.to_flat()
        flat.update(changes)
        return Experiment.from_flat(flat)

    # -- serialisation ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Nested plain-JSON dictionary: ``{"series": {...}, "model": {...}, "train": {...}}``."""
        model = dataclasses.asdict(self.model)
        if model["dilations"] is not None:
            model["dilations"] = list(model["dilations"])
        return {
            "series": dataclasses.asdict(self.series),
            "model": model,
            "train": dataclasses.asdict(self.train),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Experiment":
        """Inverse of :meth:`to_dict`. Unknown sections or fields raise ValueError naming them."""
        if not isinstance(data, Mapping):
            raise ValueError(f"an experiment must be a mapping with series, model and train, got {type(data).__name__}")
        unknown = set(data) - {"series", "model", "train"}
        if unknown:
            raise ValueError(f"unknown experiment sections: {', '.join(sorted(unknown))}; allowed: series, model, train")
        parts = {}
        for section, spec_cls in (("series", SeriesSpec), ("model", ModelSpec), ("train", TrainSpec)):
            values = data.get(section, {})
            if not isinstance(values, Mapping):
                raise ValueError(f"experiment section {section!r} must be a mapping")
            names = {f.name for f in fields(spec_cls)}
            bad = set(values) - names
            if bad:
                raise ValueError(
                    f"unknown {spec_cls.__name__} fields: {', '.join(sorted(bad))}; allowed: {', '.join(sorted(names))}"
                )
            values = dict(values)
            if values.get("dilations") is not None and isinstance(values["dilations"], list):
                values["dilations"] = tuple(values["dilations"])
            parts[section] = spec_cls(**values)
        return cls(**parts)

    def to_flat(self) -> dict[str, Any]:
        """Flat ``{field: value}`` view (field names are unique across the three specs; the train seed is
        ``train_seed``). Fields a model does not use are left out."""
        flat: dict[str, Any] = {}
        for section in ("series", "model", "train"):
            for name, value in self.to_dict()[section].items():
                if value is None:
                    continue
                flat[_FLAT_NAME.get((section, name), name)] = value
        flat["model"] = flat.pop("name")
        return flat

    @classmethod
    def from_flat(cls, params: Mapping[str, Any]) -> "Experiment":
        """Build from flat values, strings included (as URL query parameters or CLI options arrive).

        Missing fields take the book's defaults for the chosen model (including its learning rate); an
        unknown name or a value that does not parse raises ValueError naming it and what is allowed.
        """
        experiment, problems = parse_flat(params, strict=True)
        assert not problems  # strict parsing raises instead
        return experiment

    # -- identity ---------------------------------------------------------------------------------
    def canonical_json(self) -> str:
        """Canonical JSON (sorted keys, no spaces, schema version included): the input of :meth:`key`."""
        return canonical_json(self.to_dict())

    def key(self) -> str:
        """SHA-256 hex digest of :meth:`canonical_json`: equal experiments give equal keys everywhere."""
        return experiment_key(self.to_dict())

    def series_key(self) -> str:
        """Key of the data alone (SeriesSpec): runs sharing it were trained and scored on the same series."""
        payload = json.dumps(dataclasses.asdict(self.series), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def describe(self) -> str:
        """Short human label, e.g. ``'lstm · seq2seq · horizon 10 · 20 epochs'``."""
        return (
            f"{self.model.name} · {self.model.mode} · horizon {self.series.horizon} · "
            f"{self.train.epochs} epoch{'s' if self.train.epochs != 1 else ''}"
        )


def canonical_json(experiment: Mapping[str, Any]) -> str:
    """Canonical JSON of an experiment dictionary (``Experiment.to_dict()``), schema version included."""
    payload = {"schema": SCHEMA_VERSION, **experiment}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)


def experiment_key(experiment: Mapping[str, Any]) -> str:
    """SHA-256 of :func:`canonical_json`: the key of a stored experiment dictionary, without re-validating it
    (stored runs stay readable when an operator tightens the limits)."""
    return hashlib.sha256(canonical_json(experiment).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------------
# Flat parameters (URL query strings, CLI options)
# --------------------------------------------------------------------------------------------------
_FLAT_NAME = {("series", "seed"): "seed", ("train", "seed"): "train_seed", ("model", "name"): "name"}
_SERIES_FIELDS = {f.name: f for f in fields(SeriesSpec)}
_MODEL_FIELDS = {f.name: f for f in fields(ModelSpec) if f.name != "name"}
_TRAIN_FIELDS = {("train_seed" if f.name == "seed" else f.name): f for f in fields(TrainSpec)}
FLAT_FIELDS: tuple[str, ...] = ("model", *_SERIES_FIELDS, *_MODEL_FIELDS, *_TRAIN_FIELDS)
_INT_FIELDS = {
    "n_series", "n_steps", "horizon", "seed", "units", "layers", "filters", "kernel_size", "strides",
    "epochs", "batch_size", "train_seed",
}
_MAX_TEXT = 200


def _parse_value(name: str, raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    if len(text) > _MAX_TEXT:
        raise ValueError(f"{name}: value is {len(text)} characters long; at most {_MAX_TEXT} are accepted")
    if name in ("model", "mode", "optimizer"):
        return text
    if name == "dilations":
        try:
            return tuple(int(part) for part in text.replace(";", ",").split(",") if part.strip())
        except ValueError:
            raise ValueError(f"dilations={text!r} must be whole numbers separated by commas, e.g. 1,2,4,8") from None
    if name in _INT_FIELDS:
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                raise ValueError(f"{name}={text!r} is not a whole number") from None
            if not number.is_integer():
                raise ValueError(f"{name}={text!r} is not a whole number")
            return int(number)
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"{name}={text!r} is not a number") from None


def parse_flat(params: Mapping[str, Any], *, strict: bool = False) -> tuple[Experiment, list[str]]:
    """Build an experiment from flat, untrusted values (URL query parameters, CLI options).

    Args:
        params: ``{field: value}``; values may be strings. Field names are those of :data:`FLAT_FIELDS`.
        strict: raise ValueError on the first problem instead of collecting it.

    Returns:
        ``(experiment, problems)``: in lenient mode every unknown, unparsable or out-of-range parameter is
        dropped (the model's book default is used instead) and described in ``problems``; the experiment
        is always valid.
    """
    problems: list[str] = []

    def problem(message: str, instead: str = "the default was used instead") -> None:
        if strict:
            raise ValueError(message)
        problems.append(f"{message}; {instead}")

    from rnnlab.models import REGISTRY

    values: dict[str, Any] = {}
    for name, raw in params.items():
        if name not in FLAT_FIELDS:
            shown = name if len(str(name)) <= 40 else str(name)[:40] + "…"
            problem(f"unknown parameter {shown!r}: known parameters are {', '.join(FLAT_FIELDS)}", "it was ignored")
            continue
        try:
            values[name] = _parse_value(name, raw)
        except ValueError as exc:
            problem(str(exc))

    model_name = values.pop("model", "linear")
    if model_name not in REGISTRY:
        shown = model_name if len(str(model_name)) <= 40 else str(model_name)[:40] + "…"
        problem(f"unknown model {shown!r}: allowed {', '.join(REGISTRY)}", "'linear' was used instead")
        model_name = "linear"
    entry = REGISTRY[model_name]

    def fallback_mode(horizon: int) -> str:
        if horizon == 1 and "one_step" in entry.modes:
            return "one_step"
        if horizon == 1:
            return "seq2seq"
        return entry.book_mode if entry.book_mode != "one_step" else entry.modes[-1]

    # Build each spec, dropping offending fields one at a time in lenient mode.
    def build(spec_cls, names: dict[str, Any], extra: dict[str, Any]):
        kwargs = {k: v for k, v in values.items() if k in names}
        kwargs = {("seed" if k == "train_seed" else k): v for k, v in kwargs.items()}
        kwargs.update(extra)
        while True:
            try:
                return spec_cls(**kwargs)
            except ValueError as exc:
                if strict:
                    raise
                culprit = _culprit(str(exc), kwargs)
                if culprit is None:
                    problems.append(f"{exc}; the defaults were used instead")
                    return spec_cls(**extra)
                problems.append(f"{exc}; the default was used instead")
                kwargs.pop(culprit)

    series = build(SeriesSpec, _SERIES_FIELDS, {})
    mode = values.get("mode")
    if mode is None:
        mode = fallback_mode(series.horizon)
    model_values = {k: v for k, v in values.items() if k in _MODEL_FIELDS}
    model_values["mode"] = mode
    values.update(model_values)
    model = build(ModelSpec, _MODEL_FIELDS, {"name": model_name})
    train_extra = {}
    if "learning_rate" not in values:
        train_extra["learning_rate"] = entry.book_learning_rate.get(model.mode, 1e-3)
    train = build(TrainSpec, _TRAIN_FIELDS, train_extra)
    try:
        return Experiment(series=series, model=model, train=train), problems
    except ValueError as exc:
        if strict:
            raise
        # The combination is wrong (mode vs horizon, or too many parameters): keep the data, use the
        # model's book settings in a mode that fits the horizon.
        problems.append(f"{exc}; the model's book settings were used instead")
        model = ModelSpec(name=model_name, mode=fallback_mode(series.horizon))
        try:
            return Experiment(series=series, model=model, train=train), problems
        except ValueError as exc2:
            problems.append(f"{exc2}; the book's experiment for {model_name!r} was used instead")
            return Experiment.book(model_name), problems


def _culprit(message: str, kwargs: Mapping[str, Any]) -> str | None:
    """The field a spec's ValueError message names (``Spec.field=...``), if it is one we set."""
    for name in kwargs:
        if f".{name}=" in message or f".{name} " in message:
            return name
    for name in kwargs:
        if name in message:
            return name
    return None


#: One-line explanations of every flat parameter: CLI help and the dashboard's tooltips.
FIELD_HELP: dict[str, str] = {
    "model": "Model to train (python -m rnnlab list shows them all).",
    "n_series": "How many series to generate (the book: 10,000).",
    "n_steps": "Input length: time steps the model sees before forecasting (the book: 50).",
    "horizon": "How many future steps to forecast (1 = next value; the book also does 10).",
    "seed": "Seed of the data generator (the book: 42). Same seed, same series.",
    "wave1_amplitude": "Amplitude of the slow sine wave (the book: 0.5).",
    "wave1_freq_min": "Lowest angular frequency of the slow wave (the book: 10).",
    "wave1_freq_max": "Highest angular frequency of the slow wave (the book: 20).",
    "wave2_amplitude": "Amplitude of the fast sine wave (the book: 0.2).",
    "wave2_freq_min": "Lowest angular frequency of the fast wave (the book: 20).",
    "wave2_freq_max": "Highest angular frequency of the fast wave (the book: 40).",
    "noise": "Width of the uniform noise added to every value (the book: 0.1, i.e. ±0.05).",
    "train_fraction": "Share of the series used for training (the book: 0.7).",
    "valid_fraction": "Share used for validation (the book: 0.2); the rest is the test set.",
    "mode": "Forecast mode: one_step, iterative, seq2vec or seq2seq.",
    "units": "Neurons per recurrent layer.",
    "layers": "Number of stacked recurrent layers.",
    "filters": "Filters per convolution layer.",
    "kernel_size": "Time steps each convolution window covers.",
    "strides": "Step between convolution windows.",
    "dilations": "Dilation rate of each causal convolution, comma-separated (e.g. 1,2,4,8).",
    "epochs": "Passes over the training set (the book: 20).",
    "batch_size": "Series per gradient step (the book: 32).",
    "optimizer": "Optimizer: adam, sgd, rmsprop or nadam (the book: adam).",
    "learning_rate": "Optimizer step size (the book: 0.001; 0.005 for SimpleRNN(1); 0.01 for its seq2seq RNN).",
    "train_seed": "Seed of weight initialisation and shuffling (the book: 42).",
}
