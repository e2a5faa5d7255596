"""Repeats and sweeps: many trainings of one experiment, as one request.

*Repeats* train an experiment with several training seeds (weight initialisation and shuffling; the data stay
the same), so a difference between two models can be told from the spread between seeds. A *sweep* trains a
grid of values of any fields of the field table (or a random sample of the grid), each cell with its repeats.
Every training is an ordinary experiment with its own key: the store answers the ones trained before, the job
queue runs the rest. Plain Python (no TensorFlow, no Streamlit): the web process and the CLI share it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from rnnlab.config import FIELDS, Experiment, Field, limits
from rnnlab.errors import FieldError
from rnnlab.store.runs import Spread

#: How many seeds a repeated experiment is trained with: declared once for the Train and Sweep pages and the CLI.
REPEATS = Field("repeats", "train", "int", "Repeats (seeds)",
                "Train each configuration with this many training seeds (the seed and the next ones) and show the "
                "mean and spread: differences smaller than the spread between seeds are noise.",
                default=5, low=1, high=10)
#: A random sample of the grid instead of all of it (0: every combination).
SAMPLE = Field("sample", "train", "int", "Random sample",
               "Train only this many combinations of the grid, drawn at random (0: all of them).",
               default=0, low=0, high=1000)
#: Most fields one sweep may vary, and most values per field.
MAX_SWEEP_FIELDS = 4
MAX_VALUES = 12
#: Fields a sweep cannot vary: the model is the sweep's subject; the training seed is what repeats vary.
NOT_SWEPT = ("model", "train_seed")


def sweepable(experiment: Experiment) -> list[Field]:
    """The fields a sweep of ``experiment`` can vary: those its model and data use."""
    entry, data = experiment.model.entry, experiment.series.data
    return [f for f in FIELDS.values() if f.name not in NOT_SWEPT and f.name not in ("folds", "fold", "final")
            and not (f.model_param and f.name not in entry.params) and f.applies_to(data)]


def value_separator(field: Field) -> str:
    """How the values of ``field`` are separated in ``--grid FIELD=...``: a list field's values contain commas."""
    return "|" if field.kind == "ints" else ","


def parse_values(experiment: Experiment, name: str, text: str) -> tuple[Field, tuple[Any, ...]]:
    """The field ``name`` and its checked, distinct values written as ``text`` (``5,10,20``; a list field's
    values are separated by ``|``: ``1,2,4|1,2,4,8``). FieldError says what is wrong and what is allowed."""
    name = name.strip().replace("-", "_")
    allowed = sweepable(experiment)
    field = FIELDS.get(name)
    if field is None or field not in allowed:
        why = "is not a setting" if field is None else (
            "is what repeats vary" if name == "train_seed" else
            f"is not used by {experiment.model.name} on this data" if name not in NOT_SWEPT else "cannot be swept")
        raise FieldError(name if field else None,
                         f"--grid {name[:40]}: {why}; fields you can sweep: {', '.join(f.name for f in allowed)}")
    raw = [part.strip() for part in text.split(value_separator(field))]
    if not text.strip() or any(not part for part in raw):
        raise FieldError(field.name, f"--grid {field.name}={text[:60]!r}: give values separated by "
                                     f"{value_separator(field)!r}, e.g. {field.name}={_example(field)}")
    values: list[Any] = []
    for part in raw:
        value = field.check(field.parse(part), limits())
        if value not in values:
            values.append(value)
    if len(values) > MAX_VALUES:
        raise FieldError(field.name, f"--grid {field.name}: {len(values)} values, at most {MAX_VALUES} per field")
    return field, tuple(values)


def _example(field: Field) -> str:
    if field.kind == "ints":
        return "1,2,4|1,2,4,8"
    if field.kind == "choice":
        return ",".join(field.options()[:2])
    return "5,10,20" if field.kind == "int" else "0.001,0.01"


def parse_grid(experiment: Experiment, specs: Iterable[str]) -> dict[str, tuple[Any, ...]]:
    """``["units=5,10", "layers=1,2"]`` as ``{"units": (5, 10), "layers": (1, 2)}``, every value checked."""
    grid: dict[str, tuple[Any, ...]] = {}
    for spec in specs:
        name, sep, text = spec.partition("=")
        if not sep:
            raise FieldError(None, f"--grid {spec[:60]!r}: write FIELD=value1,value2, e.g. units=5,10,20")
        field, values = parse_values(experiment, name, text)
        if field.name in grid:
            raise FieldError(field.name, f"--grid {field.name} is given twice: list all its values in one --grid")
        grid[field.name] = values
    if not grid:
        raise FieldError(None, "a sweep needs at least one --grid FIELD=value1,value2")
    if len(grid) > MAX_SWEEP_FIELDS:
        raise FieldError(None, f"a sweep varies at most {MAX_SWEEP_FIELDS} fields; this one varies {len(grid)}")
    return grid


