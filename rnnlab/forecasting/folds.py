"""A backtest beside its yardsticks: per fold and as the mean over the folds, the network's test MAE and MASE
beside the naive, seasonal-naive and best classical forecasts of the same fold, and the words when it loses.

The best classical forecaster is chosen on VALIDATION MAE (each fold's own validation; for the mean, the mean of
the folds' validation MAE), never on test: the test period only reports how the choice did. Plain Python and
web-safe: ``backtest`` on the command line and the Train page's backtest panel both read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from rnnlab.forecasting import yardsticks

Scores = Mapping[str, Mapping[str, float]]  #: a run's metrics: ``{"valid": {"mae": ...}, "test": {...}}``
#: The figures a fold row carries of each forecaster: (split, metric).
FIGURES = (("valid", "mae"), ("test", "mae"), ("test", "mase"))


def mean_scores(folds: Sequence[Scores | None]) -> dict[str, dict[str, float]] | None:
    """The mean over ``folds`` of each figure every fold has (a figure one fold lacks is left out, so no mean is
    taken over fewer folds than there are); None when a fold has no scores at all (a failed fit)."""
    if not folds or any(not f for f in folds):
        return None
    out: dict[str, dict[str, float]] = {}
    for split in ("valid", "test"):
        names = set.intersection(*(set((f.get(split) or {})) for f in folds))
        values = {n: [(f.get(split) or {})[n] for f in folds] for n in sorted(names)}
        out[split] = {n: float(sum(v) / len(v)) for n, v in values.items() if all(x is not None for x in v)}
    return out


@dataclass(frozen=True)
class FoldRow:
    """One fold (``fold`` 1, 2, ...) or the mean over the folds (``fold`` None): each forecaster's scores by
    registry name (the network's under its own name) and the classical forecaster chosen on validation."""

    fold: int | None
    network: str
    scores: Mapping[str, Scores | None]
    best_classical: str | None

    def figure(self, name: str, split: str, metric: str) -> float | None:
        """``name``'s ``metric`` on ``split`` (None when it has none: a failed fit, an older run)."""
        value = ((self.scores.get(name) or {}).get(split) or {}).get(metric)
        return None if value is None else float(value)

    def shown(self) -> list[str]:
        """The forecasters a table shows, in order: the network, the naive and seasonal-naive forecasts, the best
        classical forecaster (when one was fitted)."""
        names = [self.network] + [n for n in ("naive", "seasonal_naive") if n != self.network]
        return names + ([self.best_classical] if self.best_classical and self.best_classical not in names else [])

    def to_json(self) -> dict[str, Any]:
        """``{"fold", "best_classical", name: {"group", "valid_mae", "test_mae", "test_mase"}}`` per shown one."""
        out: dict[str, Any] = {"fold": self.fold if self.fold is not None else "mean",
                               "best_classical": self.best_classical}
        for name in self.shown():
            out[name] = {"group": yardsticks.kind(name), **{f"{s}_{m}": self.figure(name, s, m) for s, m in FIGURES}}
        return out


def fold_row(fold: int | None, network: str, own: Scores | None,
             yardstick_scores: Mapping[str, Scores | None]) -> FoldRow:
    """One row: the network's scores ``own`` and its yardsticks' by registry name (None for one that failed)."""
    every = {**yardstick_scores, network: own}
    return FoldRow(fold, network, every, yardsticks.best_classical(
        {name: s for name, s in every.items() if s is not None}))


def table(network: str, own: Sequence[Scores], yardstick_folds: Sequence[Mapping[str, Scores | None]]
          ) -> tuple[list[FoldRow], FoldRow]:
    """Each fold's row and the mean's (the mean over the folds of every figure; its best classical forecaster
    the one with the lowest mean validation MAE). ``own[k]`` and ``yardstick_folds[k]`` are fold ``k + 1``'s."""
    rows = [fold_row(k, network, mine, theirs) for k, (mine, theirs) in enumerate(zip(own, yardstick_folds), 1)]
    names = dict.fromkeys(name for theirs in yardstick_folds for name in theirs)
    mean = fold_row(None, network, mean_scores(list(own)),
                    {name: mean_scores([theirs.get(name) for theirs in yardstick_folds]) for name in names})
    return rows, mean


def verdict(mean: FoldRow, display_name: str) -> str | None:
    """The words when the network's mean test MAE over the folds is above the naive forecast's or the best
    classical forecaster's (:func:`rnnlab.forecasting.yardsticks.verdict` on the means); None when it beats both,
    and for a yardstick backtested on its own (it is not a network)."""
    if yardsticks.kind(mean.network) != "network":
        return None
    own = mean.scores.get(mean.network)
    text = yardsticks.verdict(own or {}, {n: s for n, s in mean.scores.items() if n != mean.network},
                              name=display_name)
    return None if text is None else "Over the folds (mean test MAE): " + text[0].lower() + text[1:]


def holdout(train_fraction: float, valid_fraction: float) -> float:
    """The share of the values before a fold's origin that the fold holds back as its validation period:
    ``valid_fraction / (train_fraction + valid_fraction)`` (:func:`rnnlab.series.windows.periods`)."""
    return valid_fraction / (train_fraction + valid_fraction)


def holdout_text(train_fraction: float, valid_fraction: float) -> str:
    """How much of its past a fold holds back, in words (for the CLI's and the page's backtest)."""
    share = holdout(train_fraction, valid_fraction)
    return (f"each fold trains on the windows whose targets lie in the first {1 - share:.1%} of the values before "
            f"its origin; the last {share:.1%} are its validation period: no weight is fitted on them, and the "
            "choice of the best classical forecaster and the ranking of backtests read them")
