"""What data, which model, how to train: three frozen specs composed into an :class:`Experiment`.

Every value is checked by its field (:data:`rnnlab.config.fields.FIELDS`) when a spec is built, against the
operator limits in force (:func:`rnnlab.config.limits.limits`); a bad value raises
:class:`~rnnlab.errors.FieldError` naming the field. A value left as ``None`` takes the field's default (the
book's, or the model's where its registry entry says so), brought within the operator's limits.
``Experiment.key()`` is the SHA-256 of the canonical JSON of the experiment: it names the Dask job and the
run-store folder.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass, field
from typing import Any, Mapping

from rnnlab.config.fields import FIELDS, section_fields
from rnnlab.config.limits import Limits, limits, using_limits
from rnnlab.config.sections import SPECS, ModelSpec, SeriesSpec, TrainSpec
from rnnlab.errors import FieldError
from rnnlab.models.registry import ModelEntry, get_entry
from rnnlab.series import catalog, windows

#: Bumped whenever a change would make an old stored result differ from a new run of the same experiment.
SCHEMA_VERSION = 2
SECTIONS = ("series", "model", "train")


@dataclass(frozen=True)
class Experiment:
    """One training experiment: data, model and training settings. Hashable, comparable, picklable."""

    series: SeriesSpec = field(default_factory=SeriesSpec)
    model: ModelSpec = field(default_factory=ModelSpec)
    train: TrainSpec = field(default_factory=TrainSpec)

    def __post_init__(self) -> None:
        for name, cls in SPECS.items():
            if not isinstance(getattr(self, name), cls):
                raise FieldError(None, f"Experiment.{name} must be a {cls.__name__}, got "
                                       f"{type(getattr(self, name)).__name__}")
        mode, horizon = self.model.mode, self.series.horizon
        if mode == "one_step" and horizon != 1:
            raise FieldError("mode", f"mode='one_step' needs horizon=1, got horizon={horizon}: for several steps "
                                     "ahead choose iterative, seq2vec or seq2seq")
        if mode in ("iterative", "seq2vec") and horizon < 2:
            raise FieldError("mode", f"mode={mode!r} forecasts several steps: it needs horizon of at least 2, got "
                                     f"{horizon}")
        entry = self.model.entry
        entry.check(self)
        if self.series.real and not entry.trainable and self.series.scaling != "global":
            # a forecaster without a network forecasts in the series' own units: whatever scaling the page's
            # widgets held, one run (and key) per set of windows, the one the yardsticks make
            object.__setattr__(self, "series", dataclasses.replace(self.series, scaling="global"))
        if self.series.real and not entry.trainable and self.series.start != FIELDS["start"].default:
            # nor does it start anywhere: one key for it, whatever the page's widgets held
            object.__setattr__(self, "series", dataclasses.replace(self.series, start=FIELDS["start"].default))
        if mode == "iterative" and self.series.scaling in ("relative", "window"):
            raise FieldError("scaling", f"scaling={self.series.scaling!r} frames each window by its own last value "
                                        "or mean, which a forecast fed back as the next input would shift; with "
                                        "mode='iterative' use difference or global")
        if self.series.final and not entry.trainable:
            raise FieldError("final", f"final=1 refits a network on all the data; {entry.display_name} needs no "
                                      "final model: its forecast past the end already comes from all the data")
        n_params = entry.count_params(self)
        lim = limits()
        if n_params is not None and n_params > lim.max_params:
            raise FieldError(None, f"this model would have {n_params:,} parameters: allowed at most "
                                   f"{lim.max_params:,} (this instance's limit, RNNLAB_MAX_PARAMS); use fewer units "
                                   "or layers")

    # -- construction ---------------------------------------------------------------------------
    @classmethod
    def book(cls, name: str, mode: str | None = None, horizon: int | None = None) -> "Experiment":
        """The book's experiment for model ``name``: its data, architecture, optimizer and learning rate, within
        the operator's limits.

        Args:
            name: a registry name (``python -m rnnlab list``).
            mode: forecast mode; defaults to the mode the book uses for this model.
            horizon: steps ahead; defaults to 1 for ``one_step`` and 10 otherwise.
        """
        values: dict[str, Any] = {"model": name}
        if mode is not None:
            values["mode"] = mode
        if horizon is not None:
            values["horizon"] = horizon
        return build(values, strict=True).experiment

    def backtest(self, folds: int) -> list["Experiment"]:
        """The experiments of a rolling-origin backtest with ``folds`` folds, one per fold (each its own key, so
        the store and the job queue treat them as ordinary runs). A real series only."""
        if not self.series.real:
            raise FieldError("folds", "a backtest needs a real series (--dataset or --data): the generated series "
                                      "has no time order to roll through")
        return [self.replace(folds=folds, fold=fold) for fold in range(1, FIELDS["folds"].check(folds, limits()) + 1)]

    def replace(self, **changes: Any) -> "Experiment":
        """A copy with flat field changes applied, e.g. ``exp.replace(epochs=2, units=8)``."""
        return Experiment.from_flat({**self.to_flat(), **changes})

    # -- serialisation ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Nested plain-JSON dictionary: ``{"series": {...}, "model": {...}, "train": {...}}``. A field added after
        the first schema is left out while it is unset (the generated data's ``data``, for one), so keys made
        before it existed stay the same."""
        out = {section: dataclasses.asdict(getattr(self, section)) for section in SECTIONS}
        for f in FIELDS.values():
            value = out[f.section].get(f.attribute)
            if f.since > 1 and (value is None or value == f.default):
                del out[f.section][f.attribute]
        if out["model"]["dilations"] is not None:
            out["model"]["dilations"] = list(out["model"]["dilations"])
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, lim: Limits | None = None) -> "Experiment":
        """Inverse of :meth:`to_dict`. Unknown sections or fields raise FieldError naming them.

        ``lim`` checks against other limits than the environment's (``Limits.unbounded()`` reads a stored run
        trained before the operator tightened them)."""
        if not isinstance(data, Mapping):
            raise FieldError(None, "an experiment must be a mapping with series, model and train, got "
                                   f"{type(data).__name__}")
        unknown = set(data) - set(SECTIONS)
        if unknown:
            raise FieldError(None, f"unknown experiment sections: {', '.join(sorted(unknown))}; allowed: "
                                   f"{', '.join(SECTIONS)}")
        parts = {}
        with using_limits(lim) if lim is not None else contextlib.nullcontext():
            for section, spec_cls in SPECS.items():
                values = data.get(section, {})
                if not isinstance(values, Mapping):
                    raise FieldError(None, f"experiment section {section!r} must be a mapping")
                names = {f.name for f in dataclasses.fields(spec_cls)}
                bad = set(values) - names
                if bad:
                    raise FieldError(None, f"unknown {spec_cls.__name__} fields: {', '.join(sorted(bad))}; allowed: "
                                           f"{', '.join(sorted(names))}")
                if section == "series" and catalog.is_real(values.get("data")):
                    # a later field left out of a stored real run meant the table's default then, whatever the
                    # real series' default is now (a run stored with global scaling before "scaling" existed)
                    values = {**{f.attribute: f.default for f in FIELDS.values() if f.section == "series"
                                 and f.since > 1 and f.real_default is not None}, **values}
                parts[section] = spec_cls(**values)
            return cls(**parts)

    def to_flat(self) -> dict[str, Any]:
        """Flat ``{field: value}`` view, keyed by the field table's names. Fields a model does not use are left
        out."""
        flat = {}
        for f in FIELDS.values():
            value = getattr(getattr(self, f.section), f.attribute)
            if value is not None:
                flat[f.name] = value
        return flat

    @classmethod
    def from_flat(cls, params: Mapping[str, Any]) -> "Experiment":
        """Build from flat values, text included (as URL query parameters or CLI options arrive).

        Missing fields take the book's defaults for the chosen model (including its learning rate), within the
        operator's limits; an unknown name or a bad value raises FieldError naming it and what is allowed.
        """
        return parse_flat(params, strict=True).experiment

    # -- identity ---------------------------------------------------------------------------------
    def canonical_json(self) -> str:
        """Canonical JSON (sorted keys, no spaces, schema version included): the input of :meth:`key`."""
        return canonical_json(self.to_dict())

    def key(self) -> str:
        """SHA-256 hex digest of :meth:`canonical_json`: equal experiments give equal keys everywhere."""
        return experiment_key(self.to_dict())

    def series_key(self) -> str:
        """Key of the data alone (SeriesSpec): runs sharing it were trained and scored on the same series."""
        payload = json.dumps(self.to_dict()["series"], sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def describe(self) -> str:
        """Short human label, e.g. ``'lstm · seq2seq · horizon 10 · 20 epochs'``."""
        return (
            f"{self.model.name} · {self.model.mode} · horizon {self.series.horizon} · "
            f"{self.train.epochs} epoch{'s' if self.train.epochs != 1 else ''}"
        )


def stored_experiment(data: Mapping[str, Any]) -> Experiment:
    """The experiment of a stored run (``Experiment.to_dict()``), whatever the operator's limits are now."""
    return Experiment.from_dict(data, lim=Limits.unbounded())


def canonical_json(experiment: Mapping[str, Any]) -> str:
    """Canonical JSON of an experiment dictionary (``Experiment.to_dict()``), schema version included."""
    payload = {"schema": SCHEMA_VERSION, **experiment}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), allow_nan=False)