def value_text(value: Any) -> str:
    """One value of a grid as it is written: ``10``, ``0.001``, ``adam``, a list field's ``1,2,4``."""
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value)
    return f"{value:g}" if isinstance(value, float) else str(value)


#: A sweep's own parameters in a link, beside the experiment's (:func:`rnnlab.config.to_query`).
GRID_PARAM, REPEATS_PARAM, SAMPLE_PARAM = "grid", "repeats", "sample"


def grid_text(grid: Mapping[str, Sequence[Any]]) -> str:
    """The grid as the ``grid`` link parameter: ``units=5,10,20;layers=1,2``."""
    return ";".join(f"{name}=" + value_separator(FIELDS[name]).join(value_text(v) for v in values)
                    for name, values in grid.items())


def parse_grid_text(experiment: Experiment, text: str) -> dict[str, tuple[Any, ...]]:
    """The ``grid`` link parameter read back, every value checked (FieldError when it is not a valid grid for
    ``experiment``)."""
    return parse_grid(experiment, [part for part in text.split(";") if part.strip()])


@dataclass(frozen=True)
class LinkedSweep:
    """What a link asks of a sweep: each part None when the link does not give it or gives it wrong, and
    ``problems`` saying, one sentence each, what could not be used."""

    grid: dict[str, tuple[Any, ...]] | None
    repeats: int | None
    sample: int | None
    problems: tuple[str, ...]


def read_link(experiment: Experiment, params: Mapping[str, str | None]) -> LinkedSweep:
    """The sweep around ``experiment`` that a link's ``grid``, ``repeats`` and ``sample`` parameters describe.

    A link is untrusted input: every value goes through its field, and what cannot be used is left out and named.
    """
    grid, counts, problems = None, {}, []
    if params.get(GRID_PARAM):
        try:
            grid = parse_grid_text(experiment, params[GRID_PARAM])
        except FieldError as exc:
            problems.append(f"The link's sweep could not be used: {exc}")
    for param, field in ((REPEATS_PARAM, REPEATS), (SAMPLE_PARAM, SAMPLE)):
        raw = params.get(param)
        if raw is not None:
            try:
                counts[param] = field.check(field.parse(raw), limits())
            except FieldError as exc:
                problems.append(f"The link's {param} could not be used: {exc}")
    return LinkedSweep(grid, counts.get(REPEATS_PARAM), counts.get(SAMPLE_PARAM), tuple(problems))


def seeds(experiment: Experiment, n: int) -> list[int]:
    """The training seeds of ``n`` repeats: the experiment's own seed and the next ones."""
    first = experiment.train.seed
    high = FIELDS["train_seed"].bounds(limits())[1]
    return [(first + i) % (high + 1) for i in range(n)]


def _scored(experiment: Experiment) -> None:
    """Refuse a final model: trained on all the data, it has no validation error to compare seeds or cells on."""
    if experiment.series.final:
        raise FieldError("final", "a final model is trained on all the data and scored on nothing, so there is "
                                  "nothing to compare: repeat or sweep the evaluated experiment (final=0)")


def repeats(experiment: Experiment, n: int) -> list[Experiment]:
    """``experiment`` with ``n`` training seeds (the first is its own): one experiment, and store entry, each."""
    _scored(experiment)
    n = REPEATS.check(n, limits())
    return [experiment if s == experiment.train.seed else experiment.replace(train_seed=s)
            for s in seeds(experiment, n)]


