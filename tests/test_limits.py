"""Operator limits: any valid set of limits leaves every page and the CLI working, with the book's defaults
brought within the limits and a note saying so."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from rnnlab.cli import main
from rnnlab.config import Experiment, Limits, parse_flat
from rnnlab.config.limits import JobSettings, StoreSettings
from rnnlab.jobs.manager import reset_manager
from rnnlab.models.registry import REGISTRY

from helpers import ROOT

PAGES = sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))
DECLARED = Limits.declarations()
MINIMUM = {d["env"]: str(d["minimum"]) for d in DECLARED}
TIGHT = {"RNNLAB_MAX_EPOCHS": "10", "RNNLAB_MAX_SERIES": "5000", "RNNLAB_MAX_UNITS": "8"}


def _set(monkeypatch, env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("env", [{d["env"]: str(d["minimum"])} for d in DECLARED] + [MINIMUM],
                         ids=[d["name"] for d in DECLARED] + ["all"])
def test_every_model_has_a_default_experiment_under_the_smallest_limits(monkeypatch, env):
    _set(monkeypatch, env)
    lim = Limits.from_env()
    for name, entry in REGISTRY.items():
        if entry.real_only:  # refused on the generated series, the default data
            continue
        parsed = parse_flat({"model": name})
        assert not parsed.problems, (name, parsed.problems)
        exp = parsed.experiment
        assert exp == Experiment.book(name)
        assert exp.series.n_series <= lim.max_series and exp.train.epochs <= lim.max_epochs
        assert exp.series.n_steps <= lim.max_steps and exp.series.horizon <= lim.max_horizon
        assert (exp.model.units or 0) <= lim.max_units and (exp.model.layers or 0) <= lim.max_layers
        assert (entry.count_params(exp) or 0) <= lim.max_params
        # Each default the limits lowered is said once, with the book's value and the one used.
        for note in parsed.clamped:
            assert re.match(r"^\w+: .* (is above this instance's limit of|has more entries than this instance "
                            r"allows) .*; using .+$", note), note
        assert len(parsed.clamped) == len(set(parsed.clamped))


def test_the_notes_name_each_lowered_default(monkeypatch):
    _set(monkeypatch, TIGHT)
    parsed = parse_flat({"model": "conv_gru"})
    assert parsed.clamped == [
        "n_series: 10,000 is above this instance's limit of 5,000; using 5,000",
        "units: 20 is above this instance's limit of 8; using 8",
        "filters: 20 is above this instance's limit of 8; using 8",
        "epochs: 20 is above this instance's limit of 10; using 10",
    ]
    given = parse_flat({"model": "conv_gru", "epochs": "3"})  # what the user chose is not a lowered default
    assert not any(n.startswith("epochs") for n in given.clamped) and given.experiment.train.epochs == 3
    monkeypatch.setenv("RNNLAB_MAX_LAYERS", "1")  # WaveNet's eight dilated layers: at most 4 under this limit
    assert "dilations: the book's 1,2,4,8,1,2,4,8 has more entries than this instance allows (4); using 1,2,4,8" in \
        parse_flat({"model": "wavenet"}).clamped


@pytest.mark.parametrize("declared", DECLARED, ids=[d["name"] for d in DECLARED])
def test_a_limit_below_its_minimum_is_refused(declared):
    too_small = str(declared["minimum"] - 1)
    with pytest.raises(ValueError, match=f"{declared['env']}='{too_small}' must be a whole number of at least "
                                         f"{declared['minimum']}"):
        Limits.from_env({declared["env"]: too_small})


@pytest.mark.parametrize("env", [TIGHT, MINIMUM], ids=["tight", "minimum"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_works_under_the_limits_and_says_what_they_change(monkeypatch, home, env, page):
    _set(monkeypatch, {**env, "RNNLAB_WORKERS": "1"})
    reset_manager()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.switch_page(page).run()
    assert not at.exception, at.exception
    notes = [i.value for i in at.info if i.value.startswith("This instance's limits lower")]
    assert len(notes) == 1, [i.value for i in at.info]  # said once
    assert "epochs: 20 is above this instance's limit of" in notes[0]
    reset_manager()


def test_cli_trains_within_the_limits_and_says_what_it_lowered(tmp_path, monkeypatch, capsys):
    _set(monkeypatch, {"RNNLAB_XLA": "0", "RNNLAB_HOME": str(tmp_path), "RNNLAB_MAX_EPOCHS": "1",
                       "RNNLAB_MAX_SERIES": "200", "RNNLAB_MAX_UNITS": "8", "RNNLAB_MAX_STEPS": "20"})
    assert main(["train", "lstm", "--json"]) == 0  # in this process: the limits are read from its environment
    proc = capsys.readouterr()
    for note in ("note: n_series: 10,000 is above this instance's limit of 200; using 200",
                 "note: n_steps: 50 is above this instance's limit of 20; using 20",
                 "note: units: 20 is above this instance's limit of 8; using 8",
                 "note: epochs: 20 is above this instance's limit of 1; using 1"):
        assert proc.err.count(note) == 1, proc.err
    result = json.loads(proc.out)
    exp = result["experiment"]
    assert (exp["series"]["n_series"], exp["series"]["n_steps"], exp["model"]["units"], exp["train"]["epochs"]) == \
        (200, 20, 8, 1)
    assert exp["model"]["mode"] == "seq2seq" and len(result["history"]) == 1


def test_readme_documents_every_limit_with_its_default():
    readme = (ROOT / "README.md").read_text()
    for declared in DECLARED:
        row = next((line for line in readme.splitlines() if line.startswith(f"| `{declared['env']}` |")), None)
        assert row is not None, declared["env"]
        assert f"| {declared['default']} |" in row and f"at least {declared['minimum']:,}" in row, row


def test_readme_documents_every_job_setting():
    rows = [line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith("| `RNNLAB_")]
    for declared in JobSettings.declarations() + StoreSettings.declarations():
        assert any(row.startswith(f"| `{declared['env']}` |") for row in rows), declared["env"]
