"""Find a good model (rnnlab.jobs.auto and ``python -m rnnlab auto``): the grid searched around a real-series
experiment, the sample that keeps it within its budget, the choice on validation, and the command end to end with
its trainings in this process."""

from __future__ import annotations

import json

import pytest

from rnnlab import cli
from rnnlab.cli import train as train_cli
from rnnlab.cli import running
from rnnlab.config import Experiment, parse_flat
from rnnlab.errors import FieldError
from rnnlab.jobs import auto
from rnnlab.store.runs import Spread


def real(model: str = "gru", **changes: str) -> Experiment:
    return parse_flat({"model": model, "data": "elnino_sst", **changes}, strict=True).experiment


def test_the_grid_spans_the_scalings_the_input_rules_and_two_sizes():
    found = auto.grid(real())
    # a real series' network starts at zero: only the scalings whose zero output is the naive forecast
    assert found == {"scaling": ("relative", "difference"), "n_steps": (12, 24, 48),
                     "units": (20, 40)}  # El Niño is monthly: one, two and four years of input
    assert auto.grid(real(start="random")) == {**found, "scaling": ("global", "relative", "window", "difference")}
    assert auto.grid(real("linear", start="random"))["scaling"] == ("global", "relative", "window", "difference")
    assert "units" not in auto.grid(real("linear"))  # a linear model has no size to search
    iterative = auto.grid(real(mode="iterative", horizon="6", start="random"))
    assert iterative["scaling"] == ("global", "difference")  # the iterative mode refuses the other two
    assert auto.grid(real(mode="iterative", horizon="6"))["scaling"] == ("difference",)
    with pytest.raises(FieldError, match="the search is for a real series"):
        auto.grid(Experiment.book("gru"))
    with pytest.raises(FieldError, match="trains nothing: there is nothing to search"):
        auto.grid(real("naive"))


def test_the_search_samples_a_fixed_set_of_configurations_with_their_seeds():
    sweep = auto.search(real(start="random"), seeds=2, configurations=5)
    assert sweep.size() == 10 and len(sweep.cells()) == 5  # 5 of the 24 configurations, 2 seeds each
    assert sweep.describe() == ("gru: scaling (4) × n_steps (3) × units (2), a sample of 5 of the 24 combinations, "
                                "2 seeds each = 10 trainings")
    again = auto.search(real(start="random"), seeds=2, configurations=5)
    assert [c.label() for c in again.cells()] == [c.label() for c in sweep.cells()]  # the same sample
    assert len(auto.search(real("linear", start="random"), seeds=1, configurations=12).cells()) == 12  # 4 × 3: all
    assert len(auto.search(real()).cells()) == 12  # starting at zero: 2 scalings × 3 × 2, all of the default 12


def test_the_best_is_chosen_on_validation_across_models():
    def fake(model, valid, test):
        row = {"valid": Spread((valid,)), "test": Spread((test,)), "done": 1}
        return auto.Found(model, None, [row], row)

    searches = [fake("linear", 2.0, 0.1), fake("gru", 1.0, 9.0), auto.Found("lstm", None, [], None)]
    assert auto.best_of(searches).model == "gru"  # lowest validation, whatever its test error
    assert auto.best_of([auto.Found("lstm", None, [], None)]) is None


def test_the_command_searches_chooses_and_answers_from_the_store_the_second_time(home, monkeypatch, capsys):
    trained = []

    def here(experiments, args):  # the cluster stood in for: each training in this process, stored
        store = train_cli.RunStore(args.home)
        out = []
        for e in experiments:
            stored = store.get(e.key())
            if stored is None:
                trained.append(e.key())
            out.append((stored.summary(), True) if stored else (running._train_here(e, store), False))
        return out

    monkeypatch.setattr(train_cli, "run_batch", here)
    argv = ["auto", "linear", "--dataset", "elnino_sst", "--epochs", "1", "--seeds", "1", "--configurations", "2",
            "--no-final", "--json"]
    assert cli.main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    [search] = out["searches"]
    assert search["model"] == "linear" and len(search["cells"]) == 2 and len(trained) == 2
    valid = {c["valid_mse"]["mean"]: c for c in search["cells"]}
    best = valid[min(valid)]
    assert {k: out["best"][k] for k in ("scaling", "n_steps")} == {k: best[k] for k in ("scaling", "n_steps")}
    assert out["result"]["key"] == out["best"]["key"] == best["keys"][0]
    assert cli.main(argv[:-1]) == 0  # the second time: every training from the store
    text = capsys.readouterr().out
    assert len(trained) == 2 and "<- best on validation" in text and "the naive forecast (MAE" in text
    assert cli.main(["auto", "linear", "--epochs", "1"]) == 2  # the generated series: refused, with why
    assert "the search is for a real series" in capsys.readouterr().err


def test_the_train_page_links_to_the_search_on_the_sweep_page(app, fake_manager):
    from urllib.parse import parse_qsl

    from rnnlab.dashboard.state import to_query
    from rnnlab.dashboard.sweep_view import FIELDS_KEY, REPEATS_KEY, SAMPLE_KEY

    exp = real()
    at = app("pages/train.py", **to_query(exp))
    assert not at.exception
    [link] = [p.proto for p in at.get("page_link") if p.proto.label == "Find a good model for me"]
    assert link.page == "sweep" and "12 configurations with 2 seeds each (24 trainings" in link.help
    query = dict(parse_qsl(link.query_string))
    search = auto.search(exp)
    assert {k: query[k] for k in search.link_params()} == search.link_params()
    swept = app("pages/sweep.py", **query)  # the Sweep page holds the search, ready to cost and train
    assert not swept.exception and not swept.error
    assert swept.session_state[FIELDS_KEY] == ["scaling", "n_steps", "units"]
    # 2 scalings × 3 input lengths × 2 sizes are the budget's 12: the whole grid, no sample of it
    assert (swept.session_state[REPEATS_KEY], swept.session_state[SAMPLE_KEY]) == (2, 0)
    assert fake_manager.jobs() == []  # nothing trains until asked
    book = app("pages/train.py", **to_query(Experiment.book("gru")))
    assert not [p for p in book.get("page_link") if p.proto.label == "Find a good model for me"]  # generated: none