def _value_key(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@dataclass(frozen=True)
class Cell:
    """One combination of a sweep's values and the experiments of its repeats."""

    values: tuple[tuple[str, Any], ...]
    experiments: tuple[Experiment, ...]

    @property
    def settings(self) -> dict[str, Any]:
        return dict(self.values)

    def label(self) -> str:
        """``units=10, layers=2``."""
        return ", ".join(f"{name}={value_text(value)}" for name, value in self.values)


@dataclass(frozen=True)
class Sweep:
    """A grid over fields of the field table, with ``repeats`` seeds per combination, around ``base``."""

    base: Experiment
    grid: tuple[tuple[str, tuple[Any, ...]], ...]
    repeats: int = 1
    sample: int = 0  #: train only this many combinations, drawn at random (0: all)

    @classmethod
    def make(cls, base: Experiment, grid: Mapping[str, Sequence[Any]], repeats: int = 1, sample: int = 0) -> "Sweep":
        """A checked sweep: each value through its field, at most :data:`MAX_SWEEP_FIELDS` fields."""
        _scored(base)
        checked = {}
        for name, values in grid.items():
            field = FIELDS.get(name)
            if field is None or field not in sweepable(base):
                parse_values(base, name, "x")  # raises with the sweepable fields named
            checked[name] = tuple(dict.fromkeys(field.check(v, limits()) for v in values))
            if not checked[name]:
                raise FieldError(name, f"the sweep gives {name} no values")
        if not checked:
            raise FieldError(None, "a sweep needs at least one field to vary")
        return cls(base, tuple(checked.items()), REPEATS.check(repeats, limits()), SAMPLE.check(sample, limits()))

    @property
    def fields(self) -> list[str]:
        return [name for name, _ in self.grid]

    def combinations(self) -> list[tuple[tuple[str, Any], ...]]:
        """Every combination of the grid's values in order, or the random sample of them (the same sample for the
        same sweep: drawn with a seed made from the sweep)."""
        names = self.fields
        every = [tuple(zip(names, values)) for values in itertools.product(*(v for _, v in self.grid))]
        if self.sample and self.sample < len(every):
            digest = hashlib.sha256(json.dumps([self.base.key(), [[n, [_value_key(x) for x in v]] for n, v in self.grid]],
                                               sort_keys=True).encode()).hexdigest()
            chosen = sorted(random.Random(int(digest[:12], 16)).sample(range(len(every)), self.sample))
            every = [every[i] for i in chosen]
        return every

    def cells(self) -> list[Cell]:
        """The combinations with their experiments (FieldError names a combination that is not allowed, such as
        one whose model would be too large)."""
        out = []
        for combo in self.combinations():
            try:
                one = self.base.replace(**{name: _value_key(value) for name, value in combo})
            except FieldError as exc:
                raise FieldError(exc.field, f"{Cell(combo, ()).label()}: {exc}") from None
            out.append(Cell(combo, tuple(repeats(one, self.repeats))))
        return out

    def experiments(self) -> list[Experiment]:
        """Every training of the sweep, without duplicates (two cells may amount to the same experiment)."""
        seen: dict[str, Experiment] = {}
        for cell in self.cells():
            for exp in cell.experiments:
                seen.setdefault(exp.key(), exp)
        return list(seen.values())

    def size(self) -> int:
        """How many trainings the sweep asks for (before the store answers any)."""
        return len(self.combinations()) * self.repeats

    def describe(self) -> str:
        grid = " × ".join(f"{name} ({len(values)})" for name, values in self.grid)
        every = math.prod(len(values) for _, values in self.grid)
        sample = f", a sample of {self.sample} of the {every} combinations" if 0 < self.sample < every else ""
        return (f"{self.base.model.name}: {grid}{sample}, {self.repeats} seed{'s' if self.repeats > 1 else ''} each "
                f"= {self.size()} trainings")

    def to_dict(self) -> dict[str, Any]:
        return {"base": self.base.to_dict(), "grid": {n: [_value_key(v) for v in vs] for n, vs in self.grid},
                "repeats": self.repeats, "sample": self.sample}

    def link_params(self) -> dict[str, str]:
        """The sweep's own link parameters (:func:`read_link` reads them back)."""
        return {GRID_PARAM: grid_text(dict(self.grid)), REPEATS_PARAM: str(self.repeats),
                SAMPLE_PARAM: str(self.sample)}


def cell_rows(sweep: Sweep, results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per cell: its values, how many of its repeats are done, and the mean, spread and runs of the
    validation and test MSE. ``results`` maps experiment keys to finished runs (``RunSummary``/``RunResult``);
    cells are in grid order."""
    rows = []
    for cell in sweep.cells():
        done = [results[e.key()] for e in cell.experiments if e.key() in results]
        valid = Spread(tuple(r.metrics["valid"]["mse"] for r in done))
        test = Spread(tuple(r.metrics["test"]["mse"] for r in done))
        rows.append({**cell.settings, "cell": cell.label(), "done": len(done), "repeats": len(cell.experiments),
                     "valid": valid, "test": test, "keys": [e.key() for e in cell.experiments],
                     "done_keys": [r.key for r in done], "experiment": cell.experiments[0]})
    return rows


def best_row(rows: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The finished cell with the lowest mean validation MSE."""
    finished = [r for r in rows if r["done"]]
    return min(finished, key=lambda r: r["valid"].mean) if finished else None