def experiment_key(experiment: Mapping[str, Any]) -> str:
    """SHA-256 of :func:`canonical_json`: the key of a stored experiment dictionary, without re-validating it
    (stored runs stay readable when an operator tightens the limits)."""
    return hashlib.sha256(canonical_json(experiment).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------------------------------
# Flat values: URL query parameters, CLI options, widgets
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Parsed:
    """An experiment built from flat values, with what could not be used and which defaults were lowered."""

    experiment: Experiment
    #: In lenient parsing: each value that was unknown, unreadable or refused, and what was used instead.
    problems: list[str]
    #: Defaults (the book's) above the operator's limits, and the value used instead.
    clamped: list[str]


def _shown(text: Any) -> str:
    text = str(text)
    return text if len(text) <= 40 else text[:40] + "…"


def fallback_mode(entry: ModelEntry, horizon: int | None) -> str:
    """The mode a model forecasts in when none is asked for: its book mode, or one that suits ``horizon``."""
    if horizon is None:
        return entry.book_mode
    if horizon == 1:
        return next((m for m in ("one_step", "seq2seq") if m in entry.modes), entry.book_mode)
    return entry.book_mode if entry.book_mode != "one_step" else entry.modes[-1]


def clamped_defaults(entry: ModelEntry, mode: str, lim: Limits | None = None, skip: Any = (),
                     data: str | None = None) -> list[str]:
    """What the operator's limits change in the book's settings for model ``entry`` in ``mode`` on ``data``: one
    line per field whose book value is above the instance's limit (fields in ``skip`` left out)."""
    lim = lim or limits()
    notes = []
    for f in FIELDS.values():
        if f.name in skip or f.kind == "choice" or (f.model_param and f.name not in entry.params) \
                or not f.applies_to(data):
            continue
        default = f.default_for(entry, mode, data)
        if default is None:
            continue
        value = f.clamp(default, lim)
        if value != default:
            if f.kind == "ints":
                notes.append(f"{f.name}: the book's {f.shown(default)} has more entries than this instance allows "
                             f"({f.count_bounds(lim)[1]}); using {f.shown(value)}")
            else:
                notes.append(f"{f.name}: {f.shown(default)} is above this instance's limit of "
                             f"{f.shown(f.bounds(lim)[1])}; using {f.shown(value)}")
    return notes


def parse_flat(params: Mapping[str, Any], *, strict: bool = False) -> Parsed:
    """Build an experiment from flat, untrusted values (URL query parameters, CLI options), by the field table.

    Args:
        params: ``{field: value}``; values may be text. Field names are those of :data:`FIELDS`.
        strict: raise FieldError on the first problem instead of collecting it.

    Returns:
        :class:`Parsed`. In lenient mode every unknown, unreadable or refused value is replaced by the
        model's default and described in ``problems``; the experiment is always valid.
    """
    problems: list[str] = []
    values: dict[str, Any] = {}
    for name, raw in params.items():
        f = FIELDS.get(name)
        try:
            if f is None:
                raise FieldError(None, f"unknown parameter {_shown(name)!r}: known parameters are "
                                       f"{', '.join(FIELDS)}")
            values[name] = f.parse(raw)
        except FieldError as exc:
            if strict:
                raise
            problems.append(f"{exc}; {'it was ignored' if f is None else 'the default was used instead'}")
    return build(values, strict=strict, problems=problems)


def build(values: Mapping[str, Any], *, strict: bool = False, problems: list[str] | None = None,
          _retry: int = 2) -> Parsed:
    """Build an experiment from parsed flat values: missing fields take the defaults of the chosen model and
    mode (within the operator's limits); see :func:`parse_flat`."""
    b = _Builder(values, strict, list(problems or []))
    try:
        series = b.make("series")
    except FieldError as exc:  # a real series too short for even the default windows
        if strict:
            raise
        b.problems.append(f"{exc}; the generated series was used instead")
        values = {k: v for k, v in b.values.items() if k not in ("data", "mode") and FIELDS[k].section != "series"}
        again = build({**values, "model": b.name}, strict=False, _retry=_retry)
        return Parsed(again.experiment, b.problems + again.problems, again.clamped)
    model, train = b.make("model"), b.make("train")
    try:
        return Parsed(Experiment(series=series, model=model, train=train), b.problems, b.clamped)
    except FieldError as exc:
        if strict:
            raise
        if exc.field == "model":  # a real-series forecaster (ETS, ...) on the generated series: the default model
            b.problems.append(f"{exc}; the default model was used instead")
            values = {k: v for k, v in b.values.items() if k != "model" and FIELDS[k].section != "model"}
            again = build(values, strict=False, _retry=_retry)
            return Parsed(again.experiment, b.problems + again.problems, again.clamped)
        if exc.field == "final":  # a final model of a forecaster that needs none: the forecaster itself
            b.problems.append(f"{exc}; it was ignored")
            again = build({**{k: v for k, v in b.values.items() if k != "final"}, "model": b.name}, strict=False,
                          _retry=_retry)
            return Parsed(again.experiment, b.problems + again.problems, again.clamped)
        # The combination is refused (mode against horizon, too many parameters, a convolution longer than the
        # input): keep the data and the training settings, take the model's defaults in a mode that fits.
        b.problems.append(f"{exc}; the model's book settings were used instead")
    kept: dict[str, Any] = {"model": b.name}
    if _retry == 2:
        for section, spec in (("series", series), ("train", train)):
            kept.update({f.name: getattr(spec, f.attribute) for f in section_fields(section)
                         if getattr(spec, f.attribute) is not None})
    elif not _retry:  # the book's experiment for the model (within the limits) itself was refused
        raise FieldError(None, f"no experiment for model {b.name!r} fits this instance's limits")
    again = build(kept, strict=False, _retry=_retry - 1)
    return Parsed(again.experiment, b.problems + again.problems, again.clamped)


class _Builder:
    """One :func:`build`: the values checked one by one, then each section made from them and the defaults, a
    refused value replaced by its default (lenient) or raised (strict)."""

    def __init__(self, values: Mapping[str, Any], strict: bool, problems: list[str]) -> None:
        self.strict, self.problems, self.lim = strict, problems, limits()
        self.values = dict(values)
        self.name = self._model()
        self.entry = get_entry(self.name)
        self._mode()
        self.data, self.info = self._data()
        self._each_value()
        self.given = set(self.values)
        self.mode = self.values.get("mode") or fallback_mode(self.entry, self.values.get("horizon"))
        self.values.update(mode=self.mode, data=self.data)
        self.clamped = clamped_defaults(self.entry, self.mode, self.lim, skip=self.given, data=self.data)

    def refuse(self, exc: FieldError, instead: str) -> None:
        if self.strict:
            raise exc
        self.problems.append(f"{exc}; {instead}")

    def _model(self) -> str:
        model_field = FIELDS["model"]
        try:
            return model_field.check(self.values.pop("model", model_field.default), self.lim)
        except FieldError as exc:
            self.refuse(exc, f"{model_field.default!r} was used instead")
            return model_field.default

    def _mode(self) -> None:
        if "mode" not in self.values:
            return
        try:
            mode = FIELDS["mode"].check(self.values["mode"], self.lim)
            if mode not in self.entry.modes:
                raise FieldError("mode", f"mode={mode!r} is not available for model {self.name!r}: allowed "
                                         f"{', '.join(self.entry.modes)}")
        except FieldError as exc:
            self.refuse(exc, "the default was used instead")
            del self.values["mode"]

    def _data(self) -> tuple[str, Any]:
        data = self.values.pop("data", catalog.GENERATED)
        try:
            data = FIELDS["data"].check(data, self.lim)
            return data, catalog.info(data) if catalog.is_real(data) else None
        except FieldError as exc:
            self.refuse(exc, "the generated series was used instead")
            return catalog.GENERATED, None

    def _each_value(self) -> None:
        """Each value on its own first; the combinations are checked when the sections are made."""
        for f in [FIELDS[n] for n in self.values if n != "mode"]:
            if (f.model_param and f.name not in self.entry.params) or not f.applies_to(self.data):
                if f.refused and self.values[f.name] not in (None, False, 0, "0", ""):
                    self.refuse(FieldError(f.name, f.refused), "it was ignored")
                del self.values[f.name]  # a setting this model or series does not have (a link made for another)
                continue
            try:
                self.values[f.name] = f.check(self.values[f.name], self.lim)
            except FieldError as exc:
                self.refuse(exc, "the default was used instead")
                del self.values[f.name]

    def default(self, f: Any) -> Any:
        """Field ``f``'s default for this model, mode and series, within the limits."""
        info, values = self.info, self.values
        value = info.season if f.name == "season" and info is not None else f.default_for(self.entry, self.mode,
                                                                                          self.data)
        if f.name == "n_steps" and info is not None:
            value = real_input(info, values.get("horizon") or self.default(FIELDS["horizon"]),
                               values.get("train_fraction") or self.default(FIELDS["train_fraction"]))
        return None if value is None else f.clamp(value, self.lim)

    def least_stride(self, spec: SeriesSpec) -> int:
        """The smallest stride that keeps the training windows within the limit on windows per training."""
        where = windows.periods(self.info.points, spec.train_fraction, spec.valid_fraction, spec.folds, spec.fold,
                                final=bool(spec.final))
        count = windows.window_count(0, where.train_end, spec.n_steps, spec.horizon)
        return max(1, math.ceil(count / self.lim.max_series))

    def _checked_series(self, spec: SeriesSpec) -> SeriesSpec:
        """A real series' windows checked against the series, and its stride set or checked."""
        if self.info is None:
            return spec
        windows.check(self.info.points, spec.n_steps, spec.horizon, spec.train_fraction, spec.valid_fraction,
                      spec.folds, spec.fold, series=catalog.load(self.data), final=bool(spec.final))
        least = self.least_stride(spec)
        if spec.stride is None:
            return dataclasses.replace(spec, stride=least)
        if spec.stride < least:
            raise FieldError("stride", f"stride={spec.stride} would take more than {self.lim.max_series:,} "
                                       f"training windows (this instance's limit, RNNLAB_MAX_SERIES): "
                                       f"allowed {least} or more")
        return spec

    def make(self, section: str) -> Any:
        """The ``section`` spec from the values given and the defaults; a value it refuses is replaced by its
        default (then all of the section's, when the defaults themselves are what does not fit)."""
        fields_ = [f for f in section_fields(section) if f.name not in ("model", "mode")
                   and not (f.model_param and f.name not in self.entry.params) and f.applies_to(self.data)]
        kwargs = {f.attribute: self.values[f.name] if f.name in self.values else self.default(f) for f in fields_}
        if section == "model":
            kwargs.update(name=self.name, mode=self.mode)
        mine = {f.name for f in fields_} & self.given
        while True:
            try:
                spec = SPECS[section](**kwargs)
                return self._checked_series(spec) if section == "series" else spec
            except FieldError as exc:
                if self.strict:
                    raise
                if exc.field in mine:
                    self.problems.append(f"{exc}; the default was used instead")
                    mine.discard(exc.field)
                    kwargs[FIELDS[exc.field].attribute] = self.default(FIELDS[exc.field])
                    continue
                if not mine:  # the defaults themselves do not fit this series
                    raise
                self.problems.append(f"{exc}; the defaults were used instead")
                kwargs.update({f.attribute: self.default(f) for f in fields_})
                mine.clear()


def real_input(info: catalog.SeriesInfo, horizon: int, train_fraction: float,
               rule: str = windows.REAL_INPUT_RULE) -> int:
    """The input length ``rule`` (:data:`windows.INPUT_RULES`; by default the real series' default,
    docs/scalings.md) gives a real series: a few of its seasons, short enough for a short series to leave training
    windows, within the operator's limit."""
    value = windows.seasonal_input(info.points, info.season, train_fraction, rule)
    return FIELDS["n_steps"].clamp(windows.longest_input(info.points, horizon, train_fraction, value), limits())


def to_query(experiment: Experiment) -> dict[str, str]:
    """The experiment as link parameters: the model, its mode, and every value that differs from the book's
    for that model and mode (short links; :func:`parse_flat` fills the rest back in exactly)."""
    entry, mode, data = experiment.model.entry, experiment.model.mode, experiment.series.data
    out = {"model": experiment.model.name, "mode": mode}
    for f in FIELDS.values():
        value = getattr(getattr(experiment, f.section), f.attribute)
        if f.name in out or value is None:
            continue
        if f.name == "season":
            default = catalog.info(data).season
        elif f.name == "n_steps" and experiment.series.real:  # as the link parser fills it in
            s = experiment.series
            default = real_input(catalog.info(data), s.horizon, s.train_fraction)
        else:
            default = f.default_for(entry, mode, data)
        if value != default:
            out[f.name] = f.text(value)
    return out
