"""rnnlab.figures as a whole and its shared look (rnnlab.figures.style): what each module may import, documented
public functions, complete ``__all__`` lists, the lean template on every figure, and the projector's enlargement."""

from __future__ import annotations

import ast
import inspect
import sys
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from rnnlab.figures import diagnostics, inspection, series, style, sweeps, training

from figure_support import history

MODULES = (style, series, training, inspection, sweeps, diagnostics)
PUBLIC = [(module, name) for module in MODULES for name in module.__all__ if callable(getattr(module, name))]


# --------------------------------------------------------------------------------------------------
# The package as a whole
# --------------------------------------------------------------------------------------------------
def test_imports_only_numpy_plotly_rnnlab_and_the_standard_library():
    roots = set()
    for module in MODULES:
        tree = ast.parse(Path(module.__file__).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                roots.add(node.module.split(".")[0])
    third_party = {r for r in roots if r not in sys.stdlib_module_names and r != "__future__"}
    assert third_party == {"numpy", "plotly", "rnnlab"}  # rnnlab.models.registry imports Keras only to build a model


@pytest.mark.parametrize("module, name", PUBLIC, ids=[f"{m.__name__.rsplit('.', 1)[1]}.{n}" for m, n in PUBLIC])
def test_public_functions_are_documented(module, name):
    doc = inspect.getdoc(getattr(module, name))
    assert doc and "Args:" in doc and "Returns:" in doc


@pytest.mark.parametrize("module", MODULES, ids=[m.__name__ for m in MODULES])
def test_every_public_function_is_in_all(module):
    defined = {name for name, value in vars(module).items()
               if inspect.isfunction(value) and value.__module__ == module.__name__ and not name.startswith("_")}
    assert defined <= set(module.__all__)
    assert all(hasattr(module, name) for name in module.__all__)


def all_figures() -> dict[str, go.Figure]:
    X = np.zeros((2, 4, 1))
    return {
        "series": series.series_preview(X, np.ones((2, 2))),
        "loss": training.loss_curves({"a": history(3, 1.0)}),
        "loss_empty": training.loss_curves({}),
        "params": training.param_counts({"a": 3}),
        "mse": training.mse_bars([{"label": "a", "valid_mse": 0.1, "test_mse": 0.2}]),
        "scatter": training.prediction_scatter([0.0, 1.0], [0.5, 1.0]),
        "steps": training.mse_by_step({"a": [0.1, 0.2]}),
        "heat": inspection.hidden_state_heatmap([[0.1, -0.2], [0.3, 0.4]]),
        "neuron": inspection.unrolled_neuron([0.1, 0.2], [0.3, 0.4], {"w_x": 1.0, "w_y": 0.5, "b": 0.0}),
        "dilated": inspection.dilated_convolutions(2, (1, 2)),
        "bptt": inspection.bptt_diagram(4),
        "real": series.real_series(None, [1.0, 2.0, 3.0], periods={"training": (0, 2)}),
        "future": series.future_forecast(["a", "b"], [1.0, 2.0], ["c"], [3.0], last_time="b"),
        "folds": series.backtest_folds(["a", "b"], [1.0, 2.0], {"fold 1": (["b"], [2.2])}),
        "fold_errors": series.fold_errors(["fold 1"], [1.0]),
    }


def test_every_figure_has_the_template_and_a_title():
    white = pio.templates["plotly_white"]
    for name, fig in all_figures().items():
        assert fig.layout.template.layout == white.layout, name
        for trace in fig.data:  # every trace type drawn gets plotly_white's defaults
            assert getattr(fig.layout.template.data, trace.type) == getattr(white.data, trace.type), (name, trace.type)
        assert fig.layout.title.text, name


def test_the_template_is_lean():
    """The template is copied into every figure: only the trace types the figures draw carry defaults."""
    template = pio.templates[style.TEMPLATE]
    assert {k for k, v in template.data.to_plotly_json().items() if v} == {"scatter", "bar", "heatmap"}


def test_for_projector_enlarges_type_and_thins_log_ticks():
    fig = training.mse_bars([{"label": "a", "valid_mse": 0.01, "test_mse": 0.2}], log_y=True)
    assert fig.layout.yaxis.type == "log" and fig.layout.yaxis.dtick is None
    big = style.for_projector(fig, 22)
    assert big.layout.font.size == 22 and big.layout.title.font.size == 28
    assert big.layout.yaxis.dtick == 1  # 0.01, 0.1, 1: one label per power of ten
    assert big.layout.xaxis.dtick is None  # a category axis is left alone
    assert big.layout.height == 560
    tall = style.for_projector(go.Figure(layout=dict(height=900, title=dict(text="t"))))
    assert tall.layout.height == 900

